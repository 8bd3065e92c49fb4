"""A finished (or stopped) run, rebuilt from its events alone: how history replays a run without re-running it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from agent.models import FileOutcome, Filing
from agent.run.events import EPHEMERAL_TYPES, Event, FileFinished, FinalAnswer, RunFinished, RunStarted


@dataclass
class RunResult:
    """A finished (or stopped) run: every file's outcome, the summary, the full trace."""

    outcomes: list[FileOutcome]
    events: list[Event]
    summary: str = ""
    outcome: str = "completed"
    brain: str = "offline"

    @property
    def filings(self) -> list[Filing]:
        return [outcome.filing for outcome in self.outcomes if outcome.filing]

    @property
    def finished(self) -> RunFinished | None:
        return next((event for event in reversed(self.events) if isinstance(event, RunFinished)), None)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> RunResult:
        kept = [event for event in events if event.type not in EPHEMERAL_TYPES]
        outcomes = [FileOutcome.from_dict(event.file_outcome) for event in kept
                    if isinstance(event, FileFinished) and event.file_outcome]
        summary = next((event.text for event in reversed(kept) if isinstance(event, FinalAnswer)), "")
        started = next((event for event in kept if isinstance(event, RunStarted)), None)
        finished = next((event for event in reversed(kept) if isinstance(event, RunFinished)), None)
        return cls(outcomes, kept, summary, finished.outcome if finished else "interrupted",
                   started.brain if started else "offline")
