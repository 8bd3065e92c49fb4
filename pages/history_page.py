"""History: every run of this workspace, kept across restarts; reopen, download, re-run or delete one."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from agent.errors import StoreError
from agent.export import filings_csv
from agent.run.events import to_jsonl
from pages.common import set_result, store, workspace

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

labels = {run.id: (f"{datetime.fromtimestamp(run.created_at):%Y-%m-%d %H:%M:%S} · {run.status} · "
                   f"{len(run.files)} file(s) · {run.rows} row(s) · {run.brain}") for run in runs}
st.dataframe([{"started": datetime.fromtimestamp(run.created_at), "status": run.status, "brain": run.brain,
               "files": ", ".join(f["name"] for f in run.files), "rows": run.rows, "flagged": run.flagged_rows}
              for run in runs], hide_index=True, width="stretch")

chosen = st.selectbox("Run", list(labels), format_func=labels.get)
run = next(item for item in runs if item.id == chosen)
if run.status == "interrupted":
    st.warning("This run was cut short (the app stopped while it ran). Its files are kept: re-run it below.")

result = history.load_result(workspace(), run.id)
buttons = st.columns(4)
if buttons[0].button("Reopen", width="stretch", help="Make this the current run on every page."):
    set_result(result, history.load_files(workspace(), run.id), run.id)
    st.switch_page("pages/transactions_page.py")
buttons[1].download_button("CSV", filings_csv(result.filings), f"run-{run.id[:8]}.csv", "text/csv",
                           width="stretch")
buttons[2].download_button("Trace", to_jsonl(result.events), f"run-{run.id[:8]}.jsonl", "application/jsonl",
                           width="stretch")
if buttons[3].button("Delete", width="stretch"):
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
