"""Faults from outside the files, each tried for real.

- A full disk and a read-only data folder under the app: a real 1 MiB tmpfs filled to the last byte and a real
  read-only bind mount (root only: mount(8) needs CAP_SYS_ADMIN), the real SQLite history, every page through
  AppTest. The user gets a clear message, keeps every result of the run, and earlier history stays whole.
- An LLM endpoint that answers valid JSON of the wrong shape, output cut short, or too late, through whole runs
  of the real agent (the LLM through tests/fake_openai.py and the real `openai` client).

Killing the server mid-run and restarting it is in tests/e2e/test_restart.py (a real `streamlit run`).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from agent.errors import StoreError
from agent.models import InputFile
from agent.run.extract import extract_bytes
from agent.run.loop import Agent, brain_for
from agent.run.result import RunResult
from agent.store.runs import RunStore
from tests.conftest import ROOT, SAMPLES, filing_path, llm_config_for
from tests.fake_openai import delay, error, json_content, text, tool_calls, truncated
from tests.pdf_builders import BROKER_STATEMENT, text_pdf
from tests.test_app import labels, texts
from tests.test_llm_brain import INVENTED, MSFT, PLAN, llm_row
from tests.test_store import store_of_a_process_that_ended

WORKSPACE = "f" * 32
HISTORY = "history.sqlite3"
REAL_FILINGS = ("20016961", "20033314")  # never in the outcome cache before the fault: really extracted


# --- a full disk and a read-only folder under the app ---------------------------------------------------------


def _mount(*arguments: str) -> None:
    """mount(8), or skip (fail under CI) with the reason when this machine does not allow it."""
    if shutil.which("mount") is None:
        reason = "mount(8) is not installed"
    else:
        done = subprocess.run(["mount", *arguments], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return
        reason = f"mount {' '.join(arguments)} failed ({done.stderr.strip()}): needs root with CAP_SYS_ADMIN"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI runs as root and must be able to mount")
    pytest.skip(reason)


@contextmanager
def full_disk(folder: Path, size: str = "1m") -> Iterator[Path]:
    """`folder` becomes a tmpfs of `size`; filling it is up to the caller (see `fill`). Unmounted however the
    test ends."""
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


@contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """`folder` (with what it holds) mounted read-only over itself: writes fail with EROFS, even for root."""
    _mount("--bind", str(folder), str(folder))
    try:
        _mount("-o", "remount,bind,ro", str(folder))
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """Write zeros into `folder` until its filesystem refuses one more byte."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(descriptor, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == 28, f"expected ENOSPC while filling {folder}, got {exc}"
    finally:
        os.close(descriptor)
    return filler


@dataclass(frozen=True)
class HistorySnapshot:
    """Everything history holds, read straight from SQLite (read-only, so a read-only mount is no obstacle)."""

    integrity: str
    runs: list[tuple]
    files: list[tuple]
    events: list[tuple]

    @classmethod
    def of(cls, database: Path) -> HistorySnapshot:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            return cls(db.execute("PRAGMA integrity_check").fetchone()[0],
                       db.execute("SELECT id, workspace, status, rows, flagged_rows, summary FROM runs "
                                  "ORDER BY created_at").fetchall(),
                       db.execute("SELECT run_id, position, name, sha256, size FROM run_files "
                                  "ORDER BY run_id, position").fetchall(),
                       db.execute("SELECT run_id, seq, event FROM run_events ORDER BY run_id, seq").fetchall())


def app_on(data: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("TRADETRACE_DATA_DIR", str(data))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["w"] = WORKSPACE
    return app


def run_samples(app: AppTest) -> None:
    """A first, completed run, saved in history before the fault."""
    app.run()
    next(button for button in app.button if button.label == "Try the sample filings").click().run()
    assert not app.exception
    assert len(labels(app)) == 4 and not app.warning  # three House PTRs and a Senate report


def real_filings() -> list[InputFile]:
    return [InputFile(f"{docid}.pdf", filing_path(docid).read_bytes()) for docid in REAL_FILINGS]


def run_and_show_everything(app: AppTest, files: list[InputFile], refusal: str) -> None:
    """Run `files` while history refuses writes: a clear message, and every result still shown to the user."""
    expected = [extract_bytes(item.data, item.name) for item in files]
    app.session_state["rerun_files"] = files
    app.run()
    assert not app.exception
    shown = texts(app)
    assert labels(app) == [f"{o.source_file}: {o.status}, {o.rows} row(s), {o.flagged_rows} flagged" for o in expected]
    (warning,) = [element.value for element in app.warning]
    assert warning.startswith(f"history not saved: {refusal}")
    assert "The results below are complete; download them before closing the page." in warning
    assert "Traceback" not in shown and "FOREIGN KEY" not in shown  # the cause is named, not its consequence
    result: RunResult = app.session_state["result"]
    assert [o.filing.to_dict() for o in result.outcomes] == [o.filing.to_dict() for o in expected]

    app.switch_page("pages/transactions_page.py").run()  # nothing the user produced is lost
    assert not app.exception
    assert app.metric[0].value == str(sum(o.rows for o in expected))
    assert len(app.dataframe[0].value) == sum(o.rows for o in expected)


def shows_earlier_history(app: AppTest, earlier: HistorySnapshot) -> None:
    app.switch_page("pages/history_page.py").run()
    assert not app.exception
    runs = app.dataframe[0].value
    assert list(runs["status"]) == ["completed"] * len(earlier.runs)
    assert "No summary" not in texts(app)


@pytest.mark.shared
def test_full_disk_gives_a_clear_message_keeps_the_results_and_history(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    with full_disk(data, size="4m"):  # room for the first run's WAL (checkpointed into the database at 4 MiB)
        app = app_on(data, monkeypatch)
        run_samples(app)
        earlier = HistorySnapshot.of(data / HISTORY)
        filler = fill(data)

        run_and_show_everything(app, real_filings(), f"the disk holding {data} is full")
        shows_earlier_history(app, earlier)  # reading still works on a full disk

        filler.unlink()
        after = HistorySnapshot.of(data / HISTORY)
    assert after.integrity == "ok"
    assert after == earlier  # the refused run left no half-written trace, and nothing earlier changed
    (run,) = after.runs
    assert run[2:4] == ("completed", 37)


@pytest.mark.shared
def test_read_only_data_folder_gives_a_clear_message_keeps_the_results_and_history(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    app = app_on(data, monkeypatch)
    run_samples(app)
    earlier = HistorySnapshot.of(data / HISTORY)
    with read_only(data):
        # the folder turns read-only under the running app (as a disk remounted read-only after errors does)
        run_and_show_everything(app, real_filings(), f"the data folder {data} is read-only")
        shows_earlier_history(app, earlier)

        # the app restarted on the read-only folder: its history opens for reading, deleting says why it cannot
        st.cache_resource.clear()  # what a new process starts with
        restarted = app_on(data, monkeypatch)
        restarted.run()
        shows_earlier_history(restarted, earlier)
        next(button for button in restarted.button if button.label == "Delete").click().run()
        assert not restarted.exception
        (message,) = [element.value for element in restarted.error]
        assert message.startswith(f"The run was not deleted (history not saved: the data folder {data} is read-only")
        after = HistorySnapshot.of(data / HISTORY)
    assert after.integrity == "ok"
    assert after == earlier


def test_history_that_cannot_be_written_still_opens_for_reading(tmp_path):
    store = store_of_a_process_that_ended(tmp_path / HISTORY)
    store.start_run(WORKSPACE, "cut-short", "offline", "", [InputFile("a.pdf", b"%PDF-1.7")])
    store.close()  # as the process's end did: the WAL folded into the database, its index gone
    assert not (tmp_path / f"{HISTORY}-shm").exists()
    with read_only(tmp_path):
        reopened = RunStore(tmp_path / HISTORY)  # a restart
        assert [run.status for run in reopened.list_runs(WORKSPACE)] == ["running"]  # cannot be marked: kept as is
        with pytest.raises(StoreError, match=f"history not saved: the data folder {tmp_path} is read-only"):
            reopened.mark_interrupted()
        assert reopened.cached_outcome("0" * 64) is None
        reopened.cache_outcome("0" * 64, extract_bytes(b"", "empty.pdf"))  # the cache is best effort: no error
    assert HistorySnapshot.of(tmp_path / HISTORY).runs == [("cut-short", WORKSPACE, "running", 0, 0, "")]
    assert reopened.mark_interrupted() == 1  # the folder takes writes again: so does the store


def test_history_on_a_full_disk_still_opens_for_reading_after_a_restart(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with full_disk(data):
        store = RunStore(data / HISTORY)
        store.start_run(WORKSPACE, "done", "offline", "", [InputFile("a.pdf", b"%PDF-1.7")])
        store.close()
        filler = fill(data)
        reopened = RunStore(data / HISTORY)  # a restart: no room left for the WAL's index
        assert [run.id for run in reopened.list_runs(WORKSPACE)] == ["done"]
        with pytest.raises(StoreError, match=f"history not saved: the disk holding {data} is full"):
            reopened.start_run(WORKSPACE, "refused", "offline", "", [InputFile("b.pdf", b"%PDF-1.7")])
        filler.unlink()
        reopened.start_run(WORKSPACE, "later", "offline", "", [InputFile("b.pdf", b"%PDF-1.7")])  # room again
        assert [run.id for run in RunStore(data / HISTORY).list_runs(WORKSPACE)] == ["later", "done"]


# --- an LLM endpoint answering the wrong shape, cut short or too late ---------------------------------------


STATEMENT = "statement.pdf"
OTHER_STATEMENT = "statement-2.pdf"


def statement(name: str = STATEMENT, pages: int = 1) -> InputFile:
    """A broker statement: a text layer in a layout the House PTR parser does not know (2 trades a page)."""
    return InputFile(name, text_pdf([BROKER_STATEMENT] * pages))


def call(tool: str, **arguments) -> tuple[str, dict]:
    return tool, arguments


def run_with(server, files: list[InputFile], **config) -> RunResult:
    return Agent(brain_for(llm_config_for(server, **config))).run(files)


def of_file(result: RunResult, name: str, kind: str) -> list:
    return [event for event in result.events if event.file == name and event.type == kind]


def observed(result: RunResult, name: str) -> str:
    return "\n".join(f"{event.tool}: {event.summary}" for event in of_file(result, name, "observation"))


def takeovers(result: RunResult) -> list:
    return [event for event in result.events if event.type == "error" and "offline brain takes over" in event.message]


def test_wrong_schema_replies_through_a_whole_run(fake_llm):
    """Every reply is valid JSON (or a valid tool call) of the wrong shape: the plan is a tool call, tools are
    called with wrong argument names and types, extraction answers in the wrong envelope, with wrong field names,
    non-text values, missing keys and an invented row. Then the endpoint dies on the last file."""
    sample = SAMPLES / "sample_ptr_2024_a.pdf"
    files = [InputFile(sample.name, sample.read_bytes()), statement(pages=2), statement(OTHER_STATEMENT)]
    fake_llm.queue(
        # the plan step gets a call to an existing tool, with wrong argument types, instead of a plan
        tool_calls([call("read_page_text", file=7, page="one")]),
        # statement.pdf: wrong argument types and names for existing tools
        tool_calls([call("extract_with_llm", file=STATEMENT, page="1")]),
        tool_calls([call("read_page_text", filename=STATEMENT, page_number=1)]),
        tool_calls([call("extract_with_llm", file=STATEMENT, page=1)]),
        json_content({"trades": [llm_row(), MSFT]}),  # the extraction's envelope is wrong
        tool_calls([call("extract_with_llm", file=STATEMENT, page=2)]),
        json_content({"rows": [{"Asset": "Apple Inc.", "Ticker": "AAPL", "Date": "01/05/2024"},  # wrong names
                               llm_row(amount=15000),  # a number where text belongs
                               {k: v for k, v in MSFT.items() if k != "transaction_date"},  # a key missing
                               INVENTED,  # the right shape, not on the page
                               llm_row()]}),  # the one good row
        tool_calls([call("validate_rows", file=[STATEMENT])]),
        tool_calls([call("validate_rows", file=STATEMENT)]),
        tool_calls([call("finish", summary=3)]),
        # statement-2.pdf: the endpoint fails past its retries
        *[error(500, "boom")] * 3,
    )
    result = run_with(fake_llm, files)

    assert result.outcome == "completed"
    ptr, read, unread = result.outcomes
    assert ptr.filing.to_dict() == extract_bytes(files[0].data, files[0].name).filing.to_dict()
    rows = read.filing.transactions
    assert [(r.ticker, r.transaction_date, r.page, r.extracted_by) for r in rows] == [
        ("AAPL", "2024-01-05", 2, "llm")]  # the one row that fits the schema and stands on its page
    assert rows[0].boxes and rows[0].source_lines
    assert read.status == "flagged" and "1 rows read but the pages print 4 date pairs" in read.reason
    assert unread.status == "flagged" and unread.rows == 0
    assert "NVDA" not in {row.ticker for row in read.filing.transactions + unread.filing.transactions}

    trace = observed(result, STATEMENT)
    for said in ("extract_with_llm failed: extract_with_llm: page: Input should be a valid integer (got '1')",
                 ("read_page_text failed: read_page_text: file: Field required; page: Field required; filename: "
                  "Extra inputs are not permitted (got 'statement.pdf'); page_number: Extra inputs are not "
                  "permitted (got 1)"),
                 'LLM proposed 0 row(s) on page 1: 0 accepted, 1 rejected (the reply is not {"rows": [...]})',
                 "LLM proposed 5 row(s) on page 2: 1 accepted, 4 rejected",
                 "row 1: schema: missing fields", "row 2: schema: fields ['amount'] are not text",
                 "row 3: schema: missing fields ['transaction_date']",
                 "validate_rows failed: validate_rows: file: Input should be a valid string (got ['statement.pdf'])"):
        assert said in trace, f"{said!r} not in the trace:\n{trace}"
    # the summary shows three rejections; the model got them all back
    assert "row 4: not on page 2" in fake_llm.requests[7].body["messages"][-1]["content"]

    # the offline brain took over where it did: the plan (the model gave none) and the file after the failure
    plan = next(event for event in result.events if event.type == "plan")
    assert plan.text.startswith("Read 3 file(s) one by one: inspect each file")
    (takeover,) = takeovers(result)
    assert takeover.file == OTHER_STATEMENT and "after 3 attempts: 500 boom" in takeover.message
    assert any("The offline brain has no reader for it" in event.text
               for event in of_file(result, OTHER_STATEMENT, "thought"))


def test_a_plan_reply_without_a_plan_says_the_offline_plan_is_used(fake_llm):
    fake_llm.queue(tool_calls([call("read_page_text", file=7, page="one")]))
    sample = SAMPLES / "sample_ptr_2024_a.pdf"
    result = run_with(fake_llm, [InputFile(sample.name, sample.read_bytes())])
    before_files = result.events[:next(i for i, e in enumerate(result.events) if e.type == "file_started")]
    assert any("offline" in (getattr(event, "message", "") or "").lower() for event in before_files), (
        "nothing before the first file says the model's plan reply was unusable")


def test_a_model_that_skips_validation_cannot_call_a_partial_read_clean(fake_llm):
    fake_llm.queue(text(PLAN), tool_calls([call("extract_with_llm", file=STATEMENT, page=1)]),
                   json_content({"rows": [llm_row()]}), tool_calls([call("finish", summary="done")]))
    result = run_with(fake_llm, [statement()])
    (outcome,) = result.outcomes
    assert outcome.rows == 1  # of the 2 trades the page prints
    assert outcome.status == "flagged", f"{outcome.status}: {outcome.reason or 'read cleanly'}"
    assert "1 rows read but the pages print 2 date pairs" in outcome.reason
    calls = [event.tool for event in result.events if event.type == "tool_call"]
    assert calls[-1] == "validate_rows"  # the loop validated what the model skipped


@dataclass(frozen=True)
class EndpointFault:
    replies: list
    said: str  # in the trace
    offline_takes_over: bool
    rows: int  # rows accepted from the statement


EXTRACT_PAGE_1 = tool_calls([call("extract_with_llm", file=STATEMENT, page=1)])
FINISH = tool_calls([call("finish", summary="done")])
SLOW = 1.0  # seconds before the fake answers: past the client's timeout below
TIMEOUT = 0.3


@pytest.mark.parametrize("fault", [
    EndpointFault([truncated("Plan: inspect every", cut_body=True), text(PLAN), EXTRACT_PAGE_1,
                   json_content({"rows": [llm_row()]}), FINISH],
                  "LLM call failed (the response stream ended before the model finished); retry 1", False, 1),
    EndpointFault([text(PLAN), *[truncated("", cut_body=True)] * 3],
                  "LLM endpoint failed after 3 attempts: the response stream ended before the model finished",
                  True, 0),
    EndpointFault([text(PLAN), EXTRACT_PAGE_1, truncated('{"rows": [{"owner": "", "asset_name": "Apple'), FINISH],
                  "LLM proposed 0 row(s) on page 1: 0 accepted, 1 rejected (the reply is not valid JSON)", False, 0),
    EndpointFault([text(PLAN), *[delay(SLOW, text("late"))] * 3],
                  "LLM endpoint failed after 3 attempts: Request timed out", True, 0),
    EndpointFault([text(PLAN), EXTRACT_PAGE_1, *[delay(SLOW, json_content({"rows": [llm_row()]}))] * 3, FINISH],
                  "extract_with_llm failed: LLM endpoint failed after 3 attempts: Request timed out", False, 0),
], ids=["plan-stream-cut-then-retried", "step-stream-cut-every-time", "extraction-output-truncated",
        "step-slow-past-timeout", "extraction-slow-past-timeout"])
def test_cut_short_or_slow_endpoint_on_an_unknown_layout(fake_llm, fault):
    fake_llm.queue(*fault.replies)
    result = run_with(fake_llm, [statement()], timeout=TIMEOUT)
    assert result.outcome == "completed"
    (outcome,) = result.outcomes
    assert outcome.rows == fault.rows
    assert all(row.ticker == "AAPL" for row in outcome.filing.transactions)
    trace = "\n".join(filter(None, (getattr(event, name, "") for event in result.events
                                    for name in ("message", "summary", "text"))))
    assert fault.said in trace
    assert bool(takeovers(result)) == fault.offline_takes_over


def test_calls_that_raise_are_counted_with_their_tokens_estimated(fake_llm):
    fake_llm.queue(text(PLAN), EXTRACT_PAGE_1, *[delay(SLOW, json_content({"rows": [llm_row()]}))] * 3, FINISH)
    result = run_with(fake_llm, [statement()], timeout=TIMEOUT)
    finished = result.finished
    assert finished.llm_calls == 4  # the plan, two steps, and the extraction that timed out three times
    assert finished.tokens_estimated and finished.total_tokens > 3 * 15  # its prompt, estimated, with the 3 replies
    assert "tokens (estimated)" in finished.headline
    (outcome,) = result.outcomes
    assert outcome.status == "flagged" and outcome.reason.startswith(
        "the LLM found no rows (its 1 extraction call(s) failed; the trace says why): a person needs to read this file")
