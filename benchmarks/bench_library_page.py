"""Library page benchmark: the server's side of drawing the Library page at 100,000 rows, step by step.

    python -m benchmarks.bench_library_page [--rows N] [--db FILE]

Builds a library of --rows rows (default 100,000) from real House PTRs in ../shared/filings copied under new IDs,
dates shifted by whole weeks (in this benchmark only), then times what the page does on its first draw after the
library changed (the counts, the views' typed columns of every row, preparing what the views read of them, delays
counted from the first disclosure, the Members tab's table), the other tabs, a member's whole rows, and what the
library scope of the other pages reads. The browser test prints the whole page's time
(tests/e2e/test_library_browser.py); this says where that time goes. Timings are one run each on a shared machine:
compare them with each other, not with another run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from agent.analysis.assessment import assess
from agent.analysis.fit import InvestorProfile
from agent.analysis.frame import prepare_trades, prepare_view_trades
from agent.analysis.library_views import (
    clusters,
    first_disclosed,
    late_filings,
    member_names,
    members_table,
    tickers_table,
)
from agent.export import investor_table
from agent.models import FileOutcome
from agent.run.extract import extract_path
from agent.store.library import Library
from benchmarks.bench_library import copy_of

ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = "bench-page"
SOURCES = ("20033455", "20033446", "20033360", "20030699", "20016961", "20022260")  # real PTRs, ~600 rows
PAGE_TARGET_S = 2.0
T = TypeVar("T")


def timed(label: str, action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.2f} s")
    return value, seconds


def build(database: Path, filings_dir: Path, rows: int) -> Library:
    outcomes = [extract_path(filings_dir / "pdfs" / f"{docid}.pdf") for docid in SOURCES]
    filings = [outcome.filing for outcome in outcomes if outcome.filing is not None and outcome.filing.transactions]
    if not filings:
        sys.exit(f"no readable filings among {SOURCES} in {filings_dir / 'pdfs'}")
    library = Library(database)
    total, number = 0, 0
    while total < rows:
        batch = []
        while len(batch) < 200 and total < rows:
            number += 1
            for filing in filings:
                copy = copy_of(filing, number)
                batch.append(FileOutcome(copy.source_file, "ok", "", copy))
                total += len(copy.transactions)
        library.add(WORKSPACE, batch)
    return library


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--filings", type=Path, default=ROOT.parent / "shared" / "filings")
    parser.add_argument("--db", type=Path, help="the database to build (default: a new one in a temporary folder)")
    args = parser.parse_args(argv)
    folder = tempfile.TemporaryDirectory(prefix="bench_library_page-")
    database = args.db or Path(folder.name) / "history.sqlite3"

    started = time.perf_counter()
    library = build(database, args.filings, args.rows)
    stats = library.stats(WORKSPACE)
    print(f"library: {stats.rows:,} rows in {stats.filings:,} filings, built in {time.perf_counter() - started:.1f} s")

    print("first draw after a change (pages/library_page.py, pages/library_data.py, pages/common.py):")
    steps = []
    for label, action in (("Library.version (library_version, the caches' key)", lambda: library.version(WORKSPACE)),
                          ("Library.stats (the counts line)", lambda: library.stats(WORKSPACE))):
        steps.append(timed(label, action)[1])
    all_rows, seconds = timed("Library.view_rows(include_superseded=True): the views' columns, a blob per filing",
                              lambda: library.view_rows(WORKSPACE, include_superseded=True))
    steps.append(seconds)
    prepared, seconds = timed("prepare_view_trades: the columns the views read",
                              lambda: prepare_view_trades(all_rows))
    steps.append(seconds)
    prepared, seconds = timed("first_disclosed", lambda: first_disclosed(prepared))
    steps.append(seconds)
    current = (all_rows["row_state"] == "current").to_numpy()
    prepared, seconds = timed("current rows and member_names",
                              lambda: prepared[current].reset_index(drop=True).assign(member=member_names))
    steps.append(seconds)
    members, seconds = timed("members_table (the Members tab, open first)", lambda: members_table(prepared))
    steps.append(seconds)
    print(f"  = {sum(steps):.2f} s of Python before the first tab's table is sent "
          f"(the page's target, browser included: < {PAGE_TARGET_S:.0f} s)")
    timed("(not on the page, for comparison: prepare_trades, every column the metrics and Ask read)",
          lambda: prepare_trades(all_rows))
    print("other tabs, each computed when first opened:")
    timed("tickers_table", lambda: tickers_table(prepared))
    timed("clusters", lambda: clusters(prepared))
    timed("late_filings", lambda: late_filings(prepared))
    member = str(members.iloc[0]["filer"])
    ids = all_rows.loc[current, "library_id"][(prepared["member"] == member).to_numpy()].tolist()
    print(f"a member's view ({member}, {len(ids):,} rows):")
    rows, _ = timed("their rows, every column (Library.rows(library_ids=...))",
                    lambda: library.rows(WORKSPACE, include_superseded=True, library_ids=ids))
    timed("their fit (assess)", lambda: assess(rows, InvestorProfile("medium", "medium"), member))
    timed("their rows' table (investor_table)", lambda: investor_table(rows))
    print("the Transactions, Charts and Risk pages in library scope, read once per change of the library:")
    current_rows, _ = timed("Library.rows(): every current row, every column (pages/common.py library_frame)",
                            lambda: library.rows(WORKSPACE))
    timed("investor_table of every current row (the Transactions table)", lambda: investor_table(current_rows))
    library.close()
    folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
