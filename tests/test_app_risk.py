"""The Risk profile page through AppTest, on runs of real filings: one overall answer first, dimension labels that
agree with their numbers and the page's help, a fit per filer, and the LLM summary only for what it was written from."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from agent.analysis.fit import InvestorProfile, horizon_help
from agent.models import InputFile
from agent.run.loop import Agent
from agent.store.runs import RunStore
from tests.conftest import ROOT, filing_path
from tests.fake_openai import text
from tests.test_app import WORKSPACE, seeded, texts

RISK_PAGE = "pages/risk_profile_page.py"

# Pelosi 2020-01 to 2020-06 (9 rows, NFLX and PYPL bought in June 2020) and Pelosi 2022-12 (13 rows, sold in
# December 2022): four round trips of 922, 924, 925 and 929 days, median 924.5, about 2.5 years.
PELOSI_2020_AND_2022 = ("20016961", "20022260")
# Two filers: Pelosi 2020 (9 rows) and Gottheimer 2024 (33 rows).
PELOSI_AND_GOTTHEIMER = ("20016961", "20024801")


@pytest.fixture
def app(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("TRADETRACE_DATA_DIR", str(tmp_path))
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.query_params["w"] = WORKSPACE
    return test


def risk_page(app: AppTest, docids: tuple[str, ...], profile: InvestorProfile) -> AppTest:
    """The Risk profile page after a run of these real filings, with this profile already set."""
    files = [InputFile(f"{docid}.pdf", filing_path(docid).read_bytes()) for docid in docids]
    app.session_state["result"] = Agent().run(files)
    app.session_state["files"] = {item.name: item.data for item in files}
    app.session_state["run_id"] = "-".join(docids)
    app.session_state["profile"] = profile
    app.run()
    app.switch_page(RISK_PAGE).run()
    assert not app.exception
    return app


def _texts_in_order(node) -> Iterator[str]:
    for child in node.children.values():
        if type(child).__name__ == "Metric":
            yield f"metric: {child.label}"
        elif isinstance(getattr(child, "value", None), str):
            yield child.value.replace("\\", "")
        if hasattr(child, "children"):
            yield from _texts_in_order(child)


def page_texts(app: AppTest) -> list[str]:
    """The main area's texts and metric labels in the order the page shows them (Markdown escapes removed)."""
    return list(_texts_in_order(app.main))


def position(texts_in_order: list[str], start: str) -> int:
    return next(index for index, text in enumerate(texts_in_order) if text.startswith(start))


@pytest.mark.shared
def test_one_overall_answer_first_with_labels_that_agree_with_their_numbers(app):
    risk_page(app, PELOSI_2020_AND_2022, InvestorProfile("high", "long", max_position_share=0.2))
    shown = page_texts(app)
    assert [alert.value for alert in (*app.success, *app.warning, *app.error)] == [
        "Copying these trades does not fit a high-risk, long-term investor, because their largest position (NFLX) is "
        "over the size limit."]
    # The answer, then the key numbers, then the details.
    overall = position(shown, "Copying these trades")
    assert overall < position(shown, "metric: Trades") < position(shown, "⚠️ **Horizon: partly fits.**")
    # A median of 924.5 days (about 2.5 years) is medium by the page's own help, which fit.py shares.
    assert app.select_slider[1].help == horizon_help()
    assert "medium: held 1 to 5 years; long: held 5 years or more" in horizon_help()
    horizon = next(text for text in shown if text.startswith("⚠️ **Horizon"))
    assert "4 round trips with a median 924.5 days from purchase to sale: medium horizon (1 to 5 years)." in horizon
    assert horizon.endswith("Overall a medium horizon, 1 step from a long-term profile: it partly fits.")
    # NFLX is 21% of volume: over the 20% limit does not fit, and the page says by how much.
    assert ("❌ **Position size: does not fit.** The largest position, NFLX, is 21% of volume, 1 percentage point over "
            "the profile's 20% limit.") in shown
    largest = next(metric for metric in app.metric if metric.label.startswith("Largest position"))
    assert (largest.label, largest.value, largest.delta) == (
        "Largest position (NFLX)", "21%", "1 percentage point over your 20% limit")
    # The concentration word follows both numbers it shows: 81% in the top 5 is concentrated.
    assert ("Ticker HHI 0.14, the top 5 positions holding 81% of volume: concentrated (an HHI of 0.25 or more, or 50% "
            "of volume or more in the top 5), +1 risk point.") in next(text for text in shown if "**Risk" in text)


@pytest.mark.shared
def test_a_subset_that_would_fit_better_is_named(app):
    # Pelosi 2022: GOOGL is 36% of volume against a 20% limit; without it the rest partly fits.
    risk_page(app, ("20022260",), InvestorProfile("low", "short", no_options=True, max_position_share=0.2))
    shown = page_texts(app)
    assert shown[position(shown, "Copying these trades") + 1] == (
        "💡 Without GOOGL (36% of volume), the rest would partly fit (it still partly fits on risk, horizon and "
        "no options).")


@pytest.mark.shared
def test_each_filer_gets_a_fit_and_the_combined_view_is_a_choice(app):
    risk_page(app, PELOSI_AND_GOTTHEIMER, InvestorProfile("medium", "short"))
    assert app.radio(key="fit_view").value == "Each filer"
    assert [header.value for header in app.subheader if header.value.startswith("Hon.")] == [
        "Hon. Josh Gottheimer", "Hon. Nancy Pelosi"]
    assert [alert.value for alert in (*app.success, *app.warning)] == [
        "Copying these trades fits a medium-risk, short-term investor, because they read as low risk (the profile "
        "allows medium) and their horizon reads as short term (the profile wants short term).",
        "Copying these trades partly fits a medium-risk, short-term investor, because they read as high risk (the "
        "profile allows medium) and their horizon reads as medium term (the profile wants short term)."]
    assert [metric.value for metric in app.metric if metric.label == "Trades"] == ["33", "9"]
    app.radio(key="fit_view").set_value("All filers combined").run()
    assert not app.exception
    assert "All filers combined" in [header.value for header in app.subheader]
    assert [metric.value for metric in app.metric if metric.label == "Trades"] == ["42"]
    assert len([*app.success, *app.warning, *app.error]) == 1


def test_one_filer_needs_no_choice_and_the_profile_is_remembered(app, tmp_path):
    seeded(app).run()
    app.switch_page(RISK_PAGE).run()
    assert not app.exception
    assert "fit_view" not in [radio.key for radio in app.radio]  # the samples are one filer
    app.select_slider[0].set_value("high")
    app.select_slider[1].set_value("long")
    app.checkbox[0].check()
    next(button for button in app.button if button.label == "Assess the fit").click().run()
    assert not app.exception
    # The samples' 6 option trades are 6% of volume: within the 10% that can be skipped, so partly.
    assert ("⚠️ **No options: partly fits.** 6 option trades, 6% of volume, where the profile excludes options; up to "
            "10% of volume can be skipped, so it partly fits.") in page_texts(app)
    assert "not investment advice" in texts(app)
    stored = RunStore(tmp_path / "history.sqlite3").load_profile(WORKSPACE)
    assert stored["risk_tolerance"] == "high" and stored["horizon"] == "long" and stored["no_options"] is True


LLM_SUMMARY = "The filer trades large technology companies, mostly through the spouse's account."


def with_fake_llm(app: AppTest, server) -> AppTest:
    """The sidebar's LLM settings, as a user would type them, pointing at the fake server."""
    app.session_state["llm_use"] = True
    app.session_state["llm_base_url"] = server.base_url
    app.session_state["llm_model"] = "fake-model"
    app.session_state["llm_api_key"] = "sk-test-0123456789abcdefghij"
    return app


@pytest.mark.parametrize("change", ["profile", "filters"])
def test_llm_narrative_is_shown_only_for_the_inputs_it_was_written_from(app, fake_llm, change):
    fake_llm.queue(text(LLM_SUMMARY))
    with_fake_llm(seeded(app), fake_llm).run()
    app.switch_page(RISK_PAGE).run()
    next(b for b in app.button if b.label == "Write the summary with the LLM").click().run()
    assert not app.exception
    assert LLM_SUMMARY in texts(app)
    app.run()  # nothing changed: the narrative still belongs to what is shown
    assert LLM_SUMMARY in texts(app)
    if change == "profile":
        app.select_slider[0].set_value("low")
        next(b for b in app.button if b.label == "Assess the fit").click().run()
    else:
        app.multiselect(key="filter_owner").set_value(["SP"]).run()
    assert not app.exception
    assert LLM_SUMMARY not in texts(app)
    assert "written for other rows or another profile" in texts(app)
    assert "not investment advice" in texts(app)
    assert "Write the summary with the LLM" in [button.label for button in app.button]


def test_an_llm_summary_with_an_invented_number_is_not_shown(app, fake_llm):
    fake_llm.queue(text("The filer made a 37% return on options."))
    with_fake_llm(seeded(app), fake_llm).run()
    app.switch_page(RISK_PAGE).run()
    next(b for b in app.button if b.label == "Write the summary with the LLM").click().run()
    assert not app.exception
    assert "37%" not in texts(app)
    assert ("No LLM summary: the LLM's text used a number that is not in the metrics. The computed fit and figures "
            "above stand.") in [info.value for info in app.info]
