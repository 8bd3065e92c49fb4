"""A scripted OpenAI-compatible HTTP server for tests.

TradeTrace talks to its LLM through the real `openai` package over HTTP. This is the
project's only test double: it stands at that edge, so everything on our side of the
wire (the client, its retries, timeouts and stream parsing) runs for real.

    with FakeOpenAI() as server:
        server.queue(text("hello"), tool_calls([("lookup", {"ticker": "AAPL"})]))
        client = openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0)
        ...
        server.assert_all_consumed()

Each POST /v1/chat/completions consumes exactly one queued reply, in order. A request
with `"stream": true` gets the same reply as Server-Sent Events, chunked the way OpenAI
chunks them. Standard library only, but for the marker of the client's capability probes.

Server profiles. `FakeOpenAI(profile=...)` behaves like one server where servers differ:
which request shapes it refuses (and with which status and error body), whether tools
reach the model, whether a stream reports usage, how tool calls are streamed. A refused
request is answered with the server's own error and consumes no scripted reply. The
client's capability probes (agent/run/capabilities.py, prompts starting with PROBE_PREFIX)
are answered by the profile, never from the queue, and recorded in `probe_requests`.

- `openai` (the default): the OpenAI API; everything supported.
- `llama_cpp_python`: llama-cpp-python's `llama_cpp.server` with `--chat_format
  chatml-function-calling`. Tools reach the prompt only when the request names
  `tool_choice`; streamed `"auto"` tool choice raises "Automatic streaming tool choice is
  not supported" (llama_cpp/llama_chat_format.py, chatml_function_calling) inside the
  event stream, so the client gets 200, an empty stream and a closed connection;
  `response_format` accepts only `text` and `json_object` (llama_cpp/llama_types.py), and
  the route handler sends the validation error as HTTP 500 with the error list and a
  traceback line as the message (llama_cpp/server/errors.py, RouteErrorHandler); so is an
  assistant message with `"content": null` beside its `tool_calls` (the message union's
  seven errors: content must be a string; `""` is accepted); usage only in non-streamed
  replies (abetlen/llama-cpp-python#1082, #1640). All of it as llama-cpp-python 0.3.36
  answered, with SmolLM2-135M-Instruct.
- `llama_server`: llama.cpp's `llama-server` (tools/server/README.md, "POST
  /v1/chat/completions"): `response_format` `json_object` and `json_schema` are
  schema-constrained; tools, streamed too, need `--jinja` (docs/function-calling.md), and
  without it a request with tools gets HTTP 500 "tools param requires --jinja flag";
  streams report usage when `stream_options.include_usage` asks (ggml-org/llama.cpp#12102,
  #22081); errors are `{"error": {"code", "message", "type"}}`.
- `openai_reasoning`: the OpenAI API with a reasoning model: `max_tokens` refused for
  `max_completion_tokens`, temperature refused but for the default.
- `ollama`: Ollama's OpenAI compatibility (docs.ollama.com/api/openai-compatibility,
  openai/openai.go): tools, streamed since 0.8 (ollama.com/blog/streaming-tool) with each
  call sent whole in one chunk; `tool_choice` is not read; `json_object` and `json_schema`
  become its `format`; `stream_options.include_usage` honoured; a model without tool
  support answers HTTP 400 "... does not support tools".
- `vllm`: vLLM's OpenAI server (docs.vllm.ai, features/tool_calling): named, `auto`
  (only with `--enable-auto-tool-choice`, otherwise HTTP 400), `required` and `none`
  tool choice, tools default to `auto`; guided JSON through `response_format`
  `json_schema`; `stream_options.include_usage`; errors are a top-level
  `{"object": "error", "message", "type", "param", "code"}`.

A reply may be `computed(function)`: made from the request's body when it arrives (a model that
restates the tool results it was sent).

Degenerate replies: `echo()` (the prompt's last user message sent back), `repetition()`
(one phrase over and over), `endless()` (a stream that sends chunks until the client
closes it).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agent.run.capabilities import PROBE_PREFIX

LISTED_MODEL = "fake-model"
"""The one model GET /v1/models lists."""

NO_REPLY_LEFT = "fake server: no scripted reply left"

# OpenAI streams roughly one token per chunk; four characters is about one token.
_STREAM_PIECE_CHARS = 4


@dataclass(frozen=True)
class TextReply:
    """An assistant message with text content; see `text`, `json_content`, `truncated`."""

    content: str
    finish_reason: str = "stop"
    prompt_tokens: int = 10
    completion_tokens: int = 5
    cut_body: bool = False


@dataclass(frozen=True)
class ToolCall:
    """One function call; `arguments` is sent verbatim, so it may be malformed JSON."""

    name: str
    arguments: str


@dataclass(frozen=True)
class ToolCallsReply:
    """An assistant message that calls tools (finish_reason "tool_calls"); see `tool_calls`."""

    calls: tuple[ToolCall, ...]
    content: str | None = None
    prompt_tokens: int = 10
    completion_tokens: int = 5


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error with an OpenAI-style error body; see `error`."""

    status: int
    message: str
    type: str
    code: str | None
    retry_after: float | None = None


@dataclass(frozen=True)
class DelayReply:
    """Wait `seconds` before answering with `then`; see `delay`."""

    seconds: float
    then: Reply


@dataclass(frozen=True)
class EchoReply:
    """The request's last user message sent back as the answer; see `echo`."""


@dataclass(frozen=True)
class EndlessReply:
    """A stream of numbered, never-repeating pieces that ends only when the client closes it; see `endless`."""

    interval: float = 0.001


@dataclass(frozen=True)
class ComputedReply:
    """A reply worked out from the request it answers (its messages, e.g. the tool results a model restates); see
    `computed`."""

    compute: Callable[[dict[str, Any]], Reply]


Reply = TextReply | ToolCallsReply | ErrorReply | DelayReply | EchoReply | EndlessReply | ComputedReply


def text(content: str, *, prompt_tokens: int = 10, completion_tokens: int = 5) -> TextReply:
    """A normal assistant message."""
    return TextReply(content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


def json_content(obj: Any, *, prompt_tokens: int = 10, completion_tokens: int = 5) -> TextReply:
    """An assistant message whose content is the JSON text of `obj` (structured output)."""
    return text(json.dumps(obj), prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


def tool_calls(
    calls: Sequence[tuple[str, dict[str, Any] | str]],
    *,
    content: str | None = None,
    prompt_tokens: int = 10,
    completion_tokens: int = 5,
) -> ToolCallsReply:
    """Calls to the named tools; dict arguments are JSON-encoded, strings are sent as they are."""
    return ToolCallsReply(
        tuple(
            ToolCall(name, arguments if isinstance(arguments, str) else json.dumps(arguments))
            for name, arguments in calls
        ),
        content=content,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
    )


def error(status: int, message: str, *, retry_after: float | None = None) -> ErrorReply:
    """An HTTP error such as 429 (with a Retry-After header), 500, 503 or 400."""
    if status == 429:
        return ErrorReply(status, message, "requests", "rate_limit_exceeded", retry_after)
    if status >= 500:
        return ErrorReply(status, message, "server_error", None, retry_after)
    return ErrorReply(status, message, "invalid_request_error", None, retry_after)


def delay(seconds: float, then: Reply) -> DelayReply:
    """Answer `then` after `seconds`, to make the client time out. Closing the server cuts the wait."""
    return DelayReply(seconds, then)


def truncated(
    partial_content: str, *, cut_body: bool = False, prompt_tokens: int = 10, completion_tokens: int = 5
) -> TextReply:
    """A reply cut short: finish_reason "length" with the partial content.

    With `cut_body=True` the HTTP body itself stops halfway: a non-streamed body is then
    invalid JSON, and a stream ends mid-event without its final chunk or `[DONE]`.
    """
    return TextReply(
        partial_content,
        finish_reason="length",
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cut_body=cut_body,
    )


def echo() -> EchoReply:
    """A model that answers with the prompt itself."""
    return EchoReply()


def repetition(phrase: str, times: int = 1000) -> TextReply:
    """A model stuck in a loop: `phrase` `times` times, cut off at its token limit."""
    return TextReply(phrase * times, finish_reason="length", completion_tokens=len(phrase) * times // 4)


def computed(compute: Callable[[dict[str, Any]], Reply]) -> ComputedReply:
    """A reply made when its request arrives: `compute` gets the request's JSON body and returns the reply."""
    return ComputedReply(compute)


def endless(interval: float = 0.001) -> EndlessReply:
    """A stream that never finishes: a new piece every `interval` seconds until the client closes the connection.
    A non-streamed request gets no answer at all (the client times out)."""
    return EndlessReply(interval)


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received: `body` is the parsed JSON (None when there was none)."""

    method: str
    path: str
    headers: dict[str, str]
    """Header names are lower-cased, e.g. `headers["authorization"]`."""
    body: Any


Body = dict[str, Any]


@dataclass(frozen=True)
class HangUp:
    """200 with an event stream that ends at once, no event in it, and the connection broken behind it (the next
    request on it is reset): what llama-cpp-python 0.3.36 does when the generation fails after the response began."""


HANG_UP = HangUp()


@dataclass(frozen=True)
class ServerProfile:
    """How one OpenAI-compatible server treats the request shapes servers disagree on (see the module doc)."""

    name: str
    refuse: Callable[[Body], ErrorReply | HangUp | None] = lambda body: None
    """How the server answers a request shape it does not take (an error, or hanging up), or None."""
    tools_reach_model: Callable[[Body], bool] = lambda body: True
    """False where the server leaves the request's tools out of the prompt: the model then answers in prose."""
    stream_usage: bool = True
    """Honours `stream_options.include_usage` with a last chunk carrying the usage."""
    whole_tool_calls: bool = False
    """Streams each tool call in one chunk, arguments complete (Ollama), rather than in pieces."""
    error_body: Callable[[ErrorReply], Any] = lambda reply: {
        "error": {"message": reply.message, "type": reply.type, "param": None, "code": reply.code}}


def _format_type(body: Body) -> str | None:
    return (body.get("response_format") or {}).get("type")


def _has_tools(body: Body) -> bool:
    return bool(body.get("tools"))


_LLAMA_CPP_WHERE = ('  File "/srv/venv/lib/python3.11/site-packages/llama_cpp/server/app.py", line 376, in '
                    "create_chat_completion\n    POST /v1/chat/completions")


def _llama_cpp_validation_error(details: list[dict[str, Any]]) -> ErrorReply:
    """FastAPI's validation error, caught by the server's RouteErrorHandler and sent as a 500 with its text."""
    listed = "\n".join(f"  {detail}" for detail in details)
    count = f"{len(details)} validation error{'s' if len(details) > 1 else ''}"
    return ErrorReply(500, f"{count}:\n{listed}\n\n{_LLAMA_CPP_WHERE}", "internal_server_error", None)


def _null_content_errors(index: int, message: Body) -> list[dict[str, Any]]:
    """What llama_cpp.server 0.3.36 lists for an assistant message whose content is null: the message is checked
    against every kind of chat message, and each kind's errors are listed (as it answered, with curl)."""
    def where(kind: str, name: str) -> tuple[object, ...]:
        return ("body", "messages", index, f"ChatCompletionRequest{kind}Message", name)

    def wrong_role(kind: str, role: str) -> dict[str, Any]:
        return {"type": "literal_error", "loc": where(kind, "role"), "msg": f"Input should be '{role}'",
                "input": "assistant", "ctx": {"expected": f"'{role}'"}}

    return [wrong_role("System", "system"), wrong_role("User", "user"),
            {"type": "string_type", "loc": where("Assistant", "content"), "msg": "Input should be a valid string",
             "input": None},
            wrong_role("Tool", "tool"),
            {"type": "missing", "loc": where("Tool", "tool_call_id"), "msg": "Field required", "input": message},
            wrong_role("Function", "function"),
            {"type": "missing", "loc": where("Function", "name"), "msg": "Field required", "input": message}]


def _llama_cpp_python_refuses(body: Body) -> ErrorReply | HangUp | None:
    if _format_type(body) not in (None, "text", "json_object"):
        return _llama_cpp_validation_error([{
            "type": "literal_error", "loc": ("body", "response_format", "type"),
            "msg": "Input should be 'text' or 'json_object'", "input": _format_type(body),
            "ctx": {"expected": "'text' or 'json_object'"}}])
    for index, message in enumerate(body.get("messages", ())):
        if message.get("role") == "assistant" and message.get("content") is None:
            return _llama_cpp_validation_error(_null_content_errors(index, message))
    if body.get("stream") and _has_tools(body) and body.get("tool_choice") == "auto":
        return HANG_UP  # its "Automatic streaming tool choice is not supported" raises inside the event stream
    return None


def _sends_tool_choice(body: Body) -> bool:
    return body.get("tool_choice") not in (None, "none")


def llama_cpp_python() -> ServerProfile:
    return ServerProfile("llama_cpp_python", refuse=_llama_cpp_python_refuses, tools_reach_model=_sends_tool_choice,
                         stream_usage=False)


def llama_server(*, jinja: bool = True) -> ServerProfile:
    """llama.cpp's server, started with `--jinja` (tools work) or without it (tools refused)."""

    def refuse(body: Body) -> ErrorReply | None:
        if jinja:
            return None
        if _has_tools(body):
            return ErrorReply(500, "tools param requires --jinja flag", "server_error", None)
        if body.get("tool_choice") not in (None, "auto"):
            return ErrorReply(500, "tool_choice param requires --jinja flag", "server_error", None)
        return None

    return ServerProfile("llama_server", refuse=refuse, error_body=lambda reply: {
        "error": {"code": reply.status, "message": reply.message, "type": reply.type}})


def ollama(*, model_has_tools: bool = True) -> ServerProfile:
    """Ollama serving a model with tool support in its template, or without."""

    def refuse(body: Body) -> ErrorReply | None:
        if _has_tools(body) and not model_has_tools:
            model = body.get("model", LISTED_MODEL)
            return ErrorReply(400, f"registry.ollama.ai/library/{model}:latest does not support tools",
                              "invalid_request_error", None)
        return None

    return ServerProfile("ollama", refuse=refuse, whole_tool_calls=True)


def vllm(*, auto_tool_choice: bool = True) -> ServerProfile:
    """vLLM, started with `--enable-auto-tool-choice --tool-call-parser ...` or without."""

    def refuse(body: Body) -> ErrorReply | None:
        if _has_tools(body) and body.get("tool_choice", "auto") == "auto" and not auto_tool_choice:
            return ErrorReply(400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser '
                              "to be set", "BadRequestError", None)
        return None

    return ServerProfile("vllm", refuse=refuse, error_body=lambda reply: {
        "object": "error", "message": reply.message, "type": reply.type, "param": None, "code": reply.status})


def openai_reasoning() -> ServerProfile:
    """The OpenAI API serving a reasoning model (o-series, gpt-5): `max_tokens` is refused for
    `max_completion_tokens` and any temperature but the default 1, with the API's codes and the field in `param`
    (platform.openai.com/docs/guides/reasoning; the messages as the API sends them)."""

    def refuse(body: Body) -> ErrorReply | None:
        if "max_tokens" in body:
            return ErrorReply(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                              "'max_completion_tokens' instead.", "invalid_request_error", "unsupported_parameter")
        if body.get("temperature", 1) != 1:
            return ErrorReply(400, f"Unsupported value: 'temperature' does not support {body['temperature']} with "
                              "this model. Only the default (1) value is supported.", "invalid_request_error",
                              "unsupported_value")
        return None

    return ServerProfile("openai_reasoning", refuse=refuse, error_body=lambda reply: {"error": {
        "message": reply.message, "type": reply.type, "param": reply.message.split("'")[1], "code": reply.code}})


PROFILES: dict[str, Callable[[], ServerProfile]] = {
    "openai": lambda: ServerProfile("openai"), "llama_cpp_python": llama_cpp_python, "llama_server": llama_server,
    "ollama": ollama, "vllm": vllm, "openai_reasoning": openai_reasoning}
"""Each profile by name, with the server's usual flags."""


def _is_probe(body: Body) -> bool:
    return any(str(message.get("content") or "").startswith(PROBE_PREFIX) for message in body.get("messages", ()))


def _probe_answer(profile: ServerProfile, body: Body) -> TextReply | ToolCallsReply:
    """What an obedient model answers a capability probe with, on this server."""
    if _has_tools(body) and profile.tools_reach_model(body):
        return ToolCallsReply((ToolCall(body["tools"][0]["function"]["name"], "{}"),), completion_tokens=3)
    if _format_type(body) in ("json_object", "json_schema"):
        return text('{"ok": true}', completion_tokens=4)
    return text("ok", completion_tokens=1)



class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1 (free port) that answers from a reply queue.

    It starts serving on construction; use it as a context manager or call `close()`. `profile` is a name in
    PROFILES or a ServerProfile (e.g. `llama_server(jinja=False)`).
    """

    _instances = itertools.count(1)

    def __init__(self, profile: str | ServerProfile = "openai") -> None:
        if isinstance(profile, str) and profile not in PROFILES:
            raise ValueError(f"FakeOpenAI: no server profile {profile!r}; the profiles are {', '.join(PROFILES)}")
        self.profile = PROFILES[profile]() if isinstance(profile, str) else profile
        self.requests: list[RecordedRequest] = []
        """Every POST /v1/chat/completions but the capability probes, in the order received."""
        self.probe_requests: list[RecordedRequest] = []
        """The client's capability probes, answered by the profile."""
        self.unexpected_requests: list[RecordedRequest] = []
        """Requests the script did not allow for: unknown paths, or POSTs after the queue ran out."""
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._completion_ids = itertools.count(1)
        self._call_ids = itertools.count(1)
        self._http = _HTTPServer(self)
        host, port = self._http.server_address[:2]
        # A path of its own, so that a later server on a reused port is a new endpoint to the client's probe cache.
        self.path_prefix = f"/fake{next(self._instances)}"
        self.base_url = f"http://{host}:{port}{self.path_prefix}/v1"
        # A short poll interval because close() waits up to one interval for the serve loop to notice.
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.01}, name=f"FakeOpenAI:{port}", daemon=True
        )
        self._thread.start()

    def queue(self, *replies: Reply) -> None:
        """Append replies; each later chat-completion request consumes the next one."""
        with self._lock:
            self._replies.extend(replies)

    def assert_all_consumed(self) -> None:
        """Fail, naming them, if scripted replies were never requested or requests were unexpected."""
        with self._lock:
            unused, unexpected = list(self._replies), list(self.unexpected_requests)
        problems = []
        if unused:
            replies = "reply" if len(unused) == 1 else "replies"
            problems.append(f"{len(unused)} scripted {replies} never requested: {unused}")
        if unexpected:
            listed = ", ".join(f"{request.method} {request.path}" for request in unexpected)
            problems.append(f"{len(unexpected)} unexpected request(s): {listed}")
        if problems:
            raise AssertionError("FakeOpenAI: " + "; ".join(problems))

    def close(self) -> None:
        """Stop serving and wait for every connection thread, even one holding a delayed reply."""
        if self._closing.is_set():
            return
        self._closing.set()  # wakes delayed replies so their threads can finish
        self._http.shutdown()
        self._http.disconnect_clients()  # idle keep-alive connections would otherwise block their threads
        self._http.server_close()  # joins the connection threads
        self._thread.join()

    def __enter__(self) -> FakeOpenAI:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _take_reply(self, request: RecordedRequest) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            if self._replies:
                return self._replies.popleft()
            self.unexpected_requests.append(request)
            return None

    def _record_unexpected(self, request: RecordedRequest) -> None:
        with self._lock:
            self.unexpected_requests.append(request)

    def _record(self, request: RecordedRequest, *, probe: bool) -> None:
        with self._lock:
            (self.probe_requests if probe else self.requests).append(request)


class _HTTPServer(ThreadingHTTPServer):
    # Non-daemon connection threads so that server_close() joins them: nothing outlives close().
    daemon_threads = False
    block_on_close = True

    def __init__(self, fake: FakeOpenAI) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def disconnect_clients(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or a close() mid-reply leaves a dead socket; that is expected.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked streams like the real API
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        request = self._record(body=None)
        if request.path == "/v1/models":
            model = {"id": LISTED_MODEL, "object": "model", "created": 0, "owned_by": "fake-openai"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._not_found(request)

    _hung_up = False

    def do_POST(self) -> None:
        raw_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self._hung_up:  # the next request on a connection the server broke is reset, unanswered
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        request = self._record(body=json.loads(raw_body) if raw_body else None)
        if request.path != "/v1/chat/completions":
            self._not_found(request)
            return
        fake = self.server.fake
        probe, refusal = _is_probe(request.body), fake.profile.refuse(request.body)
        if probe or refusal:  # answered by the server itself: no scripted reply is consumed
            fake._record(request, probe=probe)
            self._answer(refusal or _probe_answer(fake.profile, request.body), request.body)
            return
        reply = fake._take_reply(request)
        if reply is None:
            self._send_error(error(500, NO_REPLY_LEFT))
            return
        self._answer(reply, request.body)

    def _record(self, body: Any) -> RecordedRequest:
        headers = {name.lower(): value for name, value in self.headers.items()}
        prefix = self.server.fake.path_prefix
        path = self.path.removeprefix(prefix) if self.path.startswith(f"{prefix}/") else self.path
        return RecordedRequest(self.command, path, headers, body)

    def _not_found(self, request: RecordedRequest) -> None:
        self.server.fake._record_unexpected(request)
        self._send_error(error(404, f"fake server: no route for {request.method} {request.path}"))

    def _answer(self, reply: Reply | HangUp, request_body: Body) -> None:
        fake = self.server.fake
        if isinstance(reply, ComputedReply):
            reply = reply.compute(request_body)
        while isinstance(reply, DelayReply):
            if fake._closing.wait(reply.seconds):
                self.close_connection = True  # shutting down: drop the request unanswered
                return
            reply = reply.then
        if isinstance(reply, ErrorReply):
            self._send_error(reply)
            return
        if isinstance(reply, HangUp):
            self._start_stream()
            self.wfile.write(b"0\r\n\r\n")
            self._hung_up = True  # the connection is broken now, but the client does not know it yet
            return
        if isinstance(reply, EndlessReply):
            self._send_endless(reply, request_body)
            return
        if isinstance(reply, EchoReply):
            users = [m for m in request_body.get("messages", ()) if m.get("role") == "user"]
            reply = text(str(users[-1].get("content") or "") if users else "")
        if isinstance(reply, ToolCallsReply) and not fake.profile.tools_reach_model(request_body):
            reply = text(reply.content or "", prompt_tokens=reply.prompt_tokens)  # it never saw the tools
        completion_id = f"chatcmpl-fake-{next(fake._completion_ids)}"
        completion = _Completion.of(reply, completion_id, request_body.get("model", LISTED_MODEL), fake._call_ids)
        cut_body = isinstance(reply, TextReply) and reply.cut_body
        if request_body.get("stream"):
            asked = bool((request_body.get("stream_options") or {}).get("include_usage"))
            chunks = completion.chunks(asked and fake.profile.stream_usage, fake.profile.whole_tool_calls)
            self._send_stream(chunks, cut_body=cut_body)
        else:
            self._send_json(200, completion.as_json(), cut_body=cut_body)

    def _send_json(
        self, status: int, payload: Any, *, cut_body: bool = False, headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(payload).encode()
        if cut_body:
            body = body[: len(body) // 2]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_error(self, reply: ErrorReply) -> None:
        headers = {} if reply.retry_after is None else {"Retry-After": f"{reply.retry_after:g}"}
        self._send_json(reply.status, self.server.fake.profile.error_body(reply), headers=headers)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _send_event(self, event: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
        self.wfile.flush()

    def _send_stream(self, chunks: list[dict[str, Any]], *, cut_body: bool) -> None:
        events = [f"data: {json.dumps(chunk)}\n\n".encode() for chunk in chunks]
        events.append(b"data: [DONE]\n\n")
        if cut_body:
            whole = b"".join(events)
            events = [whole[: len(whole) // 2]]
        self._start_stream()
        for event in events:
            self._send_event(event)
        self.wfile.write(b"0\r\n\r\n")

    def _send_endless(self, reply: EndlessReply, request_body: Body) -> None:
        closing = self.server.fake._closing
        if not request_body.get("stream"):
            closing.wait()  # generating forever, so never answering
            self.close_connection = True
            return
        self._start_stream()
        envelope = {"id": "chatcmpl-fake-endless", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": request_body.get("model", LISTED_MODEL)}
        # Until the client hangs up (the write fails, which handle_error expects) or the server closes.
        for number in itertools.count(1):
            delta = {"content": f"step {number}. "}
            chunk = {**envelope, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}]}
            self._send_event(f"data: {json.dumps(chunk)}\n\n".encode())
            if closing.wait(reply.interval):
                self.close_connection = True
                return


@dataclass
class _Completion:
    """One assistant answer, rendered as a whole response or as stream chunks."""

    id: str
    model: str
    created: int
    content: str | None
    tool_calls: list[tuple[str, ToolCall]]  # (id, call)
    finish_reason: str
    usage: dict[str, int]

    @classmethod
    def of(
        cls, reply: TextReply | ToolCallsReply, completion_id: str, model: str, call_ids: Iterator[int]
    ) -> _Completion:
        usage = {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        }
        if isinstance(reply, TextReply):
            return cls(completion_id, model, int(time.time()), reply.content, [], reply.finish_reason, usage)
        calls = [(f"call_{next(call_ids)}", call) for call in reply.calls]
        return cls(completion_id, model, int(time.time()), reply.content, calls, "tool_calls", usage)

    def as_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.content, "refusal": None}
        if self.tool_calls:
            message["tool_calls"] = [
                {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
                for call_id, call in self.tool_calls
            ]
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": self.finish_reason}
        return {**self._envelope("chat.completion"), "choices": [choice], "usage": self.usage}

    def chunks(self, include_usage: bool, whole_tool_calls: bool = False) -> list[dict[str, Any]]:
        """Deltas as OpenAI sends them: role first, content in pieces, each tool call's
        index/id/name once and then its arguments in pieces (or, with `whole_tool_calls`,
        each call complete in one delta), then the finish_reason."""
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": "" if self.content is not None else None}]
        deltas += [{"content": piece} for piece in _pieces(self.content or "")]
        for index, (call_id, call) in enumerate(self.tool_calls):
            function = {"name": call.name, "arguments": call.arguments if whole_tool_calls else ""}
            deltas.append({"tool_calls": [{"index": index, "id": call_id, "type": "function", "function": function}]})
            for piece in () if whole_tool_calls else _pieces(call.arguments):
                deltas.append({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        steps = [(delta, None) for delta in deltas] + [({}, self.finish_reason)]
        choices = [[{"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}] for delta, reason in steps]
        envelope = self._envelope("chat.completion.chunk")
        if not include_usage:
            return [{**envelope, "choices": chunk_choices} for chunk_choices in choices]
        # With include_usage every chunk carries "usage": null and one extra chunk with no choices carries it.
        chunks = [{**envelope, "choices": chunk_choices, "usage": None} for chunk_choices in choices]
        return chunks + [{**envelope, "choices": [], "usage": self.usage}]

    def _envelope(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}


def _pieces(whole: str) -> list[str]:
    return [whole[start : start + _STREAM_PIECE_CHARS] for start in range(0, len(whole), _STREAM_PIECE_CHARS)]
