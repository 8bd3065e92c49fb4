"""The transactions frame the metrics read: one row a trade, with side, owner and instrument in words, bracket
midpoints and sectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from agent.analysis.sectors import CRYPTO_ETF, sector_of
from agent.export import owner_label
from agent.formats.house_ptr import HOUSE_ASSET_TYPES

SIDES = {"P": "purchase", "S": "sale", "S (partial)": "sale", "E": "exchange", "S*": "sale"}  # S*: kind not stated

ASSET_TYPE_NAMES = {
    "ST": "stock", "OP": "option", "GS": "government security", "CS": "corporate security",
    "CT": "cryptocurrency", "EF": "exchange-traded fund", "HN": "hedge or private equity fund",
    "MF": "mutual fund", "OT": "other",
}

_TEXT_COLUMNS = (
    "source_file", "filing_id", "filer_name", "owner", "asset_name", "ticker", "asset_type",
    "transaction_type", "transaction_date", "notification_date", "amount", "option_type",
    "option_expiration", "option_action", "signed_date", "chamber", "filed_date",
)

_NUMBER_COLUMNS = ("amount_min", "amount_max", "option_strike")
# The text columns the library views read, by member and ticker, and their dates (prepare_view_trades).
_VIEW_TEXT_COLUMNS = (
    "source_file", "filer_name", "ticker", "asset_type", "transaction_type", "transaction_date", "option_type",
    "option_action", "signed_date", "chamber", "filed_date",
)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or an all-missing one when the frame lacks it, so partial and empty frames work."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(None, index=frame.index, dtype=object)


def _mapped(values: pd.Series, function: Callable[[Any], str]) -> pd.Series:
    """function(value) per row, called once per distinct value: a library repeats a few thousand tickers and
    owner codes over 100,000 rows, and a call per row took most of the preparation."""
    codes, distinct = pd.factorize(values)
    results = np.array([function(value) for value in distinct] + [""], dtype=object)
    return pd.Series(results[codes], index=values.index).astype(str)


def _dates(text: pd.Series) -> pd.Series:
    """ISO dates parsed once per distinct text: 100,000 rows hold a few thousand dates."""
    codes, distinct = pd.factorize(text)
    parsed = pd.to_datetime(pd.Series(distinct), errors="coerce", format="ISO8601")
    return pd.Series(parsed.array.take(codes, allow_fill=True), index=text.index, name=text.name)


def _filing_date(trades: pd.DataFrame) -> pd.Series:
    """The day each trade was made public: a Senate report's filed date, a House filing's signed date (the
    Clerk's own filing date is not in the filing)."""
    return trades["filed_date"].where(trades["chamber"] == "senate", trades["signed_date"])


def _asset_group(code: str) -> str:
    # The short names read well in prose; any other code the House lists gets the Clerk's name.
    name = ASSET_TYPE_NAMES.get(code) or HOUSE_ASSET_TYPES.get(code)
    return f"{name} ({code})" if name else code or "unspecified"


def _instrument(trades: pd.DataFrame) -> pd.Series:
    """What a round trip must buy and then sell: the position, and for an option its type, strike and expiry."""
    strike = _mapped(trades["option_strike"], lambda value: "" if pd.isna(value) else f"{value:g}")
    option = " " + trades["option_type"] + " " + strike + " " + trades["option_expiration"]
    return trades["position"] + option.where(trades["is_option"], "")


def _cleaned(transactions: pd.DataFrame, text_columns: tuple[str, ...],
             number_columns: tuple[str, ...]) -> pd.DataFrame:
    """The transactions with these columns typed: text stripped ('' for missing), numbers as floats (NaN)."""
    trades = transactions.reset_index(drop=True)
    for name in text_columns:
        trades[name] = _column(trades, name).fillna("").astype(str).str.strip()
    for name in number_columns:
        trades[name] = pd.to_numeric(_column(trades, name), errors="coerce").astype(float)
    trades["ticker"] = trades["ticker"].str.upper()
    trades["option_type"] = trades["option_type"].str.lower()
    trades["option_action"] = trades["option_action"].str.lower()
    return trades


def _add_sides(trades: pd.DataFrame) -> None:
    """open_bracket, midpoint, side, partial_sale and is_option, from the cleaned columns."""
    low, high = trades["amount_min"], trades["amount_max"]
    trades["open_bracket"] = low.notna() & high.isna()
    trades["midpoint"] = ((low + high) / 2).where(high.notna(), low)
    trades["side"] = _mapped(trades["transaction_type"], lambda code: SIDES.get(code, ""))
    trades["partial_sale"] = trades["transaction_type"] == "S (partial)"
    # A stock row ([ST]) whose description tells of exercised options is a stock trade, not an option
    # trade: the exercise is counted on its own, and the option's volume stays with option rows.
    trades["is_option"] = (trades["asset_type"] == "OP") | (
        (trades["option_type"] != "") & (trades["asset_type"] != "ST") & (trades["option_action"] != "exercised"))


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    days: pd.Series = (later - earlier).dt.days.astype(float)
    return days


def prepare_trades(transactions: pd.DataFrame) -> pd.DataFrame:
    """The transactions with clean types, plus the derived columns the metrics and figures read.

    Added: midpoint (bracket midpoint, the minimum for an open bracket), open_bracket, side
    (purchase/sale/exchange, '' for an unknown type), partial_sale, is_option, position (ticker, or
    the asset name when no ticker is printed), sector, owner_group, asset_group, is_crypto,
    traded_on/notified_on/filed_on/expires_on (datetimes, NaT when unreadable), delay_days (the disclosure
    delay: trade to filing), notification_delay_days (trade to notification), days_to_expiry, instrument.
    Missing columns count as empty, so any frame, even an empty one, can be prepared.
    """
    trades = _cleaned(transactions, _TEXT_COLUMNS, _NUMBER_COLUMNS)
    _add_sides(trades)
    named = trades["ticker"].where(trades["ticker"] != "", trades["asset_name"])
    trades["position"] = named.where(named != "", "(unnamed)")
    trades["sector"] = _mapped(trades["ticker"], sector_of)
    trades["owner_group"] = _mapped(trades["owner"], owner_label)  # the words the table uses
    trades["asset_group"] = _mapped(trades["asset_type"], _asset_group)
    trades["is_crypto"] = (trades["asset_type"] == "CT") | (trades["sector"] == CRYPTO_ETF)
    trades["traded_on"] = _dates(trades["transaction_date"])
    trades["notified_on"] = _dates(trades["notification_date"])
    trades["expires_on"] = _dates(trades["option_expiration"])
    trades["filed_on"] = _dates(_filing_date(trades))
    # What an investor waits for is the filing: only then can the trade be seen. The notification date (when the
    # member learned of the trade) is the House's, and is shown beside it.
    trades["delay_days"] = _days(trades["filed_on"], trades["traded_on"])
    trades["notification_delay_days"] = _days(trades["notified_on"], trades["traded_on"])
    trades["days_to_expiry"] = _days(trades["expires_on"], trades["traded_on"])
    trades["instrument"] = _instrument(trades)
    return trades


def prepare_view_trades(transactions: pd.DataFrame) -> pd.DataFrame:
    """What the library views (agent/analysis/library_views.py) read of prepare_trades, with the same values: the
    text they group and judge by cleaned, the amounts, open_bracket, midpoint, side, partial_sale, is_option,
    traded_on, filed_on and delay_days; the other columns as given. Without sectors, owners, positions and option
    instruments it takes under a third of prepare_trades' time at 100,000 rows, which the Library page waits for
    after every change."""
    trades = _cleaned(transactions, _VIEW_TEXT_COLUMNS, ("amount_min", "amount_max"))
    _add_sides(trades)
    trades["traded_on"] = _dates(trades["transaction_date"])
    trades["filed_on"] = _dates(_filing_date(trades))
    trades["delay_days"] = _days(trades["filed_on"], trades["traded_on"])
    return trades
