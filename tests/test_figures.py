"""Figure builders: the expected traces on a small frame and on real filings (Pelosi's options), a sentence instead
of an empty chart, a date axis in days when the trades share one day, and every trade identifiable."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from agent.analysis.figures import (
    DAY_MS,
    NO_TRANSACTIONS,
    Chart,
    asset_type_mix_figure,
    option_positions_figure,
    owner_mix_figure,
    reporting_delay_figure,
    trades_over_time_figure,
    volume_by_ticker_figure,
)
from agent.export import to_dataframe
from agent.run.extract import extract_path
from tests.conftest import filing_path
from tests.test_analytics import LARGE, MID, MID_MID, SMALL_MID, frame, option

TRADES = frame(
    {"ticker": "AAPL", "transaction_type": "P", "transaction_date": "2024-01-02", "notification_date": "2024-01-12"},
    {"ticker": "AAPL", "transaction_type": "S", "transaction_date": "2024-02-01", "notification_date": "2024-04-01",
     "amount": MID, "owner": "SP"},
    {"ticker": "MSFT", "transaction_type": "P", "amount": "Over $50,000,000", "owner": "JT"},
    option("NVDA", "call", "2024-01-10", "2025-02-13", 100.0, amount=LARGE),  # 400 days: LEAPS
    option("TSLA", "put", "2024-01-10", "2024-03-15", 150.0, transaction_type="S", option_action="sold"),  # 65 days
)
BUILDERS: list[Callable[[pd.DataFrame], Chart]] = [
    trades_over_time_figure, volume_by_ticker_figure, asset_type_mix_figure, owner_mix_figure,
    reporting_delay_figure, option_positions_figure,
]


def real_frame(docid: str) -> pd.DataFrame:
    outcome = extract_path(filing_path(docid))
    assert outcome.filing is not None, outcome.reason
    return to_dataframe([outcome.filing])


def positions_of(chart: Chart) -> dict[float, str]:
    """Trades over time: the position each y value stands for (the tick nearest it)."""
    axis = chart.figure.layout.yaxis
    return {float(y): axis.ticktext[round(y)] for trace in chart.figure.data for y in trace.y}


@pytest.mark.parametrize(("build", "trace_names"), [
    (trades_over_time_figure, ["Purchases", "Sales"]),
    (volume_by_ticker_figure, ["Estimated volume (midpoint)"]),
    (asset_type_mix_figure, ["Share of trades", "Share of volume"]),
    (owner_mix_figure, ["Share of trades", "Share of volume"]),
    (reporting_delay_figure, ["Trades"]),
    (option_positions_figure, ["Bought", "Sold"]),
], ids=["trades-over-time", "volume-by-ticker", "asset-type-mix", "owner-mix", "reporting-delay", "option-positions"])
def test_builder_draws_the_expected_traces(build: Callable[[pd.DataFrame], Chart], trace_names: list[str]) -> None:
    chart = build(TRADES)
    assert chart.figure is not None and chart.reason == ""
    assert [trace.name for trace in chart.figure.data] == trace_names


@pytest.mark.parametrize("build", BUILDERS, ids=lambda build: build.__name__)
@pytest.mark.parametrize("transactions", [pd.DataFrame(), frame()], ids=["no-columns", "no-rows"])
def test_builder_says_why_instead_of_an_empty_chart(build: Callable[[pd.DataFrame], Chart],
                                                  transactions: pd.DataFrame) -> None:
    chart = build(transactions)
    assert chart.figure is None
    assert chart.sentence == f"{chart.title}: {NO_TRANSACTIONS}."


@pytest.mark.parametrize(("build", "sentence"), [
    (trades_over_time_figure, "Trades over time: none of the 2 trades has a readable transaction date."),
    (volume_by_ticker_figure, "Estimated volume by ticker: none of the 2 trades prints a readable amount."),
    (reporting_delay_figure, "Reporting delay: none of the 2 trades has both a readable trade date and a filing "
                             "date."),
    (option_positions_figure, "Option positions: none of the 2 trades is an option."),
], ids=["trades-over-time", "volume-by-ticker", "reporting-delay", "option-positions"])
def test_rows_with_nothing_to_draw_give_the_reason(build: Callable[[pd.DataFrame], Chart], sentence: str) -> None:
    undated_unpriced = frame({"transaction_date": "", "amount": ""}, {"transaction_date": "", "amount": ""})
    chart = build(undated_unpriced)
    assert chart.figure is None and chart.sentence == sentence


def test_options_without_strike_or_expiry_give_the_reason() -> None:
    chart = option_positions_figure(frame({"asset_type": "OP", "option_type": "call"}))
    assert chart.sentence == "Option positions: the 1 option trade(s) print no readable strike, expiry or trade date."


def test_trade_markers_grow_with_volume() -> None:
    chart = trades_over_time_figure(TRADES)
    purchases = chart.figure.data[0]
    names = positions_of(chart)
    assert [names[y] for y in purchases.y] == ["AAPL", "MSFT", "NVDA"]
    sizes = {names[y]: size for y, size in zip(purchases.y, purchases.marker.size)}
    assert sizes["MSFT"] == 40  # the largest trade ('Over $50,000,000' at its minimum)
    assert sizes["AAPL"] < sizes["NVDA"] < sizes["MSFT"]


def test_same_day_trades_share_a_counted_marker_and_a_buy_does_not_hide_a_sale() -> None:
    chart = trades_over_time_figure(frame(
        {"ticker": "AAPL", "transaction_type": "P", "owner": "SP"},
        {"ticker": "AAPL", "transaction_type": "P", "amount": MID},
        {"ticker": "AAPL", "transaction_type": "S (partial)"},
    ))
    purchases, sales = chart.figure.data
    assert list(purchases.text) == ["×2"] and list(sales.text) == [""]
    assert purchases.y[0] != sales.y[0]  # one line per position, buys above it and sales below
    assert positions_of(chart) == {purchases.y[0]: "AAPL", sales.y[0]: "AAPL"}
    assert purchases.hovertext[0] == (
        "<b>AAPL</b><br>2024-01-02 Buy: AAPL, $1,001 - $15,000, Hon. Test Filer (Spouse)"
        "<br>2024-01-02 Buy: AAPL, $15,001 - $50,000, Hon. Test Filer (Self)")
    assert sales.hovertext[0] == ("<b>AAPL</b><br>2024-01-02 Sell (partial): AAPL, $1,001 - $15,000, Hon. Test Filer "
                                  "(Self)")


def test_volume_error_bars_span_the_bracket_range() -> None:
    bars = volume_by_ticker_figure(TRADES).figure.data[0]
    assert list(bars.x) == ["MSFT", "NVDA", "AAPL", "TSLA"]
    assert list(bars.y) == [50_000_001, 375_000.5, SMALL_MID + MID_MID, SMALL_MID]
    # MSFT's 'Over' bracket is open: no upper bar. AAPL spans $16,002 to $65,000.
    assert list(bars.error_y.array) == [0.0, 124_999.5, 65_000 - 40_501, 6_999.5]
    assert list(bars.error_y.arrayminus) == [0.0, 124_999.5, 40_501 - 16_002, 6_999.5]


def test_volume_figure_keeps_the_largest_positions() -> None:
    assert list(volume_by_ticker_figure(TRADES, limit=2).figure.data[0].x) == ["MSFT", "NVDA"]


def test_mix_bars_are_shares() -> None:
    trade_bars, volume_bars = owner_mix_figure(TRADES).figure.data
    assert list(trade_bars.y) == ["Joint", "Self", "Spouse"]  # as the table says them
    assert list(trade_bars.x) == [0.2, 0.6, 0.2]
    assert sum(volume_bars.x) == pytest.approx(1.0)


def test_delay_histogram_counts_days_from_trade_to_filing_and_marks_the_stock_act_limit() -> None:
    figure = reporting_delay_figure(TRADES).figure
    # Every row's filing is signed 2024-04-01: traded 2024-01-02 (twice) is 90 days before, 2024-01-10 (twice) 82,
    # 2024-02-01 60; the notification dates (10 and 60 days after) do not count.
    assert sorted(figure.data[0].x) == [60, 82, 82, 90, 90]
    assert figure.layout.xaxis.title.text == "Days from trade to filing (House: signed date; Senate: filed date)"
    assert [(shape.x0, shape.x1) for shape in figure.layout.shapes] == [(45, 45)]
    assert "45-day STOCK Act limit" in [annotation.text for annotation in figure.layout.annotations]


def test_option_positions_tell_bought_from_sold_and_leaps_from_short_dated() -> None:
    bought, sold = option_positions_figure(TRADES).figure.data
    assert (list(bought.text), list(bought.y), bought.marker.symbol) == (["NVDA"], [100.0], ("triangle-up",))
    assert (list(sold.text), list(sold.y), sold.marker.symbol) == (["TSLA"], [150.0], ("triangle-down-open",))
    assert bought.marker.color != sold.marker.color


def test_the_delay_chart_says_how_many_trades_it_leaves_out() -> None:
    figure = reporting_delay_figure(frame(
        {"transaction_date": "2024-01-02", "signed_date": "2024-01-20"},  # 18 days
        {"chamber": "senate", "transaction_date": "2024-01-03", "filed_date": "2024-01-05", "notification_date": ""},
        {"transaction_date": "2024-01-04", "signed_date": ""},
        {"transaction_date": ""},
    )).figure
    assert sorted(figure.data[0].x) == [2, 18]
    assert figure.layout.title.text == ("Reporting delay (2 of 4 trades: the others lack a readable trade or "
                                        "filing date)")


# --- real filings -------------------------------------------------------------------------------------------------


@pytest.mark.shared
def test_pelosis_options_are_labelled_by_ticker_with_sold_and_bought_apart() -> None:
    """20016961: calls bought on AXP and PYPL (LEAPS, expiring 2022-01-21); calls sold on AAPL and, twice on
    2020-01-16 at two strikes, AMZN (expiring within days). The NFLX and CRM rows exercise calls: stock trades."""
    bought, sold = option_positions_figure(real_frame("20016961")).figure.data
    assert bought.name == "Bought" and sold.name == "Sold"
    assert sorted(zip(bought.text, bought.y)) == [("AXP", 80.0), ("PYPL", 100.0)]
    assert set(bought.marker.symbol) == {"triangle-up"}  # calls, LEAPS: filled
    assert sorted(zip(sold.text, sold.y)) == [("AAPL", 145.0), ("AMZN", 1600.0), ("AMZN", 1700.0)]
    assert set(sold.marker.symbol) == {"triangle-up-open"}  # calls, short-dated: hollow
    # one expiry's labels alternate above and below, from the highest strike down, so they do not overprint
    assert dict(zip(bought.text, bought.textposition)) == {"PYPL": "top center", "AXP": "bottom center"}
    assert dict(zip(sold.y, sold.textposition)) == {1700.0: "top center", 1600.0: "bottom center", 145.0: "top center"}
    amzn = next(text for text in sold.hovertext if "$1700" in text)
    assert amzn == ("<b>AMZN call $1700</b>, expiring 2020-01-17 (short-dated)<br>2020-01-16 Sell: Amazon.com, Inc. "
                    "(call $1700, expiring 2020-01-17), $250,001 - $500,000, Hon. Nancy Pelosi (Spouse)")


@pytest.mark.shared
def test_every_trade_of_a_real_filing_is_in_a_hover_of_trades_over_time() -> None:
    transactions = real_frame("20016961")
    chart = trades_over_time_figure(transactions)
    lines = [line for trace in chart.figure.data for text in trace.hovertext for line in text.split("<br>")[1:]]
    assert len(lines) == len(transactions) == 9
    assert sum(int(label.lstrip("×") or 1) for trace in chart.figure.data for label in trace.text) == 9
    assert "2020-06-18 Buy: Netflix, Inc., $1,000,001 - $5,000,000, Hon. Nancy Pelosi (Spouse)" in lines
    assert len({trace.name for trace in chart.figure.data}) == 2


@pytest.mark.shared
def test_trades_of_one_day_get_an_axis_in_days() -> None:
    """20021837: all four trades on 2022-09-16, the three options expiring that day: no axis of hours."""
    transactions = real_frame("20021837")
    for chart in (trades_over_time_figure(transactions), option_positions_figure(transactions)):
        axis = chart.figure.layout.xaxis
        assert [pd.Timestamp(end) for end in axis.range] == [pd.Timestamp("2022-09-13"), pd.Timestamp("2022-09-19")]
        assert axis.dtick == DAY_MS and "%H" not in axis.tickformat
