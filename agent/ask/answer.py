"""What Ask gives back: an Answer, whose sentences each rest on tool results (every number in a sentence is one a
result it rests on holds) and cite the rows behind them; or CannotAnswer, when the filings do not hold what was asked
("the filings do not say ...") or the request asks nothing the tools can answer, with the closest question they can.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agent.analysis.number_check import unsupported_numbers
from agent.ask.queries import QueryResult, RowKey
from agent.run.tools import ToolResult


class Sentence(BaseModel):
    """One sentence of an answer, and the tool results (their indexes in the request's results) it rests on; no
    index: it rests on all of them."""

    model_config = ConfigDict(frozen=True)

    text: str
    results: list[int] = []


class Answer(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["answer"] = "answer"
    request: str
    sentences: list[Sentence]
    citations: list[RowKey]  # the rows the kept sentences rest on (each result cites its first ROW_KEY_LIMIT)
    rows_total: int  # rows the largest of those results rests on: citations may hold fewer
    removed: list[str] = []  # what the number check took out, and why
    outputs: list[str] = []  # files made for the request (transactions.csv, report.md, trace.jsonl)

    @property
    def text(self) -> str:
        return " ".join(sentence.text for sentence in self.sentences)


class CannotAnswer(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["cannot_answer"] = "cannot_answer"
    request: str
    reason: str  # "The filings do not say what a stock's price was: they disclose ..."
    closest: str = ""  # the closest question the filings can answer
    outputs: list[str] = []

    @property
    def text(self) -> str:
        return self.reason + (f" The closest question they can answer: \"{self.closest}\"" if self.closest else "")


AskOutcome = Annotated[Answer | CannotAnswer, Field(discriminator="kind")]
_OUTCOME: TypeAdapter[Answer | CannotAnswer] = TypeAdapter(AskOutcome)


def outcome_from_dict(data: Mapping[str, Any]) -> Answer | CannotAnswer:
    """An Answer or CannotAnswer back from its JSON (a FinalAnswer event's `answer`)."""
    return _OUTCOME.validate_python(dict(data))


def not_disclosed(what: str, why: str) -> str:
    return f"The filings do not say {what}: {why}"


def _sources(sentence: Sentence, results: Sequence[ToolResult]) -> list[int]:
    """The indexes of the successful results a sentence rests on (all of them when it names none or only bad ones)."""
    named = [index for index in sentence.results if 0 <= index < len(results) and results[index].ok]
    return named or [index for index, result in enumerate(results) if result.ok]


def checked_answer(request: str, sentences: Sequence[Sentence], results: Sequence[ToolResult]) -> Answer:
    """The answer with every sentence that states a number none of its results holds taken out (and said so in
    `removed`); if nothing is left, the results' own statements stand in. Citations: the rows of the results the
    kept sentences rest on."""
    kept: list[Sentence] = []
    removed: list[str] = []
    for sentence in sentences:
        sources = _sources(sentence, results)
        missing = unsupported_numbers(sentence.text, [results[index].payload() for index in sources])
        if missing:
            removed.append(f"removed \"{sentence.text}\": no tool result holds {', '.join(sorted(missing))}")
        else:
            kept.append(Sentence(text=sentence.text, results=sources))
    if not kept:
        kept = [Sentence(text=result.data.statement, results=[index]) for index, result in enumerate(results)
                if result.ok and isinstance(result.data, QueryResult)]
        if removed and kept:
            removed.append("the tools' own statements stand in for the removed sentences")
    cited = [results[index].data for index in dict.fromkeys(index for sentence in kept for index in sentence.results)]
    queries = [data for data in cited if isinstance(data, QueryResult)]
    citations = list(dict.fromkeys(key for data in queries for key in data.row_keys))
    return Answer(request=request, sentences=kept, citations=citations,
                  rows_total=max([len(citations), *(data.rows_total for data in queries)]), removed=removed)
