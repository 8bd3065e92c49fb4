"""The query tools Ask answers from: typed functions over a rows frame (agent.export.to_dataframe's columns: a run's
rows or the library's), in one registry like the agent's own tools (agent.run.tools.Tool: pydantic arguments from
the signature and docstring, strict, no argument a tool does not take).

Each tool returns a QueryResult: its own statement (sentences whose every number is in the result), the numbers it
states, a small table, and the keys of the rows it rests on (source_file, row_number, and library_id in the
library). Only what the filings disclose is queried: trade and filing dates, sides, tickers, owners, option terms and
amount brackets, which are summed as a low-high range, never as a point value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from agent.analysis.assessment import ALL_FILERS, assess_trades
from agent.analysis.fit import VERDICT_WORDS, Horizon, InvestorProfile, RiskLevel
from agent.analysis.formatting import counted, dollars_text
from agent.analysis.frame import prepare_trades
from agent.analysis.library_views import clusters, late_filings, members_table
from agent.errors import ToolError
from agent.models import FileOutcome
from agent.run.tools import Tool, ToolData, ToolFailure, ToolResult, bound_call

TABLE_LIMIT = 20  # rows a result's table carries; the rest are counted in total_rows
ROW_KEY_LIMIT = 50  # row keys a result cites; the rest are counted in rows_total
STATED_LIMIT = 8  # items a statement lists before "and N more"

# prepare_trades' columns the queries (and the library views they call) read.
QUERY_COLUMNS = (
    "source_file", "row_number", "library_id", "filer_name", "ticker", "asset_name", "transaction_date", "side",
    "is_option", "open_bracket", "amount_min", "amount_max", "midpoint", "traded_on", "filed_on", "expires_on",
    "delay_days", "days_to_expiry", "option_type", "option_strike", "position",
)
CATEGORY_COLUMNS = frozenset({"source_file", "filer_name", "ticker", "side", "option_type"})

Side = Literal["any", "buy", "sell", "exchange"]
Options = Literal["include", "only", "exclude"]
Scope = Literal["run", "library"]
Cell = str | int | float | None

_SIDES = {"buy": "purchase", "sell": "sale", "exchange": "exchange"}
_SIDE_NOUNS = {"any": "trade", "buy": "buy", "sell": "sale", "exchange": "exchange"}
_PAST = {"purchase": "bought", "sale": "sold", "exchange": "exchanged", "": "traded"}
_HONORIFICS = {"hon", "hon.", "the", "honorable", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr."}


def member_name(filer_name: str) -> str:
    """A filer as prose names them: "Hon. Marjorie Taylor Mrs Greene" -> "Marjorie Taylor Greene"."""
    words = [word for word in filer_name.split() if word.lower() not in _HONORIFICS]
    return " ".join(words) or filer_name


def name_words(filer_name: str) -> set[str]:
    return {word.strip(".,").lower() for word in member_name(filer_name).split()} - {""}


# --- what a query returns ----------------------------------------------------------------------------------------


class RowKey(BaseModel):
    """Where a row stands: its file and row number (and its library id when it comes from the library)."""

    model_config = ConfigDict(frozen=True)

    source_file: str
    row_number: int
    library_id: str = ""

    @property
    def label(self) -> str:
        return f"{self.source_file} row {self.row_number}"


class QueryTable(BaseModel):
    model_config = ConfigDict(frozen=True)

    columns: list[str]
    rows: list[list[Cell]]
    total_rows: int  # before clipping to TABLE_LIMIT


class QueryResult(ToolData):
    """One query's answer: the tool's statement, its numbers, a small table and the rows it rests on."""

    tool: str
    statement: str
    numbers: dict[str, float | int | str]
    table: QueryTable
    row_keys: list[RowKey]
    rows_total: int  # rows the result rests on; row_keys holds the first ROW_KEY_LIMIT


# --- the rows a query reads --------------------------------------------------------------------------------------


@dataclass
class AskContext:
    """What Ask's tools read: the rows (a run's or the library's), prepared once, and what the request makes."""

    frame: pd.DataFrame
    scope: Scope = "run"
    profile: InvestorProfile | None = None  # the profile remembered for the workspace, if any
    outcomes: Sequence[FileOutcome] = ()  # the run's files, for the report; empty over the library
    artifacts: dict[str, str] = field(default_factory=dict)  # outputs asked for: name -> text
    prepared: pd.DataFrame = field(init=False)  # the rows prepared once (prepare_trades), for the fit and the report
    trades: pd.DataFrame = field(init=False)  # the prepared rows, only the columns the queries read

    def __post_init__(self) -> None:
        prepared = self.prepared = prepare_trades(self.frame)
        trades = prepared[[column for column in QUERY_COLUMNS if column in prepared.columns]]
        # Selecting rows from Arrow-backed text columns cost most of a query over 100,000 rows: text is plain
        # objects, and the few values filters compare and group by are categories; consolidated once, not per copy.
        text = {column: "category" if column in CATEGORY_COLUMNS else object
                for column in trades.columns if trades[column].dtype == "str"}
        self.trades = trades.astype(text).copy()

    @cached_property
    def filers(self) -> list[str]:
        return sorted(set(self.trades["filer_name"]) - {""})

    @cached_property
    def tickers(self) -> set[str]:
        return set(self.trades["ticker"]) - {""}

    @cached_property
    def assets(self) -> pd.DataFrame:
        """Each (asset name, ticker) pair the rows print, once."""
        return self.trades.loc[self.trades["ticker"] != "", ["asset_name", "ticker"]].drop_duplicates()

    def members_matching(self, member: str) -> list[str]:
        """The filers whose names hold every word of `member`, case-insensitively ("pelosi", "Nancy Pelosi")."""
        wanted = name_words(member)
        return [filer for filer in self.filers if wanted and wanted <= name_words(filer)]


def row_keys(rows: pd.DataFrame) -> list[RowKey]:
    """The keys of the first ROW_KEY_LIMIT rows of a frame with source_file and row_number (and library_id)."""
    chosen = rows.head(ROW_KEY_LIMIT)
    ids = chosen["library_id"] if "library_id" in chosen.columns else pd.Series("", index=chosen.index)
    return [RowKey(source_file=str(file), row_number=int(number),
                   library_id="" if pd.isna(library_id) else str(library_id))
            for file, number, library_id in zip(chosen["source_file"], chosen["row_number"], ids)]


@dataclass(frozen=True)
class Selection:
    """The rows a query's filters keep, and those filters in words ("by Nancy Pelosi, traded in 2020")."""

    mask: np.ndarray
    words: str
    unmatched: str = ""  # a member filter that matches no filer, said in words
    noun: str = "trade"  # what the rows are: trades, or buys, sales or exchanges when the side is filtered


def _date(text: str, argument: str) -> pd.Timestamp | None:
    if not text:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ToolError(f"{argument}: give a date as YYYY-MM-DD, not {text!r}")
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise ToolError(f"{argument}: {text!r} is not a date of the calendar") from None


def _period_words(date_from: str, date_to: str) -> str:
    if date_from[:4] == date_to[:4] and date_from[5:] == "01-01" and date_to[5:] == "12-31":
        return f"traded in {date_from[:4]}"
    if date_from and date_to:
        return f"traded {date_from} to {date_to}"
    return f"traded from {date_from}" if date_from else f"traded up to {date_to}"


def select(ctx: AskContext, member: str = "", ticker: str = "", date_from: str = "", date_to: str = "",
           side: Side = "any", options: Options = "include") -> Selection:
    trades = ctx.trades
    mask = np.ones(len(trades), dtype=bool)
    words: list[str] = []
    unmatched = ""
    if member.strip():
        names = ctx.members_matching(member)
        if not names:
            known = ", ".join(member_name(filer) for filer in ctx.filers[:12])
            unmatched = f"No filer in these rows is named {member.strip()!r} (filers: {known or 'none'})."
        mask &= trades["filer_name"].isin(names).to_numpy()
        words.append("by " + (" and ".join(dict.fromkeys(member_name(name) for name in names)) or member.strip()))
    if ticker.strip():
        symbol = ticker.strip().upper()
        mask &= (trades["ticker"] == symbol).to_numpy()
        words.append(f"in {symbol}")
    if side != "any":
        mask &= (trades["side"] == _SIDES[side]).to_numpy()
    if options == "only":
        mask &= trades["is_option"].to_numpy()
        words.append("options only")
    elif options == "exclude":
        mask &= ~trades["is_option"].to_numpy()
        words.append("options left out")
    start, end = _date(date_from, "date_from"), _date(date_to, "date_to")
    if start is not None and end is not None and start > end:
        raise ToolError(f"date_from {date_from} is after date_to {date_to}")
    if start is not None:
        mask &= (trades["traded_on"] >= start).to_numpy()
    if end is not None:
        mask &= (trades["traded_on"] <= end).to_numpy()
    if start is not None or end is not None:
        words.append(_period_words(date_from, date_to))
    return Selection(mask, ", ".join(words), unmatched, _SIDE_NOUNS[side])


# --- shared pieces -----------------------------------------------------------------------------------------------


def _cell(value: object) -> Cell:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _table(columns: list[str], rows: Sequence[Sequence[object]]) -> QueryTable:
    return QueryTable(columns=columns, rows=[[_cell(value) for value in row] for row in rows[:TABLE_LIMIT]],
                      total_rows=len(rows))


def _result(tool: str, statement: str, numbers: Mapping[str, float | int | str], table: QueryTable,
            rows: pd.DataFrame, rows_total: int | None = None, summary: str = "") -> ToolResult:
    """The result; `rows` are the rows it rests on, or the first of them when rows_total counts them all. The trace
    shows `summary`, the statement unless told: the answer states the statement."""
    data = QueryResult(tool=tool, statement=statement, numbers=dict(numbers), table=table, row_keys=row_keys(rows),
                       rows_total=len(rows) if rows_total is None else rows_total)
    return ToolResult(summary or statement, data)


def _amounts(trades: pd.DataFrame) -> dict[str, float | int]:
    """The estimated amount of some trades: the sums of their brackets' lows and highs (open brackets have no high)."""
    return {"low": float(trades["amount_min"].sum()), "high": float(trades["amount_max"].sum()),
            "open_brackets": int(trades["open_bracket"].sum()), "no_amount": int(trades["amount_min"].isna().sum())}


def _tally(trades: pd.DataFrame) -> dict[str, float | int]:
    sides = trades["side"]
    return {"trades": len(trades), "buys": int((sides == "purchase").sum()), "sales": int((sides == "sale").sum()),
            "exchanges": int((sides == "exchange").sum()), "options": int(trades["is_option"].sum()),
            **_amounts(trades)}


def range_text(low: float, high: float, open_brackets: int) -> str:
    """An estimated amount as the filings allow it: a low-high range, "at least" when a bracket is open."""
    if open_brackets:
        return f"at least {dollars_text(low)}"
    return f"{dollars_text(low)} to {dollars_text(high)}"


def _amount_text(amounts: dict[str, float | int]) -> str:
    text = range_text(amounts["low"], amounts["high"], int(amounts["open_brackets"]))
    if amounts["open_brackets"]:
        text += f" ({counted(amounts['open_brackets'], 'trade')} in an open-ended bracket)"
    return text


def _sides_text(tally: dict[str, float | int]) -> str:
    parts = [counted(tally["buys"], "buy"), counted(tally["sales"], "sale")]
    if tally["exchanges"]:
        parts.append(counted(tally["exchanges"], "exchange"))
    return ", ".join(parts)


def _about(selection: Selection) -> str:
    return f" {selection.words}" if selection.words else ""


def _none_found(ctx: AskContext, tool: str, selection: Selection, what: str = "") -> ToolResult:
    statement = selection.unmatched or f"No {what or selection.noun}{_about(selection)} in these rows."
    return _result(tool, statement, {"trades": 0}, _table([], []), ctx.trades.iloc[:0])


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict("records")]


def _listed(items: Sequence[str]) -> str:
    shown = "; ".join(items[:STATED_LIMIT])
    return shown + (f"; and {len(items) - STATED_LIMIT} more" if len(items) > STATED_LIMIT else "")


def _date_text(value: object) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, pd.Timestamp) and not pd.isna(value) else "an unread date"


def _trade_line(trade: pd.Series) -> str:
    what = trade["ticker"] or str(trade["asset_name"])[:40] or "an unnamed asset"
    amount = range_text(trade["amount_min"], trade["amount_max"], int(trade["open_bracket"]))
    return (f"{_date_text(trade['traded_on'])} {member_name(str(trade['filer_name']))} "
            f"{_PAST.get(trade['side'], 'traded')} {what} ({amount})")


# --- the tools -----------------------------------------------------------------------------------------------------


def count_trades(ctx: AskContext, member: str = "", ticker: str = "", date_from: str = "", date_to: str = "",
                 side: Side = "any", options: Options = "include") -> ToolResult:
    """Count the trades that match the filters, with how many were buys, sales and exchanges.

    Args:
        member: a filer's name, e.g. "Pelosi".
        ticker: e.g. "AAPL".
        date_from: first trade date, YYYY-MM-DD.
        date_to: last trade date, YYYY-MM-DD.
        side: buy, sell, exchange, or any.
        options: option trades in, only, or out.
    """
    selection = select(ctx, member, ticker, date_from, date_to, side, options)
    trades = ctx.trades[selection.mask]
    if trades.empty:
        return _none_found(ctx, "count_trades", selection)
    tally = _tally(trades)
    statement = f"These rows hold {counted(len(trades), selection.noun)}{_about(selection)}"
    statement += f": {_sides_text(tally)}." if side == "any" else "."
    table = _table(["side", "trades"], [["buy", tally["buys"]], ["sale", tally["sales"]],
                                        ["exchange", tally["exchanges"]]])
    return _result("count_trades", statement, tally, table, trades)


def sum_amounts(ctx: AskContext, member: str = "", ticker: str = "", date_from: str = "", date_to: str = "",
                side: Side = "any", options: Options = "include") -> ToolResult:
    """The estimated amount of the trades that match the filters: the sum of their brackets as a low-high
    range, in all and for buys and sales apart.

    Args:
        member: a filer's name, e.g. "Pelosi".
        ticker: e.g. "AAPL".
        date_from: first trade date, YYYY-MM-DD.
        date_to: last trade date, YYYY-MM-DD.
        side: buy, sell, exchange, or any.
        options: option trades in, only, or out.
    """
    selection = select(ctx, member, ticker, date_from, date_to, side, options)
    trades = ctx.trades[selection.mask]
    if trades.empty:
        return _none_found(ctx, "sum_amounts", selection)
    tally = _tally(trades)
    parts = []
    rows: list[list[object]] = []
    for side_name, label in (("purchase", "buys"), ("sale", "sales"), ("exchange", "exchanges")):
        part = trades[trades["side"] == side_name]
        if not part.empty and len(part) < len(trades):
            amounts = _amounts(part)
            parts.append(f"{label} {range_text(amounts['low'], amounts['high'], int(amounts['open_brackets']))}")
            rows.append([label, len(part), amounts["low"], amounts["high"]])
    statement = (f"The {counted(len(trades), selection.noun)}{_about(selection)} add up to an estimated "
                 f"{_amount_text(tally)}" + (f" ({'; '.join(parts)})." if parts else ".")
                 + " The filings give amount brackets, not exact amounts.")
    if tally["no_amount"]:
        statement += f" {counted(tally['no_amount'], 'trade')} state no amount."
    rows.append(["all", len(trades), tally["low"], tally["high"]])
    return _result("sum_amounts", statement, tally, _table(["trades", "count", "low", "high"], rows), trades)


def _grouped(trades: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per value of `key`: trades, buys, sales, low and high sums, first and last trade date; most trades first."""
    frame = pd.DataFrame({key: trades[key], "side": trades["side"], "buy": trades["side"] == "purchase",
                          "sale": trades["side"] == "sale", "amount_min": trades["amount_min"],
                          "amount_max": trades["amount_max"], "open_bracket": trades["open_bracket"],
                          "traded_on": trades["traded_on"]})
    groups = frame.groupby(key, sort=False).agg(
        trades=("side", "size"), buys=("buy", "sum"), sales=("sale", "sum"), low=("amount_min", "sum"),
        high=("amount_max", "sum"), open_brackets=("open_bracket", "sum"), first=("traded_on", "min"),
        last=("traded_on", "max"))
    return groups.sort_values(["trades", "high", "low"], ascending=False, kind="stable")


def _group_line(name: str, row: pd.Series) -> str:
    return (f"{name} {counted(row['trades'], 'trade')} ({counted(row['buys'], 'buy')}, "
            f"{counted(row['sales'], 'sale')}; {range_text(row['low'], row['high'], int(row['open_brackets']))})")


def top_tickers(ctx: AskContext, member: str = "", date_from: str = "", date_to: str = "", side: Side = "any",
                options: Options = "include", limit: int = 5) -> ToolResult:
    """The most traded tickers among the trades that match the filters: by number of trades, then estimated amount.

    Args:
        member: a filer's name, e.g. "Pelosi".
        date_from: first trade date, YYYY-MM-DD.
        date_to: last trade date, YYYY-MM-DD.
        side: buy, sell, exchange, or any.
        options: option trades in, only, or out.
        limit: how many tickers, 1 to 20.
    """
    if not 1 <= limit <= TABLE_LIMIT:
        raise ToolError(f"limit: give 1 to {TABLE_LIMIT} tickers, not {limit}")
    selection = select(ctx, member, "", date_from, date_to, side, options)
    trades = ctx.trades[selection.mask & (ctx.trades["ticker"] != "").to_numpy()]
    if trades.empty:
        return _none_found(ctx, "top_tickers", selection, "trade with a ticker")
    groups = _grouped(trades, "ticker").head(limit)
    statement = (f"The most traded tickers{_about(selection)}: "
                 f"{_listed([_group_line(str(ticker), row) for ticker, row in groups.iterrows()])}.")
    table = _table(["ticker", "trades", "buys", "sales", "low", "high"],
                   [[ticker, row["trades"], row["buys"], row["sales"], row["low"], row["high"]]
                    for ticker, row in groups.iterrows()])
    numbers: dict[str, float | int | str] = {"tickers": len(groups)}
    numbers.update({f"{ticker} trades": int(row["trades"]) for ticker, row in groups.iterrows()})
    return _result("top_tickers", statement, numbers, table, trades[trades["ticker"].isin(groups.index)])


def date_range(ctx: AskContext, member: str = "", ticker: str = "", side: Side = "any",
               options: Options = "include") -> ToolResult:
    """When the trades that match the filters were made and disclosed (first and last trade and filing date).

    Args:
        member: a filer's name, e.g. "Pelosi".
        ticker: e.g. "AAPL".
        side: buy, sell, exchange, or any.
        options: option trades in, only, or out.
    """
    selection = select(ctx, member, ticker, side=side, options=options)
    trades = ctx.trades[selection.mask]
    if trades.empty:
        return _none_found(ctx, "date_range", selection)
    first, last = trades["traded_on"].min(), trades["traded_on"].max()
    filed_first, filed_last = trades["filed_on"].min(), trades["filed_on"].max()
    statement = (f"The {counted(len(trades), selection.noun)}{_about(selection)} were made from {_date_text(first)} to "
                 f"{_date_text(last)} and disclosed from {_date_text(filed_first)} to {_date_text(filed_last)}.")
    numbers: dict[str, float | int | str] = {
        "trades": len(trades), "first trade": _date_text(first), "last trade": _date_text(last),
        "first filed": _date_text(filed_first), "last filed": _date_text(filed_last)}
    table = _table(["", "trade date", "filing date"], [["first", first, filed_first], ["last", last, filed_last]])
    ends = trades[(trades["traded_on"] == first) | (trades["traded_on"] == last)]
    return _result("date_range", statement, numbers, table, ends)


def per_member(ctx: AskContext, ticker: str = "", date_from: str = "", date_to: str = "", side: Side = "any",
               options: Options = "include") -> ToolResult:
    """Per member, the trades that match the filters (count, buys, sells, estimated volume, reporting delay,
    first and last trade date), most trades first.

    Args:
        ticker: a ticker symbol (e.g. "NVDA"); empty for every asset.
        date_from: first trade date, YYYY-MM-DD.
        date_to: last trade date, YYYY-MM-DD.
        side: buy, sell, exchange, or any.
        options: option trades in, only, or out.
    """
    selection = select(ctx, "", ticker, date_from, date_to, side, options)
    trades = ctx.trades[selection.mask]
    if trades.empty:
        return _none_found(ctx, "per_member", selection)
    members = members_table(trades.copy())
    lines = [f"{member_name(row['filer'])} {counted(row['trades'], 'trade')} ({counted(row['buys'], 'buy')}, "
             f"{counted(row['sells'], 'sale')}; "
             f"{range_text(row['volume_low'], row['volume_high'], row['open_amounts'])})" for row in _records(members)]
    statement = f"{counted(len(members), 'member')} traded{_about(selection)}: {_listed(lines)}."
    table = _table(["member", "trades", "buys", "sells", "low", "high", "median delay days", "first", "last"],
                   [[member_name(row["filer"]), row["trades"], row["buys"], row["sells"], row["volume_low"],
                     row["volume_high"], row["median_delay_days"], row["first_trade"], row["last_trade"]]
                    for row in _records(members)])
    numbers: dict[str, float | int | str] = {"members": len(members), "trades": len(trades)}
    return _result("per_member", statement, numbers, table, trades)


def per_ticker(ctx: AskContext, member: str = "", date_from: str = "", date_to: str = "", side: Side = "any",
               options: Options = "include") -> ToolResult:
    """Per ticker, the trades that match the filters (count, buys, sales, estimated amount), most trades first;
    trades without a ticker apart.

    Args:
        member: a filer's name, e.g. "Pelosi".
        date_from: first trade date, YYYY-MM-DD.
        date_to: last trade date, YYYY-MM-DD.
        side: buy, sell, exchange, or any.
        options: option trades in, only, or out.
    """
    selection = select(ctx, member, "", date_from, date_to, side, options)
    trades = ctx.trades[selection.mask]
    if trades.empty:
        return _none_found(ctx, "per_ticker", selection)
    groups = _grouped(trades[trades["ticker"] != ""], "ticker")
    statement = (f"{counted(len(groups), 'ticker')} traded{_about(selection)}: "
                 f"{_listed([_group_line(str(ticker), row) for ticker, row in groups.iterrows()])}.")
    unnamed = len(trades) - int(groups["trades"].sum())
    if unnamed:
        statement += f" {counted(unnamed, 'trade')} name no ticker."
    table = _table(["ticker", "trades", "buys", "sales", "low", "high", "first", "last"],
                   [[ticker, row["trades"], row["buys"], row["sales"], row["low"], row["high"], row["first"],
                     row["last"]] for ticker, row in groups.iterrows()])
    numbers: dict[str, float | int | str] = {"tickers": len(groups), "trades": len(trades), "without ticker": unnamed}
    return _result("per_ticker", statement, numbers, table, trades)


def list_trades(ctx: AskContext, member: str = "", ticker: str = "", date_from: str = "", date_to: str = "",
                side: Side = "any", options: Options = "include") -> ToolResult:
    """The trades that match the filters, one line each (date, filer, side, asset, amount bracket), by trade date.

    Args:
        member: a filer's name, e.g. "Pelosi".
        ticker: e.g. "AAPL".
        date_from: first trade date, YYYY-MM-DD.
        date_to: last trade date, YYYY-MM-DD.
        side: buy, sell, exchange, or any.
        options: option trades in, only, or out.
    """
    selection = select(ctx, member, ticker, date_from, date_to, side, options)
    trades = ctx.trades[selection.mask].sort_values("traded_on", kind="stable")
    if trades.empty:
        return _none_found(ctx, "list_trades", selection)
    lines = [_trade_line(trade) for _, trade in trades.head(STATED_LIMIT).iterrows()]
    more = f"; and {len(trades) - STATED_LIMIT} more" if len(trades) > STATED_LIMIT else ""
    statement = f"{counted(len(trades), selection.noun)}{_about(selection)}: {'; '.join(lines)}{more}."
    shown = trades.head(TABLE_LIMIT)
    table = QueryTable(columns=["date", "member", "side", "ticker", "asset", "low", "high"], total_rows=len(trades),
                       rows=[[_cell(value) for value in row] for row in zip(
                           shown["traded_on"], shown["filer_name"].map(member_name), shown["side"], shown["ticker"],
                           shown["asset_name"], shown["amount_min"], shown["amount_max"])])
    return _result("list_trades", statement, {"trades": len(trades)}, table, trades)


def overview(ctx: AskContext, member: str = "", ticker: str = "", date_from: str = "",
             date_to: str = "") -> ToolResult:
    """What the rows hold: how many trades from how many filings and filers, when, and their estimated amount.

    Args:
        member: a filer's name, e.g. "Pelosi".
        ticker: e.g. "AAPL".
        date_from: first trade date, YYYY-MM-DD.
        date_to: last trade date, YYYY-MM-DD.
    """
    selection = select(ctx, member, ticker, date_from, date_to)
    trades = ctx.trades[selection.mask]
    if trades.empty:
        return _none_found(ctx, "overview", selection)
    tally = _tally(trades)
    files, filers = trades["source_file"].nunique(), trades.loc[trades["filer_name"] != "", "filer_name"].nunique()
    first, last = trades["traded_on"].min(), trades["traded_on"].max()
    statement = (f"{counted(len(trades), 'trade')}{_about(selection)} from {counted(files, 'filing')} of "
                 f"{counted(filers, 'filer')}, traded {_date_text(first)} to {_date_text(last)}: "
                 f"{_sides_text(tally)}, {counted(tally['options'], 'option trade')}; estimated amount "
                 f"{_amount_text(tally)}.")
    numbers: dict[str, float | int | str] = {**tally, "filings": files, "filers": filers,
                                             "first trade": _date_text(first), "last trade": _date_text(last)}
    table = _table(["measure", "value"], [[name, value] for name, value in numbers.items()])
    return _result("overview", statement, numbers, table, trades)


def options_by_expiry(ctx: AskContext, member: str = "", ticker: str = "", date_from: str = "", date_to: str = "",
                      within_days: int = 0) -> ToolResult:
    """The option trades that match the filters by expiration date, with type, strike and days from the trade
    to expiry.

    Args:
        member: a filer's name, e.g. "Pelosi".
        ticker: e.g. "AAPL".
        date_from: first trade date, YYYY-MM-DD.
        date_to: last trade date, YYYY-MM-DD.
        within_days: only options expiring within this many days of the trade (365 for a year); 0 for any.
    """
    if within_days < 0:
        raise ToolError(f"within_days: give 0 (any expiry) or a number of days, not {within_days}")
    selection = select(ctx, member, ticker, date_from, date_to)
    mask = selection.mask & ctx.trades["is_option"].to_numpy()
    if within_days:
        mask &= (ctx.trades["days_to_expiry"] <= within_days).to_numpy()
        expiring = f"expiring within {counted(within_days, 'day')} of the trade"
        words = ", ".join(filter(None, [selection.words, expiring]))
        selection = Selection(mask, words, selection.unmatched)
    trades = ctx.trades[mask].sort_values(["expires_on", "traded_on"], kind="stable")
    if trades.empty:
        return _none_found(ctx, "options_by_expiry", selection, "option trade")
    by_expiry = trades.groupby(trades["expires_on"].dt.strftime("%Y-%m-%d").fillna("an unread date"), sort=False)
    lines = [f"expiring {expiry}: {counted(len(group), 'trade')} ({', '.join(dict.fromkeys(group['position']))})"
             for expiry, group in by_expiry]
    statement = f"{counted(len(trades), 'option trade')}{_about(selection)}: {_listed(lines)}."
    table = _table(["expires", "date", "member", "ticker", "type", "strike", "days to expiry", "side", "low", "high"],
                   [[trade["expires_on"], trade["traded_on"], member_name(str(trade["filer_name"])),
                     trade["position"], trade["option_type"], trade["option_strike"], trade["days_to_expiry"],
                     trade["side"], trade["amount_min"], trade["amount_max"]]
                    for _, trade in trades.head(TABLE_LIMIT).iterrows()])
    table = table.model_copy(update={"total_rows": len(trades)})
    numbers: dict[str, float | int | str] = {"option trades": len(trades), "expiry dates": len(lines)}
    return _result("options_by_expiry", statement, numbers, table, trades)


def late_disclosures(ctx: AskContext, member: str = "", ticker: str = "", date_from: str = "", date_to: str = "",
                     limit_days: int = 45) -> ToolResult:
    """The trades disclosed more than limit_days after the trade (the law allows 45), longest delay first.

    Args:
        member: a filer's name, e.g. "Pelosi".
        ticker: e.g. "AAPL".
        date_from: first trade date, YYYY-MM-DD.
        date_to: last trade date, YYYY-MM-DD.
        limit_days: the number of days after which a disclosure counts as late.
    """
    if limit_days < 0:
        raise ToolError(f"limit_days: give a number of days, not {limit_days}")
    selection = select(ctx, member, ticker, date_from, date_to)
    trades = ctx.trades[selection.mask]
    judged = int(trades["delay_days"].notna().sum())
    late = late_filings(trades.copy(), limit_days)
    about = f"{_about(selection)} disclosed more than {counted(limit_days, 'day')} after the trade"
    if late.empty:
        statement = selection.unmatched or f"No trade{about}, of {counted(judged, 'trade')} with both dates."
        return _result("late_disclosures", statement, {"late": 0, "judged": judged}, _table([], []), late)
    lines = [f"{_trade_line(trade)}, filed {trade['filing_date']} ({counted(trade['delay_days'], 'day')} later)"
             for _, trade in late.head(STATED_LIMIT).iterrows()]
    more = f"; and {len(late) - STATED_LIMIT} more" if len(late) > STATED_LIMIT else ""
    statement = (f"{len(late):,} of {counted(judged, 'trade')} with both dates were{about}: "
                 f"{'; '.join(lines)}{more}.")
    table = _table(["member", "ticker", "traded", "filed", "delay days"],
                   [[member_name(row["filer_name"]), row["ticker"], row["transaction_date"], row["filing_date"],
                     row["delay_days"]] for row in _records(late.head(TABLE_LIMIT))])
    table = table.model_copy(update={"total_rows": len(late)})
    numbers: dict[str, float | int | str] = {"late": len(late), "judged": judged,
                                             "longest delay days": int(late["delay_days"].max())}
    return _result("late_disclosures", statement, numbers, table, late)


def clustered_trades(ctx: AskContext, ticker: str = "", date_from: str = "", date_to: str = "",
                     window_days: int = 14) -> ToolResult:
    """Two or more members trading the same ticker in the same direction within window_days, newest first.

    Args:
        ticker: a ticker symbol (e.g. "NVDA"); empty for every ticker.
        date_from: first trade date, YYYY-MM-DD.
        date_to: last trade date, YYYY-MM-DD.
        window_days: the most days between a cluster's first and last trade, 1 to 365.
    """
    if not 1 <= window_days <= 365:
        raise ToolError(f"window_days: give 1 to 365 days, not {window_days}")
    selection = select(ctx, "", ticker, date_from, date_to)
    found = clusters(ctx.trades[selection.mask].copy(), window_days)
    about = f"{_about(selection)} within {counted(window_days, 'day')}"
    if found.empty:
        statement = f"No two members traded the same ticker in the same direction{about}."
        return _result("clustered_trades", statement, {"clusters": 0}, _table([], []), ctx.trades.iloc[:0])
    shown = _records(found.head(TABLE_LIMIT))  # thousands of clusters in a large library: describe the newest
    lines = [f"{row['ticker']}: {row['member_names'].replace('; ', ' and ')} "
             f"{'bought' if row['direction'] == 'buy' else 'sold'} ({counted(row['trades'], 'trade')}, "
             f"{row['first_date']} to {row['last_date']})" for row in shown[:STATED_LIMIT]]
    more = f"; and {len(found) - STATED_LIMIT:,} more" if len(found) > STATED_LIMIT else ""
    statement = f"{counted(len(found), 'cluster')} of members trading together{about}: {'; '.join(lines)}{more}."
    table = _table(["ticker", "direction", "members", "trades", "first", "last"],
                   [[row["ticker"], row["direction"], row["member_names"], row["trades"], row["first_date"],
                     row["last_date"]] for row in shown]).model_copy(update={"total_rows": len(found)})
    cited = [key for row in shown for key in row["row_keys"]][:ROW_KEY_LIMIT]
    keys = pd.DataFrame(cited, columns=["source_file", "row_number"])
    trades = int(found["trades"].sum())
    numbers: dict[str, float | int | str] = {"clusters": len(found), "trades": trades}
    return _result("clustered_trades", statement, numbers, table, keys, trades)


def _side_by_side(labels: tuple[str, str], tallies: Sequence[dict[str, float | int]]
                  ) -> tuple[str, QueryTable, dict[str, float | int | str]]:
    lines = []
    numbers: dict[str, float | int | str] = {}
    for label, tally in zip(labels, tallies):
        if not tally["trades"]:
            lines.append(f"{label}: no trade")
            continue
        lines.append(f"{label}: {counted(tally['trades'], 'trade')} ({_sides_text(tally)}, "
                     f"{counted(tally['options'], 'option trade')}), estimated {_amount_text(tally)}")
        numbers.update({f"{label} {name}": value for name, value in tally.items()})
    measures = ("trades", "buys", "sales", "options", "low", "high")
    table = _table(["measure", *labels], [[name, tallies[0][name], tallies[1][name]] for name in measures])
    return "; ".join(lines), table, numbers


def compare_members(ctx: AskContext, member_a: str, member_b: str, ticker: str = "", date_from: str = "",
                    date_to: str = "") -> ToolResult:
    """Two filers side by side: trades, buys, sales, option trades and estimated amount of each.

    Args:
        member_a: words of the first filer's name.
        member_b: words of the second filer's name.
        ticker: a ticker symbol to compare on; empty for every asset.
        date_from: first trade date, YYYY-MM-DD.
        date_to: last trade date, YYYY-MM-DD.
    """
    selections = [select(ctx, member, ticker, date_from, date_to) for member in (member_a, member_b)]
    unmatched = " ".join(selection.unmatched for selection in selections if selection.unmatched)
    if unmatched:
        raise ToolError(unmatched)
    first, second = (selection.words.split(", ")[0].removeprefix("by ") for selection in selections)
    if first == second:
        raise ToolError(f"{member_a!r} and {member_b!r} name the same filer: name two different ones")
    text, table, numbers = _side_by_side(
        (first, second), [_tally(ctx.trades[selection.mask]) for selection in selections])
    common = ", ".join(selections[0].words.split(", ")[1:])
    statement = f"Compared{' (' + common + ')' if common else ''}: {text}."
    return _result("compare_members", statement, numbers, table,
                   ctx.trades[selections[0].mask | selections[1].mask])


def compare_years(ctx: AskContext, year_a: int, year_b: int, member: str = "", ticker: str = "") -> ToolResult:
    """Two years side by side (by trade date): trades, buys, sales, option trades and estimated amount of each.

    Args:
        year_a: the first year (e.g. 2020).
        year_b: the second year (e.g. 2021).
        member: words of a filer's name; empty for every filer.
        ticker: a ticker symbol; empty for every asset.
    """
    for year in (year_a, year_b):
        if not 1990 <= year <= 2100:
            raise ToolError(f"{year} is not a year the filings cover (give a year like 2020)")
    if year_a == year_b:
        raise ToolError(f"year_a and year_b are both {year_a}: give two different years")
    selections = [select(ctx, member, ticker, f"{year}-01-01", f"{year}-12-31") for year in (year_a, year_b)]
    if selections[0].unmatched:
        raise ToolError(selections[0].unmatched)
    text, table, numbers = _side_by_side(
        (str(year_a), str(year_b)), [_tally(ctx.trades[selection.mask]) for selection in selections])
    common = ", ".join(part for part in selections[0].words.split(", ") if not part.startswith("traded "))
    statement = f"By trade year{' (' + common + ')' if common else ''}: {text}."
    return _result("compare_years", statement, numbers, table, ctx.trades[selections[0].mask | selections[1].mask])


def investor_fit(ctx: AskContext, risk: RiskLevel, horizon: Horizon, no_options: bool = False,
                 max_position_percent: float = 0, member: str = "") -> ToolResult:
    """How copying the trades fits an investor profile: the overall answer and each dimension's verdict with its
    reasons.

    Args:
        risk: the investor's risk tolerance: low, medium or high.
        horizon: the investor's horizon: short (under 1 year), medium (1 to 5 years) or long (5 years or more).
        no_options: the investor avoids options.
        max_position_percent: the largest share of volume one position may hold, in percent; 0 for no limit.
        member: words of a filer's name, to judge only their trades; empty for all.
    """
    if not 0 <= max_position_percent <= 100:
        raise ToolError(f"max_position_percent: give 1 to 100 (0 for no limit), not {max_position_percent}")
    profile = InvestorProfile(risk, horizon, no_options, max_position_percent / 100 or None)
    selection = select(ctx, member)
    if not selection.mask.any():
        return _none_found(ctx, "investor_fit", selection)
    assessment = assess_trades(ctx.prepared[selection.mask].reset_index(drop=True), profile,
                               selection.words.removeprefix("by ") or ALL_FILERS)
    verdicts = assessment.verdicts
    # A line each: the overall answer, the subsets that would fit better, each dimension with its reasons.
    statement = "\n".join([assessment.overall.sentence, *(subset.sentence for subset in assessment.subsets),
                           *(f"{verdict.heading} {' '.join(verdict.reasons)}" for verdict in verdicts)])
    summary = (f"The fit with {profile.investor}: {VERDICT_WORDS[assessment.overall.verdict]} ("
               + "; ".join(f"{verdict.dimension} {VERDICT_WORDS[verdict.verdict]}" for verdict in verdicts)
               + f"), over {counted(int(selection.mask.sum()), 'trade')}.")
    table = _table(["dimension", "verdict", "reasons"],
                   [[verdict.dimension, verdict.verdict, " ".join(verdict.reasons)] for verdict in assessment.verdicts])
    numbers: dict[str, float | int | str] = {"trades": int(selection.mask.sum()), "verdict": assessment.overall.verdict,
                                             "profile": profile.investor}
    return _result("investor_fit", statement, numbers, table, ctx.trades[selection.mask], summary=summary)


# --- the registry --------------------------------------------------------------------------------------------------


class QueryTools:
    """The explicit list of what Ask can query."""

    def __init__(self, *functions: Callable[..., ToolResult]):
        self.tools = {tool.name: tool for tool in map(Tool.from_function, functions)}

    def schemas(self) -> list[dict[str, Any]]:
        return [tool.schema() for tool in self.tools.values()]

    def call(self, ctx: AskContext, name: str, arguments: dict[str, Any] | str) -> ToolResult:
        """Run a query. Unknown tools, bad arguments and the query's own refusals come back as failed results."""
        try:
            tool, values = bound_call(self.tools, name, arguments)
            return tool.function(ctx, **values)
        except ToolError as exc:
            return ToolResult(f"{name} failed: {exc}", ToolFailure(error=str(exc)), ok=False, error=str(exc))


QUERY_TOOLS = QueryTools(count_trades, sum_amounts, top_tickers, date_range, per_member, per_ticker, list_trades,
                         overview, options_by_expiry, late_disclosures, clustered_trades, compare_members,
                         compare_years, investor_fit)
