"""A member's PTRs from the Clerk: the years' indexes (from disk when fresh), the member found in them, each PDF
downloaded once. Every problem is one line and the rest goes on."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from agent.fetch.cache import MISSING_RECHECK_AGE, FetchCache
from agent.fetch.client import ClerkClient
from agent.fetch.errors import FetchError
from agent.fetch.index import IndexRecord, index_path, parse_index_zip, pdf_path
from agent.fetch.members import Member, MemberMatch, find_member, is_member
from agent.models import InputFile

PDF_MAGIC = b"%PDF-"


def is_pdf(data: bytes) -> bool:
    return data.lstrip()[:len(PDF_MAGIC)] == PDF_MAGIC


@dataclass(frozen=True)
class YearIndex:
    year: int
    records: list[IndexRecord]
    notice: str = ""  # the index was had, with a caveat (an older copy, used because the site failed)
    problem: str = ""  # the index could not be had at all: no records


@dataclass(frozen=True)
class Lookup:
    """What a name and years found: the member (or why not), their PTRs by filing date, and one line per problem."""

    match: MemberMatch
    ptrs: list[IndexRecord]
    other_filings: int  # the member's filings that are not PTRs (annual reports...), to say why none are listed
    notes: list[str] = field(default_factory=list)

    @property
    def member(self) -> Member | None:
        return self.match.member

    def none_found(self) -> str:
        """The line for a member found with no PTR in those years ('' when some were found)."""
        if self.member is None or self.ptrs:
            return ""
        others = f" (the index lists {self.other_filings} other filing(s) of theirs)" if self.other_filings else ""
        return f"{self.member.label} filed no PTR in those years{others}"


@dataclass(frozen=True)
class Download:
    record: IndexRecord
    data: bytes | None
    problem: str = ""
    from_disk: bool = False

    def input_file(self) -> InputFile | None:
        return InputFile(self.record.file_name, self.data) if self.data is not None else None


def what_it_is(data: bytes) -> str:
    """Words for bytes that are not a PDF: what the site sent instead."""
    head = data[:512].lstrip().lower()
    if not data:
        return "an empty file"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "an HTML page"
    return f"{len(data):,} bytes that are not a PDF"


class Fetcher:
    def __init__(self, cache: FetchCache, client: ClerkClient | None = None) -> None:
        self.cache = cache
        self.client = client or ClerkClient()

    def index(self, year: int) -> YearIndex:
        """The year's records: the copy on disk while it is less than a day old, else the Clerk's (an older copy
        stands in, said so, when the site fails)."""
        path = self.cache.index_file(year)
        kept = self.cache.read(path)
        if kept is not None and self.cache.index_is_fresh(year):
            try:
                return YearIndex(year, parse_index_zip(kept, year))
            except FetchError:
                kept = None  # a damaged copy: fetch it again
        try:
            data = self.client.get(index_path(year))
            records = parse_index_zip(data, year)
        except FetchError as exc:
            problem = f"the {year} index: {exc.message}"
            if kept is not None:
                try:
                    stale = parse_index_zip(kept, year)
                except FetchError:
                    return YearIndex(year, [], problem=problem)
                age = (self.cache.index_age(year) or 0) / 86400
                return YearIndex(year, stale, notice=f"{problem}; using the copy on disk from {age:.1f} day(s) ago")
            return YearIndex(year, [], problem=problem)
        try:
            self.cache.write(path, data)
        except OSError as exc:
            return YearIndex(year, records, notice=f"the {year} index was not kept on disk ({exc.strerror or exc})")
        return YearIndex(year, records)

    def indexes(self, years: Iterable[int]) -> tuple[list[IndexRecord], list[str]]:
        records: list[IndexRecord] = []
        notes: list[str] = []
        for year in sorted(set(years)):
            found = self.index(year)
            records += found.records
            notes += [line for line in (found.problem, found.notice) if line]
        return records, notes

    def lookup(self, name: str, years: Sequence[int], district: str = "") -> Lookup:
        records, notes = self.indexes(years)
        match = find_member(records, name, district)
        if match.member is None:
            return Lookup(match, [], 0, notes)
        ptrs, others = ptrs_of(records, match.member)
        return Lookup(match, ptrs, others, notes)

    def missing_lately(self, record: IndexRecord) -> bool:
        """Whether the Clerk said it has no PDF for the record within the last day (a watch check waits that long
        before asking again; a fetch the user starts always asks)."""
        age = self.cache.missing_age(record.year, record.doc_id)
        return age is not None and age < MISSING_RECHECK_AGE

    def download(self, record: IndexRecord) -> Download:
        """The PTR's PDF: from disk when an earlier fetch kept it, else from the Clerk (kept once it is a PDF)."""
        path = self.cache.pdf_file(record.year, record.doc_id)
        kept = self.cache.read(path)
        if kept is not None and is_pdf(kept):
            return Download(record, kept, from_disk=True)
        try:
            data = self.client.get(pdf_path(record.year, record.doc_id))
        except FetchError as exc:
            if exc.kind == "not_found":
                self.cache.note_missing(record.year, record.doc_id, True)
            return Download(record, None, f"{record.file_name} ({record.name}, filed {record.filing_date}): "
                                          f"{exc.message}")
        self.cache.note_missing(record.year, record.doc_id, False)
        if not is_pdf(data):
            return Download(record, None, f"{record.file_name}: the site sent {what_it_is(data)}, not a PDF "
                                          f"({self.client.base_url}{pdf_path(record.year, record.doc_id)})")
        try:
            self.cache.write(path, data)
        except OSError as exc:
            return Download(record, data, f"{record.file_name}: read, but not kept on disk ({exc.strerror or exc})")
        return Download(record, data)


def ptrs_of(records: Iterable[IndexRecord], member: Member) -> tuple[list[IndexRecord], int]:
    """The member's PTRs (each DocID once, by filing date) and how many of their filings are other reports."""
    theirs = [record for record in records if is_member(record, member)]
    ptrs = {record.doc_id: record for record in theirs if record.is_ptr}
    ordered = sorted(ptrs.values(), key=lambda record: (record.filing_date, record.doc_id))
    return ordered, sum(1 for record in theirs if not record.is_ptr)
