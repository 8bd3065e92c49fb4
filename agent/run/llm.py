"""The LLM behind one method: `stream(messages, tools=..., response_format=..., max_tokens=..., time_limit=...)`.

Any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp's server, llama-cpp-python) through the `openai`
package. What the endpoint supports is probed on first use (agent/run/capabilities.py) and each request takes
the path that works there: streamed tool calls, non-streamed tool calls, JSON object mode with the schema in the
prompt, or plain text. Every call is bounded: max_tokens is always sent, a wall-clock limit covers the whole call
(a stream is closed mid-way), and a reply that loops or echoes the prompt is stopped early (agent/run/degenerate.py).
Retries with backoff on 429, 5xx, timeouts and dropped connections are ours, so the trace can show them; a
request the server refuses as invalid (a 4xx, or llama_cpp.server's validation error sent as HTTP 500) is not
retried. Every call that sent a request is counted in `OpenAIChat.spent`, whether it returned or raised.
The API key is read from the environment, Streamlit secrets or the sidebar, and is never logged: every
message that leaves this module is scrubbed of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast
from urllib.parse import urlparse

import openai
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionToolParam
from openai.types.chat.completion_create_params import ResponseFormat

from agent.errors import LLMError, StreamEndedEarly
from agent.run.capabilities import (
    JSON_OBJECT_FORMAT,
    Capabilities,
    probe,
    probed_once,
    refused_as_invalid,
    server_message,
)
from agent.run.degenerate import DegenerationWatch

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_MAX_TOKENS = 2048  # a page of rows as JSON fits; callers size it to the step
# USD per million tokens (input, output), for the run's cost estimate. Unknown models give no estimate.
PRICES_PER_MILLION = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1": (2.00, 8.00),
}
_KEY_SHAPE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|[A-Za-z0-9_\-]{32,})\b")


@dataclass(frozen=True)
class LLMConfig:
    """Where the LLM is. `api_key` never appears in repr, logs or traces."""

    api_key: str = field(default="", repr=False)
    base_url: str = ""
    model: str = DEFAULT_MODEL
    timeout: float = 30.0
    max_retries: int = 3
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    time_limit: float = 120.0  # seconds of wall clock for one call, stream and retries included, unless the caller says

    @property
    def configured(self) -> bool:
        """A key (OpenAI) or a base URL (a local server, which may need no key) makes the LLM brain available."""
        return bool(self.api_key or self.base_url)

    @property
    def is_local(self) -> bool:
        host = urlparse(self.base_url).hostname or ""
        return host in ("localhost", "127.0.0.1", "::1") or host.endswith(".local")

    @classmethod
    def from_sources(cls, env: Mapping[str, str] = os.environ, secrets: Mapping[str, str] | None = None,
                     **overrides: str | float | int | None) -> LLMConfig:
        """Read OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL: explicit overrides (the sidebar) first,
        then Streamlit secrets, then the environment."""
        secrets = secrets or {}

        def pick(name: str, default: str = "") -> str:
            return str(secrets.get(name) or env.get(name) or default).strip()

        values: dict[str, str | float | int] = {"api_key": pick("OPENAI_API_KEY"),
                                                 "base_url": pick("OPENAI_BASE_URL"),
                                                 "model": pick("OPENAI_MODEL", DEFAULT_MODEL)}
        values.update({key: value for key, value in overrides.items() if value is not None and value != ""})
        return cls(**values)  # type: ignore[arg-type]  # each override is of its field's type (sidebar, tests)

    def scrub(self, text: str) -> str:
        """Remove the key, and anything shaped like a key, from a message."""
        if self.api_key:
            text = text.replace(self.api_key, "[redacted]")
        return _KEY_SHAPE.sub("[redacted]", text)

    def estimated_cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        if self.is_local:
            return 0.0
        prices = PRICES_PER_MILLION.get(self.model)
        if prices is None:
            return None
        return (prompt_tokens * prices[0] + completion_tokens * prices[1]) / 1_000_000


@dataclass(frozen=True)
class ToolCallRequest:
    id: str
    name: str
    arguments: str  # JSON text as the model wrote it (may be malformed)


@dataclass(frozen=True)
class ChatReply:
    content: str
    tool_calls: tuple[ToolCallRequest, ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = ""
    usage_estimated: bool = False  # the server reported no usage: the token counts are estimates

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Retry:
    """Yielded by `stream` before it waits and tries again."""

    attempt: int
    wait: float
    reason: str


class ToolsUnsupported(LLMError):
    """The server refused tool calling or structured output: use the next, simpler mode."""


Message = dict[str, Any]  # one chat message as the OpenAI API takes it
JSONObject = dict[str, Any]


class CallTimedOut(LLMError):
    """A call ran past its wall-clock limit and was stopped (mid-stream if need be)."""


class RequestRefused(LLMError):
    """The server refused this request as invalid (not transient: not retried). The endpoint itself is up."""


@dataclass(frozen=True)
class Spend:
    """What calls cost: every call that sent a request, answered or not. Tokens are the server's usage where it
    reported it, else estimated (`estimated_calls` counts those)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated_calls: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def since(self, earlier: Spend) -> Spend:
        """The calls made after `earlier` was this ledger."""
        return Spend(self.calls - earlier.calls, self.prompt_tokens - earlier.prompt_tokens,
                     self.completion_tokens - earlier.completion_tokens, self.estimated_calls - earlier.estimated_calls)


class ChatModel(Protocol):
    def stream(self, messages: list[Message], *, tools: list[JSONObject] | None = None,
               response_format: JSONObject | None = None, max_tokens: int | None = None,
               time_limit: float | None = None) -> Iterator[str | Retry | ChatReply]:
        """Yield text deltas as they arrive, Retry notices, and finally one ChatReply.

        `max_tokens` bounds the reply (DEFAULT_MAX_TOKENS when None); `time_limit` bounds the whole call in
        seconds of wall clock, stream included (LLMConfig.time_limit when None): past it, CallTimedOut."""

    def capabilities(self) -> Capabilities:
        """What the endpoint supports and the request path taken (its describe() is one line for the trace)."""

    @property
    def spent(self) -> Spend:
        """Every call made so far through this model, with its tokens (the run reports what it made)."""


_RETRYABLE = (StreamEndedEarly, openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError,
              openai.APIConnectionError)


class OpenAIChat:
    """ChatModel over the official client; temperature 0, our own bounded retries, the request shaped by what the
    endpoint was probed to support (agent/run/capabilities.py)."""

    def __init__(self, config: LLMConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self._client = openai.OpenAI(api_key=config.api_key or "not-needed", base_url=config.base_url or None,
                                     timeout=config.timeout, max_retries=0)
        self._spent = Spend()

    @property
    def spent(self) -> Spend:
        return self._spent

    def capabilities(self) -> Capabilities:
        """What the endpoint supports, and so the request path `stream` takes: probed on first use, then cached
        for the process per (base_url, model)."""
        try:
            return self._capabilities()
        except openai.APIError as exc:
            raise LLMError(f"LLM endpoint could not be probed: {self._describe(exc)}") from None

    def _capabilities(self) -> Capabilities:
        return probed_once(str(self._client.base_url), self.config.model,
                           lambda: probe(self._client, self.config.model, self.config.timeout, self.config.scrub))

    def stream(self, messages: list[Message], *, tools: list[JSONObject] | None = None,
               response_format: JSONObject | None = None, max_tokens: int | None = None,
               time_limit: float | None = None) -> Iterator[str | Retry | ChatReply]:
        call = _Bounds(max_tokens or DEFAULT_MAX_TOKENS, time_limit or self.config.time_limit)
        meter = _Meter()
        try:
            yield from self._attempts(messages, tools, response_format, call, meter)
        finally:  # a call that raised (timed out, stopped, failed) cost too
            self._spent = meter.added_to(self._spent)

    def _attempts(self, messages: list[Message], tools: list[JSONObject] | None, response_format: JSONObject | None,
                  call: _Bounds, meter: _Meter) -> Iterator[str | Retry | ChatReply]:
        for attempt in range(1, self.config.max_retries + 2):
            try:
                request = _Request.shaped(messages, tools, response_format, self._capabilities())
                if call.expired():  # the first use's probe can take a small local model's whole limit
                    raise call.timed_out("before its request was sent")
                meter.sent(request)
                reply = yield from (self._streamed(request, call, meter) if request.stream
                                    else self._whole(request, call))
                meter.reply = reply
                yield reply
                return
            except _RETRYABLE as exc:
                reason = self._describe(exc)
                if isinstance(exc, openai.APIStatusError) and refused_as_invalid(exc):
                    meter.refused = True
                    raise self._refusal(reason, tools, response_format) from None
                if call.expired():
                    raise call.timed_out(f"after {attempt} attempt(s), the last: {reason}") from None
                if attempt > self.config.max_retries:
                    raise LLMError(f"LLM endpoint failed after {attempt} attempts: {reason}") from None
                wait = self._wait_for(exc, attempt)
                if call.remaining() <= wait:
                    raise call.timed_out(f"before retry {attempt}, the last attempt: {reason}") from None
                yield Retry(attempt, wait, reason)
                self._sleep(wait)
            except openai.BadRequestError as exc:
                meter.refused = True
                raise self._refusal(self._describe(exc), tools, response_format) from None
            except openai.APIError as exc:
                raise LLMError(f"LLM endpoint error: {self._describe(exc)}") from None
            except (json.JSONDecodeError, ValueError) as exc:
                raise LLMError(f"LLM endpoint sent an unreadable response ({type(exc).__name__})") from None

    @staticmethod
    def _refusal(message: str, tools: list[JSONObject] | None, response_format: JSONObject | None) -> LLMError:
        """A refused request: a mode the server lacks (the caller tries a simpler one), else the request itself."""
        if (tools and "tool" in message.lower()) or (response_format and "response_format" in message):
            return ToolsUnsupported(message)
        return RequestRefused(f"LLM endpoint refused the request (not retried): {message}")

    def _create(self, request: _Request, call: _Bounds, timeout: float) -> Any:
        # Our messages and schemas are the API's JSON; the client's TypedDicts describe the same shapes.
        return self._client.chat.completions.create(
            model=self.config.model, messages=cast("list[ChatCompletionMessageParam]", request.messages),
            temperature=0 if request.temperature else openai.omit, timeout=timeout, stream=request.stream,
            stream_options={"include_usage": True} if request.stream and request.stream_usage else openai.omit,
            tools=cast("list[ChatCompletionToolParam]", request.tools) if request.tools else openai.omit,
            tool_choice="auto" if request.tools and request.tool_choice else openai.omit,
            response_format=cast("ResponseFormat", request.response_format) if request.response_format
            else openai.omit,
            max_tokens=openai.omit if request.reasoning else call.max_tokens,
            max_completion_tokens=call.max_tokens if request.reasoning else openai.omit)

    def _streamed(self, request: _Request, call: _Bounds, meter: _Meter) -> Generator[str, None, ChatReply]:
        # The client's timeout only bounds the wait between two chunks; the deadline is checked on every chunk.
        chunks: openai.Stream[ChatCompletionChunk] = self._create(request, call,
                                                                  min(self.config.timeout, call.remaining()))
        watch = DegenerationWatch(request.prompt_text())
        content: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        usage: CompletionUsage | None = None
        finish = ""
        with chunks:  # closing the stream drops the connection, which stops a server that keeps generating
            for chunk in chunks:
                if call.expired():
                    raise call.timed_out(f"mid-stream, after {sum(map(len, content)):,} characters of reply")
                usage = chunk.usage or usage
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        meter.received += len(delta.content)
                        watch.feed(delta.content)
                        content.append(delta.content)
                        yield delta.content
                    for tool_call in delta.tool_calls or ():
                        slot = calls.setdefault(tool_call.index, {"id": "", "name": "", "arguments": ""})
                        slot["id"] = tool_call.id or slot["id"]
                        if tool_call.function:
                            slot["name"] += tool_call.function.name or ""
                            slot["arguments"] += tool_call.function.arguments or ""
                            meter.received += len(tool_call.function.arguments or "")
                            watch.feed(tool_call.function.arguments or "")
                    finish = choice.finish_reason or finish
        if not finish:
            raise StreamEndedEarly("the response stream ended before the model finished")
        watch.finish()
        tool_calls = tuple(ToolCallRequest(c["id"], c["name"], c["arguments"]) for _, c in sorted(calls.items()))
        return _reply(request, "".join(content), tool_calls, finish, usage)

    def _whole(self, request: _Request, call: _Bounds) -> Generator[str, None, ChatReply]:
        # Nothing arrives before the whole answer, so the client's timeout is the call's remaining time.
        completion: ChatCompletion = self._create(request, call, call.remaining())
        if not completion.choices:
            raise StreamEndedEarly("the response had no answer in it")
        choice = completion.choices[0]
        text = choice.message.content or ""
        tool_calls = tuple(ToolCallRequest(c.id, c.function.name, c.function.arguments)
                           for c in choice.message.tool_calls or () if c.type == "function")
        watch = DegenerationWatch(request.prompt_text())
        for piece in (text, *(c.arguments for c in tool_calls)):  # each checked on its own, as a stream would be
            watch.feed(piece)
        watch.finish()
        if text:
            yield text
        return _reply(request, text, tool_calls, choice.finish_reason or "stop", completion.usage)

    def _wait_for(self, exc: Exception, attempt: int) -> float:
        wait: float = self.config.backoff * 2.0 ** (attempt - 1)
        response = getattr(exc, "response", None)
        if response is not None:
            with contextlib.suppress(ValueError):  # a Retry-After that is a date, not seconds: keep our own wait
                wait = max(wait, float(response.headers.get("retry-after", 0)))
        return min(wait, 30.0)

    def _describe(self, exc: Exception) -> str:
        """What went wrong, scrubbed, without a closing period: the messages it goes into end with their own."""
        if isinstance(exc, openai.APIError):
            return self.config.scrub(server_message(exc)).rstrip(".")
        return self.config.scrub(str(exc) or type(exc).__name__).rstrip(".")


@dataclass(frozen=True)
class _Request:
    """One call as the endpoint will get it: the path its capabilities allow."""

    messages: list[Message]
    tools: list[JSONObject] | None
    tool_choice: bool
    response_format: JSONObject | None
    stream: bool
    stream_usage: bool
    token_parameter: str  # the field that bounds the reply: max_tokens, or max_completion_tokens
    temperature: bool  # temperature 0 is sent (a reasoning model takes only its default)

    @property
    def reasoning(self) -> bool:
        """The model refused max_tokens, as OpenAI's reasoning models do: its bound is max_completion_tokens."""
        return self.token_parameter == "max_completion_tokens"

    @classmethod
    def shaped(cls, messages: list[Message], tools: list[JSONObject] | None, response_format: JSONObject | None,
               capabilities: Capabilities) -> _Request:
        if tools and not capabilities.tools:
            raise ToolsUnsupported(f"the endpoint does not call tools. {capabilities.describe()}")
        kind = (response_format or {}).get("type")
        if kind == "json_schema" and not capabilities.json_schema:
            # JSON object mode (or plain text) with the schema in the prompt; the caller's parser stays strict.
            schema = json.dumps(response_format["json_schema"]["schema"]) if response_format else ""
            messages = _with_instruction(messages, f"Answer with one JSON object that follows this JSON schema, and "
                                         f"nothing else: {schema}")
            response_format = JSON_OBJECT_FORMAT if capabilities.json_object else None
        elif kind == "json_object" and not capabilities.json_object:
            messages = _with_instruction(messages, "Answer with one JSON object, and nothing else.")
            response_format = None
        return cls(messages, tools, capabilities.tool_choice, response_format,
                   stream=not tools or capabilities.streamed_tools, stream_usage=capabilities.usage,
                   token_parameter=capabilities.token_parameter, temperature=capabilities.temperature)

    def prompt_text(self) -> str:
        """What a reply must not echo: the messages but the tools' results, which an answer may restate."""
        return "\n".join(str(message.get("content") or "") for message in self.messages
                         if message.get("role") != "tool")


def _with_instruction(messages: list[Message], instruction: str) -> list[Message]:
    """The instruction added to the system message (some chat templates allow a system message only first)."""
    if messages and messages[0].get("role") == "system":
        first = {**messages[0], "content": f"{messages[0].get('content') or ''}\n\n{instruction}"}
        return [first, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]


def _reply(request: _Request, text: str, tool_calls: tuple[ToolCallRequest, ...], finish: str,
           usage: CompletionUsage | None) -> ChatReply:
    if usage:
        return ChatReply(text, tool_calls, usage.prompt_tokens, usage.completion_tokens, finish)
    return ChatReply(text, tool_calls, _estimate_tokens(json.dumps(request.messages)),
                     _estimate_tokens(text + "".join(call.arguments for call in tool_calls)), finish,
                     usage_estimated=True)


@dataclass
class _Meter:
    """One call's cost as it goes: the last request sent, the characters of reply received, the reply if any."""

    request: _Request | None = None
    received: int = 0
    reply: ChatReply | None = None
    refused: bool = False  # the server refused the request unread: it cost no tokens

    def sent(self, request: _Request) -> None:
        self.request, self.received = request, 0

    def added_to(self, spend: Spend) -> Spend:
        """The ledger with this call in it (unchanged when no request was sent)."""
        if self.request is None:
            return spend
        if self.reply is not None:
            prompt, completion, estimated = (self.reply.prompt_tokens, self.reply.completion_tokens,
                                             self.reply.usage_estimated)
        elif self.refused:
            prompt, completion, estimated = 0, 0, False
        else:  # stopped or failed before its reply: no usage came, so the tokens are estimated
            prompt, completion, estimated = (_estimate_tokens(json.dumps(self.request.messages)),
                                             self.received // 4, True)
        return Spend(spend.calls + 1, spend.prompt_tokens + prompt, spend.completion_tokens + completion,
                     spend.estimated_calls + estimated)


@dataclass(frozen=True)
class _Bounds:
    """One call's limits: tokens sent as max_tokens, and a wall-clock deadline over every attempt."""

    max_tokens: int
    time_limit: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return self.started + self.time_limit - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def timed_out(self, when: str) -> CallTimedOut:
        return CallTimedOut(f"the LLM call ran past its time limit of {self.time_limit:g} s and was stopped {when}")


def _estimate_tokens(text: str) -> int:
    """About four characters a token: used only when a server reports no usage."""
    return max(1, len(text) // 4)
