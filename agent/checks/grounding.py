"""Grounding: every value must be printed where its row stands."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from agent.checks.cross import bounds_match_label
from agent.documents.pdf import Document
from agent.models import Box, Flag, Transaction

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
    if row.amount_min is not None and not bounds_match_label(row):
        problems.append("amount_bounds")
    return [Flag(f"ungrounded:{name}", f"row {row.row_number}: {name} is not printed on page(s) "
                 f"{', '.join(map(str, pages))}", row.row_number) for name in problems]


def count_date_pairs(document: Document) -> int:
    return sum(len(DATE_PAIR.findall(page.text)) for page in document.pages)
