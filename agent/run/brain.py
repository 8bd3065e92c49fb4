"""What every brain is: decisions, the file state it decides on, the protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generator, Protocol

from agent.run.events import Event, Plan
from agent.run.tools import RunContext, ToolResult

Steps = Generator[Event, None, "Decision"]

FINISH = "finish"


@dataclass
class Decision:
    """The next step: a thought, and a tool call or FINISH."""

    thought: str
    tool: str = FINISH
    arguments: dict = field(default_factory=dict)
    tokens: int = 0
    call_id: str = ""


@dataclass
class FileState:
    """What the loop knows about the file in hand: every step taken and what it returned."""

    file: str
    steps: list[tuple[Decision, ToolResult]] = field(default_factory=list)

    def last(self, tool: str) -> ToolResult | None:
        for decision, result in reversed(self.steps):
            if decision.tool == tool and result.ok:
                return result
        return None


class Brain(Protocol):
    name: str
    model: str
    note: str

    def plan(self, ctx: RunContext) -> Generator[Event, None, Plan]: ...

    def next_step(self, ctx: RunContext, state: FileState) -> Steps: ...

    def reflect(self, ctx: RunContext, state: FileState) -> Generator[Event, None, None]: ...
