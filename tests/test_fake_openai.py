"""The fake server, proven against the real `openai` client it stands in for."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import openai
import pytest

from agent.run.capabilities import PROBE_PREFIX
from tests.fake_openai import (
    NO_REPLY_LEFT,
    FakeOpenAI,
    delay,
    echo,
    endless,
    error,
    json_content,
    repetition,
    text,
    tool_calls,
    truncated,
    vllm,
)

MESSAGES = [{"role": "user", "content": "List the trades."}]
LOOKUP_TOOL = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {"ticker": {"type": "string"}}}},
}


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    # close() must join every server thread, including one still holding a delayed reply.
    before = set(threading.enumerate())
    yield
    assert set(threading.enumerate()) - before == set()


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake
        fake.assert_all_consumed()  # every test uses exactly the replies it scripts


@pytest.fixture
def client(server: FakeOpenAI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0) as real_client:
        yield real_client


def ask(client: openai.OpenAI, **options: Any) -> Any:
    return client.chat.completions.create(model="test-model", messages=MESSAGES, **options)


def reassemble(chunks: Any) -> tuple[str, dict[int, dict[str, str]], list[str | None]]:
    """Join streamed deltas the way a streaming consumer must: content, tool calls by index, finish reasons."""
    content, calls, finish_reasons = "", {}, []
    for chunk in chunks:
        for choice in chunk.choices:
            content += choice.delta.content or ""
            for delta in choice.delta.tool_calls or []:
                call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                call["id"] += delta.id or ""
                call["name"] += delta.function.name or ""
                call["arguments"] += delta.function.arguments or ""
            finish_reasons.append(choice.finish_reason)
    return content, calls, finish_reasons


def test_text_reply_echoes_model_and_reports_usage(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(text("No trades found.", prompt_tokens=12, completion_tokens=4))
    completion = ask(client)
    assert completion.choices[0].message.content == "No trades found."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "test-model"
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (12, 4, 16)


def test_tool_calls_are_parsed_by_the_client(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(tool_calls([("lookup", {"ticker": "AAPL"}), ("lookup", {"ticker": "MSFT"})]))
    choice = ask(client, tools=[LOOKUP_TOOL]).choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert [(call.id, call.function.name) for call in calls] == [("call_1", "lookup"), ("call_2", "lookup")]
    assert json.loads(choice.message.tool_calls[0].function.arguments) == {"ticker": "AAPL"}


def test_malformed_tool_arguments_pass_through_verbatim(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(tool_calls([("lookup", '{"ticker": "AAPL",')]))
    assert ask(client).choices[0].message.tool_calls[0].function.arguments == '{"ticker": "AAPL",'


def test_streamed_text_arrives_in_several_chunks(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(text("Purchase of 100 shares of AAPL on 2024-01-05."))
    chunks = list(ask(client, stream=True))
    content, calls, finish_reasons = reassemble(chunks)
    assert content == "Purchase of 100 shares of AAPL on 2024-01-05."
    assert calls == {}
    assert finish_reasons[-1] == "stop" and len(chunks) > 3
    assert all(chunk.usage is None and chunk.model == "test-model" for chunk in chunks)


def test_streamed_tool_calls_reassemble_from_chunks(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(tool_calls([("lookup", {"ticker": "AAPL"}), ("report", "{not json")]))
    content, calls, finish_reasons = reassemble(ask(client, stream=True, tools=[LOOKUP_TOOL]))
    assert calls == {
        0: {"id": "call_1", "name": "lookup", "arguments": '{"ticker": "AAPL"}'},
        1: {"id": "call_2", "name": "report", "arguments": "{not json"},
    }
    assert finish_reasons[-1] == "tool_calls"


def test_streamed_usage_comes_last_when_requested(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(text("Done.", prompt_tokens=7, completion_tokens=2))
    *deltas, usage_chunk = ask(client, stream=True, stream_options={"include_usage": True})
    assert usage_chunk.choices == [] and usage_chunk.usage.total_tokens == 9
    assert all(chunk.usage is None for chunk in deltas)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (429, "Rate limit reached", openai.RateLimitError),
        (500, "The server had an error", openai.InternalServerError),
        (503, "The engine is overloaded", openai.InternalServerError),
        (400, "tools not supported", openai.BadRequestError),
    ],
    ids=["rate-limit", "server-error", "overloaded", "no-tool-support"],
)
def test_error_reply_raises_the_client_error(
    server: FakeOpenAI, client: openai.OpenAI, stream: bool, status: int, message: str, expected: type[Exception]
) -> None:
    server.queue(error(status, message))
    with pytest.raises(expected) as raised:
        ask(client, stream=stream)
    assert raised.value.status_code == status
    assert raised.value.body["message"] == message


def test_client_retry_after_429_consumes_the_next_reply(server: FakeOpenAI) -> None:
    server.queue(error(429, "Rate limit reached", retry_after=0.01), text("second try"))
    with openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=1) as retrying_client:
        assert ask(retrying_client).choices[0].message.content == "second try"
    assert [request.headers["x-stainless-retry-count"] for request in server.requests] == ["0", "1"]


def test_429_carries_retry_after_header(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(error(429, "Rate limit reached", retry_after=2))
    with pytest.raises(openai.RateLimitError) as raised:
        ask(client)
    assert raised.value.response.headers["retry-after"] == "2"
    assert raised.value.code == "rate_limit_exceeded"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_delay_beyond_client_timeout_times_out(server: FakeOpenAI, client: openai.OpenAI, stream: bool) -> None:
    server.queue(delay(0.5, then=text("too late")))
    with pytest.raises(openai.APITimeoutError):
        ask(client, stream=stream, timeout=0.2)


def test_delay_within_client_timeout_answers_with_the_wrapped_reply(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(delay(0.05, then=tool_calls([("lookup", {"ticker": "AAPL"})])))
    assert ask(client, timeout=2).choices[0].message.tool_calls[0].function.name == "lookup"


def test_close_does_not_wait_for_a_pending_delayed_reply() -> None:
    with FakeOpenAI() as server, openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
        server.queue(delay(30, then=text("never sent")))
        with pytest.raises(openai.APITimeoutError):
            ask(client, timeout=0.1)
        started = time.monotonic()
    assert time.monotonic() - started < 1
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", urlsplit(server.base_url).port), timeout=1).close()


def test_json_content_answers_a_json_schema_request(server: FakeOpenAI, client: openai.OpenAI) -> None:
    trades = {"trades": [{"ticker": "AAPL", "type": "P", "amount": "$1,001 - $15,000"}]}
    schema = {"type": "object", "properties": {"trades": {"type": "array"}}, "required": ["trades"]}
    server.queue(json_content(trades))
    response_format = {"type": "json_schema", "json_schema": {"name": "trades", "schema": schema, "strict": True}}
    completion = ask(client, response_format=response_format)
    assert json.loads(completion.choices[0].message.content) == trades
    assert server.requests[0].body["response_format"] == response_format


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_truncated_reply_finishes_with_length(server: FakeOpenAI, client: openai.OpenAI, stream: bool) -> None:
    server.queue(truncated('{"trades": [{"tick'))
    if stream:
        content, _, finish_reasons = reassemble(ask(client, stream=True))
        finish_reason = finish_reasons[-1]
    else:
        choice = ask(client).choices[0]
        content, finish_reason = choice.message.content, choice.finish_reason
    assert (content, finish_reason) == ('{"trades": [{"tick', "length")


def test_cut_body_is_invalid_json(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(truncated("partial answer", cut_body=True))
    with pytest.raises(json.JSONDecodeError):
        ask(client)


def test_cut_stream_ends_without_a_finish_reason(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(truncated("a long partial answer that the stream drops", cut_body=True))
    content, _, finish_reasons = reassemble(ask(client, stream=True))
    assert "a long partial answer that the stream drops".startswith(content)
    assert set(finish_reasons) == {None}


def test_requests_are_recorded_with_body_and_headers(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(text("one"), text("two"))
    ask(client, temperature=0, tools=[LOOKUP_TOOL])
    client.chat.completions.create(model="other-model", messages=MESSAGES)
    first, second = server.requests
    assert (first.method, first.path) == ("POST", "/v1/chat/completions")
    assert (first.body["model"], first.body["temperature"], first.body["tools"]) == ("test-model", 0, [LOOKUP_TOOL])
    assert first.body["messages"] == MESSAGES
    assert first.headers["authorization"] == "Bearer test-key"
    assert second.body["model"] == "other-model" and "temperature" not in second.body


def test_models_endpoint_lists_one_model(client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == ["fake-model"]


def test_assert_all_consumed_names_the_unused_reply() -> None:
    with FakeOpenAI() as server:
        server.queue(text("used"), text("left over"))
        with openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0) as client:
            ask(client)
        with pytest.raises(AssertionError, match="1 scripted reply never requested.*left over"):
            server.assert_all_consumed()


def test_request_with_empty_queue_fails_clearly() -> None:
    with FakeOpenAI() as server, openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
        with pytest.raises(openai.InternalServerError, match=NO_REPLY_LEFT):
            ask(client)
        assert [request.body["model"] for request in server.unexpected_requests] == ["test-model"]
        with pytest.raises(AssertionError, match="1 unexpected request.*POST /v1/chat/completions"):
            server.assert_all_consumed()


def test_unknown_path_is_a_404_and_unexpected() -> None:
    with FakeOpenAI() as server, openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
        with pytest.raises(openai.NotFoundError):
            client.embeddings.create(model="test-model", input="AAPL")
        assert [request.path for request in server.unexpected_requests] == ["/v1/embeddings"]


def test_an_unknown_profile_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="no server profile 'lmstudio'; the profiles are openai, llama_cpp_python"):
        FakeOpenAI("lmstudio")


def test_llama_cpp_python_refuses_streamed_auto_tool_choice_and_json_schema_as_it_does() -> None:
    with FakeOpenAI("llama_cpp_python") as server, openai.OpenAI(base_url=server.base_url, api_key="k",
                                                                max_retries=0) as client:
        server.queue(tool_calls([("lookup", {"ticker": "AAPL"})]))
        # 200 and an empty event stream, then the connection is gone: the next request on it is reset
        assert list(ask(client, stream=True, tools=[LOOKUP_TOOL], tool_choice="auto")) == []
        with pytest.raises(openai.APIConnectionError):
            ask(client)
        schema_format = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
        with pytest.raises(openai.InternalServerError, match="Input should be 'text' or 'json_object'") as raised:
            ask(client, response_format=schema_format)
        assert raised.value.body["type"] == "internal_server_error" and "llama_cpp/server/app.py" in str(raised.value)
        # without tool_choice the tools never reach the model, which answers in prose; the refusals consumed nothing
        choice = ask(client, tools=[LOOKUP_TOOL]).choices[0]
        assert choice.message.tool_calls is None and choice.finish_reason == "stop"
        server.assert_all_consumed()
        assert len(server.requests) == 3  # the one on the broken connection was reset unread


def test_llama_cpp_python_streams_no_usage_even_when_asked() -> None:
    with FakeOpenAI("llama_cpp_python") as server, openai.OpenAI(base_url=server.base_url, api_key="k",
                                                                max_retries=0) as client:
        server.queue(text("Done."), text("Done."))
        assert all(chunk.usage is None for chunk in ask(client, stream=True, stream_options={"include_usage": True}))
        assert ask(client).usage.total_tokens == 15


def test_vllm_errors_are_a_top_level_object() -> None:
    with FakeOpenAI(vllm(auto_tool_choice=False)) as server, openai.OpenAI(base_url=server.base_url, api_key="k",
                                                                          max_retries=0) as client:
        with pytest.raises(openai.BadRequestError) as raised:
            ask(client, tools=[LOOKUP_TOOL])
        assert raised.value.body == {"object": "error", "message": '"auto" tool choice requires '
                                     "--enable-auto-tool-choice and --tool-call-parser to be set",
                                     "type": "BadRequestError", "param": None, "code": 400}


def test_ollama_streams_each_tool_call_whole() -> None:
    with FakeOpenAI("ollama") as server, openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
        server.queue(tool_calls([("lookup", {"ticker": "AAPL"})]))
        chunks = list(ask(client, stream=True, tools=[LOOKUP_TOOL]))
        deltas = [call for chunk in chunks for choice in chunk.choices for call in choice.delta.tool_calls or ()]
        assert [(d.function.name, d.function.arguments) for d in deltas] == [("lookup", '{"ticker": "AAPL"}')]


def test_probes_are_answered_by_the_profile_and_kept_apart(server: FakeOpenAI, client: openai.OpenAI) -> None:
    probe = [{"role": "user", "content": f"{PROBE_PREFIX} call the tool ping."}]
    tool = {"type": "function", "function": {"name": "ping", "parameters": {"type": "object", "properties": {}}}}
    completion = client.chat.completions.create(model="m", messages=probe, tools=[tool], tool_choice="auto")
    assert completion.choices[0].message.tool_calls[0].function.name == "ping"
    assert server.requests == [] and len(server.probe_requests) == 1


def test_echo_answers_with_the_last_user_message(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(echo())
    assert ask(client).choices[0].message.content == MESSAGES[-1]["content"]


def test_repetition_loops_until_the_token_limit(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(repetition("The table is missing. ", times=50))
    content, _, finish_reasons = reassemble(ask(client, stream=True))
    assert content == "The table is missing. " * 50 and finish_reasons[-1] == "length"


def test_an_endless_stream_runs_until_the_client_closes_it(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.queue(endless())
    with ask(client, stream=True) as chunks:
        pieces = [chunk.choices[0].delta.content for chunk, _ in zip(chunks, range(200), strict=False)]
    assert pieces[:3] == ["step 1. ", "step 2. ", "step 3. "] and len(pieces) == 200
    # closing the stream hung up on the server, whose thread ended (no_leaked_threads checks it)
