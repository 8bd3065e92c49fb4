"""The ReAct loop: a generator of events. `Agent.events(files)` yields each finished step as it
happens; `Agent.run(files)` collects them into a RunResult. A RunResult can be rebuilt from the
events alone (`RunResult.from_events`), which is how history replays a run without re-running it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

from agent.documents.pdf import sha256_of
from agent.formats.registry import unread_filing
from agent.models import FileOutcome, Filing, InputFile
from agent.run.amendments import amendment_note
from agent.run.brain import FINISH, WAIT, Brain, Decision, FileState
from agent.run.cache import CachedOutcome, is_cacheable, outcome_key
from agent.run.events import (
    EPHEMERAL_TYPES,
    CachedTrace,
    Check,
    ErrorEvent,
    Event,
    FileFinished,
    FileStarted,
    FinalAnswer,
    Observation,
    RunFinished,
    RunStarted,
    Thought,
    ToolCall,
)
from agent.run.extract import outcome_for
from agent.run.llm import LLMConfig, OpenAIChat, Spend
from agent.run.llm_brain import LLMBrain
from agent.run.offline_brain import OfflineBrain
from agent.run.result import RunResult
from agent.run.summary import run_summary
from agent.run.tools import REGISTRY, ROW_TOOLS, LLMRowsRead, RunContext, ToolRegistry, ToolResult, Validation


@dataclass(frozen=True)
class Limits:
    max_steps: int = 12  # tool calls per file
    time_budget: float = 600.0  # seconds for the whole run


def brain_for(config: LLMConfig | None) -> Brain:
    """The LLM brain when an endpoint is configured, otherwise the offline brain (which says why)."""
    if config is not None and config.configured:
        return LLMBrain(OpenAIChat(config), config)
    return OfflineBrain()


Value = TypeVar("Value")


class Emit(Protocol):
    """Stamp an event (number, file, start, duration), record it, and return it."""

    def __call__(self, event: Event, file: str = "", started: float | None = None) -> Event: ...


class OutcomeCache(Protocol):
    """Checked outcomes by content hash (the run store implements it)."""

    def cached_outcome(self, key: str) -> CachedOutcome | None: ...

    def cache_outcome(self, key: str, outcome: FileOutcome, trace: list[Event]) -> None: ...


class Agent:
    def __init__(self, brain: Brain | None = None, registry: ToolRegistry = REGISTRY, limits: Limits = Limits(),
                 clock: Callable[[], float] = time.time, cache: OutcomeCache | None = None, ocr: bool = False,
                 code_version: str | None = None):
        self.brain = brain or OfflineBrain()
        self.registry = registry
        self.limits = limits
        self.clock = clock
        self.cache = cache
        self.ocr = ocr
        self.code_version = code_version  # None: the hash of the code as installed
        self._step = 0

    def run(self, files: list[InputFile]) -> RunResult:
        return RunResult.from_events(self.events(files))

    def _stamp(self, event: Event, file: str, started: float) -> Event:
        """Number the event, and give it its file, start time and duration."""
        self._step += 1
        event.step = self._step
        event.file = event.file or file
        event.started_at = started
        event.duration = max(0.0, self.clock() - started)
        return event

    def _run_brain(self, generator: Generator[Event, None, Value], file: str,
                   record: Callable[[Event], None]) -> Generator[Event, None, tuple[Value, float]]:
        """Run a brain generator: pass on its events (stamped and recorded, unless ephemeral) and return
        (its value, when the step that produced the value started)."""
        started = self.clock()
        while True:
            try:
                event = next(generator)
            except StopIteration as stop:
                return stop.value, started
            if event.type in EPHEMERAL_TYPES:
                event.file = event.file or file
            else:
                record(self._stamp(event, file, started))
                started = self.clock()
            yield event

    def events(self, files: list[InputFile]) -> Iterator[Event]:
        files = with_unique_names(files)
        self._step = 0
        run_started = self.clock()
        spent_before = _spent(self.brain)
        ctx = RunContext({item.name: item for item in files}, llm=getattr(self.brain, "llm", None), ocr=self.ocr,
                         time_left=lambda: self._time_left(run_started), call_seconds=_call_seconds(self.brain))
        record = ctx.events.append

        def emit(event: Event, file: str = "", started: float | None = None) -> Event:
            stamped = self._stamp(event, file, self.clock() if started is None else started)
            record(stamped)
            return stamped

        yield emit(RunStarted(brain=self.brain.name, model=self.brain.model, files=list(ctx.files),
                              note=self.brain.note))
        plan, plan_started = yield from self._run_brain(self.brain.plan(ctx), "", record)
        yield emit(plan, "", plan_started)

        run_outcome = "completed"
        outcomes: list[FileOutcome] = []
        waiting: list[_Waiting] = []  # files whose model turns come after every parser-read file
        for index, item in enumerate(files, start=1):
            if self._time_left(run_started) <= 0:
                run_outcome = "time_budget"
                outcome = FileOutcome(item.name, "failed", f"not processed: the run's time budget of "
                                      f"{self.limits.time_budget:.0f} s ran out")
                outcomes.append(outcome)
                yield emit(_finished_event(outcome), item.name)
                continue
            digest = sha256_of(item.data)
            yield emit(FileStarted(index=index, total=len(files), sha256=digest, size=len(item.data)), item.name)
            started = self.clock()
            cache_key = outcome_key(digest, ocr=self.ocr, brain=self.brain.name, model=self.brain.model,
                                    endpoint=_endpoint_of(self.brain), version=self.code_version)
            cached = self.cache.cached_outcome(cache_key) if self.cache else None
            if cached is not None:
                outcome = _renamed(cached.outcome, item.name)
                yield emit(Thought(text=f"Same bytes (sha256 {digest[:12]}…) as a file read before: its checked "
                                   "results are served from the cache, with no second extraction."), item.name)
                if cached.trace:  # how the run that read them did it, marked as that run's
                    yield emit(CachedTrace(events=[event.to_dict() for event in cached.trace]), item.name)
                yield from _note_amendment(outcome, outcomes, emit)
                outcomes.append(outcome)
                yield emit(_finished_event(outcome), item.name, started)
                continue
            state = FileState(item.name)
            try:
                limit_hit, stop_reason = yield from self._file_steps(ctx, state, emit, record)
                why = "" if limit_hit else self.brain.model_work(ctx, state)
                if why:
                    yield emit(Thought(text=f"The LLM's turns on this file ({why}) come after every file the "
                                       "deterministic readers read, so no parser-read file waits on the model."),
                               item.name)
                    waiting.append(_Waiting(state, cache_key, started, self.clock() - started))
                    continue
                yield from self._run_brain(self.brain.reflect(ctx, state), item.name, record)
                outcome = self._outcome(ctx, state, stop_reason, self.clock() - started)
            except Exception as exc:  # noqa: BLE001 (a bug costs this file, never the run)
                outcome, limit_hit = self._internal_error(item.name, exc, started), None
                yield emit(ErrorEvent(message=outcome.reason, recoverable=True), item.name)
            run_outcome = _worst(run_outcome, limit_hit)
            yield from self._finish(outcome, outcomes, cache_key, limit_hit, emit, started, ctx.events)

        for file in waiting:
            name = file.state.file
            started = self.clock()
            file.state.model_turns = True
            try:
                limit_hit, stop_reason = yield from self._model_turns(ctx, file.state, emit, record)
                outcome = self._outcome(ctx, file.state, stop_reason, file.seconds + self.clock() - started)
            except Exception as exc:  # noqa: BLE001 (a bug costs this file, never the run)
                outcome, limit_hit = self._internal_error(name, exc, started), None
                yield emit(ErrorEvent(message=outcome.reason, recoverable=True), name)
            run_outcome = _worst(run_outcome, limit_hit)
            yield from self._finish(outcome, outcomes, file.cache_key, limit_hit, emit, file.started, ctx.events)

        given = list(ctx.files)
        outcomes.sort(key=lambda outcome: given.index(outcome.source_file))  # the order given, not finish order
        fallback = _fallback_reason(self.brain)
        summary = run_summary(outcomes, run_outcome, fallback)
        yield emit(FinalAnswer(text=summary))
        spend = _spent(self.brain).since(spent_before)
        cost = self.brain.config.estimated_cost(spend.prompt_tokens, spend.completion_tokens) \
            if isinstance(self.brain, LLMBrain) else None
        yield emit(RunFinished(outcome=run_outcome, files=len(outcomes), rows=sum(o.rows for o in outcomes),
                               flagged_rows=sum(o.flagged_rows for o in outcomes), llm_calls=spend.calls,
                               total_tokens=spend.tokens, tokens_estimated=spend.estimated_calls > 0,
                               estimated_cost_usd=cost, fallback=fallback), "", run_started)

    def _time_left(self, run_started: float) -> float:
        return run_started + self.limits.time_budget - self.clock()

    def _model_turns(self, ctx: RunContext, state: FileState, emit: Emit,
                     record: Callable[[Event], None]) -> Generator[Event, None, tuple[str | None, str]]:
        """A waiting file's model turns, within what is left of the run's time budget; when the budget is spent
        the file keeps what the deterministic steps read."""
        if ctx.time_left() <= 0:
            reason = (f"the run's time budget of {self.limits.time_budget:.0f} s ran out before the LLM's turns on "
                      "this file: the deterministic reading is kept")
            yield emit(ErrorEvent(message=reason, recoverable=False), state.file)
            return "time_budget", reason
        limit_hit, stop_reason = (yield from self._file_steps(ctx, state, emit, record)) if state.waits else (None, "")
        if not limit_hit:
            yield from self._run_brain(self.brain.reflect(ctx, state), state.file, record)
        return limit_hit, stop_reason

    def _file_steps(self, ctx: RunContext, state: FileState, emit: Emit,
                    record: Callable[[Event], None]) -> Generator[Event, None, tuple[str | None, str]]:
        """Think, act, observe until the brain finishes the file, waits for the model's turns, or a limit stops
        it. Returns (the limit hit or None, why the file stopped or '')."""
        file = state.file
        seen_calls: set[str] = set()
        while True:
            if ctx.time_left() <= 0:
                reason = (f"stopped: the run's time budget of {self.limits.time_budget:.0f} s ran out during this "
                          "file: what was read and checked so far is kept")
                yield emit(ErrorEvent(message=reason, recoverable=False), file)
                return "time_budget", reason
            decision, thought_started = yield from self._run_brain(self.brain.next_step(ctx, state), file, record)
            if decision.thought:
                yield emit(Thought(text=decision.thought, tokens=decision.tokens), file, thought_started)
            if decision.tool in (FINISH, WAIT):
                state.waits = decision.tool == WAIT
                break
            signature = f"{decision.tool}:{decision.arguments!r}"
            if signature in seen_calls:
                reason = f"stopped: the same call {decision.tool}({decision.arguments}) was repeated"
                yield emit(ErrorEvent(message=reason, recoverable=False), file)
                return "repeated_call", reason
            if len(state.steps) >= self.limits.max_steps:
                reason = f"stopped: the limit of {self.limits.max_steps} steps per file was reached"
                yield emit(ErrorEvent(message=reason, recoverable=False), file)
                return "max_steps", reason
            seen_calls.add(signature)
            yield from self._act(ctx, state, decision, emit)
        if file in ctx.filings and not _validated_last(state):
            # The brain finished without checking its last rows: no layer is trusted to skip the validators.
            decision = Decision("The rows were not validated after they were last read: validating them before "
                                "the file is finished.", "validate_rows", {"file": file})
            yield emit(Thought(text=decision.thought), file)
            yield from self._act(ctx, state, decision, emit)
        return None, ""

    def _finish(self, outcome: FileOutcome, outcomes: list[FileOutcome], cache_key: str, limit_hit: str | None,
                emit: Emit, started: float, trace: list[Event]) -> Iterator[Event]:
        """Cache a file's outcome (when it may be) with its steps in `trace` (the run's events so far), note an
        amendment, and say the file is finished."""
        if self.cache and not limit_hit and is_cacheable(outcome,
                                                         brain_failed=_fell_back(self.brain, outcome.source_file)):
            self.cache.cache_outcome(cache_key, outcome, [e for e in trace if e.file == outcome.source_file])
        yield from _note_amendment(outcome, outcomes, emit)  # after caching: the note is this run's
        outcomes.append(outcome)
        yield emit(_finished_event(outcome), outcome.source_file, started)

    def _internal_error(self, file: str, exc: Exception, started: float) -> FileOutcome:
        return FileOutcome(file, "failed", f"internal error ({type(exc).__name__}: {exc})",
                           seconds=self.clock() - started)

    def _act(self, ctx: RunContext, state: FileState, decision: Decision, emit: Emit) -> Iterator[Event]:
        """Call the decided tool and record its observation and checks."""
        arguments = decision.arguments if isinstance(decision.arguments, dict) else {"raw": decision.arguments}
        yield emit(ToolCall(tool=decision.tool, arguments=arguments), state.file)
        started = self.clock()
        result = self.registry.call(ctx, decision.tool, decision.arguments)
        state.steps.append((decision, result))
        yield emit(Observation(tool=decision.tool, summary=result.summary, size=result.size, ok=result.ok,
                               error=result.error), state.file, started)
        for check in _checks_of(result):
            yield emit(check, state.file, started)

    def _outcome(self, ctx: RunContext, state: FileState, stop_reason: str, seconds: float) -> FileOutcome:
        file = state.file
        filing = ctx.filings.get(file)
        if filing is None:
            document = ctx.documents.get(file)
            error = next((result.error for decision, result in reversed(state.steps) if not result.ok
                          and decision.tool in FILE_READERS and _names(decision, file)), "")
            if document is None or error:  # never opened, or its reader refused it: the tool's error says why
                error = error.removeprefix(f"{file}: ")
                return FileOutcome(file, "failed", stop_reason or error or "the file was not read", seconds=seconds)
            filing = unread_filing(document)
        outcome = outcome_for(filing, seconds)
        for finding in (stop_reason, _llm_found_nothing(state, filing)):
            if finding:  # never a green success: a person has to look
                outcome.status = "flagged" if outcome.status == "ok" else outcome.status
                outcome.reason = "; ".join(filter(None, [finding, outcome.reason]))
        return outcome


@dataclass
class _Waiting:
    """A file whose deterministic steps are done and whose model turns come after every parser-read file."""

    state: FileState
    cache_key: str
    started: float
    seconds: float  # spent on its deterministic steps


def _worst(run_outcome: str, limit_hit: str | None) -> str:
    """The run's outcome after a file: the first limit any file hit, else "completed"."""
    return limit_hit if limit_hit and run_outcome == "completed" else run_outcome


def _note_amendment(outcome: FileOutcome, earlier: list[FileOutcome], emit: Emit) -> Iterator[Event]:
    """Say, in the trace and the outcome, which report in this run an amendment replaces (or is replaced by)."""
    if outcome.filing is None:
        return
    note = amendment_note(outcome.filing, [other.filing for other in earlier if other.filing])
    if note:
        outcome.reason = "; ".join(filter(None, [outcome.reason, note]))
        yield emit(Thought(text=note[0].upper() + note[1:] + "."), outcome.source_file)


def _endpoint_of(brain: Brain) -> str:
    return brain.config.base_url if isinstance(brain, LLMBrain) else ""


def _call_seconds(brain: Brain) -> float:
    return brain.config.time_limit if isinstance(brain, LLMBrain) else math.inf


def _fell_back(brain: Brain, file: str) -> bool:
    """True when the LLM brain lost its endpoint during the run, or gave the file up (an outcome a fault shaped)."""
    return isinstance(brain, LLMBrain) and (brain.failed or file in brain.given_up)


def _fallback_reason(brain: Brain) -> str:
    """Why the LLM brain handed the run to the offline brain, or '' when it did not."""
    return (brain.failure.rstrip(".") or "the endpoint failed") if isinstance(brain, LLMBrain) and brain.failed else ""


def _llm_found_nothing(state: FileState, filing: Filing) -> str:
    """What to say of a file the LLM was asked to read and took no row from ('' when it took some, or was never
    asked)."""
    attempts = [result for decision, result in state.steps if decision.tool == "extract_with_llm"]
    if not attempts or filing.transactions:
        return ""
    reads = [result.data for result in attempts if isinstance(result.data, LLMRowsRead)]
    pages = ", ".join(str(page) for page in sorted({read.page for read in reads}))
    proposed = sum(read.proposed for read in reads)
    # An extraction that failed (a page or file the model made up, a call that timed out) read nothing of the file:
    # the trace says why; the file's outcome says what it came to.
    found = (f"the LLM read page(s) {pages} and no row it proposed passed the checks ({proposed} proposed)" if reads
             else f"the LLM found no rows (its {len(attempts)} extraction call(s) failed; the trace says why)")
    return f"{found}: a person needs to read this file"


# The tools whose failure on a file is the file's own: its reader refused it (a model's extract_with_llm on a page
# or file it made up fails the model's step, not the file).
FILE_READERS = ("inspect_pdf", "extract_known_layout", "ocr_pages")


def _names(decision: Decision, file: str) -> bool:
    """True when the step was taken on `file` (a model may name a file that is not in the run)."""
    return isinstance(decision.arguments, dict) and decision.arguments.get("file") == file


def _validated_last(state: FileState) -> bool:
    """True when a successful validate_rows came after the last step that changed the rows."""
    for decision, result in reversed(state.steps):
        if decision.tool == "validate_rows" and result.ok:
            return True
        if decision.tool in ROW_TOOLS and result.ok:
            return False
    return False


def with_unique_names(files: list[InputFile]) -> list[InputFile]:
    """Two uploads with one name are two files: the later ones become "name (2).pdf", "name (3).pdf"."""
    taken: set[str] = set()
    result = []
    for item in files:
        name, number = item.name, 1
        stem, dot, suffix = item.name.rpartition(".")
        while name in taken:
            number += 1
            name = f"{stem} ({number}).{suffix}" if dot else f"{item.name} ({number})"
        taken.add(name)
        result.append(item if name == item.name else InputFile(name, item.data))
    return result


def _renamed(outcome: FileOutcome, name: str) -> FileOutcome:
    """A cached outcome under the name this upload has."""
    outcome.source_file = name
    if outcome.filing:
        outcome.filing.source_file = name
    return outcome


def _finished_event(outcome: FileOutcome) -> FileFinished:
    return FileFinished(file=outcome.source_file, status=outcome.status, rows=outcome.rows,
                        flagged_rows=outcome.flagged_rows, reason=outcome.reason, file_outcome=outcome.to_dict())


def _checks_of(result: ToolResult) -> list[Check]:
    if not result.ok or not isinstance(result.data, Validation):
        return []
    return [Check(name=check.name, passed=check.passed, detail=check.detail, flagged_rows=check.rows)
            for check in result.data.checks]


def _spent(brain: Brain) -> Spend:
    """What the brain's model has cost so far: its own calls and the tools' (extract_with_llm), answered or not."""
    return brain.llm.spent if isinstance(brain, LLMBrain) else Spend()
