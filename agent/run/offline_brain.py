"""The offline brain: a deterministic planner."""

from __future__ import annotations

from typing import Generator

from agent.run.brain import Decision, FileState, Steps
from agent.run.critic import rule_based_review
from agent.run.events import Event, Plan
from agent.run.tools import RunContext


def _pages(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers))


class OfflineBrain:
    """Deterministic: same input, same steps and thoughts."""

    name = "offline"
    model = ""

    def __init__(self, note: str = "No LLM endpoint configured: the offline brain runs every step."):
        self.note = note

    def plan(self, ctx: RunContext) -> Generator[Event, None, Plan]:
        steps = ["inspect each PDF (pages, text layer, layout)", "read House PTR tables with the deterministic parser",
                 "validate every value against its page", "review flagged rows against their source lines",
                 "summarise the trades and prepare the downloads"]
        return Plan(text=f"Read {len(ctx.files)} file(s) one by one: " + "; ".join(steps) + ".", steps=steps)
        yield  # a generator like every brain method

    def next_step(self, ctx: RunContext, state: FileState) -> Steps:
        return standard_step(state, can_read_unknown=False, can_ocr=ctx.ocr)
        yield

    def reflect(self, ctx: RunContext, state: FileState) -> Generator[Event, None, None]:
        filing = ctx.filings.get(state.file)
        for row in filing.transactions if filing else []:
            if row.flags:
                yield rule_based_review(row)


def standard_step(state: FileState, can_read_unknown: bool, can_ocr: bool = False) -> Decision:
    """The deterministic path: inspect, parse a known layout, validate, finish. Thoughts come from results."""
    file = state.file
    inspection = state.last("inspect_pdf")
    if inspection is None:
        if state.steps:  # inspect_pdf failed: the file cannot be read
            return Decision(f"{file} could not be opened ({state.steps[-1][1].error}); nothing more to do with it.")
        return Decision(f"Start by inspecting {file}: its pages, whether they carry a text layer, and its layout.",
                        "inspect_pdf", {"file": file})
    data = inspection.data
    extracted = state.last("extract_known_layout") or state.last("extract_with_llm")
    if data["layout"] == "scanned" and not can_ocr:
        return Decision(f"None of the {data['pages']} page(s) has a text layer: a scanned filing. It needs OCR, so I "
                        "report it as needs_ocr rather than as a filing with 0 transactions (OCR is experimental and "
                        "off for this run).")
    if data["layout"] == "scanned":
        ocr = next((result for decision, result in reversed(state.steps) if decision.tool == "ocr_pages"), None)
        if ocr is None:
            return Decision(f"None of the {data['pages']} page(s) has a text layer: a scanned filing. I OCR its "
                            "pages (orientation first) and read the typed grid, rather than report 0 transactions"
                            + (" (pages without the grid are for the LLM to structure)." if can_read_unknown else "."),
                            "ocr_pages", {"file": file, "line_reader": not can_read_unknown})
        if ocr.ok and ocr.data.get("pages_without_grid") and can_read_unknown:
            return Decision("", "llm")  # the LLM structures the OCR text of the pages without the grid
        if not ocr.ok:
            return Decision(f"OCR could not run ({ocr.error}), so {file} is reported as needs_ocr rather than as a "
                            "filing with 0 transactions.")
        if not ocr.data["rows"]:
            detail = "; ".join(ocr.data.get("filing_flags") or []) or "no typed transaction rows were found"
            return Decision(f"OCR read the page(s) but found no rows ({detail}); {file} stays needs_ocr for a human.")
        extracted = ocr
        data = {**data, "date_pairs": ocr.data["rows"]}
    if data["layout"] == "unknown" and can_read_unknown:
        return Decision("", "llm")  # the LLM brain takes this file over until it finishes
    if data["layout"] == "unknown" and extracted is None:
        return Decision(f"{file} has a text layer but no House PTR table header. The offline brain has no reader for "
                        "this layout, so the file is flagged for review (an LLM endpoint could read it).")
    if extracted is None:
        pairs = data["date_pairs"]
        return Decision(
            f"{data['pages']} page(s) with text; House PTR table header on page(s) "
            f"{_pages(data['table_header_pages'])};"
            f" {pairs} transaction date pair(s) printed, so I expect {pairs} row(s). The deterministic parser knows "
            "this layout: no model is needed for the rows.", "extract_known_layout", {"file": file})
    validation = state.last("validate_rows")
    if validation is None:
        parsed = extracted.data
        notes = [f"page {_pages(pages[1:])} continues row {number}"
                 for number, pages in parsed.get("rows_across_pages", [])]
        expected = data["date_pairs"]
        count = parsed.get("rows", parsed.get("accepted", 0))
        match = ("matching the printed date pairs" if count == expected
                 else f"but the pages print {expected} date pair(s)")
        return Decision(f"The parser read {count} row(s), {match}." + (f" {'; '.join(notes).capitalize()}." if notes
                        else "") + " Next: ground every value in its page's text and cross-check the rows.",
                        "validate_rows", {"file": file})
    checks = validation.data
    flagged = checks["flagged_rows"]
    failed = [check for check in checks["checks"] if not check["passed"]]
    if not failed:
        return Decision(f"All {checks['rows']} row(s) passed grounding and cross-checks; {file} is done.")
    findings = "; ".join(f"{check['name']}: {check['detail']}" for check in failed)
    return Decision(f"{len(flagged)} row(s) flagged ({findings}). Flags stay on the rows; the critic re-reads them.")
