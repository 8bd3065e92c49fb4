"""The filing's own fields on a scan: the filer from the form's "NAME:" field, the filing ID from the file name.

A paper form prints no filing ID: the Clerk gives one (the DocID) when it publishes the scan, and names the PDF
after it (8218109.pdf). The filer's name is typed or written after "NAME:" at the top of the form and of typed
attachments; a handwritten one is not read (tesseract does not read handwriting), and the filer is left blank."""

from __future__ import annotations

import re
from pathlib import PurePath

from agent.documents.ocr import OcrPage, OcrWord
from agent.formats.paper.cells import LOW_CONFIDENCE, ocr_lines

DOCID_FILE = re.compile(r"^(\d{7,8})\.pdf$", re.IGNORECASE)  # the Clerk's DocIDs are 7 or 8 digits

NAME_LABEL = re.compile(r"^name:$", re.IGNORECASE)  # with its colon: "FULL ASSET NAME" heads a column

NAME_WORD = re.compile(r"^[A-Z][A-Za-z.'-]*,?$", re.IGNORECASE)

BELOW_LABEL = 25.0  # points: how far under its label, and how far aside, a name typed below it starts

NAME_GAP = 30.0  # points: a word this far after the name's last one is another field or the Clerk's stamp

# What follows the name on the form's first line: the telephone field, the Clerk's stamp, the page counter.
AFTER_NAME = {"OFFICE", "TELEPHONE:", "HAND", "DELIVERED", "PAGE", "LEGISLATIVE", "STATE:", "DISTRICT:"}


def filing_id_from_name(source: str) -> str:
    """The DocID a House scan's file name carries ("8218109.pdf" -> "8218109"); "" for other names."""
    match = DOCID_FILE.match(PurePath(source).name)
    return match.group(1) if match else ""


def filer_from_pages(pages: list[OcrPage]) -> str:
    """The first name read confidently after a "NAME:" label on any page ("" when none is)."""
    for page in pages:
        lines = ocr_lines(page.words)
        for index, line in enumerate(lines):
            name = name_after_label(line) or name_below_label(line, lines[index + 1:])
            if name:
                return name
    return ""


def name_below_label(line: list[OcrWord], following: list[list[OcrWord]]) -> str:
    """The name typed on the line under a "NAME:" label that has nothing after it (the form's field is two lines
    high): the words of the next line that starts under the label, read as after it."""
    label = next((word for word in line if NAME_LABEL.match(word.text)), None)
    if label is None:
        return ""
    for below in following:
        if below[0].top - label.bottom > BELOW_LABEL:
            return ""
        if abs(below[0].x0 - label.x0) <= BELOW_LABEL:
            return name_after_label([label, *below])
    return ""


def name_after_label(line: list[OcrWord]) -> str:
    """Two or more name-shaped words read with confidence right after "NAME:" on one line, up to the next field
    (or a wide gap)."""
    labels = [index for index, word in enumerate(line) if NAME_LABEL.match(word.text)]
    if not labels:
        return ""
    words: list[str] = []
    previous: OcrWord | None = None
    for word in line[labels[0] + 1:]:
        if (word.text.upper() in AFTER_NAME or not NAME_WORD.match(word.text) or word.conf < LOW_CONFIDENCE
                or (previous is not None and word.x0 - previous.x1 > NAME_GAP)):
            break
        words.append(word.text.rstrip(","))
        previous = word
    name = " ".join(words) if len(words) >= 2 else ""
    return name.title() if name.isupper() else name  # "MICHAEL MCCAUL" as a name is written
