"""The registry of filing formats: the one place that lists them, in the order they are asked."""

from __future__ import annotations

from dataclasses import dataclass

from agent.documents.pdf import Document
from agent.formats import house_paper, house_ptr, senate_efd, senate_paper
from agent.formats.base import Detection, FilingFormat
from agent.models import Filing, Flag, Layout

# The Senate's paper form before the House's: both claim scans, the Senate's only eFD's paper reports.
FORMATS: tuple[FilingFormat, ...] = (house_ptr.FORMAT, senate_efd.FORMAT, senate_paper.FORMAT, house_paper.FORMAT)


@dataclass(frozen=True)
class Recognition:
    """The format that claims a document (None: no known format), and every format's answer."""

    format: FilingFormat | None
    detections: tuple[Detection, ...]


def recognise(document: Document) -> Recognition:
    """Ask each format in order; the first that matches claims the document."""
    detections = []
    for candidate in FORMATS:
        detection = candidate.detect(document)
        detections.append(detection)
        if detection.matches:
            return Recognition(candidate, tuple(detections))
    return Recognition(None, tuple(detections))


def format_named(name: str) -> FilingFormat:
    for candidate in FORMATS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no filing format {name!r}; formats: {', '.join(f.name for f in FORMATS)}")


# How each layout was read: by which format (an LLM-read filing of an unknown layout is judged the House's way).
_LAYOUT_FORMATS = {"house_ptr": "house_ptr", "house_ptr_legacy": "house_ptr", "llm_read": "house_ptr",
                   "senate_efd": "senate_efd", "scanned_ocr": "house_paper"}


def format_of(filing: Filing) -> FilingFormat | None:
    """The format that read a filing, by its layout (a scan by its chamber too); None for a filing nobody read."""
    name = _LAYOUT_FORMATS.get(filing.layout)
    if name == "house_paper" and filing.chamber == "senate":
        name = "senate_paper"
    return format_named(name) if name else None


def unread_filing(document: Document) -> Filing:
    """The filing of a document no reader has read: `scanned` when no page has text, else `unknown`, with a
    flag saying what it is instead."""
    image_only = document.image_only_pages
    layout: Layout = "scanned" if document.pages and len(image_only) == len(document.pages) else "unknown"
    filing = Filing(document.source, document.sha256, len(document.pages), layout=layout,
                    image_only_pages=list(image_only))
    if layout == "unknown":
        filing.flags.append(Flag("unknown_format", not_a_known_filing(document)))
    return filing


def not_a_known_filing(document: Document) -> str:
    """What to tell a person about a document no format claims."""
    if document.kind == "html":
        if document.title.lower().startswith("efd"):
            return ("an eFD page, but not a Periodic Transaction Report; a paper report's eFD page shows only page "
                    "images: upload those images or the report's PDF instead")
        return "a web page, but not a Senate eFD Periodic Transaction Report"
    return "not a House PTR (no transaction table found) nor a Senate eFD report"
