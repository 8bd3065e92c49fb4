"""Open a PDF safely and read its pages as words with boxes.

PDFium (through pypdfium2) is the hot path: its text and char boxes cost about as much as a bare
text dump, several times less than pdfplumber's layout analysis. Each word gets the box of its
first and last character, which is all the column logic of the parsers needs. Old filings whose
text layer gives some capitals as lower case get them back from the glyphs' geometry first
(`restore_capitals`). Words a reader cannot see (white on the page, or drawn in an invisible render
mode) are set apart as `hidden_words` and left out of the page's text, so no parser, validator or LLM
reads them (`_drawn_invisibly`).
"""

from __future__ import annotations

import ctypes
import hashlib
import re
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import pypdfium2 as pdfium

from agent.errors import InputError

PDF_MAGIC = b"%PDF-"
DocumentKind = Literal["pdf", "html"]
MAX_PAGES = 500
# A page whose text layer has fewer characters than this, and which carries an image, is a scan.
MIN_TEXT_CHARS = 20

_WORD = re.compile(r"\S+")

# A raw PDFium handle (a ctypes pointer such as FPDF_PAGEOBJECT or FPDF_TEXTPAGE); pypdfium2 ships no types.
_Handle = Any
# The red, green, blue and alpha buffers PDFium's colour getters fill.
_Rgba = tuple[ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint]
# A colour getter of a text page's character: FPDFText_GetFillColor or FPDFText_GetStrokeColor.
_ColourGetter = Callable[[_Handle, int, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint], int]


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
    # Words drawn so that a reader cannot see them: not in `words` nor in `text`, kept to be reported.
    hidden_words: list[Word] = field(default_factory=list)
    read_by_ocr: bool = False  # `text` and `words` came from OCR of the page's image, not from a text layer

    @property
    def needs_ocr(self) -> bool:
        return len(self.text.strip()) < MIN_TEXT_CHARS and self.has_images


@dataclass
class Document:
    """A readable document's pages of words with boxes: a PDF's, or a saved web page laid out as a browser
    would (agent/documents/html.py). `sha256` identifies the bytes for caching and history."""

    source: str
    sha256: str
    pages: list[PageText]
    kind: DocumentKind = "pdf"
    title: str = ""  # a web page's <title>

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
            raise InputError(source, "the PDF is encrypted with a password; save an unprotected copy and "
                                     "retry") from None
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


def _path_objects(handles: Iterable[_Handle], depth: int = 3) -> Iterator[_Handle]:
    """Raw handles of the path objects among `handles`, looking into form XObjects (cheaper than wrappers)."""
    raw = pdfium.raw
    for handle in handles:
        kind = raw.FPDFPageObj_GetType(handle)
        if kind == raw.FPDF_PAGEOBJ_PATH:
            yield handle
        elif kind == raw.FPDF_PAGEOBJ_FORM and depth > 1:
            count = raw.FPDFFormObj_CountObjects(handle)
            yield from _path_objects((raw.FPDFFormObj_GetObject(handle, i) for i in range(count)), depth - 1)


def _read_checkboxes(page: pdfium.PdfPage, height: float) -> list[Checkbox]:
    raw = pdfium.raw
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    outlines: list[tuple[float, float, float, float]] = []
    ticks: list[tuple[float, float, float, float]] = []
    handles = (raw.FPDFPage_GetObject(page.raw, i) for i in range(raw.FPDFPage_CountObjects(page.raw)))
    for handle in _path_objects(handles):
        raw.FPDFPageObj_GetBounds(handle, left, bottom, right, top)
        width, tall = right.value - left.value, top.value - bottom.value
        if not (_BOX_SIZE[0] <= width <= _BOX_SIZE[1] and _BOX_SIZE[0] <= tall <= _BOX_SIZE[1]):
            continue
        segments = raw.FPDFPath_CountSegments(handle)
        (ticks if segments <= _TICK_MAX_SEGMENTS else outlines).append(
            (left.value, height - top.value, right.value, height - bottom.value))
    boxes: dict[tuple[int, int], Checkbox] = {}
    for x0, box_top, x1, box_bottom in outlines:  # from the page's top, unlike the bottom-up buffers above
        key = (round(x0), round(box_top))  # the same box is often drawn two or three times
        if key in boxes:
            continue
        checked = any(abs((tx0 + tx1) / 2 - (x0 + x1) / 2) < 3 and abs((tt + tb) / 2 - (box_top + box_bottom) / 2) < 3
                      for tx0, tt, tx1, tb in ticks)
        boxes[key] = Checkbox(x0, box_top, x1, box_bottom, checked)
    return list(boxes.values())


# Filings made with an older Georgia font (about 2016-2022) have a faulty text layer: some capitals
# come out as their lower-case letter ("aIa group" for "AIA Group", "FIlINg STaTuS") while real lower
# case in the same font comes out right, so only the glyphs' geometry tells them apart. The symptom
# that turns the check on: an all-caps run broken by a lower-case letter ("FIlINg", "STaTuS", "PUb";
# a plural such as "ETFs" does not count). Modern forms give their labels as U+FFFE instead.
_CASE_SYMPTOM = re.compile(r"\b[A-Z]{2,}(?!s\b)[a-z]")
# Where a letter's lower-case form stands, against a capital standing on the baseline at cap height:
# x-height letters stand lower, descenders reach below the baseline, ascenders stand higher (in most
# fonts; measured on the page). i, j and t are left alone: their lower-case forms reach about as high
# as a capital. J and Q do not measure the cap height: they descend in some fonts.
_X_HEIGHT_LETTERS = frozenset("acemnorsuvwxz")
_DESCENDER_LETTERS = frozenset("gpqy")
_ASCENDER_LETTERS = frozenset("bdfhkl")
_CAP_HEIGHT_LETTERS = frozenset("ABCDEFGHIKLMNOPRSTUVWXYZ")
_MEASURED_LETTERS = _X_HEIGHT_LETTERS | _DESCENDER_LETTERS | _ASCENDER_LETTERS | _CAP_HEIGHT_LETTERS
# Fractions of the font's cap height. Measured on the old Georgia filings: round capitals overshoot it
# by up to 3%; x-height letters top out at 68-73% of it, descenders reach 30% below the baseline,
# ascenders stand 6-9% above it (Bold and regular).
_CAP_HEIGHT_TOLERANCE = 0.05
_BASELINE_TOLERANCE = 0.08
_MIN_ASCENDER_GAP = 0.06
_MIN_CAPITALS_MEASURED = 3  # fewer, and the font's cap height is not trusted: its letters stay as given


class _Glyph(NamedTuple):
    """A letter's tight box against its baseline, in units of its font size, so sizes compare."""

    char_index: int  # in the text page (`index` would shadow tuple.index)
    letter: str
    font: bytes
    top: float
    bottom: float


def _letter_glyphs(textpage: pdfium.PdfTextPage, text: str) -> list[_Glyph]:
    # Raw PDFium calls: this loop runs once per letter, and the wrappers would double its cost.
    raw, handle = pdfium.raw, textpage.raw
    name = ctypes.create_string_buffer(128)
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    glyphs = []
    for index, letter in enumerate(text):
        if letter not in _MEASURED_LETTERS:
            continue
        size = raw.FPDFText_GetFontSize(handle, index)
        if size <= 0 or not raw.FPDFText_GetFontInfo(handle, index, name, len(name), None):
            continue
        raw.FPDFText_GetCharBox(handle, index, left, right, bottom, top)
        raw.FPDFText_GetCharOrigin(handle, index, origin_x, origin_y)
        baseline = origin_y.value
        glyphs.append(_Glyph(index, letter, name.value,
                             (top.value - baseline) / size, (bottom.value - baseline) / size))
    return glyphs


def _cap_heights(glyphs: list[_Glyph]) -> dict[bytes, float]:
    """Each font's cap height, from the capitals the text layer does give as capitals."""
    tops: dict[bytes, list[float]] = {}
    for glyph in glyphs:
        if glyph.letter in _CAP_HEIGHT_LETTERS:
            tops.setdefault(glyph.font, []).append(glyph.top)
    return {font: statistics.median(values) for font, values in tops.items()
            if len(values) >= _MIN_CAPITALS_MEASURED}


def _ascender_heights(glyphs: list[_Glyph]) -> dict[bytes, float]:
    """Each font's ascender height: the highest lower-case b, d, f, h, k or l (capitals given as these
    stand lower, at cap height, in fonts where ascenders and capitals can be told apart at all)."""
    heights: dict[bytes, float] = {}
    for glyph in glyphs:
        if glyph.letter in _ASCENDER_LETTERS:
            heights[glyph.font] = max(heights.get(glyph.font, glyph.top), glyph.top)
    return heights


def _is_hidden_capital(glyph: _Glyph, cap_height: float, ascender_height: float | None) -> bool:
    """A lower-case letter whose glyph stands on the baseline at cap height is a capital, wherever the
    lower-case form of that letter cannot stand there."""
    on_baseline = glyph.bottom >= -_BASELINE_TOLERANCE * cap_height
    at_cap_height = abs(glyph.top - cap_height) <= _CAP_HEIGHT_TOLERANCE * cap_height
    if not (on_baseline and at_cap_height):
        return False
    if glyph.letter in _ASCENDER_LETTERS:
        # Only in fonts whose ascenders clearly overtop the capitals, and nearer the capitals' height.
        return (ascender_height is not None and ascender_height >= (1 + _MIN_ASCENDER_GAP) * cap_height
                and glyph.top < (cap_height + ascender_height) / 2)
    return True  # x-height letters stand lower and descenders reach below the baseline


def restore_hyphens(textpage: pdfium.PdfTextPage, text: str) -> str:
    """PDFium gives a hyphen it takes for a soft (line-end) hyphen as U+FFFE, like a glyph with no text;
    `FPDFText_IsHyphen` tells them apart, so "LN\ufffeFIRST" reads "LN-FIRST". Same length and indices."""
    if "\ufffe" not in text:
        return text
    letters = list(text)
    for index, char in enumerate(letters):
        if char == "\ufffe" and pdfium.raw.FPDFText_IsHyphen(textpage.raw, index) == 1:
            letters[index] = "-"
    return "".join(letters)


def restore_capitals(textpage: pdfium.PdfTextPage, text: str) -> str:
    """The page text with the capitals that the text layer gives as lower case put back, judged by
    glyph geometry; same length and indices, so char boxes stay aligned. Pages without the symptom,
    and fonts whose cap height cannot be measured, are returned unchanged."""
    if not _CASE_SYMPTOM.search(text):
        return text
    glyphs = _letter_glyphs(textpage, text)
    cap_heights = _cap_heights(glyphs)
    ascender_heights = _ascender_heights(glyphs)
    letters = list(text)
    for glyph in glyphs:
        cap_height = cap_heights.get(glyph.font)
        if glyph.letter.islower() and cap_height and _is_hidden_capital(
                glyph, cap_height, ascender_heights.get(glyph.font)):
            letters[glyph.char_index] = glyph.letter.upper()
    return "".join(letters)


# Text a reader cannot see: drawn in a render mode that paints nothing (3, invisible; 7, clip only), or
# painted only in near-white or fully transparent colour. Each word is judged by its first character
# (judging every character cost about 3.5 ms a page, a third of the reading time): a word whose first
# character shows counts as seen. White counts as invisible whatever lies under it: none of the 547 real
# filings prints white text, and their tick-box glyphs are a light grey (240) that stays visible.
_raw = pdfium.raw
_COLOURS_PAINTED = {  # render mode: the colours its glyphs are painted in
    _raw.FPDF_TEXTRENDERMODE_FILL: (_raw.FPDFText_GetFillColor,),
    _raw.FPDF_TEXTRENDERMODE_FILL_CLIP: (_raw.FPDFText_GetFillColor,),
    _raw.FPDF_TEXTRENDERMODE_STROKE: (_raw.FPDFText_GetStrokeColor,),
    _raw.FPDF_TEXTRENDERMODE_STROKE_CLIP: (_raw.FPDFText_GetStrokeColor,),
    _raw.FPDF_TEXTRENDERMODE_FILL_STROKE: (_raw.FPDFText_GetFillColor, _raw.FPDFText_GetStrokeColor),
    _raw.FPDF_TEXTRENDERMODE_FILL_STROKE_CLIP: (_raw.FPDFText_GetFillColor, _raw.FPDFText_GetStrokeColor),
    _raw.FPDF_TEXTRENDERMODE_INVISIBLE: (),
    _raw.FPDF_TEXTRENDERMODE_CLIP: (),
}
_NEAR_WHITE = 250  # every channel at least this (of 255)
# The House form's tick-box and radio-button glyphs, which the parser reads (`gfedcb` is a ticked Cap. Gains
# box). Real filings print them in a checkbox font; the bundled samples put the same letters as invisible
# text under vector boxes, so they are kept whatever their colour.
FORM_GLYPHS = frozenset({"gfedc", "gfedcb", "nmlkj", "nmlkji"})


def _drawn_invisibly(handle: _Handle, index: int, rgba: _Rgba) -> bool:
    """True when character `index` of the text page is painted in nothing a reader can see."""
    mode = _raw.FPDFTextObj_GetTextRenderMode(_raw.FPDFText_GetTextObject(handle, index))
    if mode == _raw.FPDF_TEXTRENDERMODE_FILL:  # nearly all text: one colour decides (the quick path)
        return _blank(_raw.FPDFText_GetFillColor, handle, index, rgba)
    painted_with = _COLOURS_PAINTED.get(mode)
    if painted_with is None:  # no text object behind the character (or an unknown mode): nothing to judge
        return False
    return all(_blank(colour, handle, index, rgba) for colour in painted_with)


def _blank(colour: _ColourGetter, handle: _Handle, index: int, rgba: _Rgba) -> bool:
    """True when the character's `colour` (its fill or stroke colour getter) is near-white or transparent."""
    red, green, blue, alpha = rgba
    return bool(colour(handle, index, red, green, blue, alpha)) and (
        alpha.value == 0 or min(red.value, green.value, blue.value) >= _NEAR_WHITE)


class _PageWords(NamedTuple):
    words: list[Word]  # what a reader sees, and the form's glyphs
    hidden: list[Word]  # drawn invisibly
    text: str  # the page text with the hidden words blanked (same length, so indices stay aligned)


def _read_words(textpage: pdfium.PdfTextPage, text: str, height: float) -> _PageWords:
    """Words with boxes, read from `text` (the text page's own text: its indices are the page's)."""
    # Raw PDFium calls with reused buffers: this loop runs once per word, and the wrappers would cost
    # more than the visibility check.
    raw, handle = pdfium.raw, textpage.raw
    box = raw.FS_RECTF()
    rgba: _Rgba = (ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint())
    words, hidden = [], []
    letters: list[str] | None = None
    for match in _WORD.finditer(text):
        start, end = match.span()
        raw.FPDFText_GetLooseCharBox(handle, start, box)
        left, first_bottom, first_top = box.left, box.bottom, box.top
        raw.FPDFText_GetLooseCharBox(handle, end - 1, box)
        word = Word(match.group(), left, height - max(first_top, box.top), box.right,
                    height - min(first_bottom, box.bottom))
        if word.text in FORM_GLYPHS or not _drawn_invisibly(handle, start, rgba):
            words.append(word)
            continue
        hidden.append(word)
        if letters is None:
            letters = list(text)
        letters[start:end] = " " * (end - start)
    return _PageWords(words, hidden, "".join(letters) if letters else text)


def _read_page(page: pdfium.PdfPage, number: int) -> PageText:
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        # PDFium ends lines with \r\n; its char indices count both, so offsets stay aligned.
        raw = restore_capitals(textpage, restore_hyphens(textpage, textpage.get_text_range()))
        read = _read_words(textpage, raw, height)
    finally:
        textpage.close()
    text = read.text.replace("\r\n", "\n")
    has_images = len(text.strip()) < MIN_TEXT_CHARS and _page_has_images(page)
    # Only forms that draw the Cap. Gains box (its header printed, no `gfedc` glyph text) need the path scan.
    draws_boxes = "$200?" in text and "gfedc" not in text and not has_images
    checkboxes = _read_checkboxes(page, height) if draws_boxes else []
    return PageText(number, width, height, text, read.words, has_images, checkboxes, read.hidden)


def read_document(data: bytes, source: str) -> Document:
    """Read every page's text and words. Raises InputError when the bytes are not a readable PDF."""
    document = open_pdf(data, source)
    try:
        pages = []
        for index in range(len(document)):
            try:
                page = document[index]
            except pdfium.PdfiumError:  # e.g. a page tree that loops back on itself
                raise InputError(source, f"page {index + 1} cannot be loaded: the PDF's page tree is damaged "
                                         "(a page that is missing or loops back on itself)") from None
            try:
                pages.append(_read_page(page, index + 1))
            finally:
                page.close()
    finally:
        document.close()
    return Document(source, sha256_of(data), pages)
