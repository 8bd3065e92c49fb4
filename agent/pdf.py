"""Open a PDF safely and read its pages as words with boxes.

PDFium (through pypdfium2) is the hot path: its text and char boxes cost about as much as a bare
text dump, several times less than pdfplumber's layout analysis. Each word gets the box of its
first and last character, which is all the column logic of the parsers needs.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field

import pypdfium2 as pdfium

from agent.errors import InputError

PDF_MAGIC = b"%PDF-"
MAX_PAGES = 500
# A page whose text layer has fewer characters than this, and which carries an image, is a scan.
MIN_TEXT_CHARS = 20

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Word:
    """A run of non-space characters on a page; coordinates in points from the top-left corner."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class Checkbox:
    """A drawn tick box (forms since 2022 draw the Cap. Gains box as vector paths, with no text)."""

    x0: float
    top: float
    x1: float
    bottom: float
    checked: bool


@dataclass
class PageText:
    """One page: its raw text (PDFium's reading order, lines joined by \\n) and its words with boxes."""

    number: int  # 1-based
    width: float
    height: float
    text: str
    words: list[Word] = field(default_factory=list)
    has_images: bool = False
    checkboxes: list[Checkbox] = field(default_factory=list)

    @property
    def needs_ocr(self) -> bool:
        return len(self.text.strip()) < MIN_TEXT_CHARS and self.has_images


@dataclass
class Document:
    """A readable PDF's pages; `sha256` identifies the bytes for caching and history."""

    source: str
    sha256: str
    pages: list[PageText]

    @property
    def image_only_pages(self) -> list[int]:
        return [page.number for page in self.pages if page.needs_ocr]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_pdf_bytes(data: bytes, source: str) -> None:
    """Refuse what is plainly not a PDF before any parser sees it."""
    if not data:
        raise InputError(source, "the file is empty (0 bytes)")
    if PDF_MAGIC not in data[:1024]:
        raise InputError(source, "not a PDF (the file does not start with %PDF-)")


def open_pdf(data: bytes, source: str) -> pdfium.PdfDocument:
    """Open PDF bytes with PDFium, turning its failures into InputError messages a user can act on."""
    check_pdf_bytes(data, source)
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise InputError(source, "the PDF is encrypted with a password; save an unprotected copy and retry") from None
        detail = str(exc).rpartition("PDFium: ")[2].rstrip(".)").lower() or "unknown error"
        raise InputError(source, f"the PDF is damaged or truncated and cannot be opened (PDFium: {detail})") from None
    if len(document) == 0:
        document.close()
        raise InputError(source, "the PDF has no pages")
    if len(document) > MAX_PAGES:
        pages = len(document)
        document.close()
        raise InputError(source, f"the PDF has {pages} pages; the limit is {MAX_PAGES}")
    return document


def _page_has_images(page: pdfium.PdfPage) -> bool:
    return any(True for _ in page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,), max_depth=2))


# A tick box is a ~10 pt outline drawn with many curve segments; its tick is a short polyline inside it.
_BOX_SIZE = (7.0, 13.0)
_TICK_MAX_SEGMENTS = 8


def _read_checkboxes(page: pdfium.PdfPage, height: float) -> list[Checkbox]:
    outlines, ticks = [], []
    for obj in page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_PATH,), max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        if not (_BOX_SIZE[0] <= right - left <= _BOX_SIZE[1] and _BOX_SIZE[0] <= top - bottom <= _BOX_SIZE[1]):
            continue
        segments = pdfium.raw.FPDFPath_CountSegments(obj.raw)
        (ticks if segments <= _TICK_MAX_SEGMENTS else outlines).append((left, height - top, right, height - bottom))
    boxes: dict[tuple[int, int], Checkbox] = {}
    for x0, top, x1, bottom in outlines:
        key = (round(x0), round(top))  # the same box is often drawn two or three times
        if key in boxes:
            continue
        checked = any(abs((tx0 + tx1) / 2 - (x0 + x1) / 2) < 3 and abs((tt + tb) / 2 - (top + bottom) / 2) < 3
                      for tx0, tt, tx1, tb in ticks)
        boxes[key] = Checkbox(x0, top, x1, bottom, checked)
    return list(boxes.values())


def _read_page(page: pdfium.PdfPage, number: int) -> PageText:
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        # PDFium ends lines with \r\n; its char indices count both, so offsets stay aligned.
        raw = textpage.get_text_range()
        words = []
        for match in _WORD.finditer(raw):
            left, first_bottom, _, first_top = textpage.get_charbox(match.start(), loose=True)
            _, last_bottom, right, last_top = textpage.get_charbox(match.end() - 1, loose=True)
            words.append(Word(match.group(), left, height - max(first_top, last_top),
                              right, height - min(first_bottom, last_bottom)))
    finally:
        textpage.close()
    text = raw.replace("\r\n", "\n")
    has_images = len(text.strip()) < MIN_TEXT_CHARS and _page_has_images(page)
    checkboxes = [] if has_images else _read_checkboxes(page, height)
    return PageText(number, width, height, text, words, has_images, checkboxes)


def read_document(data: bytes, source: str) -> Document:
    """Read every page's text and words. Raises InputError when the bytes are not a readable PDF."""
    document = open_pdf(data, source)
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            try:
                pages.append(_read_page(page, index + 1))
            finally:
                page.close()
    finally:
        document.close()
    return Document(source, sha256_of(data), pages)


def render_page_png(data: bytes, page_number: int, scale: float = 1.5) -> bytes:
    """Render one page (1-based) as PNG bytes, for the source view."""
    document = open_pdf(data, "document")
    try:
        page = document[page_number - 1]
        image = page.render(scale=scale).to_pil()
        page.close()
    finally:
        document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
