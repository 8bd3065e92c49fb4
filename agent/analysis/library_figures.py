"""Figures of the library's views: who traded a ticker, and when (one line per member, buys and sales apart)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from agent.analysis.figures import CHART_MARGIN, MIN_HEIGHT, ROW_HEIGHT, SIDE_STYLES, Chart, date_axis
from agent.analysis.frame import prepare_trades
from agent.analysis.library_views import member_names
from agent.export import owner_label, transaction_type_label


def _hover(trade: pd.Series) -> str:
    kind = transaction_type_label(trade["transaction_type"]) or "type not printed"
    amount = trade["amount"] or "amount not printed"
    return f"<b>{trade['member']}</b><br>{trade['traded_on']:%Y-%m-%d} {kind}, {amount} ({owner_label(trade['owner'])})"


def ticker_trades_figure(transactions: pd.DataFrame, ticker: str) -> Chart:
    """The ticker's dated trades: each member on a line, each trade a marker at its date (up for a buy, down for a
    sale), its hover the trade in the table's words."""
    title = f"Who traded {ticker}, and when"
    trades = prepare_trades(transactions)
    trades = trades[trades["ticker"] == ticker.upper()].assign(member=member_names)
    dated = trades[trades["traded_on"].notna()]
    if dated.empty:
        return Chart(title, reason=f"none of the {len(trades)} trades of {ticker} has a readable date")
    members = sorted(dated["member"].unique(), key=str.casefold)
    line_of = {member: number for number, member in enumerate(members)}
    figure = go.Figure()
    for side, style in SIDE_STYLES.items():
        rows = dated[dated["side"] == side]
        if rows.empty:
            continue
        figure.add_trace(go.Scatter(
            x=rows["traded_on"], y=[line_of[member] + style.offset for member in rows["member"]], mode="markers",
            name=style.name, marker={"symbol": style.symbol, "color": style.color, "size": 11,
                                     "line": {"width": 1, "color": "white"}},
            hovertext=[_hover(trade) for _, trade in rows.iterrows()], hoverinfo="text"))
    if len(dated) < len(trades):
        title += f" ({len(dated)} of {len(trades)} trades: the others print no readable date)"
    figure.update_layout(
        title=title, xaxis={"title": "Transaction date", **date_axis(dated["traded_on"])},
        yaxis={"title": "Member", "tickvals": list(range(len(members))), "ticktext": members,
               "range": [len(members) - 0.5, -0.5], "zeroline": False},
        height=max(MIN_HEIGHT, ROW_HEIGHT * len(members) + CHART_MARGIN), hovermode="closest")
    return Chart(title, figure)
