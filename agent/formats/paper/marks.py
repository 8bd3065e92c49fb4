"""X marks and owner codes on scans: which type and amount cells of a row are marked (ink relative to the row's
strongest cell, measured in the middle of the row's height), the bracket each amount column stands for, and the
owner code read letter by letter in the owner column (with the letters tesseract mistakes them for)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from agent.documents.ocr import INK, OcrPage, OcrWord
from agent.formats.fields import AMOUNT_BRACKETS, OWNER_CODES
from agent.formats.paper.cells import cell_box, cell_ink
from agent.formats.paper.grid import TYPE_NAMES, Span
from agent.models import Box, Transaction

MARK_INK = 0.015  # share of a cell's inner pixels that must be ink for an X mark

MARK_SHARE = 0.4  # ... and at least this share of the most inked cell of its group

SPILL_EDGE, SPILL_INK = 0.2, 0.05  # strips 20% of a row high just outside it; ink there over 5% is a crossing

TYPE_KINDS = ("P", "S", "S (partial)", "E")  # type cells that are a transaction's type (not Cap. Gains, Partial)

BOXED_INK = 0.1  # every cell of a group this inked: each holds a printed checkbox

BOX_MARGIN = 0.25  # share of the inside of a box, each side, left out of its measure

BOX_SIDE = 0.5  # share of a box's height (width) that a column (row) of its pixels inks when it is a side

HANDWRITTEN_ROW = 18.0  # points: rows this high leave room to write in by hand (the paper form's are 25-30)

# Letters tesseract reads in place of the owner codes' letters on these scans.
LOOKS_LIKE = {"D": "OPB", "C": "EGO", "S": "B", "P": "R", "J": "IL", "T": "I"}

# The amount columns A-J, then K (a spouse's or dependent child's asset over $1,000,000).
BRACKET_LABELS = [f"${low:,} - ${high:,}" if high else f"Over ${low - 1:,}" for low, high in AMOUNT_BRACKETS[:10]] + [
    f"Spouse/DC Over ${AMOUNT_BRACKETS[10][0] - 1:,}"]


def label_for(index: int) -> tuple[str, float, float | None]:
    low, high = AMOUNT_BRACKETS[index]
    return BRACKET_LABELS[index], float(low), None if high is None else float(high)


def marked_cells(page: OcrPage, cells: list[tuple[float, float]], top: float, bottom: float) -> tuple[list[int], float]:
    """Indices of the cells holding a mark, and how clearly (the weakest mark over the strongest blank).
    Each marked cell is recorded on the page (`page.marks`), where grounding and source views find it."""
    inks = mark_inks(page, cells, top, bottom)
    strongest = max(inks, default=0.0)
    # small typed x's ink 2-5% of a cell, drawn X's 10-15%; specks of neighbouring print stay under either
    marked = [i for i, ink in enumerate(inks) if ink >= MARK_INK and ink >= MARK_SHARE * strongest]
    blanks = [ink for i, ink in enumerate(inks) if i not in marked]
    clarity = (min(inks[i] for i in marked) / max(max(blanks, default=0.0), 0.01)) if marked else 0.0
    page.marks.extend(cell_box(page, cells, i, top, bottom) for i in marked)
    return marked, clarity


def mark_inks(page: OcrPage, cells: list[Span], top: float, bottom: float) -> list[float]:
    """The ink of each cell of a group where a mark would be: in the cell, or, when every cell of the group holds
    a printed checkbox, in the middle of its box (the outline is no mark)."""
    if holds_boxes(page, cells, top, bottom):
        return [box_interior_ink(page, a, b, top, bottom) for a, b in cells]
    return [cell_ink(page, a, b, top, bottom) for a, b in cells]


def holds_boxes(page: OcrPage, cells: list[Span], top: float, bottom: float) -> bool:
    """Whether every cell of a group holds a printed checkbox (a blank ruled cell holds next to no ink)."""
    return bool(cells) and min(cell_ink(page, a, b, top, bottom) for a, b in cells) >= BOXED_INK


def box_interior_ink(page: OcrPage, x0: float, x1: float, top: float, bottom: float) -> float:
    """Share of ink in the middle of the checkbox printed in a cell: within its sides (the columns and rows of
    pixels that are mostly ink), BOX_MARGIN off each side. The cell's ink, as `cell_ink` measures it, when no
    box shows."""
    if page.image is None:
        return 0.0
    s = page.scale
    region = page.image[max(0, int(top * s)): int(bottom * s) + 1, max(0, int(x0 * s)): int(x1 * s) + 1] < INK
    if region.shape[0] < 6 or region.shape[1] < 6:
        return 0.0
    rows, columns = _between_sides(region.mean(axis=1)), _between_sides(region.mean(axis=0))
    if rows is None or columns is None:
        return cell_ink(page, x0, x1, top, bottom)
    (top_row, bottom_row), (left, right) = (_middle(*rows), _middle(*columns))
    inside = region[top_row: bottom_row + 1, left: right + 1]
    return float(inside.mean()) if inside.size else 0.0


def _middle(first: int, last: int) -> tuple[int, int]:
    """The middle part of a span of pixels: an X crosses it, and a side mistaken for another's (a rule's remnant
    next to the box) stays out."""
    trim = int((last - first) * BOX_MARGIN)
    return first + trim, last - trim


def _between_sides(profile: np.ndarray) -> tuple[int, int] | None:
    """The first and last index between a box's two sides, from the ink share of each line of pixels across it:
    the sides are the first run of lines over BOX_SIDE in the first half and the last run in the second half
    (an X inside the box may ink its middle lines as much). None without both sides."""
    sides = np.nonzero(profile >= BOX_SIDE)[0]
    middle = len(profile) / 2
    if not len(sides) or sides[0] >= middle or sides[-1] < middle:
        return None
    first, last = int(sides[0]), int(sides[-1])
    while first + 1 in sides:
        first += 1
    while last - 1 in sides:
        last -= 1
    return (first + 1, last - 1) if first < last else None


def runs_beyond_row(page: OcrPage, cell: Span, top: float, bottom: float) -> bool:
    """Whether a marked cell's ink carries on across the row's edges: through both (inked strips just
    above and below the row), or more of it just outside one edge than inside the cell. That is a word
    written by hand down the column, or a stray line, not an X in the cell (a neighbouring row's X reaches
    one edge at most, and with less ink than the cell's own). Rows under HANDWRITTEN_ROW high are not
    judged: small print's tight rows and thick rules leave ink at every edge."""
    if bottom - top < HANDWRITTEN_ROW:
        return False
    edge = (bottom - top) * SPILL_EDGE
    above, below = (cell_ink(page, *cell, y, y + edge, pad=False) for y in (top - edge, bottom))
    return min(above, below) >= SPILL_INK or max(above, below) > cell_ink(page, *cell, top, bottom)


def owner_code(word: OcrWord, in_owner_cell: bool = False) -> tuple[str, bool]:
    """An owner code from a word; (code, exact). The codes are a closed set (SP, JT, DC), so a word that
    reads as exactly one of them is taken whatever tesseract's confidence; S read as § or $ is repaired.
    In the owner column, where nothing else is printed, a misread code is matched letter by letter,
    allowing tesseract's usual confusions ('pc' and 'oC' are DC); an ambiguous reading gives nothing.
    Repaired codes are not exact (they get flagged)."""
    text = re.sub(r"[^A-Za-z]", "", word.text.replace("§", "S").replace("$", "S")).upper()
    if text in OWNER_CODES:
        return text, text == re.sub(r"[^A-Za-z]", "", word.text).upper()
    if not in_owner_cell:
        return "", False
    inside = [code for code in OWNER_CODES if code in text]
    if len(inside) == 1:
        return inside[0], False
    if len(text) == 1:
        return next((code for code in OWNER_CODES if text in code), ""), False
    if len(text) != 2:
        return "", False
    scores = {code: sum(1.0 if got == want else 0.5 if got in LOOKS_LIKE.get(want, "") else 0.0
                        for got, want in zip(text, code)) for code in OWNER_CODES}
    best = max(scores.values())
    winners = [code for code, score in scores.items() if score == best]
    # at least one letter read right: two look-alikes ("OO", "LI") are as likely specks in a blank cell
    return (winners[0], False) if best >= 1.5 and len(winners) == 1 else ("", False)


def decide_owner(readings: list[list[OcrWord]], flags: list[tuple[str, str]]) -> str:
    """The owner code from readings of the owner cell (the column alone with only its letters; the page):
    trusted when one reading is exact and no other disagrees, else taken with a flag."""
    codes = []
    for words in readings:
        letters = [w for w in words if re.sub(r"[^A-Za-z]", "", w.text)]
        codes.append(owner_code(letters[0], in_owner_cell=True) if letters else ("", False))
    found = [code for code, _ in codes if code]
    if any(sure for _, sure in codes) and len(set(found)) == 1:
        return found[0]
    texts = [w.text for words in readings for w in words[:1]]
    if found:
        flags.append(("low_confidence:owner", f"owner read as {' and as '.join(map(repr, texts))}"))
        return Counter(found).most_common(1)[0][0]
    if texts:
        flags.append(("unreadable:owner", f"owner column reads {' and '.join(map(repr, texts))}"))
    return ""


def read_marks(page: OcrPage, row: Transaction, amount_cells: list[Span], type_cells: list[Span],
                type_names: list[str], top: float, bottom: float, flags: list[tuple[str, str]]) -> list[Box]:
    """The row's amount and type (and Cap. Gains, where the form has the column) from the X marks in its
    cells; `type_names` names the type cells in their order. Returns the marked cells: the evidence."""
    mark_boxes: list[Box] = []
    marked, clarity = marked_cells(page, amount_cells, top, bottom)
    if len(marked) == 1:
        row.amount, row.amount_min, row.amount_max = label_for(marked[0])
        mark_boxes.append(cell_box(page, amount_cells, marked[0], top, bottom))
        if clarity < 2:
            flags.append(("low_confidence:amount", "the amount mark is faint against the other cells"))
    elif not amount_cells:
        flags.append(("unreadable:amount", "no amount columns found right of the dates"))
    else:
        flags.append(("unreadable:amount", f"{len(marked)} amount cells marked"))
    marked, clarity = marked_cells(page, type_cells, top, bottom)
    picked = [type_names[i] for i in marked]
    kinds = [i for i in marked if type_names[i] in TYPE_KINDS]
    # a mark inside a printed box stays in it: the box's own sides reach the row's edges
    beyond = len(kinds) == 1 and not holds_boxes(page, type_cells, top, bottom)
    if beyond and runs_beyond_row(page, type_cells[kinds[0]], top, bottom):
        reason = "the ink in the type cells runs on beyond the row: handwriting or a stray line, not an X"
        flags.append(("unreadable:transaction_type", reason))
    elif len(kinds) == 1:
        kind = type_names[kinds[0]]
        row.transaction_type = "S (partial)" if kind == "S" and "partial" in picked else kind
        mark_boxes.append(cell_box(page, type_cells, kinds[0], top, bottom))
        if clarity < 2:
            flags.append(("low_confidence:transaction_type", "the type mark is faint against the other cells"))
    else:
        flags.append(("unreadable:transaction_type", f"{len(kinds)} type cells marked"))
    if len(type_names) == len(TYPE_NAMES[5]):
        row.cap_gains_over_200 = "gains" in picked
    return mark_boxes
