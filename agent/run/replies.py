"""The shapes the LLM must answer in, as pydantic models: each one gives the JSON schema sent to the model
and the one validation path its reply goes through. A reply that does not fit is never guessed at."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema = cls.model_json_schema()
        schema.pop("title", None)
        for field_schema in schema.get("properties", {}).values():
            field_schema.pop("title", None)
        return schema

    @classmethod
    def parse_reply(cls, text: str) -> Reply | str:
        """The reply as this model, or what is wrong with it (one line, for the trace)."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors()[:3])
            return f"not a valid {cls.__name__} ({problems})"


class StepDecision(Reply):
    """The next step, in JSON mode (servers without tool calling): a thought and a tool call or finish."""

    thought: str
    tool: str
    arguments: dict[str, Any]


class CriticVerdict(Reply):
    """The critic's answer on one flagged row."""

    verdict: Literal["confirmed", "corrected", "left_flagged"]
    corrections: dict[str, str | int | float] = {}
    reason: str = ""


class LLMRow(Reply):
    """One transaction an LLM read from a page: every field, each as the page prints it (text, never a number)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    owner: str
    asset_name: str
    ticker: str
    asset_type: str
    transaction_type: str
    transaction_date: str
    notification_date: str
    amount: str
    description: str


class RowsReply(Reply):
    """An LLM's reading of a page: its rows (each validated on its own, so one bad row costs only itself)."""

    rows: list[LLMRow]


# --- prose the model writes: a plan and its thoughts, checked like its rows -----------------------------------

ECHO_SHARE = 0.5  # a plan whose word runs are more than half the prompt's is the prompt echoed back
_RUN = 4  # words in a run compared for echo
STEP_WORDS = ("inspect", "read", "pars", "extract", "validat", "check", "ground", "ocr", "review", "summar")
_TOOL_LIKE = re.compile(r"`([^`\s]+)`|\b([a-z]+(?:_[a-z]+)+)\b")
_ERROR_WORDS = re.compile(r"\b(errors?|fail(?:ed|s|ure)?|exceptions?|crash(?:ed)?|could not|cannot|unable to)\b",
                          re.IGNORECASE)


def _word_runs(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9_]+", text.lower())
    return {tuple(words[at:at + _RUN]) for at in range(len(words) - _RUN + 1)}


def plan_problem(plan: str, prompt: str, tools: Iterable[str]) -> str:
    """Why a plan the model wrote cannot stand as the run's plan ('' when it can): it echoes the prompt, names
    no step, or names a tool the registry does not have."""
    runs = _word_runs(plan)
    if runs and len(runs & _word_runs(prompt)) > ECHO_SHARE * len(runs):
        return "it echoes the prompt"
    lowered = plan.lower()
    known = set(tools)
    if not any(word in lowered for word in (*STEP_WORDS, *known)):
        return "it names no step"
    named = {quoted or snake for quoted, snake in _TOOL_LIKE.findall(plan)}
    unknown = sorted(name for name in named if "_" in name and name not in known)
    if unknown:
        return f"it names tools that do not exist ({', '.join(unknown)})"
    return ""


def claims_an_error(thought: str) -> bool:
    """True when a thought speaks of an error or a failure."""
    return bool(_ERROR_WORDS.search(thought))
