"""Whether a model's queries asked what the request asks: the rows each query selects and the settings it runs
with, compared with the offline reading's plan of the same request.

A weak model may answer "How many trades did Pelosi make in 2020?" with a query over every row: each number of its
answer is then a true result, and the answer still misleads. So when the offline reading understood the request's
member, ticker, dates, side, options or settings (a "guarded" call of its plan), some query of the model must select
exactly the rows that call selects (and, for a setting such as within_days, run the same tool with it); otherwise
the offline plan's queries answer. Rows are compared, not argument strings: "Nancy Pelosi" and "pelosi", or
2020-12-31 and 2021-01-01 where no trade falls on the later day, select the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from agent.ask.brain import QueryCall
from agent.ask.queries import QUERY_TOOLS, AskContext, select
from agent.errors import TradeTraceError
from agent.run.tools import bound_call

FILTERS = ("member", "ticker", "date_from", "date_to", "side", "options")
COMPARED = ("member_a", "member_b", "year_a", "year_b")  # the two sides of a comparison: its selections


@dataclass(frozen=True)
class Reach:
    """What a query answers about: the rows of each of its selections (two for a comparison, as packed bits) and
    its settings (the arguments that are no filter and differ from the tool's default, e.g. within_days=365)."""

    tool: str
    selections: frozenset[bytes]
    settings: tuple[tuple[str, Any], ...]
    filtered: bool  # a filter or a comparison narrows its rows


def reach(context: AskContext, call: QueryCall) -> Reach | None:
    """The query's reach over the context's rows; None when its arguments do not validate."""
    try:
        tool, values = bound_call(QUERY_TOOLS.tools, call.tool, call.arguments)
        filters = {name: values[name] for name in FILTERS if name in values}
        if call.tool == "compare_members":
            chosen = [select(context, **{**filters, "member": values[side]}) for side in ("member_a", "member_b")]
        elif call.tool == "compare_years":
            chosen = [select(context, **filters, date_from=f"{values[side]}-01-01", date_to=f"{values[side]}-12-31")
                      for side in ("year_a", "year_b")]
        else:
            chosen = [select(context, **filters)]
    except TradeTraceError:
        return None
    fields = tool.arguments.model_fields
    settings = tuple((name, value) for name, value in values.items()
                     if name not in FILTERS and name not in COMPARED and value != fields[name].default)
    filtered = any(value != fields[name].default for name, value in filters.items()) or any(
        name in COMPARED for name in values)
    return Reach(call.tool, frozenset(np.packbits(selection.mask).tobytes() for selection in chosen), settings,
                 filtered)


def guarded(context: AskContext, planned: Sequence[QueryCall]) -> list[tuple[QueryCall, Reach]]:
    """The planned calls that state something of the request (a filter, a comparison or a setting), with their
    reach."""
    reaches = [(call, reach(context, call)) for call in planned]
    return [(call, found) for call, found in reaches if found is not None and (found.filtered or found.settings)]


def missed(context: AskContext, planned: Sequence[tuple[QueryCall, Reach]],
           made: Sequence[QueryCall]) -> list[QueryCall]:
    """The guarded planned calls (guarded()'s) that no made call covers: none selects the same rows (for a
    comparison, each side's rows), or, where the planned call has settings, none of its tool runs with them over
    those rows."""
    made_reach = [found for found in (reach(context, call) for call in made) if found is not None]
    selected = frozenset().union(*(found.selections for found in made_reach))
    return [call for call, wanted in planned
            if not (wanted.selections <= selected and (not wanted.settings or any(
                found.tool == wanted.tool and found.settings == wanted.settings
                and wanted.selections <= found.selections for found in made_reach)))]
