"""Transactions: the table with filters and totals, downloads, and a source view for any row."""

from __future__ import annotations

import streamlit as st

from agent.analysis.report import markdown_report
from agent.documents.render import highlighted_page
from agent.documents.upload import kind_of
from agent.errors import InputError, ReaderError
from agent.export import records_of_frame, to_csv
from agent.run.events import to_jsonl
from pages.common import (
    current_result,
    empty_state,
    money_range,
    saved_profile,
    transactions_frame,
)
from pages.filters import filtered_frame

st.title("Transactions")
result = current_result()
frame = transactions_frame()
if result is None or frame.empty:
    empty_state("No transactions yet: run an extraction first (or reopen a run from History).")
    st.stop()

shown = filtered_frame(frame)
low, high = shown["amount_min"].sum(), shown["amount_max"].sum()
open_ended = int(shown["amount_max"].isna().sum())
cols = st.columns(4)
cols[0].metric("Transactions", len(shown), help=f"of {len(frame)} extracted")
cols[1].metric("Flagged", int((shown["checks"] != "").sum()))
cols[2].metric("Volume range (derived)", money_range(low, None if open_ended else high),
               help=f"Sum of the disclosed brackets' bounds: ${low:,.0f} to ${high:,.0f}. Amounts are ranges, "
                    "not prices." + (f" {open_ended} row(s) have no upper bound." if open_ended else ""))
cols[3].metric("Filings", shown["source_file"].nunique())

table = st.dataframe(
    shown.drop(columns=["boxes", "source_lines"]),
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    column_config={
        "amount_min": st.column_config.NumberColumn("amount min ($)", format="dollar"),
        "amount_max": st.column_config.NumberColumn("amount max ($)", format="dollar"),
        "option_strike": st.column_config.NumberColumn("strike ($)", format="dollar"),
        "transaction_date": st.column_config.DateColumn("traded", format="YYYY-MM-DD"),
        "notification_date": st.column_config.DateColumn("notified", format="YYYY-MM-DD"),
        "cap_gains_over_200": st.column_config.CheckboxColumn("cap gains > $200"),
        "checks": st.column_config.TextColumn("checks", help="Validation flags; empty when every check passed."),
    },
    key="transactions_table",
)

downloads = st.columns(3)
downloads[0].download_button("Download CSV (filtered)", to_csv(records_of_frame(shown)), "transactions.csv",
                             "text/csv", width="stretch")
report = markdown_report(result.outcomes, shown, saved_profile(), result.outcome)
downloads[1].download_button("Download report (Markdown)", report, "tradetrace-report.md",
                             "text/markdown", width="stretch")
downloads[2].download_button("Download trace (JSON Lines)", to_jsonl(result.events), "trace.jsonl",
                             "application/jsonl", width="stretch")

st.subheader("Source view")
selected = table.selection.rows if table and table.selection else []
if not selected:
    st.caption("Select a row in the table to see where it stands in its PDF.")
    st.stop()
row = shown.iloc[selected[0]]
pdf_bytes = st.session_state.get("files", {}).get(row["source_file"])
left, right = st.columns([3, 2])
with right:
    st.markdown(f"**{row['asset_name']}** {row['ticker'] and '(' + row['ticker'] + ')'}, row {row['row_number']} "
                f"of {row['source_file']}, page {row['page']}, read by the {row['extracted_by']}")
    st.markdown("**Source lines**")
    st.code("\n".join(row["source_lines"]) or "(none)", language=None)
    flags = [flag for outcome in result.outcomes if outcome.filing and outcome.source_file == row["source_file"]
             for t in outcome.filing.transactions if t.row_number == row["row_number"] for flag in t.flags]
    if flags:
        for flag in flags:
            st.warning(f"{flag.code}: {flag.message}")
    else:
        st.success("Passed every check: each value found on its page; date order, amount bracket, ticker shape "
                   "and row count consistent.")
with left:
    if pdf_bytes is None:
        st.info("The PDF of this row is not in this session; reopen the run from History to see its pages.")
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
