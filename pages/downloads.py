"""A run's three downloads (CSV, report, trace), drawn the same way wherever a run is shown.

Each file is made when its button is clicked (Streamlit's deferred download), not on every rerun: a page with a
large run stays quick, and a button drawn by a run the user has since left never points at a file already
released (the browser checks an eager button's file as soon as it is drawn, and got 404s under load). A click does
not rerun the page: a rerun would release the file before the browser fetched it."""

from __future__ import annotations

import streamlit as st

from agent.analysis.fit import InvestorProfile
from agent.analysis.report import markdown_report
from agent.export import filings_csv, to_dataframe
from agent.run.events import to_jsonl
from agent.run.result import RunResult


def download_buttons(result: RunResult, profile: InvestorProfile | None, name: str = "tradetrace") -> None:
    """Every row as CSV, the Markdown report (judged against `profile`, the saved one) and the trace; `name` starts
    the file names (and keeps the buttons apart when a page shows two runs)."""
    def report() -> str:
        return markdown_report(result.outcomes, to_dataframe(result.filings), profile, result.outcome,
                               trace=result.events)

    columns = st.columns(3)
    columns[0].download_button("Download CSV", lambda: filings_csv(result.filings), f"{name}-transactions.csv",
                               "text/csv", width="stretch", on_click="ignore", key=f"{name}-csv",
                               help="Every transaction of the run.")
    columns[1].download_button("Download report (Markdown)", report, f"{name}-report.md", "text/markdown",
                               width="stretch", on_click="ignore", key=f"{name}-report",
                               help="The run, the transactions, the trading style and its fit for your saved "
                                    "profile, and the checks.")
    columns[2].download_button("Download trace (JSON Lines)", lambda: to_jsonl(result.events), f"{name}-trace.jsonl",
                               "application/jsonl", width="stretch", on_click="ignore", key=f"{name}-trace",
                               help="Every step the agent took, one JSON object per line.")
