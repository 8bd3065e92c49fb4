"""Plotly figures of the trades: a transactions DataFrame in, a plotly Figure out, nothing else touched.

Each builder returns a Chart: its figure, or, with nothing to draw, the reason, so the page writes that sentence
instead of showing an empty chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
from agent.export import owner_label, transaction_type_label


@dataclass(frozen=True)
class Chart:
    """A figure, or why there is none."""

    title: str
    figure: go.Figure | None = None
    reason: str = ""  # when there is no figure

    @property
    def sentence(self) -> str:
        return f"{self.title}: {self.reason}."


@dataclass(frozen=True)
class SideStyle:
    """How one side of a trade is drawn: its trace, its marker, and its offset from the position's line (so a buy
    and a sale of one position on one day do not hide each other)."""

    name: str
    symbol: str
    color: str
    offset: float


# By side of the trade ('' is a type the filing did not state).
SIDE_STYLES: dict[str, SideStyle] = {
    "purchase": SideStyle("Purchases", "triangle-up", "#2ca02c", -0.2),
    "sale": SideStyle("Sales", "triangle-down", "#d62728", 0.2),
    "exchange": SideStyle("Exchanges", "diamond", "#7f7f7f", 0.0),
    "": SideStyle("Other", "circle", "#bcbd22", 0.0),
}
# Option trades by side, bought against sold (the filings do not say to open or to close); a marker's shape says call
# or put.
OPTION_SIDES: dict[str, tuple[str, str]] = {
    "purchase": ("Bought", "#2ca02c"),
    "sale": ("Sold", "#d62728"),
    "exchange": ("Exchanged", "#7f7f7f"),
    "": ("Type not printed", "#bcbd22"),
}
OPTION_SYMBOLS = {"call": "triangle-up", "put": "triangle-down"}
SMALLEST_MARKER, LARGEST_MARKER = 8, 40
DELAY_BIN_DAYS = 5
NO_TRANSACTIONS = "no transactions to show with the filters as set"
DAY_MS = 86_400_000
SHORT_SPAN_DAYS = 14  # a date axis spanning fewer days gets one tick a day, never hours
DATE_PAD_DAYS = 3
ROW_HEIGHT, CHART_MARGIN, MIN_HEIGHT = 26, 170, 420  # pixels: "Trades over time" grows with its positions


def _undrawn(title: str, trades: pd.DataFrame, reason: str) -> Chart:
    """No figure: no rows at all, or the reason these rows give none."""
    return Chart(title, reason=reason if len(trades) else NO_TRANSACTIONS)


def _marker_sizes(midpoints: pd.Series, largest: float) -> list[float]:
    """Marker area grows with midpoint volume (the diameter with its square root); an unpriced trade gets the
    smallest marker."""
    if not largest or math.isnan(largest):
        return [SMALLEST_MARKER] * len(midpoints)
    return [SMALLEST_MARKER if math.isnan(value)
            else SMALLEST_MARKER + (LARGEST_MARKER - SMALLEST_MARKER) * math.sqrt(value / largest)
            for value in midpoints]


def date_axis(dates: pd.Series) -> dict[str, object]:
    """A date axis in days: padded around its dates, and with daily ticks when they span under two weeks (Plotly
    would otherwise label the hours of a single day)."""
    first, last = dates.min(), dates.max()
    span_days = (last - first).days
    pad = pd.Timedelta(days=max(DATE_PAD_DAYS, math.ceil(span_days * 0.03)))
    axis: dict[str, object] = {"type": "date", "range": [first - pad, last + pad]}
    if span_days < SHORT_SPAN_DAYS:
        axis.update(dtick=DAY_MS, tickformat="%b %d<br>%Y")
    return axis


def _trade_line(trade: pd.Series) -> str:
    """One trade in a hover: date, Buy/Sell, what, how much, whose (in the table's words)."""
    date = trade["traded_on"].strftime("%Y-%m-%d") if pd.notna(trade["traded_on"]) else "undated"
    word = transaction_type_label(trade["transaction_type"]) or "type not printed"
    what = trade["asset_name"] or trade["position"]
    if trade["is_option"] and trade["option_type"]:  # two contracts of one ticker on one day differ by these
        strike = f" ${trade['option_strike']:g}" if pd.notna(trade["option_strike"]) else ""
        expiry = f", expiring {trade['option_expiration']}" if trade["option_expiration"] else ""
        what += f" ({trade['option_type']}{strike}{expiry})"
    filer = trade["filer_name"] or "filer not printed"
    return f"{date} {word}: {what}, {trade['amount'] or 'amount not printed'}, {filer} ({owner_label(trade['owner'])})"


def _stacked(trades: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per point: the trades (some) that share its keys, counted, their midpoints summed, each a hover line."""
    grouped = trades.assign(line=trades.apply(_trade_line, axis=1)).groupby(keys, sort=True, dropna=False)
    return grouped.agg(count=("line", "size"), midpoint=("midpoint", lambda values: values.sum(min_count=1)),
                       lines=("line", "<br>".join)).reset_index()


def _count_label(count: int) -> str:
    return f"×{count}" if count > 1 else ""


def trades_over_time_figure(transactions: pd.DataFrame) -> Chart:
    """Each dated trade at its date and position, one trace per side. Trades of one position, side and day share a
    marker, labelled with their count and listed in its hover; markers are sized by midpoint volume."""
    title = "Trades over time"
    trades = prepare_trades(transactions)
    dated = trades[trades["traded_on"].notna()]
    if dated.empty:
        return _undrawn(title, trades, f"none of the {len(trades)} trades has a readable transaction date")
    points = _stacked(dated, ["traded_on", "position", "side"])
    positions = sorted(points["position"].unique(), key=str.casefold)
    line_of = {position: number for number, position in enumerate(positions)}
    largest = float(points["midpoint"].max())
    figure = go.Figure()
    for side, style in SIDE_STYLES.items():
        rows = points[points["side"] == side]
        if rows.empty:
            continue
        figure.add_trace(go.Scatter(
            x=rows["traded_on"], y=[line_of[position] + style.offset for position in rows["position"]],
            mode="markers+text", name=style.name, text=[_count_label(count) for count in rows["count"]],
            textposition="middle right",
            marker={"symbol": style.symbol, "color": style.color, "size": _marker_sizes(rows["midpoint"], largest),
                    "line": {"width": 1, "color": "white"}},
            hovertext=[f"<b>{position}</b><br>{lines}" for position, lines in zip(rows["position"], rows["lines"])],
            hoverinfo="text",
        ))
    untraded = len(trades) - len(dated)
    if untraded:  # say how many the chart leaves out
        title += f" ({len(dated)} of {len(trades)} trades: the others print no readable date)"
    figure.update_layout(
        title=title, xaxis={"title": "Transaction date", **date_axis(points["traded_on"])},
        yaxis={"title": "Ticker or asset", "tickvals": list(range(len(positions))), "ticktext": positions,
               "range": [len(positions) - 0.5, -0.5], "zeroline": False},
        height=max(MIN_HEIGHT, ROW_HEIGHT * len(positions) + CHART_MARGIN), hovermode="closest")
    return Chart(title, figure)


def volume_by_ticker_figure(transactions: pd.DataFrame, limit: int = 20) -> Chart:
    """Estimated volume of the largest positions: bars at the midpoint, error bars from the sum of
    minimums to the sum of maximums (an open 'Over $X' range has no upper bar)."""
    title = "Estimated volume by ticker"
    trades = prepare_trades(transactions)
    positions = volume_estimate(trades).by_position[:limit]
    if trades["midpoint"].isna().all():
        return _undrawn(title, trades, f"none of the {len(trades)} trades prints a readable amount")
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
    return Chart(title, figure)


def _mix_figure(shares: tuple[MixShare, ...], title: str) -> Chart:
    """Each group's share of trades and of volume, side by side."""
    if not shares:
        return Chart(title, reason=NO_TRANSACTIONS)
    names = [share.name for share in shares]
    figure = go.Figure([
        go.Bar(y=names, x=[share.trade_share for share in shares], orientation="h", name="Share of trades"),
        go.Bar(y=names, x=[share.volume_share for share in shares], orientation="h", name="Share of volume"),
    ])
    figure.update_layout(title=title, barmode="group", xaxis={"tickformat": ".0%", "range": [0, 1]},
                         yaxis={"autorange": "reversed"})
    return Chart(title, figure)


def asset_type_mix_figure(transactions: pd.DataFrame) -> Chart:
    return _mix_figure(asset_type_mix(prepare_trades(transactions)).shares, "Asset types")


def owner_mix_figure(transactions: pd.DataFrame) -> Chart:
    return _mix_figure(owner_mix(prepare_trades(transactions)).shares, "Owners")


def reporting_delay_figure(transactions: pd.DataFrame) -> Chart:
    """Histogram of days from trade to filing (when an investor can see it), with the STOCK Act's 45-day limit."""
    title = "Reporting delay"
    trades = prepare_trades(transactions)
    delays = trades["delay_days"].dropna()
    if delays.empty:
        return _undrawn(title, trades, f"none of the {len(trades)} trades has both a readable trade date and a "
                        "filing date")
    if len(delays) < len(trades):  # say how many the chart leaves out
        title += f" ({len(delays)} of {len(trades)} trades: the others lack a readable trade or filing date)"
    figure = go.Figure(go.Histogram(x=delays, name="Trades", xbins={"size": DELAY_BIN_DAYS}))
    figure.add_vline(x=STOCK_ACT_LIMIT_DAYS, line_dash="dash", line_color="#d62728",
                     annotation_text=f"{STOCK_ACT_LIMIT_DAYS}-day STOCK Act limit")
    figure.update_layout(title=title, xaxis_title="Days from trade to filing (House: signed date; Senate: filed date)",
                         yaxis_title="Trades", showlegend=False)
    return Chart(title, figure)


def option_positions_figure(transactions: pd.DataFrame) -> Chart:
    """Option trades by expiry and strike, each labelled with its ticker: bought and sold apart by colour, calls (▲)
    and puts (▼) by shape, short-dated options hollow and LEAPS filled (days to expiry at the trade). Trades of one
    contract and side share a marker, with their count."""
    title = "Option positions"
    trades = prepare_trades(transactions)
    options = trades[trades["is_option"]]
    if options.empty:
        return _undrawn(title, trades, f"none of the {len(trades)} trades is an option")
    drawn = options[options["option_strike"].notna() & options["days_to_expiry"].notna()]
    if drawn.empty:
        return Chart(title, reason=f"the {len(options)} option trade(s) print no readable strike, expiry or "
                     "trade date")
    points = _stacked(drawn.assign(is_leaps=drawn["days_to_expiry"] >= LEAPS_MIN_DAYS),
                      ["side", "position", "option_type", "option_strike", "expires_on", "is_leaps"])
    # Labels of one expiry alternate above and below their markers, from the highest strike down, so near strikes'
    # tickers do not print over each other.
    from_the_top = points.groupby("expires_on")["option_strike"].rank(method="first", ascending=False)
    points["label_at"] = ["top center" if rank % 2 else "bottom center" for rank in from_the_top]
    figure = go.Figure()
    for side, (name, color) in OPTION_SIDES.items():
        rows = points[points["side"] == side]
        if rows.empty:
            continue
        symbols = [OPTION_SYMBOLS.get(kind, "circle") + ("" if leaps else "-open")
                   for kind, leaps in zip(rows["option_type"], rows["is_leaps"])]
        figure.add_trace(go.Scatter(
            x=rows["expires_on"], y=rows["option_strike"], mode="markers+text", name=name,
            text=[f"{position} {_count_label(count)}".strip() for position, count in zip(rows["position"],
                                                                                        rows["count"])],
            textposition=list(rows["label_at"]),
            marker={"size": 13, "color": color, "symbol": symbols, "line": {"width": 2, "color": color}},
            hovertext=[f"<b>{position} {kind} ${strike:g}</b>, expiring {expiry:%Y-%m-%d} "
                       f"({'LEAPS' if leaps else 'short-dated'})<br>{lines}"
                       for position, kind, strike, expiry, leaps, lines in zip(
                           rows["position"], rows["option_type"], rows["option_strike"], rows["expires_on"],
                           rows["is_leaps"], rows["lines"])],
            hoverinfo="text",
        ))
    if len(drawn) < len(options):
        title += f" ({len(drawn)} of {len(options)} option trades: the others print no readable strike or expiry)"
    figure.update_layout(
        title=title, xaxis={"title": "Expiration", **date_axis(points["expires_on"])}, yaxis_title="Strike",
        yaxis_tickprefix="$", legend_title_text=f"▲ call, ▼ put; hollow: under {LEAPS_MIN_DAYS} days to expiry")
    return Chart(title, figure)
