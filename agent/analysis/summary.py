"""The fit and the metrics written up: the overall answer first, then each dimension, the metrics and the data's
limits."""

from __future__ import annotations

from collections.abc import Sequence

from agent.analysis.assessment import FitAssessment, SubsetFit
from agent.analysis.fit import FitVerdict, OverallFit
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


def fit_lines(verdicts: Sequence[FitVerdict], overall: OverallFit | None = None,
              subsets: Sequence[SubsetFit] = ()) -> list[str]:
    """The fit as Markdown lines: the overall answer, the subsets that would fit better, each dimension."""
    lines = [f"**{overall.sentence}**", ""] if overall else []
    lines += [f"- {subset.sentence}" for subset in subsets] + ([""] if subsets else [])
    return lines + [f"- **{verdict.heading}** {' '.join(verdict.reasons)}" for verdict in verdicts]


def summary_text(metrics: TradingMetrics, verdicts: Sequence[FitVerdict] = (), overall: OverallFit | None = None,
                 subsets: Sequence[SubsetFit] = ()) -> str:
    """The fit (when verdicts are given) and the metrics as Markdown, ending with the data's limits and the
    disclaimer."""
    lines = ["### Fit with the investor profile", "", *fit_lines(verdicts, overall, subsets), ""] if verdicts else []
    lines += ["### What the filings show", ""]
    lines += [f"- **{metric.label}:** {metric.text}" for metric in metrics.all()]
    lines += ["", "### Limits of this data", ""]
    lines += [f"- {limit}" for limit in DATA_LIMITS]
    lines += ["", DISCLAIMER]
    return "\n".join(lines)


def assessment_text(assessment: FitAssessment) -> str:
    """summary_text of an assessment: its overall answer, subsets, dimensions and metrics."""
    return summary_text(assessment.metrics, assessment.verdicts, assessment.overall, assessment.subsets)
