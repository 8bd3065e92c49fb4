"""How a fit assessment is shown: the answer first, its key numbers and chart, the reasons and metrics folded away,
and the LLM's summary on request. The Risk profile page shows one per filer; the Library shows a member's own."""

from __future__ import annotations

import hashlib

import streamlit as st

from agent.analysis.assessment import FitAssessment
from agent.analysis.narrative import Narrative, write_narrative
from agent.analysis.risk_view import key_numbers, position_share_figure
from agent.run.llm import OpenAIChat
from pages.common import llm_config, md_escape, rows_context, use_llm

VERDICT_BOXES = {"fits": st.success, "partly": st.warning, "does not fit": st.error}

VERDICT_ICONS = {"fits": "✅", "partly": "⚠️", "does not fit": "❌"}


def narrative_key(assessment: FitAssessment) -> str:
    """A fingerprint of what a narrative is written from: the rows on screen and the assessment (rows, profile,
    verdicts)."""
    return hashlib.sha256(f"{rows_context()}\0{assessment!r}".encode()).hexdigest()


def show_narrative(assessment: FitAssessment, key: str) -> None:
    """The LLM's plain-English summary, on request; one written for other rows or another profile is not shown."""
    if not use_llm():
        return
    written: dict[str, tuple[str, Narrative]] = st.session_state.setdefault("narratives", {})
    fingerprint = narrative_key(assessment)
    if st.button("Write the summary with the LLM", key=f"narrate_{key}"):
        written[assessment.label] = (fingerprint, write_narrative(assessment.metrics, assessment.verdicts,
                                                          OpenAIChat(llm_config()), assessment.overall,
                                                          assessment.subsets))
    if assessment.label not in written:
        return
    written_for, narrative = written[assessment.label]
    if written_for != fingerprint:
        st.caption("The LLM's summary was written for other rows or another profile, so it is not shown: "
                   "write it again for these.")
    elif narrative.note:
        st.info(f"No LLM summary: {narrative.note}. The computed fit and figures above stand.")
    else:
        st.markdown(narrative.text)


def show_assessment(assessment: FitAssessment, key: str) -> None:
    """The answer first, then the key numbers and the chart; each dimension and every metric folded away."""
    st.subheader(assessment.label)
    VERDICT_BOXES[assessment.overall.verdict](md_escape(assessment.overall.sentence))
    for subset in assessment.subsets:
        st.markdown(f"💡 {md_escape(subset.sentence)}")
    numbers = key_numbers(assessment)
    for column, key_number in zip(st.columns(len(numbers)), numbers):
        column.metric(key_number.label, key_number.value, key_number.delta, key_number.delta_color,
                      help=key_number.help, delta_arrow="off")
    st.plotly_chart(position_share_figure(assessment), key=f"positions_{key}")
    with st.expander("Why: each dimension of your profile"):
        for verdict in assessment.verdicts:
            st.markdown(f"{VERDICT_ICONS[verdict.verdict]} **{md_escape(verdict.heading)}** "
                        f"{md_escape(' '.join(verdict.reasons))}")
    with st.expander("Every metric, with its formula"):
        for metric in assessment.metrics.all():
            st.markdown(f"**{metric.label}:** {md_escape(metric.text)}  \nFormula: `{metric.formula}`")
    show_narrative(assessment, key)

