"""OCR of scanned filings: the grid parser on built inputs, the missing-engine path, goldens."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agent import ocr
from agent.extract import extract_bytes
from agent.ocr import OcrPage, OcrWord, parse_tsv
from agent.ocr_parse import parse_ocr_page, read_date
from tests.conftest import filing_path

GOLDEN = Path(__file__).parent / "golden_ocr"
needs_tesseract = pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")


def _grid_page(marks: dict[int, int], words: list[OcrWord], rules: list[float]) -> OcrPage:
    """A 1-row page (points = pixels, scale 1): ink squares at the centre of the given cells."""
    image = np.full((100, 800), 255, np.uint8)
    for left in marks.values():
        image[42:58, left:left + 12] = 0
    return OcrPage(1, 0, 800, 100, words, 0.5, image, 1.0, rules)


def _word(text, x0, x1, conf=95.0):
    return OcrWord(text, x0, 40, x1, 60, conf, (1, 1, 1))


# rules: owner | asset | P | S | E | tx date | notified | A | B | C | ... | J
RULES = [0, 30, 300, 330, 360, 390, 460, 530, 560, 590, 620, 650, 680, 710, 740, 770, 800]


def test_grid_row_reads_owner_asset_type_dates_and_amount():
    words = [_word("SP", 5, 25), _word("INTEL", 40, 90), _word("CORP", 95, 140),
             _word("09/19/2024", 395, 455), _word("10/05/2024", 465, 525)]
    page = _grid_page({"S": 339, "C": 599}, words, RULES)
    (row,) = parse_ocr_page(page)
    assert (row.owner, row.asset_name, row.transaction_type) == ("SP", "INTEL CORP", "S")
    assert (row.transaction_date, row.notification_date) == ("2024-09-19", "2024-10-05")
    assert row.amount == "$50,001 - $100,000" and row.amount_min == 50001 and row.amount_max == 100000
    assert row.extracted_by == "ocr" and row.page == 1 and row.boxes[0].page == 1
    assert row.flags == []


def test_low_confidence_and_unreadable_values_are_flagged_not_guessed():
    words = [_word("SP", 5, 25, 40), _word("INTEL", 40, 90, 30), _word("O9/l9/2024", 395, 455),
             _word("10/05/2024", 465, 525)]
    page = _grid_page({"P": 309, "A": 539, "B": 569}, words, RULES)  # two amount marks
    (row,) = parse_ocr_page(page)
    codes = {flag.code for flag in row.flags}
    assert {"low_confidence:asset_name", "low_confidence:transaction_date", "unreadable:amount"} <= codes
    assert row.amount == "" and row.transaction_date == "2024-09-19" and row.transaction_type == "P"


def test_lines_without_dates_and_the_example_row_are_not_rows():
    words = [_word("Example:", 40, 90), _word("8/14/12", 395, 455), _word("8/14/12", 465, 525)]
    assert parse_ocr_page(_grid_page({}, words, RULES)) == []
    assert parse_ocr_page(_grid_page({}, [_word("LINDA", 40, 90)], RULES)) == []


def test_dates_are_read_strictly():
    assert read_date("9/20/2024,") == ("2024-09-20", False)
    assert read_date("09-16-2024") == ("2024-09-16", False)
    assert read_date("osyaa") == ("", False)
    assert read_date("13/45/2024") == ("", False)


def test_tsv_words_are_in_points():
    tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n" \
          "5\t1\t1\t1\t1\t1\t200\t100\t50\t20\t91.5\tINTEL\n5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t-1\t \n"
    (word,) = parse_tsv(tsv, 2.0)
    assert (word.text, word.x0, word.top, word.x1, word.bottom, word.conf) == ("INTEL", 100, 50, 125, 60, 91.5)


def test_missing_engine_is_a_clear_reason_not_a_crash(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without tesseract
    outcome = extract_bytes(filing_path("8220755").read_bytes(), "8220755.pdf", ocr=True)
    assert outcome.status == "needs_ocr"
    assert "OCR engine not installed: run scripts/run.sh (it installs tesseract-ocr)" in outcome.reason


def _golden_ids() -> list[str]:
    return sorted(path.stem for path in GOLDEN.glob("*.json"))


XFAIL = {"8221123": "the row's type is the handwritten word 'Redemption' and its amount X is hand-drawn: "
                    "the grid reader does not yet take rows whose type is not an X"}


def _key(row: dict) -> tuple:
    return (row["transaction_date"], row["notification_date"], row["amount"])


@needs_tesseract
@pytest.mark.parametrize("docid", [pytest.param(d, marks=pytest.mark.xfail(reason=XFAIL[d], strict=False))
                                   if d in XFAIL else d for d in _golden_ids()])
def test_ocr_rows_match_the_hand_transcribed_goldens(docid):
    golden = json.loads((GOLDEN / f"{docid}.json").read_text())["rows"]
    outcome = extract_bytes(filing_path(docid).read_bytes(), f"{docid}.pdf", ocr=True)
    rows = [row.to_dict() for row in (outcome.filing.transactions if outcome.filing else [])]
    matched = sum(1 for row in golden if any(_key(row) == _key(found) for found in rows))
    recall = matched / len(golden) if golden else 1.0
    precision = matched / len(rows) if rows else 1.0
    assert recall >= 0.9 and precision >= 0.9, (recall, precision)
    assert all(row["extracted_by"] == "ocr" for row in rows)
