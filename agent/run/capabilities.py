"""What an OpenAI-compatible endpoint supports, and so which request shape the client uses.

Servers that call themselves OpenAI-compatible differ exactly where TradeTrace needs them: tool calls, streamed
tool calls, `tool_choice`, `response_format` and usage reporting. The client finds out with cheap requests (see
`OpenAIChat.capabilities`) instead of assuming; this module holds the answer and the choice it implies.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class RequestPath(Enum):
    """How a step that needs structured output is asked, in order of preference."""

    STREAMED_TOOLS = "streamed tool calls"
    TOOLS = "tool calls with tool_choice, not streamed"
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
    probed: bool = True  # False: assumed, never asked the server

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
        how = "probed" if self.probed else "assumed, not probed"
        return f"Endpoint supports: {supported}; not: {missing} ({how}). Using {self.path.value}."


# What the OpenAI API itself supports: the answer before (or without) probing.
OPENAI_CAPABILITIES = Capabilities(tools=True, streamed_tools=True, tool_choice=True, json_schema=True,
                                   json_object=True, usage=True, probed=False)
