"""All checks of a filing: each row grounded and cross-checked, and the filing as a whole (its row count against
what it prints, pages left unread, hidden text); rows are flagged, never dropped."""

from __future__ import annotations

from agent.checks.cross import cross_check_row, duplicate_flags
from agent.checks.grounding import PageIndex, ground_row
from agent.checks.row_forms import filing_format
from agent.checks.senate import senate_flags, summary_flags
from agent.documents.pdf import Document
from agent.formats.house_ptr import count_date_pairs
from agent.models import Filing, Flag


def hidden_text_flag(document: Document) -> Flag | None:
    """Text drawn so that no reader sees it (white, or an invisible render mode) was left out of every reading:
    say so, as it is how a fake row or instructions to an LLM get slipped past a reader (a scan's own OCR
    layer is drawn invisibly too: it is not trusted either, and the page reads as a scan)."""
    counts = [f"{len(page.hidden_words)} invisible word(s) on page {page.number}"
              for page in document.pages if page.hidden_words]
    if not counts:
        return None
    how = ("hidden by the page's markup" if document.kind == "html"
           else "drawn white or in an invisible text render mode")
    return Flag("hidden_text", "; ".join(counts) + f" ignored ({how})")


def _add_new(flags: list[Flag], found: list[Flag]) -> None:
    flags.extend(flag for flag in found if flag not in flags)


def validate_filing(filing: Filing, document: Document) -> Filing:
    """Run every check on a parsed filing; flags go on the rows and on the filing. Running it again (a model
    may validate twice) adds no flag a row or the filing already has."""
    index = PageIndex(document)
    reader = filing_format(filing)
    for row in filing.transactions:
        printed = reader.printed_forms(row) if reader else None
        _add_new(row.flags, [*ground_row(row, index, printed), *cross_check_row(row)])
    for row, flag in duplicate_flags(filing.transactions):
        _add_new(row.flags, [flag])
    found = []
    if filing.layout == "llm_read" and filing.chamber == "senate":
        found.extend(summary_flags(filing, document))
    elif filing.layout in ("house_ptr", "house_ptr_legacy", "llm_read"):
        pairs = count_date_pairs(document)
        if pairs != len(filing.transactions):
            found.append(Flag("row_count_mismatch",
                              f"{len(filing.transactions)} rows read but the pages print {pairs} date pairs"))
    if filing.layout == "senate_efd":
        report_flags, row_flags = senate_flags(filing, document)
        found.extend(report_flags)
        for row, flag in row_flags:
            _add_new(row.flags, [flag])
    if filing.image_only_pages and filing.layout != "scanned":
        pages = ", ".join(map(str, filing.image_only_pages))
        found.append(Flag("pages_need_ocr", f"page(s) {pages} have no text layer; their rows are not read"))
    if filing.layout == "unknown" and document.pages:
        found.append(Flag("layout_unknown", "no transaction table of a known filing format (House PTR, Senate eFD) "
                          "was found"))
    if hidden := hidden_text_flag(document):
        found.append(hidden)
    _add_new(filing.flags, found)
    return filing
