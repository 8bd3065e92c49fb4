"""The LLM client against each server profile of the fake: capabilities probed, the chosen path working end to
end through the real `openai` client, and every call bounded (tokens, wall clock, degenerate replies)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from agent.errors import LLMError
from agent.run.capabilities import PROBE_MAX_TOKENS, Capabilities, RequestPath
from agent.run.degenerate import EchoedPrompt, RepeatedPhrase
from agent.run.llm import (
    DEFAULT_MAX_TOKENS,
    CallTimedOut,
    ChatReply,
    OpenAIChat,
    RequestRefused,
    Retry,
    Spend,
    ToolsUnsupported,
)
from tests.conftest import llm_config_for
from tests.fake_openai import (
    FakeOpenAI,
    ServerProfile,
    echo,
    endless,
    error,
    json_content,
    llama_server,
    ollama,
    repetition,
    text,
    tool_calls,
    vllm,
)

LOOKUP_TOOL = {"type": "function", "function": {
    "name": "lookup", "description": "Look a ticker up.",
    "parameters": {"type": "object", "properties": {"ticker": {"type": "string"}}, "required": ["ticker"]}}}
ROWS_SCHEMA = {"type": "object", "properties": {"rows": {"type": "array"}}, "required": ["rows"]}
ROWS_FORMAT = {"type": "json_schema", "json_schema": {"name": "rows", "schema": ROWS_SCHEMA, "strict": True}}
MESSAGES = [{"role": "system", "content": "You read PTRs."}, {"role": "user", "content": "List the trades."}]
LOOP = "The table is missing, and the table header is missing. "

# (profile, tools, streamed_tools, tool_choice, json_schema, json_object, usage, path)
PROFILES = [
    ("openai", True, True, True, True, True, True, RequestPath.STREAMED_TOOLS),
    ("llama_cpp_python", True, False, True, False, True, False, RequestPath.TOOLS),
    ("llama_server", True, True, True, True, True, True, RequestPath.STREAMED_TOOLS),
    (llama_server(jinja=False), False, False, False, True, True, True, RequestPath.JSON_OBJECT),
    ("ollama", True, True, True, True, True, True, RequestPath.STREAMED_TOOLS),
    (ollama(model_has_tools=False), False, False, False, True, True, True, RequestPath.JSON_OBJECT),
    ("vllm", True, True, True, True, True, True, RequestPath.STREAMED_TOOLS),
    (vllm(auto_tool_choice=False), False, False, False, True, True, True, RequestPath.JSON_OBJECT),
]
PROFILE_IDS = ["openai", "llama_cpp_python", "llama_server", "llama_server-no-jinja", "ollama", "ollama-no-tools",
               "vllm", "vllm-no-auto-tool-choice"]
# What each refusing server said, in one line, as the probe keeps it for the trace.
REFUSALS = {
    "llama_cpp_python": ["streamed tool calls: the stream ended without an answer",
                         "json_schema: 500 response_format.type: Input should be 'text' or 'json_object' (got "
                         "'json_schema')"],
    "llama_server-no-jinja": ["streamed tool calls, tool calls, tool calls without tool_choice: 500 tools param "
                              "requires --jinja flag"],
    "ollama-no-tools": ["streamed tool calls, tool calls, tool calls without tool_choice: 400 "
                        "registry.ollama.ai/library/fake-model:latest does not support tools"],
    "vllm-no-auto-tool-choice": ['streamed tool calls, tool calls, tool calls without tool_choice: 400 "auto" tool '
                                 "choice requires --enable-auto-tool-choice and --tool-call-parser to be set"],
}


def server_for(profile: str | ServerProfile) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(profile) as server:
        yield server
        server.assert_all_consumed()


@pytest.fixture(params=PROFILES, ids=PROFILE_IDS)
def profiled(request: pytest.FixtureRequest) -> Iterator[tuple[FakeOpenAI, tuple[object, ...], str]]:
    profile, *expected = request.param
    for server in server_for(profile):
        yield server, tuple(expected), request.node.callspec.id


def chat(server: FakeOpenAI, **config: object) -> OpenAIChat:
    return OpenAIChat(llm_config_for(server, **config))


def reply_of(items: Iterator[str | Retry | ChatReply]) -> tuple[str, ChatReply]:
    """The text streamed before the reply, and the reply."""
    streamed, reply = "", None
    for item in items:
        if isinstance(item, str):
            streamed += item
        elif isinstance(item, ChatReply):
            reply = item
    assert reply is not None
    return streamed, reply


def flags(capabilities: Capabilities) -> tuple[object, ...]:
    return (capabilities.tools, capabilities.streamed_tools, capabilities.tool_choice, capabilities.json_schema,
            capabilities.json_object, capabilities.usage, capabilities.path)


def test_the_probe_finds_what_each_server_supports(profiled: tuple[FakeOpenAI, tuple[object, ...], str]) -> None:
    server, expected, name = profiled
    capabilities = chat(server).capabilities()
    assert flags(capabilities) == expected
    assert list(capabilities.refusals) == REFUSALS.get(name, [])
    assert all(request.body["max_tokens"] == PROBE_MAX_TOKENS for request in server.probe_requests)
    described = capabilities.describe()
    assert f"Using {capabilities.path.value}." in described and "\n" not in described
    assert all(refusal in described for refusal in capabilities.refusals)


def test_tool_calls_work_on_the_chosen_path(profiled: tuple[FakeOpenAI, tuple[object, ...], str]) -> None:
    server, expected, _ = profiled
    llm = chat(server)
    if not llm.capabilities().tools:
        with pytest.raises(ToolsUnsupported, match="the endpoint does not call tools"):
            reply_of(llm.stream(MESSAGES, tools=[LOOKUP_TOOL]))
        assert server.requests == []  # known beforehand: nothing was sent
        return
    server.queue(tool_calls([("lookup", {"ticker": "AAPL"})], content="Looking AAPL up.", prompt_tokens=30,
                            completion_tokens=12))
    streamed, reply = reply_of(llm.stream(MESSAGES, tools=[LOOKUP_TOOL], max_tokens=64))
    assert [(call.name, json.loads(call.arguments)) for call in reply.tool_calls] == [("lookup", {"ticker": "AAPL"})]
    assert streamed == reply.content == "Looking AAPL up."
    (request,) = server.requests
    streamed_tools = expected[1]
    assert request.body["stream"] is streamed_tools
    assert request.body["tool_choice"] == "auto" and request.body["max_tokens"] == 64
    # a non-streamed reply always carries usage; a stream only where the server honours include_usage
    assert (reply.prompt_tokens, reply.completion_tokens, reply.usage_estimated) == (30, 12, False)


def test_structured_output_works_on_the_chosen_path(profiled: tuple[FakeOpenAI, tuple[object, ...], str]) -> None:
    server, expected, _ = profiled
    server.queue(json_content({"rows": []}, prompt_tokens=50, completion_tokens=4))
    streamed, reply = reply_of(chat(server).stream(MESSAGES, response_format=ROWS_FORMAT))
    assert json.loads(reply.content) == {"rows": []} and streamed == reply.content
    (request,) = server.requests
    json_schema, usage = expected[3], expected[5]
    if json_schema:
        assert request.body["response_format"] == ROWS_FORMAT and request.body["messages"] == MESSAGES
    else:  # JSON object mode, the schema in the (one, first) system message
        assert request.body["response_format"] == {"type": "json_object"}
        system, user = request.body["messages"]
        assert system["role"] == "system" and json.dumps(ROWS_SCHEMA) in system["content"]
        assert user == MESSAGES[1]
    assert request.body["max_tokens"] == DEFAULT_MAX_TOKENS
    assert reply.usage_estimated is not usage
    if usage:
        assert (reply.prompt_tokens, reply.completion_tokens) == (50, 4)


def test_the_probe_runs_once_per_endpoint_and_model() -> None:
    for server in server_for("llama_cpp_python"):
        first = chat(server).capabilities()
        probes = len(server.probe_requests)
        assert chat(server).capabilities() == first and len(server.probe_requests) == probes
        chat(server, model="other-model").capabilities()
        assert len(server.probe_requests) == 2 * probes


def test_the_llama_cpp_python_tools_path_keeps_the_tools_in_the_prompt() -> None:
    # llama-cpp-python leaves tools out of the prompt unless tool_choice is named; a request without it gets prose
    for server in server_for("llama_cpp_python"):
        server.queue(tool_calls([("lookup", {"ticker": "AAPL"})], content="prose"))
        _, reply = reply_of(chat(server).stream(MESSAGES, tools=[LOOKUP_TOOL]))
        assert reply.tool_calls and server.requests[0].body["tool_choice"] == "auto"
        assert not server.requests[0].body["stream"]


def test_a_reasoning_model_gets_max_completion_tokens_and_no_temperature() -> None:
    for server in server_for("openai_reasoning"):
        capabilities = chat(server).capabilities()
        assert (capabilities.token_parameter, capabilities.temperature, capabilities.path) == (
            "max_completion_tokens", False, RequestPath.STREAMED_TOOLS)
        assert capabilities.refusals == ()  # learnt from the refusals, not counted as missing support
        assert "Sends max_completion_tokens: the model refuses max_tokens." in capabilities.describe()
        server.queue(tool_calls([("lookup", {"ticker": "AAPL"})]))
        _, reply = reply_of(chat(server).stream(MESSAGES, tools=[LOOKUP_TOOL], max_tokens=64))
        assert reply.tool_calls
        (request,) = server.requests
        assert request.body["max_completion_tokens"] == 64
        assert "max_tokens" not in request.body and "temperature" not in request.body


def test_a_repeating_reply_is_stopped_early_and_said_so(fake_llm: FakeOpenAI) -> None:
    fake_llm.queue(repetition(LOOP, times=700))  # 38,500 characters, as a looping small model sends them
    streamed = ""
    with pytest.raises(RepeatedPhrase) as raised:
        for item in chat(fake_llm).stream(MESSAGES):
            streamed += item if isinstance(item, str) else ""
    message = str(raised.value)
    assert message.startswith(f"the model repeated {LOOP.strip()!r} ")
    times = int(message.split(f"{LOOP.strip()!r} ")[1].split(" times")[0])
    assert 20 <= times <= 25 and len(streamed) < 25 * len(LOOP)
    received = int(message.split("stopped after ")[1].split(" characters")[0].replace(",", ""))
    assert 0 < received - len(streamed) <= 4  # the piece that made it certain was not passed on


def test_a_repeating_reply_on_the_non_streamed_path_is_refused() -> None:
    for server in server_for("llama_cpp_python"):
        server.queue(tool_calls([("lookup", {"ticker": "AAPL"})], content=LOOP * 100))
        with pytest.raises(RepeatedPhrase, match="repeated 'The table is missing"):
            reply_of(chat(server).stream(MESSAGES, tools=[LOOKUP_TOOL]))


def test_an_echo_of_the_prompt_is_stopped_and_said_so(fake_llm: FakeOpenAI) -> None:
    prompt = ("Files in this run:\n- a.pdf (1,024 bytes)\nThe tools available: inspect_pdf, read_page_text, "
              "extract_with_llm, validate_rows. The deterministic readers read the known House and Senate formats "
              "without you. In two or three sentences, plan the run.")
    fake_llm.queue(echo())
    streamed = ""
    with pytest.raises(EchoedPrompt, match=r"the model echoed the prompt back instead of answering \('Files in this"):
        for item in chat(fake_llm).stream([MESSAGES[0], {"role": "user", "content": prompt}]):
            streamed += item if isinstance(item, str) else ""
    assert len(streamed) < 200 < len(prompt)


def test_an_answer_quoting_the_document_is_not_an_echo(fake_llm: FakeOpenAI) -> None:
    page = "Apple Inc. - Common Stock (AAPL) [ST] P 01/05/2024 01/20/2024 $1,001 - $15,000 " * 3
    rows = {"rows": [{"asset_name": "Apple Inc. - Common Stock", "ticker": "AAPL", "amount": "$1,001 - $15,000"}] * 3}
    fake_llm.queue(json_content(rows))
    _, reply = reply_of(chat(fake_llm).stream([MESSAGES[0], {"role": "user", "content": page}]))
    assert json.loads(reply.content) == rows


def test_a_stream_that_never_ends_is_stopped_by_the_time_limit(fake_llm: FakeOpenAI) -> None:
    fake_llm.queue(endless())
    streamed = ""
    with pytest.raises(CallTimedOut) as raised:
        for item in chat(fake_llm, timeout=30.0).stream(MESSAGES, time_limit=1):
            streamed += item if isinstance(item, str) else ""
    assert str(raised.value).startswith("the LLM call ran past its time limit of 1 s and was stopped mid-stream, "
                                        f"after {len(streamed):,} characters of reply")
    assert streamed.startswith("step 1. step 2. ")


def test_a_non_streamed_call_that_never_answers_is_stopped_by_the_time_limit() -> None:
    for server in server_for("llama_cpp_python"):
        server.queue(endless())
        with pytest.raises(CallTimedOut, match="time limit of 1 s and was stopped after 1 attempt"):
            reply_of(chat(server, timeout=30.0).stream(MESSAGES, tools=[LOOKUP_TOOL], time_limit=1))


def test_retries_stop_at_the_time_limit(fake_llm: FakeOpenAI) -> None:
    fake_llm.queue(error(503, "overloaded", retry_after=5))
    with pytest.raises(CallTimedOut, match=r"time limit of 2 s and was stopped before retry 1, the last attempt: "
                       r"503 overloaded"):
        reply_of(chat(fake_llm, max_retries=3).stream(MESSAGES, time_limit=2))


def test_a_server_error_is_one_line_without_the_key(fake_llm: FakeOpenAI) -> None:
    key = llm_config_for(fake_llm).api_key
    traceback = f'Traceback (most recent call last):\n  File "server.py", line 3\nValueError: bad key {key}'
    fake_llm.queue(error(400, traceback))
    with pytest.raises(LLMError) as raised:
        reply_of(chat(fake_llm).stream(MESSAGES))
    message = str(raised.value)
    assert message == "LLM endpoint refused the request (not retried): 400 ValueError: bad key [redacted]"


# The ReAct loop's second request: the model's tool call (with no text) and what the tool returned.
AFTER_A_TOOL_CALL = [*MESSAGES, {"role": "assistant", "content": None, "tool_calls": [
    {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"ticker": "AAPL"}'}}]},
                     {"role": "tool", "tool_call_id": "call_1", "content": "Apple Inc."}]


def test_a_validation_refusal_is_not_retried_and_said_in_one_line() -> None:
    # llama_cpp.server answers a request it cannot validate with HTTP 500, which is no transient failure
    for server in server_for("llama_cpp_python"):
        llm = chat(server, max_retries=3)
        with pytest.raises(RequestRefused) as raised:
            reply_of(llm.stream(AFTER_A_TOOL_CALL, tools=[LOOKUP_TOOL]))
        assert str(raised.value) == ("LLM endpoint refused the request (not retried): 500 messages[2].content: Input "
                                     "should be a valid string (got None)")
        assert len(server.requests) == 1
        assert llm.spent == Spend(calls=1)  # refused unread: a call, no tokens


def test_an_empty_content_beside_tool_calls_is_accepted() -> None:
    for server in server_for("llama_cpp_python"):
        server.queue(text("Apple Inc. is AAPL."))
        messages = [dict(message, content=message["content"] or "") for message in AFTER_A_TOOL_CALL]
        _, reply = reply_of(chat(server).stream(messages, tools=[LOOKUP_TOOL]))
        assert reply.content == "Apple Inc. is AAPL."


def test_every_call_that_sent_a_request_is_spent_answered_or_not(fake_llm: FakeOpenAI) -> None:
    fake_llm.queue(json_content({"rows": []}, prompt_tokens=50, completion_tokens=4), endless(),
                   *[error(500, "boom")] * 2)
    llm = chat(fake_llm, max_retries=1)
    reply_of(llm.stream(MESSAGES))
    assert llm.spent == Spend(calls=1, prompt_tokens=50, completion_tokens=4)
    streamed = ""
    with pytest.raises(CallTimedOut):
        for item in llm.stream(MESSAGES, time_limit=1):
            streamed += item if isinstance(item, str) else ""
    timed_out = llm.spent.since(Spend(calls=1, prompt_tokens=50, completion_tokens=4))
    assert (timed_out.calls, timed_out.estimated_calls) == (1, 1)  # no usage came: estimated
    assert timed_out.prompt_tokens > 0 and timed_out.completion_tokens == len(streamed) // 4 > 0
    with pytest.raises(LLMError, match="after 2 attempts: 500 boom"):
        reply_of(llm.stream(MESSAGES))
    assert (llm.spent.calls, llm.spent.estimated_calls) == (3, 2)  # one call, whatever its retries


def test_usage_is_estimated_and_marked_so_where_a_stream_reports_none() -> None:
    for server in server_for("llama_cpp_python"):
        server.queue(text("No trades on this page."))
        _, reply = reply_of(chat(server).stream(MESSAGES))
        assert reply.usage_estimated and reply.completion_tokens == len("No trades on this page.") // 4
        assert "stream_options" not in server.requests[0].body  # the probe found it reports none
