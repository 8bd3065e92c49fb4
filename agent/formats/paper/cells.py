"""Words and cells of an OCR page: its lines of words, which words stand in a cell of the grid, and how much
ink a cell holds (an X mark is ink, not a letter)."""

from __future__ import annotations

import re

from agent.documents.ocr import OcrPage, OcrWord
from agent.formats.paper.grid import Span
from agent.models import Box, Transaction

LOW_CONFIDENCE = 60.0  # tesseract word confidence under which a value is flagged

EXAMPLE_ROW = re.compile(r"^\W?.?xample", re.IGNORECASE)  # the printed "Example:" row (its E often misread)

JUNK_TEXT = re.compile(r"^[^A-Za-z0-9&]+$")

# A read row and its (flag code, message) pairs, before the row has its number in the filing.
PendingRow = tuple[Transaction, list[tuple[str, str]]]


def ocr_lines(words: list[OcrWord]) -> list[list[OcrWord]]:
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    return [sorted(ws, key=lambda w: w.x0) for ws in sorted(lines.values(), key=lambda ws: min(w.top for w in ws))]


def cell_ink(page: OcrPage, x0: float, x1: float, top: float, bottom: float, pad: bool = True) -> float:
    """Share of ink in the inner part of a cell (points; all of it with `pad` False), in the rules-free
    image."""
    if page.image is None or x1 <= x0:
        return 0.0
    s = page.scale
    pad_x = (x1 - x0) * 0.15
    pad_y = (bottom - top) * 0.25 if pad else 0.0
    region = page.image[int((top + pad_y) * s): int((bottom - pad_y) * s) + 1,
                        int((x0 + pad_x) * s): int((x1 - pad_x) * s) + 1]
    return float((region < 160).mean()) if region.size else 0.0


def cell_box(page: OcrPage, cells: list[tuple[float, float]], index: int, top: float, bottom: float) -> Box:
    x0, x1 = cells[index]
    return page.page_box(x0, top, x1, bottom)


def inset(span: Span) -> Span:
    return span[0] + 1, span[1] - 1  # inside the cell's rules


def word_inside(word: OcrWord, span: Span, top: float, bottom: float) -> bool:
    x, y = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
    return span[0] <= x <= span[1] and top <= y <= bottom


def words_in_cell(words: list[OcrWord], span: Span | None, top: float, bottom: float) -> list[OcrWord]:
    return [w for w in words if word_inside(w, span, top, bottom)] if span else []
