"""What every page shares: the session's workspace and results, the store, the sidebar's settings (the LLM, with
a check that its endpoint answers, and OCR). Logic lives in agent/; this module only wires widgets to it."""

from __future__ import annotations

import contextlib
import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import streamlit as st

from agent.analysis.fit import InvestorProfile
from agent.ask.profile import remembered_profile
from agent.documents import ocr
from agent.errors import StoreError
from agent.export import investor_table, to_dataframe
from agent.models import InputFile
from agent.run.endpoint_check import EndpointCheck, check_endpoint
from agent.run.llm import LLMConfig
from agent.run.result import RunResult
from agent.store.library import Library, LibraryStats, filing_key
from agent.store.paths import history_path
from agent.store.runs import RunStore

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "samples"
Scope = Literal["run", "library"]
SCOPES: dict[Scope, str] = {"run": "This run", "library": "The whole library"}
SCOPE_KEY = "scope"  # the scope chosen, kept apart from its widget (which Streamlit drops on another page)
SCOPE_WIDGET = "scope_switch"
LIBRARY_ERROR = "library_error"  # why the library's rows could not be read, on this rerun
PROFILE_ERROR = "profile_error"  # why the remembered profile could not be read, until it is forgotten or replaced


@st.cache_resource
def _store(path: str) -> RunStore:
    store = RunStore(Path(path))
    # Runs left 'running' by a server that is gone (agent/store/lease.py). A read-only history still opens for
    # reading; the first write the user makes says why it fails.
    with contextlib.suppress(StoreError):
        store.mark_interrupted()
    return store


def store() -> RunStore | None:
    """The run history, or None (with the reason shown once) when it cannot be opened."""
    try:
        return _store(str(history_path()))
    except StoreError as exc:
        st.session_state.setdefault("store_error", str(exc))
        return None


def workspace() -> str:
    """This browser's private workspace: a random token kept in the page URL (?w=...), so a reload or a
    restart finds the same history and nobody else's. Streamlit drops query parameters when the user
    switches pages, so the session keeps the token too and puts it back in the URL."""
    token = st.query_params.get("w", "")
    if not _valid_token(token):
        token = st.session_state.get("workspace", "")
    if not _valid_token(token):
        token = secrets.token_hex(16)
    st.session_state["workspace"] = token
    if st.query_params.get("w") != token:
        st.query_params["w"] = token
    return token


def _valid_token(token: str) -> bool:
    return len(token) == 32 and token.isalnum()


def new_run_id() -> str:
    return uuid.uuid4().hex


def current_result() -> RunResult | None:
    return st.session_state.get("result")


def set_result(result: RunResult, files: list[InputFile], run_id: str) -> None:
    st.session_state["result"] = result
    st.session_state["files"] = {item.name: item.data for item in files}
    st.session_state["run_id"] = run_id


def transactions_frame() -> pd.DataFrame:
    result = current_result()
    return to_dataframe(result.filings if result else [])


def library_at(path: str) -> Library:
    """The library in the history file at `path` (raises StoreError when it cannot be opened)."""
    return Library.for_store(_store(path))


def library() -> Library | None:
    """The library in the history's file, or None when the history cannot be opened (its reason shown once)."""
    history = store()
    return Library.for_store(history) if history else None


def library_version(shelf: Library) -> tuple[float, ...]:
    """What changes whenever this workspace's library does (Library.version), the key of the cached frames below."""
    return shelf.version(workspace())


@st.cache_resource(max_entries=8, show_spinner=False)
def library_stats(path: str, token: str, version: tuple[float, ...]) -> LibraryStats:
    """The library's counts (Library.stats), once per change of the library."""
    return library_at(path).stats(token)


@st.cache_resource(max_entries=2, show_spinner=False)
def _current_rows(path: str, token: str, version: tuple[float, ...]) -> pd.DataFrame:
    """Every current row of the library, every column, read once per change (the version is only the cache key).
    Shared by the workspace's sessions and never changed by a page: every view copies what it changes."""
    return library_at(path).rows(token)


def library_frame() -> pd.DataFrame:
    """The library's current rows, read once per change of the library: 100,000 rows take seconds to read."""
    shelf = library()
    if shelf is None:
        return to_dataframe([])
    try:
        frame = _current_rows(str(history_path()), workspace(), library_version(shelf))
    except StoreError as exc:
        st.session_state[LIBRARY_ERROR] = f"The library cannot be read: {exc}"
        return to_dataframe([])
    st.session_state.pop(LIBRARY_ERROR, None)
    return frame


@st.cache_resource(max_entries=4, show_spinner=False)
def _library_table(path: str, token: str, version: tuple[float, ...], all_columns: bool) -> pd.DataFrame:
    return investor_table(_current_rows(path, token, version), all_columns)


@dataclass(frozen=True)
class ScopedRows:
    """The rows a page shows, what they are, and what to say when there are none."""

    scope: Scope
    frame: pd.DataFrame
    what: str  # "this run: 25 rows of 3 filings"
    empty: str
    note: str = ""  # a sentence the rows need beside them (a run's rows an amendment restates)

    def table(self, rows: pd.DataFrame, all_columns: bool) -> pd.DataFrame:
        """The Transactions table of `rows` (some of this scope's frame, by its index). The library's is made once
        per change of the library: at 100,000 rows the table's words take seconds."""
        shelf = library() if self.scope == "library" else None
        if shelf is None:
            return investor_table(rows, all_columns)
        key = (str(history_path()), workspace(), library_version(shelf))
        return _library_table(*key, all_columns).loc[rows.index]

    def source_data(self, row: pd.Series) -> bytes | None:
        """The bytes of the file a row was read from: this session's upload, or the library's copy."""
        if self.scope == "run":
            files: dict[str, bytes] = st.session_state.get("files", {})
            return files.get(str(row["source_file"]))
        shelf = library()
        if shelf is None:
            return None
        sha = {item.filing_key: item.sha256 for item in shelf.filings(workspace())}.get(str(row["filing_key"]))
        return shelf.file_data(workspace(), sha) if sha else None


def _keep_scope() -> None:
    st.session_state[SCOPE_KEY] = st.session_state[SCOPE_WIDGET]


def set_scope(scope: Scope) -> None:
    st.session_state[SCOPE_KEY] = scope


def current_scope() -> Scope:
    scope: Scope = st.session_state.get(SCOPE_KEY, "run")
    return scope


def scope_switch() -> ScopedRows:
    """The one switch between this run's rows and the whole library's, shared by the Transactions, Charts and Risk
    profile pages (the choice lasts across them), and the rows it chooses."""
    st.session_state[SCOPE_WIDGET] = current_scope()
    st.radio("Rows", list(SCOPES), format_func=SCOPES.__getitem__, key=SCOPE_WIDGET, horizontal=True,
             on_change=_keep_scope, label_visibility="collapsed",
             help="This run: the rows of the run on the Extract page (or reopened from History). The whole library: "
                  "every current row of every filing read in this workspace; superseded versions are left out.")
    scoped = scoped_rows(current_scope())
    if scoped.note:
        st.caption(scoped.note)
    return scoped


def scoped_rows(scope: Scope) -> ScopedRows:
    if scope == "library":
        frame = library_frame()
        files = frame["source_file"].nunique()
        empty = st.session_state.get(LIBRARY_ERROR) or ("The library is empty: every run adds its filings to it. "
                                                         "Run an extraction first, or switch to this run.")
        return ScopedRows(scope, frame, f"the whole library: {len(frame)} current rows of {files} filings", empty)
    result = current_result()
    frame = transactions_frame()
    empty = "No transactions yet: run an extraction first (or reopen a run from History)."
    if result is not None and not frame.empty:
        what = f"this run: {len(frame)} rows of {frame['source_file'].nunique()} filings"
        return ScopedRows(scope, frame, what, empty, _restated_in_run(result))
    return ScopedRows(scope, frame, "this run: no rows", empty)


def _restated_in_run(result: RunResult) -> str:
    """A run's rows are as filed: say how many of them an amendment restates, which the library counts once."""
    shelf = library()
    if shelf is None:
        return ""
    try:
        restated = shelf.superseded_count(workspace(), (filing_key(filing) for filing in result.filings))
    except StoreError:
        return ""
    if not restated:
        return ""
    return (f"{restated} of this run's rows {'is' if restated == 1 else 'are'} restated by a later amendment: the "
            "whole library counts the amendment's version instead.")


def rows_context() -> str:
    """What the rows on screen are: this scope and, for a run, which run. Filters and the selected row start
    afresh when it changes."""
    return f"run:{st.session_state.get('run_id', '')}" if current_scope() == "run" else "library"


def open_row(source_file: str, row_number: int, scope: Scope) -> None:
    """Show a row, with its source, on the Transactions page (the contract's open_row)."""
    st.session_state["open_row"] = {"source_file": source_file, "row_number": row_number, "scope": scope}
    st.switch_page("pages/transactions_page.py")


def llm_config() -> LLMConfig:
    """Sidebar values first, then Streamlit secrets, then the environment. The key stays in this session."""
    try:
        secret_values = {key: st.secrets[key] for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL")
                         if key in st.secrets}
    except FileNotFoundError:
        secret_values = {}
    return LLMConfig.from_sources(secrets=secret_values, api_key=st.session_state.get("llm_api_key"),
                                  base_url=st.session_state.get("llm_base_url"),
                                  model=st.session_state.get("llm_model"))


def _keep_key() -> None:
    """Move a typed key out of the widget, so it is never sent back to the page; then check the endpoint with it."""
    st.session_state["llm_api_key"] = st.session_state.pop("llm_key_input", "") or st.session_state.get("llm_api_key")
    st.session_state["llm_key_input"] = ""
    _check_endpoint()


def _check_endpoint() -> None:
    """Ask the endpoint for its models, once per user action (a setting changed, or the Check button): the answer
    is kept per endpoint and model, so reruns never call it again."""
    config = llm_config()
    if config.configured:
        st.session_state.setdefault("endpoint_checks", {})[(config.base_url, config.model)] = check_endpoint(config)


def _endpoint_status(config: LLMConfig) -> None:
    """What the last check of this endpoint and model said, and a button to check (again)."""
    checked: EndpointCheck | None = st.session_state.get("endpoint_checks", {}).get((config.base_url, config.model))
    if checked is None:
        st.caption("Endpoint not checked yet.")
    elif checked.answers:
        st.caption(f"✅ The endpoint {checked.message}.")
    else:
        st.caption(f"❌ The endpoint does not answer: {checked.message}. Runs fall back to the offline brain.")
    st.button("Check the endpoint", on_click=_check_endpoint, help="A quick call listing the endpoint's models.")


def sidebar() -> None:
    with st.sidebar:
        st.subheader("Brain")
        st.toggle("Use an LLM (OpenAI-compatible)", key="llm_use",
                  help="Off: the offline brain does the whole job, with no key.")
        if st.session_state.get("llm_use"):
            st.text_input("Endpoint (base URL)", key="llm_base_url", on_change=_check_endpoint,
                          placeholder="empty for OpenAI; http://localhost:11434/v1 for Ollama")
            st.text_input("Model", key="llm_model", placeholder="gpt-4o-mini", on_change=_check_endpoint)
            st.text_input("API key", type="password", key="llm_key_input", on_change=_keep_key,
                          placeholder="a key is set for this session" if st.session_state.get("llm_api_key")
                          else "kept in this session only",
                          help="Never stored, logged or shown again.")
            config = llm_config()
            st.caption(f"LLM brain: {config.model} at {config.base_url or 'api.openai.com'}" if config.configured
                       else "No key or endpoint yet: runs use the offline brain.")
            if config.configured:
                _endpoint_status(config)
        else:
            st.caption("Offline brain: deterministic parser, validators and critic. No key needed.")
        st.subheader("Scanned filings")
        st.session_state.setdefault("ocr_use", ocr.available())  # on wherever tesseract is installed
        st.toggle("Read them with OCR", key="ocr_use", disabled=not ocr.available(),
                  help="On: tesseract reads typed grids (a few seconds a page); a value not confirmed by a "
                       "second reading is flagged for review, and handwritten pages are reported as needing "
                       "review. Off: scanned filings are reported as needing OCR."
                       + ("" if ocr.available() else f" {ocr.MISSING_MESSAGE}."))
        if st.session_state.get("store_error"):
            st.warning(st.session_state["store_error"])


def use_llm() -> bool:
    return bool(st.session_state.get("llm_use")) and llm_config().configured


# The characters that can start Markdown or HTML anywhere in a line (line-start-only syntax cannot occur:
# trace lines start with their step number).
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>|~$#])")


def md_escape(text: str) -> str:
    """Show text (file names, document text) literally: Streamlit renders labels and lines as Markdown."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def saved_profile() -> InvestorProfile | None:
    """The investor profile of this workspace: this session's, else the one saved in history."""
    if "profile" not in st.session_state:
        history = store()
        try:
            st.session_state["profile"] = remembered_profile(history, workspace()) if history else None
        except StoreError as exc:
            st.session_state["profile"] = None
            st.session_state[PROFILE_ERROR] = f"The remembered profile cannot be read: {exc}."
            st.warning(f"{st.session_state[PROFILE_ERROR]} State your profile again (Risk profile page or Ask) to "
                       "replace it.")
    return st.session_state["profile"]


def money_range(low: float, high: float | None) -> str:
    """A compact dollar range for metrics: "$4.86M – $5.21M" (an open top reads "+")."""
    def short(value: float) -> str:
        for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if abs(value) >= limit:
                return f"${value / limit:.3g}{suffix}"
        return f"${value:,.0f}"
    return f"{short(low)} – {short(high)}" if high is not None else f"{short(low)} +"


def empty_state(message: str) -> None:
    st.info(message)
    st.page_link("pages/extract_page.py", label="Go to Extract", icon="📄")
