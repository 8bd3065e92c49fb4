"""The filter controls shared by the Transactions, Charts and Risk profile pages, and the rows they keep."""

from __future__ import annotations

import pandas as pd
import streamlit as st

FILTER_KEYS = ("filer", "ticker", "owner", "transaction_type", "asset_type")


def filtered_frame(frame: pd.DataFrame, where=st.sidebar) -> pd.DataFrame:
    """The filter controls (shared by the Transactions and Charts pages) and the rows they keep."""
    if frame.empty:
        return frame
    saved = st.session_state.setdefault("filters", {})
    with where.expander("Filters", expanded=True):
        choices = {"filer": "filer_name", "ticker": "ticker", "owner": "owner", "transaction_type": "transaction_type",
                   "asset_type": "asset_type"}
        for name, column in choices.items():
            options = sorted(frame[column].dropna().unique().tolist())
            picked = st.multiselect(name.replace("_", " ").capitalize(), options,
                                    default=[value for value in saved.get(name, []) if value in options],
                                    format_func=lambda value: value or "(blank)", key=f"filter_{name}")
            saved[name] = picked
            if picked:
                frame = frame[frame[column].isin(picked)]
        dates = pd.to_datetime(frame["transaction_date"], errors="coerce")
        if dates.notna().any():
            low, high = dates.min().date(), dates.max().date()
            chosen = st.date_input("Transaction dates", value=(low, high), min_value=low, max_value=high,
                                   key="filter_dates")
            if isinstance(chosen, tuple) and len(chosen) == 2:
                keep = (dates >= pd.Timestamp(chosen[0])) & (dates <= pd.Timestamp(chosen[1]))
                frame = frame[keep.fillna(False)]
        saved["flagged_only"] = st.checkbox("Flagged rows only", value=saved.get("flagged_only", False),
                                            key="filter_flagged")
        if saved["flagged_only"]:
            frame = frame[frame["checks"] != ""]
    return frame
