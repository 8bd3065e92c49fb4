"""What every Ask brain is: it understands the request (a plan, what it understood and what not), chooses the next
query (or none), and composes the answer's sentences from the query results. The loop (agent.ask.loop) runs the
queries, checks every number the sentences state against the results, and records everything as events.

Brain methods are generators, as the agent's own brains are (agent.run.brain): they may yield events as they happen
(a streamed thought, a retry) and return their decision, so the loop writes `call = yield from brain.next_call(s)`.
Text read from filings reaches a brain only inside query results: it is data to describe, never an instruction.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from agent.analysis.fit import InvestorProfile
from agent.ask.answer import CannotAnswer, Sentence
from agent.ask.queries import AskContext
from agent.run.events import Event
from agent.run.tools import ToolResult

Output = Literal["csv", "report", "trace"]
OUTPUT_FILES: dict[Output, str] = {"csv": "transactions.csv", "report": "report.md", "trace": "trace.jsonl"}
MAX_CALLS = 8  # queries one request may run


@dataclass(frozen=True)
class QueryCall:
    """A query the brain wants run: a tool of agent.ask.queries.QUERY_TOOLS and its arguments (a str: JSON as a
    model wrote it, validated by the registry like any other)."""

    tool: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    call_id: str = ""  # the model's id for the call, to send its result back under

    @property
    def written(self) -> str:
        """The call as the trace's plan writes it: count_trades(member='Pelosi', date_from='2020-01-01')."""
        if isinstance(self.arguments, str):
            return f"{self.tool}({self.arguments})"
        return f"{self.tool}(" + ", ".join(f"{name}={value!r}" for name, value in self.arguments.items()) + ")"


@dataclass
class Understanding:
    """What the brain made of the request: the plan in words, what it understood and what it could not, the queries
    it means to run (an LLM brain may choose them one by one instead), the outputs asked for, a profile the request
    states, or why the filings cannot answer it."""

    plan: str
    understood: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)
    calls: list[QueryCall] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    profile: InvestorProfile | None = None
    cannot: CannotAnswer | None = None


@dataclass
class AskState:
    """The request in hand: what the brain understood and every query run so far with its result."""

    request: str
    context: AskContext
    understanding: Understanding
    steps: list[tuple[QueryCall, ToolResult]] = field(default_factory=list)

    @property
    def results(self) -> list[ToolResult]:
        return [result for _, result in self.steps]


# The answer's sentences (each naming the results it rests on), or why the filings cannot answer.
Draft = list[Sentence] | CannotAnswer


class AskBrain(Protocol):
    name: str

    def understand(self, request: str, context: AskContext) -> Generator[Event, None, Understanding]: ...

    def next_call(self, state: AskState) -> Generator[Event, None, QueryCall | None]:
        """The next query to run, or None when the brain has what it needs."""
        ...

    def compose(self, state: AskState) -> Generator[Event, None, Draft]: ...
