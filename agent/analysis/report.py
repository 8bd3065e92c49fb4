"""The downloadable Markdown report of a run, built only from its outcomes, rows and trace (every number traceable
to the rows): when it was made, for which profile and the answer for it, each filer, the transactions, the trading
style, and the checks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd

from agent.analysis.assessment import UNNAMED_FILER, FitAssessment, assess_filers, assess_trades
from agent.analysis.fit import InvestorProfile
from agent.analysis.frame import prepare_trades
from agent.analysis.metrics import TradingMetrics, metrics_of_trades
from agent.analysis.summary import fit_lines, summary_text
from agent.export import OWNER_LABELS, owner_label, transaction_type_label
from agent.models import FileOutcome, Filing
from agent.run.events import CachedTrace, Check, Event
from agent.run.summary import STATUS_WORDS, run_summary

# A report past this many transactions lists the first ones only, and says the CSV has them all.
TABLE_ROW_LIMIT = 1_000
TRANSACTION_COLUMNS = ("filing_id", "owner", "asset_name", "ticker", "asset_type", "transaction_type",
                       "transaction_date", "notification_date", "amount", "page", "checks")
# Codes the table gives in words, as the app's table and the CSV's owner_label do.
IN_WORDS = {"owner": owner_label, "transaction_type": transaction_type_label}
OWNER_NOTE = (f"Owner: {OWNER_LABELS['']} is the filer, whom the filings leave blank (so does the CSV's owner "
              f"column; its owner_label says {OWNER_LABELS['']}); "
              + ", ".join(f"{label} is {code}" for code, label in OWNER_LABELS.items() if code)
              + " (a dependent child), as the filings print them.")


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _in_words(value: object, column: str) -> object:
    return IN_WORDS[column](value) if column in IN_WORDS and isinstance(value, str) else value


def transaction_table(transactions: pd.DataFrame, limit: int = TABLE_ROW_LIMIT) -> list[str]:
    """The transactions as a Markdown table, the first `limit` rows of a larger frame with a line saying how many
    are left out (the CSV holds every row). Read column by column: a pandas row per transaction took minutes over
    100,000 rows."""
    shown = transactions.head(limit)
    columns = [[_cell(_in_words(value, column)) for value in shown[column].tolist()] for column in TRANSACTION_COLUMNS]
    lines = ["| " + " | ".join(TRANSACTION_COLUMNS) + " |", "|" + "---|" * len(TRANSACTION_COLUMNS)]
    lines += ["| " + " | ".join(cells) + " |" for cells in zip(*columns)]
    left_out = len(transactions) - len(shown)
    if left_out:
        lines += ["", f"The first {len(shown):,} of {len(transactions):,} transactions are shown; the other "
                      f"{left_out:,} are left out of this report, and the CSV has them all."]
    return lines


def _percent(share: float | None) -> str:
    return "no limit" if share is None else f"at most {share * 100:g}% of volume"


def profile_lines(profile: InvestorProfile | None) -> list[str]:
    """Every setting of the profile the fit was judged against."""
    if profile is None:
        return ["No investor profile was set, so the fit is not judged (set one on the Risk profile page)."]
    return [f"- Risk tolerance: {profile.risk_tolerance}",
            f"- Horizon: {profile.horizon}",
            f"- Options: {'avoided' if profile.no_options else 'allowed'}",
            f"- Largest position: {_percent(profile.max_position_share)}",
            f"- Sectors avoided: {', '.join(profile.avoid_sectors) or 'none'}",
            f"- Largest sector: {_percent(profile.max_sector_share)}"]


def _assessment_lines(assessment: FitAssessment) -> list[str]:
    return fit_lines(assessment.verdicts, assessment.overall, assessment.subsets)


def fit_section(trades: pd.DataFrame, profile: InvestorProfile | None) -> tuple[list[str], TradingMetrics]:
    """The answer for the profile (with several filers each one's, then all of them combined), and the metrics of
    all the trades, which the fit computed already. `trades` are prepared (prepare_trades)."""
    if profile is None:
        return [], metrics_of_trades(trades)
    everyone = assess_trades(trades, profile)
    lines = ["## Fit with this profile (derived from the transactions below)", ""]
    several = trades["filer_name"].replace("", UNNAMED_FILER).nunique() > 1
    filers = assess_filers(trades, profile) if several else ()
    if len(filers) < 2:
        return lines + _assessment_lines(everyone) + [""], everyone.metrics
    lines += ["Each filer's trades on their own, then all of them combined.", ""]
    for assessment in (*filers, everyone):
        lines += [f"### {assessment.label}", "", *_assessment_lines(assessment), ""]
    return lines, everyone.metrics


def _filing_line(outcome: FileOutcome, filing: Filing) -> str:
    """One filing of a filer: its ID and file, the dates it prints, what was read from it."""
    if filing.chamber == "senate":
        dates = [f"report for {filing.report_date or 'an unprinted date'}",
                 f"filed {filing.filed_date or '(not printed)'}"]
        if filing.amendment_number:
            dates.append(f"amendment {filing.amendment_number}")
    else:
        dates = [f"signed {filing.signed_date or '(not printed)'}"]
    traded = sorted(row.transaction_date for row in filing.transactions if row.transaction_date)
    if traded:
        dates.append(f"traded on {traded[0]}" if traded[0] == traded[-1] else f"traded {traded[0]} to {traded[-1]}")
    return (f"- Filing {filing.filing_id or '(no ID printed)'} ({outcome.source_file}): {', '.join(dates)}; "
            f"{outcome.rows} row(s), {outcome.flagged_rows} flagged, {STATUS_WORDS[outcome.status]}")


def filer_lines(outcomes: Sequence[FileOutcome]) -> list[str]:
    """Each filer (name, chamber, state or district) with the filings read from them."""
    by_filer: dict[tuple[str, str, str], list[str]] = {}
    unread = []
    for outcome in outcomes:
        filing = outcome.filing
        if filing is None or outcome.status == "needs_ocr":  # a scan left unread names no filer
            unread.append(outcome.source_file)
        else:
            key = (filing.filer_name or "(filer not printed)", filing.chamber.capitalize(), filing.state_district)
            by_filer.setdefault(key, []).append(_filing_line(outcome, filing))
    lines = []
    for (name, chamber, district), filings in by_filer.items():
        lines += ["", f"### {name} ({chamber}{', ' + district if district else ''})", "", *filings]
    if unread:
        lines += ["", f"Not read, so no filer is known: {', '.join(unread)} (see Checks)."]
    return lines or ["", "No filing was read."]


def _last_checks(trace: Sequence[Event]) -> dict[str, list[Check]]:
    """Each file's checks from its last validation (a file validated again after a correction counts once): the
    checks of one validation come one after another in the trace. A file served from the cache has the checks of
    the run that read it, replayed in its CachedTrace, filed under this run's name for it."""
    checks: dict[str, list[Check]] = {}
    after_check = False
    for event in trace:
        replayed = event.replayed if isinstance(event, CachedTrace) else [event]
        for step in replayed:
            if isinstance(step, Check):
                if not after_check:
                    checks[event.file] = []
                checks[event.file].append(step)
            after_check = isinstance(step, Check)
    return checks


def check_lines(outcomes: Sequence[FileOutcome], trace: Sequence[Event]) -> list[str]:
    """What ran on each file (from the trace) and what it found (the flags on the filing and its rows)."""
    ran = _last_checks(trace)
    lines = []
    for outcome in outcomes:
        lines.append(f"- **{outcome.source_file}**: {STATUS_WORDS[outcome.status]}"
                     + (f" ({outcome.reason})" if outcome.reason else ""))
        lines += [f"  - {check.name}: {'passed' if check.passed else 'flagged'}, {check.detail}"
                  for check in ran.get(outcome.source_file, [])]
        filing = outcome.filing
        if filing is not None:
            lines += [f"  - finding on the filing: {flag.code}: {flag.message}" for flag in filing.flags]
            lines += [f"  - finding on row {row.row_number}: {flag.code}: {flag.message}"
                      for row in filing.transactions for flag in row.flags]
    if not trace:
        lines.append("- (No trace was given: the checks that ran are not listed, only what they found.)")
    return lines


def markdown_report(outcomes: list[FileOutcome], transactions: pd.DataFrame, profile: InvestorProfile | None = None,
                    run_outcome: str = "completed", trace: Sequence[Event] = (),
                    trades: pd.DataFrame | None = None) -> str:
    """The downloadable report: when, for which profile and the answer for it, the run, each filer, the
    transactions, the trading style, the checks. Every number in it is printed on a filing or derived from those
    (the derivations are named). `trace` is the run's events, for the checks that ran; `trades` the transactions
    prepared (prepare_trades) when the caller has them already."""
    fit, metrics = fit_section(prepare_trades(transactions) if trades is None else trades, profile)
    lines = ["# TradeTrace report", "", f"Made {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC.", "",
             "## Investor profile", "", *profile_lines(profile), "", *fit,
             "## Run", "", run_summary(outcomes, run_outcome), "",
             "## Filers", *filer_lines(outcomes), "",
             f"## Transactions ({len(transactions)})", "", OWNER_NOTE, "", *transaction_table(transactions),
             "", "## Trading style (derived from the transactions above)", "",
             summary_text(metrics), "", "## Checks", "", *check_lines(outcomes, trace)]
    return "\n".join(lines) + "\n"
