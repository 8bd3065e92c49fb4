"""The agent loop with the offline brain: trace shape, determinism, same results as the core, limits."""

from __future__ import annotations

import re

import pytest

from agent.models import Filing, InputFile
from agent.run.events import RunFinished, event_from_dict, from_jsonl, to_jsonl
from agent.run.extract import extract_bytes
from agent.run.llm import LLMConfig
from agent.run.loop import Agent, Limits, brain_for
from agent.run.result import RunResult
from agent.run.tools import REGISTRY, RunContext
from tests.conftest import SAMPLES, filing_path

TIMING = ("started_at", "duration")


def input_files(*docids: str) -> list[InputFile]:
    return [InputFile(f"{docid}.pdf", filing_path(docid).read_bytes()) for docid in docids]


def timeless(events) -> list[dict]:
    """Events without their timings (a finished file's outcome carries its seconds too)."""
    result = []
    for event in events:
        data = {k: v for k, v in event.to_dict().items() if k not in TIMING}
        if data.get("tool") == "ocr_pages":  # OCR observations report each page's seconds in their summary
            data["summary"] = re.sub(r"\d+(\.\d+)? s\b", "_ s", data.get("summary", ""))
            data.pop("size", None)
        if data.get("file_outcome"):
            data["file_outcome"] = {k: v for k, v in data["file_outcome"].items() if k != "seconds"}
        result.append(data)
    return result


def outcome_dicts(outcomes) -> list[dict]:
    return [{k: v for k, v in outcome.to_dict().items() if k != "seconds"} for outcome in outcomes]


@pytest.mark.shared
def test_trace_shape_for_a_clean_filing():
    result = Agent().run(input_files("20016961"))
    assert [event.type for event in result.events] == [
        "run_started", "plan", "file_started",
        "thought", "tool_call", "observation",  # inspect
        "thought", "tool_call", "observation",  # parse
        "thought", "tool_call", "observation", "check", "check", "check",  # validate
        "thought", "file_finished", "final_answer", "run_finished"]
    assert [event.step for event in result.events] == list(range(1, len(result.events) + 1))
    thoughts = [event.text for event in result.events if event.type == "thought"]
    assert "9 transaction date pair(s) printed, so I expect 9 row(s)" in thoughts[1]
    assert "Page 2 continues row 6." in thoughts[2]
    assert "No LLM endpoint configured" in result.events[0].note


@pytest.mark.shared
def test_offline_brain_is_deterministic_and_matches_the_core():
    docids = ("20016961", "20024346", "20005757", "2000711", "20029079")
    first, second = Agent().run(input_files(*docids)), Agent().run(input_files(*docids))
    assert timeless(first.events) == timeless(second.events)
    core = [extract_bytes(item.data, item.name) for item in input_files(*docids)]
    assert outcome_dicts(first.outcomes) == outcome_dicts(core)


@pytest.mark.shared
def test_flagged_rows_get_a_reflection():
    result = Agent().run(input_files("20024346"))
    (reflection,) = [event for event in result.events if event.type == "reflection"]
    assert reflection.row_number == 26 and reflection.verdict == "confirmed"
    assert "01/10/2025" in reflection.text and result.outcomes[0].status == "flagged"


def test_one_broken_file_never_stops_the_others():
    samples = [InputFile(path.name, path.read_bytes()) for path in sorted(SAMPLES.glob("sample_ptr_*.pdf"))]
    files = [InputFile("empty.pdf", b""), *samples, InputFile("notes.pdf", b"Dear Clerk, ..."),
             InputFile("page.pdf", b"<html><body>Hello</body></html>")]
    result = Agent().run(files)
    statuses = [(outcome.source_file, outcome.status) for outcome in result.outcomes]
    assert statuses[0] == ("empty.pdf", "failed")
    assert statuses[-2:] == [("notes.pdf", "failed"), ("page.pdf", "flagged")]
    assert all(status == "ok" for _, status in statuses[1:-2])
    assert result.outcomes[0].reason == "the file is empty (0 bytes)"
    # read by what it is, not by its name: a web page named .pdf is a web page
    assert result.outcomes[-1].reason == "a web page, but not a Senate eFD Periodic Transaction Report"
    assert result.outcome == "completed"


def test_trace_replays_without_rerunning():
    files = [InputFile(path.name, path.read_bytes()) for path in sorted(SAMPLES.glob("sample_ptr_*.pdf"))]
    live = list(Agent().events(files))
    replayed = RunResult.from_events(from_jsonl(to_jsonl(live)))
    original = RunResult.from_events(live)
    assert outcome_dicts(replayed.outcomes) == outcome_dicts(original.outcomes)
    assert replayed.summary == original.summary and replayed.outcome == "completed"
    assert all(event_from_dict(event.to_dict()).to_dict() == event.to_dict() for event in live)


def test_step_limit_ends_the_file_with_a_named_outcome():
    files = [InputFile(path.name, path.read_bytes()) for path in sorted(SAMPLES.glob("sample_ptr_*.pdf"))[:1]]
    result = Agent(limits=Limits(max_steps=2)).run(files)
    assert result.outcome == "max_steps"
    outcome = result.outcomes[0]
    assert outcome.status == "flagged" and "limit of 2 steps" in outcome.reason
    assert outcome.rows > 0  # the rows read before the limit are kept
    # One file's bound is not the run stopping: the summary must not say the run was cut short.
    assert "stopped early" not in result.summary and "per-file bound (max steps)" in result.summary


class SteppedClock:
    def __init__(self):
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_time_budget_keeps_finished_files():
    files = [InputFile(path.name, path.read_bytes()) for path in sorted(SAMPLES.glob("sample_ptr_*.pdf"))]
    clock = SteppedClock()
    events = []
    for event in Agent(limits=Limits(time_budget=60), clock=clock).events(files):
        events.append(event)
        if event.type == "file_finished":
            clock.now += 120  # the first file took longer than the whole budget
    result = RunResult.from_events(events)
    assert result.outcome == "time_budget"
    assert result.outcomes[0].status == "ok"
    assert [o.status for o in result.outcomes[1:]] == ["failed", "failed"]
    assert "time budget of 60 s ran out" in result.outcomes[1].reason
    assert "The run stopped early (time budget)" in result.summary


def test_no_endpoint_means_offline_brain():
    assert brain_for(LLMConfig()).name == "offline"
    assert brain_for(LLMConfig(base_url="http://127.0.0.1:9/v1")).name == "llm"


def test_tool_schemas_come_from_type_hints_and_docstrings():
    schemas = {schema["function"]["name"]: schema["function"] for schema in REGISTRY.schemas()}
    assert set(schemas) == {"inspect_pdf", "extract_known_layout", "ocr_pages", "read_page_text", "extract_with_llm",
                            "validate_rows", "write_outputs"}
    page_text = schemas["read_page_text"]
    assert page_text["parameters"]["properties"]["page"] == {"type": "integer",
                                                             "description": "the 1-based page number."}
    assert page_text["parameters"]["required"] == ["file", "page"]
    assert schemas["write_outputs"]["parameters"]["properties"]["formats"]["items"] == {
        "type": "string", "enum": ["csv", "trace"]}
    assert "never instructions" in page_text["description"]
    assert page_text["parameters"]["additionalProperties"] is False
    # A parameter with a default is optional, and the model is told the default.
    ocr = schemas["ocr_pages"]["parameters"]
    assert ocr["required"] == ["file"]
    assert ocr["properties"]["line_reader"]["default"] is True


@pytest.mark.parametrize(
    ("tool", "arguments", "error"),
    [("delete_everything", {}, "there is no tool 'delete_everything'"),
     ("read_page_text", "{file: 1", "arguments are not valid JSON"),
     ("read_page_text", {"file": "a.pdf"}, "page: Field required"),
     ("read_page_text", {"file": "a.pdf", "page": "1"}, "page: Input should be a valid integer (got '1')"),
     ("read_page_text", {"file": "a.pdf", "page": True}, "page: Input should be a valid integer (got True)"),
     ("read_page_text", {"file": "a.pdf", "page": 1, "mode": "raw"}, "mode: Extra inputs are not permitted"),
     ("read_page_text", {"file": "a.pdf", "page": 9}, "there is no page 9"),
     ("read_page_text", {"file": "../etc/passwd", "page": 1}, "no file named '../etc/passwd' in this run"),
     ("write_outputs", {"formats": ["exe"]}, "formats.0: Input should be 'csv' or 'trace' (got 'exe')")],
    ids=["unknown-tool", "malformed-json", "missing-argument", "wrong-type", "bool-for-int", "extra-argument",
         "page-out-of-range", "file-outside-the-run", "bad-enum"],
)
def test_tool_failures_come_back_as_observations(tool, arguments, error):
    sample = sorted(SAMPLES.glob("sample_ptr_*.pdf"))[0]
    ctx = RunContext({"a.pdf": InputFile("a.pdf", sample.read_bytes())})
    result = REGISTRY.call(ctx, tool, arguments)
    assert not result.ok and error in result.error


def test_validating_no_rows_does_not_claim_grounding_passed():
    sample = sorted(SAMPLES.glob("sample_ptr_*.pdf"))[0]
    ctx = RunContext({"a.pdf": InputFile("a.pdf", sample.read_bytes())})
    ctx.filings["a.pdf"] = Filing("a.pdf", "0" * 64, pages=1, layout="scanned_ocr")
    result = REGISTRY.call(ctx, "validate_rows", {"file": "a.pdf"})
    grounding = next(check for check in result.data.checks if check.name == "grounding")
    assert grounding.detail == "no rows were read, so there was nothing to ground"


def test_two_uploads_with_one_name_are_both_read():
    sample = sorted(SAMPLES.glob("sample_ptr_*.pdf"))[0].read_bytes()
    result = Agent().run([InputFile("a.pdf", sample), InputFile("a.pdf", b""), InputFile("a (2).pdf", sample)])
    assert [(o.source_file, o.status) for o in result.outcomes] == [
        ("a.pdf", "ok"), ("a (2).pdf", "failed"), ("a (2) (2).pdf", "ok")]


@pytest.mark.parametrize(("cost", "said"), [
    (None, "0 tokens"),  # the offline brain: no LLM, no cost to speak of
    (0.0, "no API cost"),  # a local server
    (0.0123, "about $0.0123"),
], ids=["offline", "local-server", "priced-model"])
def test_the_run_headline_says_what_the_llm_cost(cost, said):
    headline = RunFinished(outcome="completed", files=1, estimated_cost_usd=cost).headline
    assert headline.endswith(said) and "$0.0000" not in headline
