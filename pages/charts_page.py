"""Charts: the filtered transactions as plotly figures (built in agent/figures.py)."""

from __future__ import annotations

import streamlit as st

from agent.analysis.figures import (
    asset_type_mix_figure,
    option_positions_figure,
    owner_mix_figure,
    reporting_delay_figure,
    trades_over_time_figure,
    volume_by_ticker_figure,
)
from pages.common import current_result, empty_state, transactions_frame
from pages.filters import filtered_frame

st.title("Charts")
frame = transactions_frame()
if current_result() is None or frame.empty:
    empty_state("No transactions to chart yet: run an extraction first (or reopen a run from History).")
    st.stop()

shown = filtered_frame(frame)
st.caption(f"{len(shown)} of {len(frame)} transactions, following the filters. Volumes are estimated from the "
           "disclosed brackets (midpoints, with the low-high range shown): ranges, not prices.")
st.plotly_chart(trades_over_time_figure(shown), width="stretch")
st.plotly_chart(volume_by_ticker_figure(shown), width="stretch")
left, right = st.columns(2)
left.plotly_chart(asset_type_mix_figure(shown), width="stretch")
right.plotly_chart(owner_mix_figure(shown), width="stretch")
st.plotly_chart(reporting_delay_figure(shown), width="stretch")
st.plotly_chart(option_positions_figure(shown), width="stretch")
