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
    # 5: the library (agent/store/library.py): every filing read in a workspace, once, with its rows. A row keeps
    # the columns its views filter on (indexed) and, in a table of its own so that filtering never reads it, its
    # whole record as JSON; which version of a report is current is kept per filing and per row. A file's bytes
    # are kept once per sha256, whoever added them. And the Clerk fetcher's watch list.
    """
CREATE TABLE library_files (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE library_filings (
    workspace TEXT NOT NULL,
    filing_key TEXT NOT NULL,           -- chamber:filing ID (House DocID, Senate report UUID), or sha256:<hash>
    source_file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    chamber TEXT NOT NULL,
    filing_id TEXT NOT NULL,
    filer_name TEXT NOT NULL,
    filer_key TEXT NOT NULL,            -- the name normalised: lower case words, no titles or punctuation
    filer_status TEXT NOT NULL,
    state_district TEXT NOT NULL,
    filer_printed TEXT NOT NULL,
    report_date TEXT NOT NULL,
    amendment_number INTEGER NOT NULL,
    signed_date TEXT NOT NULL,
    filed_date TEXT NOT NULL,
    filed_time TEXT NOT NULL,           -- Senate: with the date and amendment number, the same report read again
    rows INTEGER NOT NULL,
    state TEXT NOT NULL,                -- current | superseded (a later amendment restates the report)
    superseded_by TEXT NOT NULL DEFAULT '',  -- the filing_key of that amendment
    filing TEXT NOT NULL,               -- the Filing as JSON
    run_id TEXT NOT NULL DEFAULT '',
    added_at REAL NOT NULL,
    PRIMARY KEY (workspace, filing_key)
);
CREATE INDEX library_filings_by_sha256 ON library_filings (workspace, sha256);
CREATE INDEX library_filings_by_filer ON library_filings (workspace, filer_key);
CREATE TABLE library_rows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- the row's library_id; never reused
    workspace TEXT NOT NULL,
    filing_key TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    filer_key TEXT NOT NULL,
    ticker TEXT NOT NULL,
    transaction_date TEXT NOT NULL,
    transaction_type TEXT NOT NULL,
    asset_key TEXT NOT NULL,            -- ticker, else the asset name normalised: what an amended row must match
    amended INTEGER NOT NULL,           -- 1: the row's Filing Status reads Amended (House)
    search_text TEXT NOT NULL,          -- the filer's, ticker's and asset's words, lower case: the search box's
    state TEXT NOT NULL,                -- current | superseded
    superseded_by TEXT NOT NULL DEFAULT '',  -- library_id of the row that replaces it ('' when none matches)
    replaces TEXT NOT NULL DEFAULT '',       -- library_id of the row an amended House row replaces
    FOREIGN KEY (workspace, filing_key) REFERENCES library_filings (workspace, filing_key) ON DELETE CASCADE
);
CREATE TABLE library_records (
    id INTEGER PRIMARY KEY REFERENCES library_rows (id) ON DELETE CASCADE,
    record TEXT NOT NULL,               -- the row's values as a JSON list (library.ROW_COLUMNS)
    flags TEXT NOT NULL                 -- its flags as JSON
);
CREATE INDEX library_rows_by_filing ON library_rows (workspace, filing_key);
-- The views' filters read these indexes alone (state in each: current rows unless told); the rows they find are
-- then looked up by id.
CREATE INDEX library_rows_by_filer ON library_rows (workspace, filer_key, state);
CREATE INDEX library_rows_by_ticker ON library_rows (workspace, ticker, state, transaction_date);
CREATE INDEX library_rows_by_date ON library_rows (workspace, transaction_date);
CREATE INDEX library_rows_by_words ON library_rows (workspace, search_text, state);
CREATE TABLE library_adds (
    workspace TEXT NOT NULL,
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    source_file TEXT NOT NULL,
    action TEXT NOT NULL,               -- added | already_there | replaced | not_stored
    message TEXT NOT NULL,
    filing_key TEXT NOT NULL,
    rows INTEGER NOT NULL,
    PRIMARY KEY (workspace, run_id, seq)
);
CREATE TABLE watches (
    workspace TEXT NOT NULL,
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    state_district TEXT NOT NULL DEFAULT '',
    added_at REAL NOT NULL,
    PRIMARY KEY (workspace, last_name, first_name, state_district)
);
""",
    # 6: what the library's views read of a row (asset name and type, bracket, option type and action), typed in
    # columns of its own so that the Library page reads them without decoding every record, filled from the stored
    # records (library.ROW_COLUMNS' positions 3, 5, 10, 11, 18 and 31; a record json.dumps wrote with a NaN is not
    # JSON to SQLite: read with null there). And an index on a row's trade, which an amended House row must match,
    # so that an add relinks only the filer's rows of its own trades.
    """
ALTER TABLE library_rows ADD COLUMN asset_name TEXT NOT NULL DEFAULT '';
ALTER TABLE library_rows ADD COLUMN asset_type TEXT NOT NULL DEFAULT '';
ALTER TABLE library_rows ADD COLUMN amount_min REAL;
ALTER TABLE library_rows ADD COLUMN amount_max REAL;
ALTER TABLE library_rows ADD COLUMN option_type TEXT NOT NULL DEFAULT '';
ALTER TABLE library_rows ADD COLUMN option_action TEXT NOT NULL DEFAULT '';
UPDATE library_rows SET asset_name = json_extract(d.record, '$[3]'), asset_type = json_extract(d.record, '$[5]'),
    amount_min = json_extract(d.record, '$[10]'), amount_max = json_extract(d.record, '$[11]'),
    option_type = json_extract(d.record, '$[18]'), option_action = json_extract(d.record, '$[31]')
FROM (SELECT id, CASE WHEN json_valid(record) THEN record ELSE replace(record, ', NaN', ', null') END AS record
      FROM library_records) d
WHERE d.id = library_rows.id;
CREATE INDEX library_rows_by_trade ON library_rows (workspace, filer_key, asset_key, transaction_date,
                                                    transaction_type);
""",
    # 7: a workspace's rows in library_id order from an index (its entries end in the rowid): reading every row of a
    # workspace then needs no sort (a third of view_rows' SQL at 100,000 rows).
    """
CREATE INDEX library_rows_by_workspace ON library_rows (workspace);
""",
    # 8: each filing's rows as the Library page reads them (library.VIEW_STORED_COLUMNS), one Arrow IPC stream per
    # filing written by the add that stores it: view_rows reads 100,000 rows from a thousand blobs instead of 100,000
    # SQL rows (per-row fetching was most of the page's first draw). A row's state and link change after its add, so
    # they stay in library_rows only, the few rows that are not current or replace another in an index of their own.
    # Filings stored before this have no blob: their rows are read from library_rows.
    """
CREATE TABLE library_view_rows (
    workspace TEXT NOT NULL,
    filing_key TEXT NOT NULL,
    arrow BLOB NOT NULL,
    PRIMARY KEY (workspace, filing_key),
    FOREIGN KEY (workspace, filing_key) REFERENCES library_filings (workspace, filing_key) ON DELETE CASCADE
);
CREATE INDEX library_rows_changed ON library_rows (workspace) WHERE state != 'current' OR replaces != '';
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
