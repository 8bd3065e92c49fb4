"""`python -m agent library ...`: the library from the command line, the same one the app shows.

`library add FILE_OR_DIR... [--db FILE] [--workspace W] [--no-ocr]`: read like `extract`, store, say per file what
the library did. `library export -o out.csv [--all] [--json out.json]`: its rows in extract's CSV columns.
`library show --member NAME | --ticker T`: a short table in the terminal.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from agent.analysis.library_views import members_table, tickers_table
from agent.errors import StoreError
from agent.export import transaction_type_label
from agent.models import FileOutcome
from agent.run.extract import extract_bytes
from agent.store.library import Library, LibraryAdd
from agent.store.paths import history_path

DEFAULT_WORKSPACE = "cli"
SHOWN_ROWS = 40  # a short table: the latest trades; export gives all
_ACTION_WORDS = {"added": "added", "already_there": "already there", "replaced": "replaced",
                 "not_stored": "not stored"}


def add_store_arguments(command: argparse.ArgumentParser) -> None:
    """--db and --workspace: which library, for every command that uses one."""
    command.add_argument("--db", type=Path, default=None, metavar="FILE",
                         help=f"the library (and history) database (default: {history_path()}, the app's)")
    command.add_argument("--workspace", default=DEFAULT_WORKSPACE,
                         help=f"whose library (default: {DEFAULT_WORKSPACE}; the app's workspaces are its browser "
                              "tokens)")


def open_library(args: argparse.Namespace) -> Library:
    return Library(args.db or history_path())


def store_outcomes(args: argparse.Namespace, outcomes: Sequence[FileOutcome], files: Mapping[str, bytes]) -> str:
    """Add the outcomes to the library, printing one line per file; the counts, or why nothing was stored."""
    try:
        library = open_library(args)
        try:
            added = library.add(args.workspace, outcomes, files)
        finally:
            library.close()
    except StoreError as exc:
        return f"library: nothing stored: {exc}"
    for item in added:
        print(f"{item.source_file}: {item.message}")  # each message says what the library did
    return library_summary(added)


def library_summary(added: Sequence[LibraryAdd]) -> str:
    counts = {action: sum(1 for item in added if item.action == action) for action in _ACTION_WORDS}
    return "library: " + ", ".join(f"{words} {counts[action]}" for action, words in _ACTION_WORDS.items())


# --- add ----------------------------------------------------------------------------------------------------------


def run_add(args: argparse.Namespace) -> int:
    from agent.cli import _ocr_hint, _progress, summary_line  # extract's own reporting (agent.cli imports this module)

    started = time.perf_counter()
    outcomes: list[FileOutcome] = []
    files: dict[str, bytes] = {}
    for number, path in enumerate(args.paths, start=1):
        try:
            data = path.read_bytes()
        except OSError as exc:
            outcome = FileOutcome(str(path), "failed", f"cannot read the file ({exc.strerror or exc})")
        else:
            outcome = extract_bytes(data, path.name, args.ocr)
            files[outcome.source_file] = data
        outcomes.append(outcome)
        _progress(number, len(args.paths), path.name)
        if outcome.status in ("failed", "needs_ocr"):
            print(f"{path}: {outcome.status.replace('_', ' ')}: {outcome.reason}", file=sys.stderr)
    _ocr_hint(outcomes, args.ocr)
    stored = store_outcomes(args, outcomes, files)
    print(stored)
    print(summary_line(outcomes, time.perf_counter() - started))
    return 1 if stored.startswith("library: nothing stored") or any(o.status == "failed" for o in outcomes) else 0


# --- export -------------------------------------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    which = "rows (superseded ones too)" if args.all else "current rows"
    try:
        library = open_library(args)
        try:
            count = library.export_csv(args.workspace, args.output, all_rows=args.all)
            if args.json:
                library.export_json(args.workspace, args.json, all_rows=args.all)
        finally:
            library.close()
    except StoreError as exc:
        print(f"library export: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"library export: cannot write {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    written = ", ".join(str(path) for path in (args.output, args.json) if path)
    print(f"library export: {count} {which} of workspace {args.workspace!r} written to {written}")
    return 0


# --- show ---------------------------------------------------------------------------------------------------------


def run_show(args: argparse.Namespace) -> int:
    try:
        library = open_library(args)
        try:
            frame = library.rows(args.workspace, member=args.member or "", ticker=args.ticker or "")
        finally:
            library.close()
    except StoreError as exc:
        print(f"library show: {exc}", file=sys.stderr)
        return 1
    subject = f"member {args.member!r}" if args.member else f"ticker {args.ticker.upper()!r}"
    if frame.empty:
        print(f"no current rows for {subject} in workspace {args.workspace!r}")
        return 0
    print(summary_text(frame, by_member=bool(args.member)))
    print(trades_text(frame))
    if len(frame) > SHOWN_ROWS:
        print(f"(the latest {SHOWN_ROWS} of {len(frame)} trades; `library export` writes them all)")
    return 0


def summary_text(frame: pd.DataFrame, by_member: bool) -> str:
    """The members' or the ticker's line of the library views."""
    table = members_table(frame) if by_member else tickers_table(frame)
    lines = []
    for row in table.to_dict("records"):
        subject = row["filer"] if by_member else f"{row['ticker']} (traded by {row['member_names']})"
        span = f"{row['first_trade'] or '?'} to {row['last_trade'] or '?'}"
        money = (f"estimated volume {_money_range(row['volume_low'], row['volume_high'])}" if by_member else
                 f"net estimated flow {_money_range(row['net_flow_low'], row['net_flow_high'])}")
        lines.append(f"{subject}: {row['trades']} trades, {row['buys']} buys, {row['sells']} sells, {span}, {money}")
    return "\n".join(lines)


def _money_range(low: Any, high: Any) -> str:
    """A range of the disclosed brackets' sums; an open bracket ("Over $X") leaves no upper bound (NaN)."""
    if low is None or pd.isna(low):
        return "unknown"
    upper = "no upper bound" if high is None or pd.isna(high) else f"${high:,.0f}"
    return f"${low:,.0f} to {upper}"


def trades_text(frame: pd.DataFrame) -> str:
    """The latest trades as fixed-width columns."""
    latest = frame.sort_values("transaction_date", ascending=False).head(SHOWN_ROWS)
    columns = (("Traded", 10), ("Filer", 24), ("Ticker", 6), ("Type", 14), ("Amount", 25), ("Asset", 36))
    lines = ["  ".join(name.ljust(width) for name, width in columns).rstrip()]
    for row in latest.to_dict("records"):
        cells = (row["transaction_date"], row["filer_name"], row["ticker"],
                 transaction_type_label(row["transaction_type"]), row["amount"], row["asset_name"])
        lines.append("  ".join(str(cell)[:width].ljust(width) for cell, (_, width) in zip(cells, columns)).rstrip())
    return "\n".join(lines)


# --- parser -------------------------------------------------------------------------------------------------------


def register_library(commands: Any) -> None:
    """Add `library add|export|show` to the command line's subcommands (`commands`, from add_subparsers)."""
    from agent.cli import _add_inputs  # extract's input arguments (agent.cli imports this module)

    library: argparse.ArgumentParser = commands.add_parser(
        "library", help="the library of every filing read: add filings, export its rows, show a member or a ticker")
    actions = library.add_subparsers(dest="action", required=True)

    add = actions.add_parser("add", help="read filings like extract and add them to the library")
    _add_inputs(add)
    add_store_arguments(add)
    add.set_defaults(handler=run_add, command_parser=add)

    export = actions.add_parser("export", help="write the library's rows as CSV (extract's columns), and JSON")
    export.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write")
    export.add_argument("--json", type=Path, help="also write the rows, with their provenance, as JSON")
    export.add_argument("--all", action="store_true",
                        help="all rows, superseded ones too, with library_id, row_state, superseded_by and replaces")
    add_store_arguments(export)
    export.set_defaults(handler=run_export, command_parser=export)

    show = actions.add_parser("show", help="a member's or a ticker's trades in the library, as a short table")
    subject = show.add_mutually_exclusive_group(required=True)
    subject.add_argument("--member", metavar="NAME", help="words of the filer's name ('Pelosi', 'Nancy Pelosi')")
    subject.add_argument("--ticker", metavar="T", help="a ticker (NVDA)")
    add_store_arguments(show)
    show.set_defaults(handler=run_show, command_parser=show)
