"""The whole agent against each server profile of the fake OpenAI server (llama-cpp-python, llama.cpp's
llama-server, Ollama, vLLM, OpenAI) and against degenerate replies (the prompt echoed, one phrase repeated, a stream
that never ends), on a real House PTR, a real Senate report, a real scanned filing and a PDF no format reads.

What must hold on every one: the House PTR's rows are exactly the offline rows, no value reaches the output that did
not pass the validators, the run ends (bounded in calls: no timed assertion), and the trace names what the endpoint
supports.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from agent.checks.grounding import PageIndex, ground_row
from agent.checks.row_forms import filing_format
from agent.documents.sandbox import read_document
from agent.models import FileOutcome, InputFile
from agent.run.extract import extract_bytes
from agent.run.llm import OpenAIChat
from agent.run.loop import Agent, brain_for
from agent.run.result import RunResult
from tests.conftest import filing_path, llm_config_for, senate_file
from tests.fake_openai import (
    PROFILES,
    FakeOpenAI,
    Reply,
    echo,
    endless,
    json_content,
    llama_server,
    repetition,
    text,
    tool_calls,
)
from tests.pdf_builders import BROKER_STATEMENT, text_pdf
from tests.test_llm_brain import INVENTED, PLAN, llm_row

HOUSE_PTR = "20007507"  # 2 trades, read cleanly
SENATE = "efd/06bc054e-4044-4322-80ad-ae881b8c8843.html"  # 5 trades, read cleanly
SCAN = "2000711"  # one scanned page (OCR is off here: it waits for a person, never for the LLM)
UNKNOWN = "statement.pdf"
MAX_CALLS = 12  # plan, the unknown file's steps and page read, with retries: far fewer; more would be a loop

SERVERS = {name: make for name, make in PROFILES.items()} | {"llama_server_without_jinja":
                                                              lambda: llama_server(jinja=False)}


@dataclass(frozen=True)
class Run:
    result: RunResult
    files: list[InputFile]
    server: FakeOpenAI

    def outcome(self, name: str) -> FileOutcome:
        return next(outcome for outcome in self.result.outcomes if outcome.source_file == name)


def run_files() -> list[InputFile]:
    house, senate, scan = filing_path(HOUSE_PTR), senate_file(SENATE), filing_path(SCAN)
    return [InputFile(house.name, house.read_bytes()), InputFile(senate.name, senate.read_bytes()),
            InputFile(scan.name, scan.read_bytes()), InputFile(UNKNOWN, text_pdf([BROKER_STATEMENT]))]


def step(server: FakeOpenAI, uses_tools: bool, tool: str, arguments: dict[str, object], thought: str) -> Reply:
    """One ReAct step as this server's model gives it: a tool call, or a JSON step where tools never reach it."""
    if uses_tools:
        return tool_calls([(tool, arguments)], content=thought)
    return json_content({"thought": thought, "tool": tool, "arguments": arguments})


def run_agent(server: FakeOpenAI, replies: list[Reply], **config: float) -> Run:
    server.queue(*replies)
    files = run_files()
    result = RunResult.from_events(Agent(brain_for(llm_config_for(server, **config))).events(files))
    return Run(result, files, server)


def uses_tools(server: FakeOpenAI) -> bool:
    return OpenAIChat(llm_config_for(server)).capabilities().tools


def assert_what_always_holds(run: Run) -> None:
    house = run.files[0]
    offline = extract_bytes(house.data, house.name).filing
    assert run.outcome(house.name).filing.to_dict() == offline.to_dict()  # exactly the offline rows
    senate = run.files[1]
    assert run.outcome(senate.name).filing.to_dict() == extract_bytes(senate.data, senate.name).filing.to_dict()
    assert run.outcome(run.files[2].name).status == "needs_ocr"
    for item in run.files:  # every value in the output is grounded on its page, as its format prints it
        outcome = run.outcome(item.name)
        if outcome.filing is None:
            continue
        index = PageIndex(read_document(item.data, item.name))
        reader = filing_format(outcome.filing)
        for row in outcome.filing.transactions:
            assert ground_row(row, index, reader.printed_forms(row) if reader else None) == [], (item.name, row)
    finished = run.result.finished
    assert finished is not None and finished.llm_calls <= MAX_CALLS and len(run.server.requests) <= MAX_CALLS
    supports = [event.text for event in run.result.events if event.type == "thought" and event.file == ""]
    assert any(text.startswith("Endpoint supports:") and "(probed)" in text for text in supports)


@pytest.mark.shared
@pytest.mark.parametrize("profile", list(SERVERS))
def test_each_server_runs_the_whole_agent(profile):
    with FakeOpenAI(SERVERS[profile]()) as server:
        tools = uses_tools(server)
        page = {"file": UNKNOWN, "page": 1}
        run = run_agent(server, [
            text(PLAN),
            step(server, tools, "extract_with_llm", page, "The layout is unknown: extract page 1."),
            json_content({"rows": [llm_row(), INVENTED]}),
            step(server, tools, "finish", {"summary": "one trade"}, "One trade read."),
        ])
        server.assert_all_consumed()
    assert_what_always_holds(run)
    unknown = run.outcome(UNKNOWN)
    assert [(row.ticker, row.extracted_by) for row in unknown.filing.transactions] == [("AAPL", "llm")]
    assert run.result.outcome == "completed"


DEGENERATE = {"echo": echo, "repetition": lambda: repetition("The table is missing, and the table header is missing. "),
              "endless": endless}


@pytest.mark.shared
@pytest.mark.parametrize("profile", list(SERVERS))
@pytest.mark.parametrize("kind", list(DEGENERATE))
def test_a_degenerate_reply_costs_only_its_own_step(profile, kind):
    with FakeOpenAI(SERVERS[profile]()) as server:
        # the plan degenerates, then the unknown file's first step: every call is bounded, every file ends
        run = run_agent(server, [DEGENERATE[kind](), DEGENERATE[kind]()], time_limit=3.0, max_retries=0)
    assert_what_always_holds(run)
    plan = next(event for event in run.result.events if event.type == "plan")
    assert plan.text.startswith("Read 4 file(s) one by one")  # the offline plan
    unknown = run.outcome(UNKNOWN)
    assert unknown.status == "flagged" and unknown.rows == 0
    errors = [event.message for event in run.result.events if event.type == "error"]
    assert any("The model's plan was not used" in message for message in errors)
    assert run.result.finished.llm_calls == 2  # each stopped call is counted, and the run went on without more
