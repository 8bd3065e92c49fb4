"""Run history in a real SQLite file: runs, events, files, cache, profile, workspaces, failures; the schema's
migrations from the first release; WAL; and the lease that keeps app servers sharing a data folder from
marking each other's live runs interrupted (other servers are real processes)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from agent.errors import StoreError
from agent.models import InputFile
from agent.run.llm import LLMConfig
from agent.run.loop import Agent, brain_for
from agent.run.result import RunResult
from agent.store.lease import Owner, this_host
from agent.store.runs import RunStore
from agent.store.schema import LATEST_VERSION
from tests.conftest import ROOT, SAMPLES

# The first release's schema (user_version 0), frozen as it shipped: the migrations must keep its data.
FIRST_RELEASE_SCHEMA = """
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
"""


def sample_inputs() -> list[InputFile]:
    return [InputFile(path.name, path.read_bytes()) for path in sorted(SAMPLES.glob("sample_ptr_*.pdf"))]


def stored_run(store: RunStore, workspace: str, run_id: str, files: list[InputFile]) -> RunResult:
    store.start_run(workspace, run_id, "offline", "", files)
    events = list(Agent(cache=store).events(files))
    store.append_events(run_id, events)
    result = RunResult.from_events(events)
    store.finish_run(run_id, result)
    return result


def test_a_run_survives_reopening_the_database(tmp_path):
    files = sample_inputs()
    result = stored_run(RunStore(tmp_path / "h.db"), "w1", "run1", files)
    reopened = RunStore(tmp_path / "h.db")  # a restart
    (record,) = reopened.list_runs("w1")
    assert (record.status, record.rows, record.brain) == ("completed", 25, "offline")
    assert [f["name"] for f in record.files] == [f.name for f in files]
    again = reopened.load_result("w1", "run1")
    assert [o.to_dict() for o in again.outcomes] == [o.to_dict() for o in result.outcomes]
    assert again.summary == result.summary
    assert [f.data for f in reopened.load_files("w1", "run1")] == [f.data for f in files]


def test_workspaces_do_not_see_each_other(tmp_path):
    store = RunStore(tmp_path / "h.db")
    stored_run(store, "w1", "run1", sample_inputs()[:1])
    assert store.list_runs("w2") == []
    assert store.load_events("w2", "run1") == [] and store.load_files("w2", "run1") == []
    assert not store.delete_run("w2", "run1") and len(store.list_runs("w1")) == 1
    assert store.delete_run("w1", "run1") and store.list_runs("w1") == []


def test_history_marks_reruns_of_the_same_bytes_and_counts_failed_files(tmp_path):
    store = RunStore(tmp_path / "h.db")
    broken = InputFile("broken.pdf", b"%PDF-1.7 cut short")
    first, renamed = sample_inputs()[:2], [InputFile("renamed.pdf", sample_inputs()[0].data), sample_inputs()[1]]
    stored_run(store, "w1", "run1", first)
    stored_run(store, "w1", "run2", [*reversed(renamed)])  # the same bytes, another name and order: a re-run
    stored_run(store, "w1", "run3", [*first, broken])  # one more file: not a re-run
    stored_run(store, "w2", "run4", first)  # another workspace's history is its own
    newest, second, oldest = store.list_runs("w1")
    assert (oldest.rerun_of, second.rerun_of, newest.rerun_of) == ("", "run1", "")
    assert store.list_runs("w2")[0].rerun_of == ""
    assert (newest.status_text, newest.failed_files, oldest.status_text) == ("completed, 1 file failed", 1, "completed")


def test_history_lists_the_brain_that_really_ran(tmp_path):
    store = RunStore(tmp_path / "h.db")
    files = sample_inputs()[:1]
    store.start_run("w1", "run1", "llm", "fake-model", files)
    result = Agent(brain_for(LLMConfig(base_url="http://127.0.0.1:9/v1", model="fake-model", timeout=1,
                                       max_retries=1, backoff=0.01))).run(files)  # nothing listens there
    store.finish_run("run1", result)
    (record,) = store.list_runs("w1")
    assert record.brain.startswith("offline (LLM fell back: LLM endpoint") and "Connection error" in record.brain


def test_same_bytes_are_served_from_the_cache(tmp_path):
    store = RunStore(tmp_path / "h.db")
    stored_run(store, "w1", "run1", sample_inputs()[:1])
    second = stored_run(store, "w1", "run2", [InputFile("renamed.pdf", sample_inputs()[0].data)])
    tools = [e for e in second.events if e.type == "tool_call"]
    assert tools == []  # nothing extracted again
    assert "served from the cache" in next(e.text for e in second.events if e.type == "thought")
    assert second.outcomes[0].source_file == "renamed.pdf" and second.outcomes[0].rows == 3


def test_profile_is_remembered(tmp_path):
    store = RunStore(tmp_path / "h.db")
    assert store.load_profile("w1") is None
    store.save_profile("w1", {"risk_tolerance": "high", "horizon": "long"})
    assert RunStore(tmp_path / "h.db").load_profile("w1") == {"risk_tolerance": "high", "horizon": "long"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_read_only_folder_gives_a_clear_error(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="cannot open the history database"):
            RunStore(tmp_path / "sub" / "h.db")
    finally:
        tmp_path.chmod(0o700)


def test_folder_that_is_a_file_gives_a_clear_error(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(StoreError, match="cannot open the history database"):
        RunStore(tmp_path / "taken" / "h.db")


def test_failed_write_leaves_history_whole(tmp_path):
    store = RunStore(tmp_path / "h.db")
    stored_run(store, "w1", "run1", sample_inputs()[:1])
    with pytest.raises(StoreError, match="history not saved"):
        store.start_run("w1", "run1", "offline", "", sample_inputs()[:1])  # duplicate id: the insert fails
    with sqlite3.connect(tmp_path / "h.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM run_files").fetchone()[0] == 1  # the failed run added nothing


# --- the schema's versions -----------------------------------------------------------------------------------


def first_release_database(path: Path) -> list[str]:
    """A history as the first release left it: a completed run with its files and events, a run cut short,
    and cache rows keyed the old way. Returns the completed run's events as stored."""
    files = sample_inputs()[:1]
    events = [json.dumps(event.to_dict(), ensure_ascii=False) for event in Agent().events(files)]
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(FIRST_RELEASE_SCHEMA)
        for run_id, status in (("done", "completed"), ("cut", "running")):
            db.execute("INSERT INTO runs (id, workspace, created_at, status, brain, model, rows) "
                       "VALUES (?, 'w1', ?, ?, 'offline', '', 3)", (run_id, 1.0 if run_id == "done" else 2.0, status))
            db.execute("INSERT INTO run_files VALUES (?, 0, ?, ?, ?, ?)",
                       (run_id, files[0].name, "0" * 64, len(files[0].data), files[0].data))
            db.executemany("INSERT INTO run_events VALUES (?, ?, ?)",
                           [(run_id, seq, event) for seq, event in enumerate(events, start=1)])
        db.execute("INSERT INTO outcome_cache VALUES (?, 'old-code', '{}')", ("1" * 64,))
    return events


def columns(path: Path, table: str) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def test_a_first_release_history_is_upgraded_and_keeps_its_runs(tmp_path):
    database = tmp_path / "h.db"
    events = first_release_database(database)
    assert user_version(database) == 0

    store = RunStore(database)
    assert user_version(database) == LATEST_VERSION
    assert store.mark_interrupted() == 1  # its running run has no owner: it died with the old release's process
    cut, done = store.list_runs("w1")
    assert (done.id, done.status, done.rows, [f["name"] for f in done.files]) == (
        "done", "completed", 3, [sample_inputs()[0].name])
    assert (cut.id, cut.status) == ("cut", "interrupted")
    assert [json.dumps(e.to_dict(), ensure_ascii=False) for e in store.load_events("w1", "done")] == events
    assert [f.data for f in store.load_files("w1", "done")] == [sample_inputs()[0].data]
    assert store.load_result("w1", "done").outcomes[0].rows == 3

    assert columns(database, "outcome_cache") == ["key", "outcome", "trace"]  # the old rows can never be served: gone
    assert store.cached_outcome("1" * 64) is None
    outcome = store.load_result("w1", "done").outcomes[0]
    store.cache_outcome("2" * 64, outcome, store.load_events("w1", "done"))
    cached = store.cached_outcome("2" * 64)
    assert cached.outcome.to_dict() == outcome.to_dict()
    assert [json.dumps(e.to_dict(), ensure_ascii=False) for e in cached.trace] == events
    RunStore(database)  # opening an up-to-date history changes nothing
    assert user_version(database) == LATEST_VERSION and len(store.list_runs("w1")) == 2


def test_a_failed_migration_leaves_the_history_as_it_was(tmp_path):
    database = tmp_path / "h.db"
    first_release_database(database)
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("ALTER TABLE runs ADD COLUMN owner_host TEXT")  # what migration 2 adds: it will fail on it
    before = columns(database, "runs"), columns(database, "outcome_cache")
    with pytest.raises(StoreError, match="cannot open the history database .*duplicate column name: owner_host"):
        RunStore(database)
    assert user_version(database) == 0
    assert (columns(database, "runs"), columns(database, "outcome_cache")) == before  # migration 1 undone too
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT id, status FROM runs ORDER BY id").fetchall() == [("cut", "running"),
                                                                                    ("done", "completed")]
        assert db.execute("SELECT COUNT(*) FROM outcome_cache").fetchone()[0] == 1


def test_a_history_from_a_newer_release_is_refused_clearly(tmp_path):
    database = tmp_path / "h.db"
    RunStore(database)
    with closing(sqlite3.connect(database)) as db:
        db.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    with pytest.raises(StoreError) as refused:
        RunStore(database)
    assert str(refused.value) == (f"the history at {database} was written by a newer TradeTrace (schema "
                                  f"{LATEST_VERSION + 1}); this version knows up to {LATEST_VERSION}")


# --- WAL ------------------------------------------------------------------------------------------------------


def test_history_is_in_wal_mode_and_a_reader_does_not_block_a_write(tmp_path):
    database = tmp_path / "h.db"
    store = RunStore(database)
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with closing(sqlite3.connect(database, isolation_level=None, timeout=0)) as reader:
        reader.execute("BEGIN")
        assert reader.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0  # a read transaction stays open
        stored_run(store, "w1", "run1", sample_inputs()[:1])  # would wait for the reader, then fail, without WAL
        assert reader.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0  # its snapshot is unchanged
        reader.execute("COMMIT")
        assert reader.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


def test_writes_from_many_threads_all_land(tmp_path):
    store = RunStore(tmp_path / "h.db")
    files = sample_inputs()[:1]
    events = list(Agent().events(files))

    def one_run(number: int) -> None:
        stored = RunStore(tmp_path / "h.db")  # as another server would
        stored.start_run("w1", f"run{number}", "offline", "", files)
        for event in events:
            stored.append_events(f"run{number}", [event])
        stored.finish_run(f"run{number}", RunResult.from_events(events))

    with ThreadPoolExecutor(4) as pool:
        for done in [pool.submit(one_run, number) for number in range(4)]:
            done.result()  # raises what the thread raised
    runs = store.list_runs("w1")
    assert sorted(run.id for run in runs) == [f"run{number}" for number in range(4)]
    assert {(run.status, run.rows) for run in runs} == {("completed", 3)}
    assert all(len(store.load_events("w1", run.id)) == len(events) for run in runs)


# --- leases: other app servers on the same data folder ----------------------------------------------------------

# Another app server: opens the history on the data folder, starts a run of the given files and saves its
# events as the Extract page does, until one of the type given; says so, then waits (to be killed or let go).
SERVER = """
import json, sys
from pathlib import Path
from agent.models import InputFile
from agent.run.llm import LLMConfig
from agent.run.loop import Agent, brain_for
from agent.store.runs import RunStore
database, run_id, paths, last = json.loads(sys.argv[1])
files = [InputFile(Path(path).name, Path(path).read_bytes()) for path in paths]
store = RunStore(Path(database))
store.start_run("w1", run_id, "offline", "", files)
for event in Agent().events(files):
    store.append_events(run_id, [event])
    if event.type == last:
        break
print("running", flush=True)
sys.stdin.read()
"""
# Another app server starting up: opens the history, marks what it finds stale, prints the count and statuses.
OPENS = """
import json, sys
from pathlib import Path
from agent.store.runs import RunStore
store = RunStore(Path(sys.argv[1]))
print(json.dumps([store.mark_interrupted(), [run.status for run in store.list_runs("w1")]]))
"""


def python(snippet: str, *arguments: str, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", snippet, *arguments], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options)


@contextmanager
def server_running(database: Path, run_id: str, files: list[Path], last: str) -> Iterator[subprocess.Popen]:
    server = python(SERVER, json.dumps([str(database), run_id, [str(path) for path in files], last]),
                    stdin=subprocess.PIPE)
    try:
        if server.stdout.readline().strip() != "running":
            server.kill()
            pytest.fail(f"the server process did not start its run:\n{server.communicate()[1]}")
        yield server
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate()


def another_server_opens(database: Path) -> tuple[int, list[str]]:
    out, err = python(OPENS, str(database)).communicate(timeout=120)
    assert out, err
    marked, statuses = json.loads(out)
    return marked, statuses


def store_of_a_process_that_ended(database: Path) -> RunStore:
    """The history as a server process on this host held it, that process having ended since."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return RunStore(database, owner=Owner(this_host(), int(ended.stdout), "", "ended"))


def test_another_server_opening_the_history_leaves_a_live_run_running(tmp_path):
    database = tmp_path / "h.db"
    store = RunStore(database)
    files = sample_inputs()[:2]
    events = list(Agent().events(files))
    store.start_run("w1", "live", "offline", "", files)
    store.append_events("live", events[:5])

    assert another_server_opens(database) == (0, ["running"])  # a real second process
    assert RunStore(database).mark_interrupted() == 0  # a second store of this process: another owner
    assert [run.status for run in store.list_runs("w1")] == ["running"]

    store.append_events("live", events[5:])
    store.finish_run("live", RunResult.from_events(events))
    (record,) = store.list_runs("w1")
    assert record.status == "completed" and len(store.load_events("w1", "live")) == len(events)


def test_a_run_whose_server_was_killed_is_interrupted_with_the_rows_it_finished(tmp_path):
    database = tmp_path / "h.db"
    paths = sorted(SAMPLES.glob("sample_ptr_*.pdf"))[:2]
    with server_running(database, "cut", paths, last="file_finished") as server:
        assert RunStore(database).mark_interrupted() == 0  # the server is alive
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)

    store = RunStore(database)
    assert store.mark_interrupted() == 1  # its process is gone from this host: at once, whatever the lease
    (record,) = store.list_runs("w1")
    partial = store.load_result("w1", "cut")
    first = RunResult.from_events(Agent().events([InputFile(path.name, path.read_bytes()) for path in paths]))
    assert record.status == "interrupted" and partial.outcome == "interrupted"
    done = [(o.source_file, o.status, o.filing.to_dict()) for o in partial.outcomes]
    assert done == [(o.source_file, o.status, o.filing.to_dict()) for o in first.outcomes[:1]]  # the file it finished
    assert (record.rows, record.flagged_rows) == (first.outcomes[0].rows, first.outcomes[0].flagged_rows) != (0, 0)
    assert [f.data for f in store.load_files("w1", "cut")] == [path.read_bytes() for path in paths]
    assert store.mark_interrupted() == 0


def test_a_run_of_an_ended_process_is_interrupted_when_the_history_is_listed(tmp_path):
    database = tmp_path / "h.db"
    store_of_a_process_that_ended(database).start_run("w1", "cut", "offline", "", sample_inputs()[:1])
    assert [run.status for run in RunStore(database).list_runs("w1")] == ["interrupted"]


def test_a_reused_process_id_is_not_taken_for_the_runs_owner(tmp_path):
    database = tmp_path / "h.db"
    me = Owner.this_process()
    RunStore(database, owner=replace(me, started="1")).start_run("w1", "cut", "offline", "", sample_inputs()[:1])
    assert RunStore(database).mark_interrupted() == 1  # this pid now, but a process started at another time


def test_a_lease_from_another_host_holds_until_it_expires(tmp_path):
    database = tmp_path / "h.db"
    elsewhere = replace(Owner.this_process(), host="another-host|boot|pid:[1]")
    RunStore(database, owner=elsewhere).start_run("w1", "live", "offline", "", sample_inputs()[:1])
    expired = RunStore(database, owner=replace(elsewhere, token="gone"), lease_seconds=0.0)
    expired.start_run("w1", "gone", "offline", "", sample_inputs()[:1])

    assert RunStore(database).mark_interrupted() == 1  # its pid lives here, but that says nothing of its host
    assert {run.id: run.status for run in RunStore(database).list_runs("w1")} == {"live": "running",
                                                                                  "gone": "interrupted"}
    # its server was alive after all (a quiet spell past the lease): its next write says so
    expired.append_events("gone", list(Agent().events(sample_inputs()[:1]))[:1])
    with closing(sqlite3.connect(database)) as db:  # read as it is, before any store judges the lease again
        assert db.execute("SELECT status FROM runs WHERE id = 'gone'").fetchone()[0] == "running"
