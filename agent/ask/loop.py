"""Ask's loop: a request in words over a rows frame, as the same typed event stream as a run (Plan, ToolCall,
Observation, Check, FinalAnswer), so the live trace, the trace file and the tests read it the same way.

The brain (offline by default, or an LLM brain: agent.ask.brain.AskBrain) understands the request and picks the
queries; the loop runs them through the one registry (agent.ask.queries.QUERY_TOOLS: bad arguments come back as a
failed result, never an exception), then checks the composed answer: a sentence stating a number that no result it
rests on holds is removed, and the trace says so. The outputs asked for are made last: the trace holds the answer.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import TypeVar, cast

from agent.analysis.report import markdown_report
from agent.ask.answer import Answer, CannotAnswer, checked_answer, outcome_from_dict
from agent.ask.brain import MAX_CALLS, OUTPUT_FILES, AskBrain, AskState, Understanding
from agent.ask.offline import OfflineAskBrain
from agent.ask.queries import QUERY_TOOLS, AskContext
from agent.export import frame_csv
from agent.run.events import EPHEMERAL_TYPES, Check, Event, FinalAnswer, Observation, Plan, ToolCall, to_jsonl

T = TypeVar("T")


def _plan_event(understanding: Understanding) -> Plan:
    steps = [call.written for call in understanding.calls]
    steps += [f"write {OUTPUT_FILES[output]}" for output in understanding.outputs]
    parts = [understanding.plan]
    if understanding.understood:
        parts.append("Understood: " + "; ".join(understanding.understood) + ".")
    if understanding.not_understood:
        parts.append("Not understood: " + "; ".join(understanding.not_understood) + ".")
    return Plan(text=" ".join(parts), steps=steps)


def _number_check(answer: Answer) -> Check:
    if answer.removed:
        return Check(name="numbers", passed=False, detail="; ".join(answer.removed))
    return Check(name="numbers", passed=True,
                 detail=f"every number in the answer's {len(answer.sentences)} sentence(s) is in a tool result")


def ask(request: str, context: AskContext, brain: AskBrain | None = None) -> Iterator[Event]:
    """Answer a request over context's rows, yielding each step as it happens; the last event is the FinalAnswer
    (its `answer` is the Answer or CannotAnswer as JSON). A profile the request states is set on context.profile
    (for the caller to remember); outputs asked for land in context.artifacts."""
    brain = brain or OfflineAskBrain()
    events: list[Event] = []

    def emit(event: Event, started: float) -> Event:
        event.step, event.started_at, event.duration = len(events) + 1, started, time.time() - started
        events.append(event)
        return event

    def numbered(steps: Generator[Event, None, T]) -> Generator[Event, None, T]:
        """The brain's own events (its thoughts, retries, a fallback) numbered and kept like the loop's; a streamed
        delta passes as it is."""
        try:
            while True:
                event = next(steps)
                yield event if event.type in EPHEMERAL_TYPES else emit(event, time.time())
        except StopIteration as finished:
            return cast(T, finished.value)

    started = time.time()
    understanding = yield from numbered(brain.understand(request, context))
    yield emit(_plan_event(understanding), started)
    if understanding.profile is not None:
        context.profile = understanding.profile
    state = AskState(request, context, understanding)
    outcome: Answer | CannotAnswer
    if understanding.cannot is not None:
        outcome = understanding.cannot
    else:
        for _ in range(MAX_CALLS):
            started = time.time()
            call = yield from numbered(brain.next_call(state))
            if call is None:
                break
            arguments = call.arguments if isinstance(call.arguments, dict) else {"arguments": call.arguments}
            yield emit(ToolCall(tool=call.tool, arguments=arguments), started)
            started = time.time()
            result = QUERY_TOOLS.call(context, call.tool, call.arguments)
            yield emit(Observation(tool=call.tool, summary=result.summary, size=result.size, ok=result.ok,
                                   error=result.error), started)
            state.steps.append((call, result))
        started = time.time()
        draft = yield from numbered(brain.compose(state))
        if isinstance(draft, CannotAnswer):
            outcome = draft
        else:
            outcome = checked_answer(request, draft, state.results)
            yield emit(_number_check(outcome), started)
    outcome = outcome.model_copy(update={"outputs": [OUTPUT_FILES[output] for output in understanding.outputs]})
    started = time.time()
    if "csv" in understanding.outputs:
        context.artifacts[OUTPUT_FILES["csv"]] = frame_csv(context.frame)
    if "report" in understanding.outputs:
        context.artifacts[OUTPUT_FILES["report"]] = markdown_report(
            list(context.outcomes), context.frame, context.profile, trace=events, trades=context.prepared)
    yield emit(FinalAnswer(text=outcome.text, answer=outcome.model_dump(mode="json")), started)
    if "trace" in understanding.outputs:
        context.artifacts[OUTPUT_FILES["trace"]] = to_jsonl(events)


@dataclass
class AskResult:
    """A finished request: its events, and the Answer or CannotAnswer its FinalAnswer carries."""

    events: list[Event] = field(default_factory=list)

    @property
    def outcome(self) -> Answer | CannotAnswer:
        final = next(event for event in reversed(self.events) if isinstance(event, FinalAnswer))
        return outcome_from_dict(final.answer)

    @property
    def answered(self) -> bool:
        return isinstance(self.outcome, Answer)


def run(request: str, context: AskContext, brain: AskBrain | None = None) -> AskResult:
    """ask() to the end: every event, and the outcome."""
    return AskResult(list(ask(request, context, brain)))
