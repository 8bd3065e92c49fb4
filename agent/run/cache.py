"""The outcome cache's key, and which outcomes may be cached at all.

The same bytes give the same outcome only when read by the same code (documents, formats, OCR readers,
checks, brains, tools), the same OCR engine, and for LLM runs the same model at the same endpoint. The key
hashes all of it, so a change to any of them is a fresh read. An outcome that a passing fault shaped (a
timeout, a worker crash, OCR missing, an LLM endpoint that failed) is never cached: it would be served
after the fault is gone.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from agent.documents.ocr import tesseract_path
from agent.models import FileOutcome
from agent.run.events import Event

AGENT_ROOT = Path(__file__).resolve().parent.parent
# What shapes an outcome: every module of these stages, and the shared records.
OUTCOME_SHAPING = ("documents", "formats", "checks", "run", "models.py", "errors.py")
CACHEABLE = ("ok", "flagged", "needs_ocr")
# Filing flags that say a passing fault shaped the outcome, not the file.
TRANSIENT_FLAGS = frozenset({"ocr_unavailable", "ocr_failed"})


def code_version(root: Path = AGENT_ROOT) -> str:
    """A hash of every module that shapes an outcome, by relative path and content."""
    digest = hashlib.sha256()
    for part in OUTCOME_SHAPING:
        base = root / part
        for path in sorted(base.rglob("*.py")) if base.is_dir() else [base]:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@cache
def _code_version_here() -> str:
    return code_version()


@cache
def ocr_engine_version() -> str:
    """The installed tesseract's version line, or "none"."""
    path = tesseract_path()
    if path is None:
        return "none"
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = (done.stdout or done.stderr).splitlines()
    return lines[0].strip() if lines else "unknown"


def outcome_key(sha256: str, *, ocr: bool, brain: str, model: str = "", endpoint: str = "",
                version: str | None = None) -> str:
    """The cache key of one file's outcome under this run's code, readers and brain."""
    parts = [sha256, version or _code_version_here(), f"ocr={ocr_engine_version() if ocr else 'off'}",
             f"brain={brain}"]
    if brain != "offline":
        parts += [f"model={model}", f"endpoint={endpoint}"]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def is_cacheable(outcome: FileOutcome, brain_failed: bool) -> bool:
    """Only outcomes the file itself decided: not a failure, not a fallback, not shaped by a missing engine."""
    if outcome.status not in CACHEABLE or brain_failed:
        return False
    flags = outcome.filing.flags if outcome.filing else []
    return not any(flag.code in TRANSIENT_FLAGS for flag in flags)


@dataclass
class CachedOutcome:
    """A cached outcome and the events of the run that read it (its steps for this file), kept so a run served
    from the cache can still show how the rows were read."""

    outcome: FileOutcome
    trace: list[Event] = field(default_factory=list)
