"""The offline brain: deterministic, so the same files give the same steps and the same thoughts.

Its path (`standard_step`, which the LLM brain follows too) is: inspect the file, read it with the format
that claims it (the format registry decides, never this module), validate, finish. Its thoughts are built
from what the tools returned. Flagged rows go to the rule-based critic.
"""

from __future__ import annotations

from collections.abc import Generator

from agent.run.brain import Decision, FileState, HandOver, Steps
from agent.run.critic import rule_based_review
from agent.run.events import Event, Plan
from agent.run.tools import Inspection, LLMRowsRead, OcrRead, RowsRead, RunContext, Validation


def _pages(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers))


class OfflineBrain:
    """Deterministic: same input, same steps and thoughts."""

    name = "offline"
    model = ""

    def __init__(self, note: str = "No LLM endpoint configured: the offline brain runs every step."):
        self.note = note

    def plan(self, ctx: RunContext) -> Generator[Event, None, Plan]:
        steps = ["inspect each file (pages, text layer, filing format)",
                 "read each known format with its deterministic reader",
                 "validate every value against its page", "review flagged rows against their source lines",
                 "summarise the trades and prepare the downloads"]
        return Plan(text=f"Read {len(ctx.files)} file(s) one by one: " + "; ".join(steps) + ".", steps=steps)
        yield  # a generator like every brain method

    def next_step(self, ctx: RunContext, state: FileState) -> Steps:
        step = standard_step(state, can_read_unknown=False, can_ocr=ctx.ocr)
        assert isinstance(step, Decision)  # HandOver needs a model: never given without one
        return step
        yield

    def model_work(self, ctx: RunContext, state: FileState) -> str:
        return ""  # no model to wait for

    def reflect(self, ctx: RunContext, state: FileState) -> Generator[Event, None, None]:
        filing = ctx.filings.get(state.file)
        for row in filing.transactions if filing else []:
            if row.flags:
                yield rule_based_review(row)


def standard_step(state: FileState, can_read_unknown: bool, can_ocr: bool = False) -> Decision | HandOver:
    """The deterministic path: inspect, read with the format that claims the file, validate, finish.
    Thoughts come from the tools' results."""
    file = state.file
    inspection = state.last_data(Inspection)
    if inspection is None:
        if state.steps:  # inspect_pdf failed: the file cannot be read
            return Decision(f"{file} could not be opened ({state.steps[-1][1].error}); nothing more to do with it.")
        return Decision(f"Start by inspecting {file}: its pages, whether they carry a text layer, and which filing "
                        "format it is.", "inspect_pdf", {"file": file})
    if inspection.format is None:
        if can_read_unknown:
            return HandOver("no known filing format claims it")
        if state.last_data(LLMRowsRead) is None:
            return Decision(f"{file} is no filing format the deterministic readers know ("
                            + "; ".join(f"{d.format}: {'; '.join(d.reasons)}" for d in inspection.detections)
                            + "). The offline brain has no reader for it, so the file is flagged for review (an LLM "
                            "endpoint could read it).")
    elif inspection.reads_images:
        return _scanned_step(state, inspection, can_read_unknown, can_ocr)
    rows = state.last_data(RowsRead)
    attempt = state.tried("extract_known_layout")
    if rows is None and attempt is not None and not attempt.ok:
        return Decision(f"The {inspection.format_label} reader could not read {file} ({attempt.error}); nothing "
                        "more to do with it.")
    if rows is None and inspection.format is not None:
        why = "; ".join(next(d for d in inspection.detections if d.matches).reasons)
        expect = (f"; {inspection.expected_rows} {inspection.expected_from}, so I expect {inspection.expected_rows} "
                  "row(s)" if inspection.expected_rows is not None else "")
        return Decision(f"{inspection.pages} page(s) with text; {inspection.format_label} ({why}){expect}. The "
                        "deterministic reader knows this format: no model is needed for the rows.",
                        "extract_known_layout", {"file": file})
    validation = state.last_data(Validation)
    if validation is None:
        if rows is None:  # read by the LLM; validate_rows is still owed
            return Decision("Next: ground every value in its page's text and cross-check the rows.", "validate_rows",
                            {"file": file})
        notes = [f"page {_pages(pages[1:])} continues row {number}" for number, pages in rows.rows_across_pages]
        expected = inspection.expected_rows
        match = ("" if expected is None else f", matching the {expected} {inspection.expected_from}"
                 if rows.rows == expected else f", but the filing shows {expected} {inspection.expected_from}")
        return Decision(f"The parser read {rows.rows} row(s){match}." + (f" {'; '.join(notes).capitalize()}."
                        if notes else "") + " Next: ground every value in its page's text and cross-check the rows.",
                        "validate_rows", {"file": file})
    return _verdict(file, validation)


def _scanned_step(state: FileState, inspection: Inspection, can_read_unknown: bool,
                  can_ocr: bool) -> Decision | HandOver:
    file = state.file
    if not can_ocr:
        return Decision(f"None of the {inspection.pages} page(s) has a text layer: a scanned filing. It needs OCR, "
                        "so I report it as needs_ocr rather than as a filing with 0 transactions (OCR is off for "
                        "this run).")
    attempt = state.tried("ocr_pages")
    if attempt is None:
        return Decision(f"None of the {inspection.pages} page(s) has a text layer: a scanned filing "
                        f"({inspection.format_label}). I OCR its pages (orientation first) and read the form, rather "
                        "than report 0 transactions"
                        + (" (pages without the grid are for the LLM to structure)." if can_read_unknown else "."),
                        "ocr_pages", {"file": file, "line_reader": not can_read_unknown})
    if not attempt.ok:
        return Decision(f"OCR could not run ({attempt.error}), so {file} is reported as needs_ocr rather than as a "
                        "filing with 0 transactions.")
    ocr = attempt.data
    assert isinstance(ocr, OcrRead)
    if ocr.pages_without_grid and can_read_unknown:
        return HandOver("the OCR text of pages without the form's grid is for the LLM to structure")
    if not ocr.rows and state.last_data(LLMRowsRead) is None:
        detail = "; ".join(ocr.filing_flags) or "no typed transaction rows were found"
        return Decision(f"OCR read the page(s) but found no rows ({detail}); {file} stays needs_ocr for a human.")
    validation = state.last_data(Validation)
    if validation is None:
        return Decision(f"OCR read {ocr.rows} row(s) from the page images (the scan has no text layer to count "
                        "printed date pairs in). Next: ground every value in the OCR text and cross-check the rows.",
                        "validate_rows", {"file": file})
    return _verdict(file, validation)


def _verdict(file: str, validation: Validation) -> Decision:
    failed = [check for check in validation.checks if not check.passed]
    if not failed and not validation.rows:
        return Decision(f"No rows were read from {file}, so no check had anything to pass; {file} is done.")
    if not failed:
        return Decision(f"All {validation.rows} row(s) passed grounding and cross-checks; {file} is done.")
    findings = "; ".join(f"{check.name}: {check.detail}" for check in failed)
    return Decision(f"{len(validation.flagged_rows)} row(s) flagged ({findings}). Flags stay on the rows; the critic "
                    "re-reads them.")
