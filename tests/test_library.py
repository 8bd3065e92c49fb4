"""The library (agent/store/library.py) over real filings: identity, amendments, a kill mid-add, workspaces,
export, and its command line."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from agent.export import to_dataframe
from agent.models import CSV_COLUMNS, FileOutcome
from agent.run.extract import extract_bytes
from agent.store.library import ALL_ROWS_CSV_COLUMNS, FRAME_COLUMNS, Library, LibraryStats
from tests.conftest import ROOT, filing_path, senate_file

pytestmark = pytest.mark.shared

# Patrick J Toomey's report for 2018-01-10: the original, amendment 1 (also printed to PDF), amendment 2; 5 rows each.
TOOMEY = {0: "efd/27814738-4c62-4dcf-861c-c3662be473e8.html", 1: "efd/06bc054e-4044-4322-80ad-ae881b8c8843.html",
          2: "efd/b133682c-13d9-4484-b7f5-847c1ee7f768.html"}
TOOMEY_AMENDMENT_1_PRINTED = "efd_print/06bc054e-4044-4322-80ad-ae881b8c8843.pdf"
# Shelley M Capito filed three reports on 2018-05-14 (1, 1 and 105 rows); amendment 1 restates the 105-row one.
CAPITO_ORIGINALS = ("efd/27dda4bd-c665-48e0-be5c-e1c3cb0f78db.html", "efd/9e8c8d32-39da-4bb6-9b6e-8f5be4a29897.html",
                    "efd/b17ecfe5-f246-4f4c-bf2f-4f1dd4c35539.html")
CAPITO_AMENDMENT = "efd/ff931edc-194d-48dc-98bf-ddef7f4d0e45.html"
# Nancy Pelosi's 20018539 (2021-04-09) amends three AllianceBernstein rows; two are in 20018355 (2021-03-09).
PELOSI_ORIGINAL, PELOSI_AMENDED = "20018355", "20018539"


def read(path: Path, name: str = "") -> tuple[FileOutcome, bytes]:
    data = path.read_bytes()
    return extract_bytes(data, name or path.name), data


def add(library: Library, workspace: str, *paths: Path) -> list:
    outcomes, files = [], {}
    for path in paths:
        outcome, data = read(path)
        outcomes.append(outcome)
        files[outcome.source_file] = data
    return library.add(workspace, outcomes, files)


def by_file(library: Library, workspace: str) -> dict:
    return {filing.source_file: filing for filing in library.filings(workspace)}


# --- identity -----------------------------------------------------------------------------------------------------


def test_the_same_file_twice_is_stored_once(tmp_path):
    library = Library(tmp_path / "h.db")
    path = filing_path("20016961")
    (first,) = add(library, "w", path)
    assert (first.action, first.rows, first.filing_key) == ("added", 9, "house:20016961")
    assert first.message == ("added (9 rows); 2 not matched in an earlier filing of the same filer: "
                             "row 1 (AMZN, S, 2020-01-16); row 2 (AMZN, S, 2020-01-16)")
    (again,) = add(library, "w", path)
    renamed, data = read(path, "copy of 20016961.pdf")
    (copy,) = library.add("w", [renamed], {renamed.source_file: data})
    assert again.action == copy.action == "already_there"
    assert again.message.startswith("already in the library (the same file, added ")
    assert copy.message.startswith("already in the library as 20016961.pdf (the same file, added ")
    assert library.stats("w") == LibraryStats(filings=1, superseded_filings=0, rows=9, current_rows=9,
                                              superseded_rows=0, linked_rows=0)
    (filing,) = library.filings("w")
    assert library.file_data("w", filing.sha256) == path.read_bytes()
    stored = library.filing("w", "house:20016961")
    assert stored is not None and stored.to_dict() == read(path)[0].filing.to_dict()


def test_the_same_filing_id_read_again_replaces_the_older_reading(tmp_path):
    library = Library(tmp_path / "h.db")
    (html,) = add(library, "w", senate_file(TOOMEY[1]))
    (printed,) = add(library, "w", senate_file(TOOMEY_AMENDMENT_1_PRINTED))
    assert html.filing_key == printed.filing_key == "senate:06bc054e-4044-4322-80ad-ae881b8c8843"
    assert printed.action == "replaced"
    assert printed.message.startswith("replaces the reading of 06bc054e-4044-4322-80ad-ae881b8c8843.html from ")
    (filing,) = library.filings("w")
    assert (filing.source_file, filing.rows) == ("06bc054e-4044-4322-80ad-ae881b8c8843.pdf", 5)
    assert library.stats("w").rows == 5
    assert library.file_data("w", read(senate_file(TOOMEY[1]))[0].filing.sha256) is None


def test_a_senate_page_saved_under_its_title_and_under_its_uuid_is_one_filing(tmp_path):
    """A browser names a saved eFD page after its title, and only the eFD address holds the report's UUID: the same
    report saved again (other bytes) under either name replaces the other reading and keeps the UUID."""
    path = senate_file(TOOMEY[0])
    uuid = path.stem
    title = "eFD_ Print Periodic Transaction Report.html"
    saved_again = path.read_bytes() + b"\n<!-- saved again -->\n"
    for first, second in (((path.name, path.read_bytes()), (title, saved_again)),
                          ((title, saved_again), (path.name, path.read_bytes()))):
        library = Library(tmp_path / f"{first[0]}.db")
        (added,) = library.add("w", [extract_bytes(first[1], first[0])])
        (again,) = library.add("w", [extract_bytes(second[1], second[0])])
        assert added.action == "added" and again.action == "replaced"
        assert again.message.startswith(f"replaces the reading of {first[0]} from ")
        assert again.filing_key == f"senate:{uuid}"
        (filing,) = library.filings("w")
        assert (filing.source_file, filing.filing_id, filing.state, filing.rows) == (second[0], uuid, "current", 5)
    # two eFD UUIDs are two reports, however alike: both kept, the later one current
    library = Library(tmp_path / "two.db")
    other_uuid = "00000000-0000-4000-8000-000000000000.html"
    library.add("w", [extract_bytes(path.read_bytes(), path.name), extract_bytes(saved_again, other_uuid)])
    assert [(filing.source_file, filing.state) for filing in library.filings("w")] == [
        (path.name, "superseded"), (other_uuid, "current")]


def test_unreadable_outcomes_are_reported_not_stored(tmp_path):
    library = Library(tmp_path / "h.db")
    scanned, _ = read(filing_path("2000711"))  # no text layer, read without OCR
    broken = extract_bytes(b"%PDF-1.4\nnot really", "broken.pdf")
    results = library.add("w", [scanned, broken])
    assert [item.action for item in results] == ["not_stored", "not_stored"]
    assert results[0].message.startswith("not stored: no text layer on any of its 1 page(s)")
    assert results[1].message.startswith("not stored: the PDF is damaged or truncated")
    assert library.filings("w") == []


# --- amendments ---------------------------------------------------------------------------------------------------


def test_a_senate_amendment_chain_in_any_order(tmp_path):
    library = Library(tmp_path / "h.db")
    (latest,) = add(library, "w", senate_file(TOOMEY[2]))
    (original,) = add(library, "w", senate_file(TOOMEY[0]))
    (middle,) = add(library, "w", senate_file(TOOMEY[1]))
    subject = "of the report of Patrick J Toomey for 2018-01-10"
    assert latest.message == "added (5 rows)"
    assert original.message == (f"added (5 rows); the original {subject}: superseded by amendment 2 "
                                "(b133682c-13d9-4484-b7f5-847c1ee7f768.html), already in the library")
    assert middle.message == (f"added (5 rows); amendment 1 {subject}: supersedes the original "
                              "(27814738-4c62-4dcf-861c-c3662be473e8.html, 5 rows), superseded by amendment 2 "
                              "(b133682c-13d9-4484-b7f5-847c1ee7f768.html), already in the library")
    filings = by_file(library, "w")
    key = {number: filings[Path(path).name].filing_key for number, path in TOOMEY.items()}
    assert [(filings[Path(TOOMEY[n]).name].state, filings[Path(TOOMEY[n]).name].superseded_by) for n in (0, 1, 2)] \
        == [("superseded", key[1]), ("superseded", key[2]), ("current", "")]
    current = library.rows("w")
    assert len(current) == 5 and set(current["filing_key"]) == {key[2]}
    every = library.rows("w", include_superseded=True)
    assert len(every) == 15
    ids = dict(zip(every["library_id"], every["filing_key"]))
    superseded = every[every["row_state"] == "superseded"]
    assert len(superseded) == 10
    # each superseded row points at the same trade in the version that restates it, whose type may be corrected
    # ("Sale (Full)" to "Sale (Partial)")
    corrected = 0
    for row in superseded.to_dict("records"):
        target = every[every["library_id"] == row["superseded_by"]].iloc[0]
        assert ids[row["superseded_by"]] == (key[1] if row["filing_key"] == key[0] else key[2])
        assert (target["ticker"], target["transaction_date"]) == (row["ticker"], row["transaction_date"])
        corrected += target["transaction_type"] != row["transaction_type"]
    assert corrected == 3


def test_an_amendment_supersedes_only_the_report_it_restates(tmp_path):
    """Three reports filed the same day share a report date; the amendment restates the 105-row one."""
    library = Library(tmp_path / "h.db")
    add(library, "w", *(senate_file(path) for path in CAPITO_ORIGINALS))
    (amendment,) = add(library, "w", senate_file(CAPITO_AMENDMENT))
    assert amendment.message == ("added (105 rows); amendment 1 of the report of Shelley M Capito for 2018-05-14: "
                                 "supersedes the original (b17ecfe5-f246-4f4c-bf2f-4f1dd4c35539.html, 105 rows)")
    states = {name: filing.state for name, filing in by_file(library, "w").items()}
    assert states == {Path(CAPITO_ORIGINALS[0]).name: "current", Path(CAPITO_ORIGINALS[1]).name: "current",
                      Path(CAPITO_ORIGINALS[2]).name: "superseded", Path(CAPITO_AMENDMENT).name: "current"}
    assert library.stats("w") == LibraryStats(filings=4, superseded_filings=1, rows=212, current_rows=107,
                                              superseded_rows=105, linked_rows=0)


def test_house_amended_rows_link_to_the_rows_they_replace_in_either_order(tmp_path):
    for order in ((PELOSI_ORIGINAL, PELOSI_AMENDED), (PELOSI_AMENDED, PELOSI_ORIGINAL)):
        library = Library(tmp_path / f"{order[0]}.db")
        first, second = (add(library, "w", filing_path(docid))[0] for docid in order)
        messages = {first.source_file: first.message, second.source_file: second.message}
        if order[0] == PELOSI_ORIGINAL:
            assert messages["20018539.pdf"] == ("added (6 rows); 2 amended rows linked to 20018355.pdf, 1 not matched "
                                                "in an earlier filing of the same filer: row 1 (AB, P, 2020-12-22)")
        else:
            assert messages["20018355.pdf"] == "added (2 rows); 2 rows replaced by amended rows of 20018539.pdf"
        every = library.rows("w", include_superseded=True)
        amended = every[every["replaces"] != ""]
        assert list(amended["transaction_date"]) == ["2021-02-18", "2021-02-23"]
        assert set(amended["source_file"]) == {"20018539.pdf"} and set(amended["asset_type"]) == {"OL"}
        replaced = every.set_index("library_id").loc[list(amended["replaces"])]
        assert set(replaced["source_file"]) == {"20018355.pdf"} and set(replaced["row_state"]) == {"superseded"}
        assert list(replaced["superseded_by"]) == list(amended["library_id"])
        assert len(library.rows("w")) == 6  # the two replaced rows are not counted twice
        assert library.stats("w").linked_rows == 2
        keys = [f"house:{docid}" for docid in order]
        assert library.superseded_count("w", keys) == 2 and library.superseded_count("w", keys[:0]) == 0
        assert library.superseded_count("other", keys) == 0


# --- a kill mid-add -----------------------------------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from agent.run.extract import extract_bytes
    from agent.store.library import Library

    class Slow:
        '''The outcomes to add, handed over one by one: after five the process says so and waits to be killed.'''
        def __init__(self, outcomes):
            self.outcomes = outcomes
        def __len__(self):
            return len(self.outcomes)
        def __getitem__(self, index):
            return self.outcomes[index]
        def __iter__(self):
            for number, outcome in enumerate(self.outcomes, start=1):
                yield outcome
                if number == 5:
                    print("five handed over", flush=True)
                    time.sleep(600)

    paths = [Path(name) for name in sys.argv[2:]]
    outcomes = [extract_bytes(path.read_bytes(), path.name) for path in paths]
    library = Library(Path(sys.argv[1]))
    library.add("w", outcomes[:1])
    print("first committed", flush=True)
    library.add("w", Slow(outcomes[1:]))
""")


def test_a_process_killed_while_adding_stores_nothing_of_that_add(tmp_path):
    database = tmp_path / "h.db"
    names = sorted((senate_file("efd/17cb92a5-f23f-4320-a96d-892ee76c92d9.html").parent).glob("*.html"))[:8]
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(database), *map(str, names)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "first committed"
    assert child.stdout.readline().strip() == "five handed over"  # five filings written, not committed
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM library_rows r LEFT JOIN library_filings f ON "
                          "f.workspace = r.workspace AND f.filing_key = r.filing_key WHERE f.filing_key IS NULL"
                          ).fetchone() == (0,)
    library = Library(database)
    assert [filing.source_file for filing in library.filings("w")] == [names[0].name]
    assert library.stats("w").rows == read(names[0])[0].rows
    assert [item.source_file for item in library.runs_added("w", "")] == [names[0].name]
    results = add(library, "w", *names)  # the same add again, whole
    assert [item.action for item in results] == ["already_there"] + ["added"] * 7


# --- workspaces and export ----------------------------------------------------------------------------------------


def test_workspaces_never_see_each_others_library(tmp_path):
    library = Library(tmp_path / "h.db")
    add(library, "w1", filing_path(PELOSI_ORIGINAL))
    sha = library.filings("w1")[0].sha256
    assert library.filings("w2") == [] and library.rows("w2").empty and library.file_data("w2", sha) is None
    assert library.filing("w2", "house:20018355") is None and library.stats("w2").filings == 0
    (other,) = add(library, "w2", filing_path(PELOSI_AMENDED))
    # w1's original is not w2's: nothing to link to
    assert other.message.startswith("added (6 rows); 3 not matched in an earlier filing of the same filer: "
                                    "row 1 (AB, P, 2020-12-22); row 2 (AB, P, 2021-02-18)")
    (same,) = add(library, "w2", filing_path(PELOSI_ORIGINAL))
    assert same.action == "added"  # the same bytes in another workspace are that workspace's own copy
    assert len(library.rows("w1", include_superseded=True)) == 2 and library.stats("w1").linked_rows == 0


def test_rows_filter_by_member_ticker_search_and_dates(tmp_path):
    library = Library(tmp_path / "h.db")
    add(library, "w", filing_path("20016961"), filing_path(PELOSI_AMENDED), senate_file(TOOMEY[2]))
    assert set(library.rows("w", member="nancy PELOSI")["filing_id"]) == {"20016961", PELOSI_AMENDED}
    assert library.rows("w", member="pelos").empty  # whole words of the name
    assert list(library.rows("w", ticker="msft")["ticker"]) == ["MSFT", "MSFT"]
    assert set(library.rows("w", search="allianceb")["ticker"]) == {"AB"}  # words of the asset, from their start
    assert set(library.rows("w", search="toomey")["filer_name"]) == {"Patrick J Toomey"}
    dated = library.rows("w", member="pelosi", date_from="2021-02-18", date_to="2021-03-10")
    assert sorted(dated["transaction_date"]) == ["2021-02-18", "2021-02-23", "2021-03-10"]


def test_rows_have_to_dataframes_columns_and_types_plus_the_librarys(tmp_path):
    library = Library(tmp_path / "h.db")
    outcome, data = read(filing_path("20016961"))
    library.add("w", [outcome], {outcome.source_file: data}, run_id="run1")
    frame = library.rows("w")
    expected = to_dataframe([outcome.filing])
    assert tuple(frame.columns) == FRAME_COLUMNS == (*expected.columns, "library_id", "filing_key", "row_state",
                                                     "superseded_by", "replaces", "run_id", "added_at")
    assert dict(frame[expected.columns].dtypes) == dict(expected.dtypes)
    assert frame[expected.columns].astype(object).equals(expected.astype(object))  # boxes and source lines too
    assert set(frame["run_id"]) == {"run1"} and frame["added_at"].str.match(r"\d{4}-\d\d-\d\dT").all()
    assert [item.action for item in library.runs_added("w", "run1")] == ["added"]


def test_added_at_reads_as_python_writes_it_and_a_row_holding_nan_still_reads(tmp_path):
    library = Library(tmp_path / "h.db")
    outcome, _ = read(filing_path("20016961"))
    outcome.filing.transactions[0].option_strike = float("nan")  # json.dumps writes NaN, which orjson refuses
    library.add("w", [outcome])
    frame = library.rows("w")
    added = library.filings("w")[0].added_at
    here = datetime.now().astimezone().tzinfo
    assert set(frame["added_at"]) == {datetime.fromtimestamp(added, here).isoformat(timespec="seconds")}
    assert len(frame) == len(outcome.filing.transactions) and frame["option_strike"].isna().iloc[0]


def test_export_csv_and_json(tmp_path):
    library = Library(tmp_path / "h.db")
    add(library, "w", filing_path(PELOSI_ORIGINAL), filing_path(PELOSI_AMENDED))
    current, every, as_json = tmp_path / "current.csv", tmp_path / "all.csv", tmp_path / "all.json"
    assert library.export_csv("w", current) == 6
    assert library.export_csv("w", every, all_rows=True) == 8
    assert library.export_json("w", as_json, all_rows=True) == 8
    with open(current, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 7
    with open(every, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert tuple(table[0]) == ALL_ROWS_CSV_COLUMNS
    superseded = [row for row in table if row["row_state"] == "superseded"]
    assert [row["source_file"] for row in superseded] == ["20018355.pdf", "20018355.pdf"]
    replacing = {row["library_id"]: row for row in table if row["replaces"]}
    assert {row["superseded_by"] for row in superseded} == set(replacing)
    records = json.loads(as_json.read_text(encoding="utf-8"))
    assert tuple(records[0]) == FRAME_COLUMNS and records[0]["boxes"] and records[0]["source_lines"]


# --- command line -------------------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("OPENAI_")}
    return subprocess.run([sys.executable, "-m", "agent", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=clean)


def test_cli_library_add_export_show(tmp_path):
    database, broken = tmp_path / "h.db", tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    first = run_cli("library", "add", str(filing_path(PELOSI_ORIGINAL)), str(filing_path(PELOSI_AMENDED)),
                    "--db", str(database), "--no-ocr")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "20018355.pdf: added (2 rows)"
    assert lines[1].startswith("20018539.pdf: added (6 rows); 2 amended rows linked to 20018355.pdf, 1 not matched")
    assert lines[2] == "library: added 2, already there 0, replaced 0, not stored 0"
    assert lines[3].startswith("files: 2, rows: 8, flagged rows: 0, needs OCR: 0, failed: 0, seconds: ")

    again = run_cli("library", "add", str(filing_path(PELOSI_ORIGINAL)), str(broken), "--db", str(database))
    assert again.returncode == 1  # a file failed
    assert f"{broken}: failed: the PDF is damaged or truncated" in again.stderr and "Traceback" not in again.stderr
    assert again.stdout.splitlines()[0].startswith("20018355.pdf: already in the library (the same file, added ")
    assert "broken.pdf: not stored: the PDF is damaged or truncated" in again.stdout

    out_csv, out_json = tmp_path / "out.csv", tmp_path / "out.json"
    export = run_cli("library", "export", "-o", str(out_csv), "--all", "--json", str(out_json), "--db", str(database))
    assert export.returncode == 0, export.stderr
    assert export.stdout.strip() == (f"library export: 8 rows (superseded ones too) of workspace 'cli' written to "
                                     f"{out_csv}, {out_json}")
    with open(out_csv, newline="", encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == ALL_ROWS_CSV_COLUMNS

    show = run_cli("library", "show", "--member", "Pelosi", "--db", str(database))
    assert show.returncode == 0, show.stderr
    head, columns, *trades = show.stdout.splitlines()
    assert head.startswith("Hon. Nancy Pelosi: 6 trades, 6 buys, 0 sells, 2020-12-22 to 2021-03-19")
    assert columns.split() == ["Traded", "Filer", "Ticker", "Type", "Amount", "Asset"] and len(trades) == 6
    ticker = run_cli("library", "show", "--ticker", "msft", "--db", str(database))
    assert ticker.stdout.splitlines()[0].startswith("MSFT (traded by Hon. Nancy Pelosi): 2 trades, 2 buys")
    nobody = run_cli("library", "show", "--member", "Nobody", "--db", str(database), "--workspace", "other")
    assert (nobody.returncode, nobody.stdout.strip()) == (0, "no current rows for member 'Nobody' in workspace 'other'")
    neither = run_cli("library", "show", "--db", str(database))
    assert neither.returncode == 2 and "one of the arguments --member --ticker is required" in neither.stderr


def test_cli_run_adds_its_filings_to_the_library(tmp_path):
    database = tmp_path / "h.db"
    result = run_cli("run", str(senate_file(TOOMEY[0])), "--out", str(tmp_path / "out"), "--db", str(database),
                     "--workspace", "mine", "--no-ocr")
    assert result.returncode == 0, result.stderr
    summary, added, counts = result.stdout.splitlines()
    assert summary.startswith("files: 1, rows: 5, ")
    assert added == "27814738-4c62-4dcf-861c-c3662be473e8.html: added (5 rows)"
    assert counts == "library: added 1, already there 0, replaced 0, not stored 0"
    assert Library(database).stats("mine").rows == 5
