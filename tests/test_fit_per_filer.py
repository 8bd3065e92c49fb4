"""The fit computed for every filer at once (one groupby per metric, agent.analysis.metrics.Groups) is the fit of each
filer's rows alone, over real House and Senate PTRs from ../shared; a set-aside's rest is judged as those rows alone
would be; dollar sums are exact, so one position's share of its filer's volume is exactly 1."""

from __future__ import annotations

import pandas as pd
import pytest

from agent.analysis.assessment import UNNAMED_FILER, assess, assess_filers, assess_per_filer
from agent.analysis.fit import InvestorProfile
from agent.analysis.frame import prepare_trades
from agent.analysis.metrics import Groups, compute_metrics, metrics_by_group
from agent.export import to_dataframe
from agent.run.extract import extract_path
from tests.ask_cases import HOUSE_FILES, SENATE_FILES
from tests.conftest import electronic_filings, filing_path, senate_file

ELECTRONIC = 40  # the first electronic House PTRs of the manifest: many filers, options, cents, Senate rows beside
PROFILES = (
    InvestorProfile("low", "long", no_options=True),
    InvestorProfile("high", "short"),
    InvestorProfile("medium", "medium", max_position_share=0.2, avoid_sectors=("Information Technology",),
                    max_sector_share=0.3),
)


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    paths = [*electronic_filings(ELECTRONIC), *map(filing_path, HOUSE_FILES), *map(senate_file, SENATE_FILES)]
    return to_dataframe([outcome.filing for outcome in map(extract_path, paths) if outcome.filing])


def _filer_rows(rows: pd.DataFrame, label: str) -> pd.DataFrame:
    names = rows["filer_name"].fillna("").astype(str).str.strip().replace("", UNNAMED_FILER)
    return rows[(names == label).to_numpy()]


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.investor)
def test_each_filers_fit_is_the_fit_of_their_rows_alone(rows: pd.DataFrame, profile: InvestorProfile) -> None:
    per_filer = assess_per_filer(rows, profile)
    assert len(per_filer) > 8
    assert [assessment.label for assessment in per_filer] == sorted(assessment.label for assessment in per_filer)
    for assessment in per_filer:
        alone = assess(_filer_rows(rows, assessment.label), profile, assessment.label)
        assert assessment == alone, assessment.label
    assert assess_filers(prepare_trades(rows), profile) == per_filer
    if profile.risk_tolerance != "high":  # options or a position over the limit keep some filers from fitting
        assert sum(len(assessment.subsets) for assessment in per_filer), "no filer has a better subset to compare"


def test_a_set_asides_rest_is_judged_as_those_rows_alone(rows: pd.DataFrame) -> None:
    profile = PROFILES[0]
    with_options = [assessment for assessment in assess_per_filer(rows, profile)
                    if assessment.subsets and assessment.metrics.options.trades]
    assert with_options
    for assessment in with_options:
        mine = _filer_rows(rows, assessment.label)
        rest = mine[~prepare_trades(mine)["is_option"].to_numpy()]
        subset = assessment.subsets[0]
        assert subset.left_out.startswith(f"the {assessment.metrics.options.trades} option trade")
        assert subset.overall == assess(rest, profile, assessment.label).overall


def test_the_metrics_of_each_group_are_those_of_its_rows(rows: pd.DataFrame) -> None:
    trades = prepare_trades(rows)
    years = trades["traded_on"].dt.year.fillna(0).astype(int).astype(str)
    groups = Groups.of(years)
    for label, metrics in zip(groups.labels, metrics_by_group(trades, groups)):
        assert metrics == compute_metrics(rows[(years == label).to_numpy()]), label


def test_round_trips_read_as_their_tuple(rows: pd.DataFrame) -> None:
    holding = compute_metrics(rows).holding
    trips = holding.round_trips
    assert len(trips) > 5
    assert trips == tuple(trips) and hash(trips) == hash(tuple(trips)) and repr(trips) == repr(tuple(trips))
    assert trips[0] == list(trips)[0] and trips[-2:] == tuple(trips)[-2:]
    assert sorted(trip.days for trip in trips)[len(trips) // 2] <= max(trips.days)


def test_dollar_sums_are_exact_so_a_lone_position_holds_all_the_volume() -> None:
    cents = pd.DataFrame({
        "filer_name": ["A"] * 3 + ["B"], "ticker": ["XYZ"] * 3 + ["QQQ"], "transaction_type": ["P"] * 4,
        "transaction_date": ["2024-01-02"] * 4, "asset_type": ["ST"] * 4,
        "amount_min": [0.1, 0.2, 1000.03, 5.0], "amount_max": [0.1, 0.2, 1000.03, 5.0],
    })
    [first, _] = assess_per_filer(cents, InvestorProfile("high", "short", max_position_share=1.0))
    assert first.metrics.volume.total.midpoint == 1000.33  # not 1000.3299999999999
    assert first.metrics.volume.by_position[0].share == 1.0
    assert first.metrics.owners.shares[0].volume_share == 1.0
    assert next(verdict for verdict in first.verdicts if verdict.dimension == "position size").verdict == "fits"
