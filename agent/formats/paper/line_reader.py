"""The line reader, and the choice of reader for a scanned page: a page with the form's grid goes to the grid
reader; one without it is read line by line (a row is an OCR line carrying a date, its columns counted outwards
from the date words), unless an LLM is to structure it. Rows are numbered here in the filing's order."""

from __future__ import annotations

import re
from itertools import pairwise

from agent.documents.ocr import OcrPage, OcrWord
from agent.formats.paper.cells import EXAMPLE_ROW, JUNK_TEXT, LOW_CONFIDENCE, PendingRow, ocr_lines
from agent.formats.paper.confirm import confirm_cells
from agent.formats.paper.dates import read_date
from agent.formats.paper.grid import TYPE_NAMES, Span, find_columns
from agent.formats.paper.grid_reader import read_grid_rows
from agent.formats.paper.marks import owner_code, read_marks
from agent.formats.paper.names import asset_name_flags, split_ticker, without_specks
from agent.models import Flag, Transaction

HANDWRITING_CONFIDENCE = 45.0

WORD_MARGIN = 3.0  # points around words read again by the second engine


def parse_ocr_page(page: OcrPage, first_row_number: int = 1) -> list[Transaction]:
    """The transaction rows of one OCR'd page of the typed form (see the module's docstring), numbered from
    `first_row_number`."""
    return number_rows(read_page_rows(page), first_row_number)


def number_rows(pending: list[PendingRow], first_row_number: int) -> list[Transaction]:
    """Give read rows their numbers in the filing, and their flags (which name the row)."""
    rows = []
    for number, (row, flags) in enumerate(pending, start=first_row_number):
        row.row_number = number
        row.flags = [Flag(code, f"row {number}: {message} (OCR)", number) for code, message in flags]
        rows.append(row)
    return rows


def read_page_rows(page: OcrPage, line_reader: bool = True, handwritten: bool = False) -> list[PendingRow]:
    """A page's rows, not yet numbered: by the grid reader when the page's ruled lines show the form's
    columns, else line by line (or none, without `line_reader`: the page is left to an LLM). A `handwritten`
    page is read only on the form's grid."""
    columns = find_columns(page.rules)
    if columns is not None:
        return read_grid_rows(page, columns, handwritten)
    if not line_reader or handwritten:
        return []
    partial_variant = any(w.text.lower().startswith("partial") for w in page.words)
    rows: list[PendingRow] = []
    for line in ocr_lines(page.words):
        if any(EXAMPLE_ROW.search(w.text) for w in line):
            continue
        dates = [(w, *read_date(w.text)) for w in line]
        dates = [(w, iso, repaired) for w, iso, repaired in dates if iso]
        if not dates:
            continue
        row = Transaction(row_number=0, page=page.number, extracted_by="ocr")  # numbered by number_rows
        flags: list[tuple[str, str]] = []
        top = min(w.top for w in line) - 2
        bottom = max(w.bottom for w in line) + 2
        first_date = dates[0][0]
        row.transaction_date = dates[0][1]
        if dates[0][2] or first_date.conf < LOW_CONFIDENCE:
            flags.append(("low_confidence:transaction_date", f"transaction date read as {first_date.text!r}"))
        if len(dates) >= 2:
            last_date = dates[1][0]
            row.notification_date = dates[1][1]
            if dates[1][2] or last_date.conf < LOW_CONFIDENCE:
                flags.append(("low_confidence:notification_date", f"notification date read as {last_date.text!r}"))
        else:
            last_date = first_date
            flags.append(("unreadable:notification_date", "only one date could be read on the row"))
        # Columns: vertical rules right of the notification date (amounts), left of the transaction date (type).
        right = [x for x in page.rules if x > last_date.x1 - 1]
        left = sorted((x for x in page.rules if x < first_date.x0 + 1), reverse=True)
        amount_cells = list(pairwise(right))[:10]
        type_count = 5 if partial_variant else 3
        type_cells = [(b, a) for a, b in pairwise(left)][:type_count]  # nearest the date first
        type_names = TYPE_NAMES[type_count][::-1][:len(type_cells)]
        mark_boxes = read_marks(page, row, amount_cells, type_cells, type_names, top, bottom, flags)
        # Owner and asset: the words left of the type columns.
        limit = type_cells[-1][0] if len(type_cells) == type_count else first_date.x0
        texts = [w for w in line if w.x1 <= limit + 2 and not JUNK_TEXT.match(w.text)]
        if texts:
            owner, exact = owner_code(texts[0])
            if owner:
                row.owner = owner
                texts = texts[1:]
                if not exact:
                    flags.append(("low_confidence:owner", f"owner read as {texts and texts[0].text!r}"))
            elif len(re.sub(r"[^A-Za-z]", "", texts[0].text)) == 2 and texts[0].x0 < (limit * 0.2):
                flags.append(("unreadable:owner", f"owner column reads {texts[0].text!r}"))
                texts = texts[1:]
        texts = without_specks(texts)
        row.asset_name, row.ticker = split_ticker(" ".join(w.text for w in texts).strip(" |_-—~"))
        flags.extend(asset_name_flags(texts if row.asset_name else [], row.asset_name, row.ticker))
        row.source_lines = [" ".join(w.text for w in line)]
        # the row's line, then the cells of its type and amount marks (evidence for values read from ink)
        row.boxes = [page.page_box(min(w.x0 for w in line), top, max(w.x1 for w in line), bottom), *mark_boxes]
        rows.append((row, flags))
        # the second engine reads the name and dates where tesseract read them (a typed list has no cells)
        cells = {"transaction_date": around([first_date])}
        if len(dates) >= 2:
            cells["notification_date"] = around([last_date])
        if texts:
            cells["asset_name"] = around(texts)
        confirm_cells(page, [rows[-1]], [(top, bottom)], cells)
    return rows


def around(words: list[OcrWord]) -> Span:
    """The x span of some words on a line, with room for the second engine's crop (it trims a cell's edges)."""
    return min(w.x0 for w in words) - WORD_MARGIN, max(w.x1 for w in words) + WORD_MARGIN


def looks_handwritten(page: OcrPage) -> bool:
    """A page whose words tesseract reads with low confidence and no typed dates: handwriting (or noise)."""
    if not page.words:
        return False
    dates = sum(1 for w in page.words if read_date(w.text)[0])
    return page.mean_confidence < HANDWRITING_CONFIDENCE and dates == 0
