"""The Fetch page through Streamlit's AppTest against the fake Clerk: nothing fetched until asked, the form's
answers (bad district, namesakes, unknown names, the site down), PTRs read into the library, the watch list."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from agent.store.library import Library
from tests.conftest import ROOT
from tests.fake_clerk import SHARED_CLERK, FakeClerk
from tests.test_app import WORKSPACE, texts

pytestmark = pytest.mark.shared
FETCH_PAGE = "pages/fetch_page.py"


@pytest.fixture
def clerk(shared_filings, monkeypatch):
    if not SHARED_CLERK.is_dir():
        pytest.skip(f"the Clerk's index copies are not at {SHARED_CLERK}")
    with FakeClerk() as server:
        monkeypatch.setenv("TRADETRACE_CLERK_URL", server.base_url)
        monkeypatch.setenv("TRADETRACE_CLERK_PAUSE", "0")
        yield server


@pytest.fixture
def page(clerk, tmp_path, monkeypatch):
    monkeypatch.setenv("TRADETRACE_DATA_DIR", str(tmp_path))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params["w"] = WORKSPACE
    app.run()
    app.switch_page(FETCH_PAGE).run()
    assert not app.exception
    return app


def find(app: AppTest, name: str, years: list[int], district: str = "") -> AppTest:
    app.text_input[0].input(name)
    app.multiselect[0].set_value(years)
    app.text_input[1].input(district)
    return next(button for button in app.button if button.label == "Find PTRs").click().run()


def button(app: AppTest, label: str):
    return next(item for item in app.button if item.label == label)


def test_the_page_fetches_nothing_until_asked(page, clerk):
    assert "Add filings from the House Clerk" in [title.value for title in page.title]
    assert "save the page (Ctrl+S" in texts(page)
    assert clerk.count() == 0


def test_the_form_explains_bad_input_namesakes_and_unknown_names(page, clerk):
    find(page, "Josh Gottheimer", [2024], "New Jersey")
    assert [e.value for e in page.error] == ["'New Jersey': give a state and district like NJ05 (or a state alone, "
                                             "like NJ)"]
    assert clerk.count() == 0
    find(page, "Miller", [2024])
    assert [option for option in page.radio[0].options] == ["Carol Devine Miller (WV01)", "Max Miller (OH07)",
                                                            "Trent Miller (FL16)"]
    find(page, "Gotheimer", [2024])
    assert page.error[0].value.startswith("no member named 'Gotheimer' in the index; closest: Josh Gottheimer (NJ05)")
    find(page, "Al Green", [2024])
    assert "Al Green (TX09) filed no PTR in 2024 (the index lists 1 other filing(s) of theirs)." in texts(page)
    assert clerk.count() == 1  # one index, kept on disk for the later searches


def test_the_site_down_is_one_line(page, clerk, monkeypatch):
    monkeypatch.setenv("TRADETRACE_CLERK_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TRADETRACE_CLERK_TIMEOUT", "0.5")
    find(page, "Josh Gottheimer", [2024])
    assert not page.exception
    warnings = [w.value for w in page.warning]
    assert len(warnings) == 1 and warnings[0].startswith("the 2024 index: http://127.0.0.1:9/public_disc/") and (
        "cannot reach the site (offline?" in warnings[0])


def test_ptrs_are_read_into_the_library_and_a_watch_finds_the_next_year(page, clerk, tmp_path):
    find(page, "Gottheimer", [2024])
    assert [h.value for h in page.subheader][0] == "Josh Gottheimer (NJ05): 7 PTR(s)"
    button(page, "Download and read 7 PTR(s)").click().run()
    assert not page.exception
    assert sum("not on the Clerk's site (404)" in w.value for w in page.warning) == 4
    assert "3 filing(s) added to the library, 102 row(s)." in [s.value for s in page.success]
    library = Library(tmp_path / "history.sqlite3")
    assert {filing.filing_id for filing in library.filings(WORKSPACE)} == {"20024461", "20024801", "20025207"}

    button(page, "Watch Josh Gottheimer (NJ05) for new filings").click().run()
    assert "Josh Gottheimer (NJ05)" in texts(page)
    page.multiselect[1].set_value([2025]).run()
    button(page, "Check for new filings").click().run()
    assert "2 new filing(s)" in [h.value for h in page.subheader]
    assert {filing.filing_id for filing in library.filings(WORKSPACE)} >= {"20026533", "20026732"}
    button(page, "Check for new filings").click().run()
    assert "No new filings." in [s.value for s in page.success]
    # 2024's four PTRs the Clerk said it does not have (above) are not asked for again the same day, nor new.
    asked = clerk.count()
    page.multiselect[1].set_value([2024]).run()
    button(page, "Check for new filings").click().run()
    assert sum("not on the Clerk's site when last asked" in note.value for note in page.info) == 4
    assert "No new filings." in [s.value for s in page.success] and clerk.count() == asked
    button(page, "Stop watching").click().run()
    assert "Nobody yet" in texts(page)
    library.close()
