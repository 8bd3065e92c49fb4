"""SQLite history: runs with their files and events, the outcome cache and each workspace's profile.

One short connection per operation (safe across Streamlit's threads), in WAL mode so readers never block the
writer, and a busy timeout for writers that meet. Each store also holds one idle connection (its anchor): while
any connection is open SQLite keeps the WAL and its index (-wal, -shm) beside the database, so reading still
works when the disk fills or the folder turns read-only under the app. A database that cannot be opened that
way (a read-only folder, a full disk, and no WAL index left) opens read-only without locks: readable, and
every write says why it fails.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.documents.pdf import sha256_of
from agent.errors import StoreError
from agent.models import FileOutcome, InputFile
from agent.run.cache import CachedOutcome
from agent.run.events import EPHEMERAL_TYPES, Event, event_from_dict
from agent.run.result import RunResult
from agent.store.lease import LEASE_SECONDS, Lease, Owner, this_host
from agent.store.schema import LATEST_VERSION, migrate, version_of

BUSY_TIMEOUT = 10.0  # seconds a write waits for another process's write to finish
FULL_BELOW = 1 << 20  # bytes free under which an I/O error is the disk being full


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
    files: list[dict[str, str | int]]  # name, sha256, size
    failed_files: int = 0
    rerun_of: str = ""  # the id of the first run of this workspace with the same files ('' when this is it)

    @property
    def status_text(self) -> str:
        """The status as history shows it: a completed run with a failed file does not read plainly "completed"."""
        status = self.status.replace("_", " ")
        if self.failed_files:
            status += f", {self.failed_files} file{'s' if self.failed_files > 1 else ''} failed"
        return status


class RunStore:
    def __init__(self, path: Path, owner: Owner | None = None, lease_seconds: float = LEASE_SECONDS) -> None:
        self.path = Path(path)
        self.owner = owner or Owner.this_process()
        self.lease_seconds = lease_seconds
        self._writable_uri = self.path.absolute().as_uri()
        self._uri = self._writable_uri
        self._refused = ""  # why the database is open read-only, while it is
        self._anchor: sqlite3.Connection | None = None
        self._reopening = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._anchor = self._anchored()
        except sqlite3.OperationalError as exc:
            self._open_read_only(exc)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the history database at {self.path}: {self._why(exc)}") from None

    def _anchored(self) -> sqlite3.Connection:
        """A connection kept open, once the database is in WAL mode and migrated."""
        db = sqlite3.connect(self._writable_uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None,
                             check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode = WAL").fetchall()
            migrate(db, self.path)
        except BaseException:
            db.close()
            raise
        return db

    def _open_read_only(self, exc: sqlite3.OperationalError) -> None:
        """When the folder refuses writes and the WAL index cannot be built beside the database: read it
        without locks (nobody writes through such a folder). Each operation tries the usual way first again."""
        refused = self._cause(exc)
        if not refused:
            raise StoreError(f"cannot open the history database at {self.path}: {exc}") from None
        self._refused, self._uri = refused, f"{self._writable_uri}?mode=ro&immutable=1"
        try:
            with closing(sqlite3.connect(self._uri, uri=True)) as db:
                version = version_of(db, self.path)
        except sqlite3.Error as failed:
            raise StoreError(f"cannot open the history database at {self.path}: {self._why(failed)}") from None
        if version < LATEST_VERSION:
            raise StoreError(f"cannot open the history database at {self.path}: it needs an upgrade (schema "
                             f"{version} to {LATEST_VERSION}), but {refused}")

    def _reopen(self) -> None:
        """Back to the usual way once the folder takes writes again (space freed, remounted read-write)."""
        with self._reopening:
            if not self._refused:
                return
            with suppress(sqlite3.Error, StoreError):
                self._anchor = self._anchored()
                self._refused, self._uri = "", self._writable_uri

    def close(self) -> None:
        """Let go of the database; the last connection to close folds the WAL back into it."""
        if self._anchor is not None:
            self._anchor.close()
            self._anchor = None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One short connection per operation: safe across Streamlit's threads; commits or rolls back whole."""
        if self._refused:
            self._reopen()
        try:
            db = sqlite3.connect(self._uri, uri=True, timeout=BUSY_TIMEOUT)
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

    def connection(self) -> AbstractContextManager[sqlite3.Connection]:
        """A connection for the other tables in this file (the library): the same handling of a full disk, a
        read-only folder and busy writers; its work commits or rolls back whole."""
        return self._connect()

    def _why(self, exc: OSError | sqlite3.Error) -> str:
        """The cause in the user's terms where SQLite's own words are vague ("unable to open database file")."""
        cause = self._cause(exc)
        return f"{cause} ({exc})" if cause else str(exc)

    def _cause(self, exc: OSError | sqlite3.Error) -> str:
        """A full disk or a read-only folder, when either is why `exc` happened; else ''."""
        folder = self.path.parent
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
        if (code == sqlite3.SQLITE_FULL or getattr(exc, "errno", None) == errno.ENOSPC
                or (code == sqlite3.SQLITE_IOERR and _free_bytes(folder) < FULL_BELOW)):
            return f"the disk holding {folder} is full"
        if folder.is_dir() and not os.access(folder, os.W_OK):
            return f"the data folder {folder} is read-only"
        if code == sqlite3.SQLITE_READONLY:
            return self._refused or f"the data folder {folder} is read-only"  # open read-only: say why
        return ""

    # --- runs --------------------------------------------------------------------------------------

    def start_run(self, workspace: str, run_id: str, brain: str, model: str, files: list[InputFile]) -> None:
        owner, now = self.owner, time.time()
        with self._connect() as db:
            db.execute("INSERT INTO runs (id, workspace, created_at, status, brain, model, owner_host, owner_pid, "
                       "owner_started, owner_token, heartbeat_at, lease_seconds) "
                       "VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)",
                       (run_id, workspace, now, brain, model, owner.host, owner.pid, owner.started, owner.token, now,
                        self.lease_seconds))
            db.executemany("INSERT INTO run_files VALUES (?, ?, ?, ?, ?, ?)",
                           [(run_id, position, item.name, sha256_of(item.data), len(item.data), item.data)
                            for position, item in enumerate(files)])

    def append_events(self, run_id: str, events: Iterable[Event]) -> None:
        """Save the events and, in the same transaction, renew this store's lease on the run: it is alive. A
        run another server judged stale by mistake (its lease ran out in a quiet spell) is running again."""
        kept = [event for event in events if event.type not in EPHEMERAL_TYPES]
        with self._connect() as db:
            start = db.execute("SELECT COALESCE(MAX(seq), 0) FROM run_events WHERE run_id = ?", (run_id,)).fetchone()[0]
            db.executemany("INSERT INTO run_events VALUES (?, ?, ?)",
                           [(run_id, start + offset, json.dumps(event.to_dict(), ensure_ascii=False))
                            for offset, event in enumerate(kept, start=1)])
            self._renew(db, run_id)

    def _renew(self, db: sqlite3.Connection, run_id: str) -> None:
        db.execute("UPDATE runs SET heartbeat_at = ?, status = 'running' WHERE id = ? AND owner_token = ? "
                   "AND status IN ('running', 'interrupted')", (time.time(), run_id, self.owner.token))

    def finish_run(self, run_id: str, result: RunResult) -> None:
        rows = sum(outcome.rows for outcome in result.outcomes)
        flagged = sum(outcome.flagged_rows for outcome in result.outcomes)
        with self._connect() as db:  # the brain that really ran: an LLM run may have fallen back to the offline one
            db.execute("UPDATE runs SET finished_at = ?, status = ?, rows = ?, flagged_rows = ?, summary = ?, "
                       "brain = ?, failed_files = ? WHERE id = ?",
                       (time.time(), result.outcome, rows, flagged, result.summary, result.brain_used,
                        result.failed_files, run_id))

    def mark_interrupted(self) -> int:
        """Mark interrupted the runs still 'running' whose owner is gone (agent/store/lease.py): a crash or a
        restart cut them short. Their row counts are those of the files they finished. Returns how many."""
        now, here = time.time(), this_host()
        with self._connect() as db:
            running = db.execute("SELECT id, owner_host, owner_pid, owner_started, owner_token, heartbeat_at, "
                                 "lease_seconds FROM runs WHERE status = 'running'").fetchall()
            marked = 0
            for run_id, host, pid, started, token, heartbeat_at, seconds in running:
                # a run of a release before leases has no owner: as that release did, it died with its process
                if host and not Lease(Owner(host, pid, started, token), heartbeat_at, seconds).is_stale(now, here):
                    continue
                events = db.execute("SELECT event FROM run_events WHERE run_id = ? ORDER BY seq", (run_id,))
                outcomes = RunResult.from_events(event_from_dict(json.loads(event)) for (event,) in events).outcomes
                marked += db.execute("UPDATE runs SET status = 'interrupted', rows = ?, flagged_rows = ? "
                                     "WHERE id = ? AND status = 'running' AND heartbeat_at IS ?",  # not renewed since
                                     (sum(outcome.rows for outcome in outcomes),
                                      sum(outcome.flagged_rows for outcome in outcomes), run_id, heartbeat_at)).rowcount
            return marked

    def list_runs(self, workspace: str) -> list[RunRecord]:
        """The workspace's runs, newest first. Stale runs are marked first: a server that died on another host
        shows as interrupted once its lease ends, without waiting for a restart here."""
        with suppress(StoreError):  # a history that refuses writes still lists
            self.mark_interrupted()
        with self._connect() as db:
            runs = db.execute("SELECT id, created_at, finished_at, status, brain, model, rows, flagged_rows, summary, "
                              "failed_files FROM runs WHERE workspace = ? ORDER BY created_at DESC",
                              (workspace,)).fetchall()
            files = db.execute("SELECT run_id, name, sha256, size FROM run_files WHERE run_id IN "
                               "(SELECT id FROM runs WHERE workspace = ?) ORDER BY run_id, position",
                               (workspace,)).fetchall()
        by_run: dict[str, list[dict[str, str | int]]] = {}
        for run_id, name, sha256, size in files:
            by_run.setdefault(run_id, []).append({"name": name, "sha256": sha256, "size": size})
        first_with: dict[tuple[str, ...], str] = {}  # the files' hashes -> the oldest run of them
        for run_id, *_ in reversed(runs):
            first_with.setdefault(tuple(sorted(str(f["sha256"]) for f in by_run.get(run_id, []))), run_id)
        records = []
        for run_id, created_at, finished_at, status, brain, model, rows, flagged, summary, failed in runs:
            first = first_with[tuple(sorted(str(f["sha256"]) for f in by_run.get(run_id, [])))]
            records.append(RunRecord(run_id, created_at, finished_at, status, brain, model, rows, flagged, summary,
                                     by_run.get(run_id, []), failed, "" if first == run_id else first))
        return records

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

    def cached_outcome(self, key: str) -> CachedOutcome | None:
        try:
            with self._connect() as db:
                row = db.execute("SELECT outcome, trace FROM outcome_cache WHERE key = ?", (key,)).fetchone()
        except StoreError:
            return None
        if row is None:
            return None
        return CachedOutcome(FileOutcome.from_dict(json.loads(row[0])),
                             [event_from_dict(data) for data in json.loads(row[1])])

    def cache_outcome(self, key: str, outcome: FileOutcome, trace: Iterable[Event] = ()) -> None:
        """Keep an outcome with the events that read it (its file's steps in the run that read it)."""
        try:
            with self._connect() as db:
                db.execute("INSERT OR REPLACE INTO outcome_cache (key, outcome, trace) VALUES (?, ?, ?)",
                           (key, json.dumps(outcome.to_dict(), ensure_ascii=False),
                            json.dumps([event.to_dict() for event in trace if event.type not in EPHEMERAL_TYPES],
                                       ensure_ascii=False)))
        except StoreError:
            pass

    def save_profile(self, workspace: str, profile: dict[str, Any]) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO profiles VALUES (?, ?, ?)",
                       (workspace, json.dumps(profile), time.time()))

    def load_profile(self, workspace: str) -> dict[str, Any] | None:
        with self._connect() as db:
            row = db.execute("SELECT profile FROM profiles WHERE workspace = ?", (workspace,)).fetchone()
        return json.loads(row[0]) if row else None

    def forget_profile(self, workspace: str) -> bool:
        """Delete the workspace's profile; whether one was remembered."""
        with self._connect() as db:
            return db.execute("DELETE FROM profiles WHERE workspace = ?", (workspace,)).rowcount == 1


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return FULL_BELOW
