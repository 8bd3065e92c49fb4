"""Read the typed grid of a scanned PTR page (OCR words + the page image) into Transactions.

The paper form (and the typed tables attached to it) is a grid: owner, full asset name, type of
transaction as X marks under Purchase / Sale / Exchange (some attachments add Capital Gains > $200 and
Partial Transaction), date of transaction, date notified, and the amount as an X mark in one of the
bracket columns A-J (K: spouse/DC asset over $1,000,000).

- A row is an OCR line that carries at least one date. Lines without a date (subholding headings,
  the printed example row, headers) are not rows.
- Columns come from the grid's vertical rules (found in the image), counted outwards from the date
  cells: amount brackets A, B, ... to the right of the notification date, the type columns to the left
  of the transaction date. X marks are found as ink in the cells of the row's band (the image with the
  rules removed), not as OCR letters, which tesseract reads as x, X, K, ix, |X or not at all.
- Owner and asset name are the OCR words left of the type columns.
Every value carries a confidence; low ones become `low_confidence:<field>` flags, and a value that
cannot be read is left empty and flagged `unreadable:<field>`, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from agent.errors import InputError
from agent.fields import AMOUNT_BRACKETS, OWNER_CODES
from agent.models import Box, Filing, Flag, Transaction
from agent.ocr import ENGINE, OcrPage, OcrUnavailable, OcrWord, ocr_pdf_pages

LOW_CONFIDENCE = 60.0  # tesseract word confidence under which a value is flagged
MARK_INK = 0.06  # share of a cell's inner pixels that must be ink for an X mark
_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})$")
_DIGITISH = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "i": "1", "S": "5",
                           "s": "5", "B": "8", "Z": "2", "z": "2", ".": "/", ",": "/"})
_JUNK = re.compile(r"^[^A-Za-z0-9&]+$")
BRACKET_LABELS = [f"${low:,} - ${high:,}" if high else f"Over ${low - 1:,}" for low, high in AMOUNT_BRACKETS[:10]]
HANDWRITING_CONFIDENCE = 45.0


@dataclass
class OcrRow:
    transaction: Transaction
    words: list[OcrWord]


def label_for(index: int) -> tuple[str, float, float | None]:
    low, high = AMOUNT_BRACKETS[index]
    return BRACKET_LABELS[index], float(low), None if high is None else float(high)


def read_date(text: str) -> tuple[str, bool]:
    """ISO date from an OCR token, and whether characters had to be repaired ("", False when unreadable)."""
    cleaned = text.strip("|[](){}'\".,;:!_~-—")
    repaired = cleaned.translate(_DIGITISH)
    match = _DATE.match(repaired)
    if not match:
        return "", False
    month, day, year = (int(g) for g in match.groups())
    if year < 100:
        year += 2000
    try:
        value = date(year, month, day)
    except ValueError:
        return "", False
    if not 2008 <= value.year <= 2030:
        return "", False
    return value.isoformat(), repaired != cleaned


def _lines(words: list[OcrWord]) -> list[list[OcrWord]]:
    lines: dict[tuple, list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    return [sorted(ws, key=lambda w: w.x0) for ws in sorted(lines.values(), key=lambda ws: min(w.top for w in ws))]


def cell_ink(page: OcrPage, x0: float, x1: float, top: float, bottom: float) -> float:
    """Share of ink in the inner part of a cell (points), in the rules-free image."""
    if page.image is None or x1 <= x0:
        return 0.0
    s = page.scale
    pad_x = (x1 - x0) * 0.15
    pad_y = (bottom - top) * 0.1
    region = page.image[int((top + pad_y) * s): int((bottom - pad_y) * s) + 1,
                        int((x0 + pad_x) * s): int((x1 - pad_x) * s) + 1]
    return float((region < 160).mean()) if region.size else 0.0


def _marked(page: OcrPage, cells: list[tuple[float, float]], top: float, bottom: float) -> tuple[list[int], float]:
    """Indices of the cells holding a mark, and how clearly (the weakest mark over the strongest blank).
    Each marked cell is recorded on the page (`page.marks`), where grounding and source views find it."""
    inks = [cell_ink(page, a, b, top, bottom) for a, b in cells]
    marked = [i for i, ink in enumerate(inks) if ink >= MARK_INK]
    blanks = [ink for i, ink in enumerate(inks) if i not in marked]
    clarity = (min(inks[i] for i in marked) / max(max(blanks, default=0.0), 0.01)) if marked else 0.0
    page.marks.extend(page.page_box(*cells[i], top, bottom) for i in marked)
    return marked, clarity


def _cell(page: OcrPage, cells: list[tuple[float, float]], index: int, top: float, bottom: float) -> Box:
    x0, x1 = cells[index]
    return page.page_box(x0, top, x1, bottom)


def _owner(word: OcrWord) -> tuple[str, bool]:
    """An owner code from the first word; (code, exact)."""
    text = re.sub(r"[^A-Za-z]", "", word.text).upper()
    if text in OWNER_CODES:
        return text, word.conf >= LOW_CONFIDENCE
    return "", False


def parse_ocr_page(page: OcrPage, first_row_number: int = 1) -> list[Transaction]:
    """The transaction rows of one OCR'd page of the typed form (see the module's docstring)."""
    partial_variant = any(w.text.lower().startswith("partial") for w in page.words)
    rows: list[Transaction] = []
    for line in _lines(page.words):
        if any(w.text.lower().startswith("example") for w in line):
            continue
        dates = [(w, *read_date(w.text)) for w in line]
        dates = [(w, iso, repaired) for w, iso, repaired in dates if iso]
        if not dates:
            continue
        row = Transaction(row_number=first_row_number + len(rows), page=page.number, extracted_by="ocr")
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
        amount_cells = list(zip(right, right[1:]))[:10]
        marked, clarity = _marked(page, amount_cells, top, bottom)
        mark_boxes: list[Box] = []
        if len(marked) == 1:
            row.amount, row.amount_min, row.amount_max = label_for(marked[0])
            mark_boxes.append(_cell(page, amount_cells, marked[0], top, bottom))
            if clarity < 2:
                flags.append(("low_confidence:amount", "the amount mark is faint against the other cells"))
        elif not amount_cells:
            flags.append(("unreadable:amount", "no amount columns found right of the dates"))
        else:
            flags.append(("unreadable:amount", f"{len(marked)} amount cells marked"))
        type_count = 5 if partial_variant else 3
        type_cells = [(b, a) for a, b in zip(left, left[1:])][:type_count]  # nearest the date first
        marked, clarity = _marked(page, type_cells, top, bottom)
        names = (["partial", "gains", "E", "S", "P"] if partial_variant else ["E", "S", "P"])[:len(type_cells)]
        picked = [names[i] for i in marked]
        kinds = [name for name in picked if name in ("P", "S", "E")]
        if len(kinds) == 1:
            row.transaction_type = "S (partial)" if kinds[0] == "S" and "partial" in picked else kinds[0]
            mark_boxes.append(_cell(page, type_cells, names.index(kinds[0]), top, bottom))
            if clarity < 2:
                flags.append(("low_confidence:transaction_type", "the type mark is faint against the other cells"))
        else:
            flags.append(("unreadable:transaction_type", f"{len(kinds)} type cells marked"))
        if partial_variant and len(type_cells) == 5:
            row.cap_gains_over_200 = "gains" in picked
        # Owner and asset: the words left of the type columns.
        limit = type_cells[-1][0] if len(type_cells) == type_count else first_date.x0
        texts = [w for w in line if w.x1 <= limit + 2 and not _JUNK.match(w.text)]
        if texts:
            owner, exact = _owner(texts[0])
            if owner:
                row.owner = owner
                texts = texts[1:]
                if not exact:
                    flags.append(("low_confidence:owner", f"owner read as {texts and texts[0].text!r}"))
            elif len(re.sub(r"[^A-Za-z]", "", texts[0].text)) == 2 and texts[0].x0 < (limit * 0.2):
                flags.append(("unreadable:owner", f"owner column reads {texts[0].text!r}"))
                texts = texts[1:]
        row.asset_name = " ".join(w.text for w in texts).strip(" |_-—~")
        if not row.asset_name:
            flags.append(("unreadable:asset_name", "no asset name read"))
        elif min(w.conf for w in texts) < LOW_CONFIDENCE:
            flags.append(("low_confidence:asset_name",
                          f"asset name read with confidence {min(w.conf for w in texts):.0f}"))
        row.source_lines = [" ".join(w.text for w in line)]
        # the row's line, then the cells of its type and amount marks (evidence for values read from ink)
        row.boxes = [page.page_box(min(w.x0 for w in line), top, max(w.x1 for w in line), bottom), *mark_boxes]
        row.flags = [Flag(code, f"row {row.row_number}: {message} (OCR)", row.row_number) for code, message in flags]
        rows.append(row)
    return rows


def looks_handwritten(page: OcrPage) -> bool:
    """A page whose words tesseract reads with low confidence and no typed dates: handwriting (or noise)."""
    if not page.words:
        return False
    dates = sum(1 for w in page.words if read_date(w.text)[0])
    return page.mean_confidence < HANDWRITING_CONFIDENCE and dates == 0


# --- a whole scanned filing ------------------------------------------------------------------------

OCR_FLAG = "read_by_ocr"


@dataclass
class ScanResult:
    filing: Filing
    pages: list[OcrPage]
    error: str = ""


def apply_ocr_text(document, pages: list[OcrPage]) -> None:
    """Give the Document the OCR text and words of the pages read, so grounding checks see them."""
    from agent.pdf import Checkbox, Word
    for ocr_page in pages:
        target = document.pages[ocr_page.number - 1]
        target.text = ocr_page.text
        target.words = [Word(w.text, *_page_coordinates(ocr_page, w)) for w in ocr_page.words]
        target.checkboxes = [Checkbox(box.x0, box.top, box.x1, box.bottom, True) for box in ocr_page.marks]


def _page_coordinates(page: OcrPage, word: OcrWord) -> tuple[float, float, float, float]:
    box = page.page_box(word.x0, word.top, word.x1, word.bottom)
    return box.x0, box.top, box.x1, box.bottom


def read_scanned(document, data: bytes) -> ScanResult:
    """OCR the image-only pages of a filing and read their rows. Never raises for a missing engine:
    the filing then stays `scanned` with a flag saying how to install it."""
    numbers = document.image_only_pages
    filing = Filing(document.source, document.sha256, len(document.pages), layout="scanned",
                    image_only_pages=list(numbers))
    try:
        pages = ocr_pdf_pages(data, document.source, numbers)
    except OcrUnavailable as exc:
        filing.flags.append(Flag("ocr_unavailable", str(exc)))
        return ScanResult(filing, [], str(exc))
    except InputError as exc:  # the sandbox could not render a page (too slow, too big, crashed)
        filing.flags.append(Flag("ocr_failed", f"OCR stopped: {exc.reason}"))
        return ScanResult(filing, [], f"OCR stopped: {exc.reason}")
    handwritten = [page.number for page in pages if looks_handwritten(page)]
    for page in pages:
        if page.number not in handwritten:
            filing.transactions.extend(parse_ocr_page(page, len(filing.transactions) + 1))
    apply_ocr_text(document, pages)
    if handwritten:
        filing.flags.append(Flag("handwritten", f"page(s) {', '.join(map(str, handwritten))}: handwritten: "
                                 "needs review (OCR does not read handwriting; no values were taken from them)"))
    if not filing.transactions:
        filing.flags.append(Flag("ocr_no_rows", "OCR found no transaction rows"))
    else:
        filing.layout = "scanned_ocr"
        filing.image_only_pages = []  # every such page was read
        confidence = sum(p.mean_confidence for p in pages) / len(pages)
        filing.flags.insert(0, Flag(OCR_FLAG, f"read by OCR ({ENGINE}, {len(pages)} page(s), mean word confidence "
                                    f"{confidence:.0f}): check the values against the page images"))
    return ScanResult(filing, pages)
