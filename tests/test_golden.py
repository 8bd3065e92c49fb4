"""Golden files: the full output for real filings, each checked by hand against the PDF.

A golden file holds the filing fields and every row's CSV values (see tests/golden/README.md for
which quirk each filing covers and how it was checked). To draft one for a new filing:
    python -m tests.test_golden DOCID...
then check every value against the rendered PDF before committing it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from agent.export import records
from agent.models import CSV_COLUMNS
from agent.run.extract import extract_path
from tests.conftest import SHARED_FILINGS, filing_path

GOLDEN = Path(__file__).parent / "golden"
FILING_FIELDS = ("filing_id", "filer_name", "filer_status", "state_district", "signed_date", "amendment", "layout")


def snapshot(docid: str, path: Path) -> dict:
    """What a golden file records for one filing."""
    outcome = extract_path(path)
    filing = outcome.filing
    return {
        "docid": docid,
        "status": outcome.status,
        "filing": {name: getattr(filing, name) for name in FILING_FIELDS},
        "filing_flags": [flag.code for flag in filing.flags],
        "rows": [{column: record[column] for column in CSV_COLUMNS if column != "source_file"}
                 for record in records([filing])],
    }


GOLDEN_IDS = sorted(path.stem for path in GOLDEN.glob("*.json"))


def test_enough_golden_filings():
    assert len(GOLDEN_IDS) >= 25


@pytest.mark.shared
@pytest.mark.parametrize("docid", GOLDEN_IDS)
def test_golden(docid):
    expected = json.loads((GOLDEN / f"{docid}.json").read_text())
    actual = snapshot(docid, filing_path(docid))
    assert actual["filing"] == expected["filing"]
    assert actual["status"] == expected["status"]
    assert actual["filing_flags"] == expected["filing_flags"]
    assert len(actual["rows"]) == len(expected["rows"])
    for number, (got, want) in enumerate(zip(actual["rows"], expected["rows"]), start=1):
        assert got == want, f"{docid} row {number}"


if __name__ == "__main__":
    for docid in sys.argv[1:]:
        data = snapshot(docid, SHARED_FILINGS / "pdfs" / f"{docid}.pdf")
        (GOLDEN / f"{docid}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote tests/golden/{docid}.json: {len(data['rows'])} rows: check each against the PDF")
