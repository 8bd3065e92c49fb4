"""Ask benchmark: the offline brain's answers over a 100,000-row frame built from real filings.

    python -m benchmarks.bench_ask [--filings DIR] [--senate DIR] [--rows N] [--files N]

1. Reads the electronic House PTRs of ../shared/filings (the first --files of MANIFEST.tsv, default all) and the
   two Senate eFD pages of the Ask request table (tests/ask_cases.py), without OCR.
2. Repeats their rows up to --rows (default 100,000), each copy under its own file names with its trade, filing,
   notification and expiry dates shifted by whole weeks (in this benchmark only).
3. Prepares the frame once (AskContext: agent.analysis.frame.prepare_trades, as a page does once per frame).
4. Answers one request of each query kind (from the request table, plus a few of its own) with the offline brain
   (run(): reading the request, the queries, the number check, the answer; median of 3 after one warm-up) and
   prints each time. Target: every answer < 1 s. Timed apart, outside the target: the fit with a profile
   (agent.analysis.assessment over every row, the Risk page's computation) and a request that makes the outputs
   (the CSV and the report of every row).
5. Times alone, once each, the three analyses behind the slowest answers: the clusters over the prepared rows (as
   the clusters query reads them), the fit of every row with a cautious profile (assessment.assess), and the
   Markdown report of every row with that profile (report.markdown_report, its fit per filer included).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from agent.analysis.assessment import assess
from agent.analysis.fit import InvestorProfile
from agent.analysis.library_views import clusters
from agent.analysis.report import markdown_report
from agent.ask.answer import Answer
from agent.ask.loop import AskResult, run
from agent.ask.queries import AskContext
from agent.export import to_dataframe
from agent.run.events import Plan
from agent.run.extract import extract_path
from tests.ask_cases import CASES, SENATE_FILES

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.0
DATE_COLUMNS = ("transaction_date", "notification_date", "signed_date", "filed_date", "report_date",
                "option_expiration")
# One request of each kind from the table, by id, then a few that only a large frame makes interesting.
TABLE_IDS = ("count-member-year", "sum-member-buys", "top-3", "dates-ticker", "who-else-bought", "per-ticker",
             "list-member-month", "options-within-year", "late", "clusters", "compare-members", "compare-years",
             "fit-profile-words", "outputs-csv-summary", "price")
OWN_REQUESTS = ("Which members traded, and how many trades each?", "What are the top 10 tickers since 2030?",
                "Which trades were filed more than 30 days late?", "Clusters of trades within 30 days")


def read_filings(filings: Path, senate: Path, limit: int | None) -> pd.DataFrame:
    with (filings / "MANIFEST.tsv").open(encoding="utf-8") as manifest:
        electronic = [filings / row["file"] for row in csv.DictReader(manifest, delimiter="\t")
                      if row["kind"] == "electronic"][:limit]
    paths = electronic + [senate / name for name in SENATE_FILES]
    outcomes = []
    for number, path in enumerate(paths, start=1):
        outcomes.append(extract_path(path, False))
        if number % 100 == 0:
            print(f"  read {number}/{len(paths)}", file=sys.stderr, flush=True)
    return to_dataframe([outcome.filing for outcome in outcomes if outcome.filing])


def grown(rows: pd.DataFrame, target: int) -> pd.DataFrame:
    """The rows repeated up to `target`, copy n under "copy<n>-" file names with its dates n weeks later."""
    copies = []
    for number in range(-(-target // len(rows))):
        copy = rows.copy()
        copy["source_file"] = f"copy{number}-" + copy["source_file"].astype(str)
        for column in DATE_COLUMNS:
            dates = pd.to_datetime(copy[column], errors="coerce", format="ISO8601") + pd.Timedelta(weeks=number)
            copy[column] = dates.dt.strftime("%Y-%m-%d").where(dates.notna(), copy[column])
        copies.append(copy)
    return pd.concat(copies, ignore_index=True).head(target)


def timed(request: str, context: AskContext, repeats: int = 3) -> tuple[float, AskResult]:
    """The median of `repeats` runs after a warm-up; one run's time when that one is over the target already (the
    fit and the outputs over 100,000 rows take minutes)."""
    started = time.perf_counter()
    result = run(request, context)
    first = time.perf_counter() - started
    if first > TARGET_SECONDS * 3:
        return first, result
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = run(request, context)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def analyses_alone(context: AskContext) -> None:
    """Each of the three analyses once, over every row (step 5)."""
    profile = InvestorProfile("low", "long", no_options=True)
    analyses = {"clusters": lambda: clusters(context.trades.copy()),
                "fit (assess)": lambda: assess(context.frame, profile),
                "report (markdown_report)": lambda: markdown_report([], context.frame, profile)}
    print(f"\nalone, over {len(context.frame):,} rows:", flush=True)
    for name, analysis in analyses.items():
        started = time.perf_counter()
        analysis()
        print(f"{time.perf_counter() - started:8.3f}  {name}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=Path, default=ROOT.parent / "shared" / "filings")
    parser.add_argument("--senate", type=Path, default=ROOT.parent / "shared" / "senate")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=None, help="read only the first N electronic House PTRs")
    args = parser.parse_args()

    started = time.perf_counter()
    real = read_filings(args.filings, args.senate, args.files)
    print(f"read {real['source_file'].nunique()} filings, {len(real):,} rows in {time.perf_counter() - started:.1f} s",
          flush=True)
    frame = grown(real, args.rows)
    started = time.perf_counter()
    context = AskContext(frame)
    print(f"{len(frame):,} rows, {frame['filer_name'].nunique()} filers; prepared once in "
          f"{time.perf_counter() - started:.2f} s", flush=True)

    by_id = {case.id: case.request for case in CASES}
    requests = [by_id[case_id] for case_id in TABLE_IDS] + list(OWN_REQUESTS)
    slowest: dict[str, float] = {}
    print(f"\n{'seconds':>8}  {'queries':<34} request -> answer", flush=True)
    for request in requests:
        seconds, result = timed(request, context)
        plan = next(event for event in result.events if isinstance(event, Plan))
        kinds = ", ".join(step.split("(")[0] for step in plan.steps) or "(none: cannot answer)"
        group = "outputs" if "write " in kinds else "fit" if "investor_fit" in kinds else "queries"
        slowest[group] = max(slowest.get(group, 0.0), seconds)
        outcome = result.outcome
        answer = outcome.text if isinstance(outcome, Answer) else "CANNOT: " + outcome.text
        print(f"{seconds:8.3f}  {kinds:<34} {request[:60]!r} -> {answer[:90]}", flush=True)
    analyses_alone(context)
    met = slowest["queries"] < TARGET_SECONDS
    print(f"\nover {len(frame):,} rows: slowest query answer {slowest['queries']:.3f} s (target < "
          f"{TARGET_SECONDS:.0f} s {'met' if met else 'MISSED'}); outside the target: the fit "
          f"{slowest.get('fit', 0.0):.3f} s, the outputs {slowest.get('outputs', 0.0):.3f} s")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
