"""`python -m agent ask "REQUEST" [FILE_OR_DIR...] [--library] [--out DIR]`: a request in words over the filings
named (read as `extract` reads them) and/or the library's rows; prints the plan, each step, and the answer with
the rows it cites, and writes the outputs the request asks for (CSV, report, trace) into DIR.
Exit 0: answered; 3: the filings cannot answer it; 2: bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from agent.ask.answer import Answer
from agent.ask.loop import AskResult, ask
from agent.ask.queries import AskContext, Scope
from agent.errors import StoreError
from agent.export import to_dataframe
from agent.library_cli import add_store_arguments, open_library
from agent.models import FileOutcome
from agent.run.extract import extract_path, find_filings

CANNOT_ANSWER = 3
CITED_SHOWN = 20  # row keys printed; the rest are counted


def register_ask(commands: Any) -> None:
    """The `ask` command on the CLI's subparsers."""
    command: argparse.ArgumentParser = commands.add_parser(
        "ask", help="a request in words over filings or the library: the plan, the answer with the rows it cites, "
                    "and the outputs asked for")
    command.add_argument("request", help='e.g. "How many trades did Pelosi make in 2020?" or "I\'m a cautious '
                                         'investor, no options: do these fit? Give me a CSV"')
    command.add_argument("files", nargs="*", type=Path, metavar="FILE_OR_DIR",
                         help="filings (House PDFs, Senate eFD pages) or folders of them, read before answering")
    command.add_argument("--library", action="store_true", help="answer over the library's rows (and the files')")
    command.add_argument("--out", type=Path, metavar="DIR",
                         help="folder for the outputs the request asks for: transactions.csv, report.md, trace.jsonl")
    command.add_argument("--ocr", action=argparse.BooleanOptionalAction, default=None,
                         help="read scanned filings with OCR; on by default wherever tesseract is installed")
    add_store_arguments(command)
    command.set_defaults(handler=run_ask, command_parser=command)


def _read_files(command: argparse.ArgumentParser, names: list[Path], use_ocr: bool) -> list[FileOutcome]:
    missing = [str(name) for name in names if not name.exists()]
    if missing:
        command.error(f"no such file or folder: {', '.join(missing)}")
    paths = find_filings(names)
    if not paths:
        command.error("no filings (.pdf, .html, .htm) in " + ", ".join(map(str, names)))
    outcomes = []
    for path in paths:
        outcome = extract_path(path, use_ocr)
        if outcome.status in ("failed", "needs_ocr"):
            print(f"{path}: {outcome.status.replace('_', ' ')}: {outcome.reason}", file=sys.stderr)
        outcomes.append(outcome)
    return outcomes


def _rows(args: argparse.Namespace, outcomes: list[FileOutcome]) -> pd.DataFrame:
    frames = [to_dataframe([outcome.filing for outcome in outcomes if outcome.filing])] if outcomes else []
    if args.library:
        library = open_library(args)
        try:
            frames.append(library.rows(args.workspace))
        finally:
            library.close()
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _citations(answer: Answer) -> list[str]:
    if not answer.citations:
        return []
    shown = ", ".join(key.label for key in answer.citations[:CITED_SHOWN])
    more = answer.rows_total - min(len(answer.citations), CITED_SHOWN)
    return [f"Rows cited: {shown}" + (f", and {more} more" if more > 0 else "")]


def _write_outputs(out: Path | None, artifacts: dict[str, str]) -> list[str]:
    if not artifacts:
        return []
    if out is None:
        return [f"Outputs asked for ({', '.join(artifacts)}) were not written: give --out DIR."]
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in artifacts.items():
            (out / name).write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        return [f"{out}: cannot write the outputs there ({exc.strerror or exc})"]
    return [f"Wrote {', '.join(artifacts)} in {out}"]


def run_ask(args: argparse.Namespace) -> int:
    command: argparse.ArgumentParser = args.command_parser
    if not args.request.strip():
        command.error("the request is empty: say what you want to know, e.g. \"How many trades are there?\"")
    if not args.files and not args.library:
        command.error("give filings to read, or --library to ask over the library's rows")
    outcomes = _read_files(command, args.files, args.ocr) if args.files else []
    try:
        frame = _rows(args, outcomes)
    except StoreError as exc:
        print(f"library: cannot read it: {exc}", file=sys.stderr)
        return 1
    scope: Scope = "library" if args.library else "run"
    context = AskContext(frame, scope=scope, outcomes=outcomes)
    events = []
    for event in ask(args.request, context):
        events.append(event)
        if event.type == "plan":
            print(" ".join(event.headline.split()))
            print("".join(f"  - {step}\n" for step in getattr(event, "steps", [])), end="")
        elif event.type != "final_answer":
            print("  " + " ".join(event.headline.split()))
    outcome = AskResult(events).outcome
    print("\n" + outcome.text)
    lines = (_citations(outcome) if isinstance(outcome, Answer) else []) + _write_outputs(args.out, context.artifacts)
    print("".join(f"{line}\n" for line in lines), end="")
    return 0 if isinstance(outcome, Answer) else CANNOT_ANSWER
