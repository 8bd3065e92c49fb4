"""TradeTrace: one entry point. Page config, the shared sidebar, and navigation over pages/."""

import streamlit as st

from pages.common import sidebar, workspace

st.set_page_config(page_title="TradeTrace", page_icon="📈", layout="wide")
workspace()  # before any page: gives this browser its private history

navigation = st.navigation([
    st.Page("pages/extract.py", title="Extract", icon="📄", default=True),
    st.Page("pages/transactions.py", title="Transactions", icon="📋"),
    st.Page("pages/charts.py", title="Charts", icon="📊"),
    st.Page("pages/risk_profile.py", title="Risk profile", icon="🧭"),
    st.Page("pages/history.py", title="History", icon="🗂️"),
])
sidebar()
navigation.run()
