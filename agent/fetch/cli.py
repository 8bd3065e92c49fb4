"""Command line of the Clerk fetcher.

`python -m agent fetch --member NAME --year YEAR [--year ...] [--district ST00] -o out.csv [--json out.json]`: the
member's PTRs of those years downloaded (kept on disk), read by the agent and added to the library; exit 0 when every
filing was read, 1 when any was not, 2 when the name is unknown or ambiguous (the candidates listed).
`python -m agent watch add NAME [--district ST00]`, `watch list`, `watch remove NAME`, `watch check`: the cron job,
which prints the watched members' new filings and reads them; exit 0 none, 3 new ones, 1 on an error.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agent.errors import StoreError
from agent.export import filings_csv
from agent.fetch.cache import FetchCache
from agent.fetch.fetcher import Download, Fetcher, ptrs_of
from agent.fetch.index import FIRST_YEAR, IndexRecord
from agent.fetch.job import Reading, inputs_of, known_doc_ids, read_into_library
from agent.fetch.members import members_named, normalise_district
from agent.fetch.watch import WatchList, new_filings, still_missing
from agent.library_cli import add_store_arguments
from agent.run.events import Event
from agent.run.llm import LLMConfig
from agent.run.loop import Agent, brain_for
from agent.store.library import Library
from agent.store.paths import history_path
from agent.store.runs import RunStore

NEW_FILINGS = 3  # watch check's exit code when there were new filings
INTERRUPTED_CODE = 130  # the shell's code for a command stopped by Ctrl-C
INTERRUPTED = "interrupted: the PDFs downloaded so far are kept on disk; the same command again resumes"


def clerk_year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        year = 0
    last = datetime.date.today().year
    if not FIRST_YEAR <= year <= last:
        raise argparse.ArgumentTypeError(f"{text!r}: give a year from {FIRST_YEAR} to {last}")
    return year


def district(text: str) -> str:
    try:
        return normalise_district(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cache_folder(db: Path) -> Path:
    """Downloads live beside the database, in its folder 'clerk': the app's data folder, or the folder of --db."""
    return db.parent / "clerk"


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def trace(event: Event) -> None:
    if event.type != "thought_delta":
        text = " ".join(event.headline.split())
        say(f"  {text}" if event.file and event.type not in ("file_started", "file_finished") else text)


class Session:
    """What a command works with: the database (history, library, watch list) and the Clerk, opened once."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workspace: str = args.workspace
        db: Path = args.db or history_path()
        self.store = RunStore(db)
        self.library = Library.for_store(self.store)
        self.fetcher = Fetcher(FetchCache(cache_folder(db)))

    def close(self) -> None:
        self.fetcher.client.close()
        self.library.close()
        self.store.close()

    def download(self, records: Sequence[IndexRecord]) -> tuple[list[Download], list[str]]:
        downloads, problems = [], []
        for record in records:
            download = self.fetcher.download(record)
            downloads.append(download)
            if download.problem:
                problems.append(download.problem)
                say(download.problem)
        return downloads, problems

    def read(self, downloads: Sequence[Download]) -> Reading | None:
        files = inputs_of(downloads)
        if not files:
            return None
        agent = Agent(brain_for(LLMConfig.from_sources()), cache=self.store, ocr=self.args.ocr)
        reading = read_into_library(agent, files, self.store, self.library, self.workspace, on_event=trace)
        for added in reading.added:
            say(f"library: {added.source_file}: {added.message or added.action.replace('_', ' ')}")
        return reading


def listing(record: IndexRecord) -> str:
    return f"{record.doc_id}\t{record.filing_date}\t{record.name} ({record.state_district})"


def counts(downloads: Sequence[Download], reading: Reading | None) -> str:
    had = [download for download in downloads if download.data is not None]
    from_disk = sum(1 for download in had if download.from_disk)
    rows = sum(outcome.rows for outcome in reading.result.outcomes) if reading else 0
    stored = sum(1 for added in reading.added if added.action in ("added", "replaced")) if reading else 0
    return (f"{len(downloads)} PTR(s) listed, {len(had)} downloaded ({from_disk} from disk), "
            f"{len(downloads) - len(had)} not had; {rows} row(s) read; {stored} filing(s) new to the library")


# --- fetch --------------------------------------------------------------------------------------------------------


def open_session(args: argparse.Namespace) -> Session | None:
    try:
        return Session(args)
    except StoreError as exc:
        say(str(exc))
        return None


def in_session(args: argparse.Namespace, work: Callable[[Session], int]) -> int:
    """`work` in a session of the command's library and download folder: a store that fails is one line and exit 1,
    Ctrl-C says the downloads are kept (exit 130); the session is closed either way."""
    session = open_session(args)
    if session is None:
        return 1
    try:
        return work(session)
    except StoreError as exc:
        say(str(exc))
        return 1
    except KeyboardInterrupt:
        say(INTERRUPTED)
        return INTERRUPTED_CODE
    finally:
        session.close()


def run_fetch(args: argparse.Namespace) -> int:
    return in_session(args, lambda session: _fetch(session, args))


def _fetch(session: Session, args: argparse.Namespace) -> int:
    lookup = session.fetcher.lookup(args.member, args.year, args.district or "")
    for note in lookup.notes:
        say(note)
    member = lookup.member
    if member is None:
        if lookup.notes and not lookup.match.closest and not lookup.match.members:
            return 1  # no index could be had: the site, not the name, is the problem
        say(lookup.match.problem())
        return 2
    for record in lookup.ptrs:
        print(listing(record))
    if lookup.none_found():
        say(lookup.none_found())
    downloads, problems = session.download(lookup.ptrs)
    reading = session.read(downloads)
    problems += reading.unread() if reading else []
    filings = reading.result.filings if reading else []
    args.output.write_text(filings_csv(filings), encoding="utf-8", newline="")
    if args.json:
        payload: dict[str, Any] = {
            "member": member.label, "years": sorted(set(args.year)),
            "ptrs": [{"doc_id": r.doc_id, "filing_date": r.filing_date, "year": r.year} for r in lookup.ptrs],
            "problems": problems, "outcomes": [o.to_dict() for o in reading.result.outcomes] if reading else []}
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"{member.label}, {', '.join(map(str, sorted(set(args.year))))}: {counts(downloads, reading)}")
    return 1 if problems or (lookup.notes and not lookup.ptrs) else 0


# --- watch --------------------------------------------------------------------------------------------------------


def default_years() -> list[int]:
    return [datetime.date.today().year]


def run_watch(args: argparse.Namespace) -> int:
    return in_session(args, lambda session: _watch(session, args))


def _watch(session: Session, args: argparse.Namespace) -> int:
    if args.action == "list":
        return _watch_list(session)
    if args.action == "check":
        return _watch_check(session, args)
    return _watch_change(session, args)


def _watch_list(session: Session) -> int:
    watches = WatchList(session.store).watches(session.workspace)
    for watch in watches:
        print(watch.member.label)
    if not watches:
        say("no members watched (add one: python -m agent watch add NAME)")
    return 0


def _watch_change(session: Session, args: argparse.Namespace) -> int:
    watchlist = WatchList(session.store)
    if args.action == "remove":
        watched = [watch.member for watch in watchlist.watches(session.workspace)]
        gone = members_named(watched, args.name, args.district or "")
        if len(gone) != 1:
            say(f"{args.name!r} is not watched" if not gone else
                f"{args.name!r} matches {len(gone)} watched members: {'; '.join(m.label for m in gone)}; "
                "give the district (--district ST00)")
            return 2
        watchlist.remove(session.workspace, gone[0])
        print(f"no longer watching {gone[0].label}")
        return 0
    # a member is found in the years' indexes: the current one, and the last (a member who has not filed yet)
    years = args.year or [*default_years(), default_years()[0] - 1]
    lookup = session.fetcher.lookup(args.name, years, args.district or "")
    for note in lookup.notes:
        say(note)
    if lookup.member is None:
        say(lookup.match.problem())
        return 2
    added = watchlist.add(session.workspace, lookup.member)
    print(f"{'watching' if added else 'already watching'} {lookup.member.label}")
    return 0


def _watch_check(session: Session, args: argparse.Namespace) -> int:
    watched = [watch.member for watch in WatchList(session.store).watches(session.workspace)]
    if not watched:
        say("no members watched (add one: python -m agent watch add NAME)")
        return 0
    records, problems = session.fetcher.indexes(args.year or default_years())
    for note in problems:
        say(note)
    new, waiting = still_missing(new_filings(records, watched, known_doc_ids(session.library, session.workspace)),
                                 session.fetcher)
    for note in waiting:
        say(note)
    for record in new:
        print(f"new: {listing(record)}")
    downloads, failed = session.download(new)
    reading = session.read(downloads)
    failed += reading.unread() if reading else []
    for member in watched:
        theirs, _ = ptrs_of(records, member)
        fresh = sum(1 for record in new if record in theirs)
        say(f"{member.label}: {len(theirs)} PTR(s) in the index, {fresh} new")
    if failed or problems:  # an index not had, or only an old copy: new filings may have been missed
        return 1
    return NEW_FILINGS if new else 0


# --- parser -------------------------------------------------------------------------------------------------------


def _add_ocr(command: argparse.ArgumentParser) -> None:
    command.add_argument("--ocr", action=argparse.BooleanOptionalAction, default=None,
                         help="read scanned PTRs with OCR (several seconds a page); on wherever tesseract is installed")


def register_fetch(commands: Any) -> None:
    """Add `fetch` and `watch` to the command line's subcommands (`commands`, from add_subparsers)."""
    fetch: argparse.ArgumentParser = commands.add_parser(
        "fetch", help="download a member's PTRs from the House Clerk, read them and add them to the library")
    fetch.add_argument("--member", required=True, metavar="NAME", help="the member's name: 'Josh Gottheimer', "
                       "'Gottheimer, Josh' or a last name")
    fetch.add_argument("--year", type=clerk_year, action="append", required=True,
                       help="a year of filings (repeat for several)")
    fetch.add_argument("--district", type=district, metavar="ST00",
                       help="state and district (NJ05) or state (NJ), to tell namesakes apart")
    fetch.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write the rows read to")
    fetch.add_argument("--json", type=Path, help="also write the PTRs listed, the problems and every outcome as JSON")
    add_store_arguments(fetch)
    _add_ocr(fetch)
    fetch.set_defaults(handler=run_fetch, command_parser=fetch)

    watch: argparse.ArgumentParser = commands.add_parser(
        "watch", help="watch members for new PTRs; 'watch check' fetches them (a cron job: exit 0 none, 3 new, "
                      "1 error)")
    actions = watch.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="watch a member")
    remove = actions.add_parser("remove", help="stop watching a member")
    for change in (add, remove):
        change.add_argument("name", metavar="NAME", help="the member's name")
        change.add_argument("--district", type=district, metavar="ST00", help="state and district, for namesakes")
        add_store_arguments(change)
        change.set_defaults(ocr=False)
    add.add_argument("--year", type=clerk_year, action="append",
                     help="find the member in this year's index (default: this year's and last year's)")
    listed = actions.add_parser("list", help="the members watched")
    add_store_arguments(listed)
    listed.set_defaults(ocr=False)
    check = actions.add_parser("check", help="fetch and read the watched members' PTRs the library does not have")
    check.add_argument("--year", type=clerk_year, action="append", help="the index to check (default: this year's)")
    add_store_arguments(check)
    _add_ocr(check)
    for command in (add, remove, listed, check):
        command.set_defaults(handler=run_watch, command_parser=command)
