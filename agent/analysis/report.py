"""Plain-text summaries of a run, built only from its outcomes (every number traceable to the rows)."""

from __future__ import annotations

import pandas as pd

from agent.analysis.fit import InvestorProfile, assess_fit
from agent.analysis.metrics import compute_metrics
from agent.analysis.summary import summary_text
from agent.models import FileOutcome
from agent.run.summary import run_summary


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_report(outcomes: list[FileOutcome], transactions: pd.DataFrame, profile: InvestorProfile | None = None,
                    run_outcome: str = "completed") -> str:
    """The downloadable report: filing overview, transactions, risk summary, checks. Every number in it is
    printed on a filing or derived from those (the derivations are named)."""
    lines = ["# TradeTrace report", "", "## Run", "", run_summary(outcomes, run_outcome), "",
             "## Filings", "", "| file | filing ID | filer | status | state/district | signed | rows | flagged |",
             "|---|---|---|---|---|---|---|---|"]
    for outcome in outcomes:
        filing = outcome.filing
        values = (outcome.source_file, filing and filing.filing_id, filing and filing.filer_name, outcome.status,
                  filing and filing.state_district, filing and filing.signed_date, outcome.rows, outcome.flagged_rows)
        lines.append("| " + " | ".join(_cell(value) for value in values) + " |")
    columns = ("filing_id", "owner", "asset_name", "ticker", "asset_type", "transaction_type", "transaction_date",
               "notification_date", "amount", "page", "checks")
    lines += ["", f"## Transactions ({len(transactions)})", "", "| " + " | ".join(columns) + " |",
              "|" + "---|" * len(columns)]
    for _, row in transactions.iterrows():
        lines.append("| " + " | ".join(_cell(row[column]) for column in columns) + " |")
    metrics = compute_metrics(transactions)
    verdicts = assess_fit(metrics, profile) if profile else []
    lines += ["", "## Trading style and fit (derived from the rows above)", "", summary_text(metrics, verdicts), "",
              "## Checks", ""]
    findings = [f"- {outcome.source_file}: {flag.code}: {flag.message}"
                for outcome in outcomes if outcome.filing for flag in outcome.filing.all_flags]
    findings += [f"- {outcome.source_file}: {outcome.status.replace('_', ' ')}: {outcome.reason}"
                 for outcome in outcomes if outcome.status in ("failed", "needs_ocr")]
    lines += findings or ["- Every row passed grounding (each value found on its page), cross-checks and the row "
                          "count against the printed date pairs."]
    return "\n".join(lines) + "\n"
