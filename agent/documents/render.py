"""Render a filing's page with a row's boxes drawn on it, so a reader can see where a value came from.

An upload is never parsed in the app's process: the page is rendered by a sandboxed worker
(agent.documents.sandbox, with its time and memory limits), which sends back plain pixels, at most
MAX_SIDE on the long side. Pillow draws the boxes on that bounded bitmap here.

A scan stored turned a quarter (no /Rotate flag) is shown upright, as OCR read it: its row's box is then taller
than wide, and the page is turned the way OCR turns it (agent.documents.ocr: the way its grid fits, else the
turn under which its text reads best).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

import numpy as np
from PIL import Image, ImageDraw

from agent.documents import ocr
from agent.documents.sandbox import PageImage, render_image
from agent.errors import OcrUnavailable

RESOLUTION = 110  # dpi: a letter page is 935 x 1210 pixels
MAX_SIDE = 4000  # pixels on the long side: a page with a huge MediaBox is shown smaller, never as a huge bitmap
PADDING = 2.0  # points around a box, so its outline does not cross the letters
RED = (220, 30, 30)
FILL_ALPHA = 30  # of 255: the letters inside a box stay readable
OUTLINE = 2  # pixels


def highlighted_page(data: bytes, boxes: list[Mapping[str, float]], page: int) -> bytes:
    """PNG bytes of `page` (1-based) with each of the row's boxes on that page outlined in red. Raises InputError
    (a missing page, a damaged or hostile file: the reason says which) from the worker."""
    image = render_image(data, "document", page, RESOLUTION, colour=True, max_side=MAX_SIDE)
    picture = Image.fromarray(image.pixels).convert("RGBA")
    overlay = Image.new("RGBA", picture.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for box in boxes:
        corners = [box["x0"] - PADDING, box["top"] - PADDING, box["x1"] + PADDING, box["bottom"] + PADDING]
        if box["page"] != page or not all(math.isfinite(value) for value in corners):
            continue
        # Clamped to just outside the picture: a box the reader placed off the page draws nothing huge.
        x0, top, x1, bottom = (min(max(value * image.scale, -OUTLINE), limit + OUTLINE)
                               for value, limit in zip(corners, picture.size * 2, strict=True))
        if x1 > x0 and bottom > top:
            draw.rectangle((x0, top, x1, bottom), fill=(*RED, FILL_ALPHA), outline=(*RED, 255), width=OUTLINE)
    shown = Image.alpha_composite(picture, overlay).convert("RGB")
    turn = upright_turn(image, [box for box in boxes if box["page"] == page])
    buffer = io.BytesIO()
    (shown.rotate(turn, expand=True) if turn else shown).save(buffer, format="PNG")  # counter-clockwise, as OCR
    return buffer.getvalue()


def upright_turn(image: PageImage, boxes: list[Mapping[str, float]]) -> int:
    """Degrees (counter-clockwise) that show the page upright: 0 unless the row's first box is taller than wide
    (a row of a scan stored turned), then the turn OCR would give the page (0 when it cannot tell)."""
    if not boxes or boxes[0]["bottom"] - boxes[0]["top"] <= boxes[0]["x1"] - boxes[0]["x0"]:
        return 0
    grey = image.pixels if image.pixels.ndim == 2 else image.pixels.mean(axis=2).astype(np.uint8)
    gridded = ocr.grid_rotation(*ocr.rule_masks(grey), image.scale)
    if gridded is not None:
        return gridded
    try:
        return ocr.choose_rotation(ocr.remove_rules(grey, *ocr.rule_masks(grey)))
    except OcrUnavailable:  # no tesseract here, or it failed: the page is shown as stored
        return 0
