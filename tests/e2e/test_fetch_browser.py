"""The Fetch page in a real browser against `streamlit run app.py` pointed at the fake Clerk (TRADETRACE_CLERK_URL):
namesakes to pick from, an unknown name's closest names, Gottheimer's 2024 PTRs read into the library with the four
missing ones said, the watch list and a check that finds the two filings of the next year. Writes
docs/screenshots/fetch.png."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import SHARED_FILINGS
from tests.e2e.conftest import ROOT, SERVER_START_TIMEOUT, _free_port, _health, _stop, require_playwright
from tests.fake_clerk import SHARED_CLERK, FakeClerk

require_playwright()

from playwright.sync_api import Page, expect  # noqa: E402

from tests.e2e.test_browser import full_page_screenshot, go_to, grid_row_count, no_traceback, wait_idle  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.shared]
UI_TIMEOUT = 60_000
RUN_TIMEOUT = 180_000


@pytest.fixture(scope="module")
def clerk():
    if not (SHARED_CLERK.is_dir() and (SHARED_FILINGS / "pdfs").is_dir()):
        pytest.skip(f"the Clerk's index copies ({SHARED_CLERK}) or the real PDFs are missing")
    with FakeClerk() as server:
        yield server


@pytest.fixture(scope="module")
def fetch_app(chromium, clerk, tmp_path_factory) -> str:
    """`streamlit run app.py` with an empty data folder, fetching from the fake Clerk without pauses."""
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("fetch-data")
    log = tmp_path_factory.mktemp("fetch-logs") / "stderr.txt"
    env = dict(os.environ, TRADETRACE_DATA_DIR=str(data_dir), TRADETRACE_CLERK_URL=clerk.base_url,
               TRADETRACE_CLERK_PAUSE="0", PYTHONUNBUFFERED="1")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        env.pop(name, None)
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
               "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with open(log, "wb") as err:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while _health(f"{base}/_stcore/health") != "ok":
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')[-4000:]}", pytrace=False)
            time.sleep(0.25)
        yield base
    finally:
        _stop(process)
        stderr = log.read_text(errors="replace")
        assert "Traceback" not in stderr, stderr[-6000:]


def pick_years(page: Page, label: str, years: list[str]) -> None:
    """Replace a multiselect's years (this year by default) with `years`."""
    box = page.get_by_test_id("stMultiSelect").filter(has_text=label)
    box.get_by_role("button", name="Clear all").click()
    wait_idle(page)  # outside a form each change reruns the page, which redraws the widget
    for year in years:
        box.get_by_role("combobox").click()
        page.get_by_role("option", name=year, exact=True).click()
        wait_idle(page)
    page.keyboard.press("Escape")
    for year in years:
        expect(box.get_by_role("button", name=f"Remove {year}")).to_be_visible()


def find(page: Page, name: str) -> None:
    page.get_by_role("textbox", name="Member").fill(name)
    page.get_by_role("button", name="Find PTRs").click()
    wait_idle(page)


def test_the_fetch_form_against_the_fake_clerk(page: Page, fetch_app, clerk):
    expect.set_options(timeout=UI_TIMEOUT)
    page.goto(fetch_app)
    expect(page.get_by_role("heading", name="Extract transactions")).to_be_visible()
    wait_idle(page)
    assert clerk.count() == 0  # opening the app reaches nothing
    go_to(page, "Fetch", "Add filings from the House Clerk")
    expect(page.get_by_text("Senate reports: eFD (efdsearch.senate.gov) needs a browser session")).to_be_visible()
    assert clerk.count() == 0
    pick_years(page, "Years", ["2024"])

    find(page, "Miller")
    for label in ("Carol Devine Miller (WV01)", "Max Miller (OH07)", "Trent Miller (FL16)"):
        expect(page.get_by_text(label, exact=True)).to_be_visible()
    page.get_by_text("Max Miller (OH07)", exact=True).click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Max Miller (OH07): 7 PTR(s)")).to_be_visible()

    find(page, "Gotheimer")
    unknown = "no member named 'Gotheimer' in the index; closest: Josh Gottheimer (NJ05)"
    expect(page.get_by_text(unknown)).to_be_visible()

    find(page, "Josh Gottheimer")
    expect(page.get_by_role("heading", name="Josh Gottheimer (NJ05): 7 PTR(s)")).to_be_visible()
    assert grid_row_count(page) == 7
    page.get_by_role("button", name="Download and read 7 PTR(s)").click()
    expect(page.get_by_text("3 filing(s) added to the library, 102 row(s).")).to_be_visible(timeout=RUN_TIMEOUT)
    wait_idle(page)
    expect(page.get_by_text("not on the Clerk's site (404)")).to_have_count(4)
    for name, rows in (("20024461.pdf", 37), ("20024801.pdf", 33), ("20025207.pdf", 32)):
        expect(page.get_by_text(f"{name}: ok, {rows} row(s), 0 flagged", exact=True)).to_be_visible()
    no_traceback(page)
    full_page_screenshot(page, "fetch")

    page.get_by_role("button", name="Watch Josh Gottheimer (NJ05) for new filings").click()
    wait_idle(page)
    watched = page.get_by_test_id("stMain")
    expect(watched.get_by_text("Josh Gottheimer (NJ05)", exact=True)).to_be_visible()
    pick_years(page, "Indexes to check", ["2025"])
    page.get_by_role("button", name="Check for new filings").click()
    expect(page.get_by_role("heading", name="2 new filing(s)")).to_be_visible()
    expect(page.get_by_text("2 filing(s) added to the library")).to_be_visible(timeout=RUN_TIMEOUT)
    wait_idle(page)
    page.get_by_role("button", name="Check for new filings").click()
    expect(page.get_by_text("No new filings.")).to_be_visible()
    no_traceback(page)
