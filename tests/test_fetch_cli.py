"""`python -m agent fetch` and `watch` against the fake Clerk: exit codes, what they print, the library they fill."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.cli import main
from agent.fetch.index import index_path, pdf_path
from agent.store.library import Library
from tests.conftest import ROOT
from tests.fake_clerk import SHARED_CLERK, FakeClerk

pytestmark = pytest.mark.shared

GOTTHEIMER_HERE = {"20024461", "20024801", "20025207"}


@pytest.fixture(autouse=True)
def _needs_shared(shared_filings: Path) -> None:
    if not SHARED_CLERK.is_dir():
        pytest.skip(f"the Clerk's index copies are not at {SHARED_CLERK}")


@pytest.fixture
def clerk(monkeypatch):
    with FakeClerk() as server:
        monkeypatch.setenv("TRADETRACE_CLERK_URL", server.base_url)
        monkeypatch.setenv("TRADETRACE_CLERK_PAUSE", "0")
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):  # the offline brain reads them
            monkeypatch.delenv(name, raising=False)
        yield server


def fetch(tmp_path: Path, *args: str) -> int:
    return main(["fetch", *args, "-o", str(tmp_path / "out.csv"), "--db", str(tmp_path / "history.sqlite3"),
                 "--no-ocr"])


def watch(tmp_path: Path, *args: str) -> int:
    return main(["watch", *args, "--db", str(tmp_path / "history.sqlite3")])


def library_ids(tmp_path: Path, workspace: str = "cli") -> set[str]:
    library = Library(tmp_path / "history.sqlite3")
    try:
        return {filing.filing_id for filing in library.filings(workspace)}
    finally:
        library.close()


def test_fetch_gottheimer_2024_reads_the_three_there_into_the_library_and_exits_1_for_the_four_missing(
        clerk, tmp_path, capsys):
    assert fetch(tmp_path, "--member", "Josh Gottheimer", "--year", "2024", "--json", str(tmp_path / "o.json")) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[:2] == ["20024248\t2024-01-07\tJosh Gottheimer (NJ05)",
                                    "20024461\t2024-02-15\tJosh Gottheimer (NJ05)"]
    assert out.splitlines()[-1] == ("Josh Gottheimer (NJ05), 2024: 7 PTR(s) listed, 3 downloaded (0 from disk), "
                                    "4 not had; 102 row(s) read; 3 filing(s) new to the library")
    assert err.count("not on the Clerk's site (404)") == 4
    assert "library: 20024461.pdf: added (37 rows)" in err
    with (tmp_path / "out.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert {row["filing_id"] for row in rows} == GOTTHEIMER_HERE
    assert library_ids(tmp_path) == GOTTHEIMER_HERE
    payload = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))
    assert len(payload["ptrs"]) == 7 and len(payload["problems"]) == 4 and len(payload["outcomes"]) == 3

    requests = clerk.count()
    assert fetch(tmp_path, "--member", "Gottheimer, Josh", "--year", "2024") == 1
    out, _ = capsys.readouterr()
    assert "3 downloaded (3 from disk)" in out and "0 filing(s) new to the library" in out
    assert clerk.count() - requests == 4  # only the four missing PDFs were asked for again; the index was fresh
    assert clerk.count(index_path(2024)) == 1


def test_fetch_exits_0_when_every_ptr_was_read(clerk, tmp_path, capsys):
    assert fetch(tmp_path, "--member", "Mikie Sherrill", "--year", "2024") == 0
    out, err = capsys.readouterr()
    assert "2 PTR(s) listed, 2 downloaded" in out
    assert library_ids(tmp_path) == {"20025065", "20025087"}


def test_a_fetch_stopped_by_ctrl_c_says_so_and_the_same_command_resumes(clerk, tmp_path, capsys):
    clerk.slow_seconds = 30.0
    clerk.fault(pdf_path(2024, "20025087"), "slow")  # the second PDF hangs: the user presses Ctrl-C
    command = [sys.executable, "-m", "agent", "fetch", "--member", "Mikie Sherrill", "--year", "2024", "-o",
               str(tmp_path / "out.csv"), "--db", str(tmp_path / "history.sqlite3"), "--no-ocr"]
    process = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while clerk.count(pdf_path(2024, "20025087")) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == ("interrupted: the PDFs downloaded so far are kept on disk; the same "
                                            "command again resumes")
    assert "Traceback" not in err
    assert fetch(tmp_path, "--member", "Mikie Sherrill", "--year", "2024") == 0
    assert "2 downloaded (1 from disk)" in capsys.readouterr().out
    assert clerk.count(pdf_path(2024, "20025065")) == 1


def test_fetch_of_an_ambiguous_or_unknown_name_exits_2_with_the_candidates(clerk, tmp_path, capsys):
    assert fetch(tmp_path, "--member", "Miller", "--year", "2024") == 2
    err = capsys.readouterr().err
    assert "'Miller' matches 3 members: Carol Devine Miller (WV01); Max Miller (OH07); Trent Miller (FL16)" in err
    assert fetch(tmp_path, "--member", "Gotheimer", "--year", "2024") == 2
    assert "closest: Josh Gottheimer (NJ05)" in capsys.readouterr().err
    assert clerk.count(pdf_path(2024, "20024461")) == 0


def test_fetch_of_a_member_with_no_ptr_says_so_and_exits_0(clerk, tmp_path, capsys):
    assert fetch(tmp_path, "--member", "Al Green", "--year", "2024", "--district", "TX09") == 0
    err = capsys.readouterr().err
    assert "Al Green (TX09) filed no PTR in those years (the index lists 1 other filing(s) of theirs)" in err


def test_fetch_with_the_clerk_unreachable_exits_1_with_one_line(clerk, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TRADETRACE_CLERK_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TRADETRACE_CLERK_TIMEOUT", "0.5")
    assert fetch(tmp_path, "--member", "Josh Gottheimer", "--year", "2024") == 1
    err = capsys.readouterr().err
    assert err.strip().startswith("the 2024 index: http://127.0.0.1:9/public_disc/financial-pdfs/2024FD.zip: "
                                  "cannot reach the site (offline?")
    assert len(err.strip().splitlines()) == 1


def test_a_bad_year_or_district_stops_before_any_request(clerk, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        fetch(tmp_path, "--member", "Josh Gottheimer", "--year", "24")
    assert stopped.value.code == 2 and "'24': give a year from 2008 to" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        fetch(tmp_path, "--member", "Josh Gottheimer", "--year", "2024", "--district", "New Jersey")
    assert "give a state and district like NJ05" in capsys.readouterr().err
    assert clerk.count() == 0


def test_watch_check_finds_the_one_new_filing_as_the_index_grows(clerk, tmp_path, capsys):
    clerk.hold_back("20025087")  # Mikie Sherrill's second PTR of 2024, not yet in the index
    assert watch(tmp_path, "add", "Sherrill", "--district", "NJ11", "--year", "2024") == 0
    assert capsys.readouterr().out == "watching Mikie Sherrill (NJ11)\n"
    assert watch(tmp_path, "add", "Mikie Sherrill", "--year", "2024") == 0
    assert capsys.readouterr().out == "already watching Mikie Sherrill (NJ11)\n"
    assert watch(tmp_path, "check", "--year", "2024", "--no-ocr") == 3
    assert capsys.readouterr().out == "new: 20025065\t2024-05-13\tMikie Sherrill (NJ11)\n"
    assert watch(tmp_path, "check", "--year", "2024", "--no-ocr") == 0
    assert capsys.readouterr().out == ""

    clerk.release("20025087")
    (tmp_path / "clerk" / "index" / "2024FD.zip").unlink()  # the day has passed: the index is fetched again
    assert watch(tmp_path, "check", "--year", "2024", "--no-ocr") == 3
    out, err = capsys.readouterr()
    assert out == "new: 20025087\t2024-05-15\tMikie Sherrill (NJ11)\n"
    assert "Mikie Sherrill (NJ11): 2 PTR(s) in the index, 1 new" in err
    assert library_ids(tmp_path) == {"20025065", "20025087"}
    assert clerk.count(pdf_path(2024, "20025065")) == 1 and clerk.count(pdf_path(2024, "20025087")) == 1

    assert watch(tmp_path, "list") == 0
    assert capsys.readouterr().out == "Mikie Sherrill (NJ11)\n"
    assert watch(tmp_path, "remove", "Sherrill") == 0
    assert watch(tmp_path, "check", "--year", "2024") == 0
    assert "no members watched" in capsys.readouterr().err


def test_watch_check_exits_1_when_a_new_filing_cannot_be_had_and_asks_again_only_a_day_later(clerk, tmp_path,
                                                                                              capsys):
    assert watch(tmp_path, "add", "Josh Gottheimer", "--year", "2024") == 0
    assert watch(tmp_path, "check", "--year", "2024", "--no-ocr") == 1
    out, err = capsys.readouterr()
    assert out.count("new: ") == 7 and err.count("(404)") == 4
    assert library_ids(tmp_path) == GOTTHEIMER_HERE
    asked = clerk.count()

    # The same day: the four the Clerk does not have are said once each, not fetched, not new, not a failure.
    assert watch(tmp_path, "check", "--year", "2024", "--no-ocr") == 0
    out, err = capsys.readouterr()
    assert out == "" and err.count("not on the Clerk's site when last asked") == 4 and "(404)" not in err
    assert clerk.count() == asked

    # A day later they are asked for again.
    day_ago = time.time() - 25 * 3600
    for note in (tmp_path / "clerk" / "ptr-pdfs" / "2024").glob("*.missing"):
        os.utime(note, (day_ago, day_ago))
    assert watch(tmp_path, "check", "--year", "2024", "--no-ocr") == 1
    out, err = capsys.readouterr()
    assert out.count("new: ") == 4 and err.count("(404)") == 4
    assert clerk.count() == asked + 4


def test_watch_check_exits_1_when_the_index_cannot_be_had(clerk, tmp_path, capsys, monkeypatch):
    assert watch(tmp_path, "add", "Mikie Sherrill", "--year", "2024") == 0
    capsys.readouterr()
    (tmp_path / "clerk" / "index" / "2024FD.zip").unlink()
    clerk.fault(index_path(2024), "broken_zip")
    assert watch(tmp_path, "check", "--year", "2024", "--no-ocr") == 1
    out, err = capsys.readouterr()
    assert out == "" and "the 2024 index: " in err and "not a readable ZIP archive" in err
