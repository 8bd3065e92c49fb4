"""Command line: `python -m agent extract FILE_OR_DIR... -o out.csv [--json out.json]`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from agent.export import filings_csv
from agent.models import FileOutcome
from agent.run.extract import extract_path, find_filings


def _progress(done: int, total: int, name: str) -> None:
    if not sys.stderr.isatty():
        return
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:40]:<40}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def summary_line(outcomes: list[FileOutcome], seconds: float) -> str:
    count = {status: sum(1 for o in outcomes if o.status == status) for status in ("needs_ocr", "failed")}
    rows = sum(outcome.rows for outcome in outcomes)
    flagged = sum(outcome.flagged_rows for outcome in outcomes)
    return (f"files: {len(outcomes)}, rows: {rows}, flagged rows: {flagged}, needs OCR: {count['needs_ocr']}, "
            f"failed: {count['failed']}, seconds: {seconds:.2f}")


def run_extract(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    missing = [str(path) for path in args.inputs if not path.exists()]
    for name in missing:
        print(f"{name}: no such file or folder", file=sys.stderr)
    paths = find_filings([path for path in args.inputs if path.exists()])
    outcomes = []
    for number, path in enumerate(paths, start=1):
        outcome = extract_path(path, args.ocr)
        outcomes.append(outcome)
        _progress(number, len(paths), path.name)
        if outcome.status in ("failed", "needs_ocr"):
            print(f"{path}: {outcome.status.replace('_', ' ')}: {outcome.reason}", file=sys.stderr)
    filings = [outcome.filing for outcome in outcomes if outcome.filing]
    args.output.write_text(filings_csv(filings), encoding="utf-8", newline="")
    if args.json:
        payload = [outcome.to_dict() for outcome in outcomes]
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    print(summary_line(outcomes, time.perf_counter() - started))
    return 1 if missing or any(outcome.status == "failed" for outcome in outcomes) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m agent",
                                     description="Read House and Senate PTR filings into transactions.")
    commands = parser.add_subparsers(dest="command", required=True)
    extract = commands.add_parser("extract", help="extract transactions from filings (PDFs, saved eFD pages) or "
                                  "folders of them")
    extract.add_argument("inputs", nargs="+", type=Path, metavar="FILE_OR_DIR")
    extract.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write")
    extract.add_argument("--json", type=Path, help="also write every file's outcome, rows and provenance as JSON")
    extract.add_argument("--ocr", action="store_true",
                         help="read scanned filings with OCR (experimental, several seconds a page)")
    extract.set_defaults(handler=run_extract)
    return parser


Handler = Callable[[argparse.Namespace], int]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)
