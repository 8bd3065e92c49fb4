"""What an upload is, by its bytes (never by its name), and reading it by what it is: a PDF, or a saved web
page. `read_upload` is what the sandbox workers run; nothing in the app's process parses an upload."""

from __future__ import annotations

import re
from typing import Literal

from agent.documents.pdf import PDF_MAGIC, Document
from agent.errors import InputError

Kind = Literal["pdf", "html", "image", "empty", "unknown"]

_IMAGE_MAGICS = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
# An HTML page starts, after a byte-order mark, blank space and comments, with a doctype or a tag HTML has.
_HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
                         re.IGNORECASE | re.DOTALL)
SNIFF_BYTES = 1024


def kind_of(data: bytes) -> Kind:
    head = data[:SNIFF_BYTES]
    if not head:
        return "empty"
    if PDF_MAGIC in head:  # the PDF standard allows junk before the header within the first 1 KiB
        return "pdf"
    if head.startswith(_IMAGE_MAGICS):
        return "image"
    if _HTML_START.match(head):
        return "html"
    return "unknown"




def check_readable(data: bytes, source: str) -> Kind:
    """The upload's kind, or an InputError saying plainly why it is not read (before any parser sees it)."""
    kind = kind_of(data)
    if kind == "empty":
        raise InputError(source, "the file is empty (0 bytes)")
    if kind == "image":
        raise InputError(source, "an image: page images are not read yet; upload the filing as a PDF")
    if kind == "unknown":
        raise InputError(source, "not a PDF (the file does not start with %PDF-) and not a saved web page")
    return kind


def read_upload(data: bytes, source: str) -> Document:
    """The upload's pages of words with boxes, by its kind. Run it in a sandbox worker, never in the app."""
    from agent.documents.html import read_html
    from agent.documents.pdf import read_document

    return read_html(data, source) if check_readable(data, source) == "html" else read_document(data, source)
