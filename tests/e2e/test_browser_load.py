"""Bounded browser load against `streamlit run app.py`: 10 sessions at once in one Chromium (10 contexts,
Playwright's async API), each uploading a different real filing and clicking "Run extraction" together.

Asserted (correctness only): every session gets its results; its Transactions table and CSV hold exactly
its own filing's rows; nothing of another session shows anywhere; no Streamlit exception, no console or
page error, no server traceback. Printed (and written to load_figures.json in the test's tmp dir, never
asserted): wall time, throughput, p50/p95 from click to results, peak RSS of the server's process tree
(the PDF workers included), sampled from /proc every 0.2 s."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import csv
import io
import json
import os
import re
import statistics
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, filing_path
from tests.e2e.conftest import VIEWPORT, AppServer, launch_options, require_playwright

require_playwright()
from playwright.async_api import Error as PlaywrightError  # noqa: E402
from playwright.async_api import Page  # noqa: E402
from playwright.async_api import expect as aexpect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.shared]

# Ten filers, legacy and current forms, 1 to 56 rows (144 in all); each filing's first row (fourth for
# 20029079) has an asset name none of the other nine has.
LOAD_DOCIDS = ("20005757", "20012366", "20016961", "20025588", "20026489",
               "20026517", "20026597", "20026726", "20029079", "20033314")
GOLDEN = ROOT / "tests" / "golden"
LOAD_TIMEOUT = 150.0  # s: hard bound on the ten sessions, end to end; the browser is closed after it
RUN_TIMEOUT = 120_000  # ms: one extraction under the whole load
UI_TIMEOUT = 60_000  # ms: a page switch or a widget update under load
SAMPLE_EVERY = 0.2  # s: /proc sampling period for the server's memory
STATUS_LABEL = r"{name}: (ok|flagged|failed|needs ocr), (\d+) row\(s\), (\d+) flagged"
WORKSPACE_IN_URL = re.compile(r"[?&]w=([0-9a-f]{32})(&|$)")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Filing:
    """What one session uploads and must get back (from tests/golden/<docid>.json)."""

    docid: str
    path: Path
    status: str
    filer: str
    asset_names: tuple[str, ...]  # in row order
    distinctive: str  # an asset name of this filing only, among the first rows the grid renders

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def rows(self) -> int:
        return len(self.asset_names)


@dataclass
class Session:
    """One browser session's record, filled as it goes (so a session cut by the time bound says where)."""

    filing: Filing
    base_url: str
    stage: str = "not started"
    token: str = ""
    open_s: float | None = None  # goto until the Extract page is idle
    click_to_results_s: float | None = None  # click on "Run extraction" until its results are shown
    clicked_at: float | None = None
    results_at: float | None = None
    status_label: str = ""
    errors: list[str] = field(default_factory=list)  # console/page errors, Streamlit exceptions, crashes
    download_retries: int = 0  # downloads clicked again after Streamlit dropped the file (see click_download)
    problems: list[str] = field(default_factory=list)  # wrong or foreign data
    stage_started: float = 0.0

    def enter(self, stage: str) -> None:
        self.stage, self.stage_started = stage, time.perf_counter()


@dataclass
class TreeMemory:
    """Peaks of a process tree's resident memory."""

    peak_tree_mb: float = 0.0
    peak_server_mb: float = 0.0
    peak_processes: int = 0
    samples: int = 0


def load_filings() -> list[Filing]:
    golden = {docid: json.loads((GOLDEN / f"{docid}.json").read_text(encoding="utf-8")) for docid in LOAD_DOCIDS}
    filings = []
    for docid, spec in golden.items():
        names = tuple(row["asset_name"] for row in spec["rows"])
        others = {row["asset_name"] for other, s in golden.items() if other != docid for row in s["rows"]}
        distinctive = next(name for name in names[:8] if name not in others)
        filings.append(Filing(docid, filing_path(docid), spec["status"], spec["filing"]["filer_name"], names,
                              distinctive))
    return filings


# --- the server's memory, sampled from /proc ------------------------------------------------------


def process_table() -> dict[int, tuple[int, int]]:
    """{pid: (parent pid, resident bytes)} of every process we may read."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:  # ended between the listing and the read
            continue
        fields = stat[stat.rindex(b")") + 2:].split()  # after "pid (comm) ": state, ppid, ...
        table[int(entry.name)] = (int(fields[1]), int(fields[21]) * PAGE_SIZE)
    return table


def tree_rss(root: int) -> tuple[int, int, int]:
    """(resident bytes of root and all its descendants, of root alone, number of processes)."""
    table = process_table()
    if root not in table:
        return 0, 0, 0
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return sum(table[pid][1] for pid in tree), table[root][1], len(tree)


class MemorySampler(threading.Thread):
    """Peak resident memory of a process and its descendants, every SAMPLE_EVERY seconds."""

    def __init__(self, root: int):
        super().__init__(daemon=True, name="server-memory-sampler")
        self.root = root
        self.memory = TreeMemory()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            total, server, processes = tree_rss(self.root)
            memory = self.memory
            memory.peak_tree_mb = max(memory.peak_tree_mb, total / 2**20)
            memory.peak_server_mb = max(memory.peak_server_mb, server / 2**20)
            memory.peak_processes = max(memory.peak_processes, processes)
            memory.samples += 1
            self._stop_event.wait(SAMPLE_EVERY)

    def stop(self) -> TreeMemory:
        self._stop_event.set()
        self.join(5)
        return self.memory


# --- one session (async API) ----------------------------------------------------------------------


def csv_table(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


async def idle(page: Page) -> None:
    """This session's script has finished and its socket is connected."""
    app = page.get_by_test_id("stApp")
    await aexpect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=RUN_TIMEOUT)
    await aexpect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=RUN_TIMEOUT)


async def streamlit_exceptions(page: Page) -> list[str]:
    return [text[:300] for text in await page.get_by_test_id("stException").all_inner_texts()]


async def grid_columns(grid, names: list[str]) -> dict[str, list[str]]:
    """The rendered cells (Glide renders only the rows and columns on screen) of the named columns."""
    headers = grid.locator("thead th")
    index = {text.strip(): await headers.nth(i).get_attribute("aria-colindex")
             for i, text in enumerate(await headers.all_inner_texts())}
    return {name: await grid.locator(f"tbody td[aria-colindex='{index[name]}']").all_inner_texts()
            if name in index else [] for name in names}


class SessionPage:
    """One browser context and page, with what it reports: console and page errors, failed requests,
    HTTP errors, and the requests still unanswered when something times out."""

    def __init__(self, page: Page, session: Session):
        self.page = page
        self.session = session
        self.in_flight: dict = {}  # request -> URL
        self.closing = False  # what closing the context aborts is no error
        page.on("request", lambda request: self.in_flight.__setitem__(request, request.url))
        page.on("requestfinished", lambda request: self.in_flight.pop(request, None))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)
        page.on("console", self._console)
        page.on("pageerror", lambda error: session.errors.append(f"page error: {str(error)[:300]}"))

    def _request_failed(self, request) -> None:
        self.in_flight.pop(request, None)
        if not self.closing:
            self.session.errors.append(f"request failed: {request.method} {request.url[:200]}: {request.failure}")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.session.errors.append(f"HTTP {response.status}: {response.request.method} {response.url[:200]}")

    def _console(self, message) -> None:
        if message.type == "error":
            self.session.errors.append(f"console error: {message.text[:300]}")


async def open_and_upload(page: Page, session: Session) -> None:
    filing = session.filing
    session.enter("opening the app")
    started = time.perf_counter()
    await page.goto(session.base_url)
    await aexpect(page.get_by_role("heading", name="Extract transactions")).to_be_visible(timeout=UI_TIMEOUT)
    await aexpect(page).to_have_url(WORKSPACE_IN_URL, timeout=UI_TIMEOUT)
    await idle(page)
    session.open_s = time.perf_counter() - started
    session.token = WORKSPACE_IN_URL.search(page.url).group(1)

    session.enter("uploading")
    await page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(str(filing.path))
    await aexpect(page.get_by_role("button", name=f"Remove {filing.name}", exact=True)).to_be_visible()
    await aexpect(page.get_by_role("button", name="Run extraction")).to_be_enabled()
    await idle(page)


async def extract(page: Page, session: Session, others: list[Filing]) -> None:
    """Click "Run extraction" and wait for this file's results: its status box finished, the progress at
    1 of 1, the script idle."""
    filing = session.filing
    session.enter("extracting")
    session.clicked_at = time.perf_counter()
    await page.get_by_role("button", name="Run extraction").click()
    label = re.compile(STATUS_LABEL.format(name=re.escape(filing.name)))
    summary = page.get_by_test_id("stExpander").filter(has_text=f"{filing.name}:").locator("summary")
    await aexpect(summary).to_have_text(label, timeout=RUN_TIMEOUT)
    await aexpect(page.get_by_text("1 of 1 file(s) done")).to_be_visible(timeout=RUN_TIMEOUT)
    await idle(page)
    session.results_at = time.perf_counter()
    session.click_to_results_s = session.results_at - session.clicked_at

    session.status_label = label.search(await summary.inner_text()).group(0)
    expected_label = f"{filing.name}: {filing.status}, {filing.rows} row(s)"
    if not session.status_label.startswith(expected_label):
        session.problems.append(f"status {session.status_label!r}, expected {expected_label!r}, ...")
    session.errors += [f"Extract page: {text}" for text in await streamlit_exceptions(page)]
    extract_text = await page.get_by_test_id("stMain").inner_text()
    session.problems += [f"the Extract page names another session's file {other.name}"
                         for other in others if other.name in extract_text]


# What the browser reports when the file of a deferred download is gone by the time it fetches it.
DROPPED_DOWNLOAD = re.compile(r"/media/|Download Button source error - 404|status of 404 \(Not Found\)")


async def click_download(page: Page, session: Session, label: str) -> bytes:
    """The file a download button gives. Streamlit 1.67 keeps the file a deferred download generates referenced by
    no session, so when two other sessions' reruns finish before the browser fetches it
    (MediaFileManager.remove_orphaned_files marks it, then deletes it) the fetch gets a 404: a race only several
    sessions at once can lose. A second click generates the file again, as a user's would; that retry is counted
    and printed, and the dropped fetch's own lines are not counted as errors. A second failure is."""
    for attempt in (1, 2):
        seen = len(session.errors)
        try:
            async with page.expect_download(timeout=UI_TIMEOUT) as download_info:
                await page.get_by_test_id("stDownloadButton").filter(has_text=label).click()
            download = await download_info.value
            return Path(await download.path()).read_bytes()
        except PlaywrightError:  # the download was cancelled
            await page.wait_for_timeout(1000)  # the 404's response and console lines arrive after the failure
            dropped = session.errors[seen:]
            if attempt == 2 or not dropped or not all(DROPPED_DOWNLOAD.search(line) for line in dropped):
                raise
            del session.errors[seen:]
            session.download_retries += 1
    raise AssertionError("unreachable: the second attempt returns or raises")


async def check_transactions(page: Page, session: Session, others: list[Filing]) -> None:
    """The Transactions page: metric, grid and CSV download hold this filing's rows and nothing else."""
    filing = session.filing
    session.enter("checking Transactions")
    await page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink").filter(
        has_text="Transactions").click()
    await aexpect(page.get_by_role("heading", name="Transactions", exact=True)).to_be_visible()
    await idle(page)
    grid = page.get_by_test_id("stDataFrame").first.locator("table[role=grid]")
    await aexpect(grid).to_have_attribute("aria-rowcount", re.compile(r"^\d+$"))
    grid_rows = int(await grid.get_attribute("aria-rowcount")) - 1  # the header row counts too
    metric = await (page.get_by_test_id("stMetric").filter(has_text="Transactions")
                    .get_by_test_id("stMetricValue").inner_text())
    if grid_rows != filing.rows or metric.strip() != str(filing.rows):
        session.problems.append(f"Transactions shows {grid_rows} grid row(s) and metric {metric!r}, "
                                f"expected {filing.rows}")
    # The table leads with what an investor reads (file and filing ID are behind "Show all columns"; the CSV
    # below checks them): the filer and the assets.
    cells = await grid_columns(grid, ["Filer", "Asset"])
    if set(cells["Filer"]) != {filing.filer}:
        session.problems.append(f"the grid shows filers {sorted(set(cells['Filer']))}, expected only {filing.filer}")
    if filing.distinctive not in cells["Asset"]:
        session.problems.append(f"the grid does not show {filing.distinctive!r} (shows {cells['Asset'][:5]} ...)")
    foreign = sorted(set(cells["Asset"]) - set(filing.asset_names))
    if foreign:
        session.problems.append(f"the grid shows asset names not in {filing.docid}: {foreign[:5]}")

    rows = csv_table(await click_download(page, session, "Download CSV (filtered)"))
    got = ({row["source_file"] for row in rows}, {row["filing_id"] for row in rows},
           {row["filer_name"] for row in rows}, [row["asset_name"] for row in rows])
    want = ({filing.name}, {filing.docid}, {filing.filer}, list(filing.asset_names))
    if got != want:
        session.problems.append(f"CSV has {len(rows)} row(s) of files {got[0]}, filing IDs {got[1]}, "
                                f"filers {got[2]}; expected {filing.rows} row(s) of {filing.name} only")
    session.problems += [f"CSV holds {other.docid}'s {other.distinctive!r}"
                         for other in others if other.distinctive in got[3]]
    session.errors += [f"Transactions page: {text}" for text in await streamlit_exceptions(page)]


async def one_session(browser, session: Session, others: list[Filing], barrier: asyncio.Barrier,
                      artifacts: Path) -> None:
    context = await browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(UI_TIMEOUT)
    watched = SessionPage(await context.new_page(), session)
    page = watched.page
    try:
        try:
            await open_and_upload(page, session)
        except BaseException:
            await barrier.abort()  # the others must not wait for this one
            raise
        session.enter("waiting for the other sessions")
        await barrier.wait()  # the ten extractions start together
        await extract(page, session, others)
        await check_transactions(page, session, others)
        session.enter("done")
    except Exception as exc:  # noqa: BLE001 (recorded with the stage, reported by the test)
        elapsed = time.perf_counter() - session.stage_started
        detail = " | ".join(line.strip() for line in str(exc).splitlines()[:4])[:500]
        session.errors.append(f"{session.stage} (after {elapsed:.1f} s): {type(exc).__name__}: {detail}")
        if watched.in_flight:
            session.errors.append(f"{len(watched.in_flight)} request(s) unanswered, e.g. "
                                  f"{sorted(watched.in_flight.values())[:4]}")
        shot = artifacts / f"{session.filing.docid}-failed.png"
        with contextlib.suppress(Exception):  # a page that cannot be shot is already reported
            await page.screenshot(path=str(shot), timeout=10_000)
            session.errors.append(f"screenshot: {shot}")
    finally:
        watched.closing = True
        await context.close()


async def run_load(sessions: list[Session], artifacts: Path) -> None:
    """All sessions in one Chromium, one context each; whatever has not finished after LOAD_TIMEOUT is
    cancelled and reported with the stage it had reached."""
    from playwright.async_api import async_playwright

    aexpect.set_options(timeout=UI_TIMEOUT)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        try:
            barrier = asyncio.Barrier(len(sessions))
            filings = [session.filing for session in sessions]
            tasks = [asyncio.create_task(one_session(browser, session, [f for f in filings if f is not session.filing],
                                                     barrier, artifacts))
                     for session in sessions]
            _, pending = await asyncio.wait(tasks, timeout=LOAD_TIMEOUT)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for session, task in zip(sessions, tasks, strict=True):
                if task in pending:
                    session.errors.append(f"not finished within {LOAD_TIMEOUT:.0f} s (at: {session.stage})")
        finally:
            await browser.close()


# --- the figures ----------------------------------------------------------------------------------


def percentile(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1] if len(values) > 1 else values[0]


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass
class LoadFigures:
    """What the run measured (printed and written as JSON; never asserted)."""

    sessions: int
    rows: int  # expected transactions over all the filings, one filing per session
    sessions_with_results: int
    wall_time_s: float  # browser start to the last session closed
    extraction_window_s: float | None  # first click on "Run extraction" to the last results shown
    throughput_files_per_min: float | None  # files with results over the extraction window
    click_to_results_p50_s: float | None
    click_to_results_p95_s: float | None
    click_to_results_max_s: float | None
    open_app_p50_s: float | None
    peak_rss_server_tree_mb: float  # the server and its PDF workers, summed at each sample
    peak_rss_server_mb: float
    peak_processes: int
    memory_samples: int
    download_retries: int  # downloads that needed a second click (Streamlit's deferred-file race)
    errors: list[str]
    cross_session_problems: list[str]
    per_session: list[dict]

    @classmethod
    def of(cls, sessions: list[Session], wall_s: float, memory: TreeMemory, server_errors: list[str]) -> LoadFigures:
        timed = [s for s in sessions if s.click_to_results_s is not None]
        latencies = [s.click_to_results_s for s in timed]
        opens = [s.open_s for s in sessions if s.open_s is not None]
        window = max(s.results_at for s in timed) - min(s.clicked_at for s in timed) if timed else None
        return cls(
            sessions=len(sessions),
            rows=sum(s.filing.rows for s in sessions),
            sessions_with_results=len(timed),
            wall_time_s=round(wall_s, 2),
            extraction_window_s=rounded(window),
            throughput_files_per_min=round(len(timed) / window * 60, 1) if window else None,
            click_to_results_p50_s=rounded(percentile(latencies, 50)) if latencies else None,
            click_to_results_p95_s=rounded(percentile(latencies, 95)) if latencies else None,
            click_to_results_max_s=rounded(max(latencies)) if latencies else None,
            open_app_p50_s=rounded(statistics.median(opens)) if opens else None,
            peak_rss_server_tree_mb=round(memory.peak_tree_mb, 1),
            peak_rss_server_mb=round(memory.peak_server_mb, 1),
            peak_processes=memory.peak_processes,
            memory_samples=memory.samples,
            download_retries=sum(s.download_retries for s in sessions),
            errors=[f"{s.filing.docid}: {error}" for s in sessions for error in s.errors] + server_errors,
            cross_session_problems=[f"{s.filing.docid}: {problem}" for s in sessions for problem in s.problems],
            per_session=[{"docid": s.filing.docid, "rows": s.filing.rows, "stage": s.stage, "token": s.token,
                          "open_app_s": rounded(s.open_s), "click_to_results_s": rounded(s.click_to_results_s),
                          "status": s.status_label} for s in sessions],
        )

    def report(self, path: Path) -> str:
        lines = [(f"browser load: {self.sessions} sessions, one real filing each ({self.rows} rows in all); "
                  f"{self.sessions_with_results} got their results; {self.wall_time_s:.1f} s wall in all")]
        if self.download_retries:
            lines.append(f"  {self.download_retries} download(s) clicked twice: Streamlit dropped the generated file "
                         "before the browser fetched it (see click_download)")
        if self.extraction_window_s:
            lines.append(f"  throughput {self.throughput_files_per_min} files/min (extraction window "
                         f"{self.extraction_window_s:.2f} s, first click to last results)")
            lines.append(f"  click to results: p50 {self.click_to_results_p50_s:.2f} s, "
                         f"p95 {self.click_to_results_p95_s:.2f} s, max {self.click_to_results_max_s:.2f} s; "
                         f"opening the app: p50 {self.open_app_p50_s:.2f} s")
        lines.append(f"  peak RSS of the server's process tree {self.peak_rss_server_tree_mb:.0f} MB (server alone "
                     f"{self.peak_rss_server_mb:.0f} MB; up to {self.peak_processes} processes, the PDF workers "
                     f"included; {self.memory_samples} samples every {SAMPLE_EVERY} s)")
        lines.append(f"  errors: {len(self.errors)}; cross-session problems: {len(self.cross_session_problems)}")
        lines.append(f"  figures: {path}")
        return "\n".join(lines)


# --- the test -------------------------------------------------------------------------------------


def test_ten_concurrent_sessions_each_get_only_their_own_filing(chromium, app_server: AppServer, tmp_path):
    sessions = [Session(filing, app_server.url) for filing in load_filings()]
    stderr_before = app_server.stderr_path.stat().st_size
    sampler = MemorySampler(app_server.pid)
    sampler.start()
    started = time.perf_counter()
    # A session-scoped sync Playwright may own this thread's loop: the async one runs in its own thread.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        pool.submit(asyncio.run, run_load(sessions, tmp_path)).result(timeout=LOAD_TIMEOUT + 45)
    finally:
        wall_s = time.perf_counter() - started
        memory = sampler.stop()
        pool.shutdown(wait=False)
    with open(app_server.stderr_path, "rb") as handle:
        handle.seek(stderr_before)
        new_stderr = handle.read().decode("utf-8", "replace")
    server_errors = [f"server stderr: {new_stderr[-3000:]}"] if "Traceback" in new_stderr else []

    figures = LoadFigures.of(sessions, wall_s, memory, server_errors)
    path = tmp_path / "load_figures.json"
    path.write_text(json.dumps(asdict(figures), indent=1), encoding="utf-8")
    print("\n" + figures.report(path))

    assert not figures.errors, "errors under load:\n" + "\n".join(figures.errors)
    assert not figures.cross_session_problems, "sessions saw wrong or foreign data:\n" + "\n".join(
        figures.cross_session_problems)
    assert figures.sessions_with_results == len(sessions)
    assert len({s.token for s in sessions}) == len(sessions), f"shared workspaces: {[s.token for s in sessions]}"
