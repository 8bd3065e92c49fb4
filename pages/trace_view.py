"""How the agent's events are shown: one trace line per event, and a finished run's trace file by file."""

from __future__ import annotations

import streamlit as st

from agent.run.events import Event
from agent.run.result import RunResult
from pages.common import md_escape

ICONS = {"run_started": "🚀", "plan": "🗺️", "file_started": "📄", "thought": "💭", "tool_call": "🛠️",
         "observation": "👁️", "check": "✅", "reflection": "🔁", "file_finished": "🏁", "final_answer": "📝",
         "error": "⚠️", "run_finished": "🏁"}
STATUS_STATE = {"ok": "complete", "flagged": "complete", "needs_ocr": "error", "failed": "error"}


def event_markdown(event: Event) -> str:
    """One trace line: icon, what happened, how long it took (and tokens in LLM mode)."""
    extra = f" · {event.duration:.2f} s" if event.duration >= 0.005 else ""
    if event.tokens:
        extra += f" · {event.tokens} tokens"
    return f"{ICONS.get(event.type, '•')} **{event.step}.** {md_escape(event.headline)}{extra}"


def render_trace(result: RunResult) -> None:
    """A finished run's trace, file by file, as it was shown live."""
    by_file: dict[str, list[Event]] = {}
    for event in result.events:
        by_file.setdefault(event.file, []).append(event)
    for event in by_file.get("", [])[:2]:
        st.markdown(event_markdown(event))
    for outcome in result.outcomes:
        label = f"{md_escape(outcome.source_file)}: {outcome.status.replace('_', ' ')}, {outcome.rows} row(s)"
        with st.status(label, state=STATUS_STATE[outcome.status], expanded=False):
            for event in by_file.get(outcome.source_file, []):
                st.markdown(event_markdown(event))
    for event in by_file.get("", [])[2:]:
        st.markdown(event_markdown(event))
