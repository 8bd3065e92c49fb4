"""The run's closing account, built only from its outcomes (every number traceable to the rows)."""

from __future__ import annotations

from agent.models import FileOutcome

STATUS_WORDS = {"ok": "read cleanly", "flagged": "read with flags", "needs_ocr": "scanned: needs OCR",
                "failed": "failed"}


def run_summary(outcomes: list[FileOutcome], run_outcome: str = "completed") -> str:
    """A short Markdown account of the run: per file, what was read and what needs a human."""
    rows = sum(outcome.rows for outcome in outcomes)
    flagged = sum(outcome.flagged_rows for outcome in outcomes)
    lines = [f"Read {len(outcomes)} file(s): {rows} transaction(s), {flagged} flagged for review."]
    if run_outcome != "completed":
        lines.append(f"The run stopped early ({run_outcome.replace('_', ' ')}); the work done so far is kept.")
    for outcome in outcomes:
        filing = outcome.filing
        who = f" ({filing.filer_name}, filing {filing.filing_id})" if filing and filing.filer_name else ""
        detail = f": {outcome.reason}" if outcome.reason else ""  # an ok file's reason is a note (an amendment)
        lines.append(f"- {outcome.source_file}{who}: {outcome.rows} row(s), {STATUS_WORDS[outcome.status]}{detail}")
    return "\n".join(lines)
