"""The LLM narrative is used only when every number in it comes from the metrics."""

from __future__ import annotations

from agent.analysis.assessment import assess
from agent.analysis.fit import InvestorProfile, assess_fit
from agent.analysis.metrics import compute_metrics
from agent.analysis.narrative import write_narrative
from agent.export import to_dataframe
from agent.run.extract import extract_path
from agent.run.llm import OpenAIChat
from tests.conftest import SAMPLES, llm_config_for
from tests.fake_openai import error, text


def sample_metrics():
    frame = to_dataframe([extract_path(path).filing for path in sorted(SAMPLES.glob("sample_ptr_*.pdf"))])
    metrics = compute_metrics(frame)
    return metrics, assess_fit(metrics, InvestorProfile("high", "long"))


def test_offline_narrative_is_the_computed_summary():
    metrics, verdicts = sample_metrics()
    narrative = write_narrative(metrics, verdicts)
    assert narrative.source == "offline" and "not investment advice" in narrative.text


def test_grounded_llm_narrative_is_used(fake_llm):
    metrics, verdicts = sample_metrics()
    fake_llm.queue(text("25 trades in 3 filings; 6% of volume is options and 44% sits in Communication Services."))
    narrative = write_narrative(metrics, verdicts, OpenAIChat(llm_config_for(fake_llm)))
    assert narrative.source == "llm" and narrative.text.startswith("25 trades in 3 filings")
    assert narrative.text.rstrip().endswith("_These are options to consider, not investment advice._")
    facts = fake_llm.requests[0].body["messages"][1]["content"]
    assert "Estimated volume: $114,469,363" in facts  # the numbers are passed in, not recomputed


def test_narrative_that_invents_a_number_falls_back(fake_llm):
    metrics, verdicts = sample_metrics()
    fake_llm.queue(text("25 trades, and the filer made a 37% return on options."))
    narrative = write_narrative(metrics, verdicts, OpenAIChat(llm_config_for(fake_llm)))
    assert narrative.source == "offline" and "number that is not in the metrics" in narrative.note
    assert "37%" not in narrative.text


def test_endpoint_failure_falls_back(fake_llm):
    metrics, verdicts = sample_metrics()
    fake_llm.queue(*[error(500, "down")] * 3)
    narrative = write_narrative(metrics, verdicts, OpenAIChat(llm_config_for(fake_llm)))
    assert narrative.source == "offline" and "could not write it" in narrative.note


def test_overall_answer_and_subsets_lead_the_facts_and_are_grounded(fake_llm):
    frame = to_dataframe([extract_path(path).filing for path in sorted(SAMPLES.glob("sample_ptr_*.pdf"))])
    fit = assess(frame, InvestorProfile("medium", "medium", avoid_sectors=("Communication Services",)))
    # GOOGL, the samples' one Communication Services trade, is 44% of volume: set aside, the rest partly fits.
    assert [subset.sentence for subset in fit.subsets] == [
        "Without the 1 trade in Communication Services (44% of volume), the rest would partly fit (it still partly "
        "fits on horizon)."]
    fake_llm.queue(text(f"{fit.overall.sentence} {fit.subsets[0].sentence}"))
    narrative = write_narrative(fit.metrics, fit.verdicts, OpenAIChat(llm_config_for(fake_llm)), fit.overall,
                                fit.subsets)
    assert narrative.source == "llm" and narrative.text.startswith("Copying these trades does not fit")
    facts = fake_llm.requests[0].body["messages"][1]["content"].splitlines()
    assert facts[:2] == [f"- Overall: {fit.overall.sentence}", f"- {fit.subsets[0].sentence}"]
