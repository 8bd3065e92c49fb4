"""End to end, in a real browser: Debian's Chromium driven by Playwright against `streamlit run app.py`.

Every wait is on an element or a text (generous timeouts), never a fixed sleep. Test 1 also writes the
screenshots in docs/screenshots/ and prints two timings."""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import SAMPLES, filing_path, senate_file
from tests.e2e.conftest import ROOT, VIEWPORT, launch_options, require_playwright

require_playwright()
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = ROOT / "docs" / "screenshots"
# Generous: the frontend renders some elements (metrics, tables) after the script has finished, and on a
# busy 2-CPU machine three sessions at once take seconds per page.
RUN_TIMEOUT = 180_000  # ms: a whole extraction, live trace included
UI_TIMEOUT = 60_000  # ms: a page switch or a widget update
CONCURRENT_TIMEOUT = 240.0  # s: the three concurrent sessions, end to end
EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
SENATE_REPORT = "efd/17cb92a5-f23f-4320-a96d-892ee76c92d9.html"  # Ron L Wyden's, 7 rows, as saved from eFD
STATUS_LABEL = r"{name}: (ok|flagged|failed|needs ocr), (\d+) row\(s\), (\d+) flagged"
WORKSPACE_IN_URL = re.compile(r"[?&]w=[0-9a-f]{32}(&|$)")
expect.set_options(timeout=UI_TIMEOUT)


# --- helpers (sync API) ---------------------------------------------------------------------------


def wait_idle(page: Page, timeout: float = RUN_TIMEOUT) -> None:
    """Wait until the Streamlit script of this session is not running and the socket is connected."""
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)


def workspace_of(url: str) -> str:
    return parse_qs(urlparse(url).query).get("w", [""])[0]


def open_app(page: Page, base_url: str) -> str:
    """Open the app's Extract page; returns this browser's workspace token (from ?w=...)."""
    page.goto(base_url)
    expect(page.get_by_role("heading", name="Extract transactions")).to_be_visible(timeout=UI_TIMEOUT)
    expect(page).to_have_url(WORKSPACE_IN_URL, timeout=UI_TIMEOUT)
    wait_idle(page)
    return workspace_of(page.url)


def upload(page: Page, paths: list[Path]) -> None:
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files([str(p) for p in paths])
    for path in paths:
        expect(page.get_by_role("button", name=f"Remove {path.name}", exact=True)).to_be_visible(timeout=UI_TIMEOUT)
    expect(page.get_by_role("button", name="Run extraction")).to_be_enabled(timeout=UI_TIMEOUT)


def status_box(page: Page, name: str):
    return page.get_by_test_id("stExpander").filter(has_text=f"{name}:")


def wait_for_statuses(page: Page, names: list[str]) -> dict[str, tuple[str, int]]:
    """Wait until every file's st.status box is finished; returns {name: (status, rows)} from the labels."""
    found = {}
    for name in names:
        pattern = re.compile(STATUS_LABEL.format(name=re.escape(name)))
        summary = status_box(page, name).locator("summary")
        expect(summary).to_have_text(pattern, timeout=RUN_TIMEOUT)
        match = pattern.search(summary.inner_text())
        found[name] = (match.group(1), int(match.group(2)))
    expect(page.get_by_text(f"{len(names)} of {len(names)} file(s) done")).to_be_visible(timeout=RUN_TIMEOUT)
    wait_idle(page)
    return found


def go_to(page: Page, title: str, heading: str | None = None) -> None:
    """Open a page through the sidebar navigation, like a user."""
    page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
    expect(page.get_by_role("heading", name=heading or title, exact=True)).to_be_visible(timeout=UI_TIMEOUT)
    wait_idle(page)


def metric_value(page: Page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def grid_row_count(page: Page):
    """Number of data rows of the first st.dataframe (Glide's accessible table counts the header too)."""
    table = page.get_by_test_id("stDataFrame").first.locator("table[role=grid]")
    expect(table).to_have_attribute("aria-rowcount", re.compile(r"^\d+$"), timeout=UI_TIMEOUT)
    return int(table.get_attribute("aria-rowcount")) - 1


def no_traceback(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("Traceback")


def full_page_screenshot(page: Page, name: str) -> Path:
    """Whole page at 1400 px wide: Streamlit scrolls inside <main> and the sidebar, so the viewport grows to
    their content height for the shot (Playwright's full_page alone would stop at 900 px), then goes back
    to 1400x900."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    wait_idle(page)
    height = VIEWPORT["height"]
    for _ in range(6):
        needed = page.evaluate("""() => Math.ceil(Math.max(document.body.scrollHeight,
            ...['stMain', 'stSidebarContent'].map(id => document.querySelector(`[data-testid="${id}"]`))
                                             .filter(Boolean).map(element => element.scrollHeight)))""")
        if needed <= height:
            break
        height = min(needed, 12_000)
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    page.set_viewport_size(VIEWPORT)
    return path


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def describe_difference(app: bytes, cli: bytes) -> str:
    """Exactly how the app's CSV differs from the CLI's: sizes, encoding details, first differing byte,
    and the first differing rows and cells."""
    lines = [f"app CSV {len(app)} bytes (sha256 {hashlib.sha256(app).hexdigest()[:16]}), "
             f"CLI CSV {len(cli)} bytes (sha256 {hashlib.sha256(cli).hexdigest()[:16]})"]
    bom, crlf, lf = b"\xef\xbb\xbf", b"\r\n", b"\n"
    for label, data in (("app", app), ("CLI", cli)):
        lines.append(f"{label}: BOM={data.startswith(bom)}, CRLF={data.count(crlf)}, "
                     f"bare LF={data.count(lf) - data.count(crlf)}, ends with newline={data.endswith(lf)}")
    offset = next((i for i, (a, b) in enumerate(zip(app, cli)) if a != b), min(len(app), len(cli)))
    lines.append(f"first difference at byte {offset}: app {app[max(0, offset - 40):offset + 60]!r}")
    lines.append(f"{' ' * (len(str(offset)) + 29)}CLI {cli[max(0, offset - 40):offset + 60]!r}")
    try:
        app_rows, cli_rows = csv_rows(app), csv_rows(cli)
    except UnicodeDecodeError as exc:
        return "\n".join(lines + [f"not UTF-8: {exc}"])
    lines.append(f"rows incl. header: app {len(app_rows)}, CLI {len(cli_rows)}")
    header = cli_rows[0] if cli_rows else []
    if app_rows[:1] != cli_rows[:1]:
        lines.append(f"header differs:\n  app {app_rows[:1]}\n  CLI {cli_rows[:1]}")
    shown = 0
    for number, (a_row, c_row) in enumerate(zip(app_rows[1:], cli_rows[1:]), start=1):
        if a_row == c_row:
            continue
        cells = [f"{header[i] if i < len(header) else i}: app {a!r} != CLI {c!r}"
                 for i, (a, c) in enumerate(zip(a_row, c_row)) if a != c]
        if len(a_row) != len(c_row):
            cells.append(f"cell count app {len(a_row)} != CLI {len(c_row)}")
        lines.append(f"data row {number}: " + "; ".join(cells))
        shown += 1
        if shown == 8:
            lines.append("(more rows differ)")
            break
    return "\n".join(lines)


# --- 1. real House PTRs and a Senate report: live trace, timings, the CSV downloads vs the CLI, screenshots ----------


def download(page: Page, label: str, folder: Path) -> tuple[bytes, str]:
    """Click the download button with exactly this label; the file's bytes and suggested name."""
    with page.expect_download(timeout=UI_TIMEOUT) as download_info:
        page.get_by_test_id("stDownloadButton").get_by_role("button", name=label, exact=True).click()
    saved = folder / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    return saved.read_bytes(), download_info.value.suggested_filename


@pytest.mark.shared
def test_real_filings_match_the_cli(page: Page, app_url, tmp_path):
    files = [filing_path("20016961"), filing_path("20033314"), senate_file(SENATE_REPORT)]
    names = [path.name for path in files]

    cli_out = tmp_path / "cli"
    cli = subprocess.run([sys.executable, "-m", "agent", "run", *map(str, files), "--out", str(cli_out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=180,
                         env={key: value for key, value in os.environ.items() if not key.startswith("OPENAI_")})
    assert cli.returncode == 0, f"CLI failed ({cli.returncode}):\n{cli.stdout}\n{cli.stderr}"
    cli_bytes = (cli_out / "transactions.csv").read_bytes()
    cli_row_count = len(csv_rows(cli_bytes)) - 1
    assert cli_row_count > 0

    open_app(page, app_url)
    started = time.perf_counter()
    upload(page, files)
    page.get_by_role("button", name="Run extraction").click()
    page.get_by_text(re.compile(r"Run started: 3 file\(s\)")).first.wait_for(state="visible", timeout=RUN_TIMEOUT)
    first_step = time.perf_counter() - started
    page.get_by_test_id("stAlertContentSuccess").first.wait_for(state="visible", timeout=RUN_TIMEOUT)
    page.get_by_test_id("stDataFrame").first.wait_for(state="visible", timeout=RUN_TIMEOUT)
    statuses = wait_for_statuses(page, names)
    shown = time.perf_counter() - started
    print(f"\nupload to first trace step visible: {first_step:.2f} s")
    print(f"three filings extracted and shown: {shown:.2f} s")

    assert {name: status for name, (status, _) in statuses.items()} == {name: "ok" for name in names}
    assert sum(rows for _, rows in statuses.values()) == cli_row_count, f"status labels {statuses} vs CLI rows"
    no_traceback(page)
    extract_csv, extract_name = download(page, "Download CSV", tmp_path)
    assert extract_name.endswith(".csv")
    full_page_screenshot(page, "extract")

    go_to(page, "Transactions")
    expect(metric_value(page, "Transactions")).to_have_text(str(cli_row_count), timeout=UI_TIMEOUT)
    expect(metric_value(page, "Filings")).to_have_text("3")
    assert grid_row_count(page) == cli_row_count
    filtered_csv, filtered_name = download(page, "Download CSV (filtered)", tmp_path)  # no filter set: every row
    no_traceback(page)
    full_page_screenshot(page, "transactions")

    go_to(page, "Charts")
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts.first).to_be_visible(timeout=UI_TIMEOUT)
    for index in range(charts.count()):
        expect(charts.nth(index).locator(".main-svg").first).to_be_attached(timeout=UI_TIMEOUT)
    no_traceback(page)
    full_page_screenshot(page, "charts")

    go_to(page, "Risk profile")
    expect(page.get_by_text("not investment advice").first).to_be_visible(timeout=UI_TIMEOUT)  # the page's end
    no_traceback(page)
    full_page_screenshot(page, "risk_profile")

    go_to(page, "History")
    runs_table = page.get_by_test_id("stDataFrame").locator("table[role=grid]")
    expect(runs_table.or_(page.get_by_text("No runs yet")).first).to_be_attached()
    no_traceback(page)
    full_page_screenshot(page, "history")

    assert extract_csv == cli_bytes, ("the Extract page's 'Download CSV' differs from `python -m agent run`'s "
                                      f"transactions.csv ({tmp_path / extract_name} vs {cli_out}):\n"
                                      + describe_difference(extract_csv, cli_bytes))
    assert filtered_csv == cli_bytes, ("the Transactions page's 'Download CSV (filtered)' with no filter set differs "
                                       f"from the CLI's ({tmp_path / filtered_name} vs {cli_out}):\n"
                                       + describe_difference(filtered_csv, cli_bytes))


# --- 2. the sample filings, no key ----------------------------------------------------------------


def test_sample_filings_without_a_key(page: Page, app_url):
    open_app(page, app_url)
    page.get_by_role("button", name="Try the sample filings").click()
    expect(page.get_by_text("No LLM endpoint configured").first).to_be_visible(timeout=RUN_TIMEOUT)
    senate = json.loads((SAMPLES / "expected_senate.json").read_text(encoding="utf-8"))
    wanted = {name: ("ok", len(spec["rows"])) for name, spec in EXPECTED.items()}
    wanted["sample_efd_2024.html"] = ("ok", senate["summary"]["total"])  # the Senate report, as saved from eFD
    assert wait_for_statuses(page, sorted(wanted)) == wanted
    no_traceback(page)


# --- 3. three sessions at once, each in its own workspace ---------------------------------------


async def _one_session(browser, base_url: str, pdf: Path, barrier: asyncio.Barrier) -> dict:
    from playwright.async_api import expect as aexpect

    spec = EXPECTED[pdf.name]
    rows, filing_id = len(spec["rows"]), spec["filing_id"]
    others = [name for name in EXPECTED if name != pdf.name]
    context = await browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(UI_TIMEOUT)
    page = await context.new_page()
    app = page.get_by_test_id("stApp")

    async def idle():
        await aexpect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=RUN_TIMEOUT)

    async def go(title: str):
        await page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
        await aexpect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=UI_TIMEOUT)
        await idle()

    try:
        await page.goto(base_url)
        await aexpect(page.get_by_role("heading", name="Extract transactions")).to_be_visible(timeout=UI_TIMEOUT)
        await aexpect(page).to_have_url(WORKSPACE_IN_URL, timeout=UI_TIMEOUT)
        await idle()
        token = workspace_of(page.url)
        await page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(str(pdf))
        await aexpect(page.get_by_role("button", name=f"Remove {pdf.name}", exact=True)).to_be_visible()
        run = page.get_by_role("button", name="Run extraction")
        await aexpect(run).to_be_enabled()
        await barrier.wait()  # the three runs start together
        started = time.perf_counter()
        await run.click()
        label = re.compile(STATUS_LABEL.format(name=re.escape(pdf.name)))
        summary = page.get_by_test_id("stExpander").filter(has_text=f"{pdf.name}:").locator("summary")
        await aexpect(summary).to_have_text(label, timeout=RUN_TIMEOUT)
        await aexpect(summary).to_contain_text(f"{pdf.name}: ok, {rows} row(s)")
        await aexpect(page.get_by_text("1 of 1 file(s) done")).to_be_visible(timeout=RUN_TIMEOUT)
        await idle()
        finished = time.perf_counter()

        await go("Transactions")
        metric = page.get_by_test_id("stMetric").filter(has_text="Transactions").get_by_test_id("stMetricValue")
        await aexpect(metric).to_have_text(str(rows))
        await aexpect(page.get_by_test_id("stMetric").filter(has_text="Filings")
                      .get_by_test_id("stMetricValue")).to_have_text("1")
        grid = page.get_by_test_id("stDataFrame").first.locator("table[role=grid]")
        await aexpect(grid).to_have_attribute("aria-rowcount", str(rows + 1))
        # the visible cells of the Ticker column, the table's second (Glide renders only the rows on screen)
        visible_tickers = await grid.locator("td[aria-colindex='2']").all_inner_texts()
        async with page.expect_download(timeout=UI_TIMEOUT) as download_info:
            await page.get_by_test_id("stDownloadButton").filter(has_text="Download CSV (filtered)").click()
        download = await download_info.value
        table = csv_rows(Path(await download.path()).read_bytes())
        header, data = table[0], table[1:]
        csv_ids = {row[header.index("filing_id")] for row in data}
        csv_files = {row[header.index("source_file")] for row in data}
        csv_filers = {row[header.index("filer_name")] for row in data}
        transactions_url = page.url

        await go("History")
        history_grid = page.get_by_test_id("stDataFrame").locator("table[role=grid]")
        # Glide's table comes a moment after the script has finished: wait for it (or the empty state)
        await aexpect(history_grid.or_(page.get_by_text("No runs yet")).first).to_be_attached()
        history_url = page.url
        history_text = await page.locator("[data-testid=stMain]").inner_text()
        if await history_grid.count():
            await aexpect(history_grid.first).to_have_attribute("aria-rowcount", re.compile(r"^\d+$"))
        history_runs = (int(await history_grid.first.get_attribute("aria-rowcount")) - 1
                        if await history_grid.count() else 0)
        history_files = await history_grid.locator("td").all_inner_texts() if history_runs else []
        return {"file": pdf.name, "rows": rows, "filing_id": filing_id, "others": others, "token": token,
                "started": started, "finished": finished, "visible_tickers": visible_tickers,
                "tickers": {row["ticker"] for row in spec["rows"]}, "csv_rows": len(data),
                "csv_ids": csv_ids, "csv_files": csv_files, "csv_filers": csv_filers,
                "filer": spec["filer_name"], "transactions_url": transactions_url, "history_url": history_url,
                "history_runs": history_runs, "history_cells": history_files, "history_text": history_text}
    finally:
        await context.close()


async def _three_sessions(base_url: str, pdfs: list[Path]) -> list:
    from playwright.async_api import async_playwright
    from playwright.async_api import expect as aexpect

    aexpect.set_options(timeout=UI_TIMEOUT)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        try:
            barrier = asyncio.Barrier(len(pdfs))
            return await asyncio.wait_for(
                asyncio.gather(*(_one_session(browser, base_url, pdf, barrier) for pdf in pdfs),
                               return_exceptions=True),
                timeout=CONCURRENT_TIMEOUT)
        finally:
            await browser.close()


def test_three_concurrent_sessions_keep_their_own_results(chromium, app_url):
    pdfs = [SAMPLES / name for name in sorted(EXPECTED)]
    # The sync Playwright of the session fixtures owns this thread's loop: the async one runs in its own.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        results = pool.submit(asyncio.run, _three_sessions(app_url, pdfs)).result(timeout=CONCURRENT_TIMEOUT + 60)
    finally:
        pool.shutdown(wait=False)
    crashed = [f"{pdf.name}: {type(r).__name__}: {r}" for pdf, r in zip(pdfs, results) if isinstance(r, BaseException)]
    assert not crashed, "session(s) failed:\n" + "\n".join(crashed)

    first = results[0]["started"]
    spans = ", ".join(f"{r['file']} {r['started'] - first:+.2f}..{r['finished'] - first:+.2f} s" for r in results)
    print(f"\nconcurrent runs (start..finish, relative): {spans}")
    tokens = [r["token"] for r in results]
    assert len(set(tokens)) == 3, f"workspace tokens are not distinct: {tokens}"

    problems = []
    for r in results:
        name = r["file"]
        if r["csv_rows"] != r["rows"] or r["csv_ids"] != {r["filing_id"]} or r["csv_files"] != {name}:
            problems.append(f"{name}: Transactions CSV has {r['csv_rows']} row(s), filing IDs {r['csv_ids']}, "
                            f"files {r['csv_files']}; expected {r['rows']} row(s) of {r['filing_id']} only")
        if r["csv_filers"] != {r["filer"]}:
            problems.append(f"{name}: filer(s) {r['csv_filers']}, expected {r['filer']!r}")
        if not r["visible_tickers"] or not set(r["visible_tickers"]) <= r["tickers"]:
            problems.append(f"{name}: the table shows tickers {sorted(set(r['visible_tickers']))}, "
                            f"not only its own {sorted(r['tickers'])}")
        # History: exactly this session's run, in this browser's workspace
        if workspace_of(r["history_url"]) != r["token"]:
            problems.append(f"{name}: the workspace token changed on the way to History: opened with "
                            f"w={r['token']}, Transactions at {r['transactions_url']}, History at {r['history_url']}")
        if r["history_runs"] != 1 or not any(name in cell for cell in r["history_cells"]):
            problems.append(f"{name}: History lists {r['history_runs']} run(s) (cells {r['history_cells'][:8]}), "
                            f"expected exactly its own run; page text: {r['history_text'][:300]!r}")
        leaked = [other for other in r["others"] if other in r["history_text"]]
        if leaked:
            problems.append(f"{name}: History shows other sessions' files {leaked}")
    assert not problems, "\n".join(problems)


# --- 4. a broken file beside a good one ----------------------------------------------------------


def test_a_bad_file_fails_friendly_and_the_good_one_runs(page: Page, app_url, tmp_path):
    bad = tmp_path / "not-a-pdf.pdf"
    bad.write_text("Dear Clerk,\nplease find my trades below.\n")
    web_page = tmp_path / "error-page.pdf"  # a web page saved under a PDF's name: read as what it is
    web_page.write_text("<!DOCTYPE html><html><head><title>Oops</title></head>"
                        "<body><h1>404 Not Found</h1><p>This is a web page, not a filing.</p></body></html>\n")
    good = SAMPLES / "sample_ptr_2024_a.pdf"
    open_app(page, app_url)
    upload(page, [bad, web_page, good])
    page.get_by_role("button", name="Run extraction").click()
    statuses = wait_for_statuses(page, [bad.name, web_page.name, good.name])
    assert statuses[bad.name][0] == "failed", statuses
    assert statuses[web_page.name] == ("flagged", 0), statuses
    assert statuses[good.name] == ("ok", len(EXPECTED[good.name]["rows"])), statuses
    expect(status_box(page, bad.name)).to_contain_text("not a PDF")
    expect(status_box(page, web_page.name)).to_contain_text("a web page, but not a Senate eFD Periodic Transaction")
    no_traceback(page)
