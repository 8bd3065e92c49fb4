"""The outcome cache: the key covers everything that shapes an outcome, and a passing fault is never cached.
The cache is the real SQLite history store; the LLM endpoint is the fake OpenAI server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.analysis.report import check_lines
from agent.models import InputFile
from agent.run.cache import code_version, outcome_key
from agent.run.llm import LLMConfig
from agent.run.loop import Agent, brain_for
from agent.run.result import RunResult
from agent.store.runs import RunStore
from tests.conftest import ROOT, SAMPLES, llm_config_for
from tests.fake_openai import error, text
from tests.pdf_builders import BROKER_STATEMENT, text_pdf

SERVED = "served from the cache"


def sample() -> list[InputFile]:
    path = SAMPLES / "sample_ptr_2024_a.pdf"
    return [InputFile(path.name, path.read_bytes())]


def served_from_cache(result: RunResult) -> bool:
    return any(SERVED in getattr(event, "text", "") for event in result.events)


def tool_calls(result: RunResult) -> list[str]:
    return [event.tool for event in result.events if event.type == "tool_call"]


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "history.sqlite3")


def test_a_changed_reader_is_a_fresh_read(store: RunStore) -> None:
    first = Agent(cache=store, code_version="reader-v1").run(sample())
    again = Agent(cache=store, code_version="reader-v1").run(sample())
    changed = Agent(cache=store, code_version="reader-v2").run(sample())
    assert not served_from_cache(first) and "extract_known_layout" in tool_calls(first)
    assert served_from_cache(again) and tool_calls(again) == []
    assert not served_from_cache(changed) and "extract_known_layout" in tool_calls(changed)
    assert [o.rows for o in changed.outcomes] == [o.rows for o in first.outcomes]


def test_a_cached_files_report_lists_the_checks_of_the_run_that_read_it(store: RunStore) -> None:
    first = Agent(cache=store).run(sample())
    again = Agent(cache=store).run(sample())
    assert served_from_cache(again)
    name = sample()[0].name
    ran = [line for line in check_lines(again.outcomes, again.events) if line.startswith("  - grounding:")]
    assert ran == [line for line in check_lines(first.outcomes, first.events) if line.startswith("  - grounding:")]
    assert ran and name in check_lines(again.outcomes, again.events)[0]


@pytest.mark.parametrize(("module", "shapes_outcomes"), [
    ("formats/house_ptr.py", True), ("formats/paper/grid_reader.py", True), ("documents/ocr.py", True),
    ("checks/grounding.py", True), ("run/offline_brain.py", True), ("run/tools.py", True), ("models.py", True),
    ("analysis/metrics.py", False), ("store/runs.py", False)],
    ids=lambda value: str(value))
def test_the_code_version_changes_with_every_module_that_shapes_an_outcome(tmp_path: Path, module: str,
                                                                           shapes_outcomes: bool) -> None:
    tree = tmp_path / "agent"
    shutil.copytree(ROOT / "agent", tree, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_version(tree)
    with open(tree / module, "a") as handle:
        handle.write("\n# an edit\n")
    assert (code_version(tree) != before) is shapes_outcomes


def test_the_key_covers_ocr_brain_model_and_endpoint() -> None:
    base = {"ocr": False, "brain": "offline", "version": "v"}
    keys = {outcome_key("ab" * 32, **base),
            outcome_key("ab" * 32, **{**base, "ocr": True}),
            outcome_key("ab" * 32, **{**base, "brain": "llm", "model": "m1", "endpoint": "http://a"}),
            outcome_key("ab" * 32, **{**base, "brain": "llm", "model": "m2", "endpoint": "http://a"}),
            outcome_key("ab" * 32, **{**base, "brain": "llm", "model": "m1", "endpoint": "http://b"})}
    assert len(keys) == 5


def test_an_outcome_shaped_by_a_failed_endpoint_is_not_cached(store: RunStore, fake_llm) -> None:
    statement = [InputFile("statement.pdf", text_pdf([BROKER_STATEMENT]))]
    fake_llm.queue(*[error(500, "down")] * 3)  # the plan's call and its two retries
    config: LLMConfig = llm_config_for(fake_llm)
    fell_back = Agent(brain_for(config), cache=store).run(statement)
    assert any("offline brain takes over" in getattr(event, "message", "") for event in fell_back.events)
    fake_llm.queue(text("Plan."), *[error(500, "down")] * 3)
    retried = Agent(brain_for(config), cache=store).run(statement)
    assert not served_from_cache(retried), "a fallback's outcome was served once the endpoint was back"


def test_a_missing_ocr_engine_is_not_cached(store: RunStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tests.pdf_builders import scanned_pdf

    scan = [InputFile("scan.pdf", scanned_pdf(["01/05/2024 01/20/2024 Apple Inc. P $1,001 - $15,000"]))]
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without tesseract
    without = Agent(cache=store, ocr=True).run(scan)
    assert without.outcomes[0].status == "needs_ocr" and "not installed" in without.outcomes[0].reason
    again = Agent(cache=store, ocr=True).run(scan)
    assert not served_from_cache(again), "an outcome of a missing OCR engine was cached"
