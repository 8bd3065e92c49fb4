"""The metrics and verdicts written up, with the data's limits."""

from __future__ import annotations

from collections.abc import Sequence

from agent.analysis.fit import FitVerdict
from agent.analysis.metrics import STOCK_ACT_LIMIT_DAYS, TradingMetrics

DATA_LIMITS: tuple[str, ...] = (
    ("Amounts are ranges, not prices: the forms disclose value brackets, so every dollar figure is an "
     "estimate from bracket midpoints, shown with its low-high range."),
    (f"Trades are disclosed up to {STOCK_ACT_LIMIT_DAYS} days late (the STOCK Act deadline), sometimes "
     "later, so this is a delayed view of the trading, never a live one."),
    ("Only what the filings disclose: prices, gains and losses, and holdings that were never traded "
     "are not on these forms."),
)

DISCLAIMER = "_These are options to consider, not investment advice._"


def summary_text(metrics: TradingMetrics, verdicts: Sequence[FitVerdict] = ()) -> str:
    """The metrics and verdicts as Markdown, ending with the data's limits and the disclaimer."""
    lines = ["### What the filings show", ""]
    lines += [f"- **{metric.label}:** {metric.text}" for metric in metrics.all()]
    if verdicts:
        lines += ["", "### Fit with the investor profile", ""]
        lines += [f"- **{verdict.dimension.capitalize()}: {verdict.verdict}.** {' '.join(verdict.reasons)}"
                  for verdict in verdicts]
    lines += ["", "### Limits of this data", ""]
    lines += [f"- {limit}" for limit in DATA_LIMITS]
    lines += ["", DISCLAIMER]
    return "\n".join(lines)
