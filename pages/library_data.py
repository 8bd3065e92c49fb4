"""The library's rows and views for the Library page, read and computed once per change of the library (and per
search): at 100,000 rows each view takes a noticeable part of a second, and a page shows one per rerun."""

from __future__ import annotations

from functools import cached_property

import pandas as pd
import streamlit as st

from agent.analysis.frame import prepare_trades
from agent.analysis.library_views import clusters, late_filings, member_names, members_table, tickers_table
from agent.errors import StoreError
from agent.export import to_dataframe
from agent.store.paths import history_path
from pages.common import library, library_frame, library_version, workspace


class LibraryData:
    """Rows of the library (all current ones, or a search's) and the views over them, each computed when first
    asked for. Shared by the workspace's sessions and never changed."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    @cached_property
    def prepared(self) -> pd.DataFrame:
        return prepare_trades(self.frame).assign(member=member_names)

    @cached_property
    def members(self) -> pd.DataFrame:
        return members_table(self.prepared)

    @cached_property
    def tickers(self) -> pd.DataFrame:
        return tickers_table(self.prepared)

    @cached_property
    def clusters(self) -> pd.DataFrame:
        return clusters(self.prepared)

    @cached_property
    def late(self) -> pd.DataFrame:
        return late_filings(self.prepared)

    def rows_of(self, column: str, value: str) -> pd.DataFrame:
        """The library rows (as read, not prepared) whose prepared `column` is `value`: a member's, a ticker's."""
        return self.frame[(self.prepared[column] == value).to_numpy()]


@st.cache_resource(max_entries=4, show_spinner=False)
def _library_data(path: str, token: str, version: tuple[float, ...], search: str) -> LibraryData:
    """The version and path are the cache key: a search reads its own rows, the whole library is the cached frame."""
    shelf = library()
    if search and shelf is not None:
        return LibraryData(shelf.rows(token, search=search))
    return LibraryData(library_frame())


def library_data(search: str = "") -> LibraryData:
    """This workspace's library rows (those matching `search`), with their views."""
    shelf = library()
    if shelf is None:
        return LibraryData(to_dataframe([]))
    try:
        return _library_data(str(history_path()), workspace(), library_version(shelf), search.strip())
    except StoreError as exc:
        st.session_state.setdefault("store_error", str(exc))
        return LibraryData(to_dataframe([]))
