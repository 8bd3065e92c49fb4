"""The extraction core: bytes of a filing in, a validated FileOutcome out. One file's failure is its own."""

from __future__ import annotations

import time
from pathlib import Path

from agent.checks import validate_filing
from agent.errors import InputError
from agent.models import FileOutcome, Filing
from agent.pdf import Document, read_document
from agent.ptr import parse_ptr


def outcome_for(filing: Filing, seconds: float) -> FileOutcome:
    """Classify a parsed filing: needs OCR, flagged (some check fired), or ok."""
    if filing.layout == "scanned":
        reason = f"no text layer on any of its {filing.pages} page(s): a scanned filing, needs OCR"
        return FileOutcome(filing.source_file, "needs_ocr", reason, filing, seconds)
    if filing.layout == "unknown":
        return FileOutcome(filing.source_file, "flagged", "no House PTR transaction table found", filing, seconds)
    if filing.all_flags:
        reason = f"{filing.flagged_rows} of {len(filing.transactions)} rows flagged"
        if filing.flags:
            reason += "; " + "; ".join(flag.message for flag in filing.flags)
        return FileOutcome(filing.source_file, "flagged", reason, filing, seconds)
    return FileOutcome(filing.source_file, "ok", "", filing, seconds)


def parse_and_validate(document: Document) -> Filing:
    return validate_filing(parse_ptr(document), document)


def extract_bytes(data: bytes, source: str) -> FileOutcome:
    """Read one filing. Never raises: unreadable input and our own bugs both become a failed outcome."""
    started = time.perf_counter()
    try:
        filing = parse_and_validate(read_document(data, source))
    except InputError as exc:
        return FileOutcome(source, "failed", exc.reason, None, time.perf_counter() - started)
    except Exception as exc:  # a bug must cost one file, never the batch
        reason = f"internal error while reading the file ({type(exc).__name__}: {exc})"
        return FileOutcome(source, "failed", reason, None, time.perf_counter() - started)
    return outcome_for(filing, time.perf_counter() - started)


def extract_path(path: Path) -> FileOutcome:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileOutcome(str(path), "failed", f"cannot read the file ({exc.strerror or exc})")
    return extract_bytes(data, path.name)


def find_pdfs(inputs: list[Path]) -> list[Path]:
    """Expand files and folders (recursively, *.pdf in any case) into a sorted, de-duplicated list."""
    found: dict[Path, None] = {}
    for item in inputs:
        if item.is_dir():
            for path in sorted(item.rglob("*")):
                if path.is_file() and path.suffix.lower() == ".pdf":
                    found[path] = None
        else:
            found[item] = None
    return list(found)
