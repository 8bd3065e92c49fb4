"""Ask in a real browser (Debian's Chromium through Playwright against `streamlit run app.py`): real filings read on
the Extract page, a request typed on the Ask page, its plan and steps in the trace, the answer, a cited row opened
with its source on the Transactions page, a profile stated in words remembered, its fit read once, and the profile
forgotten. Writes docs/screenshots/ask.png and ask_fit.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import filing_path
from tests.e2e.conftest import require_playwright
from tests.e2e.test_browser import (
    RUN_TIMEOUT,
    UI_TIMEOUT,
    full_page_screenshot,
    go_to,
    no_traceback,
    open_app,
    upload,
    wait_idle,
)

require_playwright()
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PELOSI = "20016961"  # Nancy Pelosi's House PTR: 9 rows, none flagged
FOXX = "20024424"  # Virginia Foxx's House PTR (2024)


def extract(page: Page, paths: list[Path]) -> None:
    """Read the files on the Extract page and wait until each is read cleanly."""
    upload(page, paths)
    page.get_by_role("button", name="Run extraction").click()
    expect(page.get_by_text(f"{len(paths)} of {len(paths)} file(s) done")).to_be_visible(timeout=RUN_TIMEOUT)
    wait_idle(page)
    for path in paths:
        label = re.compile(rf"{re.escape(path.name)}: ok, \d+ row\(s\), 0 flagged")
        expect(page.locator("summary").filter(has_text=label)).to_have_count(1)


def ask(page: Page, request: str) -> None:
    page.get_by_role("textbox", name="Ask in words").fill(request)
    page.get_by_role("button", name="Ask", exact=True).click()
    wait_idle(page, RUN_TIMEOUT)


def test_a_request_typed_shows_its_steps_and_opens_a_cited_row(page: Page, app_url):
    open_app(page, app_url)
    extract(page, [filing_path(PELOSI), filing_path(FOXX)])

    go_to(page, "Ask")
    expect(page.get_by_text(re.compile(r"Asking over this run: \d+ rows of 2 filings"))).to_be_visible()
    ask(page, "How many trades did Pelosi make?")
    trace = page.get_by_test_id("stMarkdown").filter(has_text="Plan:")
    expect(trace).to_contain_text("Tool: count_trades(member='Pelosi')")
    expect(trace).to_contain_text("Check numbers: passed")
    answer = page.get_by_test_id("stAlertContentSuccess")
    expect(answer).to_contain_text("trades by Nancy Pelosi")
    no_traceback(page)
    full_page_screenshot(page, "ask")

    cited = page.get_by_role("button", name=re.compile(rf"^{PELOSI}\.pdf row \d+$")).first
    label = cited.inner_text().strip()
    cited.click()
    expect(page.get_by_role("heading", name="Transactions", exact=True)).to_be_visible(timeout=UI_TIMEOUT)
    wait_idle(page)
    number = label.rpartition(" row ")[2]
    expect(page.get_by_text(re.compile(rf", row {number} of {PELOSI}\.pdf, page \d+"))).to_be_visible()
    no_traceback(page)


def test_a_profile_in_words_is_remembered(page: Page, app_url):
    open_app(page, app_url)
    extract(page, [filing_path(FOXX)])
    go_to(page, "Ask")
    ask(page, "I'm a cautious investor, no options, ten-year horizon")
    profile = "A low-risk, long-term investor, no options."
    expect(page.get_by_text(f"Remembered for this workspace: {profile}")).to_be_visible()
    # The fit reads once: its answer in the answer's box (a line per dimension), a one-line observation above.
    expect(page.get_by_text(re.compile("Copying these trades"))).to_have_count(1)
    answer = page.get_by_test_id("stAlertContentSuccess")
    expect(answer.locator("li")).to_have_count(3)
    expect(page.get_by_test_id("stMarkdown").filter(has_text="Plan:")).to_contain_text(
        "Observation: The fit with a low-risk, long-term investor:")
    full_page_screenshot(page, "ask_fit")
    page.reload()
    expect(page.get_by_text(f"Remembered profile: {profile}")).to_be_visible()
    page.get_by_role("button", name="Forget the profile").click()
    expect(page.get_by_text("No profile remembered yet")).to_be_visible(timeout=UI_TIMEOUT)
    page.reload()
    expect(page.get_by_text("No profile remembered yet")).to_be_visible(timeout=UI_TIMEOUT)
    no_traceback(page)
