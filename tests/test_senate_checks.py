"""The Senate report's own cross-checks, on the bundled sample page altered the ways a bad reading or a bad page
would be: a row missing against the summary, a number printed twice, a trade dated after the report was filed, a
table cell no report has."""

from __future__ import annotations

import re

import pytest

from agent.run.extract import extract_bytes
from tests.conftest import SAMPLES

PAGE = (SAMPLES / "sample_efd_2024.html").read_text(encoding="utf-8")
ROW = re.compile(r"<tr>\s*<td>\s*(\d+)\s*</td>.*?</tr>", re.DOTALL)


def read(page: str):
    outcome = extract_bytes(page.encode(), "report.html")
    assert outcome.filing is not None, outcome.reason
    return outcome


def codes(outcome) -> set[str]:
    return {flag.code for flag in outcome.filing.all_flags}


def test_the_sample_passes_every_check() -> None:
    outcome = read(PAGE)
    assert outcome.status == "ok" and outcome.rows == 12 and not codes(outcome)


def test_a_row_missing_against_the_summary_is_flagged() -> None:
    sixth = [match for match in ROW.finditer(PAGE) if match.group(1) == "6"]
    assert len(sixth) == 1
    outcome = read(PAGE.replace(sixth[0].group(0), "", 1))
    found = {flag.code: flag.message for flag in outcome.filing.flags}
    assert outcome.status == "flagged"
    assert found["row_count_mismatch"] == "11 rows read but the summary says 12 transactions"
    assert found["owner_count_mismatch"].startswith("the summary's counts per owner differ from the rows: ")
    assert found["numbering_gap"] == ("the # column should number the rows 1 to 11: no row numbered 6; unexpected "
                                      "number(s) 12")


def test_a_number_printed_twice_is_flagged() -> None:
    rows = ROW.findall(PAGE)
    assert rows[:2] == ["12", "11"]
    renumbered = re.sub(r"(<tr>\s*<td>\s*)11(\s*</td>)", r"\g<1>12\g<2>", PAGE, count=1)
    outcome = read(renumbered)
    message = next(flag.message for flag in outcome.filing.flags if flag.code == "numbering_gap")
    assert message.endswith("no row numbered 11; 12 printed more than once")


def test_a_trade_dated_after_the_filing_is_flagged() -> None:
    filed = re.search(r"Filed\s+(\d\d/\d\d/\d{4})", PAGE)
    assert filed is not None
    first_date = re.search(r"<td>\s*(\d\d/\d\d/2024)\s*</td>", PAGE)
    assert first_date is not None
    outcome = read(PAGE.replace(first_date.group(1), "12/31/2024", 1))
    (row,) = [row for row in outcome.filing.transactions
              if any(flag.code == "transaction_after_filing" for flag in row.flags)]
    assert row.transaction_date == "2024-12-31"


@pytest.mark.parametrize("lines", [81, 3000], ids=["just-over", "hostile"])
def test_a_cell_no_report_has_is_refused_quickly(lines: int) -> None:
    first_row = ROW.search(PAGE)
    assert first_row is not None
    swollen = first_row.group(0).replace("</td>", "<br>x" * (2 * lines) + "</td>", 1)
    outcome = extract_bytes(PAGE.replace(first_row.group(0), swollen, 1).encode(), "report.html")
    assert outcome.status == "failed" and "lines between two rows" in outcome.reason
