"""Bounded load, in process: concurrent runs (as concurrent Streamlit sessions would make them) share the
PDF sandbox, finish without errors, each with exactly its own files and rows; and memory stays bounded
over 100 successive extractions. The browser load test against `streamlit run` is tests/e2e/test_browser_load.py."""

from __future__ import annotations

import statistics
import threading
import time

import pytest

from agent.documents.sandbox import default_sandbox
from agent.models import InputFile
from agent.run.extract import extract_bytes
from agent.run.loop import Agent
from tests.conftest import SAMPLES

SESSIONS = 10
RUNS_PER_SESSION = 3


def rss_mb(pid="self") -> float:
    with open(f"/proc/{pid}/status") as handle:
        return next(int(line.split()[1]) / 1024 for line in handle if line.startswith("VmRSS:"))


@pytest.mark.slow
def test_concurrent_sessions_get_their_own_results():
    samples = sorted(SAMPLES.glob("*.pdf"))
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
    assert not failures, failures[:5]
    assert len(timings) == SESSIONS * RUNS_PER_SESSION
    assert elapsed < 90
    assert default_sandbox().started - workers_before <= default_sandbox().size  # no worker died
    p95 = sorted(timings)[int(0.95 * (len(timings) - 1))]
    print(f"{len(timings)} runs in {elapsed:.1f} s; p50 {statistics.median(timings):.2f} s, p95 {p95:.2f} s")


@pytest.mark.slow
def test_memory_is_bounded_over_100_extractions():
    data = [path.read_bytes() for path in sorted(SAMPLES.glob("*.pdf"))]
    for index in range(10):  # warm-up: imports, the worker, caches
        Agent().run([InputFile(f"{index}.pdf", data[index % 3])])
    before = rss_mb()
    for index in range(100):
        Agent().run([InputFile(f"{index}.pdf", data[index % 3])])
    assert rss_mb() - before < 30
    assert all(rss_mb(worker.process.pid) < default_sandbox().recycle_rss / (1 << 20) + 100
               for worker in list(default_sandbox()._idle))
