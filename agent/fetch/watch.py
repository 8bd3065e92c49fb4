"""The watch list: members whose new PTRs a check fetches. Kept per workspace in the history database's `watches`
table (migration 5), beside the library that tells which filings are new."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from agent.fetch.fetcher import Fetcher
from agent.fetch.index import IndexRecord
from agent.fetch.members import Member, is_member
from agent.store.runs import RunStore


@dataclass(frozen=True)
class Watch:
    member: Member
    added_at: float


class WatchList:
    def __init__(self, store: RunStore) -> None:
        self.store = store

    def add(self, workspace: str, member: Member) -> bool:
        """Watch `member`; False when they were watched already."""
        with self.store.connection() as db:
            cursor = db.execute("INSERT OR IGNORE INTO watches (workspace, last_name, first_name, state_district, "
                                "added_at) VALUES (?, ?, ?, ?, ?)",
                                (workspace, member.last, member.first, member.state_district, time.time()))
            return cursor.rowcount == 1

    def remove(self, workspace: str, member: Member) -> bool:
        """Stop watching `member`; False when they were not watched."""
        with self.store.connection() as db:
            cursor = db.execute("DELETE FROM watches WHERE workspace = ? AND last_name = ? AND first_name = ? "
                                "AND state_district = ?", (workspace, member.last, member.first, member.state_district))
            return cursor.rowcount > 0

    def watches(self, workspace: str) -> list[Watch]:
        with self.store.connection() as db:
            rows = db.execute("SELECT last_name, first_name, state_district, added_at FROM watches "
                              "WHERE workspace = ? ORDER BY last_name, first_name, state_district", (workspace,))
            return [Watch(Member(last, first, district), added_at) for last, first, district, added_at in rows]


def new_filings(records: Iterable[IndexRecord], watched: Iterable[Member], known: set[str]) -> list[IndexRecord]:
    """The watched members' PTRs in `records` whose DocID is not in `known` (what the library holds), each once, by
    filing date."""
    members = list(watched)
    found = {record.doc_id: record for record in records
             if record.is_ptr and record.doc_id not in known and any(is_member(record, m) for m in members)}
    return sorted(found.values(), key=lambda record: (record.filing_date, record.doc_id))


def still_missing(records: Iterable[IndexRecord], fetcher: Fetcher) -> tuple[list[IndexRecord], list[str]]:
    """The records a check should download, and a line for each left out because the Clerk said within the last
    day that it has no PDF for it: a PTR listed before its PDF is posted is not "new" at every check."""
    wanted, notes = [], []
    for record in records:
        if fetcher.missing_lately(record):
            notes.append(f"{record.file_name} ({record.name}, filed {record.filing_date}): not on the Clerk's site "
                         "when last asked, less than a day ago; a later check asks again")
        else:
            wanted.append(record)
    return wanted, notes
