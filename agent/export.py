"""Outputs: CSV (formula-safe, RFC 4180), JSON, the pandas DataFrame the app and analytics use, and the table an
investor reads (codes in words, source lines as the page shows them)."""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from agent.formats.house_ptr import GARBLED, HOUSE_ASSET_TYPES, ROW_LABELS, match_label
from agent.models import CSV_COLUMNS, EXTRA_COLUMNS, FILING_COLUMNS, Filing, Transaction

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# The forms' codes in words, for the table, the filters and the CSV's owner_label.
OWNER_LABELS = {"": "Self", "SP": "Spouse", "JT": "Joint", "DC": "Child"}
# "S*": a paper form's "Sale", which does not say full or partial
TRANSACTION_TYPE_LABELS = {"P": "Buy", "S": "Sell", "S (partial)": "Sell (partial)", "E": "Exchange",
                           "S*": "Sale (kind not stated)"}
# A DataFrame column beside the CSV's: each row's flags as sentences, for the table.
FLAG_MESSAGES = "flag_messages"
_ROW_PREFIX = re.compile(r"^row \d+: ")
# Where an unreadable glyph stands outside a label: a letter the text layer does not give.
UNREADABLE_GLYPH = "?"


def owner_label(code: str) -> str:
    """The owner in words ("" is the filer: "Self"); a code no form prints stays as read."""
    return OWNER_LABELS.get(code, code)


def transaction_type_label(code: str) -> str:
    return TRANSACTION_TYPE_LABELS.get(code, code)


def asset_type_name(code: str, printed_label: str = "") -> str:
    """An asset type with its name, its code bracketed as a PTR prints it: "Options [OP]"; a Senate report's own
    label ("Stock Option") where it printed one; a code not on the Clerk's list as read."""
    if printed_label:
        return printed_label
    if code in HOUSE_ASSET_TYPES:
        return f"{HOUSE_ASSET_TYPES[code]} [{code}]"
    return code


def flag_messages(row: Transaction) -> str:
    """A row's flags as sentences, without the "row N: " that the table's row already says."""
    return "; ".join(_ROW_PREFIX.sub("", flag.message) for flag in row.flags)


def readable_source_line(line: str) -> str:
    """A source line as the page shows it. Some House PDFs print their row labels in glyphs that have no text (PDFium
    gives U+FFFE: "F\ufffe\ufffe\ufffe\ufffe\ufffe S\ufffe...: New"); the parser knows those labels, so they read
    as words again ("Filing Status: New"). Any other such glyph shows as "?"."""
    head, colon, rest = line.partition(":")
    label = match_label(line, ROW_LABELS) if any(char in GARBLED for char in head) else None
    if label is not None:
        line = f"{label.title()}{colon}{rest}"
    return "".join(UNREADABLE_GLYPH if char in GARBLED else char for char in line)


def row_record(filing: Filing, row: Transaction) -> dict[str, Any]:
    """One transaction with its filing's fields, keyed by CSV_COLUMNS then EXTRA_COLUMNS."""
    record: dict[str, Any] = {}
    for column in CSV_COLUMNS:
        if column in FILING_COLUMNS:
            record[column] = getattr(filing, column)
        elif column == "checks":
            record[column] = row.checks
        elif column == "owner_label":
            record[column] = owner_label(row.owner)
        else:
            record[column] = getattr(row, column)
    for column in EXTRA_COLUMNS:
        value = getattr(row, column)
        if column == "boxes":
            value = [box.to_dict() for box in value]
        record[column] = value
    return record


def records(filings: list[Filing]) -> list[dict[str, Any]]:
    return [row_record(filing, row) for filing in filings for row in filing.transactions]


def to_dataframe(filings: list[Filing]) -> pd.DataFrame:
    """All transactions as a DataFrame with the CSV columns first, then provenance columns and the flags' messages."""
    frame = pd.DataFrame(records(filings), columns=list(CSV_COLUMNS + EXTRA_COLUMNS))
    frame[FLAG_MESSAGES] = pd.Series([flag_messages(row) for filing in filings for row in filing.transactions],
                                     dtype=object)
    return typed_frame(frame)


def typed_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's columns in to_dataframe's types (nullable integers, floats and booleans), in place. The
    library builds its frames from stored records and types them here, so both frames are alike."""
    for column in ("option_contracts", "option_shares", "page", "row_number", "amendment_number"):
        frame[column] = frame[column].astype("Int64")
    for column in ("amount_min", "amount_max", "option_strike"):
        frame[column] = frame[column].astype("Float64")
    frame["cap_gains_over_200"] = frame["cap_gains_over_200"].astype("boolean")
    frame[FLAG_MESSAGES] = frame[FLAG_MESSAGES].astype(object)
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


def to_csv(rows: Sequence[Mapping[str, object]], columns: Sequence[str] = CSV_COLUMNS) -> str:
    """CSV text with exactly `columns` (CSV_COLUMNS unless told), quoted per RFC 4180 (CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row[column]) for column in columns])
    return buffer.getvalue()


def frame_csv(frame: pd.DataFrame, columns: Sequence[str] = CSV_COLUMNS) -> str:
    """to_csv(records_of_frame(frame), columns), byte for byte, a column at a time: each distinct value of a column
    is rendered once (csv_cell per cell of 100,000 rows took seconds), keyed by its type too, so True and 1 stay
    apart; a value that cannot be a key (a list) is rendered where it stands."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(zip(*(_column_cells(frame[column].astype(object).tolist()) for column in columns)))
    return buffer.getvalue()


def _column_cells(values: list[object]) -> list[str]:
    rendered: dict[tuple[type, object], str] = {}
    cells = []
    for value in values:
        try:
            key = (type(value), value)
            cell = rendered.get(key)
            if cell is None:
                cell = rendered[key] = csv_cell(value)
        except TypeError:
            cell = csv_cell(value)
        cells.append(cell)
    return cells


def records_of_frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a (filtered) transactions DataFrame as plain records, missing values as None."""
    return [{str(key): (None if value is pd.NA else value) for key, value in row.items()}
            for row in frame.astype(object).to_dict("records")]


def filings_csv(filings: list[Filing]) -> str:
    return to_csv(records(filings))


def filings_json(filings: list[Filing]) -> str:
    return json.dumps([filing.to_dict() for filing in filings], indent=2, ensure_ascii=False)


# The table's leading columns, what an investor reads first: (heading, how a row's value reads).
LEADING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Filer", "filer_name"), ("Ticker", "ticker"), ("Asset", "asset_name"), ("Transaction", "transaction_type"),
    ("Traded", "transaction_date"), ("Amount", "amount"), ("Owner", "owner"), ("Flags", FLAG_MESSAGES),
    ("Asset type", "asset_type"),
)
# Not table cells: the source view shows a row's lines and its boxes on the page.
SOURCE_VIEW_COLUMNS = ("boxes", "source_lines")
_MONEY_COLUMNS = ("amount_min", "amount_max", "option_strike")


def cell_text(value: object, money: bool = False) -> str:
    """One value as a table cell: empty for a missing value (never "None"), Yes/No, dollars for money."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "Yes" if value else "No"
    if money and isinstance(value, numbers.Real):
        return f"${float(value):,.2f}".removesuffix(".00")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    return str(value)


def investor_table(frame: pd.DataFrame, all_columns: bool = False) -> pd.DataFrame:
    """The transactions as the Transactions page shows them: the leading columns in words (Buy/Sell, Self/Spouse/
    Joint/Child, asset types with their names, flags as sentences), then, with all_columns, every other column as
    the CSV names it. Every cell is text, empty where there is no value; the index is the frame's."""
    words = {
        "asset_type": [asset_type_name(code, label) for code, label in zip(frame["asset_type"],
                                                                            frame["asset_type_label"])],
        "transaction_type": [transaction_type_label(code) for code in frame["transaction_type"]],
        "owner": [owner_label(code) for code in frame["owner"]],
    }
    table = pd.DataFrame(index=frame.index)
    for heading, column in LEADING_COLUMNS:
        table[heading] = words[column] if column in words else [cell_text(value) for value in frame[column]]
    if all_columns:
        shown = {column for _, column in LEADING_COLUMNS} | set(SOURCE_VIEW_COLUMNS)
        for column in frame.columns:
            if column not in shown:
                table[column] = [cell_text(value, money=column in _MONEY_COLUMNS) for value in frame[column]]
    return table
