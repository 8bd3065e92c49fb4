"""The library's views over real filings' rows (members, tickers, clusters, late filings), and clusters over small
hand-built frames where every window edge is known."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from agent.analysis.frame import prepare_trades, prepare_view_trades
from agent.analysis.library_views import (
    MEMBER_COLUMNS,
    TICKER_COLUMNS,
    clusters,
    first_disclosed,
    late_filings,
    member_key,
    member_names,
    members_table,
    tickers_table,
)
from agent.export import to_dataframe
from agent.run.extract import extract_path
from tests.conftest import filing_path, senate_file

# Two real House PTRs of different members who both bought CVX and HD in October 2025, a week apart.
GREENE = "20033360"
CISNEROS = "20033455"
# A House PTR signed in 2025 for trades of 2023: every row is late.
MCCORMICK_LATE = "20030699"
# A Senate eFD report whose trades were filed 500 days after they happened (its filed date, not a signed one).
SENATE_LATE = "efd/0a0229c8-022e-44f2-8edd-4e8df74a88a7.html"
# A House PTR with option rows (7 of them).
WITH_OPTIONS = "20016961"


def frame_of(*paths: object) -> pd.DataFrame:
    filings = []
    for path in paths:
        outcome = extract_path(path)  # type: ignore[arg-type]
        assert outcome.filing is not None, outcome.reason
        filings.append(outcome.filing)
    return to_dataframe(filings)


@pytest.fixture(scope="module")
def two_members() -> pd.DataFrame:
    return frame_of(filing_path(GREENE), filing_path(CISNEROS))


def test_members_table_counts_every_row_of_real_filings(two_members: pd.DataFrame) -> None:
    table = members_table(two_members)
    assert tuple(table.columns) == MEMBER_COLUMNS
    assert set(table["filer"]) == {"Hon. Marjorie Taylor Greene", "Hon. Gilbert Cisneros"}
    assert table["trades"].sum() == len(two_members)
    for _, member in table.iterrows():
        rows = two_members[two_members["filer_name"] == member["filer"]]
        assert member["trades"] == len(rows)
        assert member["buys"] == (rows["transaction_type"] == "P").sum()
        assert member["sells"] == rows["transaction_type"].isin(["S", "S (partial)"]).sum()
        assert member["volume_low"] == pytest.approx(rows["amount_min"].sum())
        assert member["volume_high"] == pytest.approx(rows["amount_max"].sum())
        assert member["first_trade"] == rows["transaction_date"].min()
        assert member["last_trade"] == rows["transaction_date"].max()
        delays = (pd.to_datetime(rows["signed_date"]) - pd.to_datetime(rows["transaction_date"])).dt.days
        assert member["median_delay_days"] == delays.median()
        assert member["max_delay_days"] == delays.max()
    assert (table["trades"].diff().dropna() <= 0).all(), "most trades first"


def test_tickers_table_says_who_traded_each_ticker(two_members: pd.DataFrame) -> None:
    table = tickers_table(two_members).set_index("ticker")
    assert tuple(table.reset_index().columns) == TICKER_COLUMNS
    assert set(table.index) == set(two_members.loc[two_members["ticker"] != "", "ticker"])
    cvx = table.loc["CVX"]
    assert cvx["members"] == 2
    assert cvx["member_names"] == "Hon. Gilbert Cisneros; Hon. Marjorie Taylor Greene"
    rows = two_members[two_members["ticker"] == "CVX"]
    buys, sells = rows[rows["transaction_type"] == "P"], rows[rows["transaction_type"].str.startswith("S")]
    assert cvx["net_flow_low"] == pytest.approx(buys["amount_min"].sum() - sells["amount_max"].sum())
    assert cvx["net_flow_high"] == pytest.approx(buys["amount_max"].sum() - sells["amount_min"].sum())
    assert cvx["net_flow_low"] <= cvx["net_flow_high"]
    assert table.iloc[0]["members"] == 2, "tickers of both members first"


def test_clusters_in_real_filings_name_both_members_and_their_rows(two_members: pd.DataFrame) -> None:
    found = clusters(two_members)
    cvx = found[(found["ticker"] == "CVX") & (found["direction"] == "buy")]
    assert len(cvx) == 1
    cluster = cvx.iloc[0]
    assert cluster["members"] == 2 and cluster["first_date"] <= cluster["last_date"]
    assert {source for source, _ in cluster["row_keys"]} == {f"{GREENE}.pdf", f"{CISNEROS}.pdf"}
    keyed = two_members.set_index(["source_file", "row_number"])
    for key in cluster["row_keys"]:
        row = keyed.loc[key]
        assert row["ticker"] == "CVX" and row["transaction_type"] == "P"
    assert cluster["library_ids"] == []  # a run's rows have none
    span = pd.to_datetime(found["last_date"]) - pd.to_datetime(found["first_date"])
    assert (span.dt.days <= 14).all() and (found["members"] >= 2).all()


def test_late_filings_of_a_real_house_filing() -> None:
    frame = frame_of(filing_path(MCCORMICK_LATE))
    late = late_filings(frame)
    assert len(late) == len(frame), "every trade of 2023 was signed in 2025"
    expected = (pd.to_datetime(late["signed_date"]) - pd.to_datetime(late["transaction_date"])).dt.days
    assert (late["delay_days"] == expected).all()
    assert (late["filing_date"] == late["signed_date"]).all()
    assert late["delay_days"].is_monotonic_decreasing
    assert late_filings(frame, limit_days=int(late["delay_days"].max())).empty


def test_late_filings_of_a_senate_report_count_from_its_filed_date() -> None:
    frame = frame_of(senate_file(SENATE_LATE))
    late = late_filings(frame)
    assert not late.empty
    assert (late["filing_date"] == late["filed_date"]).all()
    expected = (pd.to_datetime(late["filed_date"]) - pd.to_datetime(late["transaction_date"])).dt.days
    assert (late["delay_days"] == expected).all() and (late["delay_days"] > 45).all()
    on_time = frame[~frame.set_index(["source_file", "row_number"]).index.isin(
        list(zip(late["source_file"], late["row_number"])))]
    on_time_delays = (pd.to_datetime(on_time["filed_date"]) - pd.to_datetime(on_time["transaction_date"])).dt.days
    assert (on_time_delays.dropna() <= 45).all()


def test_views_of_a_prepared_frame_are_the_same_and_leave_it_unchanged(two_members: pd.DataFrame) -> None:
    prepared = prepare_trades(two_members)
    columns = list(prepared.columns)
    pd.testing.assert_frame_equal(members_table(prepared), members_table(two_members))
    pd.testing.assert_frame_equal(tickers_table(prepared), tickers_table(two_members))
    pd.testing.assert_frame_equal(clusters(prepared), clusters(two_members))
    assert list(prepared.columns) == columns


def test_the_views_preparation_is_prepare_trades_for_what_the_views_read() -> None:
    """prepare_view_trades (the Library page's) gives prepare_trades' values in every column it cleans or adds, over
    House and Senate rows (a Senate filed date, options), and the views of either are the same."""
    frame = frame_of(filing_path(GREENE), filing_path(CISNEROS), filing_path(MCCORMICK_LATE), filing_path(WITH_OPTIONS),
                     senate_file(SENATE_LATE))
    whole, narrow = prepare_trades(frame), prepare_view_trades(frame)
    changed = [column for column in narrow.columns if column not in frame.columns or not narrow[column].equals(
        frame[column].reset_index(drop=True))]
    assert {"side", "is_option", "midpoint", "open_bracket", "traded_on", "filed_on", "delay_days"} <= set(changed)
    pd.testing.assert_frame_equal(narrow[changed], whole[changed])
    assert narrow["is_option"].any() and narrow["delay_days"].notna().all()
    for view in (members_table, tickers_table, clusters):
        pd.testing.assert_frame_equal(view(narrow), view(whole))
    shown = [*changed, "filing_date", "asset_name", "row_number"]  # the late tab's (the rest are the frame's, as given)
    pd.testing.assert_frame_equal(late_filings(narrow)[shown], late_filings(whole)[shown])
    assert list(prepare_view_trades(to_dataframe([])).columns)[-3:] == ["traded_on", "filed_on", "delay_days"]


def test_views_of_no_rows_are_empty_tables() -> None:
    empty = to_dataframe([])
    assert members_table(empty).empty and list(members_table(empty).columns) == list(MEMBER_COLUMNS)
    assert tickers_table(empty).empty and clusters(empty).empty and late_filings(empty).empty


# Hand-built rows: only what the views read.
START = date(2024, 3, 1)


def trades(*rows: tuple[str, str, str, int]) -> pd.DataFrame:
    """(member, ticker, P or S, days after START) per row; each row its own file's row 1."""
    return pd.DataFrame([
        {"source_file": f"f{index}.pdf", "row_number": 1, "filer_name": member, "ticker": ticker,
         "transaction_type": kind, "transaction_date": (START + timedelta(days=day)).isoformat(),
         "signed_date": (START + timedelta(days=day + 10)).isoformat(), "chamber": "house",
         "amount_min": 1001.0, "amount_max": 15000.0}
        for index, (member, ticker, kind, day) in enumerate(rows)])


def cluster_files(frame: pd.DataFrame) -> list[list[str]]:
    return [[source for source, _ in keys] for keys in clusters(frame).sort_values("first_date")["row_keys"]]


def test_two_members_buying_within_the_window_are_a_cluster() -> None:
    found = clusters(trades(("Ann Lee", "NVDA", "P", 0), ("Bob Roe", "NVDA", "P", 14)))
    assert len(found) == 1
    cluster = found.iloc[0]
    assert (cluster["ticker"], cluster["direction"], cluster["members"]) == ("NVDA", "buy", 2)
    assert cluster["member_names"] == "Ann Lee; Bob Roe"
    assert (cluster["first_date"], cluster["last_date"]) == ("2024-03-01", "2024-03-15")


@pytest.mark.parametrize("rows", [
    (("Ann Lee", "NVDA", "P", 0), ("Bob Roe", "NVDA", "P", 15)),  # a day past the window
    (("Ann Lee", "NVDA", "P", 0), ("Bob Roe", "NVDA", "S", 3)),  # opposite directions
    (("Ann Lee", "NVDA", "P", 0), ("Ann Lee", "NVDA", "P", 3)),  # one member
    (("Ann Lee", "NVDA", "P", 0), ("Bob Roe", "AAPL", "P", 3)),  # other tickers
    (("Ann Lee", "NVDA", "E", 0), ("Bob Roe", "NVDA", "E", 3)),  # exchanges are neither side
    (("Ann Lee", "", "P", 0), ("Bob Roe", "", "P", 3)),  # no ticker
])
def test_no_cluster(rows: tuple[tuple[str, str, str, int], ...]) -> None:
    assert clusters(trades(*rows)).empty


def test_a_chain_longer_than_the_window_is_two_clusters() -> None:
    frame = trades(("Ann Lee", "NVDA", "S", 0), ("Bob Roe", "NVDA", "S", 10), ("Cy Poe", "NVDA", "S", 20))
    assert cluster_files(frame) == [["f0.pdf", "f1.pdf"], ["f1.pdf", "f2.pdf"]]
    assert set(clusters(frame)["direction"]) == {"sell"}
    assert cluster_files(trades(("Ann Lee", "NVDA", "S", 0), ("Bob Roe", "NVDA", "S", 10))) == [["f0.pdf", "f1.pdf"]]


def test_a_window_inside_another_is_the_same_cluster() -> None:
    frame = trades(("Ann Lee", "MSFT", "P", 0), ("Ann Lee", "MSFT", "P", 2), ("Bob Roe", "MSFT", "P", 5),
                   ("Bob Roe", "MSFT", "P", 9))
    assert cluster_files(frame) == [["f0.pdf", "f1.pdf", "f2.pdf", "f3.pdf"]]


def test_clusters_of_several_tickers_and_sides_stay_apart() -> None:
    frame = trades(("Ann Lee", "MSFT", "P", 0), ("Bob Roe", "MSFT", "P", 1), ("Ann Lee", "MSFT", "S", 2),
                   ("Ann Lee", "NVDA", "P", 100), ("Bob Roe", "NVDA", "P", 101), ("Cy Poe", "AAPL", "P", 0))
    found = clusters(frame).set_index(["ticker", "direction"])
    assert sorted(found.index) == [("MSFT", "buy"), ("NVDA", "buy")]
    assert found.loc[("MSFT", "buy"), "row_keys"] == [("f0.pdf", 1), ("f1.pdf", 1)]
    assert found["trades"].tolist() == [2, 2]
    assert clusters(frame, window_days=0).empty, "the pairs are a day apart"
    assert len(clusters(frame, window_days=1)) == 2


def test_library_rows_give_their_ids() -> None:
    frame = trades(("Ann Lee", "NVDA", "P", 0), ("Bob Roe", "NVDA", "P", 3)).assign(library_id=["17", "42"])
    assert clusters(frame).iloc[0]["library_ids"] == ["17", "42"]


@pytest.mark.parametrize(("printed", "key"), [
    ("Hon. Marjorie Taylor Mrs Greene", "marjorie taylor greene"),
    ("Hon. Scott Scott Franklin", "scott franklin"),
    ("Hon. C. Scott Franklin", "scott franklin"),
    ("Hon. Neal Patrick MD, Facs Dunn", "neal patrick dunn"),
    ("Hon. Michael A. Collins Jr", "michael collins"),
    ("", ""),
])
def test_member_key(printed: str, key: str) -> None:
    assert member_key(printed) == key


def test_one_member_under_two_spellings_is_one_member_and_no_cluster() -> None:
    frame = trades(("Hon. Marjorie Taylor Greene", "NVDA", "P", 0), ("Hon. Marjorie Taylor Mrs Greene", "NVDA", "P", 3),
                   ("Hon. Marjorie Taylor Greene", "AAPL", "P", 50), ("", "AAPL", "S", 60))
    assert member_names(frame).tolist() == ["Hon. Marjorie Taylor Greene"] * 3 + ["(no name)"]
    assert clusters(frame).empty
    table = members_table(frame).set_index("filer")
    assert table.loc["Hon. Marjorie Taylor Greene", "trades"] == 3 and table.loc["(no name)", "trades"] == 1
    assert tickers_table(frame).set_index("ticker").loc["NVDA", "members"] == 1


# A Senate report filed on time and its amendment 1, filed a year later, restating the same two trades.
TOOMEY_ORIGINAL = "efd/fb88de4b-0d94-4270-9181-79e0d7ee6d5c.html"
TOOMEY_AMENDMENT = "efd/06ebd3f4-8ea6-439e-8cc5-2d07a4be9fa3.html"


def test_an_amendment_filed_later_does_not_make_its_trades_late() -> None:
    frame = frame_of(senate_file(TOOMEY_ORIGINAL), senate_file(TOOMEY_AMENDMENT))
    trades = prepare_trades(frame)
    amended = trades["amendment_number"] == 1
    assert (trades.loc[amended, "delay_days"] > 400).all(), "counted from the amendment's own filed date"
    first = first_disclosed(trades)
    assert first["delay_days"].tolist() == trades.loc[~amended, "delay_days"].tolist() * 2
    assert late_filings(trades)["amendment_number"].tolist() == [1, 1]
    assert late_filings(first).empty
    alone = first_disclosed(prepare_trades(frame[frame["amendment_number"] == 1]))
    assert (alone["delay_days"] > 400).all(), "without the original in the frame, the amendment's date is all we know"


def test_a_house_amended_row_counts_from_the_row_it_replaces() -> None:
    frame = trades(("Ann Lee", "NVDA", "P", 0), ("Ann Lee", "NVDA", "P", 0)).assign(
        library_id=["1", "2"], replaces=["", "1"], signed_date=["2024-03-20", "2024-09-01"])
    first = first_disclosed(prepare_trades(frame))
    assert first["delay_days"].tolist() == [19.0, 19.0]
    assert late_filings(prepare_trades(frame))["library_id"].tolist() == ["2"]
    assert late_filings(first).empty
