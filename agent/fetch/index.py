"""The Clerk's yearly financial-disclosure index: its addresses, and its records read from the ZIP it serves.

`{YEAR}FD.zip` holds `{YEAR}FD.txt` (tab-separated, header row, CRLF) and `{YEAR}FD.xml` with the same records. The
TXT is read (plain text, nothing for an XML parser to be tricked with); the XML only when a ZIP lacks the TXT.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree import ElementTree

from agent.fetch.errors import FetchError

FIRST_YEAR = 2008  # the Clerk's yearly indexes start there
PTR_TYPE = "P"  # FilingType of a Periodic Transaction Report; other codes are annual, candidate... reports
FIELDS = ("Prefix", "Last", "First", "Suffix", "FilingType", "StateDst", "Year", "FilingDate", "DocID")
MAX_INDEX_BYTES = 64 * 1024 * 1024  # a year's TXT is well under 1 MB: more is not an index (or a ZIP bomb)
DOC_ID = re.compile(r"\d{1,12}")


def index_path(year: int) -> str:
    return f"/public_disc/financial-pdfs/{year}FD.zip"


def pdf_path(year: int, doc_id: str) -> str:
    return f"/public_disc/ptr-pdfs/{year}/{doc_id}.pdf"


@dataclass(frozen=True)
class IndexRecord:
    """One filing as the index lists it; names as the filer typed them."""

    last: str
    first: str
    state_district: str
    filing_type: str
    year: int
    filing_date: str  # ISO
    doc_id: str
    prefix: str = ""
    suffix: str = ""

    @property
    def is_ptr(self) -> bool:
        return self.filing_type == PTR_TYPE

    @property
    def file_name(self) -> str:
        return f"{self.doc_id}.pdf"

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first, self.last, self.suffix) if part)


def iso_date(text: str) -> str:
    """'5/12/2024' -> '2024-05-12'; anything else is kept as printed (shown, never computed with)."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    if not match:
        return text.strip()
    month, day, year = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _record(values: dict[str, str], year: int) -> IndexRecord | None:
    doc_id = values.get("DocID", "").strip()
    if not DOC_ID.fullmatch(doc_id):
        return None  # a blank or damaged line: no address to fetch
    try:
        record_year = int(values.get("Year", "").strip())
    except ValueError:
        record_year = year
    return IndexRecord(last=values.get("Last", "").strip(), first=values.get("First", "").strip(),
                       state_district=values.get("StateDst", "").strip().upper(),
                       filing_type=values.get("FilingType", "").strip().upper(), year=record_year,
                       filing_date=iso_date(values.get("FilingDate", "")), doc_id=doc_id,
                       prefix=values.get("Prefix", "").strip(), suffix=values.get("Suffix", "").strip())


def parse_txt(text: str, year: int) -> list[IndexRecord]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter="\t", quoting=csv.QUOTE_NONE)
    if not reader.fieldnames or "DocID" not in reader.fieldnames:
        raise FetchError("bad_index", f"{year}FD.txt: no DocID column in its header line")
    return [record for row in reader if (record := _record({k: v or "" for k, v in row.items() if k}, year))]


def parse_xml(data: bytes, year: int) -> list[IndexRecord]:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # the Clerk's index declares none; entities could expand
        raise FetchError("bad_index", f"{year}FD.xml: declares a DOCTYPE or entities, which an index never does")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise FetchError("bad_index", f"{year}FD.xml: not well-formed XML ({exc})") from None
    records = []
    for member in root.iter("Member"):
        values = {name: member.findtext(name) or "" for name in FIELDS}
        if record := _record(values, year):
            records.append(record)
    return records


def _member_bytes(archive: zipfile.ZipFile, name: str, label: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > MAX_INDEX_BYTES:
        raise FetchError("bad_index", f"{label}: {name} would unpack to {info.file_size:,} bytes, too big for an index")
    with archive.open(info) as member:
        data = member.read(MAX_INDEX_BYTES + 1)
    if len(data) > MAX_INDEX_BYTES:
        raise FetchError("bad_index", f"{label}: {name} unpacks to more than {MAX_INDEX_BYTES:,} bytes")
    return data


def parse_index_zip(data: bytes, year: int) -> list[IndexRecord]:
    """Every record of the year's index ZIP. A ZIP that is broken or holds no index raises FetchError."""
    label = f"{year}FD.zip"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {name.rsplit("/", 1)[-1].lower(): name for name in archive.namelist()}
            if (txt := names.get(f"{year}fd.txt")) is not None:
                text = _member_bytes(archive, txt, label).decode("utf-8-sig", errors="replace")
                return parse_txt(text, year)
            if (xml := names.get(f"{year}fd.xml")) is not None:
                return parse_xml(_member_bytes(archive, xml, label), year)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise FetchError("bad_index", f"{label}: not a readable ZIP archive ({exc})") from None
    listed = ", ".join(sorted(names.values())) or "nothing"
    raise FetchError("bad_index", f"{label}: holds no {year}FD.txt or {year}FD.xml index (it holds {listed})")
