"""The House's paper PTR, scanned: read by OCR from the page images.

Pages showing the form's grid are read by the grid reader (agent/formats/paper/grid_reader.py); pages
without it line by line (agent/formats/paper/line_reader.py), or, in LLM mode, left to the LLM to
structure from their OCR text. The OCR text then stands in for the pages' missing text layer, so the
checks ground every value against it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from agent.documents.ocr import ENGINE, PARALLEL_PAGES, SECOND_ENGINE, OcrPage, OcrWord, ocr_pdf_pages
from agent.documents.pdf import Checkbox, Document, Word
from agent.errors import InputError, OcrUnavailable
from agent.formats.base import Detection, ExpectedRows, PageReading, PrintedForms, Reading, ReadOptions
from agent.formats.house_ptr import printed_forms as house_printed_forms
from agent.formats.paper.dates import read_date
from agent.formats.paper.grid import find_columns
from agent.formats.paper.header import filer_from_pages, filing_id_from_name, house_members
from agent.formats.paper.line_reader import looks_handwritten, number_rows, read_page_rows
from agent.models import Filing, Flag, Transaction

OCR_FLAG = "read_by_ocr"


def apply_ocr_text(document: Document, pages: list[OcrPage]) -> None:
    """Give the Document the OCR text and words of the pages read, so grounding checks see them."""
    for ocr_page in pages:
        target = document.pages[ocr_page.number - 1]
        target.text = ocr_page.text
        # with the second readings of its columns, as the text has them: the grid reader's dates and owners come
        # from those readings too, and grounding looks for a value among the words of its row
        readings = [*ocr_page.words, *ocr_page.second_reading]
        target.words = [Word(w.text, *_page_coordinates(ocr_page, w)) for w in readings]
        target.checkboxes = [Checkbox(box.x0, box.top, box.x1, box.bottom, True) for box in ocr_page.marks]
        target.read_by_ocr = True


def _page_coordinates(page: OcrPage, word: OcrWord) -> tuple[float, float, float, float]:
    box = page.page_box(word.x0, word.top, word.x1, word.bottom)
    return box.x0, box.top, box.x1, box.bottom


def read_scanned(document: Document, data: bytes, line_reader: bool = True) -> Reading:
    """OCR the image-only pages of a filing and read their rows. Never raises for a missing engine:
    the filing then stays `scanned` with a flag saying how to install it. Without `line_reader`, pages
    without the form's grid give no rows here (an LLM structures their OCR text instead)."""
    numbers = document.image_only_pages
    filing = Filing(document.source, document.sha256, len(document.pages), layout="scanned",
                    image_only_pages=list(numbers), filing_id=filing_id_from_name(document.source))
    try:
        pages = ocr_pdf_pages(data, document.source, numbers)
    except OcrUnavailable as exc:
        filing.flags.append(Flag("ocr_unavailable", str(exc)))
        return Reading(filing, error=str(exc))
    except InputError as exc:  # the sandbox could not render a page (too slow, too big, crashed)
        filing.flags.append(Flag("ocr_failed", f"OCR stopped: {exc.reason}"))
        return Reading(filing, error=f"OCR stopped: {exc.reason}")
    filing.filer_name = filer_from_pages(pages, house_members())
    handwritten = [page.number for page in pages if looks_handwritten(page)]
    typed = [page for page in pages if page.number not in handwritten]
    with ThreadPoolExecutor(PARALLEL_PAGES) as pool:  # second readings are more tesseract runs: a page per core
        pending = list(pool.map(lambda page: read_page_rows(page, line_reader, page.number in handwritten), pages))
    filing.transactions = number_rows([row for rows in pending for row in rows], 1)
    written = sorted({row.page for rows in pending for row, flags in rows if any(code == "handwritten"
                                                                              for code, _ in flags)})
    apply_ocr_text(document, pages)
    without_grid = [page.number for page in typed if find_columns(page.rules) is None
                    and any(read_date(word.text)[0] for word in page.words)]
    if written:
        filing.flags.append(Flag("handwritten", f"page(s) {', '.join(map(str, written))}: filled in by hand: rows "
                                 f"read by {SECOND_ENGINE} alone (tesseract does not read handwriting), each flagged"))
    unread = [number for number in handwritten if number not in written]
    if unread:
        filing.flags.append(Flag("handwritten", f"page(s) {', '.join(map(str, unread))}: handwritten: "
                                 "needs review (OCR does not read handwriting; no values were taken from them)"))
    left_to_llm = without_grid if not line_reader else []
    if left_to_llm:
        filing.flags.append(Flag("ocr_without_grid", f"page(s) {', '.join(map(str, left_to_llm))}: OCR text with "
                                 "dates but not the form's grid, handed to the LLM to structure"))
    if not filing.transactions and not left_to_llm:
        filing.flags.append(Flag("ocr_no_rows", "OCR found no transaction rows"))
    elif filing.transactions:
        filing.layout = "scanned_ocr"
        filing.image_only_pages = []  # every such page was read
        confidence = sum(p.mean_confidence for p in pages) / len(pages)
        filing.flags.insert(0, Flag(OCR_FLAG, f"read by OCR ({ENGINE}, {len(pages)} page(s), mean word confidence "
                                    f"{confidence:.0f}): check the values against the page images"))
    readings = [PageReading(page.number, ENGINE, page.rotation, page.seconds, page.mean_confidence, len(page.words),
                            sum(1 for row in filing.transactions if row.page == page.number)) for page in pages]
    return Reading(filing, readings, without_form=without_grid)


def has_no_text_layer(document: Document) -> bool:
    return bool(document.pages) and len(document.image_only_pages) == len(document.pages)


@dataclass(frozen=True)
class HousePaper:
    """The House's paper PTR form, scanned: no text layer, read by OCR."""

    name: str = "house_paper"
    label: str = "House PTR (scanned paper form)"
    reads_images: bool = True

    def detect(self, document: Document) -> Detection:
        if not has_no_text_layer(document):
            return Detection(self.name, False, ("some page has a text layer: not a scan",))
        return Detection(self.name, True, (f"none of its {len(document.pages)} page(s) has a text layer: a scanned "
                                           "paper filing, read by OCR",))

    def read(self, document: Document, data: bytes, options: ReadOptions) -> Reading:
        return read_scanned(document, data, line_reader=options.line_reader)

    def printed_forms(self, row: Transaction) -> PrintedForms:
        # the paper form's codes are the electronic one's; a ticker is typed bare after the name, or as "(AVDV)"
        return {**house_printed_forms(row), "ticker": (row.ticker, True)}

    def expected_rows(self, document: Document) -> ExpectedRows | None:
        return None  # a scan has no text to count its rows in


FORMAT = HousePaper()
