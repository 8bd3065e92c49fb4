"""CSV and DataFrame output: exact columns, formula-safe text, numbers that stay numbers."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from agent.export import csv_cell, filings_csv, to_dataframe
from agent.models import CSV_COLUMNS, Box, Filing, Flag, Transaction


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
