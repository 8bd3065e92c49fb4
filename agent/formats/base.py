"""What a filing format is: a module that says whether a document is one of its filings, and reads it.

Each format is one module under agent/formats/ exposing a `FORMAT` object with this shape; the registry
(agent/formats/__init__.py) asks them in order. Adding a format is adding a module and a line to the
registry: the loop, the tools and the brains ask the registry and never name a format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from agent.documents.pdf import Document
from agent.models import Filing, Transaction

# How a format prints a row's coded values: field -> (the text on the page, whether its case may differ).
PrintedForms = dict[str, tuple[str, bool]]


@dataclass(frozen=True)
class Detection:
    """A format's answer to "is this one of yours?", with the evidence for the trace."""

    format: str
    matches: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ExpectedRows:
    """How many rows a document says it holds, and what says so (for the trace and the row-count check)."""

    count: int
    evidence: str  # e.g. "transaction date pair(s) printed", "transaction(s) in the report's summary"


@dataclass(frozen=True)
class ReadOptions:
    # Paper forms: read pages without the form's grid line by line; False leaves them to the LLM.
    line_reader: bool = True


@dataclass(frozen=True)
class PageReading:
    """How one page was read from its image (for the trace): engine, turn, time, confidence, rows."""

    page: int
    engine: str
    rotation: int
    seconds: float
    mean_confidence: float
    words: int
    rows: int


@dataclass
class Reading:
    """A format's reading of a document: the filing, and for scans how each page was read."""

    filing: Filing
    pages: list[PageReading] = field(default_factory=list)
    error: str = ""  # the reader could not run at all (an OCR engine missing, a render that failed)
    without_form: list[int] = field(default_factory=list)  # pages whose text holds dates but not the form


class FilingFormat(Protocol):
    @property
    def name(self) -> str: ...  # a stable identifier, e.g. "house_ptr"

    @property
    def label(self) -> str: ...  # what a person calls it, e.g. "House PTR (electronic)"

    @property
    def reads_images(self) -> bool: ...  # read from page images by OCR, not from a text layer

    def detect(self, document: Document) -> Detection: ...

    def read(self, document: Document, data: bytes, options: ReadOptions) -> Reading: ...

    def printed_forms(self, row: Transaction) -> PrintedForms: ...  # for grounding the row's coded values

    def expected_rows(self, document: Document) -> ExpectedRows | None: ...  # None: the document does not say
