"""The library: every filing read in a workspace, kept once, with its rows, in the history's SQLite file.

Identity: the same bytes (sha256) are already there; the same filing ID read again (House DocID, Senate report
UUID: the filing_key) replaces the older reading. Amendments are linked whichever order their versions arrive in:
- Senate: an amendment restates its whole report (same filer and report date; of several reports filed the same
  day, the one it shares most trades with); the version it restates and that version's rows are superseded, each
  row linked to its counterpart in the amendment. The highest amendment is current.
- House: an amended filing is a new DocID whose rows read "Filing Status: Amended"; each such row replaces the row
  of an earlier filing of the same filer with the same asset, date and type, which is then superseded.
Each add() is one transaction: a process killed while adding stores nothing of that call.
"""

from __future__ import annotations

import gc
import json
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from agent.documents.pdf import sha256_of
from agent.errors import StoreError
from agent.export import FLAG_MESSAGES, flag_messages, owner_label, to_csv, typed_frame
from agent.models import CSV_COLUMNS, EXTRA_COLUMNS, FILING_COLUMNS, FileOutcome, Filing, Transaction
from agent.store.runs import RunStore

LibraryAction = Literal["added", "already_there", "replaced", "not_stored"]
RowState = Literal["current", "superseded"]
# What rows() adds to to_dataframe's columns.
LIBRARY_COLUMNS: tuple[str, ...] = (
    "library_id", "filing_key", "row_state", "superseded_by", "replaces", "run_id", "added_at",
)
FRAME_COLUMNS: tuple[str, ...] = (*CSV_COLUMNS, *EXTRA_COLUMNS, FLAG_MESSAGES, *LIBRARY_COLUMNS)
# The CSV of all rows: extract's columns and what says which row is current.
ALL_ROWS_CSV_COLUMNS: tuple[str, ...] = (*CSV_COLUMNS, "library_id", "row_state", "superseded_by", "replaces")
# Outcomes whose filing has no rows to keep: a scan not read, or a file that is not a PTR.
UNSTORED_LAYOUTS = ("scanned", "unknown")
# Words of a filer's name that are not the name: "Hon. Nancy Pelosi" and "Nancy Pelosi" are one filer.
TITLES = frozenset({"hon", "honorable", "the", "mr", "mrs", "ms", "miss", "dr", "sen", "senator", "rep"})
_WORD = re.compile(r"[^\W_]+")
# A stored row is a JSON list of its values for these columns (the frame's, less the filing's), its flags apart.
ROW_COLUMNS: tuple[str, ...] = tuple(column for column in (*CSV_COLUMNS, *EXTRA_COLUMNS, FLAG_MESSAGES)
                                     if column not in FILING_COLUMNS)
_HEADER_COLUMNS = tuple(column for column in CSV_COLUMNS if column in FILING_COLUMNS)
_STORED_ORDER = (*_HEADER_COLUMNS, *ROW_COLUMNS, *LIBRARY_COLUMNS)  # the order _records gives a row's values in
_TRANSACTION_FIELDS = frozenset(item.name for item in fields(Transaction))
_LABEL_AT = {column: ROW_COLUMNS.index(column) for column in
             ("row_number", "ticker", "asset_name", "transaction_type", "transaction_date")}
# A row's values the views read besides those its filters have, in library_rows' own columns (migration 6).
TYPED_ROW_COLUMNS: tuple[str, ...] = ("asset_name", "asset_type", "amount_min", "amount_max", "option_type",
                                      "option_action")
# The filing's values the views read, merged into view_rows' frame from the filings (few) rather than per row.
_VIEW_FILING_COLUMNS = ("source_file", "filing_id", "filer_name", "chamber", "signed_date", "filed_date",
                        "report_date", "amendment_number")
# view_rows' columns: what prepare_trades, first_disclosed and the library views read, and the row's identity.
VIEW_COLUMNS: tuple[str, ...] = (
    *_VIEW_FILING_COLUMNS, "row_number", "ticker", "transaction_date", "transaction_type", *TYPED_ROW_COLUMNS,
    "library_id", "filing_key", "row_state", "replaces",
)
# What view_rows reads of a row as its add stored it (the filing's blob in library_view_rows, migration 8, else
# library_rows), in order; its state and link are read apart, as a later add can change them.
VIEW_STORED_COLUMNS: tuple[str, ...] = ("filing_key", "row_number", "ticker", "transaction_date", "transaction_type",
                                        *TYPED_ROW_COLUMNS, "library_id")
_VIEW_STORED_SQL = ", ".join(f"r.{column}" for column in VIEW_STORED_COLUMNS).replace("r.library_id", "r.id")
# The view columns that are not text: as read (library_id as its number), and in the frame, in rows()' types.
_VIEW_NUMBERS = {"row_number": pa.int64(), "amendment_number": pa.int64(), "amount_min": pa.float64(),
                 "amount_max": pa.float64(), "library_id": pa.int64()}
_VIEW_DTYPES = {"row_number": "Int64", "amendment_number": "Int64", "amount_min": "Float64", "amount_max": "Float64"}
# The id of an eFD report (its address's UUID), as a Senate filing_key holds it when its file was named by it.
_EFD_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A trade as an amended House row must match it: asset, transaction date, type.
Trade = tuple[str, str, str]


@dataclass(frozen=True)
class LibraryAdd:
    """What the library did with one file of an add()."""

    source_file: str
    action: LibraryAction
    message: str  # one line a person reads
    filing_key: str = ""
    rows: int = 0


@dataclass(frozen=True)
class LibraryFiling:
    filing_key: str
    source_file: str
    sha256: str
    chamber: str
    filing_id: str
    filer_name: str
    report_date: str
    amendment_number: int
    signed_date: str
    filed_date: str
    rows: int
    state: RowState
    superseded_by: str  # the filing_key of the amendment that restates this report ('' when current)
    added_at: float
    run_id: str


@dataclass(frozen=True)
class LibraryStats:
    filings: int
    superseded_filings: int
    rows: int
    current_rows: int
    superseded_rows: int
    linked_rows: int  # House amended rows linked to the row they replace


def filer_key(name: str) -> str:
    """A filer's name as the library compares it: lower-case words without titles or punctuation."""
    return " ".join(word for word in _WORD.findall(name.lower()) if word not in TITLES)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def filing_key(filing: Filing) -> str:
    """The filing's identity across readings: its chamber and printed ID, or its bytes when it shows none."""
    return f"{filing.chamber}:{filing.filing_id}" if filing.filing_id else f"sha256:{filing.sha256}"


def asset_key(row: Transaction) -> str:
    """What an amended House row must share with the row it replaces, besides date and type."""
    return row.ticker.upper() if row.ticker else " ".join(words(row.asset_name))


def _local_time(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass
class _Row:
    """The columns of a stored row that linking reads and writes."""

    id: int
    filing_key: str
    key: Trade  # asset, transaction date, type
    amended: bool
    state: str
    superseded_by: str
    replaces: str
    record: str  # an amended row's stored JSON, read only to name the row in a message ('' for the others)

    @property
    def label(self) -> str:
        """The row as a message names it: "row 1 (AB, P, 2020-12-22)"."""
        values = json.loads(self.record)
        number, ticker, asset_name, kind, date = (values[_LABEL_AT[column]] for column in _LABEL_AT)
        return f"row {number} ({ticker or asset_name[:40]}, {kind}, {date})"

    def reset(self) -> None:
        self.state, self.superseded_by, self.replaces = "current", "", ""


@dataclass(frozen=True)
class _Affected:
    """What an add can change the linking of, for one filer."""

    reports: set[str]  # Senate report dates
    trades: set[Trade]  # House rows' trades


def _trade(row: Transaction) -> Trade:
    return asset_key(row), row.transaction_date, row.transaction_type


# What _versions reads of a filing (a _Version's fields, in order) and of a row (_link_row's).
_VERSION_COLUMNS = ("filing_key, source_file, chamber, filing_id, filer_name, report_date, amendment_number, "
                    "signed_date, filed_date, filed_time, added_at")
_LINK_COLUMNS = ("r.id, r.filing_key, r.asset_key, r.transaction_date, r.transaction_type, r.amended, r.state, "
                 "r.superseded_by, r.replaces, CASE r.amended WHEN 1 THEN "
                 "(SELECT record FROM library_records d WHERE d.id = r.id) ELSE '' END")


def _link_row(values: Sequence[Any]) -> _Row:
    row_id, key, asset, date, kind, amended, state, by, replaces, record = values
    return _Row(row_id, key, (asset, date, kind), bool(amended), state, by, replaces, record)


@dataclass
class _Version:
    """A stored filing as linking sees it."""

    filing_key: str
    source_file: str
    chamber: str
    filing_id: str
    filer_name: str
    report_date: str
    amendment_number: int
    signed_date: str
    filed_date: str
    filed_time: str
    added_at: float
    state: str = "current"
    superseded_by: str = ""
    rows: list[_Row] = field(default_factory=list)

    @property
    def order(self) -> tuple[str, str, float]:
        """Earlier to later: the signed date (House) or filed date, then the ID (DocIDs grow), then when added."""
        return (self.signed_date or self.filed_date or "9999", self.filing_id.rjust(12, "0"), self.added_at)

    @property
    def version_name(self) -> str:
        return f"amendment {self.amendment_number}" if self.amendment_number else "the original"


class Library:
    """Every filing read in a workspace (the app's browser token, the CLI's --workspace), with its rows."""

    def __init__(self, path: Path, store: RunStore | None = None) -> None:
        self._owns_store = store is None
        self.store = store or RunStore(path)
        self.path = self.store.path

    @classmethod
    def for_store(cls, store: RunStore) -> Library:
        """The library in the store's file, through the store's connections."""
        return cls(store.path, store)

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    # --- adding ----------------------------------------------------------------------------------------------

    def add(self, workspace: str, outcomes: Sequence[FileOutcome], files: Mapping[str, bytes] | None = None,
            run_id: str = "") -> list[LibraryAdd]:
        """Store the outcomes' filings, all or nothing. `files` maps a source_file to its bytes, kept once per
        sha256 so a library row can lead back to its page."""
        results: list[LibraryAdd] = []
        with self.store.connection() as db:
            db.execute("BEGIN IMMEDIATE")  # from the first read: another process adding the same file waits
            for outcome in outcomes:
                results.append(self._add_one(db, workspace, outcome, (files or {}).get(outcome.source_file), run_id))
            start = db.execute("SELECT COALESCE(MAX(seq), 0) FROM library_adds WHERE workspace = ? AND run_id = ?",
                               (workspace, run_id)).fetchone()[0]
            db.executemany("INSERT INTO library_adds VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [(workspace, run_id, start + offset, item.source_file, item.action, item.message,
                             item.filing_key, item.rows) for offset, item in enumerate(results, start=1)])
        return results

    def _add_one(self, db: sqlite3.Connection, workspace: str, outcome: FileOutcome, data: bytes | None,
                 run_id: str) -> LibraryAdd:
        filing = outcome.filing
        if filing is None or outcome.status in ("failed", "needs_ocr") or filing.layout in UNSTORED_LAYOUTS:
            reason = outcome.reason or outcome.status.replace("_", " ")
            return LibraryAdd(outcome.source_file, "not_stored", f"not stored: {reason}")
        key = filing_key(filing)
        same_bytes = db.execute("SELECT filing_key, source_file, added_at, rows FROM library_filings "
                                "WHERE workspace = ? AND sha256 = ?", (workspace, filing.sha256)).fetchone()
        if same_bytes is not None:
            known_key, known_source, known_at, rows = same_bytes
            self._keep_file(db, filing, data)  # when the first add had no bytes to keep
            as_what = "" if known_source == filing.source_file else f" as {known_source}"
            return LibraryAdd(filing.source_file, "already_there",
                              f"already in the library{as_what} (the same file, added {_local_time(known_at)})",
                              known_key, rows)
        older = self._older_reading(db, workspace, filing, key)
        if older is not None and older[0] != key and _EFD_UUID.fullmatch(older[0].removeprefix("senate:")):
            key = older[0]  # the report keeps eFD's own id, which only a file named by it shows
            filing = replace(filing, filing_id=key.removeprefix("senate:"))
        # Per filer: the Senate report dates and the House trades whose linking this add can change.
        trades = set(map(_trade, filing.transactions))
        affected = {filer_key(filing.filer_name): _Affected({filing.report_date}, trades)}
        if older is not None:
            older_key, older_source, older_at, older_filer, older_report, older_sha = older
            changed = affected.setdefault(older_filer, _Affected(set(), set()))
            changed.reports.add(older_report)
            changed.trades.update(db.execute("SELECT asset_key, transaction_date, transaction_type FROM library_rows "
                                             "WHERE workspace = ? AND filing_key = ?", (workspace, older_key)))
            db.execute("DELETE FROM library_filings WHERE workspace = ? AND filing_key = ?", (workspace, older_key))
            db.execute("DELETE FROM library_files WHERE sha256 = ? AND NOT EXISTS "
                       "(SELECT 1 FROM library_filings WHERE sha256 = ?)", (older_sha, older_sha))
        self._insert(db, workspace, key, filing, data, run_id)
        notes = [self._relink(db, workspace, filer, affected[filer], key) for filer in sorted(affected)]
        if older is None:
            action: LibraryAction = "added"
            head = f"added ({_plural(len(filing.transactions), 'row')})"
        else:
            action = "replaced"
            head = f"replaces the reading of {older_source} from {_local_time(older_at)}"
        return LibraryAdd(filing.source_file, action, "; ".join([head, *(note for note in notes if note)]), key,
                          len(filing.transactions))

    def _older_reading(self, db: sqlite3.Connection, workspace: str, filing: Filing,
                       key: str) -> tuple[Any, ...] | None:
        """The stored reading this filing replaces: the same filing ID, or, for a Senate report, the same report
        (filer, report date, amendment, filed date and time) under another ID when one of the two has no eFD UUID.
        The UUID is only in a file's name: a page saved under its title ("eFD_ Print Periodic Transaction
        Report.html") gets an ID from what it prints, so the same report saved under both names (other bytes) was
        stored twice."""
        columns = "filing_key, source_file, added_at, filer_key, report_date, sha256"
        older: tuple[Any, ...] | None = db.execute(f"SELECT {columns} FROM library_filings WHERE workspace = ? AND "
                                                   "filing_key = ?", (workspace, key)).fetchone()
        if older is not None or filing.chamber != "senate" or not filing.filed_time:
            return older
        for found in db.execute(f"SELECT {columns} FROM library_filings WHERE workspace = ? AND filer_key = ? AND "
                                "chamber = 'senate' AND report_date = ? AND amendment_number = ? AND filed_date = ? "
                                "AND filed_time = ? ORDER BY added_at",
                                (workspace, filer_key(filing.filer_name), filing.report_date,
                                 filing.amendment_number, filing.filed_date, filing.filed_time)):
            if not (_EFD_UUID.fullmatch(filing.filing_id) and _EFD_UUID.fullmatch(found[0].removeprefix("senate:"))):
                return tuple(found)  # two eFD UUIDs are two reports, however alike
        return None

    def _insert(self, db: sqlite3.Connection, workspace: str, key: str, filing: Filing, data: bytes | None,
                run_id: str) -> None:
        header = replace(filing, transactions=[]).to_dict()  # the rows are stored apart
        del header["transactions"]
        filer = filer_key(filing.filer_name)
        db.execute("INSERT INTO library_filings (workspace, filing_key, source_file, sha256, chamber, filing_id, "
                   "filer_name, filer_key, filer_status, state_district, filer_printed, report_date, "
                   "amendment_number, signed_date, filed_date, filed_time, rows, state, filing, run_id, added_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', ?, ?, ?)",
                   (workspace, key, filing.source_file, filing.sha256, filing.chamber, filing.filing_id,
                    filing.filer_name, filer, filing.filer_status, filing.state_district, filing.filer_printed,
                    filing.report_date, filing.amendment_number, filing.signed_date, filing.filed_date,
                    filing.filed_time, len(filing.transactions), json.dumps(header, ensure_ascii=False), run_id,
                    time.time()))
        filer_words = " ".join(words(filing.filer_name))
        db.executemany(f"INSERT INTO library_rows (workspace, filing_key, row_number, filer_key, ticker, "
                       f"transaction_date, transaction_type, asset_key, amended, search_text, state, "
                       f"{', '.join(TYPED_ROW_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', "
                       f"{', '.join('?' * len(TYPED_ROW_COLUMNS))})",
                       [(workspace, key, row.row_number, filer, row.ticker.upper(), row.transaction_date,
                         row.transaction_type, asset_key(row), int(row.filing_status.lower() == "amended"),
                         " ".join((filer_words, row.ticker.lower(), *words(row.asset_name))),
                         *(getattr(row, column) for column in TYPED_ROW_COLUMNS))
                        for row in filing.transactions])
        stored = db.execute(f"SELECT {_VIEW_STORED_SQL} FROM library_rows r WHERE r.workspace = ? AND "
                            "r.filing_key = ? ORDER BY r.id", (workspace, key)).fetchall()  # as inserted: ids grow
        db.executemany("INSERT INTO library_records VALUES (?, ?, ?)",
                       [(values[-1], *_stored_row(row)) for values, row in zip(stored, filing.transactions,
                                                                                 strict=True)])
        # The rows as view_rows reads them, read back from library_rows: the blob holds what SQLite returns.
        db.execute("INSERT INTO library_view_rows VALUES (?, ?, ?)",
                   (workspace, key, _arrow_stream(_arrow_columns(stored, VIEW_STORED_COLUMNS))))
        self._keep_file(db, filing, data)

    def _keep_file(self, db: sqlite3.Connection, filing: Filing, data: bytes | None) -> None:
        if data is not None and sha256_of(data) == filing.sha256:
            db.execute("INSERT OR IGNORE INTO library_files VALUES (?, ?, ?)", (filing.sha256, len(data), data))

    # --- linking amendments ----------------------------------------------------------------------------------

    def _relink(self, db: sqlite3.Connection, workspace: str, filer: str, affected: _Affected, added_key: str) -> str:
        """Recompute which versions and rows are current among the filer's Senate reports of the affected report
        dates and the filer's House rows of the affected trades, and return what a person should know about the
        filing just added (`added_key`), if it is one of them."""
        versions = self._versions(db, workspace, filer, affected)
        rows = [row for version in versions.values() for row in version.rows]
        before = {row.id: (row.state, row.superseded_by, row.replaces) for row in rows}
        before_filings = {key: (v.state, v.superseded_by) for key, v in versions.items()}
        for version in versions.values():
            version.state, version.superseded_by = "current", ""
        for row in rows:
            row.reset()
        notes = [_link_senate_reports(versions, added_key), _link_house_amendments(versions, added_key)]
        db.executemany("UPDATE library_filings SET state = ?, superseded_by = ? WHERE workspace = ? AND filing_key = ?",
                       [(v.state, v.superseded_by, workspace, key) for key, v in versions.items()
                        if (v.state, v.superseded_by) != before_filings[key]])
        db.executemany("UPDATE library_rows SET state = ?, superseded_by = ?, replaces = ? WHERE id = ?",
                       [(row.state, row.superseded_by, row.replaces, row.id) for row in rows
                        if (row.state, row.superseded_by, row.replaces) != before[row.id]])
        return "; ".join(note for note in notes if note)

    def _versions(self, db: sqlite3.Connection, workspace: str, filer: str, affected: _Affected) -> dict[str, _Version]:
        """The filings linking may touch: the filer's Senate reports of the affected report dates, with all their
        rows, and the filer's House filings with their rows of the affected trades. An amended House row links
        only to a row of its own trade, so the filer's other rows cannot change (reading all of them made each add
        slower as a filer's filings piled up). None without a name: nameless filings are nobody's versions."""
        if not filer:
            return {}
        dates = sorted(date for date in affected.reports if date)
        senate = {key: _Version(key, *rest) for key, *rest in db.execute(
            f"SELECT {_VERSION_COLUMNS} FROM library_filings WHERE workspace = ? AND filer_key = ? AND "
            f"chamber = 'senate' AND report_date IN (SELECT value FROM json_each(?))",
            (workspace, filer, json.dumps(dates)))} if dates else {}
        keys = sorted(senate)
        for chunk in range(0, len(keys), 500):
            some = keys[chunk:chunk + 500]
            for row in db.execute(f"SELECT {_LINK_COLUMNS} FROM library_rows r WHERE workspace = ? AND filing_key IN "
                                  f"({', '.join('?' * len(some))}) ORDER BY filing_key, row_number",
                                  (workspace, *some)):
                senate[row[1]].rows.append(_link_row(row))
        if not affected.trades:
            return senate
        house_rows = [_link_row(row) for row in db.execute(
            # CROSS JOIN: the trades first, each looked up in library_rows_by_trade (SQLite would rather scan the
            # workspace's rows for a filer with a json_each it cannot count).
            f"SELECT {_LINK_COLUMNS} FROM json_each(?) t CROSS JOIN library_rows r ON r.workspace = ? "
            "AND r.filer_key = ? AND r.asset_key = json_extract(t.value, '$[0]') "
            "AND r.transaction_date = json_extract(t.value, '$[1]') "
            "AND r.transaction_type = json_extract(t.value, '$[2]') "
            "JOIN library_filings f ON f.workspace = r.workspace AND f.filing_key = r.filing_key "
            "WHERE f.chamber = 'house' ORDER BY r.filing_key, r.row_number",
            (json.dumps(sorted(affected.trades)), workspace, filer))]
        house_keys = sorted({row.filing_key for row in house_rows})
        house = {key: _Version(key, *rest) for key, *rest in db.execute(
            f"SELECT {_VERSION_COLUMNS} FROM library_filings WHERE workspace = ? AND filing_key IN "
            "(SELECT value FROM json_each(?))", (workspace, json.dumps(house_keys)))}
        for row in house_rows:
            house[row.filing_key].rows.append(row)
        return {**senate, **house}

    # --- reading ---------------------------------------------------------------------------------------------

    def rows(self, workspace: str, *, include_superseded: bool = False, member: str = "", ticker: str = "",
             search: str = "", date_from: str = "", date_to: str = "",
             library_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """The workspace's rows (current ones unless include_superseded), as agent.export.to_dataframe's frame
        plus LIBRARY_COLUMNS. `member`: every word is a word of the filer's name (any case); `ticker`: exact;
        `search`: every word starts a word of the filer's name, the ticker or the asset's name; dates: ISO,
        inclusive, on the transaction date; `library_ids`: those rows only."""
        return rows_frame(self.found(workspace, include_superseded=include_superseded, member=member, ticker=ticker,
                                     search=search, date_from=date_from, date_to=date_to, library_ids=library_ids))

    def _records(self, workspace: str, include_superseded: bool) -> list[dict[str, Any]]:
        """The rows, each as a record of _STORED_ORDER's columns."""
        columns = _stored_columns(self.found(workspace, include_superseded=include_superseded))
        return [dict(zip(columns, values)) for values in zip(*columns.values())]

    def found(self, workspace: str, *, include_superseded: bool = False, member: str = "", ticker: str = "",
              search: str = "", date_from: str = "", date_to: str = "",
              library_ids: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
        """The SQL half of rows() (the benchmark times it apart): the rows found, each as the filing's values
        (_HEADER_COLUMNS), the stored record, then LIBRARY_COLUMNS' values, in library_id order."""
        chosen = self._where(workspace, include_superseded, member, ticker, search, date_from, date_to, library_ids)
        if chosen is None:
            return []
        where, params = chosen
        # added_at as datetime.fromtimestamp(added_at, <this machine's offset now>).isoformat(timespec="seconds")
        # writes it (to the microsecond, then cut to the second), in SQL: per row in C, not in Python.
        here = datetime.now().astimezone()
        offset = here.utcoffset()
        added_at = ("strftime('%Y-%m-%dT%H:%M:%S', CAST(round(f.added_at * 1000000) AS INTEGER) / 1000000 + ?, "
                    "'unixepoch') || ?")
        query = (f"SELECT {', '.join(f'f.{column}' for column in _HEADER_COLUMNS)}, d.record, CAST(r.id AS TEXT), "
                 f"r.filing_key, r.state, r.superseded_by, r.replaces, f.run_id, {added_at} FROM library_rows r "
                 "JOIN library_records d ON d.id = r.id "
                 "JOIN library_filings f ON f.workspace = r.workspace AND f.filing_key = r.filing_key "
                 f"WHERE {where} ORDER BY r.id")
        seconds = int(offset.total_seconds()) if offset else 0
        with self.store.connection() as db, _collector_paused():
            return db.execute(query, [seconds, here.isoformat(timespec="seconds")[19:], *params]).fetchall()

    def view_rows(self, workspace: str, *, include_superseded: bool = False, search: str = "") -> pd.DataFrame:
        """The rows as the library views read them (VIEW_COLUMNS, typed as rows() types them), filtered as rows()
        filters: a narrow frame of the rows as their adds stored them (an Arrow blob per filing; library_rows' typed
        columns for a filing stored before migration 8), without decoding a record, with their state and link as
        they are now, the filing's values merged from the workspace's filings. A row's whole record is
        rows(library_ids=...)'s."""
        chosen = self._where(workspace, include_superseded, "", "", search, "", "", None)
        assert chosen is not None  # only a member's name can match nobody
        where, params = chosen
        with self.store.connection() as db, _collector_paused():
            # In the order added, which is library_id order (sorted here: SQLite would sort the blobs themselves).
            blobs = sorted(db.execute("SELECT rowid, arrow FROM library_view_rows WHERE workspace = ?", (workspace,)))
            unstored_keys = [key for (key,) in db.execute(
                "SELECT filing_key FROM library_filings f WHERE workspace = ? AND NOT EXISTS (SELECT 1 FROM "
                "library_view_rows v WHERE v.workspace = f.workspace AND v.filing_key = f.filing_key)", (workspace,))]
            # CROSS JOIN: each filing's rows from library_rows_by_filing (SQLite would scan the workspace's rows).
            unstored = db.execute(f"SELECT {_VIEW_STORED_SQL} FROM json_each(?) k CROSS JOIN library_rows r ON "
                                  "r.workspace = ? AND r.filing_key = k.value ORDER BY r.id",
                                  (json.dumps(unstored_keys), workspace)).fetchall() if unstored_keys else []
            changed = db.execute("SELECT r.id, r.state, r.replaces FROM library_rows r WHERE r.workspace = ? AND "
                                 "(r.state != 'current' OR r.replaces != '')", (workspace,)).fetchall()
            found = db.execute(f"SELECT r.id FROM library_rows r WHERE {where}", params).fetchall() \
                if words(search) else None
            filings = db.execute(f"SELECT filing_key, {', '.join(_VIEW_FILING_COLUMNS)} FROM library_filings "
                                 "WHERE workspace = ?", (workspace,)).fetchall()
        rows = _stored_view_rows([blob for _, blob in blobs], unstored)
        rows, states = _with_states(rows, changed)
        keep = np.ones(rows.num_rows, dtype=bool)
        if found is not None:
            keep &= np.isin(rows.column("library_id").to_numpy(), np.array([row_id for (row_id,) in found]))
        if not include_superseded:
            keep &= states == "current"
        return _view_frame(rows.filter(keep), filings)

    def _where(self, workspace: str, include_superseded: bool, member: str, ticker: str, search: str, date_from: str,
               date_to: str, library_ids: Sequence[str] | None) -> tuple[str, list[Any]] | None:
        """The rows' filters as SQL over library_rows r, with its parameters; None when they match nothing."""
        where, params = ["r.workspace = ?"], [workspace]
        if not include_superseded:
            where.append("r.state = 'current'")
        if ticker:
            where.append("r.ticker = ?")
            params.append(ticker.strip().upper())
        if date_from:
            where.append("r.transaction_date >= ?")
            params.append(date_from)
        if date_to:
            where.append("r.transaction_date <= ?")
            params.append(date_to)
        if member:
            filers = self._filers_named(workspace, member)
            if not filers:
                return None
            where.append(f"r.filer_key IN ({', '.join('?' * len(filers))})")
            params += filers
        for word in words(search):  # words are letters and digits: never a LIKE wildcard
            where.append("(' ' || r.search_text) LIKE ?")
            params.append(f"% {word}%")
        if library_ids is not None:  # one parameter however many: SQLite caps a statement's parameters
            where.append("r.id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps([int(library_id) for library_id in library_ids]))
        return " AND ".join(where), params

    def _filers_named(self, workspace: str, member: str) -> list[str]:
        """The filer keys with every word of `member` among their words (few: one per person)."""
        wanted = set(filer_key(member).split())
        if not wanted:
            return []
        with self.store.connection() as db:
            found = db.execute("SELECT DISTINCT filer_key FROM library_filings WHERE workspace = ?", (workspace,))
            return [key for (key,) in found if wanted <= set(key.split())]

    def filings(self, workspace: str) -> list[LibraryFiling]:
        """The workspace's filings in the order they were added."""
        with self.store.connection() as db:
            found = db.execute("SELECT filing_key, source_file, sha256, chamber, filing_id, filer_name, report_date, "
                               "amendment_number, signed_date, filed_date, rows, state, superseded_by, added_at, "
                               "run_id FROM library_filings WHERE workspace = ? ORDER BY added_at, filing_key",
                               (workspace,)).fetchall()
        return [LibraryFiling(*values) for values in found]

    def filing(self, workspace: str, key: str) -> Filing | None:
        """A stored filing as it was read, with its rows; None when the workspace has no such filing."""
        with self.store.connection() as db:
            header = db.execute("SELECT filing FROM library_filings WHERE workspace = ? AND filing_key = ?",
                                (workspace, key)).fetchone()
            if header is None:
                return None
            records = db.execute("SELECT d.record, d.flags FROM library_rows r JOIN library_records d ON d.id = r.id "
                                 "WHERE r.workspace = ? AND r.filing_key = ? ORDER BY r.row_number",
                                 (workspace, key)).fetchall()
        data = json.loads(header[0])
        data["transactions"] = [_transaction_data(record, flags) for record, flags in records]
        return Filing.from_dict(data)

    def file_data(self, workspace: str, sha256: str) -> bytes | None:
        """A stored file's bytes, when a filing of this workspace was read from it."""
        with self.store.connection() as db:
            found = db.execute("SELECT data FROM library_files WHERE sha256 = ? AND EXISTS (SELECT 1 FROM "
                               "library_filings WHERE workspace = ? AND sha256 = ?)",
                               (sha256, workspace, sha256)).fetchone()
        return bytes(found[0]) if found else None

    def superseded_count(self, workspace: str, filing_keys: Iterable[str]) -> int:
        """How many rows of these filings the library holds as superseded (restated by an amendment): a run's rows
        are as filed, so these count twice there and once in the library."""
        keys = sorted(set(filing_keys))
        if not keys:
            return 0
        with self.store.connection() as db:
            found: int = db.execute(
                f"SELECT COUNT(*) FROM library_rows WHERE workspace = ? AND state = 'superseded' AND filing_key IN "
                f"({', '.join('?' * len(keys))})", (workspace, *keys)).fetchone()[0]
        return found

    def runs_added(self, workspace: str, run_id: str) -> list[LibraryAdd]:
        """What the library did with a run's files, in their order."""
        with self.store.connection() as db:
            found = db.execute("SELECT source_file, action, message, filing_key, rows FROM library_adds "
                               "WHERE workspace = ? AND run_id = ? ORDER BY seq", (workspace, run_id)).fetchall()
        return [LibraryAdd(*values) for values in found]

    def version(self, workspace: str) -> tuple[int, int, float]:
        """What changes whenever the workspace's library does: its filings, their rows and when the latest was
        added (an add, a replacement and the amendments it relinks all add a filing)."""
        with self.store.connection() as db:
            filings, rows, latest = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(rows), 0), COALESCE(MAX(added_at), 0.0) FROM library_filings "
                "WHERE workspace = ?", (workspace,)).fetchone()
        return filings, rows, latest

    def stats(self, workspace: str) -> LibraryStats:
        with self.store.connection() as db:
            filings, superseded_filings = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(state = 'superseded'), 0) FROM library_filings WHERE workspace = ?",
                (workspace,)).fetchone()
            (rows,) = db.execute("SELECT COUNT(*) FROM library_rows WHERE workspace = ?", (workspace,)).fetchone()
            # The few rows not current or linked, from their index (migration 8), not a pass over every row.
            superseded, linked = db.execute(
                "SELECT COALESCE(SUM(state != 'current'), 0), COALESCE(SUM(replaces != ''), 0) FROM library_rows "
                "WHERE workspace = ? AND (state != 'current' OR replaces != '')", (workspace,)).fetchone()
        return LibraryStats(filings, superseded_filings, rows, rows - superseded, superseded, linked)

    # --- export ----------------------------------------------------------------------------------------------

    def export_csv(self, workspace: str, path: Path, all_rows: bool = False) -> int:
        """Write the current rows (all rows with what supersedes them, when all_rows) in extract's CSV columns.
        Returns how many rows."""
        records = self._records(workspace, all_rows)
        path.write_text(to_csv(records, ALL_ROWS_CSV_COLUMNS if all_rows else CSV_COLUMNS), encoding="utf-8",
                        newline="")
        return len(records)

    def export_json(self, workspace: str, path: Path, all_rows: bool = False) -> int:
        """Write the rows as a JSON list of records: to_dataframe's columns and LIBRARY_COLUMNS."""
        records = self._records(workspace, all_rows)
        path.write_text(json.dumps([{column: record[column] for column in FRAME_COLUMNS} for record in records],
                                   indent=1, ensure_ascii=False), encoding="utf-8")
        return len(records)


# --- linking, over the versions one filer has in the library ------------------------------------------------------


def _link_senate_reports(versions: Mapping[str, _Version], added_key: str) -> str:
    """Per report (filer and report date) with several versions, in amendment order: an amendment supersedes the
    current version it shares most trades with (several reports filed the same day share a report date); a
    version with the same amendment number, filed date and time is the same report read again. A superseded
    version's rows are linked to the same trade in the version that supersedes it where it has one."""
    reports: dict[str, list[_Version]] = {}
    for version in versions.values():
        if version.chamber == "senate" and version.report_date:
            reports.setdefault(version.report_date, []).append(version)
    notes = []
    for report in (report for report in reports.values() if len(report) > 1):
        current: list[_Version] = []
        for version in sorted(report, key=lambda v: (v.amendment_number, v.filed_date, v.filed_time, v.added_at)):
            older = _restated(version, current)
            if older is not None:
                _supersede(older, version)
                current.remove(older)
            current.append(version)
        if added_key in (version.filing_key for version in report):
            notes.append(_senate_note(versions[added_key], report))
    return "; ".join(note for note in notes if note)


def _restated(version: _Version, current: list[_Version]) -> _Version | None:
    """The current version `version` restates, if any."""
    for other in current:
        if (other.amendment_number, other.filed_date, other.filed_time) == (
                version.amendment_number, version.filed_date, version.filed_time) and version.filed_time:
            return other
    earlier = [other for other in current if other.amendment_number < version.amendment_number]
    if not earlier:
        return None
    return max(earlier, key=lambda other: (_shared_trades(other, version), other.amendment_number, other.filed_date))


def _supersede(older: _Version, newer: _Version) -> None:
    """Mark the older version and its rows superseded, each row linked to its counterpart in the newer one: the
    same asset, date and type, else the same asset and date (amendments often correct a row's type)."""
    older.state, older.superseded_by = "superseded", newer.filing_key
    for row in older.rows:
        row.state, row.superseded_by = "superseded", ""
    free = list(newer.rows)
    for width in (3, 2):  # (asset, date, type), then (asset, date)
        for row in (row for row in older.rows if not row.superseded_by):
            match = next((candidate for candidate in free if candidate.key[:width] == row.key[:width]), None)
            if match is not None:
                row.superseded_by = str(match.id)
                free.remove(match)


def _shared_trades(one: _Version, other: _Version) -> int:
    common = Counter(row.key for row in one.rows) & Counter(row.key for row in other.rows)
    return sum(common.values())


def _senate_note(version: _Version, report: list[_Version]) -> str:
    subject = f"{version.version_name} of the report of {version.filer_name} for {version.report_date}"
    parts = []
    for older in sorted((v for v in report if v.superseded_by == version.filing_key), key=lambda v: v.order):
        again = "another reading of " if older.amendment_number == version.amendment_number else ""
        parts.append(f"supersedes {again}{older.version_name} ({older.source_file}, {_plural(len(older.rows), 'row')})")
    if version.superseded_by:
        newer = next(v for v in report if v.filing_key == version.superseded_by)
        parts.append(f"superseded by {newer.version_name} ({newer.source_file}), already in the library")
    return f"{subject}: {', '.join(parts)}" if parts else ""


def _link_house_amendments(versions: Mapping[str, _Version], added_key: str) -> str:
    """Each amended House row replaces the same trade (asset, date, type) in the latest earlier filing that has
    it, oldest amendments first so that an amendment of an amendment replaces the amended row."""
    house = sorted((v for v in versions.values() if v.chamber == "house"), key=lambda v: v.order)
    unmatched: list[_Row] = []
    linked_to: dict[str, int] = {}
    replaced_by: dict[str, int] = {}
    for position, version in enumerate(house):
        for row in (row for row in version.rows if row.amended):
            match = _replaced_row(row, reversed(house[:position]))
            if match is None:
                if version.filing_key == added_key:
                    unmatched.append(row)
                continue
            row.replaces = str(match.id)
            match.state, match.superseded_by = "superseded", str(row.id)
            if version.filing_key == added_key:
                source = versions[match.filing_key].source_file
                linked_to[source] = linked_to.get(source, 0) + 1
            elif match.filing_key == added_key:
                replaced_by[version.source_file] = replaced_by.get(version.source_file, 0) + 1
    parts = [f"{_plural(count, 'amended row')} linked to {source}" for source, count in linked_to.items()]
    if unmatched:
        parts.append(f"{len(unmatched)} not matched in an earlier filing of the same filer: "
                     + "; ".join(row.label for row in unmatched))
    parts += [f"{_plural(count, 'row')} replaced by amended rows of {source}" for source, count in replaced_by.items()]
    return ", ".join(parts)


def _replaced_row(amended: _Row, earlier: Iterable[_Version]) -> _Row | None:
    for version in earlier:
        for row in version.rows:
            if row.key == amended.key and not row.superseded_by:
                return row
    return None


def _stored_row(row: Transaction) -> tuple[str, str]:
    """A row as stored: its values for ROW_COLUMNS (the Transaction's fields but its flags, and the values
    to_dataframe derives from them) as a JSON list, and its flags as JSON."""
    data = row.to_dict()
    data.update(checks=row.checks, owner_label=owner_label(row.owner))
    data[FLAG_MESSAGES] = flag_messages(row)
    return (json.dumps([data[column] for column in ROW_COLUMNS], ensure_ascii=False),
            json.dumps(data["flags"], ensure_ascii=False))


def rows_frame(found: Sequence[tuple[Any, ...]]) -> pd.DataFrame:
    """The decoding half of rows(): Library.found's rows as to_dataframe's frame plus LIBRARY_COLUMNS."""
    columns = _stored_columns(found)
    if not columns:
        return typed_frame(pd.DataFrame(columns=list(FRAME_COLUMNS)))
    return typed_frame(pd.DataFrame({column: columns[column] for column in FRAME_COLUMNS}))


def _stored_view_rows(blobs: Sequence[bytes], unstored: Sequence[tuple[Any, ...]]) -> pa.Table:
    """The stored view columns of the filings' blobs and of the rows of filings without one, in library_id order."""
    tables = [pa.ipc.open_stream(blob).read_all() for blob in blobs]
    # One chunk a column: a thousand filings' chunks made each later step (and pandas' every operation) slower.
    rows = pa.concat_tables([*tables, pa.Table.from_batches([_arrow_columns(unstored, VIEW_STORED_COLUMNS)])])
    rows = rows.combine_chunks()
    ids = rows.column("library_id").to_numpy()
    if len(ids) > 1 and not (ids[1:] > ids[:-1]).all():  # only rows of filings stored before migration 8
        rows = rows.take(pc.sort_indices(rows.column("library_id")))
    return rows


def _with_states(rows: pa.Table, changed: Sequence[tuple[int, str, str]]) -> tuple[pa.Table, np.ndarray]:
    """The rows with their row_state and replaces columns: 'current' and '' but for the `changed` ones (library_id,
    state, replaces); and the states, for filtering."""
    states = np.full(rows.num_rows, "current", dtype=object)
    links = np.full(rows.num_rows, "", dtype=object)
    if changed:
        ids, changed_states, changed_links = zip(*changed, strict=True)
        stored_ids = rows.column("library_id").to_numpy()
        at = np.searchsorted(stored_ids, np.array(ids))
        if (at >= len(stored_ids)).any() or (stored_ids[np.minimum(at, len(stored_ids) - 1)] != ids).any():
            raise StoreError("the library's stored rows (library_view_rows) lack rows that library_rows has")
        states[at], links[at] = changed_states, changed_links
    rows = rows.append_column("row_state", pa.array(states, pa.string()))
    return rows.append_column("replaces", pa.array(links, pa.string())), states


def _view_frame(rows: pa.Table, filings: Sequence[tuple[Any, ...]]) -> pd.DataFrame:
    """view_rows' frame: the rows' Arrow columns, each filing's values taken for its rows by their filing_key (an
    array take), every column in rows()' types."""
    by_filing = _arrow_columns(filings, ("filing_key", *_VIEW_FILING_COLUMNS))
    at = pc.index_in(rows.column("filing_key"), value_set=by_filing.column("filing_key"))
    columns = {column: by_filing.column(column).take(at) for column in _VIEW_FILING_COLUMNS}
    columns |= {column: rows.column(column) for column in (*VIEW_STORED_COLUMNS, "row_state", "replaces")}
    columns["library_id"] = pc.cast(columns["library_id"], pa.string())  # stored as its number: cheaper than text
    return pd.DataFrame({column: pd.array(columns[column], dtype=_VIEW_DTYPES.get(column, "str"))
                         for column in VIEW_COLUMNS})


def _arrow_columns(values: Sequence[tuple[Any, ...]], columns: tuple[str, ...]) -> pa.RecordBatch:
    """Fetched tuples as Arrow columns in one pass (a struct a row: no Python object per value): _VIEW_NUMBERS'
    numbers, else text."""
    struct = pa.struct([(column, _VIEW_NUMBERS.get(column, pa.string())) for column in columns])
    return pa.RecordBatch.from_struct_array(pa.array(values, type=struct))


def _arrow_stream(batch: pa.RecordBatch) -> bytes:
    """A batch as an Arrow IPC stream (what view_rows reads back with pa.ipc.open_stream)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    data: bytes = sink.getvalue().to_pybytes()
    return data


def _stored_columns(found: Sequence[tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    """Library.found's rows as each column's values in _STORED_ORDER (empty when none), built a column at a time:
    each record decoded once and transposed with the rest, as per-row Python work is what thousands of rows cost."""
    if not found:
        return {}
    with _collector_paused():
        by_query, decoded_at = list(zip(*found)), len(_HEADER_COLUMNS)
        stored = [*by_query[:decoded_at], *zip(*_decoded(by_query[decoded_at])), *by_query[decoded_at + 1:]]
    return dict(zip(_STORED_ORDER, stored))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while fetching or decoding rows: their tuples, lists and dicts form no cycles,
    and the collector's passes over them as they pile up cost most of the time for a large frame (4x for the whole
    library's rows decoded, a sixth of view_rows' fetch)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _decoded(records: Iterable[str]) -> list[list[Any]]:
    """Stored records as lists of values: orjson reads them several times faster than json; json reads what orjson
    refuses (NaN, which json.dumps writes for a float that is not a number)."""
    try:
        return [orjson.loads(record) for record in records]
    except orjson.JSONDecodeError:
        return [json.loads(record) for record in records]


def _transaction_data(record: str, flags: str) -> dict[str, Any]:
    """A stored row as Transaction.from_dict takes it."""
    data = {column: value for column, value in zip(ROW_COLUMNS, json.loads(record)) if column in _TRANSACTION_FIELDS}
    data["flags"] = json.loads(flags)
    return data

