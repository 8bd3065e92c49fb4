"""Command line.

`python -m agent extract FILE_OR_DIR... -o out.csv [--json out.json] [--no-ocr] [--one-filing]`: the rows alone,
fast; --one-filing reads the page images named (GIF, PNG, JPEG, TIFF) as the pages of one report, as the app's
"These images are one filing" does.
`python -m agent run FILE_OR_DIR... --out DIR [--risk ...] [--horizon ...] [--no-options] [--max-position PCT]`:
the whole job as the app does it (the agent's loop, its trace live on stderr), writing DIR/transactions.csv,
DIR/report.md and DIR/trace.jsonl, the same files as the app's downloads, and adding the filings to the library.
`python -m agent library add|export|show ...`: the library (agent/library_cli.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from agent.analysis.fit import HORIZONS, RISK_LEVELS, InvestorProfile
from agent.analysis.report import markdown_report
from agent.ask.cli import register_ask
from agent.documents import ocr
from agent.documents.images import bundle_images
from agent.documents.sandbox import safe_display_name
from agent.export import filings_csv, to_dataframe
from agent.fetch.cli import register_fetch
from agent.library_cli import add_store_arguments, register_library, store_outcomes
from agent.models import FileOutcome, InputFile
from agent.run.events import Event, to_jsonl
from agent.run.extract import extract_bytes, extract_path, find_filings
from agent.run.llm import LLMConfig
from agent.run.loop import Agent, brain_for
from agent.run.result import RunResult

OUTPUT_NAMES = ("transactions.csv", "report.md", "trace.jsonl")


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


def _ocr_hint(outcomes: list[FileOutcome], used_ocr: bool) -> None:
    """A scan left unread because tesseract is missing: say how to install it (once, after the files)."""
    if not used_ocr and not ocr.available() and any(outcome.status == "needs_ocr" for outcome in outcomes):
        print(f"scanned filings were not read: {ocr.MISSING_MESSAGE}", file=sys.stderr)


# --- argument types: a bad argument stops the command before any work, with exit code 2 ---------------------------


def existing_path(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file or folder")
    return path


def writable_folder(text: str) -> Path:
    """The output folder, created if needed, and proven writable by writing a file in it."""
    folder = Path(text)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except FileExistsError:
        raise argparse.ArgumentTypeError(f"{text}: is a file, not a folder") from None
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"{text}: cannot write there ({exc.strerror or exc})") from None
    return folder


def position_percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r}: give a percentage of volume from 1 to 100")
    return value


# --- extract ------------------------------------------------------------------------------------------------------


def _filings_to_read(args: argparse.Namespace) -> tuple[list[tuple[str, Callable[[], FileOutcome]]], bool]:
    """Each filing's name and how to read it: a file each, or with --one-filing the page images as one report
    (its pages in the names' order, the other files each on its own; a file that cannot be read is said so on
    stderr, and the second value is True)."""
    if not args.one_filing:
        return [(str(path), partial(extract_path, path, args.ocr)) for path in args.paths], False
    files, problems = _read_inputs(args.paths)
    for problem in problems:
        print(problem, file=sys.stderr)
    return [(file.name, partial(extract_bytes, file.data, file.name, args.ocr)) for file in bundle_images(files)], \
        bool(problems)


def run_extract(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    outcomes = []
    to_read, unreadable = _filings_to_read(args)
    for number, (name, read) in enumerate(to_read, start=1):
        outcome = read()
        outcomes.append(outcome)
        _progress(number, len(to_read), Path(name).name)
        if outcome.status in ("failed", "needs_ocr"):
            print(f"{name}: {outcome.status.replace('_', ' ')}: {outcome.reason}", file=sys.stderr)
    _ocr_hint(outcomes, args.ocr)
    filings = [outcome.filing for outcome in outcomes if outcome.filing]
    args.output.write_text(filings_csv(filings), encoding="utf-8", newline="")
    if args.json:
        payload = [outcome.to_dict() for outcome in outcomes]
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    print(summary_line(outcomes, time.perf_counter() - started))
    return 1 if unreadable or any(outcome.status == "failed" for outcome in outcomes) else 0


# --- run ----------------------------------------------------------------------------------------------------------


def trace_line(event: Event) -> str:
    """One line a step: the event's headline, a file's steps indented under its 'File i/n' line."""
    text = " ".join(event.headline.split())
    return f"  {text}" if event.file and event.type not in ("file_started", "file_finished") else text


def _read_inputs(paths: list[Path]) -> tuple[list[InputFile], list[str]]:
    """The files' bytes under the names the app would give them, and a message for each file that cannot be read."""
    files, problems = [], []
    for path in paths:
        try:
            files.append(InputFile(safe_display_name(path.name), path.read_bytes()))
        except OSError as exc:
            problems.append(f"{path}: failed: cannot read the file ({exc.strerror or exc})")
    return files, problems


def profile_of(args: argparse.Namespace) -> InvestorProfile:
    share = args.max_position / 100 if args.max_position is not None else None
    return InvestorProfile(args.risk, args.horizon, args.no_options, share)


def run_job(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    files, problems = _read_inputs(args.paths)
    for problem in problems:
        print(problem, file=sys.stderr)
    files = bundle_images(files) if args.one_filing else files
    agent = Agent(brain_for(LLMConfig.from_sources()), ocr=args.ocr)
    width = shutil.get_terminal_size().columns if sys.stderr.isatty() else 0
    events = []
    for event in agent.events(files):
        if event.type == "thought_delta":  # the finished thought follows as one line
            continue
        events.append(event)
        line = trace_line(event)
        print(line[:width] if width else line, file=sys.stderr, flush=True)
    result = RunResult.from_events(events)
    _ocr_hint(result.outcomes, args.ocr)
    texts = (filings_csv(result.filings),
             markdown_report(result.outcomes, to_dataframe(result.filings), profile_of(args), result.outcome,
                             trace=result.events),
             to_jsonl(result.events))
    for name, text in zip(OUTPUT_NAMES, texts):
        try:
            (args.out / name).write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            print(f"{args.out / name}: cannot write it ({exc.strerror or exc})", file=sys.stderr)
            return 1
    print(f"{summary_line(result.outcomes, time.perf_counter() - started)}; wrote {', '.join(OUTPUT_NAMES)} "
          f"in {args.out}")
    print(store_outcomes(args, result.outcomes, {item.name: item.data for item in files}))
    return 1 if problems or any(outcome.status == "failed" for outcome in result.outcomes) else 0


# --- parser -------------------------------------------------------------------------------------------------------


def _add_inputs(command: argparse.ArgumentParser) -> None:
    command.add_argument("inputs", nargs="+", type=existing_path, metavar="FILE_OR_DIR",
                         help="filings (House PDFs, Senate eFD pages saved or printed) or folders of them")
    command.add_argument("--ocr", action=argparse.BooleanOptionalAction, default=None,
                         help="read scanned filings with OCR (several seconds a page); on by default wherever "
                              "tesseract is installed")
    command.add_argument("--one-filing", action="store_true",
                         help="the page images named (GIF, PNG, JPEG, TIFF: one file a page) are one report, read "
                              "in their names' order (page2 before page10); without it each image is a filing")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m agent",
                                     description="Read House and Senate PTR filings into transactions.")
    commands = parser.add_subparsers(dest="command", required=True)
    extract = commands.add_parser("extract", help="extract transactions from filings (PDFs, saved eFD pages) or "
                                  "folders of them")
    _add_inputs(extract)
    extract.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write")
    extract.add_argument("--json", type=Path, help="also write every file's outcome, rows and provenance as JSON")
    extract.set_defaults(handler=run_extract, command_parser=extract)

    run = commands.add_parser("run", help="the whole job, like the app: the agent with its trace, then the CSV, "
                              "the report for an investor profile and the trace, written to a folder")
    _add_inputs(run)
    run.add_argument("--out", type=writable_folder, required=True, metavar="DIR",
                     help=f"folder to write {', '.join(OUTPUT_NAMES)} in (created if missing)")
    run.add_argument("--risk", choices=RISK_LEVELS, default="medium", help="risk tolerance (default: medium)")
    run.add_argument("--horizon", choices=HORIZONS, default="medium",
                     help="investment horizon (default: medium)")
    run.add_argument("--no-options", action="store_true", help="the investor avoids options")
    run.add_argument("--max-position", type=position_percent, metavar="PCT",
                     help="largest share of volume one position may hold, in percent (1-100; default: no limit)")
    add_store_arguments(run)
    run.set_defaults(handler=run_job, command_parser=run)
    register_fetch(commands)
    register_library(commands)
    register_ask(commands)
    return parser


Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: argparse.ArgumentParser = args.command_parser
    if hasattr(args, "ocr"):  # the commands that read filings
        if args.ocr and not ocr.available():
            command.error(f"--ocr: {ocr.MISSING_MESSAGE}")
        args.ocr = ocr.available() if args.ocr is None else args.ocr  # like the app: on wherever tesseract is
    if hasattr(args, "inputs"):  # the commands that read files named on the command line
        args.paths = find_filings(args.inputs)
        if not args.paths:
            command.error("no filings (.pdf, .html, .htm) in " + ", ".join(map(str, args.inputs)))
    handler: Handler = args.handler
    return handler(args)
