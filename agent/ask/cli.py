"""`python -m agent ask "REQUEST" [FILE_OR_DIR...] [--library] [--out DIR] [--forget-profile]`: a request in words
over the filings named (read as `extract` reads them) and/or the library's rows; prints the plan, each step, and the
answer with the rows it cites, and writes the outputs the request asks for (CSV, report, trace) into DIR.

A profile the request states ("I'm a cautious investor, no options") is remembered for the workspace (--workspace),
in the same store the app keeps it in (--db, the app's data folder by default), and used by the next request that
asks for the fit; --forget-profile forgets it (alone, or before answering a request).
Exit 0: answered (or forgotten); 3: the filings cannot answer it; 2: bad arguments; 1: the store failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from agent.analysis.fit import InvestorProfile
from agent.ask.answer import Answer
from agent.ask.loop import AskResult, ask
from agent.ask.profile import describe_profile, remember_profile, remembered_profile
from agent.ask.queries import AskContext, Scope
from agent.errors import StoreError
from agent.export import to_dataframe
from agent.library_cli import add_store_arguments, open_library
from agent.models import FileOutcome
from agent.run.events import ToolCall
from agent.run.extract import extract_path, find_filings
from agent.store.paths import history_path
from agent.store.runs import RunStore

CANNOT_ANSWER = 3
CITED_SHOWN = 20  # row keys printed; the rest are counted


def register_ask(commands: Any) -> None:
    """The `ask` command on the CLI's subparsers."""
    command: argparse.ArgumentParser = commands.add_parser(
        "ask", help="a request in words over filings or the library: the plan, the answer with the rows it cites, "
                    "and the outputs asked for")
    command.add_argument("request", nargs="?", default="",
                         help='e.g. "How many trades did Pelosi make in 2020?" or "I\'m a cautious investor, no '
                              'options: do these fit? Give me a CSV"')
    command.add_argument("files", nargs="*", type=Path, metavar="FILE_OR_DIR",
                         help="filings (House PDFs, Senate eFD pages) or folders of them, read before answering")
    command.add_argument("--library", action="store_true", help="answer over the library's rows (and the files')")
    command.add_argument("--out", type=Path, metavar="DIR",
                         help="folder for the outputs the request asks for: transactions.csv, report.md, trace.jsonl")
    command.add_argument("--ocr", action=argparse.BooleanOptionalAction, default=None,
                         help="read scanned filings with OCR; on by default wherever tesseract is installed")
    command.add_argument("--forget-profile", action="store_true",
                         help="forget the investor profile remembered for the workspace (then answer the request, "
                              "if one is given)")
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


def _forget(store: RunStore, workspace: str) -> str:
    if store.forget_profile(workspace):
        return f"Forgot the profile remembered for workspace {workspace!r}."
    return f"No profile was remembered for workspace {workspace!r}: nothing to forget."


def _profile_line(context: AskContext, remembered: InvestorProfile | None, judged: bool, store: RunStore,
                  workspace: str) -> str:
    """Remember a profile the request stated, and say so; or say that the fit (`judged`) used the remembered one."""
    stated = context.profile
    if stated is None or stated == remembered:
        return (f"The fit used the profile remembered for workspace {workspace!r}: {describe_profile(remembered)} "
                "(--forget-profile forgets it)." if remembered and judged else "")
    try:
        remember_profile(store, workspace, stated)
    except StoreError as exc:
        return f"Profile {describe_profile(stated)} not remembered: {exc}"
    return (f"Remembered for workspace {workspace!r}: {describe_profile(stated)}; the next request uses it "
            "(--forget-profile forgets it).")


def run_ask(args: argparse.Namespace) -> int:
    command: argparse.ArgumentParser = args.command_parser
    if not args.request.strip() and not args.forget_profile:
        command.error("the request is empty: say what you want to know, e.g. \"How many trades are there?\"")
    if args.request.strip() and not args.files and not args.library:
        command.error("give filings to read, or --library to ask over the library's rows")
    try:
        store = RunStore(args.db or history_path())
    except StoreError as exc:
        print(f"history: cannot open it: {exc}", file=sys.stderr)
        return 1
    try:
        return _answer(args, command, store)
    finally:
        store.close()


def _answer(args: argparse.Namespace, command: argparse.ArgumentParser, store: RunStore) -> int:
    try:
        if args.forget_profile:
            print(_forget(store, args.workspace))
        profile = remembered_profile(store, args.workspace)
    except StoreError as exc:
        print(f"history: cannot read the remembered profile: {exc}; `ask --forget-profile` forgets it", file=sys.stderr)
        return 1
    if not args.request.strip():
        return 0
    outcomes = _read_files(command, args.files, args.ocr) if args.files else []
    try:
        frame = _rows(args, outcomes)
    except StoreError as exc:
        print(f"library: cannot read it: {exc}", file=sys.stderr)
        return 1
    scope: Scope = "library" if args.library else "run"
    context = AskContext(frame, scope=scope, profile=profile, outcomes=outcomes)
    events = []
    for event in ask(args.request, context):
        events.append(event)
        if event.type == "plan":
            print(" ".join(event.headline.split()))
            print("".join(f"  - {step}\n" for step in getattr(event, "steps", [])), end="")
        elif event.type != "final_answer":
            print("  " + " ".join(event.headline.split()))
    outcome = AskResult(events).outcome
    answer = "\n".join(sentence.text for sentence in outcome.sentences) if isinstance(outcome, Answer) else outcome.text
    print("\n" + answer)
    lines = (_citations(outcome) if isinstance(outcome, Answer) else []) + _write_outputs(args.out, context.artifacts)
    judged = any(isinstance(event, ToolCall) and event.tool == "investor_fit" for event in events)
    lines.append(_profile_line(context, profile, judged, store, args.workspace))
    print("".join(f"{line}\n" for line in lines if line), end="")
    return 0 if isinstance(outcome, Answer) else CANNOT_ANSWER
