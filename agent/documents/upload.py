"""What an upload is, by its bytes (never by its name), and reading it by what it is: a PDF, a saved web page,
or page images (agent/documents/images.py). `read_upload` is what the sandbox workers run; nothing in the app's
process parses an upload."""

from __future__ import annotations

import codecs
import re
from typing import Literal

from agent.documents.images import check_image_bytes, read_images, what_image
from agent.documents.pdf import PDF_MAGIC, Document
from agent.errors import InputError

Kind = Literal["pdf", "html", "image", "empty", "unknown"]

MAX_HTML_BYTES = 8 << 20  # a saved eFD report is under 200 KB; refused before any worker is sent the bytes
SNIFF_BYTES = 1024

# An HTML page starts, after a byte-order mark, blank space, comments and processing instructions (XHTML's XML
# declaration, a style sheet's), with a doctype or a tag HTML has.
_HTML_TAG = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|title)\b", re.IGNORECASE)
_PROLOGUE = ((b"<!--", b"-->"), (b"<?", b"?>"))
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_ARCHIVES = ((b"PK\x03\x04", "a ZIP archive (or an Office document); upload the filing inside it"),
             (b"\x1f\x8b", "a gzip archive; upload the filing inside it"),
             (b"Rar!", "a RAR archive; upload the filing inside it"),
             (b"7z\xbc\xaf", "a 7-Zip archive; upload the filing inside it"))


def _first_tag(head: bytes) -> int:
    """Where the first tag starts, after a byte-order mark, blank space, comments and processing instructions (a
    scan: one regular expression repeating comments backtracks exponentially on `<!---->` * 140); -1 when one of
    those does not end within `head`."""
    position = 3 if head.startswith(codecs.BOM_UTF8) else 0
    while True:
        position = len(head) - len(head[position:].lstrip())
        opened = next(((start, end) for start, end in _PROLOGUE if head.startswith(start, position)), None)
        if opened is None:
            return position
        close = head.find(opened[1], position + len(opened[0]))
        if close < 0:
            return -1
        position = close + len(opened[1])


def _starts_like_html(head: bytes) -> bool:
    if head.startswith(_UTF16_BOMS):  # a page saved as UTF-16: look at its characters, not its bytes
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    position = _first_tag(head)
    return position >= 0 and _HTML_TAG.match(head, position) is not None


def kind_of(data: bytes) -> Kind:
    head = data[:SNIFF_BYTES]
    if not head:
        return "empty"
    if head.startswith(PDF_MAGIC):
        return "pdf"
    if what_image(head):
        return "image"
    if _starts_like_html(head):  # before the loose PDF test: a page may mention "%PDF-" in its first kilobyte
        return "html"
    # The PDF standard allows junk before the header within the first 1 KiB; an archive holding a PDF stored
    # uncompressed has its header there too, and is an archive.
    if PDF_MAGIC in head and not head.startswith(tuple(magic for magic, _ in _ARCHIVES)):
        return "pdf"
    return "unknown"


def _what_it_is(data: bytes) -> str:
    """What a file that is neither a PDF nor a web page seems to be, for the message that refuses it."""
    for magic, what in _ARCHIVES:
        if data.startswith(magic):
            return what
    try:
        text = data[:SNIFF_BYTES].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < SNIFF_BYTES - 4:  # not just a character cut by the sniffed length
            return "binary data of a kind TradeTrace does not read"
        text = data[:exc.start].decode("utf-8")
    if all(char.isprintable() or char in "\t\r\n\f" for char in text):
        return "plain text"
    return "binary data of a kind TradeTrace does not read"


def check_readable(data: bytes, source: str) -> Kind:
    """The upload's kind, or an InputError saying plainly why it is not read (before any parser sees it)."""
    kind = kind_of(data)
    if kind == "empty":
        raise InputError(source, "the file is empty (0 bytes)")
    if kind == "image":
        check_image_bytes(data, source)
    if kind == "unknown":
        raise InputError(source, "not a PDF (the file does not start with %PDF-) and not a saved web page: "
                         + _what_it_is(data))
    if kind == "html" and len(data) > MAX_HTML_BYTES:
        raise InputError(source, f"the web page is {len(data) / (1 << 20):.0f} MB; a saved eFD report is under "
                         f"1 MB, and pages over {MAX_HTML_BYTES >> 20} MB are not read")
    return kind


def read_upload(data: bytes, source: str) -> Document:
    """The upload's pages of words with boxes, by its kind. Run it in a sandbox worker, never in the app."""
    from agent.documents.html import read_html
    from agent.documents.pdf import read_document

    readers = {"html": read_html, "image": read_images}
    return readers.get(check_readable(data, source), read_document)(data, source)
