"""The House PTR layout parser: pages of words in, transactions with provenance out.

How a PTR table reads (every filing from 2012 to 2025 we have seen):
- A header row names the columns (ID, Owner, Asset, Transaction Type, Date, Notification Date,
  Amount, and since 2020 Cap. Gains > $200?). Column positions are read from it on each page.
- Every transaction is top-aligned: its owner, the first line of its asset, its type, both dates,
  the first line of its amount and the cap-gains box share one baseline. That line, found by a
  date in the Date column and one in the Notification Date column, anchors the row.
- Everything below an anchor up to the next anchor belongs to that row, across page breaks:
  first the rest of the cells (wrapped asset names, the amount's second line), then labelled
  lines (Filing Status, Description, Subholding Of, Location, Comments) whose values may wrap.
- The table ends at the asset-type footnote, or at the sections that follow it.

Old fonts garble label words: odd casing (`FIlINg STATuS`) and glyphs with no text at all
(PDFium gives U+FFFE, pdfplumber NUL: `F\ufffe\ufffe\ufffe\ufffe\ufffe S\ufffe...`). Labels are
matched letter by letter with those glyphs as wildcards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from agent.documents.pdf import Document, PageText, Word
from agent.errors import ParseError
from agent.formats.base import Detection, ExpectedRows, PrintedForms, Reading, ReadOptions
from agent.formats.fields import (
    TRANSACTION_TYPES,
    is_ticker,
    normalize_ticker,
    parse_amount,
    parse_date,
    parse_option_details,
)
from agent.models import Box, Filing, Flag, Transaction

GARBLED = {"\ufffe", "\x00", "\ufffd"}
# The House Clerk's asset type codes, which every PTR cites (https://fd.house.gov/reference/asset-type-codes.aspx).
HOUSE_ASSET_TYPES = {
    "4K": "401K and Other Non-Federal Retirement Accounts", "5C": "529 College Savings Plan", "5F": "529 Portfolio",
    "5P": "529 Prepaid Tuition Plan", "AB": "Asset-Backed Securities",
    "BA": "Bank Accounts, Money Market Accounts and CDs", "BK": "Brokerage Accounts", "CO": "Collectibles",
    "CS": "Corporate Securities (Bonds and Notes)", "CT": "Cryptocurrency", "DB": "Defined Benefit Pension",
    "DO": "Debts Owed to the Filer", "DS": "Delaware Statutory Trust", "EF": "Exchange Traded Funds (ETF)",
    "EQ": "Excepted/Qualified Blind Trust", "ET": "Exchange Traded Notes", "FA": "Farms",
    "FE": "Foreign Exchange Position (Currency)", "FN": "Fixed Annuity", "FU": "Futures",
    "GS": "Government Securities and Agency Debt", "HE": "Hedge Funds & Private Equity Funds (EIF)",
    "HN": "Hedge Funds & Private Equity Funds (non-EIF)", "IC": "Investment Club", "IH": "IRA (Held in Cash)",
    "IP": "Intellectual Property & Royalties", "IR": "IRA", "MA": "Managed Accounts (e.g., SMA and UMA)",
    "MF": "Mutual Funds", "MO": "Mineral/Oil/Solar Energy Rights", "OI": "Ownership Interest (Holding Investments)",
    "OL": "Ownership Interest (Engaged in a Trade or Business)", "OP": "Options", "OT": "Other", "PE": "Pensions",
    "PM": "Precious Metals", "PS": "Stock (Not Publicly Traded)", "RE": "Real Estate Invest. Trust (REIT)",
    "RF": "REIT (EIF)", "RN": "REIT (non-EIF)", "RP": "Real Property", "RS": "Restricted Stock Units (RSUs)",
    "SA": "Stock Appreciation Right", "ST": "Stocks (including ADRs)", "TR": "Trust", "VA": "Variable Annuity",
    "VI": "Variable Insurance", "WU": "Whole/Universal Insurance",
}
LINE_TOLERANCE = 2.5  # points: words whose tops differ less than this share a line
COLUMN_TOLERANCE = 4.0  # points a cell may start left of its header word

ROW_LABELS = {
    "FILING STATUS": "filing_status",
    "DESCRIPTION": "description",
    "SUBHOLDING OF": "subholding_of",
    "LOCATION": "location",
    "COMMENTS": "comments",
    "C": "comments",  # some filings shorten Comments to "C:"
}
TABLE_END_LABELS = (
    "INITIAL PUBLIC OFFERINGS",
    "ASSET CLASS DETAILS",
    "INVESTMENT VEHICLE DETAILS",
    "CERTIFICATION AND SIGNATURE",
)
HEADER_WORDS = {"id", "owner", "asset", "transaction", "type", "date", "notification", "amount",
                "cap.", "gains", ">", "$200?"}

_DATE_TOKEN = re.compile(r"^(P|S|E)?(\d{1,2}/\d{1,2}/\d{4})$")
_TYPE_CODE = re.compile(r"\[([A-Za-z]{2,4})\]")
_PAREN = re.compile(r"\(([^()]*)\)")
_OWNER_CODE = re.compile(r"^(SP|JT|DC)$", re.IGNORECASE)
_ROW_ID = re.compile(r"^\d{5,}$")


def label_matches(text: str, label: str) -> bool:
    """True when `text` is `label` as printed by an old font: any casing, unreadable glyphs as wildcards."""
    if len(text) != len(label):
        return False
    return all(char in GARBLED or char.upper() == want for char, want in zip(text, label))


def match_label(text: str, labels: Iterable[str]) -> str | None:
    """The label that `text` starts with (followed by a colon), or None."""
    head, colon, _ = text.partition(":")
    if not colon:
        return None
    head = head.strip()
    for label in labels:
        if label_matches(head, label):
            return label
    return None


def starts_with_phrase(text: str, phrase: str) -> bool:
    """True when the line's first words are `phrase`, letter by letter with garbled glyphs allowed."""
    words = text.split()
    wanted = phrase.split()
    return len(words) >= len(wanted) and all(label_matches(w, p) for w, p in zip(words, wanted))


@dataclass
class Line:
    """Words on one page that share a baseline, left to right."""

    page: int
    words: list[Word]

    @property
    def top(self) -> float:
        return min(word.top for word in self.words)

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


def group_lines(page: PageText) -> list[Line]:
    """Cluster a page's words into lines by their tops."""
    lines: list[Line] = []
    for word in sorted(page.words, key=lambda w: (w.top, w.x0)):
        if lines and word.top - lines[-1].words[0].top < LINE_TOLERANCE:
            lines[-1].words.append(word)
        else:
            lines.append(Line(page.number, [word]))
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
    return lines


@dataclass(frozen=True)
class Columns:
    """Left edges of the table's columns, read from the header row."""

    row_id: float
    owner: float
    asset: float
    type: float
    date: float
    notification: float
    amount: float
    cap_gains: float | None
    header_bottom: float

    def column_of(self, word: Word) -> str:
        x = word.x0 + COLUMN_TOLERANCE
        if self.cap_gains is not None and x >= self.cap_gains:
            return "cap_gains"
        for name in ("amount", "notification", "date", "type", "asset", "owner"):
            if x >= getattr(self, name):
                return name
        return "row_id"


def find_columns(lines: list[Line]) -> Columns | None:
    """Read column positions from the header row ("ID Owner Asset Transaction ..."), if the page has one."""
    for index, line in enumerate(lines):
        lowered = [word.text.lower() for word in line.words]
        if "owner" not in lowered or "asset" not in lowered:
            continue
        band = [w for other in lines[index:index + 6] for w in other.words
                if other.top - line.top < 40 and w.text.lower() in HEADER_WORDS]
        first: dict[str, Word] = {}
        for word in sorted(band, key=lambda w: (w.top, w.x0)):
            first.setdefault(word.text.lower(), word)
        needed = ("owner", "asset", "transaction", "notification", "amount")
        if not all(name in first for name in needed):
            continue
        dates = sorted((w for w in band if w.text.lower() == "date" and w.x0 > first["transaction"].x0),
                       key=lambda w: w.x0)
        if not dates:
            continue
        row_id = first["id"].x0 if "id" in first else 0.0
        return Columns(
            row_id=row_id,
            owner=first["owner"].x0,
            asset=first["asset"].x0,
            type=first["transaction"].x0,
            date=dates[0].x0,
            notification=first["notification"].x0,
            amount=first["amount"].x0,
            cap_gains=first["cap."].x0 if "cap." in first else None,
            header_bottom=max(w.bottom for w in band),
        )
    return None


def is_table_end(line: Line) -> bool:
    text = line.text
    if text.startswith("* For the complete list") or starts_with_phrase(text, "Digitally Signed:"):
        return True
    return any(starts_with_phrase(text, label) for label in TABLE_END_LABELS)


def is_page_furniture(line: Line) -> bool:
    """The "Filing ID #..." stamp at the top of each page, outside the table's rows."""
    return bool(re.match(r"^Filing I[dD] #", line.text))


@dataclass
class TableLine:
    """A line inside the transaction table, with the columns in force on its page."""

    line: Line
    columns: Columns


def table_lines(pages: list[PageText]) -> tuple[list[TableLine], bool]:
    """Every line of the transaction table, in reading order across pages.

    Returns the lines and whether any page carried a header row.
    """
    result: list[TableLine] = []
    columns: Columns | None = None
    found_header = False
    for page in pages:
        lines = group_lines(page)
        page_columns = find_columns(lines)
        if page_columns:
            columns, found_header = page_columns, True
        if columns is None:
            continue
        start = page_columns.header_bottom if page_columns else 0.0
        for line in lines:
            if line.top <= start or is_page_furniture(line):
                continue
            if is_table_end(line):
                return result, found_header
            result.append(TableLine(line, columns))
    return result, found_header


def anchor_dates(table_line: TableLine) -> tuple[str, str, str] | None:
    """(type glued to the date or '', transaction date, notification date) when this line starts a row."""
    columns = table_line.columns
    words = table_line.line.words
    if words and match_label(table_line.line.text, ROW_LABELS):
        return None
    transaction = notification = None
    glued_type = ""
    for word in words:
        match = _DATE_TOKEN.match(word.text)
        if not match:
            continue
        column = columns.column_of(word)
        if column in ("type", "date") and transaction is None:
            glued_type, transaction = match.group(1) or "", match.group(2)
        elif column == "notification" and transaction is not None and not match.group(1):
            notification = match.group(2)
    if transaction and notification:
        return glued_type, transaction, notification
    return None


@dataclass
class RowDraft:
    """The lines of one row before its cells are read."""

    anchor: TableLine
    dates: tuple[str, str, str]
    lines: list[TableLine] = field(default_factory=list)


def split_rows(lines: list[TableLine]) -> tuple[list[RowDraft], list[TableLine]]:
    """Cut the table into rows at anchor lines. Returns the rows and any lines before the first anchor."""
    rows: list[RowDraft] = []
    orphans: list[TableLine] = []
    for table_line in lines:
        dates = anchor_dates(table_line)
        if dates:
            rows.append(RowDraft(table_line, dates, [table_line]))
        elif rows:
            rows[-1].lines.append(table_line)
        else:
            orphans.append(table_line)
    return rows, orphans


def _join(words: list[Word]) -> str:
    return " ".join(word.text for word in words)


def read_asset(text: str) -> tuple[str, str, str]:
    """Split an asset cell into (name, ticker, asset type code)."""
    asset_type = ""
    codes = list(_TYPE_CODE.finditer(text))
    if codes:
        asset_type = codes[-1].group(1).upper()
        text = (text[:codes[-1].start()] + text[codes[-1].end():]).strip()
    ticker = ""
    for candidate in reversed(list(_PAREN.finditer(text))):
        value = normalize_ticker(candidate.group(1))
        if is_ticker(value):
            ticker = value
            text = (text[:candidate.start()] + text[candidate.end():]).strip()
            break
    return " ".join(text.split()), ticker, asset_type


def read_transaction_type(text: str, glued: str) -> str:
    value = " ".join((glued + " " + text).split())
    if value.lower().replace(" ", "") == "s(partial)":
        return "S (partial)"
    return value.upper() if value.upper() in TRANSACTION_TYPES else value


def build_transaction(draft: RowDraft, row_number: int, pages: dict[int, PageText]) -> Transaction:
    """Read one row's cells and labelled lines into a Transaction, keeping where each came from."""
    cells: dict[str, list[Word]] = {}
    labels: dict[str, list[str]] = {}
    current_label: str | None = None
    for table_line in draft.lines:
        label = match_label(table_line.line.text, ROW_LABELS)
        if label:
            current_label = ROW_LABELS[label]
            value = table_line.line.text.partition(":")[2].strip()
            labels.setdefault(current_label, []).append(value)
        elif current_label:
            labels[current_label].append(table_line.line.text)
        else:
            for word in table_line.line.words:
                cells.setdefault(table_line.columns.column_of(word), []).append(word)

    glued_type, transaction_date, notification_date = draft.dates
    name, ticker, asset_type = read_asset(_join(cells.get("asset", [])))
    owner_words = [w.text for w in cells.get("owner", []) if _OWNER_CODE.match(w.text)]
    id_words = [w.text for w in cells.get("row_id", []) if _ROW_ID.match(w.text)]
    cap_words = [w.text for w in cells.get("cap_gains", [])]
    amount_text = " ".join(_join(cells.get("amount", [])).split())
    row = Transaction(
        row_number=row_number,
        row_id=id_words[0] if id_words else "",
        owner=owner_words[0].upper() if owner_words else "",
        asset_name=name,
        ticker=ticker,
        asset_type=asset_type,
        # A type glued to its date ("S01/16/2020") was split off when the row was anchored.
        transaction_type=read_transaction_type(
            _join([w for w in cells.get("type", []) if not _DATE_TOKEN.match(w.text)]), glued_type),
        amount=amount_text,
        cap_gains_over_200=_cap_gains(cap_words, draft, pages),
        page=draft.anchor.line.page,
        extracted_by="parser",
    )
    row.transaction_date = _iso_or_flag(row, transaction_date, "transaction_date")
    row.notification_date = _iso_or_flag(row, notification_date, "notification_date")
    for key, parts in labels.items():
        setattr(row, key, " ".join(" ".join(parts).split()))
    try:
        amount = parse_amount(amount_text)
        row.amount_min = float(amount.minimum)
        row.amount_max = None if amount.maximum is None else float(amount.maximum)
    except ParseError as exc:
        row.flags.append(Flag("unreadable:amount", str(exc), row_number))
    _add_option_details(row)
    row.boxes = _boxes(draft.lines)
    row.source_lines = [table_line.line.text for table_line in draft.lines]
    return row


def _cap_gains(cap_words: list[str], draft: RowDraft, pages: dict[int, PageText]) -> bool | None:
    """The Cap. Gains > $200? box: a glyph (`gfedcb` ticked, `gfedc` not) or, on newer forms, a drawn box.
    None when the form has no such column."""
    if cap_words:
        return "gfedcb" in cap_words
    columns = draft.anchor.columns
    if columns.cap_gains is None:
        return None
    anchor_top = draft.anchor.line.top
    for box in pages[draft.anchor.line.page].checkboxes:
        if box.x0 + COLUMN_TOLERANCE >= columns.cap_gains and anchor_top - 6 <= box.top <= anchor_top + 12:
            return box.checked
    return None


def _iso_or_flag(row: Transaction, printed: str, field_name: str) -> str:
    try:
        return parse_date(printed).isoformat()
    except ParseError as exc:
        row.flags.append(Flag(f"unreadable:{field_name}", str(exc), row.row_number))
        return ""


def _add_option_details(row: Transaction) -> None:
    details = parse_option_details(row.description, is_option_asset=row.asset_type == "OP") if row.description else None
    if details is None:
        return
    row.option_type = details.option_type or ""
    row.option_action = details.action or ""
    row.option_contracts = details.contracts
    row.option_strike = None if details.strike is None else float(details.strike)
    row.option_expiration = details.expiration.isoformat() if details.expiration else ""
    row.option_shares = details.shares


def _boxes(lines: list[TableLine]) -> list[Box]:
    """One box per page around the row's words."""
    by_page: dict[int, list[Word]] = {}
    for table_line in lines:
        by_page.setdefault(table_line.line.page, []).extend(table_line.line.words)
    return [Box(page, min(w.x0 for w in words), min(w.top for w in words),
                max(w.x1 for w in words), max(w.bottom for w in words))
            for page, words in by_page.items()]


_FILING_ID = re.compile(r"Filing I[dD] #\s*(\d+)")
_SIGNED = re.compile(r"Digitally Signed:\s*(.+?)\s*,\s*(\d{1,2}/\d{1,2}/\d{4})")


def _header_field(text: str, label: str) -> str:
    match = re.search(rf"^{label}:[ \t]*(.+)$", text, re.IGNORECASE | re.MULTILINE)
    return " ".join(match.group(1).split()) if match else ""


def read_filing_fields(document: Document, filing: Filing) -> None:
    """Fill the filer block and signature: name, status, state/district, filing ID, signed date."""
    first = document.pages[0].text
    everything = "\n".join(page.text for page in document.pages)
    filing.filer_name = _header_field(first, "Name")
    filing.filer_status = _header_field(first, "Status")
    filing.state_district = _header_field(first, "State/District").upper()
    if match := _FILING_ID.search(everything):
        filing.filing_id = match.group(1)
    if match := _SIGNED.search(everything):
        try:
            filing.signed_date = parse_date(match.group(2)).isoformat()
        except ParseError:
            filing.flags.append(Flag("signed_date_unreadable", f"signature date {match.group(2)!r} is not a date"))


def parse_ptr(document: Document) -> Filing:
    """Parse a House PTR. Never drops a row it found: unreadable values become flags on the row."""
    filing = Filing(document.source, document.sha256, len(document.pages), layout="unknown",
                    image_only_pages=document.image_only_pages)
    read_filing_fields(document, filing)
    lines, found_header = table_lines(document.pages)
    if not found_header:
        return filing
    drafts, orphans = split_rows(lines)
    filing.layout = "house_ptr" if lines and lines[0].columns.cap_gains is not None else "house_ptr_legacy"
    if orphans:
        filing.flags.append(Flag(
            "text_before_first_row",
            f"{len(orphans)} line(s) in the table precede its first row: "
            + "; ".join(orphan.line.text for orphan in orphans[:3]),
        ))
    pages = {page.number: page for page in document.pages}
    filing.transactions = [build_transaction(draft, number, pages) for number, draft in enumerate(drafts, start=1)]
    filing.amendment = any(row.filing_status.lower() == "amended" for row in filing.transactions)
    return filing


# A transaction date followed by its notification date, as any House table row prints them.
DATE_PAIR = re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}/\d{1,2}/\d{4}(?![\d/])")


def count_date_pairs(document: Document) -> int:
    return sum(len(DATE_PAIR.findall(page.text)) for page in document.pages)


# The table header as the text layer prints it, in any of the fonts' casings ("iD owner asset ...").
TABLE_HEADER = re.compile(r"^\s*ID\s+Owner\s+Asset\b", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class HousePtr:
    """The House Clerk's electronic PTR: a text layer with the transaction table's header row."""

    name: str = "house_ptr"
    label: str = "House PTR (electronic)"
    reads_images: bool = False

    def detect(self, document: Document) -> Detection:
        pages = [page.number for page in document.pages if TABLE_HEADER.search(page.text)]
        if not pages:
            return Detection(self.name, False, ("no page prints the table header \"ID Owner Asset ...\"",))
        listed = ", ".join(map(str, pages))
        return Detection(self.name, True, (f"the table header \"ID Owner Asset ...\" is printed on page(s) {listed}",))

    def read(self, document: Document, data: bytes, options: ReadOptions) -> Reading:
        return Reading(parse_ptr(document))

    def printed_forms(self, row: Transaction) -> PrintedForms:
        return printed_forms(row)

    def expected_rows(self, document: Document) -> ExpectedRows | None:
        return ExpectedRows(count_date_pairs(document), "transaction date pair(s) printed")


def printed_forms(row: Transaction) -> PrintedForms:
    """A House PTR prints the ticker as "(NVDA)" after the asset, the asset type as "[ST]", the owner and type
    as codes (every reader gives codes in capitals, whatever the font did to the ticker's or type's case)."""
    return {"ticker": (f"({row.ticker})" if row.ticker else "", True),
            "asset_type": (f"[{row.asset_type}]" if row.asset_type else "", True),
            "owner": (row.owner, True), "transaction_type": (row.transaction_type, False)}


FORMAT = HousePtr()
