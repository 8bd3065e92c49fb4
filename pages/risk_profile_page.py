"""Risk profile: the investor states a profile; the page shows the filer's trading style and the fit."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st

from agent.analysis.fit import HORIZONS, RISK_LEVELS, InvestorProfile, assess_fit
from agent.analysis.metrics import compute_metrics
from agent.analysis.narrative import write_narrative
from agent.analysis.sectors import GICS_SECTORS
from agent.errors import StoreError
from agent.run.llm import OpenAIChat
from pages.common import (
    current_result,
    empty_state,
    llm_config,
    saved_profile,
    store,
    transactions_frame,
    use_llm,
    workspace,
)
from pages.filters import filtered_frame


def narrative_inputs(rows: pd.DataFrame, fit_profile: InvestorProfile) -> str:
    """A fingerprint of what a narrative is written from: the run, the rows the filters keep, the profile."""
    parts = (st.session_state.get("run_id", ""), rows.to_csv(), json.dumps(fit_profile.to_dict(), sort_keys=True))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


st.title("Risk profile")
frame = transactions_frame()
if current_result() is None or frame.empty:
    empty_state("No transactions to assess yet: run an extraction first (or reopen a run from History).")
    st.stop()

profile = saved_profile() or InvestorProfile("medium", "medium")
with st.form("profile_form"):
    st.markdown("**Your profile** (remembered in this workspace)")
    left, right = st.columns(2)
    risk = left.select_slider("Risk tolerance", RISK_LEVELS, value=profile.risk_tolerance)
    horizon = right.select_slider("Horizon", HORIZONS, value=profile.horizon,
                                  help="short: under 1 year; long: over 5 years")
    no_options = st.checkbox("No options", value=profile.no_options)
    position = st.slider("Largest share of volume in one position (%)", 0, 100,
                         int((profile.max_position_share or 0) * 100), help="0 sets no limit")
    avoid = st.multiselect("Sectors to avoid", GICS_SECTORS, default=list(profile.avoid_sectors))
    sector_share = st.slider("Largest share of volume in one sector (%)", 0, 100,
                             int((profile.max_sector_share or 0) * 100), help="0 sets no limit")
    if st.form_submit_button("Assess the fit", type="primary"):
        profile = InvestorProfile(risk, horizon, no_options, position / 100 or None, tuple(avoid),
                                  sector_share / 100 or None)
        st.session_state["profile"] = profile
        history = store()
        try:
            if history:
                history.save_profile(workspace(), profile.to_dict())
        except StoreError as exc:
            st.warning(f"Profile not saved for next time: {exc}")

shown = filtered_frame(frame)
metrics = compute_metrics(shown)
verdicts = assess_fit(metrics, profile)
st.subheader("Fit with your profile")
for verdict in verdicts:
    show = {"fits": st.success, "partly": st.warning, "does not fit": st.error}[verdict.verdict]
    show(f"**{verdict.dimension.capitalize()}: {verdict.verdict}.** {' '.join(verdict.reasons)}")

st.subheader("Trading style, from the extracted rows")
for metric in metrics.all():
    with st.expander(f"{metric.label}: {metric.text}"):
        st.markdown(f"Formula: `{metric.formula}`")

st.divider()
inputs = narrative_inputs(shown, profile)
if use_llm() and st.button("Write the summary with the LLM"):
    st.session_state["narrative"] = (inputs, write_narrative(metrics, verdicts, OpenAIChat(llm_config())))
written_for, narrative = st.session_state.get("narrative", ("", None))
if written_for != inputs:  # an LLM narrative of another run, other filters or another profile is not this one's
    if narrative is not None:
        st.caption("The LLM's summary was written for other rows or another profile: this is the computed one.")
    narrative = write_narrative(metrics, verdicts)
if narrative.note:
    st.info(f"Showing the computed summary: {narrative.note}.")
st.markdown(narrative.text)
