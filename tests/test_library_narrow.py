"""The Library page's narrow read (Library.view_rows: the few columns the views read, from each filing's Arrow blob or,
for a filing stored before migration 8, from library_rows' typed columns) against the whole rows (Library.rows) on real
filings with Senate amendment chains and a House amended filing: the same views; blobs and library_rows alike; the
typed columns filled by migration 6 as an add writes them; rows by library_id; House relinking of a replaced reading."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from agent.analysis.frame import prepare_trades, prepare_view_trades
from agent.analysis.library_views import (
    PREPARED_COLUMNS,
    clusters,
    first_disclosed,
    late_filings,
    member_names,
    members_table,
    tickers_table,
)
from agent.models import FileOutcome
from agent.store.library import TYPED_ROW_COLUMNS, VIEW_COLUMNS, Library
from agent.store.schema import MIGRATIONS
from tests.conftest import filing_path, senate_file
from tests.test_library import CAPITO_AMENDMENT, CAPITO_ORIGINALS, PELOSI_AMENDED, PELOSI_ORIGINAL, TOOMEY, add, read

pytestmark = pytest.mark.shared

# Both bought CVX in October 2025, a week apart (a cluster); every row of the third is late.
GREENE, CISNEROS, MCCORMICK_LATE = "20033360", "20033455", "20030699"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    shelf = Library(tmp_path_factory.mktemp("narrow") / "h.db")
    add(shelf, "w", *(senate_file(TOOMEY[number]) for number in (2, 0, 1)))
    add(shelf, "w", *(senate_file(path) for path in (*CAPITO_ORIGINALS, CAPITO_AMENDMENT)))
    add(shelf, "w", *(filing_path(docid) for docid in (PELOSI_AMENDED, PELOSI_ORIGINAL, GREENE, CISNEROS,
                                                      MCCORMICK_LATE)))
    return shelf


def prepared(all_rows: pd.DataFrame, prepare: Callable[[pd.DataFrame], pd.DataFrame] = prepare_view_trades
             ) -> pd.DataFrame:
    """What pages/library_data.py's LibraryData.prepared computes (with prepare_view_trades), or the same with
    another preparation."""
    current = (all_rows["row_state"] == "current").to_numpy()
    trades = first_disclosed(prepare(all_rows))[current]
    return trades.reset_index(drop=True).assign(member=member_names)


def test_the_views_over_the_narrow_rows_equal_the_views_over_the_whole_rows(library: Library) -> None:
    narrow = library.view_rows("w", include_superseded=True)
    whole = library.rows("w", include_superseded=True)
    assert tuple(narrow.columns) == VIEW_COLUMNS and len(narrow) == len(whole) == 403
    assert (narrow["row_state"] == "superseded").sum() == 117  # Toomey's 10, Capito's 105, Pelosi's 2
    shared = [column for column in VIEW_COLUMNS if column != "ticker"]  # stored upper case, as prepared reads it
    pd.testing.assert_frame_equal(narrow[shared], whole[shared])
    pd.testing.assert_series_equal(narrow["ticker"], whole["ticker"].str.upper())

    from_narrow, from_whole = prepared(narrow), prepared(whole, prepare_trades)  # the page's, and every column's
    read_by_views = [*VIEW_COLUMNS, *sorted(PREPARED_COLUMNS), "member"]
    pd.testing.assert_frame_equal(from_narrow[read_by_views], from_whole[read_by_views])
    pd.testing.assert_frame_equal(members_table(from_narrow), members_table(from_whole))
    pd.testing.assert_frame_equal(tickers_table(from_narrow), tickers_table(from_whole))
    pd.testing.assert_frame_equal(clusters(from_narrow), clusters(from_whole))
    late_narrow, late_whole = late_filings(from_narrow), late_filings(from_whole)
    shown = [*read_by_views, "filing_date"]  # the late tab's columns are among these; owner and the rest are not read
    pd.testing.assert_frame_equal(late_narrow[shown], late_whole[shown])
    assert len(clusters(from_narrow)) > 0 and len(late_narrow) > 0
    # the amendments' delays count from the first disclosure in both
    assert from_narrow["delay_days"].equals(from_whole["delay_days"])


def test_a_search_reads_the_same_rows_narrow_and_whole(library: Library) -> None:
    for search in ("toomey", "allianceb", "cvx"):
        narrow = library.view_rows("w", include_superseded=True, search=search)
        whole = library.rows("w", include_superseded=True, search=search)
        assert len(narrow) > 0 and list(narrow["library_id"]) == list(whole["library_id"])


def test_rows_read_from_the_filings_blobs_equal_those_read_from_library_rows(library: Library, tmp_path: Path) -> None:
    """view_rows reads each filing's rows from the Arrow blob its add wrote (migration 8), and the rows of a filing
    stored before that from library_rows: the same frame either way, or mixed, with the states and links the later
    amendments set (Toomey's versions were added out of order), filtered alike."""
    copy = tmp_path / "copy.db"
    with sqlite3.connect(library.path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
        keys = [key for (key,) in target.execute("SELECT filing_key FROM library_view_rows WHERE workspace = 'w' "
                                                  "ORDER BY filing_key")]
        assert len(keys) == 12
    older = Library(copy)
    for blobs_left in (keys[::2], []):  # half the filings stored before migration 8, then all of them
        with sqlite3.connect(copy) as db:
            db.execute("DELETE FROM library_view_rows WHERE workspace = 'w' AND filing_key NOT IN "
                       "(SELECT value FROM json_each(?))", (json.dumps(blobs_left),))
        for options in ({"include_superseded": True}, {}, {"search": "toomey"}, {"include_superseded": True,
                                                                                 "search": "cvx"}):
            pd.testing.assert_frame_equal(older.view_rows("w", **options), library.view_rows("w", **options))
    assert older.stats("w") == library.stats("w")
    older.close()


def test_rows_by_library_id(library: Library) -> None:
    every = library.rows("w", include_superseded=True)
    chosen = list(every["library_id"].iloc[[3, 7, 250]])
    assert list(library.rows("w", include_superseded=True, library_ids=chosen)["library_id"]) == chosen
    assert library.rows("w", library_ids=[]).empty  # no ids: no rows, not every row
    assert library.rows("other", include_superseded=True, library_ids=chosen).empty


def test_migration_6_fills_the_typed_columns_as_an_add_writes_them(library: Library, tmp_path: Path) -> None:
    """A library written before migration 6 (its rows copied into a schema-5 database, one record holding a NaN,
    which SQLite does not read as JSON) reads the same narrow rows once migrated."""
    library.add("nan", [nan_outcome()])
    old = tmp_path / "v5.db"
    with sqlite3.connect(old) as db:
        for script in MIGRATIONS[:5]:
            db.executescript(script)
        db.execute("PRAGMA user_version = 5")
        db.execute("ATTACH ? AS new", (str(library.path),))
        for table in ("library_filings", "library_records"):
            db.execute(f"INSERT INTO {table} SELECT * FROM new.{table}")
        columns = [name for (_, name, *_) in db.execute("PRAGMA table_info(library_rows)")]
        db.execute(f"INSERT INTO library_rows SELECT {', '.join(columns)} FROM new.library_rows")
    migrated = Library(old)
    for workspace in ("w", "nan"):
        pd.testing.assert_frame_equal(migrated.view_rows(workspace, include_superseded=True),
                                      library.view_rows(workspace, include_superseded=True))
    assert migrated.view_rows("nan")["amount_min"].isna().iloc[0]
    typed = migrated.view_rows("w", include_superseded=True)[list(TYPED_ROW_COLUMNS)]
    assert (typed["asset_name"] != "").all() and typed["amount_min"].notna().any()
    migrated.close()


def nan_outcome() -> FileOutcome:
    outcome, _ = read(filing_path("20016961"))
    outcome.filing.transactions[0].amount_min = float("nan")  # json.dumps writes NaN: not JSON to SQLite
    return outcome


def test_the_version_changes_with_every_add_that_stores(tmp_path: Path) -> None:
    shelf = Library(tmp_path / "h.db")
    assert shelf.version("w") == (0, 0, 0.0)
    add(shelf, "w", filing_path(PELOSI_ORIGINAL))
    first = shelf.version("w")
    add(shelf, "w", filing_path(PELOSI_ORIGINAL))  # already there: nothing changes
    assert shelf.version("w") == first and first[:2] == (1, 2)
    add(shelf, "w", filing_path(PELOSI_AMENDED))
    assert shelf.version("w")[:2] == (2, 8) and shelf.version("w")[2] >= first[2]


def test_a_replaced_reading_of_the_original_is_relinked_to_the_amended_rows(tmp_path: Path) -> None:
    """The same DocID read again (other bytes) replaces the reading whose rows the amended rows replaced: they
    link to the new reading's rows, found by their trades."""
    shelf = Library(tmp_path / "h.db")
    add(shelf, "w", filing_path(PELOSI_ORIGINAL), filing_path(PELOSI_AMENDED))
    again, _ = read(filing_path(PELOSI_ORIGINAL))
    assert again.filing is not None
    again.filing.sha256 = "0" * 64  # another reading of the same filing
    (result,) = shelf.add("w", [again])
    assert result.action == "replaced" and "2 rows replaced by amended rows of 20018539.pdf" in result.message
    every = shelf.rows("w", include_superseded=True)
    amended = every[every["replaces"] != ""]
    replaced = every.set_index("library_id").loc[list(amended["replaces"])]
    assert len(amended) == 2 and set(replaced["row_state"]) == {"superseded"}
    assert set(replaced["filing_key"]) == {f"house:{PELOSI_ORIGINAL}"} and len(every) == 8
    assert list(replaced["superseded_by"]) == list(amended["library_id"])
