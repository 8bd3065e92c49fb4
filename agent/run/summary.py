"""The run's closing account, built only from its outcomes (every number traceable to the rows)."""

from __future__ import annotations

from agent.models import FileOutcome

STATUS_WORDS = {"ok": "read cleanly", "flagged": "read with flags", "needs_ocr": "scanned: needs OCR",
                "failed": "failed"}
# Files the run could not read, as the headline counts them: (one file, several files).
UNREAD_WORDS = {"failed": ("failed", "failed"), "needs_ocr": ("needs OCR", "need OCR")}
# Outcomes that cut the run itself short; the others (max_steps, repeated_call) are one file's bound, which ended
# the agent's work on that file while the run went on to the rest.
RUN_STOPS = frozenset({"time_budget", "cancelled"})


def headline(outcomes: list[FileOutcome], fallback: str = "") -> str:
    """The run in one line: every file counted, the ones not read named, and a fallback of the LLM said."""
    rows = sum(outcome.rows for outcome in outcomes)
    flagged = sum(outcome.flagged_rows for outcome in outcomes)
    text = f"Read {len(outcomes)} file(s): {rows} transaction(s), {flagged} flagged for review"
    for status, (one, several) in UNREAD_WORDS.items():
        names = [outcome.source_file for outcome in outcomes if outcome.status == status]
        if names:
            text += f"; {len(names)} {one if len(names) == 1 else several} ({', '.join(names)})"
    if fallback:
        text += f"; the LLM brain fell back to the offline brain, which finished the run ({fallback})"
    return text + "."


def run_summary(outcomes: list[FileOutcome], run_outcome: str = "completed", fallback: str = "") -> str:
    """A short Markdown account of the run: per file, what was read and what needs a human. `fallback`: why the
    LLM brain handed the run to the offline brain ('' when it did not)."""
    lines = [headline(outcomes, fallback)]
    if run_outcome in RUN_STOPS:
        lines.append(f"The run stopped early ({run_outcome.replace('_', ' ')}); the work done so far is kept.")
    elif run_outcome != "completed":
        lines.append(f"Every file was processed; a per-file bound ({run_outcome.replace('_', ' ')}) ended the "
                     "agent's work on a file, which keeps what was read and says so below.")
    for outcome in outcomes:
        filing = outcome.filing
        who = f" ({filing.filer_name}, filing {filing.filing_id})" if filing and filing.filer_name else ""
        detail = f": {outcome.reason}" if outcome.reason else ""  # an ok file's reason is a note (an amendment)
        lines.append(f"- {outcome.source_file}{who}: {outcome.rows} row(s), {STATUS_WORDS[outcome.status]}{detail}")
    return "\n".join(lines)
