"""The typed form's grid on a scanned page: which of its vertical ruled lines bound which column.

The paper form (and the typed tables attached to it) has a narrow owner cell, a wide asset name cell, 3, 4
or 5 narrow type cells (Purchase, Sale, Exchange; the newer form puts Partial Sale before Exchange; some
attachments add Capital Gains > $200 and Partial Transaction), two date cells and 10 or 11 narrow amount
cells (A-J, and K: spouse/DC over $1,000,000). The pattern is asymmetric, so it also tells which way up a
scanned page is (agent/ocr.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise, product

NARROW = 36.0  # points: type and amount cells are 15-30 pt wide
DATE_WIDTH = (38.0, 120.0)  # a date cell
NAME_WIDTH = 100.0  # the asset name cell is the wide one
SLIVER = 10.0  # points: no cell of the form is this narrow
MAX_SLIVERS = 4  # stray rules tried left out, at most
OWNER_WIDTH = 70.0  # the owner cell (SP, JT, DC) is the narrow first one
TYPE_NAMES = {3: ["P", "S", "E"], 4: ["P", "S", "S (partial)", "E"], 5: ["P", "S", "E", "gains", "partial"]}

Span = tuple[float, float]


@dataclass(frozen=True)
class GridColumns:
    """The cells of a row of the typed form, left to right, in points of the upright page."""

    owner: Span | None
    name: Span
    types: list[Span]
    transaction_date: Span
    notified: Span
    amounts: list[Span]  # brackets A-J, and K (spouse/DC over $1,000,000) when printed


# cells right of the name -> the (type cells, amount cells) that many make: 3, 4 or 5 types, 2 dates, 10 or 11
# amounts (16 is 3 types and 11 amounts, or 4 and 10: the date cells' widths tell which)
_LAYOUTS_BY_COUNT = {types + 2 + amounts: [(t, a) for t, a in product(TYPE_NAMES, (10, 11)) if t + a == types + amounts]
                     for types, amounts in product(TYPE_NAMES, (10, 11))}


def find_columns(rules: list[float]) -> GridColumns | None:
    """The form's grid in the vertical rules (`grid_in_rules`), looked for first without the strays that cut a
    sliver off a cell (a pen stroke or an X drawn down a column is read as a rule): one rule of each such pair
    left out, either one, then (no fit) in all the rules."""
    slivers = [index for index, (a, b) in enumerate(pairwise(rules)) if b - a < SLIVER][:MAX_SLIVERS]
    variants = [[x for index, x in enumerate(rules) if index not in dropped]
                for dropped in product(*[(index, index + 1) for index in slivers])] if slivers else []
    for variant in [*variants, rules]:
        columns = grid_in_rules(variant)
        if columns is not None:
            return columns
    return None


def grid_in_rules(rules: list[float]) -> GridColumns | None:
    """The form's column pattern in the vertical rules: a wide name cell, 3, 4 or 5 narrow type cells, two
    date cells, then 10 or 11 narrow amount cells. None when the page has no such grid.

    The number of cells right of the widest (name) cell tells the variant when the grid is the table's
    alone; otherwise the pattern is looked for by width (rules of the header or the page border around)."""
    cells = list(pairwise(rules))
    width = [b - a for a, b in cells]
    name_index = max(range(len(cells)), key=width.__getitem__) if cells else 0
    wide_name = bool(cells) and width[name_index] >= NAME_WIDTH
    for type_count, _ in _LAYOUTS_BY_COUNT.get(len(cells) - name_index - 1, []) if wide_name else []:
        types = cells[name_index + 1: name_index + 1 + type_count]
        dates = cells[name_index + 1 + type_count: name_index + 3 + type_count]
        amounts = cells[name_index + 3 + type_count:]
        typical = sorted(b - a for a, b in amounts)[len(amounts) // 2]
        if all(b - a >= 0.9 * typical for a, b in dates) and sum(b - a for a, b in dates) >= 2.2 * typical:
            return _columns(cells, name_index, types, dates[0], dates[1], amounts)
    for i in range(1, len(cells) - 11):
        if not all(DATE_WIDTH[0] <= width[j] <= DATE_WIDTH[1] for j in (i, i + 1)):
            continue
        amounts = []
        for j in range(i + 2, min(len(cells), i + 13)):
            if width[j] >= NARROW:
                break
            amounts.append(cells[j])
        types = []
        for j in range(i - 1, -1, -1):
            if width[j] >= NARROW:
                break
            types.insert(0, cells[j])
        name_index = i - 1 - len(types)
        # the name cell runs from the owner cell (a pen stroke down it may read as a rule)
        if len(amounts) < 10 or len(types) not in TYPE_NAMES or name_index < 0 or (
                cells[name_index][1] - cells[min(1, name_index)][0] < NAME_WIDTH):
            continue
        return _columns(cells, name_index, types, cells[i], cells[i + 1], amounts[:11])
    return None


def _columns(cells: list[Span], name_index: int, types: list[Span], transaction_date: Span, notified: Span,
             amounts: list[Span]) -> GridColumns:
    # Left of the name cell: the owner cell first, then maybe rules that only cross the header.
    owner = cells[0] if name_index >= 1 and cells[0][1] - cells[0][0] < OWNER_WIDTH else None
    name = ((owner[1] if owner else cells[name_index][0]), cells[name_index][1])
    return GridColumns(owner, name, types, transaction_date, notified, amounts)
