"""Shared fixtures: where the real filings are, and the fake OpenAI server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_FILINGS = Path(os.environ.get("TRADETRACE_FILINGS", ROOT.parent / "shared" / "filings"))
SAMPLES = ROOT / "samples"


def filing_path(docid: str) -> Path:
    """A real filing from ../shared/filings; skips the test with a reason when they are absent."""
    path = SHARED_FILINGS / "pdfs" / f"{docid}.pdf"
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have ../shared/filings beside the project")
        pytest.skip(f"real filings not found at {SHARED_FILINGS} (they live in ../shared/filings beside the project)")
    return path


@pytest.fixture
def shared_filings() -> Path:
    if not (SHARED_FILINGS / "MANIFEST.tsv").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_FILINGS} is missing: CI must have ../shared/filings beside the project")
        pytest.skip(f"real filings not found at {SHARED_FILINGS} (they live in ../shared/filings beside the project)")
    return SHARED_FILINGS
