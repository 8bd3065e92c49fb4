"""Library benchmark: every filing in ../shared read into one library, then grown to 100,000 rows.

    python -m benchmarks.bench_library [--filings DIR] [--senate DIR] [--rows N] [--db FILE]
    python -m benchmarks.bench_library --views FILE   (step 3 alone, over a database built with --db)

1. Reads every House PDF (../shared/filings/pdfs, without OCR: scans are reported, not stored) and every Senate
   eFD report (../shared/senate/efd/*.html and the same reports printed to PDF, efd_print/*.pdf), in the sandbox
   as `library add` does, and adds them to a new library in one Library.add: filings and rows stored, the same
   filing read twice merged, amendments linked, the time of the add alone, the database's size.
2. Grows the library to --rows rows (default 100,000) with copies of those filings under new IDs and bytes, their
   dates shifted by whole weeks (in this benchmark only), added 200 filings per Library.add.
3. Times, in the store (Library.rows, the frame the app's views start from; median of 5 after one warm-up): a
   member's rows, a ticker's rows, a filter change (the member's rows within a date range; a search), and, for
   scale, the whole library's current rows. Targets: < 300 ms for each of the first three. Each figure is
   Library.rows' two halves timed apart: the SQL (Library.found) and decoding the records into the frame
   (rows_frame).
4. Times adding 1,000 filings already in the library (same bytes: each is reported already there). Target: < 10 s.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.models import FileOutcome, Filing
from agent.run.extract import extract_bytes
from agent.store.library import Library, LibraryAdd, filing_key, rows_frame

ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = "bench"
BATCH = 200  # filings per add while growing: a large run's worth
VIEW_TARGET_MS = 300.0
ALREADY_READ = 1000
ALREADY_READ_TARGET_S = 10.0


def read_all(paths: Sequence[Path]) -> tuple[list[FileOutcome], float]:
    started = time.perf_counter()
    outcomes = []
    for number, path in enumerate(paths, start=1):
        outcomes.append(extract_bytes(path.read_bytes(), path.name, ocr=False))
        if number % 200 == 0:
            print(f"  read {number}/{len(paths)}", file=sys.stderr, flush=True)
    return outcomes, time.perf_counter() - started


def shifted(date: str, days: int) -> str:
    if not date:
        return date
    try:
        return (datetime.date.fromisoformat(date) + datetime.timedelta(days=days)).isoformat()
    except ValueError:
        return date


def copy_of(filing: Filing, number: int) -> Filing:
    """The filing as if another one: a new ID and new bytes, every date `number` weeks later."""
    copy = Filing.from_dict(filing.to_dict())
    days = 7 * number
    copy.filing_id = f"{filing.filing_id or filing.sha256[:12]}-copy{number}"
    copy.sha256 = hashlib.sha256(f"{filing.sha256}:{number}".encode()).hexdigest()
    copy.source_file = f"copy{number}-{filing.source_file}"
    for name in ("signed_date", "report_date", "filed_date"):
        setattr(copy, name, shifted(getattr(copy, name), days))
    for row in copy.transactions:
        row.transaction_date = shifted(row.transaction_date, days)
        row.notification_date = shifted(row.notification_date, days)
    return copy


@dataclass(frozen=True)
class ViewTime:
    """A view's median times (ms): the SQL, decoding into the frame, and the two together (Library.rows)."""

    sql: float
    frame: float
    total: float
    rows: int


def view_time(query: Callable[[], list[tuple[Any, ...]]], repeats: int = 5) -> ViewTime:
    """Library.rows' halves timed apart over `repeats` calls after one warm-up: `query` (Library.found with the
    view's filters), then rows_frame of what it found."""
    rows = len(rows_frame(query()))
    sql: list[float] = []
    frame: list[float] = []
    total: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        found = query()
        queried = time.perf_counter()
        rows_frame(found)
        done = time.perf_counter()
        sql.append(queried - started)
        frame.append(done - queried)
        total.append(done - started)
    return ViewTime(1000 * statistics.median(sql), 1000 * statistics.median(frame), 1000 * statistics.median(total),
                    rows)


def verdict(value: float, target: float) -> str:
    return "meets" if value < target else "MISSES"


def time_views(library: Library) -> None:
    print("3. timing views ...", file=sys.stderr)
    current = library.rows(WORKSPACE)
    member = "Pelosi"
    ticker = current["ticker"][current["ticker"] != ""].value_counts().index[0]
    dates = sorted(library.rows(WORKSPACE, member=member)["transaction_date"])
    date_from, date_to = dates[len(dates) // 4], dates[3 * len(dates) // 4]
    timings: list[tuple[str, Callable[[], list[tuple[Any, ...]]]]] = [
        (f"member view: Library.rows(member={member!r})", lambda: library.found(WORKSPACE, member=member)),
        (f"ticker view: Library.rows(ticker={ticker!r}) (the most traded ticker)",
         lambda: library.found(WORKSPACE, ticker=ticker)),
        (f"filter change: Library.rows(member={member!r}, date_from={date_from!r}, date_to={date_to!r})",
         lambda: library.found(WORKSPACE, member=member, date_from=date_from, date_to=date_to)),
        ("filter change: Library.rows(search='microsoft')", lambda: library.found(WORKSPACE, search="microsoft")),
    ]
    for label, query in timings:
        timed = view_time(query)
        print(f"{label}: {timed.total:.0f} ms median of 5 for {timed.rows:,} rows (SQL {timed.sql:.0f} ms, decoding "
              f"into the frame {timed.frame:.0f} ms; {verdict(timed.total, VIEW_TARGET_MS)} the "
              f"{VIEW_TARGET_MS:.0f} ms target)")
    timed = view_time(lambda: library.found(WORKSPACE), repeats=3)
    print(f"for scale, no target: the whole library's current rows, Library.rows(): {timed.total:.0f} ms median of 3 "
          f"for {timed.rows:,} rows (SQL {timed.sql:.0f} ms, decoding into the frame {timed.frame:.0f} ms)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--filings", type=Path, default=ROOT.parent / "shared" / "filings")
    parser.add_argument("--senate", type=Path, default=ROOT.parent / "shared" / "senate")
    parser.add_argument("--rows", type=int, default=100_000, help="rows to grow the library to")
    parser.add_argument("--db", type=Path, help="the database to build (default: a new one in a temporary folder)")
    parser.add_argument("--views", type=Path, metavar="DB", help="only step 3, over a database built before (--db)")
    args = parser.parse_args(argv)
    if args.views:
        if not args.views.is_file():
            parser.error(f"--views: no database at {args.views}")
        library = Library(args.views)
        time_views(library)
        library.close()
        return 0
    paths = (sorted((args.filings / "pdfs").glob("*.pdf")) + sorted((args.senate / "efd").glob("*.html"))
             + sorted((args.senate / "efd_print").glob("*.pdf")))
    if not paths:
        parser.error(f"no filings under {args.filings} or {args.senate}")
    folder = tempfile.TemporaryDirectory(prefix="bench_library-")
    database = args.db or Path(folder.name) / "history.sqlite3"

    print(f"1. reading {len(paths)} files (sandboxed, no OCR) ...", file=sys.stderr)
    outcomes, read_seconds = read_all(paths)
    library = Library(database)
    started = time.perf_counter()
    added = library.add(WORKSPACE, outcomes)
    add_seconds = time.perf_counter() - started
    actions = Counter(item.action for item in added)
    stats = library.stats(WORKSPACE)
    filings = library.filings(WORKSPACE)
    chambers = Counter(filing.chamber for filing in filings)
    print(f"files read: {len(paths)} ({sum(p.suffix == '.pdf' for p in paths)} PDF, "
          f"{sum(p.suffix == '.html' for p in paths)} HTML) in {read_seconds:.1f} s (reading alone, sandboxed, "
          "no OCR)")
    print(f"Library.add of those {len(outcomes)} outcomes, one transaction: {add_seconds:.2f} s "
          f"({1000 * add_seconds / len(outcomes):.1f} ms a file)")
    print(f"filings stored: {stats.filings} (House {chambers['house']}, Senate {chambers['senate']}); "
          f"not stored (scans without OCR, failed): {actions['not_stored']}")
    print(f"rows stored: {stats.rows}; current {stats.current_rows}, superseded {stats.superseded_rows}")
    print(f"duplicates merged: {actions['replaced']} filings read again under the same filing ID (the eFD page "
          f"and its printed PDF) replaced the older reading; {actions['already_there']} same bytes already there")
    print(f"amendments linked: {stats.superseded_filings} Senate report versions superseded by a later amendment "
          f"({stats.superseded_rows - stats.linked_rows} of their rows superseded); {stats.linked_rows} House "
          "amended rows linked to the row they replace")
    library.close()
    print(f"database size after step 1: {database.stat().st_size / 1e6:.1f} MB (no file bytes kept: the benchmark "
          "passes none)")

    library = Library(database)
    # one outcome per filing ID (an eFD page and its printed PDF are one report), as the library keeps them
    readable = list({filing_key(outcome.filing): outcome for outcome in outcomes if outcome.filing
                     and outcome.status in ("ok", "flagged") and outcome.filing.transactions}.values())
    print(f"2. growing to {args.rows:,} rows ...", file=sys.stderr)
    copies: list[FileOutcome] = []
    grow_seconds, number, total = 0.0, 0, stats.rows
    while total < args.rows:
        number += 1
        batch: list[FileOutcome] = []
        for outcome in readable:
            assert outcome.filing is not None
            copy = copy_of(outcome.filing, number)
            batch.append(FileOutcome(copy.source_file, outcome.status, outcome.reason, copy))
            total += len(copy.transactions)
            if total >= args.rows:
                break
        for start in range(0, len(batch), BATCH):
            started = time.perf_counter()
            library.add(WORKSPACE, batch[start:start + BATCH])
            grow_seconds += time.perf_counter() - started
        copies += batch
    stats = library.stats(WORKSPACE)
    print(f"grown to {stats.rows:,} rows ({stats.current_rows:,} current) in {stats.filings:,} filings: "
          f"{len(copies):,} copied filings added {BATCH} per Library.add in {grow_seconds:.1f} s")

    time_views(library)


    print("4. adding 1,000 filings already read ...", file=sys.stderr)
    again = copies[:ALREADY_READ]
    started = time.perf_counter()
    results: list[LibraryAdd] = library.add(WORKSPACE, again)
    seconds = time.perf_counter() - started
    told = Counter(item.action for item in results)
    print(f"Library.add of {len(again):,} filings already in the library: {seconds:.2f} s, "
          f"{told['already_there']:,} reported already there ({verdict(seconds, ALREADY_READ_TARGET_S)} the "
          f"{ALREADY_READ_TARGET_S:.0f} s target)")
    library.close()
    print(f"database size at {stats.rows:,} rows: {database.stat().st_size / 1e6:.1f} MB")
    folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
