"""The outputs Ask and the report write over real filings: the CSV written a column at a time (export.frame_csv) is
byte for byte the CSV of the row records, and a report given the prepared trades is the report that prepares them."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from agent.analysis.fit import InvestorProfile
from agent.analysis.frame import prepare_trades
from agent.analysis.report import markdown_report
from agent.export import frame_csv, records_of_frame, to_csv, to_dataframe
from agent.models import FileOutcome
from agent.run.extract import extract_path
from agent.store.library import ALL_ROWS_CSV_COLUMNS, Library
from tests.ask_cases import HOUSE_FILES, SENATE_FILES
from tests.conftest import filing_path, senate_file


@pytest.fixture(scope="module")
def outcomes() -> list[FileOutcome]:
    return [extract_path(path, False) for path in [*map(filing_path, HOUSE_FILES), *map(senate_file, SENATE_FILES)]]


@pytest.fixture(scope="module")
def rows(outcomes: list[FileOutcome]) -> pd.DataFrame:
    return to_dataframe([outcome.filing for outcome in outcomes if outcome.filing])


def test_the_csv_a_column_at_a_time_is_the_records_csv_byte_for_byte(rows: pd.DataFrame) -> None:
    assert frame_csv(rows) == to_csv(records_of_frame(rows))
    shuffled = rows.sample(frac=1, random_state=7).head(40)
    assert frame_csv(shuffled) == to_csv(records_of_frame(shuffled))
    assert frame_csv(rows.iloc[:0]) == to_csv([])


def test_the_library_csv_a_column_at_a_time_is_the_records_csv(tmp_path, outcomes: list[FileOutcome]) -> None:
    library = Library(tmp_path / "history.sqlite3")
    try:
        library.add("w", outcomes)
        frame = library.rows("w")
    finally:
        library.close()
    assert frame_csv(frame) == to_csv(records_of_frame(frame))
    assert frame_csv(frame, ALL_ROWS_CSV_COLUMNS) == to_csv(records_of_frame(frame), ALL_ROWS_CSV_COLUMNS)


def test_cells_of_every_type_render_as_csv_cell_renders_them() -> None:
    frame = pd.DataFrame({"a": [True, 1, 1.0, None, float("nan"), "=SUM(A1)", [1, 2], 1.5, True]})
    assert frame_csv(frame, ["a"]) == to_csv(records_of_frame(frame), ["a"])
    assert frame_csv(frame, ["a"]).split("\r\n")[1:4] == ["true", "1", "1"]


def _undated(report: str) -> str:
    return re.sub(r"Made .* UTC\.", "", report)


def test_a_report_given_the_prepared_trades_is_the_report_that_prepares_them(outcomes: list[FileOutcome],
                                                                             rows: pd.DataFrame) -> None:
    profile = InvestorProfile("low", "long", no_options=True)
    report = markdown_report(outcomes, rows, profile)
    assert _undated(markdown_report(outcomes, rows, profile, trades=prepare_trades(rows))) == _undated(report)
    assert "### Hon. Nancy Pelosi" in report and report.count("### All filers combined") == 1
