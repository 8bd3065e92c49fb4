"""How the agent's events are shown: one trace line per event, and a run's trace file by file, live or finished.

Each file's box holds ONE Markdown element, rewritten with all the file's lines as events arrive. Streamlit's
frontend keeps a block's old children when a block of the same type is drawn at the same place in the next script
run, until that run ends: a box drawn with one element per line showed, below its own lines, the lines of the
earlier run's box at that place (another file's steps). One element, always written, leaves nothing stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from agent.run.events import CachedTrace, Check, Event, FileFinished
from agent.run.result import RunResult
from pages.common import md_escape

ICONS = {"run_started": "🚀", "plan": "🗺️", "file_started": "📄", "thought": "💭", "tool_call": "🛠️",
         "observation": "👁️", "check": "✅", "reflection": "🔁", "file_finished": "🏁", "cached_trace": "🗄️",
         "final_answer": "📝", "error": "⚠️", "run_finished": "🏁"}
FAILED_CHECK_ICON = "🚩"
# A flagged file was read, but rows need a human: not an error (red, as a failed file), yet not the plain green
# tick of a clean read either; its label starts with a warning sign.
STATUS_STATE = {"ok": "complete", "flagged": "complete", "needs_ocr": "error", "failed": "error"}
STATUS_MARK = {"flagged": "⚠️ "}


def event_markdown(event: Event) -> str:
    """One trace line: icon, what happened, how long it took (and tokens in LLM mode)."""
    extra = f" · {event.duration:.2f} s" if event.duration >= 0.005 else ""
    if event.tokens:
        extra += f" · {event.tokens} tokens"
    icon = FAILED_CHECK_ICON if isinstance(event, Check) and not event.passed else ICONS.get(event.type, "•")
    return f"{icon} **{event.step}.** {md_escape(event.headline)}{extra}"


def trace_lines(event: Event) -> list[str]:
    """The event's lines: a cached file's steps follow, quoted, as the run that read it took them."""
    lines = [event_markdown(event)]
    if isinstance(event, CachedTrace):
        lines += [f"> {event_markdown(replayed)}" for replayed in event.replayed]
    return lines


def box_label(file: str, status: str, rows: int, flagged: int) -> str:
    mark = STATUS_MARK.get(status, "")
    return f"{mark}{md_escape(file)}: {status.replace('_', ' ')}, {rows} row(s), {flagged} flagged"


@dataclass
class TraceBox:
    """A block of trace lines shown by one Markdown element (see the module's docstring)."""

    element: DeltaGenerator
    lines: list[str] = field(default_factory=list)

    def add(self, event: Event) -> None:
        self.lines += trace_lines(event)
        self.show()

    def show(self, streaming: str = "") -> None:
        """Redraw the lines, with the thought the LLM is streaming (if any) last."""
        self.element.markdown("\n\n".join(self.lines + ([f"💭 {md_escape(streaming)}▌"] if streaming else [])))


class LiveTrace:
    """A run's trace as it happens: run-level lines above and below, one box per file. Events go to their file's
    box by name, so a file whose steps resume after other files (an LLM's later turns) never writes in another's."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.progress = st.progress(0.0, text=f"0 of {total} file(s) done")
        self.header = TraceBox(st.empty())
        self.tail: TraceBox | None = None
        self.boxes: dict[str, tuple[DeltaGenerator, TraceBox]] = {}

    def _box_of(self, file: str) -> TraceBox:
        if file not in self.boxes:
            status = st.status(f"{md_escape(file)}: working…", expanded=True)
            self.boxes[file] = status, TraceBox(status.empty())
        return self.boxes[file][1]

    def _run_box(self) -> TraceBox:
        """Run-level lines go above the files until one has started, then below them."""
        if not self.boxes:
            return self.header
        if self.tail is None:
            self.tail = TraceBox(st.empty())
        return self.tail

    def stream(self, file: str, text: str) -> None:
        (self._box_of(file) if file else self._run_box()).show(text)

    def add(self, event: Event) -> None:
        box = self._box_of(event.file) if event.file else self._run_box()
        box.add(event)
        if isinstance(event, FileFinished):
            status, _ = self.boxes[event.file]
            status.update(label=box_label(event.file, event.status, event.rows, event.flagged_rows),
                          state=STATUS_STATE[event.status], expanded=False)
            self.done += 1
            self.progress.progress(self.done / self.total, text=f"{self.done} of {self.total} file(s) done")


def render_trace(result: RunResult) -> None:
    """A finished run's trace, file by file, as it was shown live."""
    by_file: dict[str, list[str]] = {}
    header: list[str] = []
    tail: list[str] = []
    for event in result.events:
        if event.file:
            by_file.setdefault(event.file, []).extend(trace_lines(event))
        else:
            (tail if by_file else header).extend(trace_lines(event))
    TraceBox(st.empty(), header).show()
    for outcome in result.outcomes:
        label = box_label(outcome.source_file, outcome.status, outcome.rows, outcome.flagged_rows)
        with st.status(label, state=STATUS_STATE[outcome.status], expanded=False):
            TraceBox(st.empty(), by_file.get(outcome.source_file, [])).show()
    TraceBox(st.empty(), tail).show()
