"""The history database's tables, as an ordered list of migrations.

`PRAGMA user_version` is the number of migrations a database has had. The first release set none (0) and
created the tables of migration 1 with CREATE ... IF NOT EXISTS, so migration 1 is that script verbatim: on
such a database it changes nothing and only the version is recorded. Append new migrations; never edit one
that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from agent.errors import StoreError

MIGRATIONS: tuple[str, ...] = (
    # 1: the first release's tables
    """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    workspace TEXT NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,            -- running | completed | interrupted | max_steps | time_budget | ...
    brain TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    rows INTEGER NOT NULL DEFAULT 0,
    flagged_rows INTEGER NOT NULL DEFAULT 0,
    summary TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_by_workspace ON runs (workspace, created_at);
CREATE TABLE IF NOT EXISTS run_files (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, position)
);
CREATE TABLE IF NOT EXISTS run_events (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS outcome_cache (
    sha256 TEXT NOT NULL,
    version TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (sha256, version)
);
CREATE TABLE IF NOT EXISTS profiles (
    workspace TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    saved_at REAL NOT NULL
);
""",
    # 2: a lease per run (agent/store/lease.py): who runs it and when it last showed it was alive. Runs of
    # earlier releases have no owner ('') and no heartbeat (NULL).
    """
ALTER TABLE runs ADD COLUMN owner_host TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN owner_started TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN owner_token TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN heartbeat_at REAL;
ALTER TABLE runs ADD COLUMN lease_seconds REAL NOT NULL DEFAULT 0;
CREATE INDEX runs_by_status ON runs (status);
""",
    # 3: the outcome cache keyed by agent/run/cache.py's full key alone. The old rows were keyed by hashes of
    # other code and can never be served again: dropped.
    """
DROP TABLE outcome_cache;
CREATE TABLE outcome_cache (
    key TEXT PRIMARY KEY,
    outcome TEXT NOT NULL
);
""",
    # 4: how many of a run's files failed, so history does not call such a run plainly completed (runs of earlier
    # releases count 0: unknown); and the events that read a cached outcome, so a run served from the cache can
    # show how its rows were read (earlier rows have none: '[]').
    """
ALTER TABLE runs ADD COLUMN failed_files INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outcome_cache ADD COLUMN trace TEXT NOT NULL DEFAULT '[]';
""",
)
LATEST_VERSION = len(MIGRATIONS)


def statements(script: str) -> Iterator[str]:
    """The script's statements one by one (executescript would commit the migration's transaction first)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending.strip()
            pending = ""
    if pending.strip(" \n;"):
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()!r}")


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the database to LATEST_VERSION: every pending migration in one transaction, so a failure leaves
    it as it was. `db` must be in autocommit mode (isolation_level=None)."""
    if version_of(db, path) == LATEST_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        for script in MIGRATIONS[version_of(db, path):]:  # again under the write lock: another process may have
            for statement in statements(script):          # migrated meanwhile
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {LATEST_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def version_of(db: sqlite3.Connection, path: Path) -> int:
    """The database's schema version; a clear error when newer code wrote it."""
    version: int = db.execute("PRAGMA user_version").fetchall()[0][0]
    if version > LATEST_VERSION:
        raise StoreError(f"the history at {path} was written by a newer TradeTrace (schema {version}); this version "
                         f"knows up to {LATEST_VERSION}")
    return version
