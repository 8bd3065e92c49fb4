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

    @property
    def fallback(self) -> str:
        """Why the LLM brain handed the run to the offline brain ('' when it did not)."""
        finished = self.finished
        return finished.fallback if finished else ""

    @property
    def brain_used(self) -> str:
        """The brain that really ran: "offline (LLM fell back: <why>)" when the LLM's endpoint failed."""
        return f"offline (LLM fell back: {self.fallback})" if self.fallback else self.brain

    @property
    def failed_files(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == "failed")

    @property
    def tone(self) -> str:
        """How the run's headline is shown: "error" (nothing read), "warning" (a file failed, needs OCR or has
        flags, or the LLM fell back) or "success"."""
        if not self.outcomes or all(outcome.status in ("failed", "needs_ocr") for outcome in self.outcomes):
            return "error"
        if self.fallback or self.outcome != "completed" or any(outcome.status != "ok" for outcome in self.outcomes):
            return "warning"
        return "success"

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> RunResult:
        kept = [event for event in events if event.type not in EPHEMERAL_TYPES]
        outcomes = [FileOutcome.from_dict(event.file_outcome) for event in kept
                    if isinstance(event, FileFinished) and event.file_outcome]
        summary = next((event.text for event in reversed(kept) if isinstance(event, FinalAnswer)), "")
        started = next((event for event in kept if isinstance(event, RunStarted)), None)
        if started:  # files finish out of order (the LLM's turns come last): list them as they were given
            given = {name: position for position, name in enumerate(started.files)}
            outcomes.sort(key=lambda outcome: given.get(outcome.source_file, len(given)))
        finished = next((event for event in reversed(kept) if isinstance(event, RunFinished)), None)
        return cls(outcomes, kept, summary, finished.outcome if finished else "interrupted",
                   started.brain if started else "offline")
