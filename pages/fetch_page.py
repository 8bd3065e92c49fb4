"""Fetch: a member's PTRs from the House Clerk, and the watch list (issue 17, being built)."""

from __future__ import annotations

import streamlit as st

st.title("Add filings from the House Clerk")
st.info("Coming: fetch a member's PTRs from the House Clerk by name and year, and watch members for new filings.")
