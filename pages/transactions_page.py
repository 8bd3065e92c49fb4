"""Transactions: the table an investor reads (codes in words, metadata on demand) with filters and totals,
downloads, and a source view for the selected row, which stays that row when the filters change. The rows are this
run's or the whole library's (the shared scope switch); another page opens a row here with open_row."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from agent.analysis.report import markdown_report
from agent.documents.render import highlighted_page
from agent.documents.upload import kind_of
from agent.errors import InputError, ReaderError
from agent.export import readable_source_line, records_of_frame, to_csv
from agent.run.events import to_jsonl
from pages.common import (
    Scope,
    current_result,
    empty_state,
    md_escape,
    money_range,
    rows_context,
    saved_profile,
    scope_switch,
    set_scope,
)
from pages.filters import filtered_frame

TABLE_KEY = "transactions_table"
SELECTED_KEY = "selected_row"  # the selected row by (source_file, row_number), whatever the filters
SHOWN_KEYS = "table_row_keys"  # the rows of the table as last shown, in its order
SET_SELECTION = "table_selection_set"  # the selection the page last gave the table
SELECTED_RUN = "selected_row_run_id"  # the rows (pages.common.rows_context) the selection belongs to
OPEN_ROW = "open_row"  # set by another page: {"source_file", "row_number", "scope"}

RowKey = tuple[str, int]


def row_keys(rows: pd.DataFrame) -> list[RowKey]:
    return [(str(name), int(number)) for name, number in zip(rows["source_file"], rows["row_number"])]


def selected_row(rows: pd.DataFrame) -> RowKey | None:
    """The selected row's key. The table reports a selection by position in the rows it last showed; a position the
    page did not set itself is the user's click."""
    if st.session_state.get(SELECTED_RUN) != rows_context():
        st.session_state[SELECTED_RUN] = rows_context()
        st.session_state[SELECTED_KEY] = None
    state: Any = st.session_state.get(TABLE_KEY)
    picked = list(state["selection"]["rows"]) if state else None
    shown = st.session_state.get(SHOWN_KEYS, [])
    if picked is not None and picked != st.session_state.get(SET_SELECTION):
        st.session_state[SELECTED_KEY] = shown[picked[0]] if picked and picked[0] < len(shown) else None
    keys = row_keys(rows)
    chosen: RowKey | None = st.session_state.get(SELECTED_KEY)
    selection = [keys.index(chosen)] if chosen in keys else []
    st.session_state[SHOWN_KEYS] = keys
    st.session_state[SET_SELECTION] = selection
    st.session_state[TABLE_KEY] = {"selection": {"rows": selection, "columns": [], "cells": []}}
    return chosen


def take_open_row() -> None:
    """Honour a row another page asked to open: its scope, and that row selected (so its source shows)."""
    asked: dict[str, Any] | None = st.session_state.pop(OPEN_ROW, None)
    if not asked:
        return
    scope: Scope = "library" if asked.get("scope") == "library" else "run"
    set_scope(scope)
    st.session_state[SELECTED_RUN] = rows_context()
    st.session_state[SELECTED_KEY] = (str(asked["source_file"]), int(asked["row_number"]))


def row_flags(row: pd.Series) -> list[str]:
    """The row's failed checks as the source view lists them: this run's flags with their codes, or the library's
    stored messages."""
    if scoped.scope == "run" and result is not None:
        return [f"{flag.code}: {flag.message}" for outcome in result.outcomes
                if outcome.filing and outcome.source_file == row["source_file"]
                for t in outcome.filing.transactions if t.row_number == row["row_number"] for flag in t.flags]
    return [message for message in str(row["flag_messages"] or "").split("; ") if message]


st.title("Transactions")
take_open_row()
scoped = scope_switch()
result = current_result()
frame = scoped.frame
if frame.empty:
    empty_state(scoped.empty)
    st.stop()

shown = filtered_frame(frame)
low, high = shown["amount_min"].sum(), shown["amount_max"].sum()
open_ended = int(shown["amount_max"].isna().sum())
volume = (f"Disclosed volume: ${low:,.0f} to " + ("no upper bound" if open_ended else f"${high:,.0f}")
          + ", the sum of the brackets' bounds. Amounts are ranges, not prices."
          + (f" {open_ended} row(s) have no upper bound." if open_ended else ""))
cols = st.columns(4)
cols[0].metric("Transactions", len(shown), help=f"of {len(frame)} in {scoped.what}")
cols[1].metric("Flagged", int((shown["checks"] != "").sum()), help="Rows with a failed check: see the Flags column.")
# A metric's value is cut off past a few characters: it shows the lower bound ("$9.17M +"), the caption the range.
cols[2].metric("Volume", money_range(low, None), help=volume)
cols[3].metric("Filings", shown["source_file"].nunique())
st.caption(volume)

all_columns = st.toggle("Show all columns", key="table_all_columns",
                        help="Off: what an investor reads. On: every CSV column, the row's place in its filing "
                             "and how it was read.")
chosen = selected_row(shown)
st.dataframe(
    scoped.table(shown, all_columns),
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    column_config={
        "Transaction": st.column_config.TextColumn(help="Buy, Sell, Sell (partial) or Exchange, as filed."),
        "Owner": st.column_config.TextColumn(help="Self (the filer), Spouse, Joint or Child."),
        "Flags": st.column_config.TextColumn(help="What a check found; empty when every check passed."),
    },
    key=TABLE_KEY,
)

downloads = st.columns(3)
# Made on click, without a rerun (see pages/downloads.py), from the rows and profile of this rerun.
profile = saved_profile()
downloads[0].download_button("Download CSV (filtered)", lambda: to_csv(records_of_frame(shown)), "transactions.csv",
                             "text/csv", width="stretch", on_click="ignore")
if scoped.scope == "run" and result is not None:  # a run's report and trace; the library's downloads are its page's
    run = result
    downloads[1].download_button("Download report (Markdown)",
                                 lambda: markdown_report(run.outcomes, shown, profile, run.outcome, trace=run.events),
                                 "tradetrace-report.md", "text/markdown", width="stretch", on_click="ignore")
    downloads[2].download_button("Download trace (JSON Lines)", lambda: to_jsonl(run.events), "trace.jsonl",
                                 "application/jsonl", width="stretch", on_click="ignore")

st.subheader("Source view")
matches = frame[[key == chosen for key in row_keys(frame)]]
if matches.empty:
    st.caption("Select a row in the table to see where it stands in its PDF.")
    st.stop()
row = matches.iloc[0]
if chosen not in row_keys(shown):
    st.info("The filters hide this row from the table now; it stays selected. Reset the filters to see it there.")
pdf_bytes = scoped.source_data(row)
left, right = st.columns([3, 2])
with right:
    ticker = f" ({md_escape(row['ticker'])})" if row["ticker"] else ""
    st.markdown(f"**{md_escape(row['asset_name'])}**{ticker}, row {row['row_number']} of "
                f"{md_escape(row['source_file'])}, page {row['page']}, read by the {row['extracted_by']}")
    st.markdown("**Source lines**")
    lines = [readable_source_line(line) for line in row["source_lines"]]
    st.code("\n".join(lines) or "(none)", language=None, wrap_lines=True)
    flags = row_flags(row)
    if flags:
        for flag in flags:
            st.warning(flag)
    else:
        st.success("Passed every check: each value found on its page; date order, amount bracket, ticker shape "
                   "and row count consistent.")
with left:
    if pdf_bytes is None:
        st.info("The PDF of this row is not in this session; reopen the run from History to see its pages."
                if scoped.scope == "run" else "The library has no copy of this row's file (it was added without "
                "its bytes), so its page cannot be shown.")
    elif kind_of(pdf_bytes) == "html":
        st.info("This row comes from a saved eFD web page, which has no page image: its source line (right) is "
                "the row as the page prints it, cell by cell, and every value was found there.")
    else:
        try:
            st.image(highlighted_page(pdf_bytes, row["boxes"], page=int(row["page"])),
                     caption=f"Page {row['page']}: the row's box in red", width="stretch")
        except InputError as exc:
            st.error(f"Cannot render the page: {exc.reason}")
        except ReaderError as exc:  # a bug of ours, not the file's: said plainly, without a traceback
            st.error(f"Cannot render the page: internal error in the PDF reader ({exc})")
