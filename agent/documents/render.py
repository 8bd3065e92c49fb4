"""Render a filing's page with a row's boxes drawn on it, so a reader can see where a value came from."""

from __future__ import annotations

import io

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError

from agent.documents.pdf import check_pdf_bytes
from agent.errors import InputError

RESOLUTION = 110


def highlighted_page(data: bytes, boxes: list[dict], page: int) -> bytes:
    """PNG bytes of `page` (1-based) with each of the row's boxes on that page outlined in red."""
    check_pdf_bytes(data, "document")
    try:
        with pdfplumber.open(io.BytesIO(data)) as document:
            if not 1 <= page <= len(document.pages):
                raise InputError("document", f"has no page {page}")
            image = document.pages[page - 1].to_image(resolution=RESOLUTION)
            rects = [(box["x0"] - 2, box["top"] - 2, box["x1"] + 2, box["bottom"] + 2)
                     for box in boxes if box["page"] == page]
            image.draw_rects(rects, stroke=(220, 30, 30), fill=(220, 30, 30, 30), stroke_width=2)
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
    except (PDFSyntaxError, ValueError) as exc:
        raise InputError("document", f"cannot be rendered ({exc})") from None
    return buffer.getvalue()
