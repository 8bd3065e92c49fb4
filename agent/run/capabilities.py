"""What an OpenAI-compatible endpoint supports, and so which request shape the client uses.

Servers that call themselves OpenAI-compatible differ exactly where TradeTrace needs them: tool calls, streamed
tool calls, `tool_choice`, `response_format` and usage reporting. The client finds out with cheap requests (see
`OpenAIChat.capabilities`) instead of assuming; this module holds the answer and the choice it implies.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import openai


class RequestPath(Enum):
    """How a step that needs structured output is asked, in order of preference."""

    STREAMED_TOOLS = "streamed tool calls"
    TOOLS = "tool calls, not streamed"
    JSON_OBJECT = "JSON object mode with the schema in the prompt"
    TEXT = "plain text with a strict parser"


@dataclass(frozen=True)
class Capabilities:
    """What one (endpoint, model) was found to support."""

    tools: bool
    streamed_tools: bool
    tool_choice: bool  # the server honours tool_choice "auto" (llama-cpp-python needs it to see the tools)
    json_schema: bool  # response_format {"type": "json_schema"}
    json_object: bool  # response_format {"type": "json_object"}
    usage: bool  # usage reported in streamed replies (stream_options include_usage)
    refusals: tuple[str, ...] = ()  # what the server said, one line each, when it refused a probe
    # OpenAI's reasoning models refuse max_tokens (they count their hidden reasoning in max_completion_tokens) and
    # any temperature but their default: the probe learns both from the refusal and every call follows.
    token_parameter: str = "max_tokens"
    temperature: bool = True

    @property
    def path(self) -> RequestPath:
        if self.streamed_tools:
            return RequestPath.STREAMED_TOOLS
        if self.tools:
            return RequestPath.TOOLS
        if self.json_object or self.json_schema:
            return RequestPath.JSON_OBJECT
        return RequestPath.TEXT

    def describe(self) -> str:
        """One line for the trace: what works, what does not, and the path chosen."""
        flags = {"tools": self.tools, "streamed tools": self.streamed_tools, "tool_choice": self.tool_choice,
                 "json_schema": self.json_schema, "json_object": self.json_object, "stream usage": self.usage}
        supported = ", ".join(name for name, on in flags.items() if on) or "none"
        missing = ", ".join(name for name, on in flags.items() if not on) or "none"
        refused = f" Refused: {'; '.join(self.refusals)}." if self.refusals else ""
        adapted = "".join((
            " Sends max_completion_tokens: the model refuses max_tokens." if self.token_parameter != "max_tokens"
            else "", "" if self.temperature else " Sends no temperature: the model takes only its default."))
        return (f"Endpoint supports: {supported}; not: {missing} (probed). Using {self.path.value}.{refused}"
                f"{adapted}")


# The probe: cheap requests (PROBE_MAX_TOKENS each) whose answers say what works. Servers refuse what they lack
# with 4xx or, like llama_cpp.server, with 500: either counts as "not supported", and the refusal is kept, in one
# line, for the trace. Auth, rate-limit, timeout and connection errors are not answers: they propagate.
PROBE_TOOL_NAME = "capability_probe"
PROBE_PREFIX = "Capability probe:"  # every probe's prompt starts so (a test server answers probes by it)
PROBE_MAX_TOKENS = 16
# A reasoning model spends completion tokens thinking before it answers: 16 would leave a probe's answer empty.
PROBE_REASONING_MAX_TOKENS = 512
_PROBE_MAX_CHUNKS = 64  # a probe's stream is read no further than this
_PROBE_TOOL = {"type": "function", "function": {
    "name": PROBE_TOOL_NAME, "description": "Answer TradeTrace's capability probe.",
    "parameters": {"type": "object", "properties": {}, "additionalProperties": False}}}
_PROBE_SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
                 "additionalProperties": False}
_TOOL_PROMPT = [{"role": "user", "content": f"{PROBE_PREFIX} call the tool {PROBE_TOOL_NAME} with no arguments."}]
_JSON_PROMPT = [{"role": "user", "content": f'{PROBE_PREFIX} answer with the JSON object {{"ok": true}} only.'}]
JSON_SCHEMA_FORMAT = {"type": "json_schema", "json_schema": {"name": "probe", "schema": _PROBE_SCHEMA, "strict": True}}
JSON_OBJECT_FORMAT = {"type": "json_object"}
_NOT_ANSWERS = (401, 403, 404, 408, 429)  # statuses that say nothing about what the endpoint supports
_PYDANTIC_MESSAGE = re.compile(r"""'msg': (?:"([^"]*)"|'([^']*)')""")
_MESSAGE_CHARS = 200


@dataclass
class _Answer:
    text: str = ""
    tool_names: tuple[str, ...] = ()
    usage: bool = False
    finished: bool = True  # False: a stream that ended without a finish reason, i.e. without an answer


@dataclass
class _Probe:
    client: openai.OpenAI
    model: str
    timeout: float
    scrub: Callable[[str], str]  # what the server said goes to the trace, so never with the key in it
    stream_options: bool = True  # dropped when the server refuses the field itself
    token_parameter: str = "max_tokens"  # max_completion_tokens when the model refuses max_tokens
    temperature: bool = True  # False when the model refuses any temperature but its default
    saw_usage: bool = False
    refusals: dict[str, list[str]] = field(default_factory=dict)  # what the server said -> the probes it refused

    def run(self) -> Capabilities:
        streamed = self._called_tool(self._ask("streamed tool calls", _TOOL_PROMPT, stream=True, tools=True))
        tool_choice = tools = streamed
        if not streamed:
            tools = tool_choice = self._called_tool(self._ask("tool calls", _TOOL_PROMPT, stream=False, tools=True))
        if not tools:
            tools = self._called_tool(self._ask("tool calls without tool_choice", _TOOL_PROMPT, stream=False,
                                                tools=True, tool_choice=False))
        json_schema = self._json(self._ask("json_schema", _JSON_PROMPT, stream=True,
                                           response_format=JSON_SCHEMA_FORMAT))
        json_object = self._json(self._ask("json_object", _JSON_PROMPT, stream=True,
                                           response_format=JSON_OBJECT_FORMAT))
        return Capabilities(tools=tools, streamed_tools=streamed, tool_choice=tool_choice, json_schema=json_schema,
                            json_object=json_object, usage=self.saw_usage,
                            refusals=tuple(f"{', '.join(whats)}: {said}" for said, whats in self.refusals.items()),
                            token_parameter=self.token_parameter, temperature=self.temperature)

    @staticmethod
    def _called_tool(answer: _Answer | None) -> bool:
        return answer is not None and PROBE_TOOL_NAME in answer.tool_names

    @staticmethod
    def _json(answer: _Answer | None) -> bool:
        # With max_tokens this small a model may be cut off mid-object: an object's start is enough.
        return answer is not None and answer.text.lstrip().startswith("{")

    def _ask(self, what: str, messages: list[dict[str, str]], *, stream: bool, tools: bool = False,
             tool_choice: bool = True, response_format: dict[str, Any] | None = None) -> _Answer | None:
        try:
            answer = self._request(messages, stream, tools, tool_choice, response_format)
            if not answer.finished:
                self.refusals.setdefault("the stream ended without an answer", []).append(what)
                return None
            return answer
        except openai.APIStatusError as exc:
            if exc.status_code in _NOT_ANSWERS:
                raise
            if self._adapted_to(exc, stream):
                return self._ask(what, messages, stream=stream, tools=tools, tool_choice=tool_choice,
                                 response_format=response_format)
            self.refusals.setdefault(self.scrub(server_message(exc)), []).append(what)
        except (json.JSONDecodeError, ValueError) as exc:  # an answer the client cannot parse is no support
            self.refusals.setdefault(f"unreadable answer ({type(exc).__name__})", []).append(what)
        return None

    def _adapted_to(self, exc: openai.APIStatusError, stream: bool) -> bool:
        """True when the refusal was of a request field the next attempt can change (and it was changed)."""
        if stream and self.stream_options and "stream_options" in server_message(exc):
            self.stream_options = False
            return True
        refused = unsupported_parameter(exc)
        if refused == "max_tokens" and self.token_parameter == "max_tokens":
            self.token_parameter = "max_completion_tokens"
            return True
        if refused == "temperature" and self.temperature:
            self.temperature = False
            return True
        return False

    def _request(self, messages: list[dict[str, str]], stream: bool, tools: bool, tool_choice: bool,
                 response_format: dict[str, Any] | None) -> _Answer:
        # Each probe on a connection of its own: a server that broke off an answer (llama-cpp-python does, on a
        # shape it refuses mid-stream) resets the connection, which the next probe must not inherit.
        reasoning = self.token_parameter != "max_tokens"
        options: dict[str, Any] = {"model": self.model, "messages": messages, "timeout": self.timeout,
                                   self.token_parameter: PROBE_REASONING_MAX_TOKENS if reasoning else PROBE_MAX_TOKENS,
                                   "extra_headers": {"Connection": "close"}}
        if self.temperature:
            options["temperature"] = 0
        if tools:
            options["tools"] = [_PROBE_TOOL]
            if tool_choice:
                options["tool_choice"] = "auto"
        if response_format:
            options["response_format"] = response_format
        if not stream:
            completion = self.client.chat.completions.create(**options)
            message = completion.choices[0].message if completion.choices else None
            names = tuple(call.function.name for call in (message.tool_calls or ()) if call.type == "function") \
                if message else ()
            return _Answer(message.content or "" if message else "", names)
        if self.stream_options:
            options["stream_options"] = {"include_usage": True}
        answer = _Answer(finished=False)
        with self.client.chat.completions.create(stream=True, **options) as chunks:
            for number, chunk in enumerate(chunks):
                answer.usage = answer.usage or chunk.usage is not None
                for choice in chunk.choices:
                    answer.finished = answer.finished or choice.finish_reason is not None
                    answer.text += choice.delta.content or ""
                    answer.tool_names += tuple(call.function.name for call in choice.delta.tool_calls or ()
                                               if call.function and call.function.name)
                if number >= _PROBE_MAX_CHUNKS:  # a server that ignores max_tokens: enough has been seen
                    answer.finished = True
                    break
        self.saw_usage = self.saw_usage or answer.usage
        return answer


def probe(client: openai.OpenAI, model: str, timeout: float, scrub: Callable[[str], str]) -> Capabilities:
    """Ask the endpoint, with cheap requests, what it supports."""
    return _Probe(client, model, timeout, scrub).run()


_probed: dict[tuple[str, str], Capabilities] = {}
_probed_lock = threading.Lock()


def probed_once(base_url: str, model: str, ask: Callable[[], Capabilities]) -> Capabilities:
    """The capabilities of (base_url, model), probed on first use and kept for the process."""
    with _probed_lock:  # one probe per endpoint, even when two threads start at once
        if (base_url, model) not in _probed:
            _probed[base_url, model] = ask()
        return _probed[base_url, model]


def server_message(exc: openai.APIError) -> str:
    """What the server said, in one line: its error message (a validation error's own findings, where and what,
    not the list around them; a traceback's last line). Callers scrub the key from it."""
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    text = message if isinstance(message, str) and message else exc.message
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if lines and lines[0].startswith("Traceback"):  # a Python server's traceback: its last line is the error
        text = lines[-1]
    details = _validation_findings(text) or ["".join(parts) for parts in _PYDANTIC_MESSAGE.findall(text)]
    text = " ".join(("; ".join(details) if details else text).split())
    if len(text) > _MESSAGE_CHARS:
        text = text[:_MESSAGE_CHARS - 3] + "..."
    status = getattr(exc, "status_code", None)
    return f"{status} {text}" if status else text


def unsupported_parameter(exc: openai.APIError) -> str:
    """The request field a model refused as unsupported ("max_tokens", "temperature"), or '' for another error.
    OpenAI names it in the error's `param` with code unsupported_parameter / unsupported_value; servers that copy
    the message without those fields are read by the message."""
    if exc.code in ("unsupported_parameter", "unsupported_value") and exc.param in ("max_tokens", "temperature"):
        return exc.param
    found = _UNSUPPORTED_FIELD.search(exc.message)
    return found.group(1) if found else ""


_UNSUPPORTED_FIELD = re.compile(r"Unsupported (?:parameter|value): '(max_tokens|temperature)'")


def refused_as_invalid(exc: openai.APIError) -> bool:
    """True when the server refused the request itself (a validation error: pydantic's "Input should be ...",
    "validation error"), whatever its status: llama_cpp.server sends those as HTTP 500, yet no retry can help."""
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    return bool(_VALIDATION_REFUSAL.search(message if isinstance(message, str) and message else exc.message))


_VALIDATION_REFUSAL = re.compile(r"\bvalidation errors?\b|'msg': ")
_INPUT_CHARS = 40  # a refused value is quoted when it is this short


def _validation_findings(text: str) -> list[str]:
    """Pydantic's errors, one "where: what (got value)" each. A request field of a union type (a chat message is
    a system, user, assistant, tool or function message) gets an error list per alternative; those whose literal
    field (the role) does not match are not what the request meant, so they are left out when any other remains."""
    errors = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError, SyntaxError):  # not a pydantic error's repr: not a finding
            error = ast.literal_eval(line.strip())
            if isinstance(error, dict) and isinstance(error.get("loc"), tuple) and "msg" in error:
                errors.append(error)
    mismatched = {_alternative(error) for error in errors if error.get("type") == "literal_error"} - {()}
    meant = [error for error in errors if _alternative(error) not in mismatched] or errors
    findings = []
    for error in meant:
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
                        if part != "body" and not (isinstance(part, str) and part[:1].isupper())).lstrip(".")
        value = repr(error.get("input"))
        got = f" (got {value})" if "input" in error and len(value) <= _INPUT_CHARS else ""
        findings.append(f"{where}: {error['msg']}{got}" if where else f"{error['msg']}{got}")
    return findings


def _alternative(error: dict[str, Any]) -> tuple[object, ...]:
    """The error's location up to the union alternative it was checked as (a model's name), or () for none."""
    loc = error["loc"]
    named = [index for index, part in enumerate(loc) if isinstance(part, str) and part[:1].isupper()]
    return tuple(loc[:named[0] + 1]) if named else ()
