"""The PTR parser on the failure modes other open-source parsers show, on real filings and built pages."""

from __future__ import annotations

import pytest

from agent.checks.validate import validate_filing
from agent.documents.pdf import Document, PageText, Word
from agent.formats.house_ptr import ROW_LABELS, label_matches, match_label
from agent.run.extract import extract_path, parse_and_validate
from tests.conftest import filing_path


def rows_of(docid: str):
    return extract_path(filing_path(docid)).filing.transactions


def find(rows, **values):
    matches = [row for row in rows if all(getattr(row, key) == value for key, value in values.items())]
    assert matches, f"no row with {values}"
    return matches


@pytest.mark.shared
@pytest.mark.parametrize(
    ("docid", "values", "expected"),
    [
        ("20011886", {"ticker": "MMM", "transaction_date": "2019-05-24"},
         {"amount": "$1,001 - $15,000", "cap_gains_over_200": False}),
        ("20010009", {"ticker": "CSCO"}, {"amount": "$1,001 - $15,000", "cap_gains_over_200": True}),
        ("20016961", {"ticker": "AAPL"}, {"amount": "$1,000,001 - $5,000,000", "amount_min": 1000001.0,
                                          "amount_max": 5000000.0, "transaction_type": "S"}),
        ("20022260", {"ticker": "CRM"}, {"amount": "$9.00", "amount_min": 9.0, "amount_max": 9.0}),
        ("20005757", {"transaction_date": "2016-06-06"}, {"notification_date": "2016-08-23", "ticker": "",
                                                          "asset_type": ""}),
        ("20030641", {"asset_name": "BTC", "transaction_date": "2025-06-20"}, {"ticker": "", "asset_type": "CT"}),
        ("20020589", {"ticker": "UBS"}, {"owner": "JT", "transaction_type": "S (partial)"}),
        ("20022260", {"ticker": "GOOGL", "transaction_date": "2022-12-20"}, {"transaction_type": "S (partial)"}),
        ("20027838", {"asset_type": "HN", "amount": "$1,001 - $15,000"},
         {"ticker": "", "asset_name": "Mercato Partners Travers IV QP, LP (GLAS Funds, LP)"}),
        ("20025588", {"transaction_date": "2024-07-01"}, {"ticker": "EFC$D"}),
    ],
    ids=["one-line-row-unticked-box", "ticked-box", "million-bracket-wrapped", "exact-amount",
         "one-digit-day-no-ticker", "crypto-without-ticker", "odd-font-header-and-partial-sale",
         "partial-not-folded-into-sale", "parenthesis-that-is-not-a-ticker", "preferred-share-ticker"],
)
def test_known_failure_modes(docid, values, expected):
    row = find(rows_of(docid), **values)[0]
    assert {key: getattr(row, key) for key in expected} == expected
    assert row.flags == []


@pytest.mark.shared
def test_mixed_owner_codes_kept_per_row():
    owners = [row.owner for row in rows_of("20029092")]
    assert owners[:3] == ["", "SP", "SP"]
    assert set(owners) == {"", "SP"}


@pytest.mark.shared
def test_description_continuing_on_next_page_stays_with_its_row():
    rows = rows_of("20016961")
    paypal = find(rows, ticker="PYPL", asset_type="ST")
    assert [row.description for row in paypal] == ["Purchased 5,000 shares.", "Purchased 5,000 shares."]
    first = paypal[0]
    assert first.page == 1 and sorted({box.page for box in first.boxes}) == [1, 2]
    assert rows[-1].ticker == "CRM" and rows[-1].option_shares == 10000


@pytest.mark.shared
def test_row_continuing_across_pages_keeps_filing_status():
    rows = rows_of("20033314")
    tesla = find(rows, ticker="TSLA")[0]
    assert tesla.filing_status == "New" and {box.page for box in tesla.boxes} == {1, 2}


@pytest.mark.shared
def test_table_ends_before_the_sections_that_follow_it():
    (row,) = rows_of("20033416")
    assert row.owner == "DC" and row.subholding_of == "TR - D1"
    assert row.location == ""  # the "Location: US" under Investment Vehicle Details is not the row's


@pytest.mark.shared
def test_amended_rows_keep_their_transaction_ids():
    filing = extract_path(filing_path("20016961")).filing
    assert filing.amendment
    assert [row.row_id for row in filing.transactions[:3]] == ["2000060675", "2000060676", ""]


@pytest.mark.shared
def test_options_read_from_description():
    rows = rows_of("20016961")
    axp = find(rows, ticker="AXP")[0]
    assert (axp.option_action, axp.option_type, axp.option_contracts, axp.option_strike, axp.option_expiration) == (
        "purchased", "call", 50, 80.0, "2022-01-21")
    nflx = find(rows, ticker="NFLX")[0]
    assert (nflx.option_action, nflx.option_contracts, nflx.option_shares, nflx.option_strike) == (
        "exercised", 50, 5000, 250.0)


@pytest.mark.parametrize(
    ("printed", "label", "matches"),
    [("FIlINg STATuS", "FILING STATUS", True), ("F\ufffe\ufffe\ufffe\ufffe\ufffe S\ufffe\ufffe\ufffe\ufffe\ufffe",
                                                  "FILING STATUS", True),
     ("D\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "DESCRIPTION", True), ("SUbHoLdINg oF", "SUBHOLDING OF", True),
     ("DESCRIPTIONS", "DESCRIPTION", False), ("LOCATIOM", "LOCATION", False)],
    ids=["odd-casing", "pdfium-garbled", "pdfplumber-nul", "mixed-case", "longer", "one-letter-off"],
)
def test_label_matching(printed, label, matches):
    assert label_matches(printed, label) is matches


def test_short_comments_label():
    assert ROW_LABELS[match_label("C: hedging, not speculation", ROW_LABELS)] == "comments"


# Built pages: a header row and rows placed where the real form puts them.
COLUMNS = {"ID": 26, "Owner": 83, "Asset": 121, "Transaction": 251, "Date": 317, "Notification": 372,
           "Amount": 437, "Cap.": 508}


def words_at(top: float, cells: list[tuple[float, str]]) -> list[Word]:
    result = []
    for x, text in cells:
        for word in text.split():
            result.append(Word(word, x, top, x + 5 * len(word), top + 8))
            x += 5 * len(word) + 3
    return result


def built_document(rows: list[list[tuple[float, str]]], extra_lines: list[tuple[float, str]] = ()) -> Document:
    words = words_at(100, [(x, name) for name, x in COLUMNS.items()])
    words += words_at(111, [(251, "Type"), (317 + 55, "Date"), (508, "Gains >")])
    top = 130.0
    text_lines = ["ID Owner Asset Transaction Date Notification Amount Cap.", "Type Date Gains >"]
    for cells in rows:
        words += words_at(top, cells)
        text_lines.append(" ".join(text for _, text in cells))
        top += 30
    for x, text in extra_lines:
        words += words_at(top, [(x, text)])
        text_lines.append(text)
        top += 12
    page = PageText(1, 612, 792, "\n".join(text_lines), words)
    return Document("built.pdf", "0" * 64, [page])


def test_type_glued_to_the_date():
    document = built_document([[(121, "Apple Inc. (AAPL) [ST]"), (251, "S01/16/2020"), (372, "01/17/2020"),
                                (437, "$1,001 - $15,000"), (526, "gfedc")]])
    (row,) = parse_and_validate(document).transactions
    assert (row.transaction_type, row.transaction_date, row.notification_date) == ("S", "2020-01-16", "2020-01-17")


def test_over_amount_and_blank_owner():
    document = built_document([[(121, "Alphabet Inc. (GOOGL) [ST]"), (251, "P"), (317, "03/01/2024"),
                                (372, "03/05/2024"), (437, "Over $50,000,000"), (526, "gfedcb")]])
    (row,) = parse_and_validate(document).transactions
    assert (row.owner, row.amount, row.amount_min, row.amount_max, row.cap_gains_over_200) == (
        "", "Over $50,000,000", 50000001.0, None, True)
    assert row.flags == []


def test_notification_before_transaction_is_flagged_not_dropped():
    document = built_document([[(83, "SP"), (121, "Tesla (TSLA) [ST]"), (251, "P"), (317, "03/05/2024"),
                                (372, "03/01/2024"), (437, "$1,001 - $15,000")]])
    filing = parse_and_validate(document)
    (row,) = filing.transactions
    assert [flag.code for flag in row.flags] == ["notification_before_transaction"]


def test_validating_again_adds_no_flag_twice():
    document = built_document([[(83, "SP"), (121, "Tesla (TSLA) [ST]"), (251, "P"), (317, "03/05/2024"),
                                (372, "03/01/2024"), (437, "$1,001 - $15,000")]])
    document.pages.append(PageText(2, 612, 792, "", [], has_images=True))  # a scanned page: a filing flag
    filing = parse_and_validate(document)
    once = (list(filing.flags), [list(row.flags) for row in filing.transactions])
    assert once[0] and once[1][0]  # a filing flag and a row flag to repeat
    validate_filing(filing, document)
    assert (filing.flags, [row.flags for row in filing.transactions]) == once


def test_a_date_after_today_is_flagged():
    # e.g. OCR reading a scan's 2024 as 2028, twice alike: the date is kept as read and flagged
    document = built_document([[(83, "SP"), (121, "Tesla (TSLA) [ST]"), (251, "P"), (317, "03/01/2024"),
                                (372, "03/05/2098"), (437, "$1,001 - $15,000")]])
    (row,) = parse_and_validate(document).transactions
    assert [flag.code for flag in row.flags] == ["date_in_future"]
    assert row.notification_date == "2098-03-05"


def test_amount_outside_the_brackets_is_flagged():
    document = built_document([[(121, "Tesla (TSLA) [ST]"), (251, "P"), (317, "03/01/2024"),
                                (372, "03/05/2024"), (437, "$1,000 - $15,000")]])
    (row,) = parse_and_validate(document).transactions
    assert [flag.code for flag in row.flags] == ["amount_not_bracket"]
