"""What the risk page shows before its details: a few key numbers and one small chart, from an assessment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import plotly.graph_objects as go

from agent.analysis.assessment import FitAssessment
from agent.analysis.fit import over_limit_text, share_beside_limit
from agent.analysis.formatting import counted, number_text, percent_text
from agent.analysis.metrics import STOCK_ACT_LIMIT_DAYS

CHART_POSITIONS = 8
CHART_HEIGHT = 260


@dataclass(frozen=True)
class KeyNumber:
    """One st.metric: a label, its value, an optional comparison with the profile, and a tooltip."""

    label: str
    value: str
    help: str
    delta: str | None = None
    delta_color: Literal["red", "green", "off"] = "off"


def _largest_position(assessment: FitAssessment) -> KeyNumber:
    positions = assessment.metrics.volume.by_position
    if not assessment.metrics.volume.total.midpoint:
        return KeyNumber("Largest position", "—", "No trade has a readable amount.")
    largest, limit = positions[0], assessment.profile.max_position_share
    label, value = f"Largest position ({largest.position})", percent_text(largest.share)
    about = f"{counted(largest.trades, 'trade')}; its share of the estimated volume"
    if limit is None:
        return KeyNumber(label, value, about)
    if largest.share <= limit:
        return KeyNumber(label, value, about, f"within your {percent_text(limit)} limit", "green")
    over = f"{over_limit_text(largest.share, limit)} your {percent_text(limit)} limit"
    return KeyNumber(label, share_beside_limit(largest.share, limit), about, over, "red")


def _holding(assessment: FitAssessment) -> KeyNumber:
    holding, options = assessment.metrics.holding, assessment.metrics.options
    if holding.median_holding_days is not None:
        return KeyNumber("Median days held", number_text(holding.median_holding_days),
                         f"Over {counted(len(holding.round_trips), 'round trip')} (a purchase, then a sale)")
    if options.median_days_to_expiry is not None:
        return KeyNumber("Median days to option expiry", number_text(options.median_days_to_expiry),
                         "No round trips: the options bought, days from purchase to expiry")
    return KeyNumber("Median days held", "—", "No round trips or option expiries in these filings")


def key_numbers(assessment: FitAssessment) -> tuple[KeyNumber, ...]:
    """Trades, options' share, the largest position, how long positions are held, how late trades are filed."""
    metrics = assessment.metrics
    coverage, options, timeliness = metrics.coverage, metrics.options, metrics.timeliness
    period = f", {coverage.first_trade} to {coverage.last_trade}" if coverage.first_trade else ""
    delay = ("—" if timeliness.median_days is None else number_text(timeliness.median_days))
    return (
        KeyNumber("Trades", str(coverage.trades), f"In {counted(coverage.filings, 'filing')}{period}"),
        KeyNumber("Options, share of volume", percent_text(options.volume_share),
                  f"{counted(options.trades, 'option trade')}"),
        _largest_position(assessment),
        _holding(assessment),
        KeyNumber("Median days to filing", delay,
                  f"{counted(timeliness.late_trades, 'trade')} filed beyond the {STOCK_ACT_LIMIT_DAYS}-day STOCK Act "
                  "limit: copying can start only once a trade is filed"),
    )


def position_share_figure(assessment: FitAssessment) -> go.Figure:
    """The largest positions' shares of volume as small horizontal bars, with the profile's position limit."""
    positions = assessment.metrics.volume.by_position[:CHART_POSITIONS]
    figure = go.Figure()
    figure.update_layout(height=CHART_HEIGHT, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                         title=f"Largest positions, share of volume (top {len(positions)})")
    if not assessment.metrics.volume.total.midpoint:
        figure.add_annotation(text="No trade has a readable amount, so there is no volume to chart.", x=0.5, y=0.5,
                              xref="paper", yref="paper", showarrow=False)
        figure.update_layout(title="Largest positions", xaxis={"visible": False}, yaxis={"visible": False})
        return figure
    figure.add_trace(go.Bar(
        y=[position.position for position in positions], x=[position.share for position in positions],
        orientation="h",  # no bar labels: the largest share is a key number already
        hovertext=[f"{position.position}: {percent_text(position.share)} of volume, {position.volume.text}"
                   for position in positions], hoverinfo="text"))
    limit = assessment.profile.max_position_share
    if limit is not None:
        figure.add_vline(x=limit, line_dash="dash", line_color="#d62728",
                         annotation_text=f"your {percent_text(limit)} limit")
    figure.update_layout(xaxis={"tickformat": ".0%", "range": [0, 1]}, yaxis={"autorange": "reversed"})
    return figure
