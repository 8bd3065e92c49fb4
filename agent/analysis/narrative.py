"""The risk-profile narrative. Offline: the deterministic summary. LLM mode: the model writes prose from
the metrics' own text (numbers passed in, never recomputed), and the prose is used only if every number
in it appears among the metrics; otherwise the deterministic summary stands, and the caller is told why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agent.analysis.assessment import SubsetFit
from agent.analysis.fit import FitVerdict, OverallFit
from agent.analysis.metrics import TradingMetrics
from agent.analysis.number_check import narrative_is_grounded
from agent.analysis.summary import DISCLAIMER, summary_text
from agent.errors import LLMError
from agent.run.llm import ChatModel, ChatReply

NARRATIVE_PROMPT = (
    "You write a short, plain-English summary (at most 150 words) of a politician's disclosed trading for an "
    "investor, from the overall fit, the fit verdicts and the metrics given. Lead with the overall fit. Use only "
    "numbers that appear in them, exactly as written; do not compute new ones. Present options, never advice. Do "
    "not repeat the disclaimer."
)


@dataclass(frozen=True)
class Narrative:
    text: str
    source: str  # llm | offline
    note: str = ""  # why the LLM's text is not used, when the LLM was asked (the offline text stands)
    tokens: int = 0


def write_narrative(metrics: TradingMetrics, verdicts: Sequence[FitVerdict] = (), llm: ChatModel | None = None,
                    overall: OverallFit | None = None, subsets: Sequence[SubsetFit] = ()) -> Narrative:
    """The summary of these metrics and verdicts; the overall answer and the subsets (agent.analysis.assessment)
    lead it when given. Their numbers are the verdicts' own, so the number check covers them."""
    offline = summary_text(metrics, verdicts, overall, subsets)
    if llm is None:
        return Narrative(offline, "offline")
    facts = "\n".join(([f"- Overall: {overall.sentence}"] if overall else [])
                      + [f"- {subset.sentence}" for subset in subsets]
                      + [f"- Fit, {v.heading} {' '.join(v.reasons)}" for v in verdicts]
                      + [f"- {metric.label}: {metric.text}" for metric in metrics.all()])
    messages = [{"role": "system", "content": NARRATIVE_PROMPT}, {"role": "user", "content": facts}]
    try:
        reply = next(item for item in llm.stream(messages) if isinstance(item, ChatReply))
    except (LLMError, StopIteration) as exc:
        return Narrative(offline, "offline", f"the LLM could not write it ({exc})")
    if not narrative_is_grounded(reply.content, metrics, verdicts):
        return Narrative(offline, "offline", "the LLM's text used a number that is not in the metrics",
                         reply.tokens)
    return Narrative(f"{reply.content.strip()}\n\n{DISCLAIMER}", "llm", tokens=reply.tokens)
