"""The library's rows and views for the Library page, read and computed once per change of the library (and per
search): at 100,000 rows each view takes a noticeable part of a second, and a page shows one per rerun."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property

import pandas as pd
import streamlit as st

from agent.analysis.frame import prepare_view_trades
from agent.analysis.library_views import (
    clusters,
    first_disclosed,
    late_filings,
    member_names,
    members_table,
    tickers_table,
)
from agent.errors import StoreError
from agent.export import to_dataframe
from agent.store.paths import history_path
from pages.common import LIBRARY_ERROR, library_at, workspace

RowsById = Callable[[Sequence[str]], pd.DataFrame]


class LibraryData:
    """Rows of the library (all of them, or a search's) as the views read them (Library.view_rows: a few typed
    columns), the views over their current rows, each computed when first asked for, and the whole rows of a
    member, ticker or cluster, read by library_id when shown. Shared by the workspace's sessions and never changed."""

    def __init__(self, all_rows: pd.DataFrame, rows_by_id: RowsById) -> None:
        self.all_rows = all_rows
        self._rows_by_id = rows_by_id
        # A frame without row_state (none could be read) holds no superseded row.
        states = all_rows["row_state"] if "row_state" in all_rows.columns else pd.Series("current", all_rows.index)
        self._current = (states == "current").to_numpy()
        self.frame = all_rows[self._current].reset_index(drop=True)  # the current rows, as read

    @cached_property
    def prepared(self) -> pd.DataFrame:
        """The current rows prepared as the views read them (prepare_view_trades), their delays counted from the first
        version that disclosed them (the superseded versions are read for that), with each row's member."""
        trades = first_disclosed(prepare_view_trades(self.all_rows))[self._current]
        return trades.reset_index(drop=True).assign(member=member_names)

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
        """The library rows (every column, as read) whose prepared `column` is `value`: a member's, a ticker's."""
        return self.rows_with_ids(self.frame.loc[(self.prepared[column] == value).to_numpy(), "library_id"].tolist())

    def rows_with_ids(self, library_ids: Sequence[str]) -> pd.DataFrame:
        """The library rows (every column, as read) with these library_ids, in library_id order."""
        return self._rows_by_id(library_ids)


@st.cache_resource(max_entries=4, show_spinner=False)
def _library_data(path: str, token: str, version: tuple[float, ...], search: str) -> LibraryData:
    """The version and path are the cache key: a search reads its own rows, the whole library its own."""
    return LibraryData(library_at(path).view_rows(token, include_superseded=True, search=search),
                       lambda ids: _rows_by_id(path, token, ids))


def _rows_by_id(path: str, token: str, library_ids: Sequence[str]) -> pd.DataFrame:
    """The rows with these library_ids; none, and the reason shown, when the library cannot be read now."""
    try:
        return library_at(path).rows(token, include_superseded=True, library_ids=library_ids)
    except StoreError as exc:
        st.error(f"The library cannot be read: {exc}")
        return to_dataframe([])


def library_data(version: tuple[float, ...], search: str = "") -> LibraryData:
    """This workspace's library rows (those matching `search`), with their views; `version` is library_version's."""
    try:
        data = _library_data(str(history_path()), workspace(), version, search.strip())
    except StoreError as exc:
        st.session_state[LIBRARY_ERROR] = f"The library cannot be read: {exc}"
        return LibraryData(to_dataframe([]), lambda ids: to_dataframe([]))
    st.session_state.pop(LIBRARY_ERROR, None)
    return data
