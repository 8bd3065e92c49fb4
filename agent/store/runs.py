"""SQLite history."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from agent.documents.pdf import sha256_of
from agent.errors import StoreError
from agent.models import FileOutcome, InputFile
from agent.run.events import EPHEMERAL_TYPES, Event, event_from_dict
from agent.run.result import RunResult
from agent.store.schema import SCHEMA


@dataclass(frozen=True)
class RunRecord:
    id: str
    created_at: float
    finished_at: float | None
    status: str
    brain: str
    model: str
    rows: int
    flagged_rows: int
    summary: str
    files: list[dict]  # name, sha256, size


class RunStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the history database at {self.path}: {self._why(exc)}") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One short connection per operation: safe across Streamlit's threads; commits or rolls back whole."""
        try:
            db = sqlite3.connect(self.path, timeout=10)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the history database at {self.path}: {self._why(exc)}") from None
        try:
            db.execute("PRAGMA foreign_keys = ON")
            with db:
                yield db
        except sqlite3.Error as exc:
            raise StoreError(f"history not saved: {self._why(exc)}; the results stay in this session and can be "
                             "downloaded") from None
        finally:
            db.close()

    def _why(self, exc: OSError | sqlite3.Error) -> str:
        """The cause in the user's terms where SQLite's own words are vague ("unable to open database file")."""
        folder = self.path.parent
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
        if code == sqlite3.SQLITE_FULL:
            return f"the disk holding {folder} is full ({exc})"
        if code == sqlite3.SQLITE_READONLY or (folder.is_dir() and not os.access(folder, os.W_OK)):
            return f"the data folder {folder} is read-only ({exc})"
        return str(exc)

    # --- runs --------------------------------------------------------------------------------------

    def start_run(self, workspace: str, run_id: str, brain: str, model: str, files: list[InputFile]) -> None:
        with self._connect() as db:
            db.execute("INSERT INTO runs (id, workspace, created_at, status, brain, model) VALUES (?, ?, ?, ?, ?, ?)",
                       (run_id, workspace, time.time(), "running", brain, model))
            db.executemany("INSERT INTO run_files VALUES (?, ?, ?, ?, ?, ?)",
                           [(run_id, position, item.name, sha256_of(item.data), len(item.data), item.data)
                            for position, item in enumerate(files)])

    def append_events(self, run_id: str, events: Iterable[Event]) -> None:
        kept = [event for event in events if event.type not in EPHEMERAL_TYPES]
        with self._connect() as db:
            start = db.execute("SELECT COALESCE(MAX(seq), 0) FROM run_events WHERE run_id = ?", (run_id,)).fetchone()[0]
            db.executemany("INSERT INTO run_events VALUES (?, ?, ?)",
                           [(run_id, start + offset, json.dumps(event.to_dict(), ensure_ascii=False))
                            for offset, event in enumerate(kept, start=1)])

    def finish_run(self, run_id: str, result: RunResult) -> None:
        rows = sum(outcome.rows for outcome in result.outcomes)
        flagged = sum(outcome.flagged_rows for outcome in result.outcomes)
        with self._connect() as db:
            db.execute("UPDATE runs SET finished_at = ?, status = ?, rows = ?, flagged_rows = ?, summary = ? "
                       "WHERE id = ?", (time.time(), result.outcome, rows, flagged, result.summary, run_id))

    def mark_interrupted(self) -> int:
        """Call once when a process opens the store, before it starts runs: any run still 'running' then was
        cut short by a crash or restart. Its row counts are those of the files it finished."""
        with self._connect() as db:
            running = [run_id for (run_id,) in db.execute("SELECT id FROM runs WHERE status = 'running'")]
            for run_id in running:
                events = db.execute("SELECT event FROM run_events WHERE run_id = ? ORDER BY seq", (run_id,))
                outcomes = RunResult.from_events(event_from_dict(json.loads(event)) for (event,) in events).outcomes
                db.execute("UPDATE runs SET status = 'interrupted', rows = ?, flagged_rows = ? WHERE id = ?",
                           (sum(outcome.rows for outcome in outcomes),
                            sum(outcome.flagged_rows for outcome in outcomes), run_id))
            return len(running)

    def list_runs(self, workspace: str) -> list[RunRecord]:
        with self._connect() as db:
            runs = db.execute("SELECT id, created_at, finished_at, status, brain, model, rows, flagged_rows, summary "
                              "FROM runs WHERE workspace = ? ORDER BY created_at DESC", (workspace,)).fetchall()
            files = db.execute("SELECT run_id, name, sha256, size FROM run_files WHERE run_id IN "
                               "(SELECT id FROM runs WHERE workspace = ?) ORDER BY run_id, position",
                               (workspace,)).fetchall()
        by_run: dict[str, list[dict]] = {}
        for run_id, name, sha256, size in files:
            by_run.setdefault(run_id, []).append({"name": name, "sha256": sha256, "size": size})
        return [RunRecord(*row, files=by_run.get(row[0], [])) for row in runs]

    def load_events(self, workspace: str, run_id: str) -> list[Event]:
        with self._connect() as db:
            rows = db.execute("SELECT e.event FROM run_events e JOIN runs r ON r.id = e.run_id "
                              "WHERE r.workspace = ? AND e.run_id = ? ORDER BY e.seq", (workspace, run_id)).fetchall()
        return [event_from_dict(json.loads(row[0])) for row in rows]

    def load_result(self, workspace: str, run_id: str) -> RunResult:
        """A stored run as the loop would have returned it, rebuilt from its events."""
        return RunResult.from_events(self.load_events(workspace, run_id))

    def load_files(self, workspace: str, run_id: str) -> list[InputFile]:
        with self._connect() as db:
            rows = db.execute("SELECT f.name, f.data FROM run_files f JOIN runs r ON r.id = f.run_id "
                              "WHERE r.workspace = ? AND f.run_id = ? ORDER BY f.position",
                              (workspace, run_id)).fetchall()
        return [InputFile(name, bytes(data)) for name, data in rows]

    def delete_run(self, workspace: str, run_id: str) -> bool:
        with self._connect() as db:
            return db.execute("DELETE FROM runs WHERE workspace = ? AND id = ?", (workspace, run_id)).rowcount == 1

    # --- cache and profile -------------------------------------------------------------------------

    # The cache only saves a second reading: a cache the disk refuses is a miss, never a failed run (the
    # run's own history writes report the disk's state to the user).

    def cached_outcome(self, key: str) -> FileOutcome | None:
        try:
            with self._connect() as db:
                row = db.execute("SELECT outcome FROM outcome_cache WHERE sha256 = ? AND version = ''",
                                 (key,)).fetchone()
        except StoreError:
            return None
        return FileOutcome.from_dict(json.loads(row[0])) if row else None

    def cache_outcome(self, key: str, outcome: FileOutcome) -> None:
        try:
            with self._connect() as db:
                db.execute("INSERT OR REPLACE INTO outcome_cache VALUES (?, '', ?)",
                           (key, json.dumps(outcome.to_dict(), ensure_ascii=False)))
        except StoreError:
            pass

    def save_profile(self, workspace: str, profile: dict) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO profiles VALUES (?, ?, ?)",
                       (workspace, json.dumps(profile), time.time()))

    def load_profile(self, workspace: str) -> dict | None:
        with self._connect() as db:
            row = db.execute("SELECT profile FROM profiles WHERE workspace = ?", (workspace,)).fetchone()
        return json.loads(row[0]) if row else None
