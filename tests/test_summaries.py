"""Golden risk summaries: real Pelosi filings (one, another, and the two together, whose round trips run from 2020
to 2022) and the bundled samples, each read by hand against its rows.

To redraft after a deliberate change: `python -m tests.test_summaries`, then read every number again.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agent.analysis.assessment import assess
from agent.analysis.fit import InvestorProfile
from agent.analysis.summary import assessment_text
from agent.export import to_dataframe
from agent.run.extract import extract_path
from tests.conftest import SAMPLES, SHARED_FILINGS, filing_path

GOLDEN = Path(__file__).parent / "golden" / "summaries"
CASES = {
    "pelosi-20016961-high-long": (lambda: [filing_path("20016961")], InvestorProfile("high", "long")),
    "pelosi-20022260-low-short": (lambda: [filing_path("20022260")],
                                  InvestorProfile("low", "short", no_options=True, max_position_share=0.2)),
    "pelosi-20016961-20022260-high-long": (lambda: [filing_path("20016961"), filing_path("20022260")],
                                           InvestorProfile("high", "long", max_position_share=0.2)),
    "samples-medium-medium": (lambda: sorted(SAMPLES.glob("sample_ptr_*.pdf")),
                              InvestorProfile("medium", "medium", avoid_sectors=("Energy",), max_sector_share=0.5)),
}


def summary_for(name: str) -> str:
    paths, profile = CASES[name]
    frame = to_dataframe([extract_path(path).filing for path in paths()])
    return assessment_text(assess(frame, profile)) + "\n"


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.shared) if "pelosi" in n else n for n in CASES])
def test_golden_summary(name):
    assert summary_for(name) == (GOLDEN / f"{name}.md").read_text()


if __name__ == "__main__":
    assert (SHARED_FILINGS / "pdfs").exists(), "needs ../shared/filings"
    for case in sys.argv[1:] or CASES:
        (GOLDEN / f"{case}.md").write_text(summary_for(case))
        print(f"wrote tests/golden/summaries/{case}.md: read every number against the rows before committing")
