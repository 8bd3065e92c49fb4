"""The Senate's paper PTR, "Periodic Disclosure of Financial Transactions", scanned: read by OCR from its page
images (eFD shows a paper report as one GIF per page; the shared PDFs are those GIFs, a pixel a point).

Each page is rendered at the resolution its text needs (RENDER_SIDE pixels on the long side: about 200 dpi),
turned upright by the form's grid (agent/formats/paper/senate_grid.py) and read row by row
(senate_rows.py). Pages without the grid are read whole: a typed list attached instead of the grid gives rows
flagged for review (senate_lists.py); a cover letter or an envelope gives none, and is said so, not an error.
The filer comes from the form's name box, the filing ID from eFD's UUID in the file name.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field

from agent.documents.ocr import ENGINE, MISSING_MESSAGE, OcrPage, available, ocr_image
from agent.documents.pdf import Document
from agent.documents.sandbox import render_page
from agent.errors import InputError, OcrUnavailable
from agent.formats.base import Detection, ExpectedRows, PageReading, PrintedForms, Reading, ReadOptions
from agent.formats.house_paper import OCR_FLAG, apply_ocr_text, has_no_text_layer
from agent.formats.paper.cells import PendingRow
from agent.formats.paper.dates import read_date
from agent.formats.paper.line_reader import looks_handwritten, number_rows
from agent.formats.paper.senate_grid import render_dpi, upright_page
from agent.formats.paper.senate_lists import mentions_attachment, read_list_rows
from agent.formats.paper.senate_rows import HANDWRITTEN_CONFIDENCE, read_senate_rows
from agent.models import Filing, Flag, Transaction

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
EFD_PAGE_SIDE = 1500.0  # points: eFD's GIF pages become PDF pages a pixel a point (2200 x 1728); a scan is ~792


@dataclass
class PageResult:
    """How one page was read: its OCR page, rows, and what kind of page it is, for the filing's notes."""

    page: OcrPage
    rows: list[PendingRow] = field(default_factory=list)
    kind: str = ""  # "form", "list", "no transactions", "handwritten", "handwritten form"
    filer: str = ""
    see_attachment: bool = False
    stray: int = 0  # grid bands with ink but nothing read (see GridReading)


def read_page(data: bytes, source: str, number: int, width: float, height: float, line_reader: bool) -> PageResult:
    """Render, turn upright and read one page (see the module's docstring)."""
    started = time.perf_counter()
    dpi = render_dpi(width, height)
    grey = render_page(data, source, number, dpi)
    sheet = upright_page(grey, number, dpi)
    if sheet.columns is not None:
        grid = read_senate_rows(sheet)
        result = PageResult(sheet.page, grid.rows, "form", grid.filer, mentions_attachment(sheet.page), grid.stray)
        if sheet.page.words and sheet.page.mean_confidence < HANDWRITTEN_CONFIDENCE:
            result.kind = "handwritten form"
    else:
        page = ocr_image(grey, number, dpi=dpi)
        result = PageResult(page, kind="handwritten" if looks_handwritten(page) else "no transactions")
        if result.kind != "handwritten":
            result.rows = read_list_rows(page) if line_reader else []
            dated = any(read_date(word.text)[0] for word in page.words)
            result.kind = "list" if result.rows or (dated and not line_reader) else "no transactions"
    result.page.seconds = time.perf_counter() - started
    return result


def stable_id(document: Document) -> str:
    """A paper report's id when its file name holds no eFD UUID: from its bytes, so the same file gets the same."""
    return "senate-paper-" + hashlib.sha256(document.sha256.encode()).hexdigest()[:16]


def read_senate_paper(document: Document, data: bytes, line_reader: bool = True) -> Reading:
    """OCR every page of a Senate paper report and read its rows. Never raises for a missing engine or a page
    the sandbox cannot render: the filing then stays `scanned`, flagged with the reason."""
    uuid = UUID.search(document.source)
    filing = Filing(document.source, document.sha256, len(document.pages), layout="scanned", chamber="senate",
                    filing_id=uuid.group(0).lower() if uuid else stable_id(document),
                    image_only_pages=list(document.image_only_pages))
    if not available():
        filing.flags.append(Flag("ocr_unavailable", MISSING_MESSAGE))
        return Reading(filing, error=MISSING_MESSAGE)
    results: list[PageResult] = []
    try:
        for page in document.pages:
            results.append(read_page(data, document.source, page.number, page.width, page.height, line_reader))
    except OcrUnavailable as exc:
        filing.flags.append(Flag("ocr_unavailable", str(exc)))
        return Reading(filing, error=str(exc))
    except InputError as exc:  # the sandbox could not render a page (too slow, too big, crashed)
        filing.flags.append(Flag("ocr_failed", f"OCR stopped: {exc.reason}"))
        return Reading(filing, error=f"OCR stopped: {exc.reason}")
    filing.filer_name = next((result.filer for result in results if result.filer), "")
    filing.transactions = number_rows([row for result in results for row in result.rows], 1)
    apply_ocr_text(document, [result.page for result in results])
    _note_pages(filing, results, line_reader)
    readings = [PageReading(result.page.number, ENGINE, result.page.rotation, result.page.seconds,
                            result.page.mean_confidence, len(result.page.words), len(result.rows))
                for result in results]
    left_to_llm = [result.page.number for result in results if result.kind == "list" and not result.rows]
    return Reading(filing, readings, without_form=left_to_llm)


def _pages(results: list[PageResult], kind: str) -> str:
    return ", ".join(str(result.page.number) for result in results if result.kind == kind)


def _note_pages(filing: Filing, results: list[PageResult], line_reader: bool) -> None:
    """The filing's notes: how it was read, which pages hold no transactions (cover letters, envelopes: not
    errors), and what needs a person (handwriting, typed lists, a form pointing to an attachment)."""
    if not filing.filer_name:
        filing.flags.append(Flag("unreadable:filer_name", "the form's name box could not be read"))
    if handwritten := ", ".join(filter(None, (_pages(results, "handwritten"), _pages(results, "handwritten form")))):
        filing.flags.append(Flag("handwritten", f"page(s) {handwritten}: handwritten: the X marks are read, the "
                                 "dates and asset names need review"))
    if lists := _pages(results, "list"):
        how = "read line by line, every row flagged" if line_reader else "handed to the LLM to structure"
        filing.flags.append(Flag("senate_paper_attachment", f"page(s) {lists}: a typed list instead of the form's "
                                 f"grid, {how}"))
    if any(result.see_attachment for result in results) and not lists:
        filing.flags.append(Flag("senate_paper_attachment", "the form says 'See Attachment' but no attached list "
                                 "was read: check the pages"))
    if stray := ", ".join(f"{result.page.number} ({result.stray})" for result in results if result.stray):
        filing.flags.append(Flag("senate_paper_stray_ink", f"page(s) {stray}: grid rows holding ink but no date, type "
                                 "or amount that could be read (writing across the grid, such as 'See Attachment'): "
                                 "not taken as transactions; check the page"))
    if not filing.transactions and not lists:
        filing.flags.append(Flag("ocr_no_rows", "OCR found no transaction rows"))
        return
    filing.layout = "scanned_ocr"
    filing.image_only_pages = []  # every page was read
    quiet = _pages(results, "no transactions")
    confidence = sum(result.page.mean_confidence for result in results) / len(results)
    filing.flags.insert(0, Flag(OCR_FLAG, f"read by OCR ({ENGINE}, {len(results)} page(s), mean word confidence "
                                f"{confidence:.0f}): check the values against the page images"
                                + (f"; page(s) {quiet}: a cover letter or other page without transactions"
                                   if quiet else "")))


def _looks_like_efd_paper(document: Document) -> bool:
    return bool(UUID.search(document.source)) or any(max(page.width, page.height) >= EFD_PAGE_SIDE
                                                     for page in document.pages)


@dataclass(frozen=True)
class SenatePaper:
    """The Senate's paper PTR form, scanned: no text layer, read by OCR."""

    name: str = "senate_paper"
    label: str = "Senate PTR (scanned paper form)"
    reads_images: bool = True

    def detect(self, document: Document) -> Detection:
        if not has_no_text_layer(document):
            return Detection(self.name, False, ("some page has a text layer: not a scan",))
        if not _looks_like_efd_paper(document):
            return Detection(self.name, False, ("a scan, but neither an eFD report id in its name nor eFD's page "
                                                "images (a pixel a point)",))
        return Detection(self.name, True, (f"none of its {len(document.pages)} page(s) has a text layer, and it is "
                                           "an eFD paper report (its id in the name, or eFD's page images)",))

    def read(self, document: Document, data: bytes, options: ReadOptions) -> Reading:
        return read_senate_paper(document, data, line_reader=options.line_reader)

    def printed_forms(self, row: Transaction) -> PrintedForms:
        # The type and amount are X marks (grounded by their cells); the owner is the code read inside the
        # asset's words, which are grounded themselves. A ticker is printed in parentheses, or written bare (by
        # hand, as the asset's name, or last after it).
        printed = f"({row.ticker})"
        return {"ticker": (printed if printed in row.asset_name else row.ticker, True)}

    def expected_rows(self, document: Document) -> ExpectedRows | None:
        return None  # a scan has no text to count its rows in


FORMAT = SenatePaper()
