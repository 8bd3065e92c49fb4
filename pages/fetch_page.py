"""Fetch: a member's PTRs from the House Clerk by name and year, read by the agent into the library; the watch list.
The Clerk is reached only when a button here is pressed (agent/fetch)."""

from __future__ import annotations

import datetime
from pathlib import Path

import streamlit as st

from agent.errors import StoreError
from agent.fetch.cache import FetchCache
from agent.fetch.client import ClerkClient, clerk_url
from agent.fetch.fetcher import Download, Fetcher, ptrs_of
from agent.fetch.index import FIRST_YEAR, IndexRecord
from agent.fetch.job import Reading, inputs_of, known_doc_ids, read_into_library
from agent.fetch.members import Member, find_member, normalise_district
from agent.fetch.watch import WatchList, new_filings, still_missing
from agent.run.events import Event
from agent.run.llm import OpenAIChat
from agent.run.llm_brain import LLMBrain
from agent.run.loop import Agent
from agent.run.offline_brain import OfflineBrain
from agent.store.paths import data_dir
from pages.common import library, llm_config, set_result, store, use_llm, workspace
from pages.trace_view import LiveTrace

FOUND = "fetch_found"  # session key: the records of the years asked for, the typed name and what it matched


@st.cache_resource
def _fetcher(folder: str, base_url: str) -> Fetcher:
    """One fetcher per site for the whole server: its client's lock keeps every session's requests one at a time."""
    return Fetcher(FetchCache(Path(folder)), ClerkClient(base_url))


def fetcher() -> Fetcher:
    return _fetcher(str(data_dir() / "clerk"), clerk_url())


def make_agent() -> Agent:
    if use_llm():
        config = llm_config()
        return Agent(LLMBrain(OpenAIChat(config), config), cache=store(), ocr=bool(st.session_state.get("ocr_use")))
    return Agent(OfflineBrain(), cache=store(), ocr=bool(st.session_state.get("ocr_use")))


def ptr_table(records: list[IndexRecord]) -> None:
    st.dataframe([{"DocID": r.doc_id, "filed": r.filing_date, "member": r.name, "district": r.state_district,
                   "year": r.year} for r in records], hide_index=True, width="stretch")


def download_all(records: list[IndexRecord]) -> list[Download]:
    """Each PDF from disk or the Clerk, one line per problem; the rest goes on."""
    downloads = []
    with st.status(f"Downloading {len(records)} PTR(s) from the House Clerk…", expanded=True) as status:
        for record in records:
            download = fetcher().download(record)
            downloads.append(download)
            if download.problem:
                st.warning(download.problem)
            else:
                st.write(f"{record.file_name}: {'kept on disk' if download.from_disk else 'downloaded'}")
        had = sum(1 for download in downloads if download.data is not None)
        status.update(label=f"{had} of {len(records)} PTR(s) downloaded", state="complete" if had else "error",
                      expanded=had < len(records))
    return downloads


def read_live(downloads: list[Download]) -> Reading | None:
    """The agent reads the downloads with its live trace; the run goes to History and its filings to the library."""
    files = inputs_of(downloads)
    history, shelf = store(), library()
    if not files:
        return None
    if history is None or shelf is None:
        st.error(f"{st.session_state.get('store_error', 'the history database cannot be opened')}: the filings were "
                 "downloaded but cannot be put in the library.")
        return None
    trace = LiveTrace(len(files))
    streamed = {"text": ""}

    def show(event: Event) -> None:
        if event.type == "thought_delta":
            streamed["text"] += event.text
            trace.stream(event.file, streamed["text"])
            return
        streamed["text"] = ""
        trace.add(event)

    try:
        reading = read_into_library(make_agent(), files, history, shelf, workspace(), on_event=show)
    except StoreError as exc:
        st.error(f"Not saved: {exc}")
        return None
    set_result(reading.result, files, reading.run_id)
    for line in reading.unread():
        st.warning(line)
    stored = [added for added in reading.added if added.action in ("added", "replaced")]
    st.success(f"{len(stored)} filing(s) added to the library, {sum(a.rows for a in stored)} row(s).")
    st.markdown("\n".join(f"- **{added.source_file}**: {added.message or added.action}" for added in reading.added))
    st.page_link("pages/library_page.py", label="See them in the library", icon="📚")
    return reading


# --- the form ---------------------------------------------------------------------------------------------------

st.title("Add filings from the House Clerk")
st.caption("A member's Periodic Transaction Reports, listed from the Clerk's yearly index, downloaded once (kept on "
           "disk), read by the agent with its trace, and added to the library.")
this_year = datetime.date.today().year
with st.form("fetch_form"):
    name = st.text_input("Member", placeholder="Josh Gottheimer, or Gottheimer, or Gottheimer, Josh")
    left, right = st.columns([2, 1])
    years = left.multiselect("Years", list(range(this_year, FIRST_YEAR - 1, -1)), default=[this_year])
    district_text = right.text_input("State/district (optional)", placeholder="NJ05",
                                     help="Tells namesakes apart: NJ05, or a state alone (NJ)")
    find = st.form_submit_button("Find PTRs", type="primary")

if find:
    try:
        district = normalise_district(district_text) if district_text.strip() else ""
    except ValueError as exc:
        st.error(str(exc))
        district = None
    if not name.strip():
        st.error("Type a member's name.")
    elif not years:
        st.error("Pick at least one year.")
    elif district is not None:
        with st.spinner("Reading the Clerk's index…"):
            records, notes = fetcher().indexes(years)
        st.session_state[FOUND] = (records, notes, name, district, sorted(years))

found = st.session_state.get(FOUND)
member: Member | None = None
if found:
    records, notes, typed, district, _ = found
    for note in notes:
        st.warning(note)
    match = find_member(records, typed, district)
    if len(match.members) > 1:
        member = st.radio(f"{len(match.members)} members match {typed!r}: which one?", match.members,
                          format_func=lambda m: m.label, index=None)
    elif match.member is not None:
        member = match.member
    elif records:
        st.error(match.problem())

if found and member is not None:
    ptrs, others = ptrs_of(found[0], member)
    if not ptrs:
        extra = f" (the index lists {others} other filing(s) of theirs)" if others else ""
        st.info(f"{member.label} filed no PTR in {', '.join(map(str, found[4]))}{extra}.")
    else:
        st.subheader(f"{member.label}: {len(ptrs)} PTR(s)")
        ptr_table(ptrs)
        read, watch = st.columns(2)
        if read.button(f"Download and read {len(ptrs)} PTR(s)", type="primary", width="stretch"):
            read_live(download_all(ptrs))
        history = store()
        if watch.button(f"Watch {member.label} for new filings", width="stretch") and history is not None:
            try:
                added = WatchList(history).add(workspace(), member)
            except StoreError as exc:
                st.error(str(exc))
            else:
                st.toast(f"{'Watching' if added else 'Already watching'} {member.label}")

# --- the watch list ---------------------------------------------------------------------------------------------

st.divider()
st.subheader("Watched members")
history = store()
watchlist = WatchList(history) if history is not None else None
watched = watchlist.watches(workspace()) if watchlist is not None else []
if not watched:
    st.caption("Nobody yet: find a member above and watch them. A check lists their PTRs in this year's index that "
               "the library does not have, and reads them.")
for item in watched:
    label, remove = st.columns([4, 1])
    label.write(item.member.label)
    if remove.button("Stop watching", key=f"unwatch-{item.member.key}") and watchlist is not None:
        watchlist.remove(workspace(), item.member)
        st.rerun()
if watched:
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    check_years = right.multiselect("Indexes to check", list(range(this_year, FIRST_YEAR - 1, -1)),
                                    default=[this_year], key="check_years")
    if left.button("Check for new filings", type="primary", disabled=not check_years):
        shelf = library()
        with st.spinner("Reading the Clerk's index…"):
            records, notes = fetcher().indexes(check_years)
        for note in notes:
            st.warning(note)
        known = known_doc_ids(shelf, workspace()) if shelf else set()
        new, waiting = still_missing(new_filings(records, [item.member for item in watched], known), fetcher())
        for note in waiting:
            st.info(note)
        if not new:
            st.success("No new filings." if records else "Nothing checked: the index could not be had.")
        else:
            st.subheader(f"{len(new)} new filing(s)")
            ptr_table(new)
            read_live(download_all(new))

st.divider()
st.caption("Senate reports: eFD (efdsearch.senate.gov) needs a browser session, so TradeTrace does not fetch them. "
           "Open the report there, save the page (Ctrl+S, \"Webpage, HTML only\") or print it to PDF, and upload it "
           "on the Extract page.")
