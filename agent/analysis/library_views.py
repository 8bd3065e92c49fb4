"""Views over many filings' rows: per member, per ticker, clusters of members trading together, late filings.

Pure pandas over any frame with agent.export.to_dataframe's columns (one run's rows or the library's), so the app
and Ask answer from the same tables. Amounts are the disclosed brackets: every volume is a low-high range, and a
range whose rows include an open bracket ("Over $X") has no upper bound (NaN). Dates in the tables are ISO
strings ('' when unknown). A row is keyed by (source_file, row_number), and in the library also by library_id.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from agent.analysis.frame import prepare_trades

# prepare_trades' columns these views read.
PREPARED_COLUMNS = frozenset({"side", "midpoint", "open_bracket", "is_option", "traded_on", "filed_on", "delay_days"})
CLUSTER_WINDOW_DAYS = 14
LATE_LIMIT_DAYS = 45
# The sides a cluster can share: an exchange is neither buying nor selling.
CLUSTER_SIDES = ("purchase", "sale")

MEMBER_COLUMNS = (
    "filer", "trades", "volume_low", "volume_high", "open_amounts", "buys", "sells", "options_share",
    "median_delay_days", "max_delay_days", "first_trade", "last_trade",
)
TICKER_COLUMNS = (
    "ticker", "members", "member_names", "trades", "buys", "sells", "net_flow_low", "net_flow_high",
    "first_trade", "last_trade",
)
CLUSTER_COLUMNS = (
    "ticker", "direction", "members", "member_names", "trades", "first_date", "last_date", "row_keys", "library_ids",
)


# Words a filer's name carries that do not tell members apart: "Hon. Marjorie Taylor Mrs Greene" is
# "Hon. Marjorie Taylor Greene", "Hon. Scott Mr Franklin" is "Hon. C. Scott Franklin".
_TITLE_WORDS = frozenset({"hon", "honorable", "the", "mr", "mrs", "ms", "miss", "dr", "md", "facs", "jr", "sr",
                          "ii", "iii", "iv"})
_WORD = re.compile(r"[a-z]+")
NO_NAME = "(no name)"


def member_key(name: str) -> str:
    """What identifies a member in a filer name as printed: its words, lower case, without titles, suffixes,
    initials or a word said twice in a row."""
    words: list[str] = []
    for word in _WORD.findall(name.lower()):
        if len(word) > 1 and word not in _TITLE_WORDS and (not words or words[-1] != word):
            words.append(word)
    return " ".join(words)


def member_names(frame: pd.DataFrame) -> pd.Series:
    """Each row's member: the filer name as most of that member's rows print it (the first such name on a tie),
    so one member filing under several spellings is one member everywhere."""
    # Counted per distinct name (a few hundred over 100,000 rows), each row then given its name's member.
    codes, names = pd.factorize(_column_text(frame, "filer_name").str.strip())
    keys = [member_key(name) for name in names]
    counts = pd.DataFrame({"key": keys, "name": names, "rows": np.bincount(codes, minlength=len(names))})
    counts = counts.sort_values(["rows", "name"], ascending=[False, True]).drop_duplicates("key")
    spelling = dict(zip(counts["key"], counts["name"]))
    members = np.array([spelling[key] if key else NO_NAME for key in keys], dtype=object)
    return pd.Series(members[codes], index=frame.index).astype(str)


def _column_text(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[name].fillna("").astype(str)


def _plain(values: pd.Series) -> list[object]:
    """The values as a Python list, read at once (iterating an Arrow-backed column goes value by value)."""
    result: list[object] = values.to_numpy(dtype=object).tolist()
    return result


def _iso(dates: pd.Series) -> pd.Series:
    text: pd.Series = dates.dt.strftime("%Y-%m-%d")
    return text.fillna("")


def _prepared(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """A copy of `columns` of the prepared frame; one already prepared (prepare_trades) is not prepared again, so a
    page showing several views of 100,000 rows prepares them once, and never changed."""
    trades = frame if PREPARED_COLUMNS.issubset(frame.columns) else prepare_trades(frame)
    return trades[list(columns)].reset_index(drop=True)


def _count_sides(trades: pd.DataFrame) -> None:
    trades["is_buy"] = (trades["side"] == "purchase").astype(int)
    trades["is_sell"] = (trades["side"] == "sale").astype(int)


def _bracket_sums(trades: pd.DataFrame, keys: pd.Series, rows: pd.Series | None = None) -> pd.DataFrame:
    """Per key: the sums of amount_min and amount_max (NaN where any row's bracket is open) over `rows`."""
    chosen = trades if rows is None else trades[rows]
    grouped = chosen.groupby(keys[chosen.index], sort=False)
    sums = pd.DataFrame({"low": grouped["amount_min"].sum(), "high": grouped["amount_max"].sum(),
                         "open": grouped["open_bracket"].sum()})
    sums.loc[sums["open"] > 0, "high"] = np.nan
    return sums


def members_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per filer, most trades first: trades, estimated volume (Σ low to Σ high of the brackets), how many
    amounts are open, buys and sells, the options' share of volume (Σ midpoint of option trades / Σ midpoint),
    the median and longest reporting delay (days from trade to filing date) and the first and last trade date."""
    trades = _prepared(frame, ("filer_name", "side", "midpoint", "amount_min", "amount_max", "open_bracket",
                               "is_option", "delay_days", "traded_on"))
    if trades.empty:
        return pd.DataFrame(columns=list(MEMBER_COLUMNS))
    filer = member_names(trades)
    trades["option_midpoint"] = trades["midpoint"].where(trades["is_option"], 0.0)
    _count_sides(trades)
    grouped = trades.groupby(filer, sort=False)
    volumes = _bracket_sums(trades, filer)
    midpoints = grouped["midpoint"].sum()
    table = pd.DataFrame({
        "trades": grouped.size(),
        "volume_low": volumes["low"],
        "volume_high": volumes["high"],
        "open_amounts": volumes["open"].astype(int),
        "buys": grouped["is_buy"].sum(),
        "sells": grouped["is_sell"].sum(),
        "options_share": (grouped["option_midpoint"].sum() / midpoints.where(midpoints > 0)),
        "median_delay_days": grouped["delay_days"].median(),
        "max_delay_days": grouped["delay_days"].max(),
        "first_trade": _iso(grouped["traded_on"].min()),
        "last_trade": _iso(grouped["traded_on"].max()),
    })
    table = table.rename_axis("filer").reset_index()
    return table.sort_values(["trades", "filer"], ascending=[False, True], ignore_index=True)[list(MEMBER_COLUMNS)]


def tickers_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per ticker (rows without one are left out), most members first: how many members traded it and who,
    trades, buys and sells, the net estimated flow into it (buys minus sells: from Σ buys' low − Σ sells' high to
    Σ buys' high − Σ sells' low, a bound NaN where an open amount leaves it unbounded), first and last trade."""
    trades = _prepared(frame, ("ticker", "filer_name", "side", "amount_min", "amount_max", "open_bracket",
                               "traded_on"))
    trades = trades[trades["ticker"] != ""].copy()
    if trades.empty:
        return pd.DataFrame(columns=list(TICKER_COLUMNS))
    _count_sides(trades)
    trades["member"] = member_names(trades)
    ticker = trades["ticker"]
    grouped = trades.groupby(ticker, sort=False)
    buys = _bracket_sums(trades, ticker, trades["side"] == "purchase").reindex(grouped.size().index, fill_value=0)
    sells = _bracket_sums(trades, ticker, trades["side"] == "sale").reindex(grouped.size().index, fill_value=0)
    table = pd.DataFrame({
        "members": grouped["member"].nunique(),
        "member_names": _joined_names(trades, "ticker"),
        "trades": grouped.size(),
        "buys": grouped["is_buy"].sum(),
        "sells": grouped["is_sell"].sum(),
        "net_flow_low": buys["low"] - sells["high"],
        "net_flow_high": buys["high"] - sells["low"],
        "first_trade": _iso(grouped["traded_on"].min()),
        "last_trade": _iso(grouped["traded_on"].max()),
    })
    table = table.rename_axis("ticker").reset_index()
    return table.sort_values(["members", "trades", "ticker"], ascending=[False, False, True],
                             ignore_index=True)[list(TICKER_COLUMNS)]


def _joined_names(trades: pd.DataFrame, key: str) -> pd.Series:
    """Per value of `key`: its members' names, sorted, joined by "; "."""
    pairs = trades[[key, "member"]].drop_duplicates().sort_values([key, "member"])
    return pairs.groupby(key, sort=False)["member"].agg("; ".join)


def _windows(days: np.ndarray, members: np.ndarray, groups: np.ndarray,
             window_days: int) -> tuple[np.ndarray, np.ndarray]:
    """The clusters among trades sorted by group (ticker and side), date and member, as index ranges [start, end]:
    each window runs from a trade to the last trade of its group at most window_days later, holds two or more
    members, and is kept only when it reaches past the previous kept window (one inside another is the same
    cluster). Vectorised: each group's days are moved past the previous group's, so one search finds every end."""
    span = int(days.max() - days.min()) + window_days + 1 if len(days) else 0
    placed = days + groups * span
    ends = np.searchsorted(placed, placed + window_days, side="right") - 1
    # The first trade after i by another member: where the run of i's member stops (a run that ends its group
    # points into the next group, past every end in its own).
    new_run = np.r_[True, (members[1:] != members[:-1]) | (groups[1:] != groups[:-1])]
    run_starts = np.flatnonzero(new_run)
    run_ends = np.r_[run_starts[1:], len(members)]
    next_other = np.repeat(run_ends, run_ends - run_starts)
    starts = np.flatnonzero(next_other <= ends)
    # Ends never decrease, so a window reaching past the previous qualifying one reaches past the last kept one.
    kept = starts[np.r_[True, ends[starts][1:] != ends[starts][:-1]]] if len(starts) else starts
    return kept, ends[kept]


def clusters(frame: pd.DataFrame, window_days: int = CLUSTER_WINDOW_DAYS) -> pd.DataFrame:
    """Two or more members trading the same ticker in the same direction (both buying or both selling) with every
    trade of the cluster within window_days of its first. Per cluster: ticker, direction, members (count) and their
    names, trades, first and last date, the rows' keys ((source_file, row_number) pairs) and, for library rows,
    their library_ids. Undated rows and rows without a ticker cannot be placed and are left out. Newest first."""
    trades = _prepared(frame, ("ticker", "side", "traded_on", "filer_name", "source_file", "row_number"))
    trades["member"] = member_names(trades)
    trades["library_id"] = _column_text(frame, "library_id").to_numpy()
    placeable = (trades["ticker"] != "") & trades["side"].isin(CLUSTER_SIDES) & trades["traded_on"].notna()
    columns = ["ticker", "side", "traded_on", "member", "source_file", "row_number", "library_id"]
    rows = trades.loc[placeable, columns].sort_values(["ticker", "side", "traded_on", "member"], ignore_index=True)
    groups = rows.groupby(["ticker", "side"], sort=False).ngroup().to_numpy()
    days = (rows["traded_on"] - pd.Timestamp(0)).dt.days.to_numpy()
    starts, ends = _windows(days, rows["member"].to_numpy(), groups, window_days)
    # Column by column, the slices from plain lists: a dict per cluster and Arrow text read value by value took
    # seconds over 100,000 rows.
    keys = list(zip(_plain(rows["source_file"].astype(str)), _plain(rows["row_number"].astype(int))))
    members, ids = [str(name) for name in _plain(rows["member"])], _plain(rows["library_id"])
    dates = _iso(rows["traded_on"]).to_numpy(dtype=object)
    spans = list(zip(starts.tolist(), (ends + 1).tolist()))
    names = [sorted(set(members[start:stop])) for start, stop in spans]
    table = pd.DataFrame({
        "ticker": rows["ticker"].to_numpy(dtype=object)[starts],
        "direction": np.where(rows["side"].to_numpy(dtype=object)[starts] == "purchase", "buy", "sell"),
        "members": [len(found) for found in names],
        "member_names": ["; ".join(found) for found in names],
        "trades": ends + 1 - starts,
        "first_date": dates[starts], "last_date": dates[ends],
        "row_keys": [keys[start:stop] for start, stop in spans],
        "library_ids": [[value for value in ids[start:stop] if value] for start, stop in spans],
    }, columns=list(CLUSTER_COLUMNS))
    return table.sort_values(["first_date", "ticker"], ascending=[False, True], ignore_index=True)


def first_disclosed(trades: pd.DataFrame) -> pd.DataFrame:
    """Prepared trades (prepare_trades) with filed_on and delay_days counted from the first time each trade was made
    public, where the frame holds the earlier version: a Senate amendment's row from the earliest version of its
    report (same member and report date), a House amended row from the row it replaces (replaces -> library_id).
    An amendment filed a year later does not make an on-time trade late. A copy; the other rows are unchanged."""
    trades = trades.copy()
    report_date = _column_text(trades, "report_date")
    amendment = pd.to_numeric(_column(trades, "amendment_number"), errors="coerce").fillna(0)
    reports = (trades["chamber"] == "senate") & (report_date != "")
    # Keyed only where a report can have versions, member_key once per distinct name: the rest are most rows.
    codes, names = pd.factorize(trades.loc[reports, "filer_name"])
    report_key = pd.Series(np.array([member_key(name) for name in names], dtype=object)[codes],
                           index=trades.index[reports]) + "\0" + report_date[reports]
    earliest = trades.loc[reports, "filed_on"].groupby(report_key).transform("min")
    restated = reports & (amendment > 0)
    trades.loc[restated, "filed_on"] = earliest[restated[reports]]
    if "replaces" in trades.columns and "library_id" in trades.columns:
        filed_by_id = pd.Series(trades["filed_on"].to_numpy(), index=trades["library_id"].astype(str))
        links = trades["replaces"].fillna("").astype(str)
        replaced = links[links != ""].map(filed_by_id)  # the few amended rows; no other row replaces one
        earlier = replaced.notna() & (replaced < trades.loc[replaced.index, "filed_on"])
        trades.loc[earlier[earlier].index, "filed_on"] = replaced[earlier]
    trades["delay_days"] = (trades["filed_on"] - trades["traded_on"]).dt.days.astype(float)
    return trades


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series(None, index=frame.index, dtype=object)


def late_filings(frame: pd.DataFrame, limit_days: int = LATE_LIMIT_DAYS) -> pd.DataFrame:
    """The rows disclosed more than limit_days after the trade (trade date to the filing date: a Senate report's
    filed date, a House filing's signed date), longest delay first: the frame's own columns plus delay_days and
    filing_date. Rows without both dates cannot be judged and are left out."""
    trades = _prepared(frame, ("delay_days", "filed_on"))
    late = trades["delay_days"] > limit_days
    rows = frame.reset_index(drop=True)[late.to_numpy()].copy()
    rows["delay_days"] = trades.loc[late, "delay_days"].astype(int).to_numpy()
    rows["filing_date"] = _iso(trades.loc[late, "filed_on"]).to_numpy()
    return rows.sort_values("delay_days", ascending=False, kind="stable", ignore_index=True)
