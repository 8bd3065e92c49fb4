"""Shared fixtures: where the real filings are, and the fake OpenAI server."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_FILINGS = Path(os.environ.get("TRADETRACE_FILINGS", ROOT.parent / "shared" / "filings"))
SAMPLES = ROOT / "samples"
SHARED_SENATE = Path(os.environ.get("TRADETRACE_SENATE", ROOT.parent / "shared" / "senate"))


def present(path: Path, shared: Path, what: str) -> Path:
    """`path` when it exists; otherwise the test fails under CI (which must have ../shared beside the project) or
    is skipped with the reason."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have ../shared/{shared.name} beside the project")
        pytest.skip(f"{what} not found at {shared} (they live in ../shared/{shared.name} beside the project)")
    return path


def filing_path(docid: str) -> Path:
    """A real filing from ../shared/filings; skips the test with a reason when they are absent."""
    return present(SHARED_FILINGS / "pdfs" / f"{docid}.pdf", SHARED_FILINGS, "real filings")


def senate_file(relative: str) -> Path:
    """A real Senate report from ../shared/senate; skips the test with a reason when they are absent."""
    return present(SHARED_SENATE / relative, SHARED_SENATE, "real Senate reports")


def electronic_filings(limit: int, year: str = "") -> list[Path]:
    """The first `limit` electronic House PTRs in ../shared/filings' manifest (of `year` when given); skips the test
    with a reason when they are absent."""
    manifest = present(SHARED_FILINGS / "MANIFEST.tsv", SHARED_FILINGS, "real filings")
    with manifest.open(encoding="utf-8") as handle:
        return [SHARED_FILINGS / row["file"] for row in csv.DictReader(handle, delimiter="\t")
                if row["kind"] == "electronic" and (not year or row["year"] == year)][:limit]


@pytest.fixture
def shared_filings() -> Path:
    present(SHARED_FILINGS / "MANIFEST.tsv", SHARED_FILINGS, "real filings")
    return SHARED_FILINGS


@pytest.fixture
def fake_llm():
    """The OpenAI-compatible fake server; every scripted reply must be used by the end of the test."""
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI() as server:
        yield server
        server.assert_all_consumed()


def llm_config_for(server, **overrides):
    """An LLMConfig pointing at the fake server, with retries quick enough for tests."""
    from agent.run.llm import LLMConfig

    values = {"api_key": "sk-test-0123456789abcdefghij", "base_url": server.base_url, "model": "fake-model",
              "timeout": 2.0, "max_retries": 2, "backoff": 0.01}
    values.update(overrides)
    return LLMConfig(**values)
