"""Grounding: every value a row states must be printed in the row's own region of the page, not just anywhere on it.

A row's region is the band of the page its boxes cover: on a text-layer page, every word whose middle lies
between a box's top and bottom, across the whole width (a row of a table is a horizontal strip: its drawn
Cap. Gains box stands right of its words). A scan read by OCR keeps its boxes in the page's own coordinates,
which a turned scan crosses: there the strip runs along the box's long side. A row's X marks (scans) must be
marked boxes on the page standing in that strip; a parser row's ticked Cap. Gains box must stand in it too.

Values are matched as whole words of the region ("P" is not in "S&P", "SP" is not in "SPDR"), as one run or,
for wrapped cells whose words the reading order interleaves with other columns, word by word.

An LLM row states no boxes: `PageIndex.bands` gives the band of each date-pair line of a page, from that line
down to the next date-pair line. House PTR rows are top-aligned: a row's owner, type, dates, amount and the first
line of its asset share the date line, and wrapped asset names and amounts, Filing Status, Subholding Of and
Description lines stand below it, up to the next row's date line (in the text layer's reading order the asset's
wrapped lines come before the date line, so the band is taken from the words' positions, not the text's order).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import date

from agent.checks.cross import bounds_match_label
from agent.documents.pdf import Checkbox, Document, PageText, Word
from agent.errors import ParseError
from agent.formats.base import PrintedForms
from agent.formats.fields import parse_date
from agent.formats.house_ptr import DATE_PAIR, group_lines, is_page_furniture, is_table_end
from agent.formats.house_ptr import printed_forms as house_printed_forms
from agent.models import Box, Flag, Transaction

# Grounded text fields: their printed words must be in the row's region.
TEXT_FIELDS = ("asset_name", "description", "subholding_of", "location", "comments", "filing_status",
               "received_asset_name", "company", "bond_rate")

# Fields a scanned form gives as an X in a column rather than as text.
MARKED_FIELDS = ("transaction_type", "amount")

# The Cap. Gains box as the older forms print it: a ticked box glyph (an unticked one is `gfedc`).
TICKED_GLYPH = "gfedcb"

# A whole date as forms print it: 06/08/2016, 6/8/2016, a two-digit year on typed paper forms (06/08/16),
# dashes on typed attachments (03-13-2025); never part of a longer run (6/8/16 is not in 16/8/165).
PRINTED_DATE = re.compile(r"(?<![\d/-])(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/-])")

# What joins two characters into one word: letters (also across & or an apostrophe: S&P, McDonald's) and digits
# (also across a comma or a point: 1,001.50). A value must begin and end where no such word goes on.
LETTER_JOINERS = "&'’"
DIGIT_JOINERS = ",."


def normalize_space(text: str) -> str:
    return " ".join(text.split())


def printed_dates_of(text: str) -> set[str]:
    """The ISO dates printed in a text (two-digit years are 20xx)."""
    found = set()
    for month, _, day, year in PRINTED_DATE.findall(text):
        try:
            found.add(date(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day)).isoformat())
        except ValueError:  # 13/45/2024 is no date
            continue
    return found


BoxKey = tuple[int, float, float, float, float]


def _box_key(page: int, box: Box | Checkbox) -> BoxKey:
    # to a tenth of a point, as boxes are stored (Box.to_dict), so a row read back from history still matches
    return page, round(box.x0, 1), round(box.top, 1), round(box.x1, 1), round(box.bottom, 1)


@dataclass(frozen=True)
class Strip:
    """A band of one page: the points from `low` to `high` down the page (`across`: along it, on a turned scan)."""

    page: int
    across: bool
    low: float
    high: float

    def holds(self, x: float, y: float) -> bool:
        return self.low <= (x if self.across else y) <= self.high


class WholeWords:
    """A region's words in reading order, searched for values as whole words."""

    def __init__(self, words: list[str]) -> None:
        self.text = " ".join(words)
        self._upper = ""

    def contains(self, value: str, ignore_case: bool = False) -> bool:
        """True when the value's words stand in the region: as one run, or (wrapped cells) each word present."""
        wanted = normalize_space(value)
        if not wanted:
            return True
        text = self.text
        if ignore_case:
            self._upper = self._upper or self.text.upper()
            text, wanted = self._upper, wanted.upper()
        if _count_whole(text, wanted, 1):
            return True
        tokens = Counter(wanted.split())
        if sum(tokens.values()) == 1:
            return False
        return all(_count_whole(text, token, count) >= count for token, count in tokens.items())


def _cuts_a_word(text: str, at: int) -> bool:
    """True when a match may not begin or end at `at`: the characters either side belong to one word."""
    if at <= 0 or at >= len(text):
        return False
    before, after = text[at - 1], text[at]
    if before == " " or after == " ":  # nearly every value stands between spaces
        return False
    if (before.isalpha() and after.isalpha()) or (before.isdigit() and after.isdigit()):
        return True
    outer_before = text[at - 2] if at >= 2 else " "
    outer_after = text[at + 1] if at + 1 < len(text) else " "
    return ((before in LETTER_JOINERS and after.isalpha() and outer_before.isalpha())
            or (after in LETTER_JOINERS and before.isalpha() and outer_after.isalpha())
            or (before in DIGIT_JOINERS and after.isdigit() and outer_before.isdigit())
            or (after in DIGIT_JOINERS and before.isdigit() and outer_after.isdigit()))


def _count_whole(text: str, needle: str, enough: int) -> int:
    """How many times (up to `enough`) the needle stands in the text as whole words."""
    found = start = 0
    while found < enough:
        at = text.find(needle, start)
        if at < 0:
            break
        end = at + len(needle)
        if _cuts_a_word(text, at) or _cuts_a_word(text, end):
            start = at + 1
        else:
            found, start = found + 1, end
    return found


@dataclass
class Region:
    """What a row's region of the page holds: its words, their dates, the ticked boxes in it."""

    words: WholeWords
    dates: set[str]
    ticked_boxes: int
    marks: int  # the row's cited X-mark boxes that are marked on the page and stand in its strip

    def contains(self, value: str, ignore_case: bool = False) -> bool:
        return self.words.contains(value, ignore_case)


@dataclass(frozen=True)
class Band:
    """Lines of a page from a date-pair line down to the next row's date-pair line: where an LLM row must stand."""

    pair: tuple[str, str]  # ISO transaction and notification dates
    box: Box
    lines: tuple[str, ...]


class _PageWords:
    """One page's words ordered by their middles down (and, lazily, along) the page, for strip lookups."""

    def __init__(self, page: PageText) -> None:
        self.page = page
        self.texts = [word.text for word in page.words]
        # each word's whole dates (a date never spans a space), found once per page
        self.dates = {position: found for position, text in enumerate(self.texts)
                      if ("/" in text or "-" in text) and (found := printed_dates_of(text))}
        self._down = _ordered(page.words, across=False)
        self._along: tuple[list[float], list[int]] | None = None
        self.checked = [box for box in page.checkboxes if box.checked]
        self.checked_keys = {_box_key(page.number, box) for box in self.checked}
        self.bands: list[Band] | None = None

    def positions(self, strip: Strip) -> list[int]:
        """Indices (into the page's words) of the words whose middle lies in the strip."""
        if not strip.across:
            middles, order = self._down
        else:
            if self._along is None:
                self._along = _ordered(self.page.words, across=True)
            middles, order = self._along
        return order[bisect_left(middles, strip.low):bisect_right(middles, strip.high)]


def _ordered(words: list[Word], across: bool) -> tuple[list[float], list[int]]:
    middles = [(w.x0 + w.x1) / 2 if across else (w.top + w.bottom) / 2 for w in words]
    order = sorted(range(len(words)), key=middles.__getitem__)
    return [middles[i] for i in order], order


def _middle(box: Box | Checkbox) -> tuple[float, float]:
    return (box.x0 + box.x1) / 2, (box.top + box.bottom) / 2


class PageIndex:
    """The words of each page, indexed once (on first use) for region lookups. Only what a reader sees grounds
    a value: the pages' words leave out those drawn invisibly (agent.documents.pdf), so hidden text grounds
    nothing."""

    def __init__(self, document: Document) -> None:
        self._document = document
        self._pages: dict[int, _PageWords] = {}

    def _page(self, number: int) -> _PageWords | None:
        if number not in self._pages:
            if not 1 <= number <= len(self._document.pages):
                return None
            self._pages[number] = _PageWords(self._document.pages[number - 1])
        return self._pages[number]

    def strip_of(self, box: Box) -> Strip:
        page = self._page(box.page)
        across = page is not None and page.page.read_by_ocr and box.bottom - box.top > box.x1 - box.x0
        return Strip(box.page, across, box.x0, box.x1) if across else Strip(box.page, across, box.top, box.bottom)

    def is_mark(self, box: Box) -> bool:
        """True when the box is a ticked box (or an X-marked cell of a scan) on its page."""
        page = self._page(box.page)
        return page is not None and bool(page.checked_keys) and _box_key(box.page, box) in page.checked_keys

    def region(self, row: Transaction) -> Region:
        """The row's region: the strips of its boxes (its X-mark boxes aside, which must stand in them)."""
        marks = [box for box in row.boxes if self.is_mark(box)]
        strips = [self.strip_of(box) for box in row.boxes if box not in marks]
        texts: list[str] = []
        dates: set[str] = set()
        ticked = 0
        for number in sorted({strip.page for strip in strips}):
            page = self._page(number)
            if page is None:
                continue
            on_page = [strip for strip in strips if strip.page == number]
            found = sorted(page.positions(on_page[0]) if len(on_page) == 1 else
                           {position for strip in on_page for position in page.positions(strip)})
            texts += [page.texts[position] for position in found]
            dates.update(*[page.dates[position] for position in found if position in page.dates])
            ticked += sum(any(strip.holds(*_middle(box)) for strip in on_page) for box in page.checked)
        standing = sum(any(strip.page == box.page and strip.holds(*_middle(box)) for strip in strips) for box in marks)
        return Region(WholeWords(texts), dates, ticked, standing)

    def bands(self, number: int) -> list[Band]:
        """The band of each date-pair line of the page, top to bottom (computed once per page)."""
        page = self._page(number)
        if page is None:
            return []
        if page.bands is None:
            page.bands = _date_pair_bands(page.page)
        return page.bands


def _line_pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for match in DATE_PAIR.finditer(text):
        first, second = match.group().split()
        try:
            pairs.append((parse_date(first).isoformat(), parse_date(second).isoformat()))
        except ParseError:  # 13/45/2024 01/02/2024 is no pair of dates
            continue
    return pairs


def _date_pair_bands(page: PageText) -> list[Band]:
    lines = group_lines(page)
    pairs = [_line_pairs(line.text) for line in lines]
    bands: list[Band] = []
    for start, line_pairs in enumerate(pairs):
        if not line_pairs:
            continue
        end = start + 1
        while end < len(lines) and not (pairs[end] or is_table_end(lines[end]) or is_page_furniture(lines[end])):
            end += 1
        words = [word for line in lines[start:end] for word in line.words]
        box = Box(page.number, min(w.x0 for w in words), min(w.top for w in words), max(w.x1 for w in words),
                  max(w.bottom for w in words))
        texts = tuple(line.text for line in lines[start:end])
        bands.extend(Band(pair, box, texts) for pair in line_pairs)
    return bands


def ground_row(row: Transaction, index: PageIndex, printed: PrintedForms | None = None) -> list[Flag]:
    """Grounding: every value the row states must be printed in its region (see the module's docstring).
    `printed` says how the filing's format prints the row's coded values; the House PTR's way by default."""
    region = index.region(row)
    problems: list[str] = []
    for name in TEXT_FIELDS:
        value = getattr(row, name)
        if value and not region.contains(value):
            problems.append(name)
    # A scan's type and amount are X marks, not printed text: each must cite a marked cell in the row's strip.
    read_by_ocr = row.extracted_by.startswith("ocr")  # also once a critic corrected it ("ocr+llm")
    marked_fields = [name for name in MARKED_FIELDS if getattr(row, name)] if read_by_ocr else []
    if len(marked_fields) > region.marks:
        problems.extend(marked_fields)
    # Coded values, as the filing's format prints them (a House "(NVDA)" and "[ST]", a Senate "Spouse").
    for name, (text, ignore_case) in (printed if printed is not None else house_printed_forms(row)).items():
        if text and name not in marked_fields and not region.contains(text, ignore_case=ignore_case):
            problems.append(name)
    for name in ("transaction_date", "notification_date"):
        iso = getattr(row, name)
        if iso and iso not in region.dates:
            problems.append(name)
    if row.amount and not marked_fields and not region.contains(row.amount):
        problems.append("amount")
    if row.amount_min is not None and not bounds_match_label(row):
        problems.append("amount_bounds")
    # A ticked Cap. Gains box (drawn, or the ticked glyph) must be the row's own (a scan's marks for it are not
    # recorded as boxes: not checked here).
    if row.cap_gains_over_200 and not read_by_ocr and not (
            region.ticked_boxes or region.contains(TICKED_GLYPH)):
        problems.append("cap_gains_over_200")
    if not problems:
        return []
    pages = ", ".join(map(str, sorted({box.page for box in row.boxes}))) or "none cited"
    return [Flag(f"ungrounded:{name}", f"row {row.row_number}: {name} is not printed on the row's lines "
                 f"(page(s) {pages})", row.row_number) for name in problems]
