"""Senate eFD reports against the hand-made goldens in tests/golden_senate (see its README): every report
field and every row, from the saved page and, where there is one, from the page printed to PDF."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.run.extract import extract_bytes
from tests.conftest import SHARED_SENATE, senate_file

GOLDEN = Path(__file__).parent / "golden_senate"
FILING_FIELDS = ("filing_id", "filer_printed", "filer_name", "report_date", "amendment_number", "filed_date",
                 "filed_time")
ROW_FIELDS = ("transaction_date", "owner", "ticker", "asset_name", "received_ticker", "received_asset_name",
              "asset_type_label", "asset_type", "transaction_type", "amount", "amount_min", "amount_max",
              "comments", "option_type", "option_strike", "option_expiration", "bond_rate", "bond_maturity",
              "company", "description")
GOLDEN_IDS = sorted(path.stem for path in GOLDEN.glob("*.json"))
PRINTED = {uuid for uuid in GOLDEN_IDS if (SHARED_SENATE / "efd_print" / f"{uuid}.pdf").exists()}


def comparable(value: Any) -> Any:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def check_against_golden(uuid: str, relative: str) -> None:
    golden = json.loads((GOLDEN / f"{uuid}.json").read_text())
    path = senate_file(relative)
    outcome = extract_bytes(path.read_bytes(), path.name)
    assert outcome.filing is not None, outcome.reason
    filing = outcome.filing
    assert filing.chamber == "senate" and filing.layout == "senate_efd"
    assert {name: getattr(filing, name) for name in FILING_FIELDS} == {
        name: golden["filing"][name] for name in FILING_FIELDS}
    assert len(filing.transactions) == len(golden["rows"])
    for row, want in zip(filing.transactions, golden["rows"], strict=True):
        got = {name: comparable(getattr(row, name)) for name in ROW_FIELDS}
        assert got == {name: comparable(want[name]) for name in ROW_FIELDS}, f"{uuid} row #{want['number']}"
        assert row.row_id == str(want["number"])
        assert row.boxes and row.source_lines, "every row cites where it stands"


def test_enough_senate_goldens() -> None:
    covered = {feature for uuid in GOLDEN_IDS for feature in json.loads((GOLDEN / f"{uuid}.json").read_text())
               .get("covers", [])}
    assert len(GOLDEN_IDS) >= 25
    assert {"amendment", "option", "bond", "exchange-two-assets", "non-public", "blank-asset-type", "comment",
            "long"} <= covered


@pytest.mark.shared
@pytest.mark.parametrize("uuid", GOLDEN_IDS)
def test_saved_page_reads_as_its_golden(uuid: str) -> None:
    check_against_golden(uuid, f"efd/{uuid}.html")


@pytest.mark.shared
@pytest.mark.parametrize("uuid", sorted(PRINTED))
def test_printed_page_reads_as_its_golden(uuid: str) -> None:
    check_against_golden(uuid, f"efd_print/{uuid}.pdf")


@pytest.mark.shared
def test_a_saved_page_without_its_uuid_in_the_name_gets_a_stable_id() -> None:
    uuid = GOLDEN_IDS[0]
    data = senate_file(f"efd/{uuid}.html").read_bytes()
    first = extract_bytes(data, "eFD_ Print Periodic Transaction Report.html")
    again = extract_bytes(data, "eFD_ Print Periodic Transaction Report (1).html")
    assert first.filing is not None and again.filing is not None
    assert first.filing.filing_id == again.filing.filing_id and first.filing.filing_id.startswith("efd-")
