"""Read a saved web page (an eFD report as a browser saves it) into the same pages of words with boxes as a PDF.

The page is parsed with lxml's HTML parser, which never runs scripts and never fetches anything (no
network access, no external entities, no DTD). Only what a reader sees becomes text: scripts, styles, the head
and comments are dropped, and elements hidden by the `hidden` attribute, `aria-hidden`, an inline
`display:none` / `visibility:hidden` / `opacity:0` / `font-size:0` or a hiding class are set apart as hidden
words, like invisible text in a PDF: no reader, check or LLM sees them. (Text hidden by a style sheet's rules
is not detected: the reader does not evaluate CSS.)

The visible text is laid out as a browser lays out an unstyled page, on a virtual page: each block of
text is a line; a table's cells sit side by side in fixed-width columns, each cell's lines (split at
`<br>` and at block elements inside it) centred in its row's height, as browsers centre table cells.
A reader then finds columns and rows in these words exactly as in a printed PDF, and a row's boxes
cite the row and cell each value came from.

What no saved report looks like is refused with a reason (InputError) rather than read in part: a page over
MAX_HTML_BYTES, MAX_ELEMENTS or MAX_WORDS, markup nested deeper than MAX_DEPTH (lxml's parser itself stops at
256 levels, silently dropping the rest of the page), or a page cut short (no `</html>`: rows may be lost).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import lxml.etree
import lxml.html

from agent.documents.pdf import Document, PageText, Word, sha256_of
from agent.documents.upload import MAX_HTML_BYTES
from agent.errors import InputError

MAX_DEPTH = 150  # element nesting deeper than this is not a page a person reads (eFD pages: 14)
MAX_WORDS = 50_000  # words, seen and hidden: the longest saved eFD report has about 2,000
MAX_ELEMENTS = 100_000  # elements: the longest saved eFD report has about 1,500
LINE = 12.0  # points a line of text takes on the virtual page
CHAR = 6.0  # points a character takes (fixed pitch: positions only need to be consistent)
COLUMN = 6000.0  # points a table column takes: 1,000 characters, so no cell line runs into the next
MARGIN = 36.0

# (`embed` is not dropped: lxml does not know it has no content, and puts the rest of the page inside it.)
_DROPPED = frozenset({"script", "style", "noscript", "template", "head", "title", "meta", "link", "iframe",
                      "object", "svg", "canvas", "select", "option", "button"})
_BLOCKS = frozenset({"address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl", "dt",
                     "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
                     "header", "hr", "label", "legend", "li", "main", "nav", "ol", "p", "pre", "section",
                     "summary", "ul", "br"})
# Screen-reader text ("sr-only") is read out to people who cannot see the page, and prints: it is not hidden.
_HIDDEN_CLASSES = frozenset({"d-none", "hidden", "invisible"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)"
                           r"|(?:opacity|font-size)\s*:\s*(?:0+(?:\.0*)?|\.0+)\s*(?:px|pt|em|rem|%)?\s*(?:;|!|$)",
                           re.IGNORECASE)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Charsets a browser reads as Windows-1252 (the WHATWG encoding standard), and ones no page is declared in by an
# ASCII meta tag (UTF-16 and UTF-32 need a byte-order mark; UTF-7 is refused by browsers) or that are Python's own.
_AS_WINDOWS_1252 = frozenset({"ascii", "iso8859-1"})
_NOT_A_PAGE_CHARSET = re.compile(r"utf-(?:7|16|32)|unicode-escape|raw-unicode-escape|punycode|idna|undefined")
_OPENS_HTML = re.compile(r"<html[\s>]", re.IGNORECASE)
_CLOSES_HTML = re.compile(r"</html\s*>", re.IGNORECASE)
_SPACE = re.compile(r"\s+")

Cells = list[list[str]]  # a table row: each cell's lines


def _declared(data: bytes) -> str | None:
    """The page's declared charset, as a codec a browser would use for it; None when there is none to trust."""
    declared = _CHARSET.search(data[:4096])
    if declared is None:
        return None
    try:
        info = codecs.lookup(declared.group(1).decode("ascii"))
    except LookupError:
        return None
    if _NOT_A_PAGE_CHARSET.match(info.name) or not getattr(info, "_is_text_encoding", True):
        return None
    return "cp1252" if info.name in _AS_WINDOWS_1252 else info.name


def decode(data: bytes) -> str:
    """The page's text: by its byte-order mark; else UTF-8 when the bytes are UTF-8 (text in any other charset
    almost never is, whatever its meta tag says); else its declared charset; else Windows-1252 (what browsers
    fall back to). A declared charset that does not decode the bytes is not trusted."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                          (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    for encoding in filter(None, ("utf-8", _declared(data))):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("cp1252", errors="replace")


def _is_hidden(element: lxml.html.HtmlElement) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if _HIDDEN_STYLE.search(element.get("style") or ""):
        return True
    return bool(_HIDDEN_CLASSES & set((element.get("class") or "").split()))


def _tag(element: lxml.html.HtmlElement) -> str:
    return element.tag if isinstance(element.tag, str) else ""  # comments and processing instructions: ""


def _visible_text(element: lxml.html.HtmlElement) -> Iterator[str]:
    """The text an element would show if it were not hidden (a script's or a style's is never shown)."""
    yield element.text or ""
    for child in element:
        if _tag(child) not in _DROPPED:
            yield from _visible_text(child)
        yield child.tail or ""


@dataclass
class _Tally:
    """Words met so far, seen and hidden, shared by a page's readers: a page past MAX_WORDS stops at once."""

    source: str
    words: int = 0

    def add(self, count: int) -> None:
        self.words += count
        if self.words > MAX_WORDS:
            raise InputError(self.source, f"the web page holds more than {MAX_WORDS:,} words; a saved eFD report "
                             "holds a few thousand: not a page TradeTrace reads")


@dataclass
class _Reader:
    """Walks the tree in reading order: lines of text, and tables as rows of cells."""

    tally: _Tally
    parts: list[str | list[Cells]] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    _line: list[str] = field(default_factory=list)

    def text(self, value: str | None) -> None:
        if value:
            self._line.append(value)

    def close(self) -> None:
        line = _SPACE.sub(" ", "".join(self._line)).strip()
        if line:
            self.tally.add(line.count(" ") + 1)
            self.parts.append(line)
        self._line = []

    def hide(self, element: lxml.html.HtmlElement) -> None:
        words = " ".join(_visible_text(element)).split()
        self.tally.add(len(words))
        self.hidden.extend(words)

    def walk(self, element: lxml.html.HtmlElement, depth: int = 0) -> None:
        # Bounded here, well before Python's recursion limit (each level is one or two frames).
        if depth > MAX_DEPTH:
            raise InputError(self.tally.source, f"its markup is nested more than {MAX_DEPTH} levels deep: not a "
                             "page TradeTrace reads")
        tag = _tag(element)
        if tag and tag not in _DROPPED:
            if _is_hidden(element):
                self.hide(element)
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

    def _own_rows(self, element: lxml.html.HtmlElement) -> Iterator[lxml.html.HtmlElement]:
        """The rows of a table (or of what stands in it), seen ones only. Rows in a nested table are its cell's:
        reading every `tr` below a table would read each nested table once for every table around it, twice as
        often at each level. lxml keeps a stray element between rows (a form, a span) around the rows after it,
        where a browser lifts it out of the table and keeps the rows: they are the table's rows here too."""
        for child in element:
            tag = _tag(child)
            if tag == "tr":
                yield child
            elif tag and tag not in ("table", "caption", "template", "td", "th"):  # a template's content: never shown
                if _is_hidden(child):
                    self.hide(child)
                else:
                    yield from self._own_rows(child)

    def _rows(self, table: lxml.html.HtmlElement, depth: int) -> list[Cells]:
        rows: list[Cells] = []
        for row in self._own_rows(table):
            if _is_hidden(row):
                self.hide(row)
                continue
            cells: Cells = []
            for cell in row:
                if _tag(cell) in ("td", "th"):
                    inner = _Reader(self.tally, hidden=self.hidden)
                    inner.walk_children(cell, depth + 2)
                    cells.append(list(inner.lines()))
            if any(cells):
                rows.append(cells)
        return rows

    def lines(self) -> Iterator[str]:
        """The reader's parts as lines: a table inside a table cell reads a row a line."""
        for part in self.parts:
            if isinstance(part, str):
                yield part
            else:
                yield from (" ".join(" ".join(lines) for lines in cells if lines) for cells in part)

    def walk_children(self, element: lxml.html.HtmlElement, depth: int) -> None:
        if _is_hidden(element):
            self.hide(element)
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


def _parse(text: str, source: str) -> lxml.html.HtmlElement:
    """The page's tree. It is parsed from UTF-8 bytes with the encoding given, so that neither a meta tag nor an
    XML declaration (XHTML) can make lxml read it another way; a fatal parser error means the tree is incomplete."""
    parser = lxml.html.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True,
                                  recover=True)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8", errors="replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise InputError(source, f"the HTML cannot be parsed ({exc})") from None
    fatal = next((error for error in parser.error_log if error.level_name == "FATAL"), None)
    if fatal is not None:
        if "depth" in fatal.message.lower():
            raise InputError(source, f"its markup is nested more than {MAX_DEPTH} levels deep: not a page "
                             "TradeTrace reads")
        raise InputError(source, f"the HTML parser stopped at line {fatal.line} ({fatal.message.strip()}): "
                         "the rest of the page would be lost")
    elements = int(root.xpath("count(//*)"))
    if elements > MAX_ELEMENTS:  # counted in C before a Python walk spends seconds on them
        raise InputError(source, f"the web page has {elements:,} elements; a saved eFD report has a few thousand: "
                         "not a page TradeTrace reads")
    return root


def read_html(data: bytes, source: str) -> Document:
    """A saved web page as a one-page Document of its visible text. Raises InputError for what no browser
    would show as a whole page: too big, nested absurdly deep, or cut short."""
    if len(data) > MAX_HTML_BYTES:
        raise InputError(source, f"the web page is {len(data) / (1 << 20):.0f} MB; a saved eFD report is under "
                         f"1 MB, and pages over {MAX_HTML_BYTES >> 20} MB are not read")
    text = decode(data)
    if _OPENS_HTML.search(text) and not _CLOSES_HTML.search(text):
        raise InputError(source, "the saved page is cut short: it ends before its closing </html> tag, so rows "
                         "may be missing; save the page again and upload the whole file")
    root = _parse(text, source)
    reader = _Reader(_Tally(source))
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
