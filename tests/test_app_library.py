"""The library in the app (AppTest, real filings): each Extract run adds its filings and says what the library did,
the Library page's counts, search, members, tickers, clusters and late filings, rows opening on the Transactions page
with their source, the one scope switch of Transactions, Charts and Risk profile, History pointing into the library,
and workspaces that never see each other's library."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from agent.models import InputFile
from agent.store.library import Library
from tests.conftest import ROOT, filing_path, senate_file
from tests.test_app import texts

WORKSPACE = "c" * 32
LIBRARY_PAGE = "pages/library_page.py"
TRANSACTIONS_PAGE = "pages/transactions_page.py"
# Two members who both bought CVX (and HD) a week apart in October 2025: 14 and 121 rows.
GREENE, CISNEROS = "20033360", "20033455"
# Signed in 2025 for trades of 2023: 33 rows, all late.
MCCORMICK_LATE = "20030699"
# A Senate report of 2 rows and its amendment 1, which restates it.
TOOMEY_ORIGINAL = "efd/fb88de4b-0d94-4270-9181-79e0d7ee6d5c.html"
TOOMEY_AMENDMENT = "efd/06ebd3f4-8ea6-439e-8cc5-2d07a4be9fa3.html"


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADETRACE_DATA_DIR", str(tmp_path))
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    test.query_params["w"] = WORKSPACE
    return test


def house(docid: str) -> InputFile:
    return InputFile(f"{docid}.pdf", filing_path(docid).read_bytes())


def senate(relative: str) -> InputFile:
    path = senate_file(relative)
    return InputFile(path.name, path.read_bytes())


def run(app: AppTest, files: list[InputFile]) -> AppTest:
    """An Extract run of these files, as History's re-run starts one."""
    app.session_state["rerun_files"] = files
    app.switch_page("pages/extract_page.py").run()
    assert not app.exception
    return app


def library_page(app: AppTest) -> AppTest:
    app.switch_page(LIBRARY_PAGE).run()
    assert not app.exception
    return app


def captions(app: AppTest) -> list[str]:
    return [caption.value for caption in app.caption]


def select_rows(app: AppTest, key: str, position: int) -> AppTest:
    app.session_state[key] = {"selection": {"rows": [position], "columns": [], "cells": []}}
    return app.run()


def click(app: AppTest, label_start: str) -> AppTest:
    next(button for button in app.button if button.label.startswith(label_start)).click().run()
    assert not app.exception
    return app


def source_heading(app: AppTest) -> str:
    return next(markdown.value for markdown in app.markdown if ", row " in markdown.value)


def test_a_run_adds_its_filings_and_a_second_run_of_them_adds_no_copies(app):
    run(app, [house(GREENE), house(CISNEROS)])
    assert "📚 Library: of 2 file(s), 2 added." in texts(app)
    assert "- **20033360.pdf** → added (14 rows)" in texts(app)
    run(app, [house(GREENE), house(CISNEROS)])
    assert ("📚 Library: all 2 files were already there (the same bytes): nothing added, no copies made."
            in texts(app))
    library_page(app)
    assert captions(app)[0].startswith("This workspace's library: 2 filings, 135 rows: 135 current, 0 superseded.")


def test_a_file_the_library_cannot_keep_is_said(app):
    run(app, [InputFile("not-a-pdf.pdf", b"Dear Clerk, please find my trades."), house(GREENE)])
    assert "📚 Library: of 2 file(s), 1 added, 1 not stored." in texts(app)
    assert "not stored: not a PDF" in texts(app)


def test_an_amendment_supersedes_its_original_and_the_counts_say_so(app):
    run(app, [senate(TOOMEY_ORIGINAL)])
    run(app, [senate(TOOMEY_AMENDMENT)])
    assert "1 replaced" not in texts(app)
    library_page(app)
    assert captions(app)[0] == ("This workspace's library: 2 filings (1 restated by a later amendment), 4 rows: "
                                "2 current, 2 superseded. Superseded rows are kept but left out of the views.")
    assert captions(app)[1].startswith("1 member, 2 rows.")
    app.session_state["library_tab"] = "Late filings"
    app.run()
    # Filed a year after the original, the amendment restates trades the original disclosed on time.
    assert any(caption.startswith("0 of 2 rows were disclosed more than 45 days") for caption in captions(app))


def test_a_member_shows_their_trades_their_fit_and_rows_that_open_with_their_source(app):
    run(app, [house(GREENE), house(CISNEROS)])
    library_page(app)
    members = app.dataframe[0].value
    assert members["Member"].tolist() == ["Hon. Gilbert Cisneros", "Hon. Marjorie Taylor Greene"]
    assert members["Trades"].tolist() == [121, 14]
    app.selectbox(key="library_member").set_value("Hon. Marjorie Taylor Greene").run()
    assert not app.exception
    assert "14 trades in 1 filing." in captions(app)
    assert [chart.proto.spec for chart in app.get("plotly_chart")][0]  # trades over time drawn
    assert "Hon. Marjorie Taylor Greene" in [header.value for header in app.subheader]  # the fit's heading
    assert len(app.dataframe[1].value) == 14
    select_rows(app, "library_member_rows", 0)
    first = app.dataframe[1].value.iloc[0]
    click(app, "Open row ")
    assert app.radio(key="scope_switch").value == "library"
    assert source_heading(app).startswith(f"**{first['Asset']}**")
    assert [image.proto.imgs[0].caption for image in app.image] == ["Page 1: the row's box in red"]


def test_a_ticker_shows_who_traded_it_and_when(app):
    run(app, [house(GREENE), house(CISNEROS)])
    library_page(app)
    app.session_state["library_tab"] = "Tickers"
    app.run()
    assert not app.exception
    tickers = app.dataframe[0].value.set_index("Ticker")
    assert tickers.loc["CVX", "Members"] == 2
    assert tickers.loc["CVX", "Who"] == "Hon. Gilbert Cisneros; Hon. Marjorie Taylor Greene"
    app.selectbox(key="library_ticker").set_value("CVX").run()
    assert "2 trades by 2 members." in captions(app)
    assert len(app.get("plotly_chart")) == 1
    assert set(app.dataframe[1].value["Filer"]) == {"Hon. Gilbert Cisneros", "Hon. Marjorie Taylor Greene"}


def test_clusters_and_late_filings(app):
    run(app, [house(GREENE), house(CISNEROS), house(MCCORMICK_LATE)])
    library_page(app)
    app.session_state["library_tab"] = "Clusters"
    app.run()
    clusters = app.dataframe[0].value
    assert ("CVX", "Buy", 2) in set(zip(clusters["Ticker"], clusters["Direction"], clusters["Members"]))
    select_rows(app, "library_clusters_table", clusters.index[clusters["Ticker"] == "CVX"][0])
    assert set(app.dataframe[1].value["Ticker"]) == {"CVX"}
    app.session_state["library_tab"] = "Late filings"
    app.run()
    late = app.dataframe[0].value
    assert (late["Delay (days)"] > 45).all()
    assert (late["File"] == "20030699.pdf").sum() == 33
    assert any(caption.startswith(f"{len(late)} of 168 rows were disclosed more than 45 days") for caption in
               captions(app))
    select_rows(app, "library_late_table", 0)
    click(app, "Open row ")
    assert f"of {late.iloc[0]['File']}, page" in source_heading(app)


def test_search_narrows_every_view(app):
    run(app, [house(GREENE), house(CISNEROS)])
    library_page(app)
    app.text_input(key="library_search").input("greene").run()
    assert not app.exception
    assert "14 of 135 current rows match “greene”, in 1 filing." in captions(app)
    assert app.dataframe[0].value["Member"].tolist() == ["Hon. Marjorie Taylor Greene"]
    app.text_input(key="library_search").input("zzzz").run()
    assert "Nothing matches: try fewer or shorter words." in texts(app)


def test_the_scope_switch_shows_this_run_or_the_whole_library_on_every_page(app):
    run(app, [house(GREENE)])
    run(app, [house(CISNEROS)])
    app.switch_page(TRANSACTIONS_PAGE).run()
    assert app.metric[0].value == "121"  # this run: Cisneros only
    app.radio(key="scope_switch").set_value("library").run()
    assert app.metric[0].value == "135"
    app.switch_page("pages/charts_page.py").run()
    assert app.radio(key="scope_switch").value == "library"  # one switch, across pages
    assert "135 of 135 transactions" in texts(app)
    app.switch_page("pages/risk_profile_page.py").run()
    assert not app.exception
    assert {"Hon. Gilbert Cisneros", "Hon. Marjorie Taylor Greene"} <= {header.value for header in app.subheader}
    app.radio(key="scope_switch").set_value("run").run()
    assert "Hon. Marjorie Taylor Greene" not in {header.value for header in app.subheader}


def test_this_runs_rows_say_how_many_an_amendment_restates(app):
    # Pelosi's 20018539 restates two rows of 20018355: as filed, this run holds both versions of them
    run(app, [house("20018355"), house("20018539")])
    app.switch_page(TRANSACTIONS_PAGE).run()
    assert app.metric[0].value == "8"
    shown = texts(app) + " ".join(captions(app))
    assert "2 of this run's rows are restated by a later amendment: the whole library counts the amendment's version " \
           "instead." in shown
    app.radio(key="scope_switch").set_value("library").run()
    assert app.metric[0].value == "6"


def test_open_row_from_another_page_selects_that_row_and_shows_its_source(app):
    run(app, [house(GREENE), house(CISNEROS)])
    app.session_state["open_row"] = {"source_file": "20033360.pdf", "row_number": 6, "scope": "library"}
    app.switch_page(TRANSACTIONS_PAGE).run()
    assert not app.exception
    assert source_heading(app).startswith("**Chevron Corporation Common Stock** (CVX), row 6 of 20033360.pdf")
    assert app.image  # the page, from the library's copy of the file
    app.session_state["open_row"] = {"source_file": "20033455.pdf", "row_number": 1, "scope": "run"}
    app.run()
    assert app.radio(key="scope_switch").value == "run"
    assert ", row 1 of 20033455.pdf" in source_heading(app)


def test_history_says_what_each_run_added(app):
    run(app, [house(GREENE)])
    run(app, [house(GREENE), house(CISNEROS)])
    app.switch_page("pages/history_page.py").run()
    assert not app.exception
    assert "📚 Library: of 2 file(s), 1 added, 1 already there." in texts(app)  # the latest run first
    assert "already in the library (the same file, added " in texts(app)


def test_workspaces_never_see_each_others_library(app, tmp_path):
    run(app, [house(GREENE)])
    other = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    other.query_params["w"] = "d" * 32
    library_page(other.run())
    assert "The library is empty" in texts(other)
    run(other, [house(CISNEROS)])
    library_page(other)
    assert other.dataframe[0].value["Member"].tolist() == ["Hon. Gilbert Cisneros"]
    library_page(app)
    assert captions(app)[0].startswith("This workspace's library: 1 filing, 14 rows")
    assert app.dataframe[0].value["Member"].tolist() == ["Hon. Marjorie Taylor Greene"]
    assert Library(tmp_path / "history.sqlite3").stats("d" * 32).rows == 121


def test_an_empty_library_says_how_to_fill_it(app):
    library_page(app.run())
    assert "The library is empty: every run on the Extract page adds its filings here" in texts(app)
