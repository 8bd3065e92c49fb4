"""What every page shares: the session's workspace and results, the store, the sidebar's settings (the LLM, with
a check that its endpoint answers, and OCR). Logic lives in agent/; this module only wires widgets to it."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import uuid
from pathlib import Path

import pandas as pd
import streamlit as st

from agent.analysis.fit import InvestorProfile
from agent.documents import ocr
from agent.errors import StoreError
from agent.export import to_dataframe
from agent.models import InputFile
from agent.run.endpoint_check import EndpointCheck, check_endpoint
from agent.run.llm import LLMConfig
from agent.run.result import RunResult
from agent.store.runs import RunStore

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "samples"


def data_dir() -> Path:
    return Path(os.environ.get("TRADETRACE_DATA_DIR", ROOT / "data"))


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
        return _store(str(data_dir() / "history.sqlite3"))
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
            stored = history.load_profile(workspace()) if history else None
        except StoreError:
            stored = None
        st.session_state["profile"] = InvestorProfile.from_dict(stored) if stored else None
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
