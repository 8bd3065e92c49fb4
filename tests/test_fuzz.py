"""Fuzzing the reader and parser with mutated real filings (byte flips, truncations, splices, deletions,
repeats): whatever the bytes, extract_bytes returns an outcome with a status, a failed outcome says why,
and no mutation reaches our own code as an internal error.

Bounded for CI (derandomized, ~60 examples, a few seconds). To fuzz longer:
    TRADETRACE_FUZZ_EXAMPLES=5000 TRADETRACE_FUZZ_RANDOM=1 python -m pytest tests/test_fuzz.py -p no:cacheprovider
Every crash found becomes a case in REGRESSIONS below.
"""

from __future__ import annotations

import os
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.run.extract import extract_bytes
from tests.conftest import SAMPLES, filing_path

pytestmark = pytest.mark.shared

# Electronic filings of three form generations (2018 old Georgia font, 2021 glyph checkboxes, 2024 drawn boxes).
DOCIDS = ("20008623", "20018355", "20024424")
STATUSES = {"ok", "flagged", "needs_ocr", "failed"}
EXAMPLES = int(os.environ.get("TRADETRACE_FUZZ_EXAMPLES", "60"))


@cache
def seed(index: int) -> bytes:
    return filing_path(DOCIDS[index]).read_bytes()


def check(outcome) -> None:
    assert outcome.status in STATUSES
    if outcome.status == "failed":
        assert outcome.reason.strip()
        assert "internal error" not in outcome.reason, outcome.reason
        assert outcome.filing is None
    else:
        assert outcome.filing is not None
        assert outcome.rows == len(outcome.filing.transactions)


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(seed(draw(st.integers(0, len(DOCIDS) - 1))))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "flip", "truncate", "splice", "delete", "repeat", "zero"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[max(at, 16):]
        elif kind == "splice":
            other = seed(draw(st.integers(0, len(DOCIDS) - 1)))
            start = draw(st.integers(0, len(other) - 1))
            data[at:at] = other[start:start + draw(st.integers(1, 4096))]
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 4096))]
        elif kind == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 2048))] * draw(st.integers(2, 8))
        elif kind == "zero":
            length = draw(st.integers(1, 512))
            data[at:at + length] = bytes(len(data[at:at + length]))
    return bytes(data)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          derandomize=not os.environ.get("TRADETRACE_FUZZ_RANDOM"),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_filings_never_escape(data):
    check(extract_bytes(data, "fuzzed.pdf"))


def _header_only() -> bytes:
    return seed(0)[:16]


def _no_eof_marker() -> bytes:
    return seed(1).replace(b"%%EOF", b"%%EOX")


def _content_stream_zeroed() -> bytes:
    data = bytearray(seed(2))
    start = data.index(b"stream") + 8
    data[start:start + 2048] = bytes(2048)
    return bytes(data)


def _two_filings_glued() -> bytes:
    return seed(0) + seed(1)


def _sample_cut_in_the_table() -> bytes:
    data = min(SAMPLES.glob("sample_ptr_*.pdf")).read_bytes()
    return data[: int(len(data) * 0.6)]


# Mutations kept as regressions: the shapes of damage the fuzzer explores, and every crash it found.
REGRESSIONS = [
    pytest.param(_header_only, id="header-only"),
    pytest.param(_no_eof_marker, id="no-eof-marker"),
    pytest.param(_content_stream_zeroed, id="content-stream-zeroed"),
    pytest.param(_two_filings_glued, id="two-filings-glued"),
    pytest.param(_sample_cut_in_the_table, id="sample-cut-in-the-table"),
]


@pytest.mark.parametrize("make", REGRESSIONS)
def test_fuzz_regressions(make):
    check(extract_bytes(make(), "regression.pdf"))
