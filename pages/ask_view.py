"""The Ask box: a request in plain words over this run's rows or the library's (the shared scope switch), the plan
and each step in the live trace, then the answer with the rows it cites (each opens on the Transactions page), the
outputs asked for, and the investor profile remembered for the workspace (shown, and changed here)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from agent.analysis.fit import HORIZONS, RISK_LEVELS, InvestorProfile, horizon_help, risk_help
from agent.ask.answer import Answer
from agent.ask.brain import AskBrain
from agent.ask.llm import LLMAskBrain
from agent.ask.loop import AskResult, ask
from agent.ask.offline import OfflineAskBrain
from agent.ask.profile import describe_profile
from agent.ask.queries import AskContext, Scope
from agent.errors import StoreError
from agent.run.events import Event, FinalAnswer, ThoughtDelta
from agent.run.llm import OpenAIChat
from pages.common import (
    PROFILE_ERROR,
    ScopedRows,
    current_result,
    llm_config,
    md_escape,
    open_row,
    saved_profile,
    scope_switch,
    store,
    use_llm,
    workspace,
)
from pages.trace_view import TraceBox, trace_lines

CITED_BUTTONS = 12  # cited rows shown as buttons; the rest are counted
EXAMPLES = ("How many trades did each member make?  ·  What were the top 5 tickers in 2020?  ·  "
            "I'm a cautious investor, no options, ten-year horizon: do these fit?  ·  Give me a CSV and a summary")


@dataclass
class Asked:
    """A request answered in this session: what was asked, over which rows, its steps and the outputs it made."""

    request: str
    scope: Scope
    result: AskResult
    artifacts: dict[str, str]


def remember(profile: InvestorProfile) -> str:
    """Keep the profile for the workspace (the session, and history when it can be written); '' or why it was not
    saved for next time."""
    st.session_state["profile"] = profile
    history = store()
    try:
        if history:
            history.save_profile(workspace(), profile.to_dict())
    except StoreError as exc:
        return f"Profile kept for this session only: {exc}"
    return ""


def forget() -> str:
    """Forget the workspace's profile (the session's, and history's when it can be written); '' or why history
    still holds it."""
    st.session_state["profile"] = None
    st.session_state.pop(PROFILE_ERROR, None)
    history = store()
    try:
        if history:
            history.forget_profile(workspace())
    except StoreError as exc:
        return f"Profile forgotten for this session only: {exc}"
    return ""


def profile_box(key: str) -> None:
    """What is remembered about the investor, a button to forget it, and a form to change it."""
    profile = saved_profile()
    if profile is None:
        unread = st.session_state.get(PROFILE_ERROR)
        st.caption((f"{unread} State" if unread else "No profile remembered yet: state")
                   + " one in words (\"I'm a cautious investor, no options, ten-year horizon\") and it is kept for "
                   "this workspace.")
    else:
        said, button = st.columns([4, 1], vertical_alignment="center")
        said.caption(f"Remembered profile: {describe_profile(profile)}.")
        if button.button("Forget the profile", key=f"{key}_forget_profile", width="stretch"):
            problem = forget()
            if problem:
                st.warning(problem)
            else:
                st.rerun()
    with st.expander("Change what is remembered"), st.form(f"{key}_profile"):
        current = profile or InvestorProfile("medium", "medium")
        left, right = st.columns(2)
        risk = left.select_slider("Risk tolerance", RISK_LEVELS, value=current.risk_tolerance, help=risk_help(),
                                  key=f"{key}_risk")
        horizon = right.select_slider("Horizon", HORIZONS, value=current.horizon, help=horizon_help(),
                                      key=f"{key}_horizon")
        no_options = st.checkbox("No options", value=current.no_options, key=f"{key}_no_options")
        if st.form_submit_button("Remember this profile"):
            problem = remember(InvestorProfile(risk, horizon, no_options, current.max_position_share,
                                               current.avoid_sectors, current.max_sector_share))
            if problem:
                st.warning(problem)
            else:
                st.rerun()


def brain() -> AskBrain:
    if use_llm():
        config = llm_config()
        return LLMAskBrain(OpenAIChat(config), config)
    return OfflineAskBrain()


def steps_shown(event: Event) -> bool:
    """Whether the trace box shows the event: not the final answer, which the answer's own box shows below it."""
    return not isinstance(event, FinalAnswer)


def run_live(request: str, context: AskContext) -> AskResult:
    """The request's steps as they happen, in one trace box; the model's streamed text shown as it arrives."""
    box = TraceBox(st.empty())
    streamed = ""
    events: list[Event] = []
    for event in ask(request, context, brain()):
        if isinstance(event, ThoughtDelta):
            streamed += event.text
            box.show(streamed)
            continue
        streamed = ""
        events.append(event)
        if steps_shown(event):
            box.add(event)
    return AskResult(events)


def answer_live(request: str, scoped: ScopedRows, key: str) -> Asked:
    """Answer the request over the scoped rows, live; keep it for the session, and remember a profile it states."""
    result = current_result()
    context = AskContext(scoped.frame, scoped.scope, saved_profile(),
                         result.outcomes if result and scoped.scope == "run" else ())
    asked = Asked(request, scoped.scope, run_live(request, context), dict(context.artifacts))
    st.session_state[f"{key}_asked"] = asked
    if context.profile is not None and context.profile != saved_profile():
        problem = remember(context.profile)
        st.info(problem or f"Remembered for this workspace: {describe_profile(context.profile)}.")
    return asked


def answer_markdown(answer: Answer) -> str:
    """The answer a sentence a paragraph; a sentence of several lines (the fit: the overall answer, then each
    dimension with its reasons) as its first line in bold and the others as a list."""
    paragraphs = []
    for sentence in answer.sentences:
        first, *others = [md_escape(line) for line in sentence.text.split("\n")]
        paragraphs.append((f"**{first}**" if others else first) + "".join(f"\n- {line}" for line in others))
    return "\n\n".join(paragraphs)


def show_answer(asked: Asked, key: str) -> None:
    outcome = asked.result.outcome
    if isinstance(outcome, Answer):
        st.success(answer_markdown(outcome))
        if outcome.removed:
            st.caption("Removed by the check: " + md_escape("; ".join(outcome.removed)))
        cited = outcome.citations[:CITED_BUTTONS]
        if cited:
            more = outcome.rows_total - len(cited)
            st.caption(f"Rows cited ({outcome.rows_total}): click one to open it with its source"
                       + (f"; {more} more not shown" if more > 0 else ""))
            columns = st.columns(4)
            for index, row in enumerate(cited):
                if columns[index % 4].button(row.label, key=f"{key}_cite_{index}", width="stretch"):
                    open_row(row.source_file, row.row_number, asked.scope)
    else:
        st.warning(md_escape(outcome.reason))
        if outcome.closest:
            st.caption(f"The closest question the filings can answer: {md_escape(outcome.closest)}")
    for name, content in asked.artifacts.items():
        st.download_button(f"Download {name}", content, file_name=name, key=f"{key}_download_{name}",
                           on_click="ignore")


def ask_box(key: str = "ask", heading: str = "") -> None:
    """An Ask box: the request, the rows it is asked over, the live steps, the answer and what is remembered."""
    if heading:
        st.subheader(heading)
    scoped = scope_switch()
    st.caption(f"Asking over {scoped.what}.")
    with st.form(f"{key}_form"):
        request = st.text_input("Ask in words", key=f"{key}_request", placeholder="How many trades did Pelosi "
                                "make in 2020?", help=f"For example: {EXAMPLES}.")
        submitted = st.form_submit_button("Ask", type="primary")
    asked: Asked | None = st.session_state.get(f"{key}_asked")
    if submitted and not request.strip():
        st.warning("Type a request first, e.g. \"How many trades did each member make?\"")
        asked = None
    elif submitted and scoped.frame.empty:
        st.info(scoped.empty)
        asked = None
    elif submitted:
        asked = answer_live(request.strip(), scoped, key)
    elif asked is not None:
        st.markdown(f"**You asked:** {md_escape(asked.request)}")
        TraceBox(st.empty(), [line for event in asked.result.events if steps_shown(event)
                              for line in trace_lines(event)]).show()
    if asked is not None:
        show_answer(asked, key)
    profile_box(key)  # last: a profile the request just stated is the one shown
