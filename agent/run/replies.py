"""The shapes the LLM must answer in, as pydantic models: each one gives the JSON schema sent to the model
and the one validation path its reply goes through. A reply that does not fit is never guessed at."""

from __future__ import annotations

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
