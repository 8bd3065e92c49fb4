"""OCR of scanned filings: the grid parser on built inputs, the missing-engine path, goldens."""

from __future__ import annotations

import calendar
import importlib.util
import io
import json
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from agent.documents import ocr
from agent.documents.ocr import OcrPage, OcrWord, parse_tsv
from agent.documents.pdf import read_document
from agent.documents.render import highlighted_page
from agent.formats.fields import parse_amount
from agent.formats.house_paper import read_scanned
from agent.formats.paper.confirm import confirm_cells
from agent.formats.paper.dates import (
    decide_date,
    edit_distance,
    nearest_date,
    printed_forms,
    read_date,
    repair_dates,
)
from agent.formats.paper.grid import TYPE_NAMES, find_columns
from agent.formats.paper.grid_reader import owners_from_neighbours
from agent.formats.paper.header import filer_from_pages, filing_id_from_name, house_members
from agent.formats.paper.line_reader import parse_ocr_page
from agent.formats.paper.marks import label_for, owner_code, read_marks, runs_beyond_row
from agent.formats.paper.names import (
    asset_name_flags,
    known_name,
    name_not_confirmed,
    split_ticker,
    without_specks,
    without_unread_specks,
)
from agent.models import Transaction
from agent.run.extract import extract_bytes
from tests.conftest import filing_path
from tests.pdf_builders import BROKER_STATEMENT, scanned_pdf

GOLDEN = Path(__file__).parent / "golden_ocr"
needs_tesseract = pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")
needs_second_engine = pytest.mark.skipif(importlib.util.find_spec("rapidocr") is None,
                                         reason="rapidocr is not installed (requirements.txt)")


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
    words = [_word("SP", 5, 25), _word("INTEL", 40, 90), _word("CORPORATION", 95, 200),
             _word("09/19/2024", 395, 455), _word("10/05/2024", 465, 525)]
    page = _grid_page({"S": 339, "C": 599}, words, RULES)
    (row,) = parse_ocr_page(page)
    assert (row.owner, row.asset_name, row.transaction_type) == ("SP", "INTEL CORPORATION", "S")
    assert (row.transaction_date, row.notification_date) == ("2024-09-19", "2024-10-05")
    assert row.amount == "$50,001 - $100,000" and row.amount_min == 50001 and row.amount_max == 100000
    assert row.extracted_by == "ocr" and row.page == 1 and row.boxes[0].page == 1
    assert row.flags == []


def test_low_confidence_and_unreadable_values_are_flagged_not_guessed():
    words = [_word("SP", 5, 25, 40), _word("INTFL", 40, 90, 30), _word("O9/l9/2024", 395, 455),  # INTEL misread
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


@pytest.mark.parametrize("column, label", [(0, "$1,001 - $15,000"), (9, "Over $50,000,000"),
                                           (10, "Spouse/DC Over $1,000,000")], ids=["A", "J", "K"])
def test_each_amount_column_has_the_forms_bracket(column, label):
    text, low, high = label_for(column)
    amount = parse_amount(text)
    assert text == label and amount.is_bracket and (low, high) == (
        float(amount.minimum), None if amount.maximum is None else float(amount.maximum))


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


@needs_tesseract
@pytest.mark.parametrize("line_reader", [True, False], ids=["offline-line-reader", "left-to-the-llm"])
def test_a_scanned_page_without_the_grid_is_read_line_by_line_or_left_to_the_llm(line_reader):
    data = scanned_pdf(BROKER_STATEMENT)
    document = read_document(data, "scan.pdf")
    scan = read_scanned(document, data, line_reader=line_reader)
    assert scan.without_form == [1] and document.pages[0].read_by_ocr and "01/05/2024" in document.pages[0].text
    codes = [flag.code for flag in scan.filing.flags]
    if line_reader:  # rows anchored on their dates, every one flagged (no grid: no X marks to read)
        assert [row.transaction_date for row in scan.filing.transactions] == ["2024-01-05", "2024-02-01"]
        assert all(row.flags for row in scan.filing.transactions) and "ocr_without_grid" not in codes
    else:
        assert scan.filing.transactions == [] and codes == ["ocr_without_grid"]


def _cells(*widths: float) -> list[float]:
    rules = [10.0]
    for width in widths:
        rules.append(rules[-1] + width)
    return rules


@pytest.mark.parametrize("widths, expected", [
    pytest.param([47, 338, 18, 17, 20, 67, 57] + [17] * 11, (True, 3, 11), id="mccaul-attachment-A-to-K"),
    pytest.param([38, 207, 19, 19, 19, 49, 50] + [27] * 10, (True, 3, 10), id="paper-form-A-to-J"),
    pytest.param([30, 250, 15, 15, 15, 15, 15, 45, 45] + [16] * 11, (True, 5, 11), id="gains-and-partial-columns"),
    pytest.param([38, 31, 176, 19, 19, 19, 49, 50] + [27] * 10, (True, 3, 10), id="header-rule-inside-the-name"),
    pytest.param([27, 210, 29, 24, 32, 35, 44, 23, 22, 26, 26, 26, 30, 30, 34, 34, 33, 34], (True, 3, 11),
                 id="small-print-attachment-by-count"),
    pytest.param([30, 113, 29, 17, 30, 31, 34, 38, 48, 33, 32, 29, 27, 28, 33, 32, 36, 36, 36, 37], (True, 5, 11),
                 id="attachment-with-gains-and-partial-by-count"),
    pytest.param([19, 143, 26, 25, 25, 27, 67, 63] + [23] * 11, (True, 4, 11), id="form-with-partial-sale-column"),
    pytest.param([19, 143, 26, 25, 5, 20, 27, 67, 63, 23, 23, 15, 8] + [23] * 8, (True, 4, 11),
                 id="pen-strokes-read-as-rules-cut-slivers"),
    pytest.param([19, 63, 80, 25, 26, 25, 28, 66, 63] + [23] * 11, (True, 4, 11), id="a-pen-stroke-down-the-name"),
    pytest.param([245, 57, 50, 50, 267], None, id="form-header-no-grid"),
    pytest.param([38, 207, 19, 19, 19, 49, 50] + [27] * 9, None, id="too-few-amount-columns"),
])
def test_find_columns_finds_the_forms_grid(widths, expected):
    columns = find_columns(_cells(*widths))
    if expected is None:
        assert columns is None
        return
    has_owner, types, amounts = expected
    assert (columns.owner is not None, len(columns.types), len(columns.amounts)) == (has_owner, types, amounts)
    # the cells touch, left to right: types, transaction date, notified, amounts
    assert columns.name[1] == columns.types[0][0]
    assert columns.name[0] == (columns.owner or columns.name)[1 if has_owner else 0]
    assert columns.types[-1][1] == columns.transaction_date[0]
    assert columns.transaction_date[1] == columns.notified[0] and columns.notified[1] == columns.amounts[0][0]


@pytest.mark.parametrize("rotation", [0, 90, 270], ids=lambda r: f"turned-{r}")
def test_boxes_read_on_the_turned_image_land_where_the_pixels_are_on_the_page(rotation):
    raw = np.full((300, 200), 255, np.uint8)  # the page as stored: 200 x 300 points at scale 1
    raw[40:60, 120:150] = 0  # ink at x 120-150, y 40-60
    upright = np.rot90(raw, rotation // 90)
    ys, xs = np.nonzero(upright == 0)
    page = OcrPage(1, rotation, upright.shape[1], upright.shape[0], [], 0.0, upright, 1.0)
    box = page.page_box(xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    assert (box.x0, box.top, box.x1, box.bottom) == (120, 40, 150, 60)


_RIGHT, _WRONG, _NONE = ("2025-03-18", 20.0, "3/18/2025"), ("2025-08-18", 90.0, "8/18/2025"), ("", 0.0, "osyaa")


@pytest.mark.parametrize("readings, value, flag", [
    ([_RIGHT, _RIGHT, _NONE], "2025-03-18", None),
    ([_WRONG, _RIGHT, _RIGHT], "2025-03-18", "low_confidence:transaction_date"),
    ([_RIGHT, _WRONG, _NONE], "2025-03-18", "low_confidence:transaction_date"),
    ([_NONE, _NONE, _RIGHT], "2025-03-18", "low_confidence:transaction_date"),
    ([_NONE, _NONE, _NONE], "", "unreadable:transaction_date"),
], ids=["two-agree", "two-outvote-one-flagged", "two-differ", "read-once", "unreadable"])
def test_a_date_is_trusted_only_when_two_readings_agree_and_none_disagrees(readings, value, flag):
    flags: list[tuple[str, str]] = []
    assert decide_date(readings, "transaction_date", flags) == value
    assert [code for code, _ in flags] == ([flag] if flag else [])


def test_disagreeing_readings_prefer_the_pages_usual_year_and_stay_flagged():
    misread = ("2028-03-18", 90.0, "3/18/2028")
    flags: list[tuple[str, str]] = []
    assert decide_date([misread, _RIGHT, _NONE], "transaction_date", flags, usual_year=2025) == "2025-03-18"
    assert [code for code, _ in flags] == ["low_confidence:transaction_date"]


JUNE_2021 = {(2021, 6)}


@pytest.mark.parametrize("texts, months, known, expected", [
    (["0601721"], JUNE_2021, {"2021-06-01"}, "2021-06-01"),
    (["6/0/2", "06/0/2"], JUNE_2021, {"2021-06-01"}, "2021-06-01"),
    (["6/0/2", "06/0/2"], JUNE_2021, set(), ""),
    (["/14/2", "514/2"], {(2021, 5)}, {"2021-05-04", "2021-05-20"}, "2021-05-14"),
    (["/2", "21"], JUNE_2021, {"2021-06-01"}, ""),
    (["7621", "621"], JUNE_2021, set(), ""),
], ids=["slash-read-as-7", "tie-goes-to-the-columns-date", "tie-without-one-stays-unread", "day-read-month-completed",
        "too-few-digits", "too-far-from-any-day"])
def test_partial_date_readings_complete_to_the_nearest_day_of_the_columns_months(texts, months, known, expected):
    candidates = {f"{year}-{month:02}-{day:02}" for year, month in months for day in range(1, 31)}
    assert nearest_date(texts, candidates, known) == expected


def test_a_date_has_the_four_forms_the_paper_filings_print_it_in():
    assert printed_forms(date(2025, 3, 8)) == ["03/08/25", "3/8/2025", "03/08/2025", "03-08-2025"]


# Written out by hand, never produced by printed_forms: each reading, as a filer prints it, and its date.
@pytest.mark.parametrize("printed, iso", [
    ("03/18/25", "2025-03-18"),
    ("3/18/2025", "2025-03-18"),
    ("03/18/2025", "2025-03-18"),
    ("03-18-2025", "2025-03-18"),
    ("1/5/2021", "2021-01-05"),
    ("01/05/21", "2021-01-05"),
    ("02/29/24", "2024-02-29"),
    ("2/29/2024", "2024-02-29"),
    ("12-31-2030", "2030-12-31"),
    ("01/01/08", "2008-01-01"),
    ("11/30/2019", "2019-11-30"),
], ids=["two-digit-year", "no-leading-zeros", "four-digit-year", "dashes", "single-digit-month-and-day",
        "padded-month-and-day", "leap-day-short", "leap-day-long", "last-day-of-the-range", "first-day-of-the-range",
        "last-day-of-a-30-day-month"])
def test_a_whole_reading_completes_to_itself(printed, iso):
    year, month = int(iso[:4]), int(iso[5:7])
    days = {date(year, month, number).isoformat() for number in range(1, calendar.monthrange(year, month)[1] + 1)}
    assert nearest_date([printed], days) == iso
    assert read_date(printed) == (iso, False)


def test_disagreeing_readings_are_decided_by_fewest_edits_over_all_of_them_and_stay_flagged():
    readings = [("2021-06-09", 60.0, "06/09/21"), ("", 0.0, "09/21"), ("", 0.0, "96/03/23"), ("", 0.0, "06/03/2")]
    flags: list[tuple[str, str]] = []
    assert decide_date(readings, "notification_date", flags, 2021, JUNE_2021, {"2021-06-03"}) == "2021-06-03"
    assert [code for code, _ in flags] == ["low_confidence:notification_date"]


@pytest.mark.parametrize("a, b, distance", [
    ("", "", 0), ("06/01/21", "06/01/21", 0), ("0601721", "06/01/21", 2), ("6/0/2", "06/01/21", 3), ("abc", "", 3),
])
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance == edit_distance(b, a)


def _dated_row(transaction: str, notification: str) -> Transaction:
    return Transaction(row_number=0, page=1, transaction_date=transaction, notification_date=notification)


@pytest.mark.parametrize("dates, readings, doubtful, usual, expected", [
    (("2024-09-20", "2098-10-05"), {}, None, 2024, ("2024-09-20", "2024-10-05")),
    (("2026-04-16", "2025-05-01"), {"transaction_date": ["2026-04-16", "2025-04-16", "2026-04-16"]}, None, 2025,
     ("2025-04-16", "2025-05-01")),
    (("2015-02-26", "2016-02-27"), {}, "notification_date", None, ("2015-02-26", "2015-02-27")),
    (("2025-04-16", "2020-05-01"), {"notification_date": ["2020-05-01"] * 3}, None, 2025, ("2025-04-16", "2020-05-01")),
    (("2021-05-13", "2021-06-03"), {}, None, 2021, ("2021-05-13", "2021-06-03")),
], ids=["future-year-put-in-the-columns-year", "a-disagreeing-reading-that-fits", "the-doubtful-date-is-changed",
        "a-typo-read-alike-every-time-stays-as-printed", "a-consistent-pair-is-left-alone"])
def test_inconsistent_dates_are_repaired_only_from_what_was_read_and_flagged(dates, readings, doubtful, usual,
                                                                              expected):
    row = _dated_row(*dates)
    flags = [(f"low_confidence:{doubtful}", "read two ways")] if doubtful else []
    before = len(flags)
    repair_dates(row, flags, readings, {"transaction_date": usual, "notification_date": usual})
    assert (row.transaction_date, row.notification_date) == expected
    assert len(flags) == before + (expected != dates)


@pytest.mark.parametrize("owners, expected", [
    (["DC", "", "DC"], "DC"), (["DC", "", "SP"], ""), (["", "SP"], ""),
], ids=["between-two-alike", "between-two-different", "at-the-top"])
def test_an_unread_owner_cell_takes_the_owner_of_the_rows_around_it_when_they_agree(owners, expected):
    rows = [(Transaction(row_number=0, page=1, owner=owner), [] if owner else [("unreadable:owner", "'oe'")])
            for owner in owners]
    owners_from_neighbours(rows)
    row, flags = rows[owners.index("")]
    assert row.owner == expected
    assert [code for code, _ in flags] == (["low_confidence:owner"] if expected else ["unreadable:owner"])


@pytest.mark.parametrize("rotation", [0, 90, 270], ids=lambda r: f"stored-turned-{r}")
def test_a_page_showing_the_forms_grid_is_turned_the_one_way_the_grid_fits(rotation):
    widths = [38, 207, 19, 19, 19, 49, 50] + [27] * 10  # the paper form's columns, in points (= pixels here)
    upright = np.full((500, 700), 255, np.uint8)
    for x in _cells(*widths):
        upright[100:450, int(x):int(x) + 2] = 0  # column rules down the table
    for y in range(100, 451, 25):
        upright[y:y + 2, 10:int(_cells(*widths)[-1])] = 0  # row rules across it
    stored = np.ascontiguousarray(np.rot90(upright, -rotation // 90))  # what the scanner saved
    horizontal, vertical = ocr.rule_masks(stored)
    assert ocr.grid_rotation(horizontal, vertical, 1.0) == rotation


@pytest.mark.parametrize("tilt", [-1.2, -0.4, 0.3, 1.0], ids=lambda t: f"tilted-{t}")
def test_a_tilted_scan_is_turned_square_and_its_row_rules_are_found(tilt):
    square = np.full((1000, 800), 255, np.uint8)
    for y in range(100, 900, 40):
        square[y:y + 3, 50:750] = 0
    for x in (50, 300, 750):
        square[100:900, x:x + 3] = 0
    tilted = np.array(Image.fromarray(square).rotate(-tilt, fillcolor=255))
    assert ocr.skew_angle(tilted) == pytest.approx(tilt, abs=0.15)
    horizontal, _ = ocr.rule_masks(ocr.deskew(tilted))
    assert len(ocr.horizontal_rules(horizontal, 1.0)) == 20
    assert ocr.deskew(square) is square  # a square scan is not resampled


def _row_with_ink(*boxes: tuple[int, int, int, int]) -> OcrPage:
    """A page (points = pixels) whose row runs from y 100 to 130, with ink in the given (x0, y0, x1, y1)."""
    image = np.full((300, 200), 255, np.uint8)
    for x0, y0, x1, y1 in boxes:
        image[y0:y1, x0:x1] = 0
    return OcrPage(1, 0, 200, 300, [], 0.0, image, 1.0)


@pytest.mark.parametrize("ink, crosses", [
    ([(52, 110, 68, 120)], False),
    ([(58, 80, 62, 150)], True),
    ([(52, 110, 68, 120), (56, 131, 64, 134)], False),
    ([(55, 118, 65, 138)], True),
], ids=["an-x-in-the-cell", "a-stroke-through-the-row", "the-next-rows-x-at-the-edge", "more-ink-below-than-inside"])
def test_ink_running_on_beyond_the_row_is_not_taken_for_a_mark(ink, crosses):
    assert runs_beyond_row(_row_with_ink(*ink), (50.0, 70.0), 100.0, 130.0) is crosses


def _checkbox_row(crossed: set[int]) -> tuple[OcrPage, list[tuple[float, float]]]:
    """A row (y 100-130) of 14 cells 25 points wide, each holding a printed checkbox; an X in the `crossed` ones."""
    image = Image.new("L", (350, 300), 255)
    draw = ImageDraw.Draw(image)
    cells = [(25.0 * i, 25.0 * i + 25) for i in range(14)]
    for index, (x0, _) in enumerate(cells):
        draw.rectangle((x0 + 5, 105, x0 + 20, 125), outline=0, width=2)
        if index in crossed:
            draw.line((x0 + 8, 108, x0 + 17, 122), fill=0, width=2)
            draw.line((x0 + 8, 122, x0 + 17, 108), fill=0, width=2)
    return OcrPage(1, 0, 350, 300, [], 0.0, np.array(image), 1.0), cells


@pytest.mark.parametrize("crossed, kind, amount", [
    ({2, 4}, "S (partial)", "$1,001 - $15,000"),
    ({0, 13}, "P", "Over $50,000,000"),
    (set(), "", ""),
], ids=["partial-sale-column-and-column-A", "purchase-and-column-J", "nothing-crossed"])
def test_printed_checkboxes_are_blank_until_crossed(crossed, kind, amount):
    """The newer form prints a box in every type and amount cell: its outline is not a mark, an X inside it is
    (4 type cells: Purchase, Sale, Partial Sale, Exchange; then 10 amount cells)."""
    page, cells = _checkbox_row(crossed)
    row, flags = Transaction(row_number=1, page=1), []
    read_marks(page, row, cells[4:], cells[:4], TYPE_NAMES[4], 100.0, 130.0, flags)
    assert (row.transaction_type, row.amount) == (kind, amount)
    expected_flags = {"unreadable:transaction_type"} if not kind else set()
    assert {code for code, _ in flags} == expected_flags | ({"unreadable:amount"} if not amount else set())


def test_a_page_without_the_grid_leaves_the_turn_to_the_text_probe():
    blank = np.full((500, 700), 255, np.uint8)
    blank[100:102, 50:650] = 0  # a lone rule
    assert ocr.grid_rotation(*ocr.rule_masks(blank), 1.0) is None


@pytest.mark.parametrize("text, expected", [
    ("SP", ("SP", True)), ("§P", ("SP", False)), ("pc", ("DC", False)), ("pe", ("", False)),
    ("oC", ("DC", False)), ("“DCs", ("DC", False)), ("C", ("DC", False)), ("TS", ("", False)), ("ee", ("", False)),
    ("OO", ("", False)), ("Li]", ("", False)),
], ids=lambda value: value if isinstance(value, str) else None)
def test_owner_codes_are_read_from_their_letters_in_the_owner_column(text, expected):
    assert owner_code(_word(text, 5, 25, 40), in_owner_cell=True) == expected


def test_outside_the_owner_column_only_a_whole_code_is_an_owner():
    assert owner_code(_word("TSM", 5, 25), in_owner_cell=False) == ("", False)
    assert owner_code(_word("JT", 5, 25), in_owner_cell=False) == ("JT", True)


def _golden_ids() -> list[str]:
    return sorted(path.stem for path in GOLDEN.glob("*.json"))


# Known gaps, measured with the grid reader on 2026-11-26 (second session) (row recall: golden rows found with the same
# dates, amount, type and owner). The targets are recall >= 0.9 and no wrong unflagged row.
_BELOW_TARGET = {
    "8218109": "0.54: a low-resolution bilevel scan with 6-point print; most of page 3's date and owner "
               "cells read in part or not at all",
    # transcribed on 2026-12-02 and kept out of the tuning: a form filled in by hand
    "8220764": "0: the one row filled in by hand, its dates read by rapidocr alone as 01/4/25 and 01/1/25 "
               "(01/14/25), flagged",
    "9107549": "0.5: the second row's owner is printed 'DP', no such code (the golden takes it as DC): left unread, "
               "flagged",
}
# Strict: a filing that reaches the targets fails here until it is taken off the list.
XFAIL = {docid: f"OCR recall below target: {reason}" for docid, reason in _BELOW_TARGET.items()}


def _key(row: dict) -> tuple:
    return tuple(row[name] for name in ("transaction_date", "notification_date", "amount", "transaction_type", "owner"))


@pytest.mark.slow
@needs_tesseract
@pytest.mark.parametrize("docid", [pytest.param(d, marks=pytest.mark.xfail(reason=XFAIL[d], strict=True))
                                   if d in XFAIL else d for d in _golden_ids()])
def test_ocr_rows_match_the_hand_transcribed_goldens(docid):
    """The issue's targets per filing: row recall >= 0.9, and every unflagged row right; the filing ID read."""
    golden = json.loads((GOLDEN / f"{docid}.json").read_text())["rows"]
    outcome = extract_bytes(filing_path(docid).read_bytes(), f"{docid}.pdf", ocr=True)
    rows = [row.to_dict() for row in (outcome.filing.transactions if outcome.filing else [])]
    assert outcome.filing is not None and outcome.filing.filing_id == docid  # from the file's name
    assert all(row["extracted_by"] == "ocr" for row in rows)
    wanted = [_key(row) for row in golden]
    matched = sum((Counter(wanted) & Counter(_key(row) for row in rows)).values())  # rows repeat: count them
    recall = matched / len(golden) if golden else 1.0
    wrong_unflagged = [row for row in rows if not row["flags"] and _key(row) not in wanted]
    assert recall >= 0.9 and not wrong_unflagged, (recall, wrong_unflagged)


@pytest.mark.parametrize("printed, expected", [
    ("American Centy ETF Tr Small Cap Val AVDV", ("American Centy ETF Tr Small Cap Val", "AVDV")),
    ("Global X Funds Uranium - URA", ("Global X Funds Uranium", "URA")),
    ("World Gold T SPDR Gold Minishares-GLDM", ("World Gold T SPDR Gold Minishares", "GLDM")),
    ("Apple Inc (AAPL)", ("Apple Inc", "AAPL")),
    ("KRAFT HEINZ CO (THE)", ("KRAFT HEINZ CO (THE)", "")),
    ("Conceptus, Inc. (Stock)", ("Conceptus, Inc. (Stock)", "")),
    ("Schibsted - Class B", ("Schibsted - Class B", "")),
    ("Spdr Ser Tr S&P 500 Gwth ETF", ("Spdr Ser Tr S&P 500 Gwth ETF", "")),
    ("TENNESSEE HSG DEV AGY", ("TENNESSEE HSG DEV AGY", "")),
    ("Vanguard Index Fds S&P 500 ETF USD", ("Vanguard Index Fds S&P 500 ETF USD", "")),
    ("Tracror Supply TSCO", ("Tracror Supply", "TSCO")),
    ("Intel", ("Intel", "")),
    ("Amplify ETF Tr HACK I", ("Amplify ETF Tr", "HACK")),
    ("Tracror Supply Tsco", ("Tracror Supply", "TSCO")),
    ("SPDR Ser TrS&P500GwhETF-spYG", ("SPDR Ser TrS&P500GwhETF", "SPYG")),
    ("Global X Uranium Etf", ("Global X Uranium Etf", "")),
], ids=["typed-after-the-name", "after-a-dash", "joined-by-a-dash", "in-brackets-as-electronic-filings",
        "the-in-brackets-is-a-word", "a-word-in-brackets", "a-class-letter", "ends-with-etf",
        "all-capitals-unknown-ticker-is-a-word", "a-currency-is-not-a-ticker", "a-two-word-name", "one-word",
        "a-speck-after-the-ticker", "a-printed-ticker-read-in-lower-case", "joined-in-lower-case",
        "a-name-word-in-lower-case-is-no-ticker"])
def test_a_ticker_printed_in_a_scanned_asset_name_is_taken_out_of_it(printed, expected):
    assert split_ticker(printed) == expected


ONE_ENGINE = ("low_confidence:asset_name", "read by one engine only")
UNSURE_WORDS = ("low_confidence:asset_name", "read with low confidence and not the words of any security name")


@pytest.mark.parametrize("words, name, flag", [
    ([("Intel", 95), ("Corporation", 40)], "Intel Corporation", None),
    ([("Intel", 95), ("Corp", 40)], "Intel Corp", ONE_ENGINE),
    ([("Ishares", 95), ("Tres", 41)], "Ishares Tres", UNSURE_WORDS),
    ([("MERCKANDCOINCSHS", 49)], "MERCKANDCOINCSHS", ONE_ENGINE),
    ([("WELISFARGO&CO", 55)], "WELISFARGO&CO", UNSURE_WORDS),
    ([("oo", 9), ("PROSUS", 91), ("NV", 93), ("a", 30)], "PROSUS NV", ONE_ENGINE),
    ([("Humana", 91), ("Inc", 92), ("7", 3)], "Humana Inc 7", UNSURE_WORDS),
    ([("Schibsted", 96), ("A", 20)], "Schibsted A", ONE_ENGINE),
    ([("xq", 10)], "", ("unreadable:asset_name", "no asset name read")),
], ids=["a-name-some-filing-printed", "unsure-word-of-a-security-name", "unsure-word-of-no-security-name",
        "words-run-together", "run-together-with-a-misread", "specks-at-the-ends-dropped",
        "an-unsure-digit-is-kept-and-flagged", "a-class-letter-is-kept", "only-a-speck"])
def test_an_asset_name_is_unflagged_only_as_a_printed_name_and_unsure_words_are_listed(words, name, flag):
    """Tesseract's words are one reading: a name stays flagged (for the second engine) unless some filing printed
    it; a low-confidence word that no security's name has is named in the flag."""
    read = without_specks([_word(text, 40 + 60 * i, 90 + 60 * i, conf) for i, (text, conf) in enumerate(words)])
    assert " ".join(word.text for word in read) == name
    flags = asset_name_flags(read, name, "")
    assert len(flags) == (flag is not None)
    assert flag is None or (flags[0][0] == flag[0] and flag[1] in flags[0][1])


def test_a_printed_name_is_known_under_its_own_ticker_only():
    assert known_name("Intel Corporation", "INTC") and known_name("INTEL CORPORATION", "")
    assert not known_name("Intel Corporation", "MRK")


@pytest.mark.parametrize("name, ticker, reading, why", [
    ("SPDR Ser Tr S&P 600 Small Cap Value", "SLYV", "SPDR Ser T S& 600 Smal ap Value SLYV", ""),
    ("Humana Inc", "", "SP Humana Inc", ""),
    ("Amplify ETF Tr HACK I", "", "Amplify ETF Tr HACK", "'I' not confirmed"),
    ("MSO", "", "MSD", "'MSO' not confirmed"),
    ("Invesco", "", "Invesco Currency Shares Swiss Franc FXF", "it reads 27 more letters"),
], ids=["letters-the-second-engine-dropped-are-words-of-security-names", "an-owner-code-read-with-it",
        "a-speck-only-tesseract-read", "a-misread-letter", "tesseract-missed-most-of-the-name"])
def test_a_second_reading_confirms_an_asset_name_word_by_word(name, ticker, reading, why):
    assert name_not_confirmed(name, ticker, reading) == why


@pytest.mark.parametrize("name, reading, kept", [
    ("CHEVRON CORP TS", "CHEVRONCORP", "CHEVRON CORP"),
    ("7 Ishares Tr 10-20 Yr Tres Bd ETF", "Ishares Tr 10-20 Yr Tres Bd ETF TLH", "Ishares Tr 10-20 Yr Tres Bd ETF"),
    ("TEMPE ARIZ GO BDS A", "TEMPEARIZGOBDSA", "TEMPE ARIZ GO BDS A"),
    ("HPS SPECIAL OPP FUND Ht LP", "HPSSPECIALOPPFUNDHLP", "HPS SPECIAL OPP FUND Ht LP"),
], ids=["a-speck-at-the-end", "a-speck-at-the-start", "a-class-letter-both-read", "inside-the-name-it-stays"])
def test_a_speck_only_tesseract_read_at_either_end_of_a_name_is_dropped(name, reading, kept):
    assert without_unread_specks(name, reading) == kept


@pytest.mark.parametrize("source, docid", [
    ("8218109.pdf", "8218109"), ("20016961.PDF", "20016961"), ("uploads/9115670.pdf", "9115670"),
    ("scan.pdf", ""), ("123456.pdf", ""), ("8218109 (1).pdf", ""),
], ids=["seven-digits", "eight-digits-upper-case", "in-a-folder", "not-a-docid", "too-short", "a-browser-copy"])
def test_a_scans_filing_id_is_the_docid_its_file_is_named_after(source, docid):
    assert filing_id_from_name(source) == docid


@pytest.mark.parametrize("words, filer", [
    ([("NAME:", 94), ("MICHAEL", 90), ("MCCAUL", 90), ("HAND", 97), ("DELIVERED", 96)], "Michael Mccaul"),
    ([("NAME:", 94), ("MICHAEL", 90), ("MCCAUL", 90), ("", 0), ("ND", 97), ("DELIVERED", 96)], "Michael Mccaul"),
    ([("|", 78), ("NAME:", 97), ("Rohit", 96), ("Khanna", 96), ("_", 25), ("OFFICE", 96)], "Rohit Khanna"),
    ([("NAME:", 97), ("OFFICE", 96), ("TELEPHONE:", 97)], ""),
    ([("NAME:", 93), ("RohitKhanna", 39), ("OFFICE", 31)], ""),
    ([("FULL", 95), ("ASSET", 95), ("NAME", 97), ("TRANS-", 93), ("OF", 97), ("AMOUNT", 96)], ""),
], ids=["typed-capitals", "the-stamp-far-after-it", "typed-then-the-telephone-field", "handwritten-not-read",
        "read-unsure",
        "the-column-heading"])
def test_the_filer_is_read_from_the_forms_name_field(words, filer):
    line = [_word(text, 40 + 80 * i, 110 + 80 * i, conf) for i, (text, conf) in enumerate(words) if text]  # "": a gap
    page = OcrPage(1, 0, 800, 100, line, 0.5)
    assert filer_from_pages([page]) == filer


@pytest.mark.parametrize("below, filer", [
    ([("Charles", 96, 42), ("J.", 95, 90), ("Fleischmann", 96, 110)], "Charles J. Fleischmann"),
    ([("Provide", 96, 300), ("full", 96, 350)], ""),
], ids=["typed-under-the-label", "a-line-elsewhere"])
@pytest.mark.parametrize("speck", [False, True], ids=["nothing-after-the-label", "a-speck-after-the-label"])
def test_a_filer_typed_under_the_name_label_is_read(below, filer, speck):
    label = OcrWord("NAME:", 40, 100, 75, 110, 96.0, (1, 1, 1))
    after = [OcrWord("i", 280, 100, 284, 110, 76.0, (1, 1, 1))] if speck else []
    words = [label, *after, OcrWord("OFFICE", 300, 100, 340, 110, 96.0, (1, 1, 1)), *(
        OcrWord(text, x0, 116, x0 + 40, 126, conf, (1, 2, 1)) for text, conf, x0 in below)]
    assert filer_from_pages([OcrPage(1, 0, 800, 300, words, 0.5)]) == filer


@pytest.mark.parametrize("words, filer", [
    ([("NAME:", 95), ("Harald", 90), ("Dallas", 91), ("Rogers", 92)], "Harold Dallas Rogers"),
    ([("wane:", 79), ("Speier", 15), ("page", 7)], "Jackie Speier"),
    ([("wane,", 80), ("Adrian", 14), ("Smith", 36), ("oF", 28), ("TELEPHONE:", 90)], "Adrian Smith"),
    ([("NAME:", 93), ("RohitKhanna", 39), ("OFFICE", 31)], "Rohit Khanna"),
    ([("NAME:", 90), ("Adrian", 40), ("Smith", 45)], "Adrian Smith"),
    ([("NAME:", 90), ("Smith", 45)], ""),
    ([("NAME:", 90), ("Sell", 45), ("Keith", 30)], ""),
    ([("NAME:", 96), ("Jane", 95), ("Q.", 95), ("Public", 96)], "Jane Q. Public"),
], ids=["misread-letters", "a-misread-label-and-an-unsure-name", "its-colon-read-as-a-comma", "run-together",
        "a-last-name-two-filers-share", "the-shared-last-name-alone", "a-short-name-misread",
        "no-known-name-read-confidently"])
def test_the_filer_is_matched_to_the_known_house_filers(words, filer):
    line = [_word(text, 40 + 80 * i, 110 + 80 * i, conf) for i, (text, conf) in enumerate(words)]
    assert filer_from_pages([OcrPage(1, 0, 800, 100, line, 0.5)], house_members()) == filer


@needs_second_engine
def test_a_name_tesseract_does_not_read_is_read_again_by_the_second_engine():
    image = Image.new("L", (400, 60), 255)
    ImageDraw.Draw(image).text((90, 14), "Jackie Speier", fill=0, font=ImageFont.load_default(size=28))
    label = OcrWord("NAME:", 10, 14, 80, 42, 96.0, (1, 1, 1))  # what tesseract read: the printed label alone
    page = OcrPage(1, 0, 400, 60, [label], 0.0, np.array(image), 1.0)
    assert filer_from_pages([page], house_members()) == "Jackie Speier"
    assert filer_from_pages([page]) == ""  # without the known names, only tesseract's confident reading counts


@pytest.mark.parametrize("text, iso", [
    ("~~5/26/2025=", "2025-05-26"), ("«6/5/2025", "2025-06-05"), ("s«6/5/2025", ""), ("(05/14/14)", "2014-05-14"),
], ids=["junk-around", "a-quote-before", "junk-inside", "brackets"])
def test_specks_around_a_date_are_not_part_of_it(text, iso):
    assert read_date(text)[0] == iso


def test_a_date_read_whole_once_is_confirmed_by_the_same_date_settled_in_its_column():
    once = [("2025-06-05", 40.0, "«6/5/2025"), ("", 0.0, "8/5/205"), ("", 0.0, "6/5/2078")]
    flags: list[tuple[str, str]] = []
    assert decide_date(once, "notification_date", flags, 2025, {(2025, 6)}, {"2025-06-05"}) == "2025-06-05"
    assert flags == []
    disagreeing = [("2025-06-05", 40.0, "6/5/2025"), ("2025-08-05", 40.0, "8/5/2025")]
    assert decide_date(disagreeing, "notification_date", flags, 2025, {(2025, 6)}, {"2025-06-05"}) == "2025-06-05"
    assert [code for code, _ in flags] == ["low_confidence:notification_date"]


@pytest.mark.parametrize("box, landscape", [
    ({"page": 1, "x0": 300.0, "top": 100.0, "x1": 330.0, "bottom": 700.0}, True),
    ({"page": 1, "x0": 50.0, "top": 300.0, "x1": 550.0, "bottom": 330.0}, False),
], ids=["a-row-of-the-turned-scan-shows-it-upright", "a-wide-box-leaves-the-page-as-stored"])
def test_the_source_view_shows_a_turned_scan_upright(box, landscape):
    png = highlighted_page(filing_path("2001391").read_bytes(), [box], page=1)  # a paper form stored turned 90°
    width, height = Image.open(io.BytesIO(png)).size
    assert (width > height) is landscape


def test_a_date_read_whole_once_is_not_confirmed_by_the_column_when_the_partial_readings_point_elsewhere():
    # 09-30 printed, read whole once as 09-20 (a date of the column), and in part as 9-30-20: stays flagged
    readings = [("2024-09-20", 60.0, "09-20-2024"), ("", 0.0, "9-30-20"), ("", 0.0, "09-30-202")]
    flags: list[tuple[str, str]] = []
    decide_date(readings, "transaction_date", flags, 2024, {(2024, 9)}, {"2024-09-20", "2024-09-30"})
    assert [code for code, _ in flags] == ["low_confidence:transaction_date"]


def _cell_page(text: str) -> OcrPage:
    """A page (points = pixels) with `text` printed large in the cell x 10-90, y 10-50."""
    image = Image.new("L", (400, 60), 255)
    ImageDraw.Draw(image).text((20, 14), text, fill=0, font=ImageFont.load_default(size=28))
    return OcrPage(1, 0, 400, 60, [], 0.0, np.array(image), 1.0)


_DOUBTFUL_DC = ("low_confidence:owner", "owner read as 'pc'")


@needs_second_engine
@pytest.mark.parametrize("printed, taken, codes, note", [
    ("DC", "DC", [], None),
    ("DC", "SP", ["low_confidence:owner"], "rapidocr read 'DC'"),
    ("", "DC", ["low_confidence:owner"], "rapidocr read nothing"),
], ids=["confirmed-by-the-second-engine", "the-second-engine-reads-another-code", "the-second-engine-reads-nothing"])
def test_a_doubtful_owner_is_confirmed_only_when_the_second_engine_reads_it(printed, taken, codes, note):
    page = _cell_page(printed)
    rows = [(Transaction(row_number=0, page=1, owner=taken), [_DOUBTFUL_DC])]
    confirm_cells(page, rows, [(10.0, 50.0)], {"owner": (10.0, 90.0)})
    row, flags = rows[0]
    assert row.owner == taken and [code for code, _ in flags] == codes
    assert note is None or flags[0][1].endswith(note)
    assert [word.text for word in page.second_reading] == ([printed] if printed else [])  # grounding sees it


def test_without_the_second_engine_a_doubtful_value_stays_flagged_and_says_why():
    script = """
import sys
sys.modules["rapidocr"] = None  # a machine without the package: importing it fails
import numpy as np
from agent.documents.ocr import OcrPage
from agent.formats.paper.confirm import confirm_cells
from agent.models import Transaction
rows = [(Transaction(row_number=0, page=1, owner="DC"), [("low_confidence:owner", "owner read as 'pc'")])]
confirm_cells(OcrPage(1, 0, 100, 60, image=np.full((60, 100), 255, np.uint8), scale=1.0), rows, [(10.0, 50.0)],
              {"owner": (10.0, 90.0)})
print(rows[0][1])
"""
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "low_confidence:owner" in shown
    assert "the second OCR engine is not installed (rapidocr and onnxruntime" in shown


@needs_second_engine
@pytest.mark.parametrize("printed, name, ticker, codes", [
    ("Humana Inc", "HUMANAINC", "", []),
    ("Invesco FXF", "Invesco", "FXF", []),
    ("Humana Inc", "Hurnana Inc", "", ["low_confidence:asset_name"]),
], ids=["same-letters-other-spacing", "with-its-ticker", "another-reading"])
def test_a_doubtful_asset_name_is_confirmed_when_the_second_engine_reads_the_same_letters(printed, name, ticker,
                                                                                           codes):
    page = _cell_page(printed)
    rows = [(Transaction(row_number=0, page=1, asset_name=name, ticker=ticker),
             [("low_confidence:asset_name", "asset name words read with low confidence ...")])]
    confirm_cells(page, rows, [(10.0, 50.0)], {"asset_name": (10.0, 390.0)})
    assert [code for code, _ in rows[0][1]] == codes and rows[0][0].asset_name == name
