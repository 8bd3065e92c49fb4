"""Risk profile: the investor states a profile; the page answers whether copying the trades fits it, per filer
(or all filers combined), with a few key numbers and one chart first and the details folded away."""

from __future__ import annotations

import hashlib

import streamlit as st

from agent.analysis.assessment import ALL_FILERS, FitAssessment, assess, assess_per_filer
from agent.analysis.fit import HORIZONS, RISK_LEVELS, InvestorProfile, horizon_help, risk_help
from agent.analysis.narrative import Narrative, write_narrative
from agent.analysis.risk_view import key_numbers, position_share_figure
from agent.analysis.sectors import GICS_SECTORS
from agent.analysis.summary import DATA_LIMITS, DISCLAIMER
from agent.errors import StoreError
from agent.run.llm import OpenAIChat
from pages.common import (
    current_result,
    empty_state,
    llm_config,
    md_escape,
    saved_profile,
    store,
    transactions_frame,
    use_llm,
    workspace,
)
from pages.filters import filtered_frame

EACH_FILER = "Each filer"

VERDICT_BOXES = {"fits": st.success, "partly": st.warning, "does not fit": st.error}

VERDICT_ICONS = {"fits": "✅", "partly": "⚠️", "does not fit": "❌"}


def profile_form(profile: InvestorProfile) -> InvestorProfile:
    """The profile's controls; a submitted profile is kept in the session, saved for the workspace, and the page
    drawn again so that everything above the form names it too."""
    with st.form("profile_form"):
        left, right = st.columns(2)
        risk = left.select_slider("Risk tolerance", RISK_LEVELS, value=profile.risk_tolerance, help=risk_help())
        horizon = right.select_slider("Horizon", HORIZONS, value=profile.horizon, help=horizon_help())
        no_options = st.checkbox("No options", value=profile.no_options)
        position = st.slider("Largest share of volume in one position (%)", 0, 100,
                             int((profile.max_position_share or 0) * 100), help="0 sets no limit")
        avoid = st.multiselect("Sectors to avoid", GICS_SECTORS, default=list(profile.avoid_sectors))
        sector_share = st.slider("Largest share of volume in one sector (%)", 0, 100,
                                 int((profile.max_sector_share or 0) * 100), help="0 sets no limit")
        if not st.form_submit_button("Assess the fit", type="primary"):
            return profile
    profile = InvestorProfile(risk, horizon, no_options, position / 100 or None, tuple(avoid),
                              sector_share / 100 or None)
    st.session_state["profile"] = profile
    history = store()
    try:
        if history:
            history.save_profile(workspace(), profile.to_dict())
    except StoreError as exc:
        st.warning(f"Profile not saved for next time: {exc}")
        return profile
    st.rerun()


def narrative_key(assessment: FitAssessment) -> str:
    """A fingerprint of what a narrative is written from: the run and the assessment (rows, profile, verdicts)."""
    return hashlib.sha256(f"{st.session_state.get('run_id', '')}\0{assessment!r}".encode()).hexdigest()


def show_narrative(assessment: FitAssessment, number: int) -> None:
    """The LLM's plain-English summary, on request; one written for other rows or another profile is not shown."""
    if not use_llm():
        return
    written: dict[str, tuple[str, Narrative]] = st.session_state.setdefault("narratives", {})
    key = narrative_key(assessment)
    if st.button("Write the summary with the LLM", key=f"narrate_{number}"):
        written[assessment.label] = (key, write_narrative(assessment.metrics, assessment.verdicts,
                                                          OpenAIChat(llm_config()), assessment.overall,
                                                          assessment.subsets))
    if assessment.label not in written:
        return
    written_for, narrative = written[assessment.label]
    if written_for != key:
        st.caption("The LLM's summary was written for other rows or another profile, so it is not shown: "
                   "write it again for these.")
    elif narrative.note:
        st.info(f"No LLM summary: {narrative.note}. The computed fit and figures above stand.")
    else:
        st.markdown(narrative.text)


def show_assessment(assessment: FitAssessment, number: int) -> None:
    """The answer first, then the key numbers and the chart; each dimension and every metric folded away."""
    st.subheader(assessment.label)
    VERDICT_BOXES[assessment.overall.verdict](md_escape(assessment.overall.sentence))
    for subset in assessment.subsets:
        st.markdown(f"💡 {md_escape(subset.sentence)}")
    numbers = key_numbers(assessment)
    for column, key_number in zip(st.columns(len(numbers)), numbers):
        column.metric(key_number.label, key_number.value, key_number.delta, key_number.delta_color,
                      help=key_number.help, delta_arrow="off")
    st.plotly_chart(position_share_figure(assessment), key=f"positions_{number}")
    with st.expander("Why: each dimension of your profile"):
        for verdict in assessment.verdicts:
            st.markdown(f"{VERDICT_ICONS[verdict.verdict]} **{md_escape(verdict.heading)}** "
                        f"{md_escape(' '.join(verdict.reasons))}")
    with st.expander("Every metric, with its formula"):
        for metric in assessment.metrics.all():
            st.markdown(f"**{metric.label}:** {md_escape(metric.text)}  \nFormula: `{metric.formula}`")
    show_narrative(assessment, number)


st.title("Risk profile")
frame = transactions_frame()
if current_result() is None or frame.empty:
    empty_state("No transactions to assess yet: run an extraction first (or reopen a run from History).")
    st.stop()

# Folded, so the answer comes first; its label names the profile the answer is for.
profile = saved_profile() or InvestorProfile("medium", "medium")
with st.expander(f"Your profile: {profile.investor} (remembered in this workspace; open to change it)"):
    profile = profile_form(profile)

shown = filtered_frame(frame)
if shown.empty:
    st.info("The filters keep no transactions, so there is nothing to assess: widen or reset them.")
    st.stop()
filers = set(shown["filer_name"].fillna(""))
view = (st.radio("Show the fit for", [EACH_FILER, ALL_FILERS], horizontal=True, key="fit_view")
        if len(filers) > 1 else EACH_FILER)
assessments = assess_per_filer(shown, profile) if view == EACH_FILER else (assess(shown, profile),)
for index, assessment in enumerate(assessments):
    with st.container(border=True):
        show_assessment(assessment, index)

with st.expander("Limits of this data"):
    st.markdown("\n".join(f"- {limit}" for limit in DATA_LIMITS))
st.markdown(DISCLAIMER)
