"""The bundled Senate sample (samples/sample_efd_2024.html and its printed PDF): the reader reads back every value
put into it (samples/expected_senate.json), and the script that makes it makes the same bytes every time."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.models import Filing
from agent.run.extract import extract_bytes
from tests.conftest import SAMPLES

EXPECTED = json.loads((SAMPLES / "expected_senate.json").read_text(encoding="utf-8"))
SAMPLE_FILES = sorted(EXPECTED["files"])
MADE_FILES = [*SAMPLE_FILES, "expected_senate.json"]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def read(name: str, data: bytes | None = None) -> Filing:
    outcome = extract_bytes((SAMPLES / name).read_bytes() if data is None else data, name)
    assert outcome.filing is not None, outcome.reason
    return outcome.filing


def comparable(value: Any) -> Any:
    """JSON has no float/int distinction that matters here: 15001 and 15001.0 are the same amount."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def test_the_script_makes_the_same_bytes_every_time(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(SAMPLES / "make_senate_sample.py"), str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for name in MADE_FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), f"{name} differs when regenerated"


def test_the_sample_covers_what_it_promises() -> None:
    rows = EXPECTED["rows"]
    assert 8 <= len(rows) <= 12
    assert [row["row_id"] for row in rows] == [str(number) for number in range(len(rows), 0, -1)]
    assert {row["owner"] for row in rows} == {"", "SP", "JT", "DC"}
    assert {row["transaction_type"] for row in rows} == {"P", "S", "S (partial)", "E"}
    assert {row["asset_type"] for row in rows} == {"ST", "OP", "GS", "CS", "OT", "PS"}
    assert all(row["transaction_date"].startswith("2024-") for row in rows)
    assert any(row["option_strike"] and row["option_expiration"] for row in rows)
    assert any(row["received_ticker"] and row["received_asset_name"] for row in rows)
    assert any(row["company"] and row["description"] for row in rows)
    assert any(not row["ticker"] for row in rows) and any(row["comments"] for row in rows)
    summary = EXPECTED["summary"]
    owners = [row["owner"] for row in rows]
    assert summary == {"total": len(rows), "self": owners.count(""), "joint": owners.count("JT"),
                       "spouse": owners.count("SP"), "child": owners.count("DC")}
    pdf_pages = EXPECTED["files"]["sample_efd_2024.pdf"]["row_pages"]
    assert pdf_pages[0] == 1 and pdf_pages[-1] == 2, "the printed table must continue on a second page"


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_the_sample_reads_back_exactly(name: str) -> None:
    filing = read(name)
    assert {field: getattr(filing, field) for field in EXPECTED["filing"]} == EXPECTED["filing"]
    assert filing.pages == EXPECTED["files"][name]["pages"]
    want_rows = EXPECTED["rows"]
    assert len(filing.transactions) == len(want_rows)
    pages = EXPECTED["files"][name]["row_pages"]
    for row, want, page in zip(filing.transactions, want_rows, pages, strict=True):
        # Values only: the validators may add flags to rows, and what they add is not the sample's to fix.
        got = {field: comparable(getattr(row, field)) for field in want}
        assert got == {field: comparable(value) for field, value in want.items()}, f"{name} row #{want['row_id']}"
        assert row.page == page, f"{name} row #{want['row_id']}"
        assert row.boxes and row.source_lines, "every row cites where it stands"


def test_the_page_and_its_print_get_one_stable_id() -> None:
    """The files' names hold no eFD UUID: the reader builds the id from what the page says, whatever the file is
    called, so the saved page and its print are the same report."""
    ids = {read(name).filing_id for name in SAMPLE_FILES}
    html = (SAMPLES / "sample_efd_2024.html").read_bytes()
    ids.add(read("eFD_ Print Periodic Transaction Report.html", html).filing_id)
    (filing_id,) = ids
    assert filing_id.startswith("efd-") and not UUID.search(filing_id)
