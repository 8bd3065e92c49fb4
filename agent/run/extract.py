"""The extraction core: bytes of a filing in, a validated FileOutcome out. One file's failure is its own."""

from __future__ import annotations

import time
from pathlib import Path

from agent.checks.validate import validate_filing
from agent.documents.pdf import Document
from agent.documents.sandbox import read_document as sandboxed_read
from agent.errors import InputError
from agent.formats.base import ReadOptions
from agent.formats.registry import recognise, unread_filing
from agent.models import FileOutcome, Filing


def outcome_for(filing: Filing, seconds: float) -> FileOutcome:
    """Classify a parsed filing: needs OCR, flagged (some check fired), or ok."""
    if filing.layout == "scanned":
        reason = f"no text layer on any of its {filing.pages} page(s): a scanned filing, needs OCR"
        if filing.flags:  # what OCR said: engine missing, handwriting, nothing readable
            reason += "; " + "; ".join(flag.message for flag in filing.flags)
        return FileOutcome(filing.source_file, "needs_ocr", reason, filing, seconds)
    if filing.layout == "unknown":  # its flags say what it is instead, or why the LLM read nothing
        reason = "; ".join(flag.message for flag in filing.flags) or "no transactions found"
        return FileOutcome(filing.source_file, "flagged", reason, filing, seconds)
    if filing.all_flags:
        reason = f"{filing.flagged_rows} of {len(filing.transactions)} rows flagged"
        if filing.flags:
            reason += "; " + "; ".join(flag.message for flag in filing.flags)
        return FileOutcome(filing.source_file, "flagged", reason, filing, seconds)
    return FileOutcome(filing.source_file, "ok", "", filing, seconds)


def parse_and_validate(document: Document, data: bytes | None = None) -> Filing:
    """Read the document with the format that claims it, then check it. Formats read from page images need
    `data` (the file's bytes, to render the pages); without it a scan is left unread (needs OCR)."""
    claimed = recognise(document).format
    if claimed is None or (claimed.reads_images and data is None):
        filing = unread_filing(document)
    else:
        filing = claimed.read(document, data or b"", ReadOptions()).filing
    return validate_filing(filing, document)


def extract_bytes(data: bytes, source: str, ocr: bool = False) -> FileOutcome:
    """Read one filing (scanned ones with OCR when `ocr`, which is experimental and slow). Never raises:
    unreadable input and our own bugs both become a failed outcome."""
    started = time.perf_counter()
    try:
        filing = parse_and_validate(sandboxed_read(data, source), data if ocr else None)
    except InputError as exc:
        return FileOutcome(source, "failed", exc.reason, None, time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 (a bug must cost one file, never the batch)
        reason = f"internal error while reading the file ({type(exc).__name__}: {exc})"
        return FileOutcome(source, "failed", reason, None, time.perf_counter() - started)
    return outcome_for(filing, time.perf_counter() - started)


def extract_path(path: Path, ocr: bool = False) -> FileOutcome:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileOutcome(str(path), "failed", f"cannot read the file ({exc.strerror or exc})")
    return extract_bytes(data, path.name, ocr)


FILING_SUFFIXES = (".pdf", ".html", ".htm")  # in a folder: what may be a filing (each is read by its bytes)


def find_filings(inputs: list[Path]) -> list[Path]:
    """Expand files and folders (recursively: PDFs and saved web pages, in any case) into a sorted,
    de-duplicated list. A file named on its own is read whatever its name."""
    found: dict[Path, None] = {}
    for item in inputs:
        if item.is_dir():
            for path in sorted(item.rglob("*")):
                if path.is_file() and path.suffix.lower() in FILING_SUFFIXES:
                    found[path] = None
        else:
            found[item] = None
    return list(found)
