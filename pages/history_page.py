"""History: every run of this workspace, kept across restarts; reopen, download, re-run or delete one; what each
run added to the library."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from agent.errors import StoreError
from pages.common import saved_profile, set_result, store, workspace
from pages.downloads import download_buttons
from pages.library_adds import runs_added, show_library_adds

st.title("History")
history = store()
if history is None:
    st.error(st.session_state.get("store_error", "The history database cannot be opened."))
    st.stop()

try:
    runs = history.list_runs(workspace())
except StoreError as exc:
    st.error(str(exc))
    st.stop()
if not runs:
    st.info("No runs yet in this workspace. Runs are saved here as they happen and survive restarts; "
            "bookmark this page's address to come back to them.")
    st.stop()

started = {run.id: f"{datetime.fromtimestamp(run.created_at):%Y-%m-%d %H:%M:%S}" for run in runs}


def rerun_words(rerun_of: str) -> str:
    """'' for a first run of its files; else which run first read the same files (by their bytes)."""
    return f"re-run of {started[rerun_of]}" if rerun_of else ""


labels = {run.id: " · ".join(filter(None, [started[run.id], run.status_text, rerun_words(run.rerun_of),
                                           f"{len(run.files)} file(s)", f"{run.rows} row(s)", run.brain]))
          for run in runs}
st.dataframe([{"started": datetime.fromtimestamp(run.created_at), "status": run.status_text,
               "re-run": rerun_words(run.rerun_of), "brain": run.brain,
               "files": ", ".join(str(f["name"]) for f in run.files), "rows": run.rows, "flagged": run.flagged_rows}
              for run in runs], hide_index=True, width="stretch",
             column_config={"re-run": st.column_config.TextColumn(
                 help="The same files (the same bytes) as an earlier run: its rows are not new trades.")})

chosen = st.selectbox("Run", list(labels), format_func=labels.get)
run = next(item for item in runs if item.id == chosen)
if run.status == "interrupted":
    st.warning("This run was cut short (the app stopped while it ran). Its files are kept: re-run it below.")

if run.rerun_of:
    st.info(f"A re-run of the run of {started[run.rerun_of]}: the same files, byte for byte, so its rows are the "
            "same trades, not new ones.")

result = history.load_result(workspace(), run.id)
download_buttons(result, saved_profile(), f"run-{run.id[:8]}")
buttons = st.columns(2)
if buttons[0].button("Reopen", width="stretch", help="Make this the current run on every page."):
    set_result(result, history.load_files(workspace(), run.id), run.id)
    st.switch_page("pages/transactions_page.py")
if buttons[1].button("Delete", width="stretch"):
    try:
        history.delete_run(workspace(), run.id)
    except StoreError as exc:
        st.error(f"The run was not deleted ({exc}).")
        st.stop()
    if st.session_state.get("run_id") == run.id:
        st.session_state.pop("result", None)
    st.rerun()

if st.button("Re-run these files", help="Run the stored files again, without uploading them."):
    st.session_state["rerun_files"] = history.load_files(workspace(), run.id)
    st.switch_page("pages/extract_page.py")

st.markdown(result.summary or run.summary or "_No summary: the run did not finish._")
show_library_adds(runs_added(run.id))
