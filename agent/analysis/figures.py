"""Plotly figures of the trades: a transactions DataFrame in, a plotly Figure out, nothing else touched.

Every builder works on an empty frame too: it then returns a figure that says "No data".
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from agent.analysis.frame import prepare_trades
from agent.analysis.metrics import (
    LEAPS_MIN_DAYS,
    STOCK_ACT_LIMIT_DAYS,
    MixShare,
    asset_type_mix,
    owner_mix,
    volume_estimate,
)

# Trace name, marker symbol and colour of each side of a trade ('' is a type the filing did not state).
SIDE_STYLES: dict[str, tuple[str, str, str]] = {
    "purchase": ("Purchases", "triangle-up", "#2ca02c"),
    "sale": ("Sales", "triangle-down", "#d62728"),
    "exchange": ("Exchanges", "diamond", "#7f7f7f"),
    "": ("Other", "circle", "#bcbd22"),
}
OPTION_SYMBOLS = {"call": "triangle-up", "put": "triangle-down"}
SMALLEST_MARKER, LARGEST_MARKER = 8, 40
DELAY_BIN_DAYS = 5


def _no_data(title: str) -> go.Figure:
    figure = go.Figure()
    figure.add_annotation(text="No data", x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                          font={"size": 16})
    figure.update_layout(title=title, xaxis={"visible": False}, yaxis={"visible": False})
    return figure


def _marker_sizes(midpoints: pd.Series, largest: float) -> list[float]:
    """Marker area grows with midpoint volume (the diameter with its square root); an unpriced trade gets the
    smallest marker."""
    if not largest or math.isnan(largest):
        return [SMALLEST_MARKER] * len(midpoints)
    return [SMALLEST_MARKER if math.isnan(value)
            else SMALLEST_MARKER + (LARGEST_MARKER - SMALLEST_MARKER) * math.sqrt(value / largest)
            for value in midpoints]


def trades_over_time_figure(transactions: pd.DataFrame) -> go.Figure:
    """Each dated trade at its date and ticker, one trace per side, markers sized by midpoint volume."""
    title = "Trades over time"
    trades = prepare_trades(transactions)
    dated = trades[trades["traded_on"].notna()]
    if dated.empty:
        return _no_data(title)
    largest = float(dated["midpoint"].max())
    figure = go.Figure()
    for side, (name, symbol, color) in SIDE_STYLES.items():
        rows = dated[dated["side"] == side]
        if rows.empty:
            continue
        figure.add_trace(go.Scatter(
            x=rows["traded_on"], y=rows["position"], mode="markers", name=name,
            marker={"symbol": symbol, "color": color, "size": _marker_sizes(rows["midpoint"], largest),
                    "line": {"width": 1, "color": "white"}},
            customdata=rows[["amount", "owner_group", "transaction_type"]].to_numpy(),
            hovertemplate="%{y}, %{x|%Y-%m-%d}<br>%{customdata[2]} %{customdata[0]} (%{customdata[1]})"
                          f"<extra>{name}</extra>",
        ))
    figure.update_layout(title=title, xaxis_title="Transaction date", yaxis_title="Ticker or asset")
    return figure


def volume_by_ticker_figure(transactions: pd.DataFrame, limit: int = 20) -> go.Figure:
    """Estimated volume of the largest positions: bars at the midpoint, error bars from the sum of
    minimums to the sum of maximums (an open 'Over $X' range has no upper bar)."""
    title = "Estimated volume by ticker"
    positions = volume_estimate(prepare_trades(transactions)).by_position[:limit]
    if not positions:
        return _no_data(title)
    midpoints = [position.volume.midpoint for position in positions]
    figure = go.Figure(go.Bar(
        x=[position.position for position in positions], y=midpoints, name="Estimated volume (midpoint)",
        error_y={"type": "data", "symmetric": False,
                 "array": [0.0 if position.volume.high is None else position.volume.high - midpoint
                           for position, midpoint in zip(positions, midpoints)],
                 "arrayminus": [midpoint - position.volume.low for position, midpoint in zip(positions, midpoints)]},
        hovertext=[f"{position.position}: {position.volume.text}, {position.trades} trade(s)"
                   for position in positions],
        hoverinfo="text",
    ))
    figure.update_layout(title=f"{title} (largest {len(positions)})", yaxis_title="US dollars (estimate)",
                         yaxis_tickprefix="$")
    return figure


def _mix_figure(shares: tuple[MixShare, ...], title: str) -> go.Figure:
    """Each group's share of trades and of volume, side by side."""
    if not shares:
        return _no_data(title)
    names = [share.name for share in shares]
    figure = go.Figure([
        go.Bar(y=names, x=[share.trade_share for share in shares], orientation="h", name="Share of trades"),
        go.Bar(y=names, x=[share.volume_share for share in shares], orientation="h", name="Share of volume"),
    ])
    figure.update_layout(title=title, barmode="group", xaxis={"tickformat": ".0%", "range": [0, 1]},
                         yaxis={"autorange": "reversed"})
    return figure


def asset_type_mix_figure(transactions: pd.DataFrame) -> go.Figure:
    return _mix_figure(asset_type_mix(prepare_trades(transactions)).shares, "Asset types")


def owner_mix_figure(transactions: pd.DataFrame) -> go.Figure:
    return _mix_figure(owner_mix(prepare_trades(transactions)).shares, "Owners")


def reporting_delay_figure(transactions: pd.DataFrame) -> go.Figure:
    """Histogram of days from trade to filing (when an investor can see it), with the STOCK Act's 45-day limit."""
    title = "Reporting delay"
    trades = prepare_trades(transactions)
    delays = trades["delay_days"].dropna()
    if len(delays) < len(trades):  # say how many the chart leaves out
        title += f" ({len(delays)} of {len(trades)} trades: the others lack a readable trade or filing date)"
    if delays.empty:
        return _no_data(title)
    figure = go.Figure(go.Histogram(x=delays, name="Trades", xbins={"size": DELAY_BIN_DAYS}))
    figure.add_vline(x=STOCK_ACT_LIMIT_DAYS, line_dash="dash", line_color="#d62728",
                     annotation_text=f"{STOCK_ACT_LIMIT_DAYS}-day STOCK Act limit")
    figure.update_layout(title=title, xaxis_title="Days from trade to filing (House: signed date; Senate: filed date)",
                         yaxis_title="Trades", showlegend=False)
    return figure


def option_positions_figure(transactions: pd.DataFrame) -> go.Figure:
    """Option trades by expiry and strike, short-dated and LEAPS apart (days to expiry at the trade)."""
    title = "Option positions"
    trades = prepare_trades(transactions)
    options = trades[trades["is_option"] & trades["option_strike"].notna() & trades["days_to_expiry"].notna()]
    if options.empty:
        return _no_data(title)
    is_leaps = options["days_to_expiry"] >= LEAPS_MIN_DAYS
    figure = go.Figure()
    for name, rows in ((f"Short-dated (< {LEAPS_MIN_DAYS} days)", options[~is_leaps]),
                       (f"LEAPS (≥ {LEAPS_MIN_DAYS} days)", options[is_leaps])):
        if rows.empty:
            continue
        figure.add_trace(go.Scatter(
            x=rows["expires_on"], y=rows["option_strike"], mode="markers", name=name,
            text=rows["position"],
            marker={"size": 12, "symbol": [OPTION_SYMBOLS.get(kind, "circle") for kind in rows["option_type"]]},
            customdata=rows[["option_type", "transaction_date", "days_to_expiry", "amount"]].to_numpy(),
            hovertemplate="%{text} %{customdata[0]} $%{y} expiring %{x|%Y-%m-%d}<br>traded %{customdata[1]}, "
                          "%{customdata[2]} days before expiry, %{customdata[3]}" f"<extra>{name}</extra>",
        ))
    figure.update_layout(title=title, xaxis_title="Expiration", yaxis_title="Strike", yaxis_tickprefix="$")
    return figure
