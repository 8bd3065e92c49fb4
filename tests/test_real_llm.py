"""The agent through a real llama.cpp server: llama-cpp-python's, with SmolLM2-135M-Instruct (scripts/llm_server.sh,
which .ci/run starts and names in TRADETRACE_REAL_LLM_URL). Skipped with the reason when no server is named; under
CI a missing server fails.

One run reads an unknown PDF, a scanned House filing, a Senate report and a House PTR, in that order, so the files
the parser reads come after those that need the model. Asserted: the run finishes within its time budget, the known
formats give exactly the offline brain's rows, every row in the output is what the validators leave it, a file
that gave no row is not shown as a success, the server answered the agent, and the trace says what the endpoint
supports (as the server itself answers it). The run's figures (calls, tokens, seconds per call) are printed.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import openai
import pytest

from agent.checks.validate import validate_filing
from agent.models import FileOutcome, Filing, InputFile
from agent.run.events import ToolCall
from agent.run.llm import ChatReply, LLMConfig, OpenAIChat
from agent.run.llm_brain import LLMBrain
from agent.run.loop import Agent, Limits
from agent.run.result import RunResult
from agent.run.tools import REGISTRY, RunContext
from tests.conftest import filing_path, senate_file
from tests.pdf_builders import BROKER_STATEMENT, text_pdf

URL_VARIABLE = "TRADETRACE_REAL_LLM_URL"
UNKNOWN = "statement.pdf"  # a broker's statement: a layout no format reads
SCAN = "8221123.pdf"  # a scanned House form, 1 page: OCR reads 2 rows, both flagged (the critic's work)
SENATE = "06bc054e-4044-4322-80ad-ae881b8c8843.html"  # Toomey's amendment 1, a saved eFD page: 5 rows
HOUSE = "20016961.pdf"  # Pelosi, electronic: 9 rows, none flagged
LIMITS = Limits()  # what a user gets

pytestmark = [pytest.mark.real_llm, pytest.mark.shared, pytest.mark.slow]


def server_url() -> str:
    url = os.environ.get(URL_VARIABLE, "").rstrip("/")
    if not url:
        reason = f"no real LLM server: {URL_VARIABLE} is not set (bash scripts/llm_server.sh start DIR starts one)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; .ci/run must start it")
        pytest.skip(reason)
    return url


def served_model(url: str) -> str:
    """The model the server names first in /v1/models (llama-cpp-python serves one)."""
    try:
        models = openai.OpenAI(api_key="sk-no-key-needed", base_url=url, max_retries=0, timeout=10).models.list()
    except openai.APIError as exc:
        pytest.fail(f"{URL_VARIABLE}={url} does not answer /models: {exc}")
    return models.data[0].id


@dataclass
class CallRecord:
    seconds: float
    reply: ChatReply | None  # None: the call raised (refused, failed or timed out)


class TimedChat(OpenAIChat):
    """The real client, with each call's wall-clock time and reply kept for the figures."""

    def __init__(self, config: LLMConfig) -> None:
        super().__init__(config)
        self.records: list[CallRecord] = []

    def stream(self, *args, **kwargs) -> Iterator:
        started, reply = time.perf_counter(), None
        try:
            for item in super().stream(*args, **kwargs):
                if isinstance(item, ChatReply):
                    reply = item
                yield item
        finally:
            self.records.append(CallRecord(time.perf_counter() - started, reply))


@dataclass
class RealRun:
    url: str
    model: str
    result: RunResult
    offline: RunResult
    files: list[InputFile]
    records: list[CallRecord] = field(default_factory=list)

    def outcome(self, name: str) -> FileOutcome:
        return next(outcome for outcome in self.result.outcomes if outcome.source_file == name)


def run_files() -> list[InputFile]:
    paths = [filing_path(SCAN.removesuffix(".pdf")), senate_file(f"efd/{SENATE}"),
             filing_path(HOUSE.removesuffix(".pdf"))]
    return [InputFile(UNKNOWN, text_pdf([BROKER_STATEMENT]))] + [InputFile(p.name, p.read_bytes()) for p in paths]


@pytest.fixture(scope="module")
def real_run(pytestconfig: pytest.Config) -> RealRun:
    url = server_url()
    config = LLMConfig(api_key="sk-no-key-needed", base_url=url, model=served_model(url))
    chat = TimedChat(config)
    files = run_files()
    started = time.perf_counter()
    result = Agent(LLMBrain(chat, config), limits=LIMITS, ocr=True).run(files)
    seconds = time.perf_counter() - started
    run = RealRun(url, config.model, result, Agent(ocr=True).run(files), files, chat.records)
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in figures(run, seconds):
                reporter.write_line(f"real LLM: {line}")
    return run


def figures(run: RealRun, seconds: float) -> list[str]:
    """What the run cost and what the model's work came to, one line each."""
    finished = run.result.finished
    replies = [record.reply for record in run.records if record.reply]
    times = sorted(record.seconds for record in run.records)
    estimated = sum(reply.usage_estimated for reply in replies)
    lines = [f"{run.model} at {run.url}: run {finished.outcome if finished else 'unfinished'} in {seconds:.0f} s "
             f"(time budget {LIMITS.time_budget:.0f} s)",
             f"calls: {len(run.records)} through the client ({len(run.records) - len(replies)} without a reply), "
             f"{finished.llm_calls if finished else 0} counted by the run",
             f"tokens: {sum(r.prompt_tokens for r in replies)} prompt + {sum(r.completion_tokens for r in replies)} "
             f"completion ({estimated} of {len(replies)} replies' counts estimated: no usage reported); "
             f"the run counted {finished.total_tokens if finished else 0}"]
    if times:
        lines.append(f"seconds per call: median {statistics.median(times):.1f}, max {times[-1]:.1f}, "
                     f"{sum(times):.0f} in all")
    for outcome in run.result.outcomes:
        lines.append(f"{outcome.source_file}: {outcome.status}, {outcome.rows} row(s), {outcome.flagged_rows} "
                     f"flagged, {outcome.seconds:.0f} s. {outcome.reason}".strip())
    for event in run.result.events:
        if event.type == "observation" and event.tool == "extract_with_llm":
            lines.append(f"{event.file}: extract_with_llm: {event.summary if event.ok else event.error}")
        elif event.type == "reflection":
            lines.append(f"{event.file}: critic on row {event.row_number}: {event.verdict}. {event.text}")
    return lines


# A small model may repeat a call or use up a file's steps: the loop stops that file (its outcome says why) and the
# run ends by that bound. What must never happen is the run's time budget cutting files off.
BOUNDED_ENDS = {"completed", "repeated_call", "max_steps"}


def test_the_run_finishes_within_its_time_budget(real_run: RealRun) -> None:
    finished = real_run.result.finished
    assert finished is not None, "the run ended without its run_finished event"
    stopped = [f"{o.source_file}: {o.reason}" for o in real_run.result.outcomes if o.status == "failed"]
    assert finished.outcome in BOUNDED_ENDS, f"the run ended '{finished.outcome}': {stopped}"
    assert not stopped, f"files failed: {stopped}"
    assert sorted(o.source_file for o in real_run.result.outcomes) == sorted(item.name for item in real_run.files)


def test_the_server_answered_the_agent(real_run: RealRun) -> None:
    # Otherwise the other tests would pass on the offline brain alone.
    assert any(record.reply for record in real_run.records), f"none of {len(real_run.records)} call(s) got a reply"


@pytest.mark.parametrize("name", [HOUSE, SENATE])
def test_a_known_format_gives_exactly_the_offline_rows(real_run: RealRun, name: str) -> None:
    offline = next(o for o in real_run.offline.outcomes if o.source_file == name)
    outcome = real_run.outcome(name)
    assert offline.filing is not None and offline.rows > 0 and offline.flagged_rows == 0  # the reference is clean
    assert (outcome.status, outcome.reason) == (offline.status, offline.reason)
    assert outcome.filing is not None and outcome.filing.to_dict() == offline.filing.to_dict()


def revalidated(run: RealRun, outcome: FileOutcome) -> Filing:
    """The outcome's filing validated again on its document, read as the run read it (the same OCR call)."""
    assert outcome.filing is not None
    ctx = RunContext({item.name: item for item in run.files}, ocr=True)
    REGISTRY.call(ctx, "inspect_pdf", {"file": outcome.source_file})
    for event in run.result.events:
        if isinstance(event, ToolCall) and event.file == outcome.source_file and event.tool == "ocr_pages":
            REGISTRY.call(ctx, "ocr_pages", event.arguments)
    again = Filing.from_dict(outcome.filing.to_dict())
    return validate_filing(again, ctx.document(outcome.source_file))


def test_no_value_reaches_the_output_without_passing_the_validators(real_run: RealRun) -> None:
    unchecked = {}
    for outcome in real_run.result.outcomes:
        if outcome.filing is None:
            continue
        again = revalidated(real_run, outcome)
        for row, checked in zip(outcome.filing.transactions, again.transactions):
            missing = [flag.message for flag in checked.flags if flag not in row.flags]
            if missing:
                unchecked[f"{outcome.source_file} row {row.row_number} ({row.extracted_by})"] = missing
    assert not unchecked, f"rows in the output that the validators flag: {unchecked}"


def test_a_file_that_gave_no_row_is_not_shown_as_a_success(real_run: RealRun) -> None:
    empty_ok = [o.source_file for o in real_run.result.outcomes if o.rows == 0 and o.status == "ok"]
    assert not empty_ok


def accepts(url: str, model: str, response_format: dict) -> bool:
    """Whether the server answers a one-token request with this response_format (asked here, not by the agent)."""
    client = openai.OpenAI(api_key="sk-no-key-needed", base_url=url, max_retries=0, timeout=60)
    try:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Answer {}"}],
                                       max_tokens=1, response_format=response_format)
    except openai.APIStatusError:
        return False
    return True


CAPABILITIES = re.compile(r"Endpoint supports: (?P<supported>.*?); not: (?P<missing>.*?) \((?P<how>[^)]*)\)")


def test_the_trace_says_what_the_endpoint_supports_as_probed(real_run: RealRun) -> None:
    said = [match for event in real_run.result.events if (match := CAPABILITIES.search(event.headline))]
    assert said, "no event of the trace says what the endpoint supports"
    assert said[0]["how"] == "probed", f"the capabilities were not probed: {said[0][0]}"
    supported = set(said[0]["supported"].split(", "))
    schema = {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}}}
    for name, response_format in (("json_schema", schema), ("json_object", {"type": "json_object"})):
        assert (name in supported) == accepts(real_run.url, real_run.model, response_format), said[0][0]
