"""Every page through Streamlit's AppTest, with seeded session state, including empty and error states."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from agent.models import InputFile
from agent.run.loop import Agent
from agent.store.runs import RunStore
from tests.conftest import ROOT, SAMPLES
from tests.test_store import store_of_a_process_that_ended

WORKSPACE = "a" * 32


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADETRACE_DATA_DIR", str(tmp_path))
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["w"] = WORKSPACE
    return test


def sample_inputs() -> list[InputFile]:
    return [InputFile(path.name, path.read_bytes()) for path in sorted(SAMPLES.glob("sample_ptr_*.pdf"))]


def seeded(app: AppTest) -> AppTest:
    files = sample_inputs()
    app.session_state["result"] = Agent().run(files)
    app.session_state["files"] = {item.name: item.data for item in files}
    app.session_state["run_id"] = "seeded"
    return app


def labels(app: AppTest) -> list[str]:
    """Status labels as the page shows them (file names are Markdown-escaped in the label source)."""
    return [status.label.replace("\\", "") for status in app.status]


def texts(app: AppTest) -> str:
    parts = [element.value for root in (app, app.sidebar)
             for kind in ("markdown", "info", "success", "warning", "error", "caption")
             for element in getattr(root, kind)]
    return "\n".join(str(part) for part in parts)


def test_extract_starts_empty_and_explains(app):
    app.run()
    assert not app.exception
    assert "No API key is needed" in texts(app)
    assert [button.label for button in app.button][:2] == ["Run extraction", "Try the sample filings"]


def test_samples_run_offline_and_trace_stays_after_rerun(app):
    app.run()
    next(b for b in app.button if b.label == "Try the sample filings").click().run()
    assert not app.exception
    shown = labels(app)
    assert shown == ["sample_ptr_2024_a.pdf: ok, 3 row(s), 0 flagged",
                      "sample_ptr_2024_b.pdf: ok, 12 row(s), 0 flagged",
                      "sample_ptr_2024_c.pdf: ok, 10 row(s), 0 flagged",
                      "sample_efd_2024.html: ok, 12 row(s), 0 flagged"]
    assert "No LLM endpoint configured: the offline brain runs every step." in texts(app)
    app.run()  # any later rerun: the finished run's trace is still there
    assert labels(app)[0].startswith("sample_ptr_2024_a.pdf: ok")
    assert "Read 4 file(s): 37 transaction(s), 0 flagged for review." in texts(app)


def test_llm_toggle_without_key_says_offline(app):
    app.run()
    app.toggle[0].set_value(True).run()
    assert "No key or endpoint yet" in texts(app)
    next(b for b in app.button if b.label == "Try the sample filings").click().run()
    assert "The LLM toggle is on but no key or endpoint is set" in texts(app)


def test_bad_file_among_good_ones_is_explained(app):
    app.session_state["rerun_files"] = [InputFile("not-a-pdf.pdf", b"Dear Clerk, please find my trades."),
                                        InputFile("page.pdf", b"<html>hello</html>"), *sample_inputs()[:1]]
    app.run()
    assert not app.exception
    shown = labels(app)
    assert shown[0] == "not-a-pdf.pdf: failed, 0 row(s), 0 flagged" and shown[2].endswith("3 row(s), 0 flagged")
    assert "not a PDF (the file does not start with %PDF-) and not a saved web page" in texts(app)
    # a web page is read as one whatever its name, and said to be no PTR
    assert shown[1] == "⚠️ page.pdf: flagged, 0 row(s), 0 flagged"
    assert "a web page, but not a Senate eFD Periodic Transaction Report" in texts(app)
    assert "Traceback" not in texts(app)


@pytest.mark.parametrize("page", ["pages/transactions_page.py", "pages/charts_page.py", "pages/risk_profile_page.py"],
                         ids=["transactions", "charts", "risk-profile"])
def test_pages_without_a_run_show_an_empty_state(app, page):
    app.run()
    app.switch_page(page).run()
    assert not app.exception
    assert "run an extraction first" in texts(app)


def test_transactions_table_totals_filters_and_downloads(app):
    seeded(app).run()
    app.switch_page("pages/transactions_page.py").run()
    assert not app.exception
    assert [metric.value for metric in app.metric][:2] == ["25", "0"]
    assert len(app.dataframe[0].value) == 25
    app.multiselect(key="filter_ticker").set_value(["NVDA"]).run()
    assert [metric.value for metric in app.metric][0] == "3"  # samples/expected.json: 3 NVDA rows
    app.checkbox(key="filter_flagged").check().run()
    assert [metric.value for metric in app.metric][0] == "0"
    assert "Select a row in the table" in texts(app)


def test_charts_follow_the_filters(app):
    seeded(app).run()
    app.switch_page("pages/charts_page.py").run()
    assert not app.exception
    charts = app.get("plotly_chart")
    assert len(charts) == 6
    assert "25 of 25 transactions" in texts(app)
    app.multiselect(key="filter_owner").set_value(["SP"]).run()
    assert "14 of 25 transactions" in texts(app)  # 14 spouse rows in samples/expected.json


def test_history_lists_reopens_and_deletes(app):
    app.run()
    next(b for b in app.button if b.label == "Try the sample filings").click().run()
    app.switch_page("pages/history_page.py").run()
    assert not app.exception
    assert len(app.dataframe[0].value) == 1
    next(b for b in app.button if b.label == "Delete").click().run()
    assert "No runs yet in this workspace" in texts(app)


def test_history_marks_an_interrupted_run_and_can_rerun_it(app, tmp_path):
    store = store_of_a_process_that_ended(tmp_path / "history.sqlite3")
    store.start_run(WORKSPACE, "cut-short", "offline", "", sample_inputs()[:1])  # the app died during this run
    app.run()
    app.switch_page("pages/history_page.py").run()
    assert not app.exception
    assert "This run was cut short" in texts(app)
    next(b for b in app.button if b.label == "Re-run these files").click().run()
    assert not app.exception
    assert labels(app) == ["sample_ptr_2024_a.pdf: ok, 3 row(s), 0 flagged"]


def test_history_is_private_to_the_workspace(app, tmp_path):
    RunStore(tmp_path / "history.sqlite3").start_run("b" * 32, "someone-else", "offline", "", sample_inputs()[:1])
    app.run()
    app.switch_page("pages/history_page.py").run()
    assert "No runs yet in this workspace" in texts(app)


def test_unwritable_data_folder_is_explained(app, tmp_path, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    monkeypatch.setenv("TRADETRACE_DATA_DIR", str(blocked / "data"))
    app.run()
    next(b for b in app.button if b.label == "Try the sample filings").click().run()
    assert not app.exception
    assert labels(app)[0].startswith("sample_ptr_2024_a.pdf: ok")
    assert "cannot open the history database" in texts(app)


def test_file_names_show_literally_and_duplicates_are_both_kept(app):
    sample = sample_inputs()[0]
    app.session_state["rerun_files"] = [InputFile("**bold** [x](http://evil).pdf", sample.data),
                                        InputFile("same.pdf", sample.data), InputFile("same.pdf", sample.data)]
    app.run()
    assert not app.exception
    raw = [status.label for status in app.status]
    assert raw[0].startswith("\\*\\*bold\\*\\* \\[x\\](http://evil).pdf: ok")  # Markdown shown, not rendered
    assert labels(app)[1:] == ["same.pdf: ok, 3 row(s), 0 flagged", "same (2).pdf: ok, 3 row(s), 0 flagged"]
