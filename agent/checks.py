"""Validators: the slices of cheese after the parser. They add flags; they never drop or change a row.

Each check looks at the source independently of how the row was read, so a parser bug, an LLM
invention or a layout we have not seen shows up as a flag a human can follow.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from agent.errors import ParseError
from agent.fields import OWNER_CODES, TRANSACTION_TYPES, is_ticker, parse_amount
from agent.models import Box, Filing, Flag, Transaction
from agent.pdf import Document

# A transaction date followed by its notification date, as any table row prints them.
DATE_PAIR = re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}/\d{1,2}/\d{4}(?![\d/])")
# Grounded text fields: their printed words must be on the cited pages.
TEXT_FIELDS = ("asset_name", "description", "subholding_of", "location", "comments", "filing_status")
# Fields a scanned form gives as an X in a column rather than as text.
MARKED_FIELDS = ("transaction_type", "amount")


def normalize_space(text: str) -> str:
    return " ".join(text.split())


# A whole date as forms print it: 06/08/2016, 6/8/2016, a two-digit year on typed paper forms (06/08/16),
# dashes on typed attachments (03-13-2025); never part of a longer run (6/8/16 is not in 16/8/165).
PRINTED_DATE = re.compile(r"(?<![\d/-])(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/-])")


def printed_dates_of(text: str) -> set[str]:
    """The ISO dates printed in a text (two-digit years are 20xx)."""
    found = set()
    for month, _, day, year in PRINTED_DATE.findall(text):
        try:
            found.add(date(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day)).isoformat())
        except ValueError:  # 13/45/2024 is no date
            continue
    return found


def _box_key(page: int, box) -> tuple:
    # to a tenth of a point, as boxes are stored (Box.to_dict), so a row read back from history still matches
    return page, round(box.x0, 1), round(box.top, 1), round(box.x1, 1), round(box.bottom, 1)


class PageIndex:
    """The text of each page, prepared once for grounding lookups. Only what a reader sees grounds a value:
    the pages' text leaves out words drawn invisibly (agent.pdf), so hidden text grounds nothing."""

    def __init__(self, document: Document):
        self._checked = {_box_key(page.number, box) for page in document.pages for box in page.checkboxes
                         if box.checked}
        self._text = {page.number: normalize_space(page.text) for page in document.pages}
        self._dates = {number: printed_dates_of(text) for number, text in self._text.items()}
        self._upper = {number: text.upper() for number, text in self._text.items()}
        self._tokens = {number: Counter(text.upper().split()) for number, text in self._text.items()}

    def contains(self, pages: list[int], value: str, ignore_case: bool = False) -> bool:
        """True when the value's words stand on one of the pages: as one run, or (wrapped cells,
        where reading order interleaves columns) each word present."""
        wanted = normalize_space(value)
        if not wanted:
            return True
        for number in pages:
            haystack = self._upper.get(number, "") if ignore_case else self._text.get(number, "")
            needle = wanted.upper() if ignore_case else wanted
            if needle in haystack:
                return True
        tokens = Counter(wanted.upper().split())
        merged: Counter = Counter()
        for number in pages:
            merged |= self._tokens.get(number, Counter())
        return all(merged[token] >= count for token, count in tokens.items())

    def has_date(self, pages: list[int], iso: str) -> bool:
        """True when the date is printed on one of the pages as a whole date (see PRINTED_DATE)."""
        return any(iso in self._dates.get(number, ()) for number in pages)

    def is_checked(self, box: Box) -> bool:
        """True when the box is a ticked box (or an X-marked cell of a scan) on its page."""
        return _box_key(box.page, box) in self._checked


def ground_row(row: Transaction, index: PageIndex) -> list[Flag]:
    """Grounding: every value the row states must be printed on the pages it cites."""
    pages = sorted({box.page for box in row.boxes} | {row.page})
    problems: list[str] = []
    for name in TEXT_FIELDS:
        if not index.contains(pages, getattr(row, name)):
            problems.append(name)
    if row.ticker and not index.contains(pages, f"({row.ticker})", ignore_case=True):
        problems.append("ticker")
    if row.asset_type and not index.contains(pages, f"[{row.asset_type}]", ignore_case=True):
        problems.append("asset_type")
    if row.owner and not index.contains(pages, row.owner):
        problems.append("owner")
    # A scan's type and amount are X marks, not printed text: each must cite a marked cell on its page.
    marked_fields = [name for name in MARKED_FIELDS if getattr(row, name)] if row.extracted_by == "ocr" else []
    if len(marked_fields) > sum(index.is_checked(box) for box in row.boxes):
        problems.extend(marked_fields)
    if row.transaction_type and not marked_fields and not index.contains(pages, row.transaction_type):
        problems.append("transaction_type")
    for name in ("transaction_date", "notification_date"):
        iso = getattr(row, name)
        if iso and not index.has_date(pages, iso):
            problems.append(name)
    if row.amount and not marked_fields and not index.contains(pages, row.amount):
        problems.append("amount")
    if row.amount_min is not None and not _bounds_match_label(row):
        problems.append("amount_bounds")
    return [Flag(f"ungrounded:{name}", f"row {row.row_number}: {name} is not printed on page(s) "
                 f"{', '.join(map(str, pages))}", row.row_number) for name in problems]


def _bounds_match_label(row: Transaction) -> bool:
    """amount_min/amount_max are derived from the printed label and must say what it says."""
    try:
        amount = parse_amount(row.amount)
    except ParseError:
        return False
    maximum = None if amount.maximum is None else float(amount.maximum)
    return row.amount_min == float(amount.minimum) and row.amount_max == maximum


def cross_check_row(row: Transaction) -> list[Flag]:
    """Checks of a row against the form's rules: allowed codes, date order, brackets, ticker shape."""
    flags: list[Flag] = []

    def flag(code: str, message: str) -> None:
        flags.append(Flag(code, f"row {row.row_number}: {message}", row.row_number))

    if row.transaction_type not in TRANSACTION_TYPES:
        flag("transaction_type_unknown", f"type {row.transaction_type!r} is not one of P, S, S (partial), E")
    if row.owner and row.owner not in OWNER_CODES:
        flag("owner_unknown", f"owner {row.owner!r} is not SP, JT, DC or blank")
    today = date.today().isoformat()
    for name in ("transaction_date", "notification_date"):
        if getattr(row, name) > today:
            flag("date_in_future", f"{name.replace('_', ' ')} {getattr(row, name)} is after today")
    if row.transaction_date and row.notification_date and row.notification_date < row.transaction_date:
        flag("notification_before_transaction",
             f"notified {row.notification_date}, before the transaction on {row.transaction_date}")
    if row.amount:
        try:
            amount = parse_amount(row.amount)
        except ParseError:
            amount = None
        if amount and not amount.exact and not amount.is_bracket:
            flag("amount_not_bracket", f"{row.amount!r} is not one of the form's value brackets")
    if row.ticker and not is_ticker(row.ticker):
        flag("ticker_shape", f"{row.ticker!r} does not look like a ticker")
    if not row.asset_name:
        flag("missing:asset_name", "no asset name")
    return flags


def duplicate_flags(rows: list[Transaction]) -> list[Flag]:
    """Two rows read from the same place on the page are one row counted twice.

    (Identical rows printed on separate lines are separate trades: filings do list those.)
    """
    seen: dict[tuple, int] = {}
    flags = []
    for row in rows:
        if not row.boxes:
            continue
        key = tuple(row.boxes)
        if key in seen:
            flags.append(Flag("duplicate_row", f"row {row.row_number} was read from the same place as row {seen[key]}",
                              row.row_number))
        else:
            seen[key] = row.row_number
    return flags


def count_date_pairs(document: Document) -> int:
    return sum(len(DATE_PAIR.findall(page.text)) for page in document.pages)


def hidden_text_flag(document: Document) -> Flag | None:
    """Text drawn so that no reader sees it (white, or an invisible render mode) was left out of every reading:
    say so, as it is how a fake row or instructions to an LLM get slipped past a reader (a scan's own OCR
    layer is drawn invisibly too: it is not trusted either, and the page reads as a scan)."""
    counts = [f"{len(page.hidden_words)} invisible word(s) on page {page.number}"
              for page in document.pages if page.hidden_words]
    if not counts:
        return None
    return Flag("hidden_text", "; ".join(counts) + " ignored (drawn white or in an invisible text render mode)")


def _add_new(flags: list[Flag], found: list[Flag]) -> None:
    flags.extend(flag for flag in found if flag not in flags)


def validate_filing(filing: Filing, document: Document) -> Filing:
    """Run every check on a parsed filing; flags go on the rows and on the filing. Running it again (a model
    may validate twice) adds no flag a row or the filing already has."""
    index = PageIndex(document)
    for row in filing.transactions:
        _add_new(row.flags, [*ground_row(row, index), *cross_check_row(row)])
    for flag in duplicate_flags(filing.transactions):
        _add_new(filing.transactions[flag.row_number - 1].flags, [flag])
    found = []
    if filing.layout in ("house_ptr", "house_ptr_legacy", "llm_read"):
        pairs = count_date_pairs(document)
        if pairs != len(filing.transactions):
            found.append(Flag("row_count_mismatch",
                              f"{len(filing.transactions)} rows read but the pages print {pairs} date pairs"))
    if filing.image_only_pages and filing.layout != "scanned":
        pages = ", ".join(map(str, filing.image_only_pages))
        found.append(Flag("pages_need_ocr", f"page(s) {pages} have no text layer; their rows are not read"))
    if filing.layout == "unknown" and document.pages:
        found.append(Flag("layout_unknown", "no House PTR transaction table header was found"))
    if hidden := hidden_text_flag(document):
        found.append(hidden)
    _add_new(filing.flags, found)
    return filing
