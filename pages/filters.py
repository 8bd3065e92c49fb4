"""The filter controls shared by the Transactions, Charts and Risk profile pages, the rows they keep, and the caption
that says how many rows are shown and which filters cut them, so no filter hides rows unnoticed.

Filters last across pages for the session and start empty for each new run. The date range follows the rows the
other filters keep until the user picks one; a picked range that covers every row of the run is no filter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from agent.export import asset_type_name, owner_label, transaction_type_label
from pages.common import rows_context


@dataclass(frozen=True)
class ChoiceFilter:
    """A multiselect over one column's values, shown in words."""

    name: str
    label: str
    column: str
    words: Callable[[str], str]

    @property
    def key(self) -> str:
        return f"filter_{self.name}"


CHOICE_FILTERS = (
    ChoiceFilter("filer", "Filer", "filer_name", lambda value: value or "(no name)"),
    ChoiceFilter("ticker", "Ticker", "ticker", lambda value: value or "(no ticker)"),
    ChoiceFilter("owner", "Owner", "owner", owner_label),
    ChoiceFilter("transaction_type", "Transaction", "transaction_type", transaction_type_label),
    ChoiceFilter("asset_type", "Asset type", "asset_type", lambda value: asset_type_name(value) or "(none)"),
)
FLAGGED_KEY = "filter_flagged"
# The filters' values, kept apart from their widgets: Streamlit drops a widget's value when a page without it runs.
SAVED_KEY = "filters"
DATES_KEY = "filter_dates"  # the date widget: what it shows, set on every run
CHOSEN_DATES_KEY = "filter_dates_chosen"  # the range the user picked, or None: all dates
RUN_KEY = "filter_run_id"  # the rows the filters were set for (pages.common.rows_context)
# Bounds wide enough that the widget rejects no date anyone types: a range wider than the data keeps every row.
PICKABLE_DATES = (date(1900, 1, 1), date(2100, 12, 31))
NAMED_VALUES = 3  # a filter's values named in the caption before "and N more"


def reset_filters() -> None:
    """Every filter back to showing all rows (the "Reset filters" button, and a new run)."""
    st.session_state[SAVED_KEY] = {}
    st.session_state[CHOSEN_DATES_KEY] = None
    st.session_state.pop(DATES_KEY, None)


def _remember_dates(first: date, last: date) -> None:
    """Keep the range the user picked; one covering the whole run (first to last) is no filter. A half-picked
    range (its start only) changes nothing."""
    picked = st.session_state.get(DATES_KEY)
    if isinstance(picked, tuple) and len(picked) == 2:
        start, end = picked
        st.session_state[CHOSEN_DATES_KEY] = None if start <= first and end >= last else (start, end)


def filtered_frame(frame: pd.DataFrame, where: DeltaGenerator = st.sidebar) -> pd.DataFrame:
    """The filter controls (in `where`), the rows they keep, and, where the page calls this, a caption with how
    many rows are shown and what filters them."""
    if frame.empty:
        return frame
    if st.session_state.get(RUN_KEY) != rows_context():
        reset_filters()
        st.session_state[RUN_KEY] = rows_context()
    kept = frame
    cuts: list[str] = []
    with where.expander("Filters", expanded=True):
        for choice in CHOICE_FILTERS:
            options = sorted(frame[choice.column].dropna().unique().tolist())
            _show_saved(choice.key, [])
            picked = st.multiselect(choice.label, options, format_func=choice.words, key=choice.key,
                                    on_change=_keep, args=(choice.key,))
            if picked:
                kept = kept[kept[choice.column].isin(picked)]
                cuts.append(f"{choice.label.lower()} {_named([choice.words(value) for value in picked])}")
        _show_saved(FLAGGED_KEY, False)
        if st.checkbox("Flagged rows only", key=FLAGGED_KEY, on_change=_keep, args=(FLAGGED_KEY,)):
            kept = kept[kept["checks"] != ""]
            cuts.append("flagged rows only")
        kept, date_cut = _date_range(frame, kept)
        if date_cut:
            cuts.append(date_cut)
        st.button("Reset filters", on_click=reset_filters, key="filter_reset", width="stretch",
                  help="Clear every filter: show every row.")
    shown = f"{len(kept)} of {len(frame)} transactions shown"
    st.caption(f"{shown}, filtered by {'; '.join(cuts)}." if cuts else f"{shown}: no filter set.")
    return kept


def _date_range(frame: pd.DataFrame, kept: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The date widget and the rows within its range, with what the caption says of it ("" when it cuts nothing)."""
    all_dates = _dates(frame)
    if all_dates.isna().all():
        st.session_state[CHOSEN_DATES_KEY] = None
        return kept, ""
    dates = _dates(kept)
    follows = dates if dates.notna().any() else all_dates  # no dated row left: the run's range
    chosen: tuple[date, date] | None = st.session_state.get(CHOSEN_DATES_KEY)
    shown = chosen or (follows.min().date(), follows.max().date())
    half_picked = isinstance(st.session_state.get(DATES_KEY), tuple) and len(st.session_state[DATES_KEY]) == 1
    if not half_picked:  # mid-pick, the widget keeps the start the user clicked
        st.session_state[DATES_KEY] = shown
    st.date_input("Transaction dates", min_value=PICKABLE_DATES[0], max_value=PICKABLE_DATES[1], key=DATES_KEY,
                  on_change=_remember_dates, args=(all_dates.min().date(), all_dates.max().date()),
                  help="Follows the rows the other filters keep until you pick a range.")
    if chosen is None:
        return kept, ""
    start, end = chosen
    inside = ((dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))).fillna(False)
    undated = int(dates.isna().sum())
    return kept[inside], f"dates {start} to {end}" + (f" ({undated} undated row(s) left out)" if undated else "")


def _show_saved(key: str, default: object) -> None:
    """Give a filter's widget the filter's value: Streamlit does not carry a widget's value to another page."""
    st.session_state[key] = st.session_state.setdefault(SAVED_KEY, {}).get(key, default)


def _keep(key: str) -> None:
    """A filter the user changed keeps its new value (runs before the page does)."""
    st.session_state.setdefault(SAVED_KEY, {})[key] = st.session_state[key]


def _dates(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["transaction_date"], errors="coerce", format="ISO8601")


def _named(values: list[str]) -> str:
    """Values for the caption: "NVDA", "NVDA or AAPL", "NVDA, AAPL, MSFT and 2 more"."""
    if len(values) <= NAMED_VALUES:
        return " or ".join(values) if len(values) <= 2 else f"{', '.join(values[:-1])} or {values[-1]}"
    return f"{', '.join(values[:NAMED_VALUES])} and {len(values) - NAMED_VALUES} more"
