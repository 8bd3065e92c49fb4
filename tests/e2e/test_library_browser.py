"""The library in a real browser (Debian's Chromium, Playwright, `streamlit run app.py`): real filings uploaded go
into the library, a member and a ticker open, the library CSV downloads as the CLI exports it; two sessions never
see each other's library; and, as a printed figure, how long the Library page takes to render 100,000 rows.
Also writes the Library screenshots in docs/screenshots/."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.models import FileOutcome
from agent.run.extract import extract_path
from agent.store.library import Library
from benchmarks.bench_library import copy_of
from tests.conftest import filing_path
from tests.e2e.conftest import ROOT, VIEWPORT, require_playwright

require_playwright()
from playwright.sync_api import Page, expect  # noqa: E402

from tests.e2e.test_browser import (  # noqa: E402
    UI_TIMEOUT,
    download,
    full_page_screenshot,
    go_to,
    no_traceback,
    open_app,
    upload,
    wait_for_statuses,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GREENE, CISNEROS = "20033360", "20033455"  # both bought CVX in October 2025, a week apart
LARGE_ROWS = 100_000
LARGE_WORKSPACE = "9" * 32
EMPTY_WORKSPACE = "8" * 32
RENDER_TARGET_S = 2.0  # issue 16, printed against, not asserted: the machine is shared


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of the selectbox with this label, typing to find it as a user would in a long list."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    wait_idle(page)


def run_files(page: Page, paths: list[Path]) -> None:
    upload(page, paths)
    page.get_by_role("button", name="Run extraction").click()
    wait_for_statuses(page, [path.name for path in paths])


def library_caption(page: Page):
    return page.get_by_text("This workspace's library:")


@pytest.mark.shared
def test_upload_open_a_member_and_a_ticker_and_download_the_library_csv(page: Page, app_url, app_server, tmp_path):
    workspace = open_app(page, app_url)
    run_files(page, [filing_path(GREENE), filing_path(CISNEROS)])
    expect(page.get_by_text("Library: of 2 file(s), 2 added.")).to_be_visible()

    go_to(page, "Library")
    expect(library_caption(page)).to_contain_text("2 filings, 135 rows: 135 current, 0 superseded")
    expect(page.get_by_text("2 members, 135 rows.")).to_be_visible()
    full_page_screenshot(page, "library_members")
    choose(page, "Member", "Hon. Marjorie Taylor Greene")
    expect(page.get_by_text("14 trades in 1 filing.")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first.locator(".main-svg").first).to_be_attached()
    expect(page.get_by_text("Copying these trades").first).to_be_visible()  # the member's own fit
    no_traceback(page)
    full_page_screenshot(page, "library_member")

    open_tab(page, "Tickers")
    choose(page, "Ticker", "CVX")
    expect(page.get_by_text("2 trades by 2 members.")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first).to_contain_text("Who traded CVX, and when")
    no_traceback(page)
    full_page_screenshot(page, "library_ticker")
    open_tab(page, "Clusters")
    expect(page.get_by_text(" clusters: two or more members trading one ticker")).to_be_visible()
    full_page_screenshot(page, "library_clusters")
    open_tab(page, "Late filings")
    expect(page.get_by_text("rows were disclosed more than 45 days")).to_be_visible()
    full_page_screenshot(page, "library_late")

    downloaded, name = download(page, "Download library CSV", tmp_path)
    assert name == "tradetrace-library.csv"
    exported = tmp_path / "cli-library.csv"
    cli = subprocess.run([sys.executable, "-m", "agent", "library", "export", "-o", str(exported), "--db",
                          str(app_server.data_dir / "history.sqlite3"), "--workspace", workspace],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert downloaded == exported.read_bytes(), "the Library page's CSV differs from `library export`'s"
    assert downloaded.count(b"\r\n") == 136  # the header and every current row


def test_two_sessions_never_see_each_others_library(browser, app_url):
    pages = []
    for docid in (GREENE, CISNEROS):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        open_app(page, app_url)
        run_files(page, [filing_path(docid)])
        pages.append(page)
    expected = {0: ("Hon. Marjorie Taylor Greene", "Hon. Gilbert Cisneros"),
                1: ("Hon. Gilbert Cisneros", "Hon. Marjorie Taylor Greene")}
    for number, page in enumerate(pages):
        go_to(page, "Library")
        expect(library_caption(page)).to_contain_text("1 filing, ")
        own, other = expected[number]
        members = page.get_by_test_id("stDataFrame").first
        expect(members).to_contain_text(own)
        expect(members).not_to_contain_text(other)
        page.get_by_role("textbox", name="Search").fill(other.split()[-1])
        page.keyboard.press("Enter")
        wait_idle(page)
        expect(page.get_by_text("Nothing matches")).to_be_visible(timeout=UI_TIMEOUT)
        page.context.close()


def build_large_library(database: Path, workspace: str, rows: int) -> int:
    """Real filings' rows copied under new IDs, dates shifted by whole weeks (in this test's setup only), up to
    `rows` rows in the server's library for `workspace`. Returns the rows stored."""
    outcomes = [extract_path(filing_path(docid)) for docid in (CISNEROS, GREENE, "20030699", "20016961")]
    filings = [outcome.filing for outcome in outcomes if outcome.filing is not None]
    library = Library(database)
    total, number = 0, 0
    while total < rows:
        number += 1
        batch = []
        for _ in range(50):
            for filing in filings:
                copy = copy_of(filing, number)
                batch.append(FileOutcome(copy.source_file, "ok", "", copy))
                total += len(copy.transactions)
            number += 1
        library.add(workspace, batch)
    stored = library.stats(workspace).rows
    library.close()
    return stored


def members_table_drawn(page: Page) -> None:
    """The Library page's heading and its members table drawn, the script done."""
    expect(page.get_by_role("heading", name="Library", exact=True)).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("stDataFrame").first.locator("table[role=grid]")).to_be_attached(timeout=120_000)
    wait_idle(page, timeout=120_000)


def add_one_filing(database: Path, workspace: str) -> int:
    """A change to the library, as a `library add` beside the running app makes it: one more copy of a filing, past
    build_large_library's copies. Returns its rows."""
    outcome = extract_path(filing_path(GREENE))
    assert outcome.filing is not None
    copy = copy_of(outcome.filing, 2_000)
    library = Library(database)
    library.add(workspace, [FileOutcome(copy.source_file, "ok", "", copy)])
    library.close()
    return len(copy.transactions)


def test_library_page_render_time_at_100000_rows(page: Page, app_url, app_server):
    database = app_server.data_dir / "history.sqlite3"
    started = time.perf_counter()
    stored = build_large_library(database, LARGE_WORKSPACE, LARGE_ROWS)
    print(f"\nsetup: {stored:,} rows added to a workspace of their own in {time.perf_counter() - started:.1f} s")
    open_app(page, app_url)  # a server's first run shows its main page whatever the URL: not timed
    # What loading any page costs here (a new session: the socket, app.py, the navigation), for the figures below.
    started = time.perf_counter()
    page.goto(f"{app_url}/library?w={EMPTY_WORKSPACE}")
    expect(page.get_by_text("The library is empty")).to_be_visible(timeout=120_000)
    wait_idle(page, timeout=120_000)
    print(f"Library page of an empty library (the cost of loading a page): {time.perf_counter() - started:.2f} s")
    for attempt in ("first (reads and prepares the rows)", "again (cached until the library changes)"):
        started = time.perf_counter()
        page.goto(f"{app_url}/library?w={LARGE_WORKSPACE}")
        members_table_drawn(page)
        seconds = time.perf_counter() - started
        print(f"Library page with {stored:,} rows, {attempt}: {seconds:.2f} s to the members table drawn "
              f"(target < {RENDER_TARGET_S:.0f} s)")
    # What an investor does: from another page of the same session, a click on Library in the sidebar (no reload).
    for attempt, change in (("after a change (one filing added)", True), ("again (cached)", False)):
        page.goto(f"{app_url}/?w={LARGE_WORKSPACE}")
        expect(page.get_by_role("heading", name="Extract transactions")).to_be_visible(timeout=120_000)
        wait_idle(page, timeout=120_000)
        if change:
            stored += add_one_filing(database, LARGE_WORKSPACE)
        started = time.perf_counter()
        page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink").filter(has_text="Library").click()
        members_table_drawn(page)
        print(f"Library page reached from the Extract page by its sidebar link, {attempt}: "
              f"{time.perf_counter() - started:.2f} s to the members table drawn (target < {RENDER_TARGET_S:.0f} s)")
    expect(library_caption(page)).to_contain_text(f"{stored:,} rows")
    no_traceback(page)
