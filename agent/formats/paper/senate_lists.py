"""Pages of a Senate paper report that are not the form: typed lists attached instead of the grid ("Sales ...
Purchases ...", a brokerage's list), cover letters and envelopes. A list's rows are read line by line (a line
holding a date and an amount bracket, its kind from the heading above it) and every one is flagged for review:
no X marks confirm them. A page with no such line holds no transactions."""

from __future__ import annotations

import re

from agent.documents.ocr import OcrPage, OcrWord
from agent.formats.fields import AMOUNT_BRACKETS
from agent.formats.paper.cells import JUNK_TEXT, LOW_CONFIDENCE, PendingRow, ocr_lines
from agent.formats.paper.dates import read_date
from agent.formats.paper.marks import label_for
from agent.formats.paper.senate_rows import SALE_OF_UNKNOWN_KIND, owner_from_asset
from agent.models import Box, Transaction

REVIEW = "needs_review:attachment"

HEADINGS = ((re.compile(r"^(?:sales?|sold)\b", re.IGNORECASE), SALE_OF_UNKNOWN_KIND),
            (re.compile(r"^(?:purchases?|bought|buys?)\b", re.IGNORECASE), "P"),
            (re.compile(r"^exchanges?\b", re.IGNORECASE), "E"))

# "$1,001-15,000", "$1,001 - $15,000", "Over $1,000,000"
BRACKET = re.compile(r"\$?\s?(\d{1,3}(?:,\d{3})+)\s*-\s*\$?\s?(\d{1,3}(?:,\d{3})+)|over\s+\$?\s?(\d{1,3}(?:,\d{3})+)",
                     re.IGNORECASE)

SEE_ATTACHED = re.compile(r"see\s+attach", re.IGNORECASE)


def bracket_index(low: int, high: int | None) -> int | None:
    """The AMOUNT_BRACKETS index of a printed bracket (a list may print "$1,000" for "$1,001")."""
    for index, (lower, upper) in enumerate(AMOUNT_BRACKETS):
        if upper == high and lower - 1 <= low <= lower:
            return index
    return None


def read_list_rows(page: OcrPage) -> list[PendingRow]:
    """The rows of a typed list: each line with a date and an amount bracket, flagged for review. A line
    under a row's line with neither, printed left of the row's date, continues its asset name."""
    rows: list[PendingRow] = []
    date_x = 0.0  # where the last row's date is printed
    kind = ""
    for line in ocr_lines(page.words):
        words = [w for w in line if not JUNK_TEXT.match(w.text)]
        text = " ".join(w.text for w in words)
        heading = next((code for pattern, code in HEADINGS if pattern.match(text)), None)
        dates = [(w, iso) for w in words for iso, _ in [read_date(w.text)] if iso]
        amount = BRACKET.search(text)
        if heading is not None and not dates:
            kind = heading
        elif dates and amount is not None:
            rows.append(_list_row(page, words, dates[0], amount, kind))
            date_x = dates[0][0].x0
        elif rows and words and not dates and amount is None and all(w.x1 <= date_x for w in words):
            sure = " ".join(w.text for w in words if w.conf >= LOW_CONFIDENCE)  # not the specks of a fold or rule
            row = rows[-1][0]
            row.asset_name = f"{row.asset_name} {sure}".strip()
            row.source_lines.append(text)
            row.boxes[0] = _union(row.boxes[0], page.page_box(min(w.x0 for w in words), min(w.top for w in words),
                                                              max(w.x1 for w in words), max(w.bottom for w in words)))
    return rows


def _union(a: Box, b: Box) -> Box:
    return Box(a.page, min(a.x0, b.x0), min(a.top, b.top), max(a.x1, b.x1), max(a.bottom, b.bottom))


def _list_row(page: OcrPage, words: list[OcrWord], dated: tuple[OcrWord, str], amount: re.Match[str],
              kind: str) -> PendingRow:
    date_word, iso = dated
    row = Transaction(row_number=0, page=page.number, extracted_by="ocr", transaction_date=iso)
    flags = [(REVIEW, f"read from a typed list on page {page.number}, not from the form's grid: no X marks confirm "
                      "its type and amount; check it against the page")]
    low, high, over = amount.groups()
    index = bracket_index(int((over or low).replace(",", "")) + (1 if over else 0),
                          None if over else int(high.replace(",", "")))
    if index is None:
        flags.append(("unreadable:amount", f"amount printed {amount.group(0)!r}, not a bracket of the form"))
    else:
        row.amount, row.amount_min, row.amount_max = label_for(index)
    row.transaction_type = kind
    if not kind:
        flags.append(("unreadable:transaction_type", "no Sales / Purchases heading above the line"))
    row.owner, asset, _ = owner_from_asset(" ".join(w.text for w in words if w.x1 <= date_word.x0))
    row.asset_name = asset.strip()
    if not row.asset_name:
        flags.append(("unreadable:asset_name", "no asset name before the date"))
    row.source_lines = [" ".join(w.text for w in words)]
    top, bottom = min(w.top for w in words), max(w.bottom for w in words)
    row.boxes = [page.page_box(min(w.x0 for w in words), top, max(w.x1 for w in words), bottom)]
    return row, flags


def mentions_attachment(page: OcrPage) -> bool:
    return bool(SEE_ATTACHED.search(" ".join(w.text for w in page.words)))
