"""The one typed event stream: the agent yields these, the UI renders them live, the trace file stores
them, history replays them and tests assert on them.

Each event is a small dataclass with a `type` literal and `to_dict()`; `event_from_dict()` reads one back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar


@dataclass
class Event:
    """Fields every event has: which step of the run, which file (empty for run-level events), when, how long."""

    type: ClassVar[str] = "event"
    step: int = 0
    file: str = ""
    started_at: float = 0.0  # seconds since the epoch
    duration: float = 0.0  # seconds
    tokens: int = 0  # LLM tokens this step used (0 offline)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type}
        data.update(asdict(self))
        return data

    @property
    def headline(self) -> str:
        """One line for logs and the live trace."""
        return self.type


@dataclass
class RunStarted(Event):
    type: ClassVar[str] = "run_started"
    brain: str = ""
    model: str = ""
    files: list[str] = field(default_factory=list)
    note: str = ""  # e.g. why the offline brain is in charge

    @property
    def headline(self) -> str:
        return f"Run started: {len(self.files)} file(s), {self.brain} brain. {self.note}".strip()


@dataclass
class FileStarted(Event):
    type: ClassVar[str] = "file_started"
    index: int = 0  # 1-based
    total: int = 0
    sha256: str = ""
    size: int = 0

    @property
    def headline(self) -> str:
        return f"File {self.index}/{self.total}: {self.file} ({self.size:,} bytes)"


@dataclass
class Plan(Event):
    type: ClassVar[str] = "plan"
    text: str = ""
    steps: list[str] = field(default_factory=list)

    @property
    def headline(self) -> str:
        return f"Plan: {self.text}"


@dataclass
class Thought(Event):
    type: ClassVar[str] = "thought"
    text: str = ""

    @property
    def headline(self) -> str:
        return f"Thought: {self.text}"


@dataclass
class ThoughtDelta(Event):
    """A piece of a thought as the LLM streams it. Shown live; the finished Thought goes to the trace."""

    type: ClassVar[str] = "thought_delta"
    text: str = ""


@dataclass
class ToolCall(Event):
    type: ClassVar[str] = "tool_call"
    tool: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)

    @property
    def headline(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.arguments.items())
        return f"Tool: {self.tool}({arguments})"


@dataclass
class Observation(Event):
    type: ClassVar[str] = "observation"
    tool: str = ""
    summary: str = ""
    size: int = 0  # characters of the full result
    ok: bool = True
    error: str = ""

    @property
    def headline(self) -> str:
        return f"Observation: {self.summary}" if self.ok else f"Tool failed: {self.error}"


@dataclass
class Check(Event):
    type: ClassVar[str] = "check"
    name: str = ""  # schema | grounding | cross_checks | row_count | ...
    passed: bool = True
    detail: str = ""
    flagged_rows: list[int] = field(default_factory=list)

    @property
    def headline(self) -> str:
        return f"Check {self.name}: {'passed' if self.passed else 'FLAGGED'}. {self.detail}"


@dataclass
class Reflection(Event):
    type: ClassVar[str] = "reflection"
    row_number: int = 0
    verdict: str = ""  # confirmed | corrected | left_flagged
    text: str = ""

    @property
    def headline(self) -> str:
        return f"Reflection on row {self.row_number}: {self.verdict}. {self.text}"


@dataclass
class FileFinished(Event):
    type: ClassVar[str] = "file_finished"
    status: str = ""  # ok | flagged | needs_ocr | failed
    rows: int = 0
    flagged_rows: int = 0
    reason: str = ""
    file_outcome: dict[str, Any] = field(default_factory=dict)  # the FileOutcome, so a trace can be replayed

    @property
    def headline(self) -> str:
        text = f"{self.file}: {self.status}, {self.rows} row(s), {self.flagged_rows} flagged"
        return f"{text}. {self.reason}" if self.reason else text


@dataclass
class CachedTrace(Event):
    """How a file served from the cache was read, in the run that read it: that run's events for the file,
    replayed as they were (so this run's trace shows how its rows were read, and that it did not redo it)."""

    type: ClassVar[str] = "cached_trace"
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def headline(self) -> str:
        when = datetime.fromtimestamp(self.events[0].get("started_at", 0.0)) if self.events else None
        run = f"the run of {when:%Y-%m-%d %H:%M:%S}" if when else "the run"
        return f"From the cache: the {len(self.events)} step(s) of {run} that read these bytes"

    @property
    def replayed(self) -> list[Event]:
        return [event_from_dict(data) for data in self.events]


@dataclass
class FinalAnswer(Event):
    type: ClassVar[str] = "final_answer"
    text: str = ""
    answer: dict[str, Any] = field(default_factory=dict)  # Ask's Answer or CannotAnswer as JSON (agent.ask.answer)

    @property
    def headline(self) -> str:
        return f"Answer: {self.text.splitlines()[0] if self.text else ''}"


@dataclass
class ErrorEvent(Event):
    type: ClassVar[str] = "error"
    message: str = ""
    recoverable: bool = True

    @property
    def headline(self) -> str:
        return f"Error: {self.message}"


@dataclass
class RunFinished(Event):
    type: ClassVar[str] = "run_finished"
    outcome: str = "completed"  # completed | max_steps | time_budget | repeated_call | cancelled
    files: int = 0
    rows: int = 0
    flagged_rows: int = 0
    llm_calls: int = 0
    total_tokens: int = 0
    tokens_estimated: bool = False  # some calls' tokens are estimates: the server reported no usage, or the call raised
    estimated_cost_usd: float | None = None
    fallback: str = ""  # why the LLM brain handed the run to the offline brain ('' when it did not)

    @property
    def headline(self) -> str:
        if self.estimated_cost_usd is None:
            cost = ""
        elif self.estimated_cost_usd == 0:  # a local server: "$0.0000" would read as a price that rounded away
            cost = ", no API cost"
        else:
            cost = f", about ${self.estimated_cost_usd:.4f}"
        fell_back = f"; the offline brain finished it (LLM fell back: {self.fallback})" if self.fallback else ""
        estimated = " (estimated)" if self.tokens_estimated else ""
        return (f"Run {self.outcome}: {self.files} file(s), {self.rows} row(s), {self.flagged_rows} flagged; "
                f"{self.llm_calls} LLM call(s), {self.total_tokens} tokens{estimated}{cost}{fell_back}")


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (RunStarted, FileStarted, Plan, Thought, ThoughtDelta, ToolCall, Observation, Check, Reflection,
                FileFinished, CachedTrace, FinalAnswer, ErrorEvent, RunFinished)
}
# Shown live but not kept: the finished Thought carries the same text.
EPHEMERAL_TYPES = frozenset({ThoughtDelta.type})


def event_from_dict(data: Mapping[str, Any]) -> Event:
    cls = EVENT_TYPES[data["type"]]
    names = {f.name for f in fields(cls)}
    return cls(**{key: value for key, value in data.items() if key in names})


def to_jsonl(events: Iterable[Event]) -> str:
    """The trace file: one JSON object per line, ephemeral deltas left out."""
    return "".join(json.dumps(event.to_dict(), ensure_ascii=False) + "\n"
                   for event in events if event.type not in EPHEMERAL_TYPES)


def from_jsonl(text: str) -> list[Event]:
    return [event_from_dict(json.loads(line)) for line in text.splitlines() if line.strip()]
