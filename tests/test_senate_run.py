"""Senate reports through the whole agent: the trace names the format, an amendment read beside the report it
amends says which it replaces, and a run mixing both chambers gives one table, the charts and the summary."""

from __future__ import annotations

import pytest

from agent.analysis.metrics import compute_metrics
from agent.export import filings_csv, to_dataframe
from agent.models import InputFile
from agent.run.loop import Agent
from tests.conftest import SAMPLES, senate_file

# Toomey's report for 01/10/2018 and its amendment 1 (06bc054e), both saved from eFD.
TOOMEY_AMENDMENT = "06bc054e-4044-4322-80ad-ae881b8c8843"


def saved_page(uuid: str) -> InputFile:
    path = senate_file(f"efd/{uuid}.html")
    return InputFile(path.name, path.read_bytes())


@pytest.mark.shared
def test_the_trace_names_the_senate_format_and_why() -> None:
    result = Agent().run([saved_page(TOOMEY_AMENDMENT)])
    inspection = next(e for e in result.events if e.type == "observation" and e.tool == "inspect_pdf")
    assert "Senate PTR (eFD): a saved eFD page: the heading 'Periodic Transaction Report for 01/10/2018" in (
        inspection.summary)
    (outcome,) = result.outcomes
    assert outcome.filing is not None and outcome.filing.amendment_number == 1 and outcome.rows == 5


@pytest.mark.shared
def test_an_amendment_beside_its_original_says_which_it_replaces() -> None:
    amendment = saved_page(TOOMEY_AMENDMENT)
    # The original: the same filer and report date, no amendment number. Find it among the saved pages.
    originals = []
    for path in sorted(senate_file(f"efd/{TOOMEY_AMENDMENT}.html").parent.glob("*.html")):
        data = path.read_bytes()
        if b"01/10/2018" in data and b"Toomey" in data and b"(Amendment" not in data:
            originals.append(InputFile(path.name, data))
    assert originals, "the original report of the amendment is among the saved pages"
    result = Agent().run([originals[0], amendment])
    original_outcome, amendment_outcome = result.outcomes
    assert f"replaces the original ({originals[0].name}), also in this run" in amendment_outcome.reason
    notes = [e.text for e in result.events if e.type == "thought" and e.file == amendment.name]
    assert any("Amendment 1 of the report of Patrick J Toomey for 2018-01-10" in note for note in notes)
    assert "replaces" in result.summary and "replace" not in original_outcome.reason
    # read the other way round, the original says what replaces it
    reversed_run = Agent().run([amendment, originals[0]])
    assert reversed_run.outcomes[1].reason.startswith("the original of the report of Patrick J Toomey for 2018-01-10: "
                                                      "replaced by amendment 1")
    # the trace says, for a Senate report, what its row count is checked against
    thoughts = [e.text for e in result.events if e.type == "thought" and e.file == amendment.name]
    assert any("5 transaction(s) in the report's summary, so I expect 5 row(s)" in text for text in thoughts)
    assert any("The parser read 5 row(s), matching the 5 transaction(s) in the report's summary." in text
               for text in thoughts)


@pytest.mark.shared
def test_a_run_mixing_both_chambers_gives_one_table_and_its_metrics() -> None:
    house = SAMPLES / "sample_ptr_2024_a.pdf"
    result = Agent().run([InputFile(house.name, house.read_bytes()), saved_page(TOOMEY_AMENDMENT)])
    frame = to_dataframe(result.filings)
    assert sorted(set(frame["chamber"])) == ["house", "senate"]
    assert (frame["chamber"] == "senate").sum() == 5
    metrics = compute_metrics(frame)
    assert metrics.coverage.trades == len(frame)
    header = filings_csv(result.filings).splitlines()[0].split(",")
    assert header[-11:] == ["chamber", "report_date", "filed_date", "amendment_number", "filer_printed",
                            "asset_type_label", "received_ticker", "received_asset_name", "bond_rate",
                            "bond_maturity", "company"]
