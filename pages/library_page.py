"""Library: every filing read in this workspace as one trade database. A search box (member, ticker, asset words),
then Members, Tickers, Clusters and Late filings; a member's trades over time and their own fit, a ticker's
members and dates; every row opens on the Transactions page with its source. The views are agent/analysis's."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from agent.analysis.assessment import assess
from agent.analysis.figures import trades_over_time_figure
from agent.analysis.fit import InvestorProfile
from agent.analysis.formatting import counted
from agent.analysis.library_figures import ticker_trades_figure
from agent.analysis.library_views import CLUSTER_WINDOW_DAYS, LATE_LIMIT_DAYS, member_names
from agent.errors import StoreError
from agent.export import investor_table
from agent.store.library import Library, LibraryStats
from agent.store.paths import history_path
from pages.common import (
    LIBRARY_ERROR,
    empty_state,
    library,
    library_stats,
    library_version,
    md_escape,
    money_range,
    open_row,
    saved_profile,
    workspace,
)
from pages.fit_view import show_assessment
from pages.library_data import LibraryData, library_data

TABS = ("Members", "Tickers", "Clusters", "Late filings")
CHARTED_POSITIONS = 25  # a member's chart has a line per position: past this many it is a wall of lines


def newest_first(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values("transaction_date", ascending=False, kind="stable")


def most_traded(rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows of the CHARTED_POSITIONS positions (ticker, else asset) traded most often, and how many there are."""
    positions = rows["ticker"].where(rows["ticker"] != "", rows["asset_name"])
    counts = positions.value_counts()
    return rows[positions.isin(counts.index[:CHARTED_POSITIONS])], len(counts)


def counts_line(stats: LibraryStats) -> str:
    """What the library holds, in full: filings, rows, and what amendments did to them."""
    superseded = f" ({stats.superseded_filings} restated by a later amendment)" if stats.superseded_filings else ""
    linked = f"; {stats.linked_rows} amended rows linked to the rows they replace" if stats.linked_rows else ""
    return (f"{counted(stats.filings, 'filing')}{superseded}, {counted(stats.rows, 'row')}: {stats.current_rows:,} "
            f"current, {stats.superseded_rows:,} superseded{linked}.")


def exported(write: Callable[[Path], int], suffix: str) -> bytes:
    """A library export (Library.export_csv/export_json, as the CLI writes it) as bytes for a download."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"library{suffix}"
        write(path)
        return path.read_bytes()


def downloads(shelf: Library) -> None:
    token = workspace()
    columns = st.columns(3)
    columns[0].download_button(
        "Download library CSV", lambda: exported(lambda path: shelf.export_csv(token, path), ".csv"),
        "tradetrace-library.csv", "text/csv", width="stretch", on_click="ignore", key="library_csv",
        help="Every current row, in the columns of the Extract page's CSV.")
    columns[1].download_button(
        "Download all rows (CSV)", lambda: exported(lambda path: shelf.export_csv(token, path, all_rows=True), ".csv"),
        "tradetrace-library-all.csv", "text/csv", width="stretch", on_click="ignore", key="library_all_csv",
        help="Superseded rows too, each with the library_id of the row that supersedes it.")
    columns[2].download_button(
        "Download library JSON", lambda: exported(lambda path: shelf.export_json(token, path), ".json"),
        "tradetrace-library.json", "application/json", width="stretch", on_click="ignore", key="library_json",
        help="Every current row with its source (page, boxes, lines) and its library columns.")


def rows_to_open(rows: pd.DataFrame, key: str) -> None:
    """The rows as the Transactions table shows them; a selected row opens there, with its page."""
    table = rows.reset_index(drop=True)
    picked = st.dataframe(investor_table(table), hide_index=True, width="stretch", on_select="rerun",
                          selection_mode="single-row", key=key)
    chosen = picked.selection.rows if picked else []
    if not chosen:
        st.caption("Select a row to open it with its source on the Transactions page.")
        return
    row = table.iloc[chosen[0]]
    label = f"Open row {row['row_number']} of {row['source_file']} with its source"
    if st.button(label, key=f"{key}_open", type="primary"):
        open_row(str(row["source_file"]), int(row["row_number"]), "library")


def picked_row(key: str, table: pd.DataFrame) -> pd.Series | None:
    """A table whose selected row says what to show below it."""
    state = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key=key)
    chosen = state.selection.rows if state else []
    return table.iloc[chosen[0]] if chosen and chosen[0] < len(table) else None


def share_text(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.0%}"


def days_text(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.0f}"


def volume_text(low: float, high: float) -> str:
    return money_range(low, None if pd.isna(high) else high)


def members_tab(data: LibraryData, profile: InvestorProfile) -> None:
    table = data.members
    st.caption(f"{counted(len(table), 'member')}, {counted(len(data.frame), 'row')}. Volumes are the sums of the "
               "disclosed brackets; delays run from the trade to the filing date (a Senate report's filed date, a "
               "House filing's signed date).")
    shown = pd.DataFrame({
        "Member": table["filer"], "Trades": table["trades"], "Buys": table["buys"], "Sells": table["sells"],
        "Estimated volume": [volume_text(low, high) for low, high in zip(table["volume_low"], table["volume_high"])],
        "Options share": table["options_share"].map(share_text),
        "Median delay (days)": table["median_delay_days"].map(days_text),
        "Longest delay (days)": table["max_delay_days"].map(days_text),
        "First trade": table["first_trade"], "Last trade": table["last_trade"],
    })
    st.dataframe(shown, hide_index=True, width="stretch", key="library_members_table")
    member = st.selectbox("Member", table["filer"].tolist(), index=None, key="library_member",
                          placeholder="Choose a member to see their trades and their fit")
    if member is None:
        return
    rows = newest_first(data.rows_of("member", member))
    st.subheader(member)
    st.caption(f"{counted(len(rows), 'trade')} in {counted(rows['source_file'].nunique(), 'filing')}.")
    charted, positions = most_traded(rows)
    chart = trades_over_time_figure(charted)
    if chart.figure is None:
        st.info(chart.sentence)
    else:
        if positions > CHARTED_POSITIONS:
            st.caption(f"The chart draws the {CHARTED_POSITIONS} positions traded most often, of {positions}; the "
                       "table below lists every trade.")
        st.plotly_chart(chart.figure, width="stretch", key="library_member_chart")
    with st.container(border=True):
        show_assessment(assess(rows, profile, member), "library_member")
    rows_to_open(rows, "library_member_rows")


def tickers_tab(data: LibraryData) -> None:
    table = data.tickers
    untickered = int((data.prepared["ticker"] == "").sum())
    st.caption(f"{counted(len(table), 'ticker')} over {counted(len(data.frame) - untickered, 'row')}"
               + (f" ({untickered} rows print no ticker and are not counted here)" if untickered else "")
               + ". Net flow is buys minus sells, from the brackets: a range, not a price.")
    shown = pd.DataFrame({
        "Ticker": table["ticker"], "Members": table["members"], "Trades": table["trades"], "Buys": table["buys"],
        "Sells": table["sells"], "Net estimated flow": list(map(flow_text, table["net_flow_low"],
                                                                 table["net_flow_high"])),
        "First trade": table["first_trade"], "Last trade": table["last_trade"], "Who": table["member_names"],
    })
    st.dataframe(shown, hide_index=True, width="stretch", key="library_tickers_table")
    ticker = st.selectbox("Ticker", table["ticker"].tolist(), index=None, key="library_ticker",
                          placeholder="Choose a ticker to see who traded it and when")
    if ticker is None:
        return
    rows = newest_first(data.rows_of("ticker", ticker))
    st.subheader(ticker)
    st.caption(f"{counted(len(rows), 'trade')} by {counted(member_names(rows).nunique(), 'member')}.")
    chart = ticker_trades_figure(rows, ticker)
    if chart.figure is None:
        st.info(chart.sentence)
    else:
        st.plotly_chart(chart.figure, width="stretch", key="library_ticker_chart")
    rows_to_open(rows, "library_ticker_rows")


def flow_text(low: float, high: float) -> str:
    """A net flow range; an open bound (an "Over $X" amount) is said."""
    def one(value: float, open_word: str) -> str:
        if pd.isna(value):
            return open_word
        sign = "−" if value < 0 else ""
        return sign + money_range(abs(value), None).removesuffix(" +")
    return f"{one(low, 'unbounded')} to {one(high, 'unbounded')}"


def clusters_tab(data: LibraryData) -> None:
    table = data.clusters
    st.caption(f"{counted(len(table), 'cluster')}: two or more members trading one ticker in the same direction within "
               f"{CLUSTER_WINDOW_DAYS} days of the cluster's first trade.")
    if table.empty:
        return
    shown = pd.DataFrame({
        "Ticker": table["ticker"], "Direction": table["direction"].str.title(), "Members": table["members"],
        "Trades": table["trades"], "From": table["first_date"], "To": table["last_date"], "Who": table["member_names"],
    })
    picked = picked_row("library_clusters_table", shown)
    if picked is None:
        st.caption("Select a cluster to see its trades.")
        return
    rows_to_open(data.rows_with_ids(table.iloc[int(picked.name)]["library_ids"]), "library_cluster_rows")


def late_tab(data: LibraryData) -> None:
    late = data.late
    st.caption(f"{len(late)} of {counted(len(data.frame), 'row')} were disclosed more than {LATE_LIMIT_DAYS} days "
               "after the trade (trade date to filing date); rows without both dates are not judged.")
    if late.empty:
        return
    shown = pd.DataFrame({
        "Member": late["member"], "Ticker": late["ticker"], "Asset": late["asset_name"],
        "Traded": late["transaction_date"], "Filed": late["filing_date"], "Delay (days)": late["delay_days"],
        "File": late["source_file"], "Row": late["row_number"],
    })
    picked = picked_row("library_late_table", shown)
    if picked is None:
        st.caption("Select a row to open it with its source on the Transactions page.")
        return
    label = f"Open row {picked['Row']} of {picked['File']} with its source"
    if st.button(label, key="library_late_open", type="primary"):
        open_row(str(picked["File"]), int(picked["Row"]), "library")


st.title("Library")
shelf = library()
if shelf is None:
    st.error(st.session_state.get("store_error", "The history database cannot be opened."))
    st.stop()
try:
    version = library_version(shelf)
    stats = library_stats(str(history_path()), workspace(), version)
except StoreError as exc:
    st.error(str(exc))
    st.stop()
if not stats.filings:
    empty_state("The library is empty: every run on the Extract page adds its filings here, once each.")
    st.stop()
st.caption(f"This workspace's library: {counts_line(stats)} Superseded rows are kept but left out of the views.")
search = st.text_input("Search", key="library_search", placeholder="a member, a ticker or words of an asset's name",
                       help="Every word must start a word of the filer's name, the ticker or the asset's name.")
data = library_data(version, search)
if st.session_state.get(LIBRARY_ERROR):
    st.error(st.session_state[LIBRARY_ERROR])
    st.stop()
if search.strip():
    st.caption(f"{len(data.frame)} of {stats.current_rows} current rows match “{md_escape(search.strip())}”, in "
               f"{counted(data.frame['source_file'].nunique(), 'filing')}.")
    if data.frame.empty:
        st.info("Nothing matches: try fewer or shorter words.")
        st.stop()

downloads(shelf)
tabs = st.tabs(list(TABS), key="library_tab", on_change="rerun")
profile = saved_profile() or InvestorProfile("medium", "medium")
views = {"Members": lambda: members_tab(data, profile), "Tickers": lambda: tickers_tab(data),
         "Clusters": lambda: clusters_tab(data), "Late filings": lambda: late_tab(data)}
for name, tab in zip(TABS, tabs):
    if tab.open:  # only the open tab's view is computed
        with tab:
            views[name]()
