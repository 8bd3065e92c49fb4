"""The vectorised round trips, clusters and report table give what the loops they replaced gave, over real filings.

Each reference below is a copy of the code before it was vectorised (a loop per instrument, per cluster, per row),
kept here only to compare against; the rows are real House PTRs from ../shared/filings, the 2025 ones (they hold
shared tickers within weeks, so the clusters are many), repeated a few times with their dates shifted by weeks.
"""

from __future__ import annotations

from collections import deque
from dataclasses import astuple

import pandas as pd
import pytest

from agent.analysis.assessment import assess, assess_per_filer
from agent.analysis.fit import InvestorProfile
from agent.analysis.frame import prepare_trades
from agent.analysis.library_views import _iso, _prepared, _windows, clusters, member_names
from agent.analysis.metrics import _round_trips, compute_metrics, metrics_of_trades
from agent.analysis.report import OWNER_NOTE, TRANSACTION_COLUMNS, _cell, _in_words, markdown_report
from agent.export import to_dataframe
from agent.run.extract import extract_path
from tests.conftest import electronic_filings

FILES = 80
COPIES = 3
DATE_COLUMNS = ("transaction_date", "notification_date", "signed_date", "option_expiration")


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    paths = electronic_filings(FILES, year="2025")
    real = to_dataframe([outcome.filing for outcome in map(extract_path, paths) if outcome.filing])
    return pd.concat([_shifted(real, weeks) for weeks in range(COPIES)], ignore_index=True)


def _shifted(real: pd.DataFrame, weeks: int) -> pd.DataFrame:
    copy = real.copy()
    copy["source_file"] = f"copy{weeks}-" + copy["source_file"].astype(str)
    for column in DATE_COLUMNS:
        dates = pd.to_datetime(copy[column], errors="coerce", format="ISO8601") + pd.Timedelta(weeks=weeks)
        copy[column] = dates.dt.strftime("%Y-%m-%d").where(dates.notna(), copy[column])
    return copy


def reference_round_trips(trades: pd.DataFrame) -> list[tuple[object, ...]]:
    dated = trades.loc[trades["traded_on"].notna() & trades["side"].isin(["purchase", "sale"]),
                       ["instrument", "side", "traded_on", "partial_sale"]]
    dated = dated.sort_values("traded_on", kind="stable")
    trips = []
    for instrument, group in dated.groupby("instrument"):
        open_purchases: deque[pd.Timestamp] = deque()
        for side, traded_on, partial in zip(group["side"], group["traded_on"], group["partial_sale"]):
            if side == "purchase":
                open_purchases.append(traded_on)
            elif open_purchases:
                bought_on = open_purchases[0]
                trips.append((str(instrument), bought_on.date().isoformat(), traded_on.date().isoformat(),
                              (traded_on - bought_on).days, bool(partial)))
                if not partial:
                    open_purchases.popleft()
    return trips


def reference_clusters(frame: pd.DataFrame, window_days: int = 14) -> pd.DataFrame:
    trades = _prepared(frame, ("ticker", "side", "traded_on", "filer_name", "source_file", "row_number"))
    trades["member"] = member_names(trades)
    trades["library_id"] = ""
    placeable = (trades["ticker"] != "") & trades["side"].isin(("purchase", "sale")) & trades["traded_on"].notna()
    columns = ["ticker", "side", "traded_on", "member", "source_file", "row_number", "library_id"]
    rows = trades.loc[placeable, columns].sort_values(["ticker", "side", "traded_on", "member"], ignore_index=True)
    groups = rows.groupby(["ticker", "side"], sort=False).ngroup().to_numpy()
    days = (rows["traded_on"] - pd.Timestamp(0)).dt.days.to_numpy()
    starts, ends = _windows(days, rows["member"].to_numpy(), groups, window_days)
    keys = list(zip(rows["source_file"].astype(str), rows["row_number"].astype(int)))
    members, ids, dates = rows["member"].tolist(), rows["library_id"].tolist(), _iso(rows["traded_on"]).tolist()
    tickers, sides = rows["ticker"].tolist(), rows["side"].tolist()
    found = []
    for start, end in zip(starts.tolist(), ends.tolist()):
        names = sorted(set(members[start:end + 1]))
        found.append({
            "ticker": tickers[start], "direction": "buy" if sides[start] == "purchase" else "sell",
            "members": len(names), "member_names": "; ".join(names), "trades": end + 1 - start,
            "first_date": dates[start], "last_date": dates[end], "row_keys": keys[start:end + 1],
            "library_ids": [value for value in ids[start:end + 1] if value],
        })
    table = pd.DataFrame(found, columns=["ticker", "direction", "members", "member_names", "trades", "first_date",
                                         "last_date", "row_keys", "library_ids"])
    return table.sort_values(["first_date", "ticker"], ascending=[False, True], ignore_index=True)


def test_round_trips_match_the_loop_per_instrument(rows: pd.DataFrame) -> None:
    trades = prepare_trades(rows)
    expected = reference_round_trips(trades)
    assert len(expected) > 100 and any(trip[4] for trip in expected)  # partial sales among them
    assert [astuple(trip) for trip in _round_trips(trades)] == expected


def test_round_trips_of_a_hand_built_instrument() -> None:
    # A sale before any purchase matches nothing; a partial sale leaves its purchase open; full sales close in order.
    frame = pd.DataFrame({"ticker": ["X"] * 6, "transaction_type": ["S", "P", "P", "S (partial)", "S", "S"],
                          "transaction_date": ["2025-01-01", "2025-01-02", "2025-01-05", "2025-01-06", "2025-01-07",
                                               "2025-01-09"]})
    trades = prepare_trades(frame)
    assert [astuple(trip) for trip in _round_trips(trades)] == reference_round_trips(trades) == [
        ("X", "2025-01-02", "2025-01-06", 4, True), ("X", "2025-01-02", "2025-01-07", 5, False),
        ("X", "2025-01-05", "2025-01-09", 4, False)]


def test_clusters_match_the_loop_per_cluster(rows: pd.DataFrame) -> None:
    expected = reference_clusters(rows)
    assert len(expected) > 10
    pd.testing.assert_frame_equal(clusters(rows), expected)


def test_the_fit_prepared_once_matches_the_metrics_of_each_subset(rows: pd.DataFrame) -> None:
    profile = InvestorProfile("low", "long", no_options=True, max_position_share=0.05)
    whole = assess(rows, profile)
    assert whole.metrics == compute_metrics(rows)
    # A set-aside's rest is rows of the prepared frame: its metrics are those of the same rows prepared anew.
    trades = prepare_trades(rows)
    options = trades["is_option"].to_numpy()
    assert options.any()
    assert metrics_of_trades(trades[~options].reset_index(drop=True)) == compute_metrics(rows[~options])
    per_filer = assess_per_filer(rows, profile)
    filers = prepare_trades(rows)["filer_name"]
    assert [assessment.label for assessment in per_filer] == sorted(set(filers))
    first = per_filer[0]
    assert first.metrics == compute_metrics(rows[(filers == first.label).to_numpy()])


def _reference_table(transactions: pd.DataFrame) -> list[str]:
    lines = ["| " + " | ".join(TRANSACTION_COLUMNS) + " |", "|" + "---|" * len(TRANSACTION_COLUMNS)]
    for _, row in transactions.iterrows():
        lines.append("| " + " | ".join(_cell(_in_words(row[column], column)) for column in TRANSACTION_COLUMNS)
                     + " |")
    return lines


def _table_of(report: str) -> list[str]:
    after_note = report.split(OWNER_NOTE + "\n\n", 1)[1]
    return after_note.split("\n\n", 1)[0].split("\n")


def test_the_report_table_matches_the_row_by_row_table(rows: pd.DataFrame) -> None:
    few = rows.head(300)
    assert _table_of(markdown_report([], few)) == _reference_table(few)


def test_a_report_over_the_row_limit_says_the_csv_has_the_rest(rows: pd.DataFrame) -> None:
    report = markdown_report([], rows)
    assert _table_of(report) == _reference_table(rows.head(1_000))
    left_out = len(rows) - 1_000
    assert (f"The first 1,000 of {len(rows):,} transactions are shown; the other {left_out:,} are left out of this "
            "report, and the CSV has them all.") in report
