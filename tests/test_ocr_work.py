"""What OCR spends on a page: the ruled lines found in byte-sized arrays, the second engine's crops cut to their ink."""

from __future__ import annotations

import importlib.util
import tracemalloc

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from agent.documents import ocr
from agent.documents.ocr import MODEL_WINDOW, OcrPage, ink_columns, read_cells, rule_masks


def _runs_by_hand(mask: np.ndarray, length: int) -> np.ndarray:
    """Pixels in a horizontal run of at least `length` set pixels, found pixel by pixel."""
    length = max(2, min(length, mask.shape[1]))
    found = np.zeros_like(mask)
    for y, row in enumerate(mask):
        x = 0
        while x < len(row):
            end = x
            while end < len(row) and row[end]:
                end += 1
            if end - x >= length:
                found[y, x:end] = True
            x = end + 1
    return found


def test_runs_are_the_runs_of_set_pixels_at_least_so_long():
    rng = np.random.default_rng(18)
    for _ in range(200):
        mask = rng.random((int(rng.integers(1, 12)), int(rng.integers(1, 40)))) < rng.random()
        length = int(rng.integers(0, 45))
        assert (ocr._runs(mask, length) == _runs_by_hand(mask, length)).all()


def test_finding_a_pages_ruled_lines_takes_a_few_bytes_a_pixel():
    grey = np.full((2200, 1700), 255, np.uint8)  # a letter page at 200 dpi: a grid of rules and some print
    grey[200:2000:40, 100:1600] = 0
    grey[200:2000, 100:1600:120] = 0
    grey[300:310, 300:900:3] = 0
    tracemalloc.start()
    horizontal, vertical = rule_masks(grey)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert horizontal[200, 100:1600].all() and vertical[200:2000, 220].all() and not horizontal[305, 301]
    assert peak < 10 * grey.size  # running sums of int32s took 47 bytes a pixel (and pages are read two at a time)


def test_a_wide_cell_is_cut_to_its_ink_and_a_narrow_one_left_as_it_is():
    wide = np.full((30, 600), 255, np.uint8)
    wide[10:20, 50:150] = 0
    cut = ink_columns(wide, 5)
    assert cut.shape == (30, max(110, int(30 * MODEL_WINDOW))) and cut[:, 5].min() == 0 and cut[:, 4].min() == 255
    narrow = np.full((30, 150), 255, np.uint8)
    narrow[10:20, 60:80] = 0
    assert ink_columns(narrow, 5).shape == narrow.shape  # padded to the model's window anyway: nothing saved
    assert ink_columns(np.full((30, 600), 255, np.uint8), 5).shape == (30, 600)  # no ink: nothing to cut to


@pytest.mark.skipif(importlib.util.find_spec("rapidocr") is None, reason="rapidocr is not installed")
def test_a_name_at_the_start_of_a_wide_cell_is_read_whole():
    image = Image.new("L", (1200, 60), 255)
    ImageDraw.Draw(image).text((20, 14), "Humana Inc", fill=0, font=ImageFont.load_default(size=28))
    page = OcrPage(1, 0, 1200, 60, [], 0.0, np.array(image), 1.0)
    (word,) = read_cells(page, [(10.0, 5.0, 1190.0, 55.0)]) or []
    assert word.text.replace(" ", "").lower() == "humanainc" and (word.x0, word.x1) == (10.0, 1190.0)
