"""Bounded load, in process: concurrent runs (as concurrent Streamlit sessions would make them) share the
PDF sandbox, finish without errors, each with exactly its own files and rows; and memory stays bounded
over 100 successive extractions. The browser load test against `streamlit run` is tests/e2e/test_browser_load.py."""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from pathlib import Path

import pytest

from agent.documents.sandbox import default_sandbox
from agent.models import InputFile
from agent.run.extract import extract_bytes
from agent.run.loop import Agent
from tests.conftest import SAMPLES

SESSIONS = 10
RUNS_PER_SESSION = 3


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as handle:
        return next(int(line.split()[1]) / 1024 for line in handle if line.startswith("VmRSS:"))


def worker_processes() -> dict[int, float]:
    """RSS in MB, by pid, of every live child of this process that runs the PDF worker: the sandbox's
    own workers and any it lost track of."""
    children: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            children.update(int(pid) for pid in (task / "children").read_text().split())
    workers: dict[int, float] = {}
    for pid in children:
        with contextlib.suppress(OSError, StopIteration):  # exited meanwhile, or a zombie (no memory)
            if b"agent.documents.sandbox" in Path(f"/proc/{pid}/cmdline").read_bytes():
                workers[pid] = rss_mb(pid)
    return workers


@pytest.mark.slow
def test_concurrent_sessions_get_their_own_results():
    samples = sorted(SAMPLES.glob("sample_ptr_*.pdf"))
    expected = {path.name: extract_bytes(path.read_bytes(), path.name).rows for path in samples}
    timings: list[float] = []
    failures: list[str] = []

    def session(number: int) -> None:
        try:
            runs(number)
        except Exception as exc:  # noqa: BLE001 (reported below, not lost in the thread)
            failures.append(f"session {number}: {type(exc).__name__}: {exc}")

    def runs(number: int) -> None:
        for run in range(RUNS_PER_SESSION):
            # Each session uploads the samples under its own names, in its own order.
            files = [InputFile(f"s{number}-r{run}-{path.name}", path.read_bytes())
                     for path in samples[number % 3:] + samples[:number % 3]]
            started = time.monotonic()
            result = Agent().run(files)
            timings.append(time.monotonic() - started)
            names = [outcome.source_file for outcome in result.outcomes]
            if names != [item.name for item in files]:
                failures.append(f"session {number} run {run}: got outcomes for {names}")
            for outcome in result.outcomes:
                original = outcome.source_file.split("-", 2)[2]
                if outcome.status != "ok" or outcome.rows != expected[original]:
                    failures.append(f"{outcome.source_file}: {outcome.status} {outcome.rows} rows {outcome.reason}")
                if outcome.filing.source_file != outcome.source_file:
                    failures.append(f"{outcome.source_file}: rows of another file")

    threads = [threading.Thread(target=session, args=(number,)) for number in range(SESSIONS)]
    workers_before = default_sandbox().started
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    elapsed = time.monotonic() - started
    assert not [thread for thread in threads if thread.is_alive()], "a session still running after 120 s: hung"
    assert not failures, failures[:5]
    assert len(timings) == SESSIONS * RUNS_PER_SESSION
    assert default_sandbox().started - workers_before <= default_sandbox().size  # no worker died
    p95 = sorted(timings)[int(0.95 * (len(timings) - 1))]
    print(f"{len(timings)} runs in {elapsed:.1f} s; p50 {statistics.median(timings):.2f} s, p95 {p95:.2f} s")


@pytest.mark.slow
def test_memory_is_bounded_over_100_extractions():
    data = [path.read_bytes() for path in sorted(SAMPLES.glob("sample_ptr_*.pdf"))]
    sandbox = default_sandbox()
    for index in range(10):  # warm-up: imports, the worker, caches
        Agent().run([InputFile(f"{index}.pdf", data[index % 3])])
    before, started_before, children_before = rss_mb(), sandbox.started, worker_processes()
    pool_before = {worker.process.pid: rss_mb(worker.process.pid) for worker in sandbox._idle}
    for index in range(100):
        Agent().run([InputFile(f"{index}.pdf", data[index % 3])])
    assert rss_mb() - before < 30  # the app process keeps nothing of a finished run
    assert pool_before, "no idle PDF worker after the warm-up"
    # One file at a time, the pool's workers after the warm-up read all 100: none was started, so none
    # crashed or was recycled for its size (a leaking worker would be, past recycle_rss); all are back in
    # the pool, no worker process was left running outside it, and each grew by less than a leak of 200 KB
    # a file would make it.
    assert sandbox.started == started_before
    assert {worker.process.pid for worker in sandbox._idle} == pool_before.keys()
    assert not worker_processes().keys() - children_before.keys()
    growth = {pid: round(rss_mb(pid) - mb, 1) for pid, mb in pool_before.items()}
    assert all(mb < 20 for mb in growth.values()), growth
