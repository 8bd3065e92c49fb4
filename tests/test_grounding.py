"""Grounding within the row's region: a value counts only where its own row prints it, never elsewhere on the page.

Filing 20029079 page 1 (a real House PTR) prints six rows whose owners and amounts differ between neighbours:
    1 DC Broadcom   S 03/10/2025 03/31/2025 $1,001 - $15,000
    2 DC Broadcom   S 03/10/2025 03/31/2025 $1,001 - $15,000
    3    Broadcom   S 03/11/2025 03/31/2025 $15,001 - $50,000   (the amount wraps: "$50,000" on the next line)
    4 DC Elevance   S 03/10/2025 03/31/2025 $1,001 - $15,000
    5 DC Elevance   S 03/10/2025 03/31/2025 $1,001 - $15,000
    6    Elevance   S 03/10/2025 03/31/2025 $1,001 - $15,000
Rows 1, 3 and 5 have their Cap. Gains box ticked, rows 2, 4 and 6 do not.
"""

from __future__ import annotations

import pytest

from agent.checks.grounding import PageIndex, ground_row
from agent.checks.validate import validate_filing
from agent.documents.ocr import OcrPage, OcrWord
from agent.documents.pdf import Checkbox, Document, PageText, Word, read_document
from agent.formats.house_paper import apply_ocr_text
from agent.formats.house_ptr import parse_ptr
from agent.models import Box, Filing, InputFile, Transaction
from agent.run.critic import apply_correction
from agent.run.llm import OpenAIChat
from agent.run.llm_extract import LLMExtraction, extract_rows_with_llm
from agent.run.tools import RunContext
from tests.conftest import filing_path, llm_config_for
from tests.fake_openai import FakeOpenAI, json_content

DOCID = "20029079"
BROADCOM = "Broadcom Inc. - Common Stock"
ELEVANCE = "Elevance Health, Inc. Common Stock"
LOW, MIDDLE = "$1,001 - $15,000", "$15,001 - $50,000"


def llm_row(owner: str, asset_name: str, ticker: str, transaction_date: str, amount: str) -> dict[str, str]:
    return {"owner": owner, "asset_name": asset_name, "ticker": ticker, "asset_type": "ST", "transaction_type": "S",
            "transaction_date": transaction_date, "notification_date": "03/31/2025", "amount": amount,
            "description": ""}


PAGE_ONE = [
    llm_row("DC", BROADCOM, "AVGO", "03/10/2025", LOW),
    llm_row("DC", BROADCOM, "AVGO", "03/10/2025", LOW),
    llm_row("", BROADCOM, "AVGO", "03/11/2025", MIDDLE),
    llm_row("DC", ELEVANCE, "ELV", "03/10/2025", LOW),
    llm_row("DC", ELEVANCE, "ELV", "03/10/2025", LOW),
    llm_row("", ELEVANCE, "ELV", "03/10/2025", LOW),
]


@pytest.fixture(scope="module")
def document() -> Document:
    path = filing_path(DOCID)
    return read_document(path.read_bytes(), path.name)


def extract(server: FakeOpenAI, document: Document, rows: list[dict[str, str]]) -> LLMExtraction:
    server.queue(json_content({"rows": rows}))
    return extract_rows_with_llm(OpenAIChat(llm_config_for(server)), document, page=1, first_row_number=1)


@pytest.mark.shared
@pytest.mark.parametrize(("position", "borrowed", "reason"), [
    # row 2 takes row 3's amount (printed on the page, not on row 2)
    (2, {"amount": MIDDLE}, "not on page 1: amount not on the lines of its date pair"),
    # row 3 (no owner) takes row 4's owner, or row 4's amount
    (3, {"owner": "DC"}, "not on page 1: owner not on the lines of its date pair"),
    (3, {"amount": LOW}, "not on page 1: amount not on the lines of its date pair"),
    # the last row takes the owner of rows 4 and 5: it is then a third copy of them, and the page prints two
    (6, {"owner": "DC"}, "its date pair is not printed on page 1 as often as rows claim it"),
])
def test_an_llm_row_borrowing_a_neighbours_value_is_rejected(fake_llm, document, position, borrowed, reason):
    rows = [dict(row) for row in PAGE_ONE]
    rows[position - 1].update(borrowed)
    result = extract(fake_llm, document, rows)
    assert len(result.accepted) == 5
    assert result.rejections == [f"row {position}: {reason}"]


@pytest.mark.shared
def test_correct_llm_rows_are_accepted_each_with_its_own_band(fake_llm, document):
    result = extract(fake_llm, document, PAGE_ONE)
    assert result.rejections == []
    assert [(row.owner, row.transaction_date, row.amount) for row in result.accepted] == [
        ("DC", "2025-03-10", LOW), ("DC", "2025-03-10", LOW), ("", "2025-03-11", MIDDLE),
        ("DC", "2025-03-10", LOW), ("DC", "2025-03-10", LOW), ("", "2025-03-10", LOW)]
    # each row's provenance is its band: from its date-pair line down to the next row's, wrapped lines included
    tops = [int(row.boxes[0].top) for row in result.accepted]
    assert tops == [324, 391, 458, 525, 591, 658]
    third = result.accepted[2]
    assert third.source_lines[1].endswith("$50,000") and "Morgan Stanley Active Assets (1)" in third.source_lines[-1]
    assert all(not ground_row(row, PageIndex(document)) for row in result.accepted)  # validate_rows agrees


@pytest.mark.shared
def test_rows_sharing_a_date_pair_each_claim_a_band_of_their_own(fake_llm, document):
    # listed out of order: the row without an owner comes first and must not take a DC row's band
    rows = [PAGE_ONE[5], PAGE_ONE[3], PAGE_ONE[4]]
    result = extract(fake_llm, document, rows)
    assert result.rejections == []
    first, *others = [int(row.boxes[0].top) for row in result.accepted]
    assert first == 658 and sorted(others) == [525, 591]
    # a seventh row with the pair of rows 1, 2, 4, 5 and 6 finds no band left for it
    rows = [*PAGE_ONE, PAGE_ONE[0]]
    result = extract(fake_llm, document, rows)
    assert len(result.accepted) == 6 and result.rejections[0].startswith("row 7: its date pair is not printed")


def parsed(document: Document) -> Filing:
    filing = parse_ptr(document)
    assert [(row.owner, row.amount) for row in filing.transactions[:6]] == [
        ("DC", LOW), ("DC", LOW), ("", MIDDLE), ("DC", LOW), ("DC", LOW), ("", LOW)]
    return filing


@pytest.mark.shared
@pytest.mark.parametrize(("row_number", "values", "code"), [
    (3, {"owner": "DC"}, "ungrounded:owner"),
    (2, {"amount": MIDDLE, "amount_min": 15001.0, "amount_max": 50000.0}, "ungrounded:amount"),
    (3, {"ticker": "ELV"}, "ungrounded:ticker"),
    (6, {"asset_name": BROADCOM}, "ungrounded:asset_name"),
    (3, {"transaction_date": "2025-03-10"}, "ungrounded:transaction_date"),
    (2, {"cap_gains_over_200": True}, "ungrounded:cap_gains_over_200"),  # the ticked boxes are rows 1 and 3's
])
def test_a_parser_row_whose_value_is_printed_only_on_another_row_is_flagged(document, row_number, values, code):
    filing = parsed(document)
    row = filing.transactions[row_number - 1]
    for name, value in values.items():
        setattr(row, name, value)
    validate_filing(filing, document)
    assert [flag.code for flag in row.flags] == [code]
    assert all(not other.flags for other in filing.transactions[:6] if other is not row)


@pytest.mark.shared
def test_every_parser_row_of_the_filing_is_grounded_in_its_region(document):
    filing = validate_filing(parsed(document), document)
    assert [flag.code for row in filing.transactions for flag in row.flags] == []
    assert [row.cap_gains_over_200 for row in filing.transactions[:6]] == [True, False, True, False, True, False]


@pytest.mark.shared
def test_the_critic_cannot_correct_a_row_with_a_value_from_another_row(document):
    filing = parsed(document)
    path = filing_path(DOCID)
    ctx = RunContext(files={path.name: InputFile(path.name, path.read_bytes())}, documents={path.name: document})
    row = filing.transactions[2]
    rejected = apply_correction(ctx, path.name, row, {"owner": "DC"}, "the rows around it are DC", tokens=0)
    assert rejected.verdict == "left_flagged" and row.owner == ""
    accepted = apply_correction(ctx, path.name, row, {"ticker": "AVGO"}, "as printed", tokens=0)
    assert accepted.verdict == "corrected" and row.ticker == "AVGO"


# --- scans: an X mark counts only in its own row ------------------------------------------------------------


def scan_page() -> Document:
    """Two OCR rows on a scan; row 1's amount X is in column A, row 2's in column C."""
    words = [Word("INTEL", 40, 100, 90, 112), Word("09/19/2024", 395, 100, 455, 112),
             Word("APPLE", 40, 140, 90, 152), Word("09/20/2024", 395, 140, 455, 152)]
    marks = [Checkbox(530, 96, 560, 116, True), Checkbox(590, 136, 620, 156, True)]
    page = PageText(1, 800, 300, "INTEL 09/19/2024\nAPPLE 09/20/2024", words, checkboxes=marks, read_by_ocr=True)
    return Document("scan.pdf", "0" * 64, [page])


def ocr_row(mark: Box) -> Transaction:
    return Transaction(row_number=1, asset_name="INTEL", transaction_date="2024-09-19", amount="$1,001 - $15,000",
                       amount_min=1001.0, amount_max=15000.0, page=1, extracted_by="ocr",
                       boxes=[Box(1, 30, 96, 770, 116), mark])


def test_an_ocr_rows_mark_must_stand_in_its_own_row():
    index = PageIndex(scan_page())
    assert ground_row(ocr_row(Box(1, 530, 96, 560, 116)), index) == []
    # the other row's X (a marked box on the page, but in row 2's band)
    assert [flag.code for flag in ground_row(ocr_row(Box(1, 590, 136, 620, 156)), index)] == ["ungrounded:amount"]
    # a box that is no mark at all
    assert [flag.code for flag in ground_row(ocr_row(Box(1, 650, 96, 680, 116)), index)] == ["ungrounded:amount"]


def test_a_value_must_be_printed_as_whole_words_of_its_row():
    index = PageIndex(scan_page())
    row = ocr_row(Box(1, 530, 96, 560, 116))
    row.asset_name = "INTEL"
    row.owner = "IN"  # printed only as part of a longer word
    assert [flag.code for flag in ground_row(row, index)] == ["ungrounded:owner"]
    row.owner, row.asset_name = "", "APPLE"  # the other row's name
    assert [flag.code for flag in ground_row(row, index)] == ["ungrounded:asset_name"]


def test_a_row_without_boxes_has_no_region_to_ground_in():
    row = ocr_row(Box(1, 530, 96, 560, 116))
    row.boxes = []
    codes = [flag.code for flag in ground_row(row, PageIndex(scan_page()))]
    assert codes == ["ungrounded:asset_name", "ungrounded:amount", "ungrounded:transaction_date"]


def test_a_value_read_by_a_second_reading_of_the_rows_cells_is_grounded_in_the_row():
    # the grid reader reads the owner column again on its own: "§P" at first, "SP" the second time
    first = [OcrWord("§P", 5, 100, 25, 112, 60.0), OcrWord("INTEL", 40, 100, 90, 112, 95.0),
             OcrWord("09/19/2024", 395, 100, 455, 112, 95.0)]
    page = OcrPage(1, 0, 800, 300, words=first, second_reading=[OcrWord("SP", 5, 100, 25, 112, 90.0)],
                   marks=[Box(1, 530, 96, 560, 116)])
    document = Document("scan.pdf", "0" * 64, [PageText(1, 800, 300, "", [], has_images=True)])
    apply_ocr_text(document, [page])
    row = ocr_row(Box(1, 530, 96, 560, 116))
    row.owner = "SP"
    assert ground_row(row, PageIndex(document)) == []
    row.owner = "JT"
    assert [flag.code for flag in ground_row(row, PageIndex(document))] == ["ungrounded:owner"]
