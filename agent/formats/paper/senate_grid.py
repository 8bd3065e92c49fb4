"""The Senate paper form's grid on a scanned page, and the page turned upright by it.

"Periodic Disclosure of Financial Transactions" has, left to right: a narrow row number, a wide
"Identification of Assets" cell (the owner code written inside it), three narrow type cells (Purchase, Sale,
Exchange), one transaction date cell and 11 narrow amount cells. eFD's pages are GIFs stored turned 90 degrees;
the pattern is asymmetric, so the one turn under which the vertical rules show it is the page's upright turn:
no text has to be read to find it. Widths are shares of the upright page's width, so any scan size fits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from agent.documents.ocr import INK, OcrPage, deskew, horizontal_rules, remove_rules, rule_masks, vertical_rules
from agent.formats.paper.grid import Span

RENDER_SIDE = 2200  # pixels on the long side: eFD's GIF pages are 2200 x 1728 (200 dpi); the text needs no more
MERGE = 0.012  # rules closer than this share of the width are one (doubled or thick scanned rules)
NARROW = (0.024, 0.052)  # a type or amount cell (about 62 of 1728 pixels)
DATE = (0.08, 0.16)  # the transaction date cell (about 195)
NAME = 0.15  # the asset cell is at least this wide (about 400-470)
MIN_AMOUNTS = 10  # the 11th amount cell is sometimes cut off by the scan's edge
FEW_ROW_RULES = 10  # a grid showing fewer horizontal rules than this is checked for a tilt
TURNS = (0, 90, 270, 180)  # counter-clockwise, as agent.documents.ocr turns pages; upside down seldom
# A scanned rule is broken and tilted: the pieces too short for the rule masks lie within REMNANT_REACH points of
# the rule found, and tesseract reads them as part of the text beside them ("2/13/2014" as "-3/2014").
REMNANT_REACH = 4.0
# An ink run this long along a rule, that near it, is a piece of it: of the page's width along a row rule (a
# dash is shorter), of its height along a column rule (a digit "1" beside it is shorter: large print is 0.02).
REMNANT_RUN = (0.012, 0.025)


@dataclass(frozen=True)
class SenateColumns:
    """The cells of a row of the Senate form, in points of the upright page."""

    name: Span  # from the asset cell's left rule to the Purchase cell
    types: list[Span]  # Purchase, Sale, Exchange
    date: Span
    amounts: list[Span]  # as printed: $1,001-$15,000 ... $500,001-$1,000,000, Over $1,000,000***, $1,000,001 ...


def merged(rules: list[float], width: float) -> list[float]:
    """Rules with runs closer than MERGE of the width made one (at their middle)."""
    groups: list[list[float]] = []
    for x in sorted(rules):
        if groups and x - groups[-1][-1] <= MERGE * width:
            groups[-1].append(x)
        else:
            groups.append([x])
    return [(group[0] + group[-1]) / 2 for group in groups]


def find_senate_columns(rules: list[float], width: float) -> SenateColumns | None:
    """The form's columns in the vertical rules of an upright page `width` wide: a date cell with three
    narrow cells left of it (after a wide asset cell) and at least MIN_AMOUNTS narrow cells right of it."""
    cells = list(pairwise(merged(rules, width)))
    share = [(b - a) / width for a, b in cells]

    def narrow(index: int) -> bool:
        return 0 <= index < len(cells) and NARROW[0] <= share[index] <= NARROW[1]

    for index, value in enumerate(share):
        if not DATE[0] <= value <= DATE[1] or not all(narrow(index - k) for k in (1, 2, 3)):
            continue
        count = 0
        while count < 11 and narrow(index + 1 + count):
            count += 1
        name = next((j for j in range(index - 4, -1, -1) if share[j] >= NAME), None)
        if count >= MIN_AMOUNTS and name is not None:
            return SenateColumns((cells[name][0], cells[index - 3][0]), cells[index - 3:index], cells[index],
                                 cells[index + 1:index + 1 + count])
    return None


def _turn(image: np.ndarray, rotation: int) -> np.ndarray:
    return np.ascontiguousarray(np.rot90(image, rotation // 90))


def render_dpi(width: float, height: float) -> int:
    """The dpi to render a page of this size (points) at, so that its long side is RENDER_SIDE pixels."""
    return max(50, min(300, round(72 * RENDER_SIDE / max(width, height, 1.0))))


@dataclass
class SenatePage:
    """A page turned upright by the form's grid, its ruled lines whitened out, and the grid's columns and
    vertical extent (top, bottom in points), where the amount columns' rules run (None: no grid found)."""

    page: OcrPage
    columns: SenateColumns | None
    extent: tuple[float, float] = (0.0, 0.0)


def grid_extent(columns_mask: np.ndarray, columns: SenateColumns, scale: float) -> tuple[float, float]:
    """From the first to the last pixel row (points) where most of the amount columns' rules run."""
    edges = [a for a, _ in columns.amounts] + [columns.amounts[-1][1]]
    runs = [columns_mask[:, max(0, int(x * scale) - 2): int(x * scale) + 3].any(axis=1) for x in edges]
    rows = np.flatnonzero(np.sum(runs, axis=0) * 2 > len(runs))
    return (rows[0] / scale, (rows[-1] + 1) / scale) if rows.size else (0.0, 0.0)


def upright_page(grey: np.ndarray, number: int, dpi: int) -> SenatePage:
    """Find the form's grid under each turn (on the page at half resolution: rules are long, and this is
    the costly part) and, when one turn shows it, the page upright and cleaned for reading. A grid showing
    few row rules may be tilted (a tilted rule is no straight line of pixels): it is squared and looked at
    again."""
    started = time.perf_counter()
    sheet = _find_grid(grey, number, dpi)
    if sheet.columns is not None and len(sheet.page.row_rules) < FEW_ROW_RULES:
        square = deskew(grey)
        if square is not grey:
            squared = _find_grid(square, number, dpi)
            if len(squared.page.row_rules) > len(sheet.page.row_rules):
                sheet = squared
    sheet.page.seconds = time.perf_counter() - started
    return sheet


def runs_along(dark: np.ndarray, length: int) -> np.ndarray:
    """Pixels of `dark` in a run of at least `length` set pixels along its rows."""
    if dark.shape[1] < length:
        return np.zeros_like(dark)
    starts = sliding_window_view(dark, length, axis=1).all(axis=2)
    covered = np.zeros_like(dark)
    for shift in range(length):
        covered[:, shift:shift + starts.shape[1]] |= starts
    return covered


def clear_rule_remnants(image: np.ndarray, page: OcrPage, extent: tuple[float, float]) -> None:
    """Whiten, in place, the pieces of the page's rules within the grid's extent (top, bottom in points) that the
    rule masks left (the name box above it is not touched: its words are read whole)."""
    scale = page.scale
    reach = round(REMNANT_REACH * scale)
    top, bottom = round(extent[0] * scale) - reach, round(extent[1] * scale) + reach + 1
    grid = image[max(0, top):bottom]
    rows = [y * scale - max(0, top) for y in page.row_rules if top <= y * scale <= bottom]
    for positions, picture, share in ((rows, grid, REMNANT_RUN[0] * image.shape[1]),
                                      ([x * scale for x in page.rules], grid.T, REMNANT_RUN[1] * image.shape[0])):
        for at in positions:
            stripe = picture[max(0, round(at) - reach):round(at) + reach + 1]
            stripe[runs_along(stripe < INK, max(2, round(share)))] = 255


def _find_grid(grey: np.ndarray, number: int, dpi: int) -> SenatePage:
    scale = dpi / 72
    small = np.ascontiguousarray(grey[::2, ::2])
    horizontal, vertical = rule_masks(small)
    for rotation in TURNS:
        sideways = rotation in (90, 270)  # the page's rows run up and down: its horizontal rules are the columns'
        columns_mask = _turn(horizontal if sideways else vertical, rotation)
        width = columns_mask.shape[1] / (scale / 2)
        columns = find_senate_columns(vertical_rules(columns_mask, scale / 2), width)
        if columns is None:
            continue
        rows_mask = _turn(vertical if sideways else horizontal, rotation)
        full = [np.repeat(np.repeat(mask, 2, axis=0), 2, axis=1)[:grey.shape[0], :grey.shape[1]]
                for mask in (horizontal, vertical)]
        upright = _turn(remove_rules(grey, full[0], full[1]), rotation)
        page = OcrPage(number, rotation, upright.shape[1] / scale, upright.shape[0] / scale, [], 0.0, upright, scale,
                       vertical_rules(columns_mask, scale / 2), horizontal_rules(rows_mask, scale / 2))
        extent = grid_extent(columns_mask, columns, scale / 2)
        clear_rule_remnants(upright, page, extent)
        return SenatePage(page, columns, extent)
    return SenatePage(OcrPage(number, 0, grey.shape[1] / scale, grey.shape[0] / scale, image=grey, scale=scale), None)
