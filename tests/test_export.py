"""CSV and DataFrame output: exact columns, formula-safe text, numbers that stay numbers."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from agent.export import (
    cell_text,
    csv_cell,
    filings_csv,
    investor_table,
    readable_source_line,
    records_of_frame,
    to_csv,
    to_dataframe,
)
from agent.models import CSV_COLUMNS, Box, Filing, Flag, Transaction
from agent.run.extract import extract_path
from tests.conftest import filing_path


def one_filing(**row_values) -> Filing:
    row = Transaction(row_number=1, asset_name="Apple Inc.", ticker="AAPL", asset_type="ST", transaction_type="P",
                      transaction_date="2024-01-02", notification_date="2024-01-20", amount="$1,001 - $15,000",
                      amount_min=1001.0, amount_max=15000.0, cap_gains_over_200=False, page=1,
                      boxes=[Box(1, 10, 20, 300, 40)], source_lines=["Apple Inc. (AAPL) [ST] P ..."], **row_values)
    return Filing("a.pdf", "0" * 64, 1, "house_ptr", filing_id="90000001", filer_name="Hon. Jane Q. Public",
                  transactions=[row])


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), (1001.0, "1001"), (350.78, "350.78"), (7, "7"),
     (None, ""), (True, "true"), (False, "false")],
    ids=["equals", "plus", "minus", "at", "tab", "cr", "plain", "whole-float", "cents", "int", "none", "true",
         "false"],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


def test_csv_round_trips_through_pandas_and_csv_module():
    filing = one_filing(description='=cmd|" /C calc"!A0, with "quotes",\nand a newline', comments="-5% drop")
    text = filings_csv([filing])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    record = dict(zip(rows[0], rows[1]))
    assert record["description"] == "'" + filing.transactions[0].description
    assert record["comments"] == "'-5% drop"
    frame = pd.read_csv(io.StringIO(text))
    assert frame.loc[0, "amount_min"] == 1001 and frame.loc[0, "amount_max"] == 15000
    assert frame["amount_min"].dtype.kind in "if"
    assert frame.loc[0, "cap_gains_over_200"] == False  # noqa: E712 (pandas reads a real bool)


def test_dataframe_keeps_provenance_and_checks():
    filing = one_filing()
    filing.transactions[0].flags.append(Flag("ungrounded:ticker", "row 1: ticker not printed", 1))
    frame = to_dataframe([filing])
    assert list(frame.columns[: len(CSV_COLUMNS)]) == list(CSV_COLUMNS)
    assert frame.loc[0, "boxes"] == [{"page": 1, "x0": 10, "top": 20, "x1": 300, "bottom": 40}]
    assert frame.loc[0, "checks"] == "ungrounded:ticker"
    assert str(frame["option_contracts"].dtype) == "Int64"


def test_empty_dataframe_has_the_columns():
    frame = to_dataframe([])
    assert frame.empty and list(frame.columns[: len(CSV_COLUMNS)]) == list(CSV_COLUMNS)


def test_the_csv_says_in_words_who_owns_each_row():
    rows = [Transaction(row_number=number, owner=owner) for number, owner in enumerate(["", "SP", "JT", "DC"], 1)]
    text = filings_csv([Filing("a.pdf", "0" * 64, 1, "house_ptr", transactions=rows)])
    header, *records = list(csv.reader(io.StringIO(text, newline="")))
    at = header.index("owner")
    assert header[at + 1] == "owner_label"
    assert [(record[at], record[at + 1]) for record in records] == [
        ("", "Self"), ("SP", "Spouse"), ("JT", "Joint"), ("DC", "Child")]


@pytest.mark.shared
def test_a_download_of_all_rows_is_the_clis_csv():
    """The app writes its CSV from the (filtered) DataFrame, the CLI from the filings: unfiltered, the same bytes."""
    filings = [extract_path(filing_path(docid)).filing for docid in ("20016961", "20022260", "20026537")]
    assert to_csv(records_of_frame(to_dataframe(filings))) == filings_csv(filings)


@pytest.mark.shared
def test_label_glyphs_without_text_read_as_their_labels():
    """Pelosi 20022260 prints its row labels in glyphs PDFium gives as U+FFFE ("F\ufffe\ufffe\ufffe\ufffe\ufffe
    S\ufffe\ufffe\ufffe\ufffe\ufffe: New"); shown, they read as the page does, and every other line stays as read."""
    rows = extract_path(filing_path("20022260")).filing.transactions
    raw = [line for row in rows for line in row.source_lines]
    garbled = [line for line in raw if "\ufffe" in line]
    assert len(garbled) == 36  # each of the 13 rows: Filing Status and Description; 9 Comments, 1 Location
    shown = [readable_source_line(line) for line in garbled]
    assert not any(char in line for line in shown for char in "\ufffe\ufffd\x00?")
    assert {line.partition(":")[0] for line in shown} == {"Filing Status", "Location", "Description", "Comments"}
    assert shown[:4] == ["Filing Status: New", "Location: New York, NY, US", "Description: Sold 20,000 shares.",
                         "Comments: Sold 20,000 shares at an average price of $32.95 for a total loss of $11,510."]
    assert all(readable_source_line(line) == line for line in raw if line not in garbled)


def test_a_glyph_without_text_outside_a_label_is_marked():
    assert readable_source_line("Comments: price of \ufffe5") == "Comments: price of ?5"
    subholding = "S" + "\ufffe" * 9 + " O\ufffe: IRA"
    assert readable_source_line(subholding) == "Subholding Of: IRA"


def test_the_investor_table_reads_in_words():
    rows = [Transaction(row_number=1, owner="DC", asset_type="ST", transaction_type="E", amount="$1,001 - $15,000",
                        amount_min=1001.0),
            Transaction(row_number=2, owner="XX", asset_type="ZZ", transaction_type="S (partial)",
                        flags=[Flag("ungrounded:ticker", "row 2: ticker is not printed on the row's lines", 2)]),
            Transaction(row_number=3, asset_type="OP", asset_type_label="Stock Option", transaction_type="S")]
    frame = to_dataframe([Filing("a.pdf", "0" * 64, 1, "house_ptr", filer_name="Hon. A", transactions=rows)])
    table = investor_table(frame)
    assert table[["Transaction", "Owner", "Asset type", "Flags"]].values.tolist() == [
        ["Exchange", "Child", "Stocks (including ADRs) [ST]", ""],
        ["Sell (partial)", "XX", "ZZ", "ticker is not printed on the row's lines"],  # unknown codes as read
        ["Sell", "Self", "Stock Option", ""],
    ]
    everything = investor_table(frame, all_columns=True)
    assert not everything.isna().any().any() and not everything.isin(["None", "nan", "<NA>"]).any().any()
    assert everything["amount_min"].tolist() == ["$1,001", "", ""]
    assert everything["cap_gains_over_200"].tolist() == ["", "", ""]
    assert "boxes" not in everything and "source_lines" not in everything


@pytest.mark.parametrize(("value", "money", "cell"), [
    (None, False, ""), (pd.NA, True, ""), (float("nan"), False, ""), (True, False, "Yes"), (False, False, "No"),
    (350.78, True, "$350.78"), (1000001.0, True, "$1,000,001"), (7, False, "7"), ("SP", False, "SP")],
    ids=["none", "na", "nan", "yes", "no", "cents", "dollars", "int", "text"])
def test_cell_text(value, money, cell):
    assert cell_text(value, money=money) == cell
