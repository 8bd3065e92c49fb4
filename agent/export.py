"""Outputs: CSV (formula-safe, RFC 4180), JSON, and the pandas DataFrame the app and analytics use."""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from agent.models import CSV_COLUMNS, EXTRA_COLUMNS, FILING_COLUMNS, Filing, Transaction

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def row_record(filing: Filing, row: Transaction) -> dict[str, Any]:
    """One transaction with its filing's fields, keyed by CSV_COLUMNS then EXTRA_COLUMNS."""
    record: dict[str, Any] = {}
    for column in CSV_COLUMNS:
        if column in FILING_COLUMNS:
            record[column] = getattr(filing, column)
        else:
            record[column] = row.checks if column == "checks" else getattr(row, column)
    for column in EXTRA_COLUMNS:
        value = getattr(row, column)
        if column == "boxes":
            value = [box.to_dict() for box in value]
        record[column] = value
    return record


def records(filings: list[Filing]) -> list[dict[str, Any]]:
    return [row_record(filing, row) for filing in filings for row in filing.transactions]


def to_dataframe(filings: list[Filing]) -> pd.DataFrame:
    """All transactions as a DataFrame with the CSV columns first, then provenance columns."""
    frame = pd.DataFrame(records(filings), columns=list(CSV_COLUMNS + EXTRA_COLUMNS))
    for column in ("option_contracts", "option_shares", "page", "row_number", "amendment_number"):
        frame[column] = frame[column].astype("Int64")
    for column in ("amount_min", "amount_max", "option_strike"):
        frame[column] = frame[column].astype("Float64")
    frame["cap_gains_over_200"] = frame["cap_gains_over_200"].astype("boolean")
    return frame


def csv_cell(value: object) -> str:
    """Render one value for CSV: numbers stay numbers, text that a spreadsheet would run is neutralized."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def to_csv(rows: Sequence[Mapping[str, object]]) -> str:
    """CSV text with exactly CSV_COLUMNS, quoted per RFC 4180 (CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(row[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()


def records_of_frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a (filtered) transactions DataFrame as plain records, missing values as None."""
    return [{str(key): (None if value is pd.NA else value) for key, value in row.items()}
            for row in frame.astype(object).to_dict("records")]


def filings_csv(filings: list[Filing]) -> str:
    return to_csv(records(filings))


def filings_json(filings: list[Filing]) -> str:
    return json.dumps([filing.to_dict() for filing in filings], indent=2, ensure_ascii=False)
