"""Figure builders: the expected traces on a small frame, and a "No data" figure on an empty one."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import pytest

from agent.analysis.figures import (
    asset_type_mix_figure,
    option_positions_figure,
    owner_mix_figure,
    reporting_delay_figure,
    trades_over_time_figure,
    volume_by_ticker_figure,
)
from tests.test_analytics import LARGE, MID, MID_MID, SMALL_MID, frame, option

TRADES = frame(
    {"ticker": "AAPL", "transaction_type": "P", "transaction_date": "2024-01-02", "notification_date": "2024-01-12"},
    {"ticker": "AAPL", "transaction_type": "S", "transaction_date": "2024-02-01", "notification_date": "2024-04-01",
     "amount": MID, "owner": "SP"},
    {"ticker": "MSFT", "transaction_type": "P", "amount": "Over $50,000,000", "owner": "JT"},
    option("NVDA", "call", "2024-01-10", "2025-02-13", 100.0, amount=LARGE),  # 400 days: LEAPS
    option("TSLA", "put", "2024-01-10", "2024-03-15", 150.0),  # 65 days: short-dated
)
BUILDERS: list[Callable[[pd.DataFrame], go.Figure]] = [
    trades_over_time_figure, volume_by_ticker_figure, asset_type_mix_figure, owner_mix_figure,
    reporting_delay_figure, option_positions_figure,
]


@pytest.mark.parametrize(("build", "trace_names"), [
    (trades_over_time_figure, ["Purchases", "Sales"]),
    (volume_by_ticker_figure, ["Estimated volume (midpoint)"]),
    (asset_type_mix_figure, ["Share of trades", "Share of volume"]),
    (owner_mix_figure, ["Share of trades", "Share of volume"]),
    (reporting_delay_figure, ["Trades"]),
    (option_positions_figure, ["Short-dated (< 365 days)", "LEAPS (≥ 365 days)"]),
], ids=["trades-over-time", "volume-by-ticker", "asset-type-mix", "owner-mix", "reporting-delay", "option-positions"])
def test_builder_draws_the_expected_traces(build: Callable[[pd.DataFrame], go.Figure], trace_names: list[str]) -> None:
    figure = build(TRADES)
    assert isinstance(figure, go.Figure)
    assert [trace.name for trace in figure.data] == trace_names
    assert not any(annotation.text == "No data" for annotation in figure.layout.annotations)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda build: build.__name__)
@pytest.mark.parametrize("transactions", [pd.DataFrame(), frame()], ids=["no-columns", "no-rows"])
def test_builder_says_no_data_on_an_empty_frame(build: Callable[[pd.DataFrame], go.Figure],
                                               transactions: pd.DataFrame) -> None:
    figure = build(transactions)
    assert isinstance(figure, go.Figure)
    assert figure.data == ()
    assert [annotation.text for annotation in figure.layout.annotations] == ["No data"]


def test_trade_markers_grow_with_volume() -> None:
    purchases = trades_over_time_figure(TRADES).data[0]
    assert list(purchases.y) == ["AAPL", "MSFT", "NVDA", "TSLA"]
    sizes = dict(zip(purchases.y, purchases.marker.size))
    assert sizes["MSFT"] == 40  # the largest trade ('Over $50,000,000' at its minimum)
    assert sizes["AAPL"] == sizes["TSLA"] < sizes["NVDA"] < sizes["MSFT"]


def test_volume_error_bars_span_the_bracket_range() -> None:
    bars = volume_by_ticker_figure(TRADES).data[0]
    assert list(bars.x) == ["MSFT", "NVDA", "AAPL", "TSLA"]
    assert list(bars.y) == [50_000_001, 375_000.5, SMALL_MID + MID_MID, SMALL_MID]
    # MSFT's 'Over' bracket is open: no upper bar. AAPL spans $16,002 to $65,000.
    assert list(bars.error_y.array) == [0.0, 124_999.5, 65_000 - 40_501, 6_999.5]
    assert list(bars.error_y.arrayminus) == [0.0, 124_999.5, 40_501 - 16_002, 6_999.5]


def test_volume_figure_keeps_the_largest_positions() -> None:
    assert list(volume_by_ticker_figure(TRADES, limit=2).data[0].x) == ["MSFT", "NVDA"]


def test_mix_bars_are_shares() -> None:
    trade_bars, volume_bars = owner_mix_figure(TRADES).data
    assert list(trade_bars.y) == ["joint", "self", "spouse"]
    assert list(trade_bars.x) == [0.2, 0.6, 0.2]
    assert sum(volume_bars.x) == pytest.approx(1.0)


def test_delay_histogram_counts_days_from_trade_to_filing_and_marks_the_stock_act_limit() -> None:
    figure = reporting_delay_figure(TRADES)
    # Every row's filing is signed 2024-04-01: traded 2024-01-02 (twice) is 90 days before, 2024-01-10 (twice) 82,
    # 2024-02-01 60; the notification dates (10 and 60 days after) do not count.
    assert sorted(figure.data[0].x) == [60, 82, 82, 90, 90]
    assert figure.layout.xaxis.title.text == "Days from trade to filing (House: signed date; Senate: filed date)"
    assert [(shape.x0, shape.x1) for shape in figure.layout.shapes] == [(45, 45)]
    assert "45-day STOCK Act limit" in [annotation.text for annotation in figure.layout.annotations]


def test_option_positions_split_short_dated_from_leaps() -> None:
    short_dated, leaps = option_positions_figure(TRADES).data
    assert (list(short_dated.text), list(short_dated.y)) == (["TSLA"], [150.0])
    assert (list(leaps.text), list(leaps.y)) == (["NVDA"], [100.0])
    assert (short_dated.marker.symbol, leaps.marker.symbol) == (("triangle-down",), ("triangle-up",))


def test_the_delay_chart_says_how_many_trades_it_leaves_out() -> None:
    figure = reporting_delay_figure(frame(
        {"transaction_date": "2024-01-02", "signed_date": "2024-01-20"},  # 18 days
        {"chamber": "senate", "transaction_date": "2024-01-03", "filed_date": "2024-01-05", "notification_date": ""},
        {"transaction_date": "2024-01-04", "signed_date": ""},
        {"transaction_date": ""},
    ))
    assert sorted(figure.data[0].x) == [2, 18]
    assert figure.layout.title.text == ("Reporting delay (2 of 4 trades: the others lack a readable trade or "
                                        "filing date)")
