"""Extract: upload filings (or try the samples), watch the agent work, see each file's outcome."""

from __future__ import annotations

import streamlit as st

from agent.documents.images import bundle_images
from agent.documents.sandbox import safe_display_name
from agent.errors import StoreError
from agent.models import InputFile
from agent.run.llm import OpenAIChat
from agent.run.llm_brain import LLMBrain
from agent.run.loop import Agent
from agent.run.offline_brain import OfflineBrain
from agent.run.result import RunResult
from agent.store.library import LibraryAdd
from pages.ask_view import ask_box
from pages.common import (
    SAMPLES_DIR,
    current_result,
    library,
    llm_config,
    new_run_id,
    saved_profile,
    set_result,
    store,
    use_llm,
    workspace,
)
from pages.downloads import download_buttons
from pages.library_adds import runs_added, show_library_adds
from pages.trace_view import LiveTrace, render_trace

st.title("Extract transactions")
st.caption("House and Senate Periodic Transaction Reports in, validated and source-linked transactions out. "
           "Every step of the agent is shown as it happens.")

uploads = st.file_uploader(
    "Drop PTRs here: House PDFs, Senate eFD pages (saved from the browser as HTML, or printed to PDF), page images",
    type=["pdf", "html", "htm", "gif", "png", "jpg", "jpeg", "tif", "tiff"], accept_multiple_files=True,
    help="The app checks each file's bytes itself; a broken file never stops the others. On eFD, open the "
         "report and save the page (Ctrl+S, \"Webpage, HTML only\") or print it to PDF.")
one_filing = st.checkbox("These images are one filing", help="Read the uploaded page images (GIF, PNG, JPEG, TIFF) "
                         "as the pages of one report, in file-name order; unticked, each image is a filing of its own.")
left, right = st.columns(2)
run_uploads = left.button("Run extraction", type="primary", disabled=not uploads, width="stretch")
run_samples = right.button("Try the sample filings", width="stretch",
                           help="Generated filings of a fictional filer, shipped with the app: three House PTRs and a "
                                "Senate eFD report.")


def sample_files() -> list[InputFile]:
    # The House PDFs and the Senate report as saved from eFD (its printed PDF is the same report: left out, so its
    # trades are not counted twice).
    paths = [*sorted(SAMPLES_DIR.glob("sample_ptr_*.pdf")), *sorted(SAMPLES_DIR.glob("sample_efd_*.html"))]
    return [InputFile(path.name, path.read_bytes()) for path in paths]


def make_agent() -> Agent:
    history = store()
    if use_llm():
        config = llm_config()
        brain = LLMBrain(OpenAIChat(config), config)
    else:
        brain = OfflineBrain() if not st.session_state.get("llm_use") else OfflineBrain(
            "The LLM toggle is on but no key or endpoint is set: the offline brain runs every step.")
    return Agent(brain, cache=history, ocr=bool(st.session_state.get("ocr_use")))


def save(action, *args) -> None:
    """Write history; if the disk refuses, say so once and keep going (the results stay in the session). The
    first refusal is the one shown: it names the cause, the later ones only follow from it."""
    history = store()
    if history is None:
        return
    try:
        action(history, *args)
    except StoreError as exc:
        st.session_state.setdefault("store_error", str(exc))


def run_live(files: list[InputFile]) -> RunResult:
    st.session_state.pop("store_error", None)  # an earlier run's refusal is no news about this one
    agent = make_agent()
    run_id = new_run_id()
    save(lambda h: h.start_run(workspace(), run_id, agent.brain.name, agent.brain.model, files))
    trace = LiveTrace(len(files))
    streamed = ""
    events = []
    for event in agent.events(files):
        if event.type == "thought_delta":
            streamed += event.text
            trace.stream(event.file, streamed)
            continue
        streamed = ""
        events.append(event)
        save(lambda h, finished=event: h.append_events(run_id, [finished]))
        trace.add(event)
    result = RunResult.from_events(events)
    save(lambda h: h.finish_run(run_id, result))
    set_result(result, files, run_id)
    if st.session_state.get("store_error"):
        st.warning(f"{st.session_state['store_error']}. The results below are complete; download them before "
                   "closing the page.")
    return result


def add_to_library(result: RunResult, files: list[InputFile], run_id: str) -> list[LibraryAdd]:
    """The run's filings into the workspace's library (with their bytes, so a library row shows its page); what the
    library did, or nothing when it cannot be written (the reason shown with the history's)."""
    shelf = library()
    if shelf is None:
        return []
    try:
        return shelf.add(workspace(), result.outcomes, {item.name: item.data for item in files}, run_id)
    except StoreError as exc:
        st.session_state.setdefault("store_error", str(exc))
        return []


def headline(result: RunResult) -> None:
    """The run's first line, green when every file was read cleanly, yellow when something needs a look (a failed
    or scanned file, flags, the LLM falling back), red when no file was read."""
    show = {"success": st.success, "warning": st.warning, "error": st.error}[result.tone]
    show(result.summary.splitlines()[0] if result.summary else "The run did not finish.")


def outcome_table(result: RunResult) -> None:
    st.dataframe(
        [{"file": o.source_file, "status": o.status.replace("_", " "), "rows": o.rows, "flagged rows": o.flagged_rows,
          "filer": o.filing.filer_name if o.filing else "", "filing ID": o.filing.filing_id if o.filing else "",
          "details": o.reason} for o in result.outcomes],
        hide_index=True, width="stretch")


rerun_files = st.session_state.pop("rerun_files", None)  # sent from History
if rerun_files:
    files = rerun_files
elif run_samples:
    files = sample_files()
else:
    files = [InputFile(safe_display_name(u.name), u.getvalue()) for u in uploads or []]
    files = bundle_images(files) if one_filing else files
if rerun_files or run_samples or run_uploads:
    if not files:
        st.error("No sample filings found in samples/: regenerate them with `python samples/make_samples.py`.")
    else:
        result = run_live(files)
        headline(result)
        show_library_adds(add_to_library(result, files, st.session_state["run_id"]))
        download_buttons(result, saved_profile())
        outcome_table(result)
elif (result := current_result()) is not None:
    st.subheader("Last run")
    headline(result)
    st.markdown("\n".join(result.summary.splitlines()[1:]))  # each file's line, under the headline
    show_library_adds(runs_added(st.session_state.get("run_id", "")))
    download_buttons(result, saved_profile())
    outcome_table(result)
    render_trace(result)
else:
    st.info("Upload one or more PTRs (House PDFs, Senate eFD reports saved or printed), or try the bundled sample "
            "filings. No API key is needed: without one, "
            "the offline brain does the whole job and says so in the trace.")

if current_result() is not None:
    st.page_link("pages/transactions_page.py", label="See the transactions", icon="📋")

ask_box("extract", heading="Ask about these filings")
