"""Risk profile: the investor states a profile; the page answers whether copying the trades fits it, per filer
(or all filers combined), with a few key numbers and one chart first and the details folded away."""

from __future__ import annotations

import streamlit as st

from agent.analysis.assessment import ALL_FILERS, assess, assess_per_filer
from agent.analysis.fit import HORIZONS, RISK_LEVELS, InvestorProfile, horizon_help, risk_help
from agent.analysis.sectors import GICS_SECTORS
from agent.analysis.summary import DATA_LIMITS, DISCLAIMER
from agent.errors import StoreError
from pages.common import empty_state, saved_profile, scope_switch, store, workspace
from pages.filters import filtered_frame
from pages.fit_view import show_assessment

EACH_FILER = "Each filer"


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


st.title("Risk profile")
scoped = scope_switch()
frame = scoped.frame
if frame.empty:
    empty_state(scoped.empty)
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
        show_assessment(assessment, str(index))

with st.expander("Limits of this data"):
    st.markdown("\n".join(f"- {limit}" for limit in DATA_LIMITS))
st.markdown(DISCLAIMER)
