"""The Senate's paper PTR read by OCR: the form's grid and its turn, owner codes, sales of unknown kind, cover
letters and typed attachments, and the hand-transcribed goldens (tests/golden_senate_paper, see its README)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from agent.analysis.frame import SIDES
from agent.documents import ocr
from agent.documents.pdf import read_document
from agent.export import transaction_type_label
from agent.formats.fields import parse_amount
from agent.formats.paper.senate_dates import written_date
from agent.formats.paper.senate_grid import clear_rule_remnants, find_senate_columns, upright_page
from agent.formats.paper.senate_lists import bracket_index
from agent.formats.paper.senate_rows import (
    EXAMPLE,
    decide_owner,
    filer_name,
    handwritten,
    header_band,
    house_order,
    owner_from_asset,
    ticker_of,
    written_ticker,
)
from agent.formats.paper.senators import known_senator
from agent.formats.registry import format_of, recognise
from agent.formats.senate_paper import FORMAT
from agent.models import Filing
from agent.run.extract import extract_bytes
from tests.conftest import senate_file

GOLDEN = Path(__file__).parent / "golden_senate_paper"
needs_tesseract = pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")


def paper(uuid: str) -> bytes:
    return senate_file(f"paper/{uuid}.pdf").read_bytes()


@pytest.mark.parametrize("printed, owner, exact", [
    ("(S) Allergan, Inc.", "SP", True), ("(s) CEMEX - SAB DE CV", "SP", True), ("(J) IRAs Wells Fargo", "JT", True),
    ("(j) IRAs Wells Fargo", "JT", True), ("(DC) AES TRUST III", "DC", True),
    ("Met Life Preferred A (S, IRA)", "SP", True),
    ("Vertex Pharmaceuticals, Inc. (stock)", "", True), ("(8) LOWES COMPANIES INC", "SP", False),
    ("(OC) AES TRUST", "DC", False), ("1s) REGENCY ENERGY", "SP", False), ("Goldman Sachs (8, IRA)", "SP", False),
    ("l(s) Applied Materials", "SP", False),  # the cell's left rule read as "l"
], ids=lambda value: value if isinstance(value, str) and len(value) > 3 else None)
def test_the_owner_code_is_read_inside_the_asset_cell(printed: str, owner: str, exact: bool) -> None:
    code, asset, sure = owner_from_asset(printed)
    assert (code, sure) == (owner, exact)
    assert not asset.startswith(("(S)", "(s)", "(J)", "(j)", "(DC)", "(8)", "(OC)", "1s)", "l(s)"))


@pytest.mark.parametrize("first, second, owner, flagged", [
    ("(S) CME GROUP", "(8) CME GROUP", "SP", False),  # one reading as printed, the other tesseract's look-alike
    ("CME GROUP", "CME GROUP", "", False),
    ("(S) CME GROUP", "CME GROUP", "SP", True),
    ("(8) CME GROUP", "(8) CME GROUP", "SP", True),  # never read as printed
    ("(J) IRAs", "(S) IRAs", "JT", True),
], ids=["look-alike-agrees", "both-none", "one-reading-only", "look-alikes-only", "disagree"])
def test_an_owner_is_trusted_when_two_readings_agree(first: str, second: str, owner: str, flagged: bool) -> None:
    flags: list[tuple[str, str]] = []
    assert decide_owner(first, second, flags) == owner
    assert [code for code, _ in flags] == (["low_confidence:owner"] if flagged else [])


def test_a_paper_sale_is_a_sale_of_unknown_kind_everywhere() -> None:
    assert transaction_type_label("S*") == "Sale (kind not stated)" and SIDES["S*"] == "sale"
    assert transaction_type_label("S") == "Sell"  # a sale the filing says is full keeps its own word


def test_the_amount_columns_map_to_the_brackets_with_the_open_million_seventh() -> None:
    cells = [(float(i), float(i + 1)) for i in range(11)]
    assert house_order(cells) == [*cells[:6], *cells[7:], cells[6]]
    assert bracket_index(1000, 15000) == 0 and bracket_index(1_000_001, None) == 10 and bracket_index(7, 9) is None
    assert parse_amount("Over $1,000,000").minimum == 1_000_001


@pytest.mark.parametrize("asset, ticker", [
    ("iHeartMedia Inc. (stock) (IHRT)", "IHRT"), ("WILLIAMS COS INC (DEL)", ""), ("Enersis SA ADS (S, IRA)", ""),
    ("AAPL", "AAPL"),  # a hand writes the ticker alone: a ticker some filing printed
    ("Envest Ventures IILLC", ""),  # capitals after the name that no filing printed as a ticker
])
def test_the_ticker_printed_in_or_as_the_asset(asset: str, ticker: str) -> None:
    assert ticker_of(asset) == ticker


@pytest.mark.parametrize("asset, ticker, from_table", [
    ("NFLX", "NFLX", True), ("Ksu sep", "KSU", True), ("TRN FR", "TRN", True),  # a note written beside the ticker
    ("iHeartMedia Inc. (stock) (IHRT)", "IHRT", False),  # printed: the parentheses say so
    ("AAPLR", "", False),  # run together with the note: no ticker some filing printed
    ("CA Inc", "", False), ("Ksu Inc", "", False),  # a word of names ("Inc") is no note: a company named
    ("Mondelez (stock)", "", False),
])
def test_a_ticker_written_by_hand_is_one_some_filing_printed(asset: str, ticker: str, from_table: bool) -> None:
    found, evidence = written_ticker(asset)
    assert found == ticker and ("data/securities.tsv" in evidence) == from_table


@pytest.mark.parametrize("read, year, iso, how", [
    ("11/27", 2013, "2013-11-27", "written without its year: 2013"),  # the year written once, in the header
    ("11/27", None, "", ""),  # no year anywhere: no date
    ("1/17/13", None, "2013-01-17", ""),
    ("4112/13", None, "2013-04-12", "a slash read as '1'"),  # "41/2/13" is no date: one way only
    ("11127", 2013, "2013-11-27", "a slash read as '1'; written without its year: 2013"),
    ("1111", 2013, "", ""),  # 1/11 or 11/1: two ways, no date
    ("11/57", 2013, "", ""), ("2/30", 2013, "", ""), ("11/27", 2035, "", ""),  # no such day; beyond the form's years
])
def test_a_date_written_by_hand_is_completed_only_one_way(read: str, year: int | None, iso: str, how: str) -> None:
    assert written_date(read, year) == (iso, how)


@pytest.mark.parametrize("read, example", [
    ("(DC) Microsoft (stock) NASDAQ/OTC", True), ("Chint NASDAQOTC stock)", True),  # rapidocr's reading of it
    ("IBM Corp. (stock) NYSE", True), ("NASDAQ OMX GROUP INC", False), ("CME GROUP INC", False),
])
def test_the_forms_printed_example_rows_are_known_by_their_words(read: str, example: bool) -> None:
    assert bool(EXAMPLE.search(read)) == example


def test_handwriting_is_what_tesseract_reads_with_low_confidence_or_not_at_all() -> None:
    def words(*confidences: float) -> list[ocr.OcrWord]:
        return [ocr.OcrWord("x", 0.0, 0.0, 1.0, 1.0, conf, (1, 1, 1)) for conf in confidences]
    assert handwritten([]) and handwritten(words(0, 42, 90)) and not handwritten(words(88, 30, 91))


@pytest.mark.parametrize("printed, owner", [("S - AAPL", "SP"), ("s- NFLX", "SP"), ("J - KSU", "JT")])
def test_an_owner_code_written_before_a_dash(printed: str, owner: str) -> None:
    assert owner_from_asset(printed)[:2] == (owner, printed.split()[-1])


def test_the_filer_comes_from_the_name_box_as_efd_names_people() -> None:
    def words(*texts: str) -> list[ocr.OcrWord]:
        return [ocr.OcrWord(text, 10.0 * i, 5.0, 10.0 * i + 8, 15.0, 95.0, (1, 1, 1)) for i, text in enumerate(texts)]
    assert filer_name(words("Carper,", "Thomas", "R.")) == "Thomas R. Carper"
    assert filer_name(words("WHITEHOUSE,", "SHELDON")) == "Sheldon Whitehouse"
    assert filer_name(words("Senator", "Susan", "Collins")) == "Susan Collins"
    assert filer_name(words("John", "Smith")) == "John Smith"  # no senator's name: as read


def test_an_ocr_slip_in_a_senators_name_gives_the_name_as_efd_spells_it() -> None:
    def words(*read: tuple[str, float]) -> list[ocr.OcrWord]:
        return [ocr.OcrWord(text, 10.0 * i, 5.0, 10.0 * i + 8, 15.0, conf, (1, 1, 1)) for i, (text, conf) in
                enumerate(read)]
    assert filer_name(words(("Rou", 93), ("D.", 91), ("Blunt", 86))) == "Roy D. Blunt"
    # the last name read at confidence 0: the known name is evidence the OCR does not give
    assert filer_name(words(("Reporting", 93), ("Individual's", 56), ("Name", 67), ("Senator", 96), ("Susan", 97),
                            ("Collis", 0))) == "Susan Collins"
    assert filer_name(words(("Chris", 90), ("Van", 90), ("Hollen", 90))) == "Chris Van Hollen"
    assert filer_name(words(("Richard", 95), ("Gurr", 90))) == "Richard Burr"
    assert filer_name(words(("Rou", 93), ("Smith", 90))) == "Rou Smith"  # "Smith" is a senator, but not Rou
    assert known_senator(["JohnBoozman"]) == "John Boozman"  # a hand's two names run together
    assert known_senator(["Johnson"]) == ""  # a last name alone is not both run together


@pytest.mark.parametrize("rules, extent, header", [
    ([342, 461, 510, 982, 1046, 1116, 1192, 1674, 1914, 2076], (508.0, 2078.0), (510, 982)),  # lost rules: taller gap
    ([326, 450, 466, 511, 964, 1009, 1073, 1146, 1228, 1312, 1397], (615.0, 2126.0), (511, 964)),  # amounts' rules
], ids=["faint-rules", "grid-top-inside-header"])  # start under the header's top rule
def test_the_grids_header_is_the_first_tall_gap_at_its_top(rules: list[float], extent: tuple[float, float],
                                                           header: tuple[int, int]) -> None:
    page = ocr.OcrPage(1, 0, 1728.0, 2200.0, row_rules=[float(y) for y in rules])
    assert header_band(page, extent) == header


def test_the_broken_pieces_of_a_grids_rules_are_cleared_and_the_text_beside_them_kept() -> None:
    # a row rule found at y=100 with a short piece of it 3 pixels lower, a column rule at x=300 with a piece
    # beside it, and a digit "1" (a 30 pixel stroke) near that rule: tesseract read such pieces as text. The
    # page is eFD's (1728 x 2200 pixels, a pixel a point).
    image = np.full((2200, 1728), 255, np.uint8)
    image[103:105, 20:90] = 0  # 70 pixels along the row rule
    image[150:230, 302:304] = 0  # 80 pixels along the column rule
    image[160:190, 297:299] = 0  # the digit's stroke
    page = ocr.OcrPage(1, 0, 1728.0, 2200.0, image=image, scale=1.0, rules=[300.0], row_rules=[100.0])
    clear_rule_remnants(image, page, (90.0, 300.0))
    assert (image[100:110, 20:90] == 255).all() and (image[150:230, 300:305] == 255).all()
    assert (image[160:190, 297:299] == 0).all()


def _widths(*widths: float) -> list[float]:
    rules = [30.0]
    for width in widths:
        rules.append(rules[-1] + width)
    return rules


def test_the_forms_columns_are_found_by_their_pattern_and_only_one_way_round() -> None:
    form = [35, 400, 45, 7, 17, 58, 68, 60, 194] + [62] * 11  # as the rules of eFD's pages measure, in points
    columns = find_senate_columns(_widths(*form), 1728.0)
    assert columns is not None and len(columns.types) == 3 and len(columns.amounts) == 11
    assert columns.name[1] == columns.types[0][0] and columns.types[-1][1] == columns.date[0]
    assert find_senate_columns(_widths(*form[::-1]), 1728.0) is None  # mirrored: the page turned the other way
    house = [38, 207, 19, 19, 19, 49, 50] + [27] * 10  # the House form: two date cells
    assert find_senate_columns(_widths(*house), 612.0) is None


@pytest.mark.parametrize("turn, upright", [(0, 90), (90, 0), (180, 270), (270, 180)],
                         ids=["as-stored", "upright", "other-way", "upside-down"])
def test_a_page_is_turned_upright_by_the_forms_grid(turn: int, upright: int) -> None:
    # eFD stores the form turned 90 degrees (counter-clockwise to read); turned further here, counter-clockwise
    stored = pdfium.PdfDocument(paper("0548963D-9EE7-4973-ADDC-1B6D20453F77"))[0].render(scale=1).to_pil().convert("L")
    sheet = upright_page(np.ascontiguousarray(np.rot90(np.array(stored), turn // 90)), 1, 72)
    assert sheet.columns is not None and sheet.page.rotation == upright
    assert sheet.page.width < sheet.page.height and len(sheet.columns.amounts) == 11


def test_detection_claims_efd_paper_reports_and_leaves_house_scans_alone(shared_filings: Path) -> None:
    uuid = "0548963D-9EE7-4973-ADDC-1B6D20453F77"
    senate = read_document(paper(uuid), f"{uuid}.pdf")
    assert recognise(senate).format is FORMAT
    house = read_document((shared_filings / "pdfs" / "8220755.pdf").read_bytes(), "8220755.pdf")
    assert recognise(house).format is not None and recognise(house).format is not FORMAT
    assert format_of(Filing("x.pdf", "", 1, layout="scanned_ocr", chamber="senate")) is FORMAT


@pytest.mark.slow
@needs_tesseract
def test_a_cover_letter_gives_no_rows_and_no_error() -> None:
    uuid = "536C0A20-EC52-44AA-AEDC-9523E5326313"  # page 1 a lawyer's cover letter, page 2 the form
    outcome = extract_bytes(paper(uuid), f"{uuid}.pdf", ocr=True)
    assert outcome.filing is not None and outcome.status != "failed"
    assert {row.page for row in outcome.filing.transactions} == {2}
    note = outcome.filing.flags[0]
    assert note.code == "read_by_ocr" and "page(s) 1: a cover letter or other page without transactions" in note.message


@pytest.mark.slow
@needs_tesseract
def test_a_typed_attachment_is_read_line_by_line_and_every_row_flagged_for_review() -> None:
    uuid = "1dcead78-4298-43b4-a3aa-fa3c09ba2f4d"  # the form says "See Attachment"; page 2 lists Sales and Purchases
    filing = extract_bytes(paper(uuid), f"{uuid}.pdf", ocr=True).filing
    assert filing is not None
    listed = [row for row in filing.transactions if row.page == 2]
    assert [row.transaction_type for row in listed] == ["S*"] * 3 + ["P"] * 3
    assert all("needs_review:attachment" in {flag.code for flag in row.flags} for row in listed)
    assert any(flag.code == "senate_paper_attachment" for flag in filing.flags)
    assert not [row for row in filing.transactions if row.page == 1]  # the handwriting across the grid is no row


@pytest.mark.slow
@needs_tesseract
def test_the_printed_example_rows_are_no_transactions_and_a_microsoft_row_is_one() -> None:
    # 9eaa5a59's example row: tesseract read its words as specks, rapidocr as "NASDAQOTC"; 7d534d16's sixth row is
    # "(S) MICROSOFT INC (stock)", a purchase (not goldens: the crowd's transcriptions list both)
    first, second = (extract_bytes(paper(uuid), f"{uuid}.pdf", ocr=True).filing
                     for uuid in ("9eaa5a59-b8a5-44ae-b77b-5cc7cf2a8076", "7d534d16-8f7d-4ef1-8be2-a1d815c9d708"))
    assert first is not None and second is not None
    assert not [row for row in first.transactions if EXAMPLE.search(row.asset_name)]
    assert [row.transaction_date for row in second.transactions if "MICROSOFT" in row.asset_name] == ["2018-04-18"]


def _golden_ids() -> list[str]:
    return sorted(path.stem for path in GOLDEN.glob("*.json"))


# Known gaps, measured on 2026-12-02 (row recall: golden rows found with the same date, amount, type and owner).
_BELOW_TARGET = {
    "D45A8795-99AF-471A-AE55-DDD80E19B31E": "0.5: handwritten form; three X's drawn across the rows' rules are "
                                            "not taken as marks, and rapidocr reads 11/20 as '1/20'",
}
XFAIL = {uuid: f"OCR recall below target: {reason}" for uuid, reason in _BELOW_TARGET.items()}


def _key(row: dict[str, object]) -> tuple[object, ...]:
    return tuple(row[name] for name in ("transaction_date", "amount", "transaction_type", "owner"))


@pytest.mark.slow
@needs_tesseract
@pytest.mark.parametrize("uuid", [pytest.param(u, marks=pytest.mark.xfail(reason=XFAIL[u], strict=True))
                                  if u in XFAIL else u for u in _golden_ids()])
def test_senate_paper_rows_match_the_hand_transcribed_goldens(uuid: str) -> None:
    """The issue's targets per filing: row recall >= 0.9, every unflagged row right; filer and filing ID."""
    golden = json.loads((GOLDEN / f"{uuid}.json").read_text())
    outcome = extract_bytes(paper(uuid), f"{uuid}.pdf", ocr=True)
    filing = outcome.filing
    assert filing is not None and filing.chamber == "senate" and filing.filing_id == golden["filing_id"]
    rows = [row.to_dict() for row in filing.transactions]
    assert all(row["extracted_by"] == "ocr" and row["transaction_type"] != "S" for row in rows)
    wanted = [_key(row) for row in golden["rows"]]
    matched = sum((Counter(wanted) & Counter(_key(row) for row in rows)).values())
    recall = matched / len(wanted)
    wrong_unflagged = [row for row in rows if not row["flags"] and _key(row) not in wanted]
    assert recall >= 0.9 and not wrong_unflagged, (recall, wrong_unflagged)
    assert golden["filer"].split()[-1] in filing.filer_name.split()
    printed = Counter(row["ticker"] for row in golden["rows"] if row["ticker"])
    assert not printed - Counter(row["ticker"] for row in rows)


def test_without_the_ocr_engine_a_senate_scan_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without tesseract
    uuid = "0548963D-9EE7-4973-ADDC-1B6D20453F77"
    outcome = extract_bytes(paper(uuid), f"{uuid}.pdf", ocr=True)
    assert outcome.status == "needs_ocr"
    assert "OCR engine not installed: run scripts/run.sh (it installs tesseract-ocr)" in outcome.reason
