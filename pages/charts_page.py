"""Charts: the filtered transactions as plotly figures (built in agent/analysis/figures.py); a chart with nothing to
draw says why instead."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from agent.analysis.figures import (
    Chart,
    asset_type_mix_figure,
    option_positions_figure,
    owner_mix_figure,
    reporting_delay_figure,
    trades_over_time_figure,
    volume_by_ticker_figure,
)
from pages.common import empty_state, scope_switch
from pages.filters import filtered_frame


def show(chart: Chart, where: DeltaGenerator | None = None) -> None:
    """The chart, or the sentence saying why there is none; full width unless `where` is a column."""
    where = where or st.container()
    if chart.figure is None:
        where.info(chart.sentence)
    else:
        where.plotly_chart(chart.figure, width="stretch")


st.title("Charts")
scoped = scope_switch()
frame = scoped.frame
if frame.empty:
    empty_state(scoped.empty)
    st.stop()

shown = filtered_frame(frame)
st.caption("Volumes are estimated from the disclosed brackets (midpoints, with the low-high range shown): ranges, "
           "not prices. Trades of one position, side and day share a marker (its label counts them; its hover lists "
           "each).")
show(trades_over_time_figure(shown))
show(volume_by_ticker_figure(shown))
left, right = st.columns(2)
show(asset_type_mix_figure(shown), left)
show(owner_mix_figure(shown), right)
show(reporting_delay_figure(shown))
show(option_positions_figure(shown))
