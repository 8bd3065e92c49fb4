"""TradeTrace: one entry point. Page config, the shared sidebar, and navigation over pages/."""

import streamlit as st

from pages.common import sidebar, workspace

st.set_page_config(page_title="TradeTrace", page_icon="📈", layout="wide")
workspace()  # before any page: gives this browser its private history

# Page files are named *_page.py so no URL matches a file stem: Streamlit's legacy pages/ mode (used for
# a process's first run, and by AppTest) then always falls back to this script instead of running a page alone.
navigation = st.navigation([
    st.Page("pages/extract_page.py", title="Extract", icon="📄", url_path="extract", default=True),
    st.Page("pages/transactions_page.py", title="Transactions", icon="📋", url_path="transactions"),
    st.Page("pages/charts_page.py", title="Charts", icon="📊", url_path="charts"),
    st.Page("pages/risk_profile_page.py", title="Risk profile", icon="🧭", url_path="risk-profile"),
    st.Page("pages/history_page.py", title="History", icon="🗂️", url_path="history"),
    st.Page("pages/library_page.py", title="Library", icon="📚", url_path="library"),
    st.Page("pages/fetch_page.py", title="Fetch", icon="🏛️", url_path="fetch"),
    st.Page("pages/ask_page.py", title="Ask", icon="💬", url_path="ask"),
])
sidebar()
navigation.run()
