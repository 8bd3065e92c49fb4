"""What every brain is. A brain decides the next step; the loop runs it and records everything.

Brain methods are generators: they yield events as they happen (streamed thoughts, retries, errors) and
return their decision, so the loop writes `decision = yield from brain.next_step(...)`. A Decision is a
thought and a tool call (or finish); the deterministic path answers HandOver where only a model can go on.

A run gives the model its turns last: first every file gets its deterministic steps (a brain with a model
answers WAIT where it would hand over), and only then does a brain with a model take its turns on the files it
asked for (`model_work`), so an LLM that is slow or fails never costs a file the parsers read.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from agent.run.events import Event, Plan
from agent.run.tools import RunContext, ToolData, ToolResult

Data = TypeVar("Data", bound=ToolData)

Steps = Generator[Event, None, "Decision"]

FINISH = "finish"
WAIT = "wait_for_model"  # not a tool: the file waits for the model's turns, after every parser-read file


@dataclass
class Decision:
    """The next step: a thought, and a tool call or FINISH."""

    thought: str
    tool: str = FINISH
    arguments: dict[str, Any] | str = field(default_factory=dict)  # str: as a model wrote them, not JSON
    tokens: int = 0
    call_id: str = ""


@dataclass
class FileState:
    """What the loop knows about the file in hand: every step taken and what it returned."""

    file: str
    steps: list[tuple[Decision, ToolResult]] = field(default_factory=list)
    model_turns: bool = False  # the run has reached the model's turns (every parser-read file is done)
    waits: bool = False  # the brain answered WAIT: its steps on the file go on in the model's turns

    def last(self, tool: str) -> ToolResult | None:
        """The last successful result of `tool`."""
        for decision, result in reversed(self.steps):
            if decision.tool == tool and result.ok:
                return result
        return None

    def last_data(self, kind: type[Data]) -> Data | None:
        """The data of the last successful result of that kind (Inspection, Validation, ...)."""
        for _, result in reversed(self.steps):
            if result.ok and isinstance(result.data, kind):
                return result.data
        return None

    def tried(self, tool: str) -> ToolResult | None:
        """The last result of `tool`, failed or not."""
        return next((result for decision, result in reversed(self.steps) if decision.tool == tool), None)


@dataclass(frozen=True)
class HandOver:
    """The deterministic path's answer when only a model can go on (a layout no format reads, or a scan's
    pages without the form): the LLM brain takes the file over; the offline brain never gets one."""

    why: str


class Brain(Protocol):
    name: str
    model: str
    note: str

    def plan(self, ctx: RunContext) -> Generator[Event, None, Plan]: ...

    def next_step(self, ctx: RunContext, state: FileState) -> Steps: ...

    def model_work(self, ctx: RunContext, state: FileState) -> str:
        """What this brain still wants a model's turns for on the file ('' for nothing)."""
        ...

    def reflect(self, ctx: RunContext, state: FileState) -> Generator[Event, None, None]: ...
