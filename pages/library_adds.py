"""What the library did with a run's files, as the Extract and History pages say it: one line of counts, then each
file's own line (added, already there, replaced or superseding another, not stored and why)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import streamlit as st

from agent.errors import StoreError
from agent.store.library import LibraryAdd
from pages.common import library, md_escape, workspace

ACTION_WORDS = {"added": "added", "replaced": "replaced an earlier reading", "already_there": "already there",
                "not_stored": "not stored"}


def library_line(adds: Sequence[LibraryAdd]) -> str:
    """"Library: 2 files added, 1 already there." A run whose every file was already there says so instead."""
    counts = Counter(add.action for add in adds)
    if counts["already_there"] == len(adds):
        return (f"Library: {'the file was' if len(adds) == 1 else f'all {len(adds)} files were'} already there "
                "(the same bytes): nothing added, no copies made.")
    parts = [f"{counts[action]} {ACTION_WORDS[action]}" for action in ACTION_WORDS if counts[action]]
    return f"Library: of {len(adds)} file(s), {', '.join(parts)}."


def runs_added(run_id: str) -> list[LibraryAdd]:
    """What the library did with a run's files ([] for a run from before the library, or an unreadable one)."""
    shelf = library()
    try:
        return shelf.runs_added(workspace(), run_id) if shelf and run_id else []
    except StoreError:
        return []


def show_library_adds(adds: Sequence[LibraryAdd]) -> None:
    """The counts, each file's line folded under them, and a way to the library."""
    if not adds:
        return
    st.markdown(f"📚 {library_line(adds)}")
    with st.expander("What the library did with each file"):
        # An arrow, not "name:", which is how the run's own status box of each file reads.
        st.markdown("\n".join(f"- **{md_escape(add.source_file)}** → {md_escape(add.message)}" for add in adds))
    st.page_link("pages/library_page.py", label="Open the library", icon="📚")
