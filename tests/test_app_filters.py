"""The filters and the Transactions table through AppTest, on a run of real filings: filters never hide rows
unnoticed, the table reads in words, and the source view keeps its row and shows readable lines."""

from __future__ import annotations

import re
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from agent.models import InputFile
from agent.run.loop import Agent
from tests.conftest import ROOT, filing_path
from tests.test_app import WORKSPACE, texts

pytestmark = pytest.mark.shared

# Pelosi 2020 (9 rows: options, three trade dates), Pelosi 2022 (13 rows whose label glyphs PDFium gives as U+FFFE),
# Allen 2024 (4 rows, one flagged: notified before the trade), Comer 2025 (28 rows, every owner blank: the filer).
DOCIDS = ("20016961", "20022260", "20026537", "20018054")
ROWS = 9 + 13 + 4 + 28
TRANSACTIONS_PAGE = "pages/transactions_page.py"


@pytest.fixture(scope="module")
def run_of_real_filings():
    files = [InputFile(f"{docid}.pdf", filing_path(docid).read_bytes()) for docid in DOCIDS]
    return files, Agent().run(files)


@pytest.fixture
def app(tmp_path, monkeypatch, run_of_real_filings) -> AppTest:
    """The app on the Transactions page after a run of the real filings."""
    monkeypatch.setenv("TRADETRACE_DATA_DIR", str(tmp_path))
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["w"] = WORKSPACE
    seed(test, *run_of_real_filings, run_id="real")
    test.run()
    test.switch_page(TRANSACTIONS_PAGE).run()
    assert not test.exception
    return test


def seed(app: AppTest, files, result, run_id: str) -> None:
    app.session_state["result"] = result
    app.session_state["files"] = {item.name: item.data for item in files}
    app.session_state["run_id"] = run_id


def shown_caption(app: AppTest) -> str:
    """The filters' "N of M transactions shown" caption (every page that filters has exactly one)."""
    captions = [caption.value for caption in app.caption if " transactions shown" in caption.value]
    assert len(captions) == 1, captions
    return captions[0]


def shown_rows(app: AppTest) -> int:
    count = int(re.match(r"(\d+) of", shown_caption(app)).group(1))
    assert len(app.dataframe[0].value) == count
    return count


def test_clearing_a_ticker_brings_every_row_back_and_the_dates_follow(app):
    """The issue's sequence: a ticker narrowed the date range to its one day, and clearing it left the range there."""
    assert shown_caption(app) == f"{ROWS} of {ROWS} transactions shown: no filter set."
    assert app.date_input(key="filter_dates").value == (date(2020, 1, 16), date(2025, 1, 2))
    app.multiselect(key="filter_ticker").set_value(["CRM"]).run()
    assert shown_caption(app) == f"3 of {ROWS} transactions shown, filtered by ticker CRM."
    assert app.date_input(key="filter_dates").value == (date(2020, 6, 18), date(2025, 1, 2))
    app.multiselect(key="filter_ticker").set_value([]).run()
    assert shown_rows(app) == ROWS
    assert shown_caption(app).endswith("no filter set.")
    assert app.date_input(key="filter_dates").value == (date(2020, 1, 16), date(2025, 1, 2))


def test_a_picked_range_is_named_and_a_wide_one_is_no_filter(app):
    dates = app.date_input(key="filter_dates")
    assert dates.min <= date(1990, 1, 1) and dates.max >= date(2099, 1, 1)  # no date typed is "outside the range"
    dates.set_value((date(2020, 1, 1), date(2020, 12, 31))).run()
    assert shown_rows(app) == 9
    assert shown_caption(app) == f"9 of {ROWS} transactions shown, filtered by dates 2020-01-01 to 2020-12-31."
    app.date_input(key="filter_dates").set_value((date(1995, 1, 1), date(2040, 1, 1))).run()
    assert not app.exception and not app.error
    assert shown_caption(app) == f"{ROWS} of {ROWS} transactions shown: no filter set."
    assert app.date_input(key="filter_dates").value == (date(2020, 1, 16), date(2025, 1, 2))


def test_every_filter_is_named_and_reset_clears_them_all(app):
    app.multiselect(key="filter_filer").set_value(["Hon. Nancy Pelosi"]).run()
    app.multiselect(key="filter_transaction_type").set_value(["S (partial)"]).run()
    app.multiselect(key="filter_owner").set_value(["SP"]).run()
    app.date_input(key="filter_dates").set_value((date(2022, 12, 21), date(2022, 12, 28))).run()
    app.checkbox(key="filter_flagged").check().run()
    assert shown_caption(app) == (f"0 of {ROWS} transactions shown, filtered by filer Hon. Nancy Pelosi; "
                                  "owner Spouse; transaction Sell (partial); flagged rows only; "
                                  "dates 2022-12-21 to 2022-12-28.")
    next(button for button in app.button if button.label == "Reset filters").click().run()
    assert not app.exception
    assert shown_caption(app) == f"{ROWS} of {ROWS} transactions shown: no filter set."
    assert shown_rows(app) == ROWS
    assert app.multiselect(key="filter_filer").value == [] and not app.checkbox(key="filter_flagged").value


def test_filters_last_across_pages_and_reset_for_a_new_run(app, run_of_real_filings):
    app.multiselect(key="filter_ticker").set_value(["PYPL"]).run()
    app.switch_page("pages/charts_page.py").run()
    assert shown_caption(app) == f"6 of {ROWS} transactions shown, filtered by ticker PYPL."
    app.switch_page("pages/extract_page.py").run()
    app.switch_page("pages/risk_profile_page.py").run()
    assert not app.exception
    assert shown_caption(app) == f"6 of {ROWS} transactions shown, filtered by ticker PYPL."
    seed(app, *run_of_real_filings, run_id="another")
    app.switch_page(TRANSACTIONS_PAGE).run()
    assert shown_caption(app) == f"{ROWS} of {ROWS} transactions shown: no filter set."
    assert app.multiselect(key="filter_ticker").value == []


def test_the_table_leads_with_what_an_investor_reads(app):
    table = app.dataframe[0].value
    assert list(table.columns) == ["Filer", "Ticker", "Asset", "Transaction", "Traded", "Amount", "Owner", "Flags",
                                   "Asset type"]
    first = table.iloc[0].to_dict()
    assert first == {"Filer": "Hon. Nancy Pelosi", "Ticker": "AMZN", "Asset": "Amazon.com, Inc.",
                     "Asset type": "Options [OP]", "Transaction": "Sell", "Traded": "2020-01-16",
                     "Amount": "$250,001 - $500,000", "Owner": "Spouse", "Flags": ""}
    assert set(table["Transaction"]) == {"Buy", "Sell", "Sell (partial)"}
    assert set(table["Owner"]) == {"Self", "Spouse"}
    assert "Ownership Interest (Engaged in a Trade or Business) [OL]" in set(table["Asset type"])
    flagged = table[table["Flags"] != ""]
    assert flagged["Flags"].tolist() == ["notified 2024-01-08, before the transaction on 2024-12-03"] * 2  # Allen 3, 4


def test_all_columns_on_demand_and_no_cell_reads_none(app):
    app.toggle(key="table_all_columns").set_value(True).run()
    table = app.dataframe[0].value
    assert {"source_file", "filing_id", "row_id", "page", "extracted_by", "owner_label"} <= set(table.columns)
    assert not table.isna().any().any()
    assert not table.isin(["None", "nan", "<NA>"]).any().any()
    assert table.loc[0, "amount_max"] == "$500,000" and table.loc[0, "cap_gains_over_200"] == "No"
    app.toggle(key="table_all_columns").set_value(False).run()
    assert len(app.dataframe[0].value.columns) == 9


def test_metric_values_stay_short(app):
    assert [metric.value for metric in app.metric] == [str(ROWS), "2", "$9.17M +", "4"]
    assert "Disclosed volume: $9,173,062 to $27,920,009" in texts(app)


def select(app: AppTest, position: int) -> AppTest:
    app.session_state["transactions_table"] = {"selection": {"rows": [position], "columns": [], "cells": []}}
    return app.run()


def source_heading(app: AppTest) -> str:
    return next(markdown.value for markdown in app.markdown if ", row " in markdown.value)


def test_the_selected_row_stays_selected_when_the_filters_change(app):
    select(app, 12)  # Pelosi 2022's 4th row: GOOGL, sold 2022-12-21
    assert source_heading(app).startswith("**Alphabet Inc. - Class A** (GOOGL), row 4 of 20022260.pdf")
    app.multiselect(key="filter_ticker").set_value(["GOOGL", "NFLX"]).run()
    assert source_heading(app).startswith("**Alphabet Inc. - Class A** (GOOGL), row 4 of 20022260.pdf")
    assert app.session_state["transactions_table"]["selection"]["rows"] == [3]  # the same row, where it is now
    app.multiselect(key="filter_ticker").set_value(["NFLX"]).run()
    assert "The filters hide this row from the table now" in texts(app)
    assert source_heading(app).startswith("**Alphabet Inc. - Class A** (GOOGL), row 4 of 20022260.pdf")
    app.multiselect(key="filter_ticker").set_value([]).run()
    assert app.session_state["transactions_table"]["selection"]["rows"] == [12]


def test_source_lines_read_as_the_page_shows_them(app):
    select(app, 9)  # Pelosi 2022's first row: its Filing Status and Description labels are U+FFFE glyphs
    code = app.code[0]
    assert "\ufffe" not in code.value and "\ufffd" not in code.value
    assert "Filing Status: New" in code.value and "Description: " in code.value
    assert code.proto.wrap_lines
