"""Ask: a request in plain words over this run's rows or the library's. The agent shows its plan and each step,
then answers with the rows it rests on; every number in the answer comes from a query over the rows."""

from __future__ import annotations

import streamlit as st

from pages.ask_view import ask_box

st.title("Ask")
st.caption("State the task and the question in words: counts, estimated amounts, top tickers, dates, members, "
           "options by expiry, late disclosures, clusters, comparisons, your profile's fit, a CSV or a report. "
           "Every number in the answer comes from a query over the rows, and each answer cites the rows it rests "
           "on. What the filings do not disclose (prices, returns, motives) gets \"the filings do not say\".")
ask_box("ask_page")
