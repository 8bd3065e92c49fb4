"""Run history in a real SQLite file: runs, events, files, cache, profile, workspaces, failures."""

from __future__ import annotations

import os
import sqlite3

import pytest

from agent.errors import StoreError
from agent.models import InputFile
from agent.run.loop import Agent
from agent.run.result import RunResult
from agent.store.runs import RunStore
from tests.conftest import SAMPLES


def sample_inputs() -> list[InputFile]:
    return [InputFile(path.name, path.read_bytes()) for path in sorted(SAMPLES.glob("*.pdf"))]


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


def test_same_bytes_are_served_from_the_cache(tmp_path):
    store = RunStore(tmp_path / "h.db")
    stored_run(store, "w1", "run1", sample_inputs()[:1])
    second = stored_run(store, "w1", "run2", [InputFile("renamed.pdf", sample_inputs()[0].data)])
    tools = [e for e in second.events if e.type == "tool_call"]
    assert tools == []  # nothing extracted again
    assert "served from the cache" in next(e.text for e in second.events if e.type == "thought")
    assert second.outcomes[0].source_file == "renamed.pdf" and second.outcomes[0].rows == 3


def test_an_interrupted_run_counts_the_rows_of_the_files_it_finished(tmp_path):
    store = RunStore(tmp_path / "h.db")
    files = sample_inputs()[:2]
    events = list(Agent().events(files))
    first_done = next(i for i, event in enumerate(events) if event.type == "file_finished")
    store.start_run("w1", "cut", "offline", "", files)
    store.append_events("cut", events[:first_done + 1])  # the process died after the first file
    RunStore(tmp_path / "h.db").mark_interrupted()
    (record,) = store.list_runs("w1")
    first = RunResult.from_events(events).outcomes[0]
    assert record.status == "interrupted" and first.rows > 0
    assert (record.rows, record.flagged_rows) == (first.rows, first.flagged_rows)


def test_interrupted_runs_are_found_and_keep_their_files(tmp_path):
    store = RunStore(tmp_path / "h.db")
    files = sample_inputs()[:2]
    store.start_run("w1", "cut", "offline", "", files)
    store.append_events("cut", list(Agent().events(files))[:5])  # the process died here
    assert RunStore(tmp_path / "h.db").mark_interrupted() == 1
    (record,) = store.list_runs("w1")
    assert record.status == "interrupted"
    partial = store.load_result("w1", "cut")
    assert partial.outcome == "interrupted" and len(partial.events) == 5
    assert [f.name for f in store.load_files("w1", "cut")] == [f.name for f in files]


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
