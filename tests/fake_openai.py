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
chunks them. Standard library only.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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


Reply = TextReply | ToolCallsReply | ErrorReply | DelayReply


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


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received: `body` is the parsed JSON (None when there was none)."""

    method: str
    path: str
    headers: dict[str, str]
    """Header names are lower-cased, e.g. `headers["authorization"]`."""
    body: Any


class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1 (free port) that answers from a reply queue.

    It starts serving on construction; use it as a context manager or call `close()`.
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        """Every POST /v1/chat/completions, in the order received."""
        self.unexpected_requests: list[RecordedRequest] = []
        """Requests the script did not allow for: unknown paths, or POSTs after the queue ran out."""
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._completion_ids = itertools.count(1)
        self._call_ids = itertools.count(1)
        self._http = _HTTPServer(self)
        host, port = self._http.server_address[:2]
        self.base_url = f"http://{host}:{port}/v1"
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
        if self.path == "/v1/models":
            model = {"id": LISTED_MODEL, "object": "model", "created": 0, "owned_by": "fake-openai"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._not_found(self._record(body=None))

    def do_POST(self) -> None:
        raw_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        request = self._record(body=json.loads(raw_body) if raw_body else None)
        if self.path != "/v1/chat/completions":
            self._not_found(request)
            return
        reply = self.server.fake._take_reply(request)
        if reply is None:
            self._send_error(error(500, NO_REPLY_LEFT))
            return
        self._answer(reply, request.body)

    def _record(self, body: Any) -> RecordedRequest:
        headers = {name.lower(): value for name, value in self.headers.items()}
        return RecordedRequest(self.command, self.path, headers, body)

    def _not_found(self, request: RecordedRequest) -> None:
        self.server.fake._record_unexpected(request)
        self._send_error(error(404, f"fake server: no route for {request.method} {request.path}"))

    def _answer(self, reply: Reply, request_body: dict[str, Any]) -> None:
        while isinstance(reply, DelayReply):
            if self.server.fake._closing.wait(reply.seconds):
                self.close_connection = True  # shutting down: drop the request unanswered
                return
            reply = reply.then
        if isinstance(reply, ErrorReply):
            self._send_error(reply)
            return
        fake = self.server.fake
        completion_id = f"chatcmpl-fake-{next(fake._completion_ids)}"
        completion = _Completion.of(reply, completion_id, request_body.get("model", LISTED_MODEL), fake._call_ids)
        cut_body = isinstance(reply, TextReply) and reply.cut_body
        if request_body.get("stream"):
            include_usage = bool((request_body.get("stream_options") or {}).get("include_usage"))
            self._send_stream(completion, include_usage, cut_body=cut_body)
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
        body = {"error": {"message": reply.message, "type": reply.type, "param": None, "code": reply.code}}
        headers = {} if reply.retry_after is None else {"Retry-After": f"{reply.retry_after:g}"}
        self._send_json(reply.status, body, headers=headers)

    def _send_stream(self, completion: _Completion, include_usage: bool, *, cut_body: bool) -> None:
        events = [f"data: {json.dumps(chunk)}\n\n".encode() for chunk in completion.chunks(include_usage)]
        events.append(b"data: [DONE]\n\n")
        if cut_body:
            whole = b"".join(events)
            events = [whole[: len(whole) // 2]]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in events:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


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

    def chunks(self, include_usage: bool) -> list[dict[str, Any]]:
        """Deltas as OpenAI sends them: role first, content in pieces, each tool call's
        index/id/name once and then its arguments in pieces, then the finish_reason."""
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": "" if self.content is not None else None}]
        deltas += [{"content": piece} for piece in _pieces(self.content or "")]
        for index, (call_id, call) in enumerate(self.tool_calls):
            function = {"name": call.name, "arguments": ""}
            deltas.append({"tool_calls": [{"index": index, "id": call_id, "type": "function", "function": function}]})
            for piece in _pieces(call.arguments):
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
