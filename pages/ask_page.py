"""Ask: a request in plain words over this run's rows or the library (issue 19; being built)."""

from __future__ import annotations

import streamlit as st

st.title("Ask")
st.info("Ask in words is coming: this page is being built.")
