"""The Clerk fetcher against the real indexes of ../shared/clerk, served with the real PDFs by tests/fake_clerk.py."""

from __future__ import annotations

import io
import os
import socket
import time
import zipfile
from pathlib import Path

import pytest

from agent.fetch.cache import FetchCache
from agent.fetch.client import ClerkClient, Politeness, user_agent
from agent.fetch.errors import FetchError
from agent.fetch.fetcher import Fetcher
from agent.fetch.index import index_path, parse_index_zip, pdf_path
from agent.fetch.members import find_member, normalise_district
from tests.fake_clerk import SHARED_CLERK, FakeClerk, load_snapshot, zipped

pytestmark = pytest.mark.shared

GOTTHEIMER_2024 = ["20024248", "20024461", "20024612", "20024801", "20025020", "20025207", "20025419"]
GOTTHEIMER_HERE = ["20024461", "20024801", "20025207"]  # the ones ../shared/filings/pdfs holds; the rest 404
QUICK = Politeness(pause=0.0, timeout=1.0, retries=2, backoff=0.01)


@pytest.fixture(autouse=True)
def _needs_shared(shared_filings: Path) -> None:
    if not SHARED_CLERK.is_dir():
        pytest.skip(f"the Clerk's index copies are not at {SHARED_CLERK}")


@pytest.fixture
def clerk():
    with FakeClerk() as server:
        yield server


def fetcher_for(clerk: FakeClerk, folder: Path, politeness: Politeness = QUICK) -> Fetcher:
    return Fetcher(FetchCache(folder), ClerkClient(clerk.base_url, politeness))


def records_of(snapshot: str):
    year, index = load_snapshot(snapshot)
    return parse_index_zip(index.original_zip or zipped(year, index.txt, index.xml), year)


# --- the index ----------------------------------------------------------------------------------------------------


def test_the_real_indexes_read_as_the_readme_counts_them():
    for snapshot, filings, ptrs in (("2024-08-04", 1098, 257), ("2024-07-05", 1018, 229), ("2025-02-17", 123, 56)):
        records = records_of(snapshot)
        assert (len(records), sum(record.is_ptr for record in records)) == (filings, ptrs), snapshot
    gottheimer = [r for r in records_of("2024-08-04") if r.last == "Gottheimer" and r.is_ptr]
    assert [r.doc_id for r in gottheimer] == GOTTHEIMER_2024
    assert gottheimer[0].filing_date == "2024-01-07" and gottheimer[0].state_district == "NJ05"


def test_a_zip_with_only_the_xml_gives_the_same_records():
    year, index = load_snapshot("2024-08-04")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("2024FD.xml", index.xml)
    assert parse_index_zip(buffer.getvalue(), 2024) == parse_index_zip(zipped(year, index.txt, index.xml), 2024)


def test_a_broken_zip_or_one_without_an_index_is_one_clear_error():
    _, index = load_snapshot("2025-02-17")
    with pytest.raises(FetchError, match=r"2025FD\.zip: not a readable ZIP archive") as broken:
        parse_index_zip(index.original_zip[:2000], 2025)
    assert broken.value.kind == "bad_index"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "rebuilding")
    with pytest.raises(FetchError, match=r"holds no 2025FD\.txt or 2025FD\.xml index \(it holds README\.txt\)"):
        parse_index_zip(buffer.getvalue(), 2025)
    with pytest.raises(FetchError, match="not a readable ZIP"):
        parse_index_zip(b"<!DOCTYPE html><html>maintenance</html>", 2025)


def test_an_xml_index_declaring_entities_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("2024FD.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><FinancialDisclosure/>')
    with pytest.raises(FetchError, match="declares a DOCTYPE or entities"):
        parse_index_zip(buffer.getvalue(), 2024)


# --- finding the member -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Josh Gottheimer", "Gottheimer, Josh", "gottheimer", "GOTTHEIMER josh",
                                   "Rep. Josh Gottheimer", "J Gottheimer"])
def test_a_member_is_found_however_the_name_is_typed(typed):
    match = find_member(records_of("2024-08-04"), typed)
    assert match.member is not None and match.member.label == "Josh Gottheimer (NJ05)", match.problem()
    assert match.problem() == ""


def test_namesakes_are_listed_and_the_district_picks_one():
    records = records_of("2024-08-04")
    match = find_member(records, "Miller")
    assert match.member is None
    assert [m.state_district for m in match.members] == ["WV01", "OH07", "FL16"]
    assert "matches 3 members" in match.problem() and "Max Miller (OH07)" in match.problem()
    assert "--district" in match.problem()
    assert find_member(records, "Miller", "OH07").member.label == "Max Miller (OH07)"
    assert [m.label for m in find_member(records, "Lee", "NV").members] == ["John Lee (NV04)", "Susie Lee (NV03)"]
    assert find_member(records, "Susie Lee").member.state_district == "NV03"


def test_an_unknown_name_says_the_closest_names():
    match = find_member(records_of("2024-08-04"), "Gotheimer")
    assert match.members == []
    assert match.problem().startswith("no member named 'Gotheimer' in the index; closest: Josh Gottheimer (NJ05)")


def test_a_member_spelt_differently_across_years_is_one_member():
    records = records_of("2024-08-04") + records_of("2025-02-17")  # 'Marjorie Taylor Mrs', then 'Marjorie Taylor'
    match = find_member(records, "Marjorie Greene")
    assert match.member is not None and match.member.state_district == "GA14"


def test_districts_are_normalised():
    assert [normalise_district(text) for text in ("nj-5", "NJ05", "NJ 5", "nj")] == ["NJ05", "NJ05", "NJ05", "NJ"]
    with pytest.raises(ValueError, match="like NJ05"):
        normalise_district("New Jersey")


# --- fetching -----------------------------------------------------------------------------------------------------


def test_gottheimer_2024_lists_seven_ptrs_downloads_the_three_there_and_names_each_missing_one(clerk, tmp_path):
    fetcher = fetcher_for(clerk, tmp_path)
    lookup = fetcher.lookup("Josh Gottheimer", [2024])
    assert [r.doc_id for r in lookup.ptrs] == GOTTHEIMER_2024 and lookup.notes == []
    downloads = [fetcher.download(record) for record in lookup.ptrs]
    assert [d.record.doc_id for d in downloads if d.data] == GOTTHEIMER_HERE
    missing = [d.problem for d in downloads if d.data is None]
    assert len(missing) == 4 and all("\n" not in line for line in missing)
    assert missing[0] == (f"20024248.pdf (Josh Gottheimer, filed 2024-01-07): {clerk.base_url}"
                          "/public_disc/ptr-pdfs/2024/20024248.pdf: not on the Clerk's site (404)")
    for doc_id in GOTTHEIMER_2024:  # a 404 is not retried
        assert clerk.count(pdf_path(2024, doc_id)) == 1
    assert {request.user_agent for request in clerk.requests} == {user_agent()}
    assert user_agent() == "TradeTrace/0.1.0 (reads the House Clerk's public PTR index and filings)"


def test_a_second_fetch_downloads_nothing_already_on_disk(clerk, tmp_path):
    first = fetcher_for(clerk, tmp_path)
    for record in first.lookup("Josh Gottheimer", [2024]).ptrs:
        first.download(record)
    before = clerk.count()
    again = fetcher_for(clerk, tmp_path)
    lookup = again.lookup("Josh Gottheimer", [2024])
    downloads = [again.download(record) for record in lookup.ptrs if record.doc_id in GOTTHEIMER_HERE]
    assert all(download.from_disk and download.data for download in downloads)
    assert clerk.count() == before  # the index is a day fresh and the PDFs are kept: no request at all


def test_an_interrupted_fetch_resumes_where_it_stopped(clerk, tmp_path):
    fetcher = fetcher_for(clerk, tmp_path)
    ptrs = [r for r in fetcher.lookup("Virginia Foxx", [2024]).ptrs if r.doc_id in ("20024424", "20024825",
                                                                                    "20024996", "20025200")]
    fetcher.download(ptrs[0])  # then the process is stopped (Ctrl-C), leaving a half-written temporary file
    partial = FetchCache(tmp_path).pdf_file(2024, ptrs[1].doc_id)
    (partial.parent / f".{partial.name}.x.part").write_bytes(b"%PDF-1.4 half")
    clerk.fault(pdf_path(2024, ptrs[2].doc_id), "slow", times=3)  # and the next one timed out on every try
    resumed = fetcher_for(clerk, tmp_path, Politeness(pause=0.0, timeout=0.3, retries=2, backoff=0.01))
    results = [resumed.download(record) for record in ptrs]
    assert [r.from_disk for r in results] == [True, False, False, False]
    assert results[2].data is None and "no answer within 0.3 s" in results[2].problem
    assert [r.data is not None for r in results] == [True, True, False, True]
    last = fetcher_for(clerk, tmp_path)
    assert all(last.download(record).data for record in ptrs)
    assert [clerk.count(pdf_path(2024, r.doc_id)) for r in ptrs] == [1, 1, 4, 1]


def test_retries_on_503_and_dropped_connections_with_backoff_but_not_on_404(clerk, tmp_path):
    waits: list[float] = []
    client = ClerkClient(clerk.base_url, Politeness(pause=0.0, timeout=2.0, retries=3, backoff=0.5), waits.append)
    path = pdf_path(2024, "20024461")
    clerk.fault(path, "503", times=2)
    clerk.fault(path, "drop")
    assert client.get(path).startswith(b"%PDF-")
    assert clerk.count(path) == 4 and waits == [0.5, 1.0, 2.0]
    clerk.fault(path, "503", times=4)
    with pytest.raises(FetchError, match="answered 503 Service Unavailable") as spent:
        client.get(path)
    assert spent.value.kind == "server" and clerk.count(path) == 8
    with pytest.raises(FetchError, match=r"\(404\)"):
        client.get(pdf_path(2024, "20024248"))
    assert clerk.count(pdf_path(2024, "20024248")) == 1


def test_requests_are_one_at_a_time_with_a_pause_between(clerk):
    waits: list[float] = []
    client = ClerkClient(clerk.base_url, Politeness(pause=5.0, timeout=2.0), waits.append)
    client.get(pdf_path(2024, "20024461"))
    client.get(pdf_path(2024, "20024801"))
    assert len(waits) == 1 and 4.0 < waits[0] <= 5.0  # the second waited out the pause after the first


def test_html_instead_of_a_pdf_is_said_and_not_kept(clerk, tmp_path):
    fetcher = fetcher_for(clerk, tmp_path)
    record = next(r for r in fetcher.lookup("Josh Gottheimer", [2024]).ptrs if r.doc_id == "20024461")
    clerk.fault(pdf_path(2024, "20024461"), "html")
    download = fetcher.download(record)
    assert download.data is None
    assert download.problem.startswith("20024461.pdf: the site sent an HTML page, not a PDF (http://127.0.0.1:")
    assert fetcher.download(record).data and clerk.count(pdf_path(2024, "20024461")) == 2


@pytest.mark.parametrize(("fault", "said"), [("broken_zip", "not a readable ZIP archive"),
                                             ("no_index", "holds no 2024FD.txt or 2024FD.xml index"),
                                             ("404", "not on the Clerk's site (404)")])
def test_an_index_that_cannot_be_had_is_one_line_and_other_years_go_on(clerk, tmp_path, fault, said):
    clerk.fault(index_path(2024), fault)
    lookup = fetcher_for(clerk, tmp_path).lookup("Josh Gottheimer", [2024, 2025])
    assert len(lookup.notes) == 1 and lookup.notes[0].startswith("the 2024 index: ") and said in lookup.notes[0]
    assert [r.year for r in lookup.ptrs] == [2025, 2025]


def test_offline_says_so_and_an_older_index_on_disk_stands_in(clerk, tmp_path):
    fetcher_for(clerk, tmp_path).index(2024)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{unused.getsockname()[1]}"
    offline = Fetcher(FetchCache(tmp_path), ClerkClient(dead, QUICK))
    assert len(offline.index(2024).records) == 1098  # fresh: not even tried
    kept = FetchCache(tmp_path).index_file(2024)
    two_days_ago = time.time() - 2 * 86400
    os.utime(kept, (two_days_ago, two_days_ago))
    stale = offline.index(2024)
    assert len(stale.records) == 1098
    assert "cannot reach the site (offline?" in stale.notice and "copy on disk from 2.0 day(s) ago" in stale.notice
    nothing = offline.index(2025)
    assert nothing.records == [] and nothing.problem.startswith(f"the 2025 index: {dead}/public_disc/")


def test_an_index_older_than_a_day_is_downloaded_again(clerk, tmp_path):
    fetcher = fetcher_for(clerk, tmp_path)
    fetcher.index(2024)
    fetcher.index(2024)
    assert clerk.count(index_path(2024)) == 1
    kept = FetchCache(tmp_path).index_file(2024)
    os.utime(kept, (time.time() - 86401, time.time() - 86401))
    fetcher.index(2024)
    assert clerk.count(index_path(2024)) == 2


def test_politeness_from_the_environment():
    assert Politeness.from_env({"TRADETRACE_CLERK_PAUSE": "0", "TRADETRACE_CLERK_TIMEOUT": "5"}) == Politeness(
        pause=0.0, timeout=5.0)
    assert Politeness.from_env({"TRADETRACE_CLERK_PAUSE": "-1", "TRADETRACE_CLERK_TIMEOUT": "soon"}) == Politeness()
