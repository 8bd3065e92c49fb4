"""Fetched PTRs read by the agent (sandboxed, as uploads are), recorded as a run in History and added to the library.
Shared by the command line and the app, which differ only in how they show the events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from agent.fetch.fetcher import Download
from agent.models import InputFile
from agent.run.events import Event
from agent.run.loop import Agent
from agent.run.result import RunResult
from agent.store.library import Library, LibraryAdd
from agent.store.runs import RunStore


@dataclass(frozen=True)
class Reading:
    run_id: str
    result: RunResult
    added: list[LibraryAdd]

    def unread(self) -> list[str]:
        """One line per file the agent could not read (failed, or a scan left for OCR)."""
        return [f"{outcome.source_file}: {outcome.status.replace('_', ' ')}: {outcome.reason}"
                for outcome in self.result.outcomes if outcome.status in ("failed", "needs_ocr")]


def known_doc_ids(library: Library, workspace: str) -> set[str]:
    """DocIDs the library holds: the Filing ID printed on a filing, or the name a fetched file was given."""
    known: set[str] = set()
    for filing in library.filings(workspace):
        known.update(value for value in (filing.filing_id, Path(filing.source_file).stem) if value)
    return known


def inputs_of(downloads: Sequence[Download]) -> list[InputFile]:
    return [file for download in downloads if (file := download.input_file()) is not None]


def read_into_library(agent: Agent, files: list[InputFile], store: RunStore, library: Library, workspace: str,
                      on_event: Callable[[Event], None] = lambda event: None) -> Reading:
    """Run the agent on `files` as one run of History, then add its outcomes to the library. `on_event` sees every
    event as it happens (the streamed thought deltas too). Raises StoreError when the database refuses a write."""
    run_id = uuid.uuid4().hex
    store.start_run(workspace, run_id, agent.brain.name, agent.brain.model, files)
    events: list[Event] = []
    for event in agent.events(files):
        on_event(event)
        if event.type == "thought_delta":  # the finished thought follows as one event
            continue
        events.append(event)
        store.append_events(run_id, [event])
    result = RunResult.from_events(events)
    store.finish_run(run_id, result)
    added = library.add(workspace, result.outcomes, {file.name: file.data for file in files}, run_id)
    return Reading(run_id, result, added)
