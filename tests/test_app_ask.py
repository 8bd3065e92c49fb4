"""The Ask page through Streamlit's AppTest: a request over the run's rows answered with its steps and cited rows, a
cited row opened on the Transactions page, the profile stated in words remembered for the workspace (and changed),
what the filings do not say, outputs to download, the LLM brain against the fake server and its fallback."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from agent.store.runs import RunStore
from tests.conftest import ROOT
from tests.fake_openai import FakeOpenAI, error, text, tool_calls
from tests.test_app import WORKSPACE, seeded, texts
from tests.test_app_risk import with_fake_llm

ASK_PAGE = "pages/ask_page.py"


def new_session() -> AppTest:
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["w"] = WORKSPACE
    return test


@pytest.fixture
def app(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("TRADETRACE_DATA_DIR", str(tmp_path))
    return new_session()


def asked(app: AppTest, request: str) -> AppTest:
    app.text_input(key="ask_page_request").input(request)
    next(button for button in app.button if button.label == "Ask").click().run()
    assert not app.exception
    return app


def on_ask_page(app: AppTest) -> AppTest:
    seeded(app).run()
    app.switch_page(ASK_PAGE).run()
    assert not app.exception
    return app


def test_a_question_is_answered_with_its_steps_and_cited_rows(app):
    on_ask_page(app)
    assert "Asking over this run: 25 rows of 3 filings." in texts(app)
    asked(app, "How many NVDA trades are there?")
    answer = app.success[0].value
    assert "3 trades in NVDA" in answer
    steps = texts(app)
    assert "Plan:" in steps and "Tool: count\\_trades(ticker='NVDA')" in steps and "Check numbers: passed" in steps
    cited = [button.label for button in app.button if button.label.startswith("sample_ptr_")]
    assert len(cited) == 3
    app.run()  # a rerun shows the same request, steps and answer
    assert "3 trades in NVDA" in app.success[0].value and "You asked:" in texts(app)


def test_a_cited_row_opens_on_the_transactions_page(app):
    asked(on_ask_page(app), "How many NVDA trades are there?")
    label = next(button.label for button in app.button if button.label.startswith("sample_ptr_"))
    next(button for button in app.button if button.label == label).click().run()
    assert not app.exception
    source_file, _, number = label.partition(" row ")
    assert app.session_state["selected_row"] == (source_file, int(number))
    assert "Transactions" in [title.value for title in app.title]


def test_a_profile_in_words_is_remembered_and_can_be_changed(app, tmp_path):
    on_ask_page(app)
    assert "No profile remembered yet" in texts(app)
    asked(app, "I'm a cautious investor, no options, ten-year horizon")
    assert "Remembered for this workspace: A low-risk, long-term investor, no options." in texts(app)
    stored = RunStore(tmp_path / "history.sqlite3").load_profile(WORKSPACE)
    assert stored["risk_tolerance"] == "low" and stored["horizon"] == "long" and stored["no_options"] is True
    later = new_session()  # of the same workspace
    later.run()
    later.switch_page(ASK_PAGE).run()
    assert "Remembered profile: A low-risk, long-term investor, no options." in texts(later)
    later.select_slider(key="ask_page_risk").set_value("high")
    next(button for button in later.button if button.label == "Remember this profile").click().run()
    assert not later.exception
    assert "Remembered profile: A high-risk, long-term investor, no options." in texts(later)
    assert RunStore(tmp_path / "history.sqlite3").load_profile(WORKSPACE)["risk_tolerance"] == "high"


def test_the_remembered_profile_can_be_forgotten(app, tmp_path):
    asked(on_ask_page(app), "I'm an aggressive investor with a short horizon")
    assert "Remembered profile: A high-risk, short-term investor." in texts(app)
    next(button for button in app.button if button.label == "Forget the profile").click().run()
    assert not app.exception
    assert "No profile remembered yet" in texts(app)
    assert not [button for button in app.button if button.label == "Forget the profile"]
    assert RunStore(tmp_path / "history.sqlite3").load_profile(WORKSPACE) is None
    later = new_session()  # of the same workspace: history forgot it too
    later.run()
    later.switch_page(ASK_PAGE).run()
    assert "No profile remembered yet" in texts(later)


def test_the_fit_reads_once_a_line_per_dimension(app):
    asked(on_ask_page(app), "I'm a cautious investor, no options, ten-year horizon")
    answer = app.success[0].value
    overall, *dimensions = answer.split("\n")
    assert overall.startswith("**Copying these trades") and overall.endswith("**")
    assert [line.split(":")[0] for line in dimensions] == ["- Risk", "- Horizon", "- No options"]
    page = texts(app)
    assert page.count("Copying these trades") == 1  # not in the trace's observation, nor as a trace line
    assert "Observation: The fit with a low-risk, long-term investor:" in page and "Answer:" not in page
    app.run()  # a rerun draws the same steps and the answer once
    assert texts(app).count("Copying these trades") == 1


def test_what_the_filings_do_not_say_is_said(app):
    asked(on_ask_page(app), "What returns did the filer make on NVDA?")
    assert "The filings do not say what the trades returned" in app.warning[0].value
    assert not app.success


def test_outputs_asked_for_can_be_downloaded(app):
    asked(on_ask_page(app), "Give me a CSV and a summary")
    assert "Made transactions.csv" in app.success[0].value
    downloads = [element.proto.label for element in app.get("download_button")]
    assert downloads == ["Download transactions.csv", "Download report.md"]


def test_no_rows_says_what_to_do(app):
    app.run()
    app.switch_page(ASK_PAGE).run()
    asked(app, "How many trades are there?")
    assert "run an extraction first" in texts(app)
    asked(app, " ")
    assert "Type a request first" in texts(app)


def test_the_llm_brain_answers_through_the_endpoint(app):
    with FakeOpenAI() as server:
        server.queue(tool_calls([("count_trades", {"ticker": "NVDA"})], content="I count the NVDA trades."),
                     text("These rows hold 3 trades in NVDA. That made them $9 million."))
        with_fake_llm(seeded(app), server).run()
        app.switch_page(ASK_PAGE).run()
        asked(app, "How many NVDA trades are there?")
        server.assert_all_consumed()
    assert app.success[0].value == "These rows hold 3 trades in NVDA."
    assert "Check claims: FLAGGED. removed" in texts(app) and "no query result states 9" in texts(app)
    assert "Thought: I count the NVDA trades." in texts(app)


def test_an_endpoint_that_fails_leaves_the_offline_brain_answering(app):
    with FakeOpenAI() as server:
        server.queue(*[error(500, "the model crashed")] * 4)
        with_fake_llm(seeded(app), server).run()
        app.switch_page(ASK_PAGE).run()
        asked(app, "How many NVDA trades are there?")
        server.assert_all_consumed()
    assert "3 trades in NVDA" in app.success[0].value
    assert "The offline brain answers this request." in texts(app)


def test_the_extract_page_has_the_ask_box(app):
    seeded(app).run()
    assert "Ask about these filings" in [header.value for header in app.subheader]
    app.text_input(key="extract_request").input("Which members traded, and how many trades each?")
    next(button for button in app.button if button.label == "Ask").click().run()
    assert not app.exception
    assert "1 member traded" in app.success[-1].value  # the samples' one fictional filer


def test_a_remembered_profile_this_version_does_not_read_is_said_and_replaced(app, tmp_path):
    RunStore(tmp_path / "history.sqlite3").save_profile(WORKSPACE, {"risk": "high", "horizon": "long"})  # renamed field
    app.run()  # the first page that reads the profile says why it has none
    assert not app.exception
    assert [warning.value for warning in app.warning] == [
        "The remembered profile cannot be read: it is not a profile this version reads (no field risk; no "
        "risk_tolerance). State your profile again (Risk profile page or Ask) to replace it."]
    seeded(app).switch_page(ASK_PAGE).run()
    assert ("The remembered profile cannot be read: it is not a profile this version reads (no field risk; no "
            "risk_tolerance). State one in words") in texts(app)  # the Ask box says why it holds none
    asked(app, "I'm an aggressive investor with a short horizon")
    assert not app.exception
    assert RunStore(tmp_path / "history.sqlite3").load_profile(WORKSPACE)["risk_tolerance"] == "high"
