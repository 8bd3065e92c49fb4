"""Read a saved web page (an eFD report as a browser saves it) into the same pages of words with boxes as a PDF.

The page is parsed with lxml's HTML parser, which never runs scripts and never fetches anything (no
network access, no external entities). Only what a reader sees becomes text: scripts, styles, the head
and comments are dropped, and elements hidden by the `hidden` attribute, `aria-hidden`, an inline
`display:none` / `visibility:hidden` or a hiding class are set apart as hidden words, like invisible text
in a PDF: no reader, check or LLM sees them. (Text hidden by a style sheet's rules is not detected: the
reader does not evaluate CSS.)

The visible text is laid out as a browser lays out an unstyled page, on a virtual page: each block of
text is a line; a table's cells sit side by side in fixed-width columns, each cell's lines (split at
`<br>` and at block elements inside it) centred in its row's height, as browsers centre table cells.
A reader then finds columns and rows in these words exactly as in a printed PDF, and a row's boxes
cite the row and cell each value came from.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import lxml.etree
import lxml.html

from agent.documents.pdf import Document, PageText, Word, sha256_of
from agent.errors import InputError

MAX_HTML_BYTES = 8 << 20  # a saved eFD report is under 1 MB
MAX_DEPTH = 150  # element nesting deeper than this is not a page a person reads
LINE = 12.0  # points a line of text takes on the virtual page
CHAR = 6.0  # points a character takes (fixed pitch: positions only need to be consistent)
COLUMN = 480.0  # points a table column takes: wider than any cell line of an eFD report
MARGIN = 36.0

_DROPPED = frozenset({"script", "style", "noscript", "template", "head", "title", "meta", "link", "iframe",
                      "object", "embed", "svg", "canvas", "select", "option", "button"})
_BLOCKS = frozenset({"address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl", "dt",
                     "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
                     "header", "hr", "label", "legend", "li", "main", "nav", "ol", "p", "pre", "section",
                     "summary", "ul", "br"})
# Screen-reader text ("sr-only") is read out to people who cannot see the page, and prints: it is not hidden.
_HIDDEN_CLASSES = frozenset({"d-none", "hidden", "invisible"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_SPACE = re.compile(r"\s+")

Cells = list[list[str]]  # a table row: each cell's lines


def decode(data: bytes) -> str:
    """The page's text: by its byte-order mark, else its declared charset, else UTF-8, else Windows-1252
    (what browsers fall back to). A declared charset that does not decode the bytes is not trusted."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    declared = _CHARSET.search(data[:4096])
    for encoding in ([declared.group(1).decode("ascii")] if declared else []) + ["utf-8"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", errors="replace")


def _is_hidden(element: lxml.html.HtmlElement) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if _HIDDEN_STYLE.search(element.get("style") or ""):
        return True
    return bool(_HIDDEN_CLASSES & set((element.get("class") or "").split()))


@dataclass
class _Reader:
    """Walks the tree in reading order: lines of text, and tables as rows of cells."""

    source: str
    parts: list[str | list[Cells]] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    _line: list[str] = field(default_factory=list)

    def text(self, value: str | None) -> None:
        if value:
            self._line.append(value)

    def close(self) -> None:
        line = _SPACE.sub(" ", "".join(self._line)).strip()
        if line:
            self.parts.append(line)
        self._line = []

    def walk(self, element: lxml.html.HtmlElement, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise InputError(self.source, f"its markup is nested more than {MAX_DEPTH} levels deep: not a page "
                             "TradeTrace reads")
        tag = element.tag if isinstance(element.tag, str) else ""  # comments and processing instructions: ""
        if tag and tag not in _DROPPED:
            if _is_hidden(element):
                self.hidden.extend(" ".join(element.itertext()).split())
            elif tag == "table":
                self.close()
                for caption in element.iterchildren("caption"):
                    self.walk_children(caption, depth + 1)
                self.parts.append(self._rows(element, depth))
            else:
                block = tag in _BLOCKS
                if block:
                    self.close()
                self.text(element.text)
                for child in element:
                    self.walk(child, depth + 1)
                if block:
                    self.close()
        self.text(element.tail)

    def _rows(self, table: lxml.html.HtmlElement, depth: int) -> list[Cells]:
        rows: list[Cells] = []
        for row in table.iter("tr"):
            cells: Cells = []
            for cell in row:
                if isinstance(cell.tag, str) and cell.tag in ("td", "th"):
                    inner = _Reader(self.source, hidden=self.hidden)
                    inner.walk_children(cell, depth + 2)
                    cells.append([part for part in inner.parts if isinstance(part, str)])
            if any(cells) and not _is_hidden(row):
                rows.append(cells)
        return rows

    def walk_children(self, element: lxml.html.HtmlElement, depth: int) -> None:
        if _is_hidden(element):
            self.hidden.extend(" ".join(element.itertext()).split())
            return
        self.text(element.text)
        for child in element:
            self.walk(child, depth + 1)
        self.close()


def _words(line: str, x: float, top: float) -> Iterator[Word]:
    for match in re.finditer(r"\S+", line):
        start = x + CHAR * match.start()
        yield Word(match.group(), start, top, start + CHAR * len(match.group()), top + LINE * 0.8)


@dataclass
class _Layout:
    """The virtual page: lines of text top to bottom, a table's rows as centred cells side by side."""

    top: float = MARGIN
    words: list[Word] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def line(self, text: str) -> None:
        self.words.extend(_words(text, MARGIN, self.top))
        self.lines.append(text)
        self.top += LINE

    def row(self, cells: Cells) -> None:
        height = max(len(lines) for lines in cells) or 1
        for column, lines in enumerate(cells):
            first = self.top + LINE * (height - len(lines)) / 2
            for number, text in enumerate(lines):
                self.words.extend(_words(text, MARGIN + COLUMN * column, first + LINE * number))
        self.lines.append(" ".join(" ".join(lines) for lines in cells if lines))
        self.top += LINE * (height + 1)  # a blank line between rows, as the cells' padding leaves


def read_html(data: bytes, source: str) -> Document:
    """A saved web page as a one-page Document of its visible text. Raises InputError for what no browser
    would show as a page: too big, or nested absurdly deep."""
    if len(data) > MAX_HTML_BYTES:
        raise InputError(source, f"the HTML file is {len(data) / (1 << 20):.0f} MB; a saved eFD report is under "
                         f"1 MB, and pages over {MAX_HTML_BYTES >> 20} MB are not read")
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, recover=True)
    try:
        root = lxml.html.document_fromstring(decode(data), parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise InputError(source, f"the HTML cannot be parsed ({exc})") from None
    reader = _Reader(source)
    body = root.find("body")
    reader.walk(body if body is not None else root)
    reader.close()
    layout = _Layout()
    widest = 1
    for part in reader.parts:
        if isinstance(part, str):
            layout.line(part)
        else:
            for cells in part:
                layout.row(cells)
                widest = max(widest, len(cells))
    page = PageText(number=1, width=MARGIN * 2 + COLUMN * widest, height=layout.top + MARGIN,
                    text="\n".join(layout.lines), words=layout.words,
                    hidden_words=[Word(text, 0.0, 0.0, 0.0, 0.0) for text in reader.hidden])
    title = _SPACE.sub(" ", root.findtext(".//title") or "").strip()
    return Document(source, sha256_of(data), [page], kind="html", title=title)
