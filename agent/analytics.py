"""Trading metrics from a transactions DataFrame: pure functions, DataFrame in, numbers and text out.

Dollar figures are estimates. The forms disclose value brackets, not prices, so every volume is a sum
of bracket midpoints carried with its range (sum of minimums to sum of maximums). An open bracket
("Over $50,000,000") counts at its minimum and leaves the range open.

Each metric is a frozen dataclass: its values, a `label`, the `formula` behind it and a one-line
`text`. `compute_metrics` gathers them, `assess_fit` compares them with an `InvestorProfile`,
`summary_text` writes them up, and `narrative_is_grounded` checks that a narrative (an LLM's) states
no number the metrics do not hold. The metric functions (`volume_estimate`, ...) read the frame that
`prepare_trades` returns.
"""

from __future__ import annotations

import numbers
import re
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, is_dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import ClassVar, Literal

import pandas as pd

from agent.sectors import CRYPTO_ETF, GICS_SECTORS, UNKNOWN_SECTOR, sector_of

STOCK_ACT_LIMIT_DAYS = 45  # the STOCK Act's deadline: disclosed at most 45 days after the transaction
LEAPS_MIN_DAYS = 365  # an option bought at least this far from expiry is a LEAPS
TOP_POSITIONS = 5

# Thresholds of assess_fit; its docstrings say how each is used.
OPTION_HEAVY_SHARE = 0.25
CONCENTRATED_HHI = 0.25  # the HHI of four equal positions
CRYPTO_HEAVY_SHARE = 0.10
SHORT_HORIZON_DAYS = 90
LONG_HORIZON_DAYS = 365
LIMIT_TOLERANCE = 0.10  # how far over a profile's limit still counts as "partly"

SIDES = {"P": "purchase", "S": "sale", "S (partial)": "sale", "E": "exchange"}
OWNER_NAMES = {"": "self", "SP": "spouse", "JT": "joint", "DC": "dependent child"}
ASSET_TYPE_NAMES = {
    "ST": "stock", "OP": "option", "GS": "government security", "CS": "corporate security",
    "CT": "cryptocurrency", "EF": "exchange-traded fund", "HN": "hedge or private equity fund",
    "MF": "mutual fund", "OT": "other",
}

DATA_LIMITS: tuple[str, ...] = (
    ("Amounts are ranges, not prices: the forms disclose value brackets, so every dollar figure is an "
     "estimate from bracket midpoints, shown with its low-high range."),
    (f"Trades are disclosed up to {STOCK_ACT_LIMIT_DAYS} days late (the STOCK Act deadline), sometimes "
     "later, so this is a delayed view of the trading, never a live one."),
    ("Only what the filings disclose: prices, gains and losses, and holdings that were never traded "
     "are not on these forms."),
)
DISCLAIMER = "_These are options to consider, not investment advice._"


# --- Preparing the frame -------------------------------------------------------------------------

_TEXT_COLUMNS = (
    "source_file", "filing_id", "filer_name", "owner", "asset_name", "ticker", "asset_type",
    "transaction_type", "transaction_date", "notification_date", "amount", "option_type",
    "option_expiration", "option_action",
)
_NUMBER_COLUMNS = ("amount_min", "amount_max", "option_strike")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or an all-missing one when the frame lacks it, so partial and empty frames work."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(None, index=frame.index, dtype=object)


def _dates(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text, errors="coerce", format="ISO8601")


def _asset_group(code: str) -> str:
    if code in ASSET_TYPE_NAMES:
        return f"{ASSET_TYPE_NAMES[code]} ({code})"
    return code or "unspecified"


def _instrument(trades: pd.DataFrame) -> pd.Series:
    """What a round trip must buy and then sell: the position, and for an option its type, strike and expiry."""
    strike = trades["option_strike"].map(lambda value: "" if pd.isna(value) else f"{value:g}").astype(str)
    option = " " + trades["option_type"] + " " + strike + " " + trades["option_expiration"]
    return trades["position"] + option.where(trades["is_option"], "")


def prepare_trades(transactions: pd.DataFrame) -> pd.DataFrame:
    """The transactions with clean types, plus the derived columns the metrics and figures read.

    Added: midpoint (bracket midpoint, the minimum for an open bracket), open_bracket, side
    (purchase/sale/exchange, '' for an unknown type), partial_sale, is_option, position (ticker, or
    the asset name when no ticker is printed), sector, owner_group, asset_group, is_crypto,
    traded_on/notified_on/expires_on (datetimes, NaT when unreadable), delay_days, days_to_expiry,
    instrument. Missing columns count as empty, so any frame, even an empty one, can be prepared.
    """
    trades = transactions.reset_index(drop=True)
    for name in _TEXT_COLUMNS:
        trades[name] = _column(trades, name).fillna("").astype(str).str.strip()
    for name in _NUMBER_COLUMNS:
        trades[name] = pd.to_numeric(_column(trades, name), errors="coerce").astype(float)
    trades["ticker"] = trades["ticker"].str.upper()
    trades["option_type"] = trades["option_type"].str.lower()
    trades["option_action"] = trades["option_action"].str.lower()

    low, high = trades["amount_min"], trades["amount_max"]
    trades["open_bracket"] = low.notna() & high.isna()
    trades["midpoint"] = ((low + high) / 2).where(high.notna(), low)
    trades["side"] = trades["transaction_type"].map(SIDES).fillna("").astype(str)
    trades["partial_sale"] = trades["transaction_type"] == "S (partial)"
    # A stock row ([ST]) whose description tells of exercised options is a stock trade, not an option
    # trade: the exercise is counted on its own, and the option's volume stays with option rows.
    trades["is_option"] = (trades["asset_type"] == "OP") | (
        (trades["option_type"] != "") & (trades["asset_type"] != "ST") & (trades["option_action"] != "exercised"))
    named = trades["ticker"].where(trades["ticker"] != "", trades["asset_name"])
    trades["position"] = named.where(named != "", "(unnamed)")
    trades["sector"] = trades["ticker"].map(sector_of).astype(str)
    trades["owner_group"] = trades["owner"].map(lambda code: OWNER_NAMES.get(code, code)).astype(str)
    trades["asset_group"] = trades["asset_type"].map(_asset_group).astype(str)
    trades["is_crypto"] = (trades["asset_type"] == "CT") | (trades["sector"] == CRYPTO_ETF)
    trades["traded_on"] = _dates(trades["transaction_date"])
    trades["notified_on"] = _dates(trades["notification_date"])
    trades["expires_on"] = _dates(trades["option_expiration"])
    trades["delay_days"] = (trades["notified_on"] - trades["traded_on"]).dt.days.astype(float)
    trades["days_to_expiry"] = (trades["expires_on"] - trades["traded_on"]).dt.days.astype(float)
    trades["instrument"] = _instrument(trades)
    return trades


# --- Rendering numbers (metric texts print with these; the grounding check accepts what they print) --

def _dollars(value: float) -> str:
    return f"${value:,.0f}"


def _percent(share: float) -> str:
    """Whole percents, with a decimal near 0% and 100% so that neither is claimed when it is not exact."""
    percent = share * 100
    if 0 < percent < 0.05:
        return "<0.1%"
    if 99.95 <= percent < 100:
        return ">99.9%"
    return f"{percent:.{1 if 0 < percent < 1 or 99 < percent < 100 else 0}f}%"


def _number(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0")


def _counted(count: float, noun: str, plural: str = "") -> str:
    return f"{_number(count)} {noun if count == 1 else plural or noun + 's'}"


def _ratio(part: float, whole: float) -> float:
    return float(part / whole) if whole else 0.0


# --- Metrics -------------------------------------------------------------------------------------

class Metric(ABC):
    """A metric: its values (the dataclass fields), a human `label`, its `formula` and its `text`.

    Subclasses are frozen dataclasses that set `label` and `formula` as class attributes.
    """

    label: ClassVar[str]
    formula: ClassVar[str]

    @property
    @abstractmethod
    def text(self) -> str:
        """The values in one line, as the summary shows them."""


@dataclass(frozen=True)
class DollarRange:
    """Estimated dollars: the sum of bracket midpoints, within the sum of minimums and of maximums.

    high is None when an amount is open ("Over $X"); such an amount counts at its minimum.
    """

    midpoint: float = 0.0
    low: float = 0.0
    high: float | None = 0.0
    open_brackets: int = 0

    @property
    def text(self) -> str:
        high = "open" if self.high is None else _dollars(self.high)
        note = (f"; {_counted(self.open_brackets, 'open amount')} ('Over $X') counted at the minimum"
                if self.open_brackets else "")
        return f"{_dollars(self.midpoint)} (range {_dollars(self.low)} to {high}{note})"


_RANGE_COLUMNS = ["midpoint", "amount_min", "amount_max", "open_bracket"]


def _dollar_range(sums: Mapping) -> DollarRange:
    """A DollarRange from the sums of _RANGE_COLUMNS (sums skip the missing bounds of unreadable amounts)."""
    open_brackets = int(sums["open_bracket"])
    return DollarRange(float(sums["midpoint"]), float(sums["amount_min"]),
                       None if open_brackets else float(sums["amount_max"]), open_brackets)


@dataclass(frozen=True)
class Tally:
    """A number of trades and their midpoint volume in dollars."""

    trades: int = 0
    volume: float = 0.0


def _tally(trades: pd.DataFrame, rows: pd.Series) -> Tally:
    """The trades where the boolean series `rows` is true (a mask, cheaper than a filtered frame)."""
    return Tally(int(rows.sum()), float(trades["midpoint"][rows].sum()))


BALANCE_SIDES = ("purchase", "sale", "exchange")


def _by_side(trades: pd.DataFrame) -> tuple[Tally, Tally, Tally]:
    """Purchases, sales (full and partial) and exchanges."""
    return tuple(_tally(trades, trades["side"] == side) for side in BALANCE_SIDES)


@dataclass(frozen=True)
class Coverage(Metric):
    label = "Trades"
    formula = ("trades = rows of the filings' transaction tables; filings = distinct filing IDs "
               "(file names where no ID is printed); period = first to last transaction date")
    trades: int
    filings: int
    filers: tuple[str, ...]
    first_trade: str  # ISO date; '' without a readable transaction date
    last_trade: str

    @property
    def text(self) -> str:
        if not self.trades:
            return "no trades"
        filers = ", ".join(self.filers) if len(self.filers) <= 3 else _counted(len(self.filers), "filer")
        period = f", {self.first_trade} to {self.last_trade}" if self.first_trade else ""
        return (f"{_counted(self.trades, 'trade')} in {_counted(self.filings, 'filing')} "
                f"by {filers or 'unnamed filers'}{period}")


def coverage(trades: pd.DataFrame) -> Coverage:
    """How many trades, in how many filings, by whom, over which dates."""
    filings = trades["filing_id"].where(trades["filing_id"] != "", trades["source_file"])
    filers = sorted(set(trades["filer_name"]) - {""})
    dated = trades["traded_on"].dropna()
    first, last = (dated.min().date().isoformat(), dated.max().date().isoformat()) if len(dated) else ("", "")
    return Coverage(len(trades), filings[filings != ""].nunique(), tuple(filers), first, last)


@dataclass(frozen=True)
class PositionVolume:
    """The trades in one position: a ticker, or the asset name when the filing prints no ticker."""

    position: str
    sector: str
    trades: int
    volume: DollarRange
    share: float  # of all trades' midpoint volume


@dataclass(frozen=True)
class VolumeEstimate(Metric):
    label = "Estimated volume"
    formula = ("volume = Σ (amount_min + amount_max) / 2 per trade, amount_min for an 'Over $X' amount; "
               "range = Σ amount_min to Σ amount_max, open when any amount is 'Over $X'")
    total: DollarRange
    by_position: tuple[PositionVolume, ...]  # largest first
    unpriced_trades: int  # amounts that could not be read: left out of every dollar figure

    @property
    def text(self) -> str:
        unpriced = (f"; {_counted(self.unpriced_trades, 'trade')} without a readable amount left out"
                    if self.unpriced_trades else "")
        return self.total.text + unpriced


def volume_estimate(trades: pd.DataFrame) -> VolumeEstimate:
    """Estimated volume in total and per position, each with its bracket range."""
    total = _dollar_range(trades[_RANGE_COLUMNS].sum())
    grouped = trades.groupby("position")
    sums, counts, sectors = grouped[_RANGE_COLUMNS].sum().to_dict("index"), grouped.size(), grouped["sector"].first()
    positions = [
        PositionVolume(str(name), str(sectors[name]), int(counts[name]), _dollar_range(sums[name]),
                       _ratio(sums[name]["midpoint"], total.midpoint))
        for name in sums
    ]
    positions.sort(key=lambda position: (-position.volume.midpoint, position.position))
    return VolumeEstimate(total, tuple(positions), int(trades["amount_min"].isna().sum()))


@dataclass(frozen=True)
class MonthActivity:
    """One calendar month of trading."""

    month: str  # YYYY-MM
    purchases: Tally
    sales: Tally
    exchanges: Tally
    trades: int  # every trade dated in the month, those of an unknown type included


@dataclass(frozen=True)
class BuySellBalance(Metric):
    label = "Buys and sells"
    formula = ("per month of the transaction date: count and Σ midpoint of purchases (P), sales (S and "
               "S (partial)) and exchanges (E); trades per month = dated trades / calendar months from "
               "the first trade's month to the last's")
    months: tuple[MonthActivity, ...]  # every month from the first trade to the last, quiet ones included
    purchases: Tally
    sales: Tally
    exchanges: Tally
    trades_per_month: float
    undated_trades: int

    @property
    def text(self) -> str:
        if not (self.purchases.trades or self.sales.trades or self.exchanges.trades):
            return "no purchases, sales or exchanges"
        span = f"; {_counted(self.trades_per_month, 'trade')} per month over {_counted(len(self.months), 'month')}"
        return (f"{_counted(self.purchases.trades, 'purchase')} ({_dollars(self.purchases.volume)}), "
                f"{_counted(self.sales.trades, 'sale')} ({_dollars(self.sales.volume)}), "
                f"{_counted(self.exchanges.trades, 'exchange')} ({_dollars(self.exchanges.volume)})"
                + (span if self.months else ""))


def buy_sell_balance(trades: pd.DataFrame) -> BuySellBalance:
    """Purchases, sales and exchanges in total and month by month."""
    month_of = trades["traded_on"].dt.to_period("M")
    dated = int(month_of.notna().sum())
    per_month = month_of.value_counts()
    by_side = trades.groupby([month_of, trades["side"]])["midpoint"].agg(["size", "sum"])
    tallies = {key: Tally(int(count), float(volume))
               for key, count, volume in zip(by_side.index, by_side["size"], by_side["sum"])}
    months = [
        MonthActivity(str(month), *(tallies.get((month, side), Tally()) for side in BALANCE_SIDES),
                      trades=int(per_month.get(month, 0)))
        for month in (pd.period_range(month_of.min(), month_of.max(), freq="M") if dated else [])
    ]
    return BuySellBalance(tuple(months), *_by_side(trades), trades_per_month=_ratio(dated, len(months)),
                          undated_trades=len(trades) - dated)


@dataclass(frozen=True)
class Turnover(Metric):
    label = "Turnover"
    formula = ("turnover = Σ midpoint of sales (S and S (partial)) / Σ midpoint of purchases (P); "
               "above 1 means more was sold than bought")
    value: float | None  # None without priced purchases
    sale_volume: float
    purchase_volume: float

    @property
    def text(self) -> str:
        if self.value is None:
            return f"not defined without priced purchases (sales {_dollars(self.sale_volume)})"
        return f"{self.value:.2f} (sales {_dollars(self.sale_volume)} / purchases {_dollars(self.purchase_volume)})"


def turnover(trades: pd.DataFrame) -> Turnover:
    """Sales volume over purchase volume."""
    purchases, sales, _ = _by_side(trades)
    value = _ratio(sales.volume, purchases.volume) if purchases.volume else None
    return Turnover(value, sales.volume, purchases.volume)


def _hhi(volumes: pd.Series) -> float:
    """Herfindahl-Hirschman index, Σ share²: 1/n for n equal groups up to 1 for one group; 0 without volume."""
    total = volumes.sum()
    return float(((volumes / total) ** 2).sum()) if total else 0.0


@dataclass(frozen=True)
class Concentration(Metric):
    label = "Concentration"
    formula = (f"top-{TOP_POSITIONS} share = midpoint volume of the {TOP_POSITIONS} largest positions / all; "
               "HHI = Σ (position volume / all)², from 1/n for n equal positions to 1 for a single one; "
               "sector HHI likewise over the volume with a known sector (fund categories such as 'Broad market "
               "ETF' count as sectors)")
    top_positions: tuple[str, ...]
    top_share: float
    position_hhi: float
    positions: int  # positions with priced volume
    sector_hhi: float | None  # None when no volume has a known sector
    sectors: int

    @property
    def text(self) -> str:
        if not self.positions:
            return "no priced trades"
        sector = ("no known sectors" if self.sector_hhi is None
                  else f"sector HHI {self.sector_hhi:.2f} across {_counted(self.sectors, 'known sector')}")
        return (f"top {len(self.top_positions)} ({', '.join(self.top_positions)}) hold {_percent(self.top_share)}"
                f" of volume; HHI {self.position_hhi:.2f} across {_counted(self.positions, 'position')}; {sector}")


def concentration(trades: pd.DataFrame) -> Concentration:
    """How much of the volume sits in few positions and few sectors."""
    by_position = trades.groupby("position")["midpoint"].sum()
    # Largest first; the stable sort keeps ties in name order, as volume_estimate does.
    by_position = by_position[by_position > 0].sort_values(ascending=False, kind="stable")
    by_sector = trades.groupby("sector")["midpoint"].sum().drop(UNKNOWN_SECTOR, errors="ignore")
    by_sector = by_sector[by_sector > 0]
    top = by_position.head(TOP_POSITIONS)
    return Concentration(
        top_positions=tuple(str(name) for name in top.index),
        top_share=_ratio(top.sum(), by_position.sum()),
        position_hhi=_hhi(by_position),
        positions=len(by_position),
        sector_hhi=_hhi(by_sector) if len(by_sector) else None,
        sectors=len(by_sector),
    )


@dataclass(frozen=True)
class MixShare:
    """One group of a mix, by count and by midpoint volume."""

    name: str
    trades: int
    trade_share: float
    volume: float
    volume_share: float


def _mix(trades: pd.DataFrame, column: str) -> tuple[MixShare, ...]:
    total_volume = trades["midpoint"].sum()
    groups = trades.groupby(column)["midpoint"].agg(["size", "sum"])
    shares = [
        MixShare(str(name), int(count), _ratio(count, len(trades)), float(volume), _ratio(volume, total_volume))
        for name, count, volume in zip(groups.index, groups["size"], groups["sum"])
    ]
    return tuple(sorted(shares, key=lambda share: (-share.volume, -share.trades, share.name)))


@dataclass(frozen=True)
class Mix(Metric):
    """The trades split into groups, largest volume first."""

    shares: tuple[MixShare, ...]

    def share(self, name: str) -> MixShare | None:
        return next((share for share in self.shares if share.name == name), None)

    @property
    def text(self) -> str:
        if not self.shares:
            return "no trades"
        return "; ".join(f"{share.name} {_percent(share.volume_share)} of volume, "
                         f"{_percent(share.trade_share)} of trades" for share in self.shares)


@dataclass(frozen=True)
class SectorExposure(Mix):
    label = "Sectors"
    formula = ("sector share = Σ midpoint per sector / Σ midpoint, and trades per sector / trades; sectors "
               "come from the project's ticker table, a ticker not in it is 'unknown'")

    @property
    def unknown_share(self) -> float:
        unknown = self.share(UNKNOWN_SECTOR)
        return unknown.volume_share if unknown else 0.0

    @property
    def largest_gics_sector(self) -> MixShare | None:
        return next((share for share in self.shares if share.name in GICS_SECTORS), None)


def sector_exposure(trades: pd.DataFrame) -> SectorExposure:
    """Volume and trades per sector, 'unknown' included."""
    return SectorExposure(_mix(trades, "sector"))


@dataclass(frozen=True)
class OwnerMix(Mix):
    label = "Owners"
    formula = ("owner share = Σ midpoint per owner / Σ midpoint, and trades per owner / trades; owner as "
               "printed: none = self, SP = spouse, JT = joint, DC = dependent child")


def owner_mix(trades: pd.DataFrame) -> OwnerMix:
    """Volume and trades per owner: self, spouse, joint, dependent child."""
    return OwnerMix(_mix(trades, "owner_group"))


@dataclass(frozen=True)
class AssetTypeMix(Mix):
    label = "Asset types"
    formula = "asset-type share = Σ midpoint per asset-type code / Σ midpoint, and trades per code / trades"


def asset_type_mix(trades: pd.DataFrame) -> AssetTypeMix:
    """Volume and trades per asset-type code."""
    return AssetTypeMix(_mix(trades, "asset_group"))


@dataclass(frozen=True)
class OptionActivity(Metric):
    label = "Options"
    formula = ("option share = Σ midpoint of option trades (asset type OP or a call/put) / Σ midpoint; "
               "days to expiry = option_expiration − transaction_date of option purchases, a LEAPS at "
               f"{LEAPS_MIN_DAYS} days or more; exercises = trades described as exercising options")
    trades: int
    volume_share: float
    calls: Tally
    puts: Tally
    median_days_to_expiry: float | None  # over option purchases with both dates
    leaps: int
    short_dated: int
    exercises: int

    @property
    def text(self) -> str:
        if not self.trades:
            return "no option trades"
        expiry = (f"; median {_number(self.median_days_to_expiry)} days to expiry at purchase "
                  f"({self.leaps} LEAPS, {self.short_dated} short-dated)"
                  if self.median_days_to_expiry is not None else "")
        return (f"{_counted(self.trades, 'option trade')}, {_percent(self.volume_share)} of volume: "
                f"{_counted(self.calls.trades, 'call')} ({_dollars(self.calls.volume)}), "
                f"{_counted(self.puts.trades, 'put')} ({_dollars(self.puts.volume)}){expiry}; "
                f"{_counted(self.exercises, 'exercise')}")


def option_activity(trades: pd.DataFrame) -> OptionActivity:
    """Share of volume in options, calls against puts, time to expiry at purchase, exercises."""
    options = trades["is_option"]
    bought = options & ((trades["side"] == "purchase") | (trades["option_action"] == "purchased"))
    days = trades.loc[bought, "days_to_expiry"].dropna()
    all_options = _tally(trades, options)
    return OptionActivity(
        trades=all_options.trades,
        volume_share=_ratio(all_options.volume, trades["midpoint"].sum()),
        calls=_tally(trades, options & (trades["option_type"] == "call")),
        puts=_tally(trades, options & (trades["option_type"] == "put")),
        median_days_to_expiry=float(days.median()) if len(days) else None,
        leaps=int((days >= LEAPS_MIN_DAYS).sum()),
        short_dated=int((days < LEAPS_MIN_DAYS).sum()),
        exercises=int((trades["option_action"] == "exercised").sum()),
    )


@dataclass(frozen=True)
class CryptoExposure(Metric):
    label = "Crypto"
    formula = "crypto share = Σ midpoint of cryptocurrency (asset type CT) and crypto-ETF trades / Σ midpoint"
    trades: int
    volume_share: float

    @property
    def text(self) -> str:
        return f"{_counted(self.trades, 'trade')}, {_percent(self.volume_share)} of volume"


def crypto_exposure(trades: pd.DataFrame) -> CryptoExposure:
    """Trades and share of volume in cryptocurrency and crypto ETFs."""
    crypto = _tally(trades, trades["is_crypto"])
    return CryptoExposure(crypto.trades, _ratio(crypto.volume, trades["midpoint"].sum()))


@dataclass(frozen=True)
class RoundTrip:
    """A purchase and a later sale of the same instrument."""

    instrument: str
    bought_on: str  # ISO dates
    sold_on: str
    days: int
    partial: bool  # the sale was partial, so the position stayed open


@dataclass(frozen=True)
class HoldingBehaviour(Metric):
    label = "Holding"
    formula = ("round trip = a sale (S or S (partial)) matched to the earliest purchase of the same instrument "
               "still open on or before it; a full sale closes that purchase, a partial one leaves it open; "
               "days held = sale date − purchase date")
    partial_sales: int
    round_trips: tuple[RoundTrip, ...]
    median_holding_days: float | None

    @property
    def text(self) -> str:
        held = (f", median {_number(self.median_holding_days)} days held"
                if self.median_holding_days is not None else "")
        return f"{_counted(self.partial_sales, 'partial sale')}; {_counted(len(self.round_trips), 'round trip')}{held}"


def _round_trips(trades: pd.DataFrame) -> list[RoundTrip]:
    """Each sale matched to the earliest purchase of its instrument still open (see HoldingBehaviour)."""
    dated = trades.loc[trades["traded_on"].notna() & trades["side"].isin(["purchase", "sale"]),
                       ["instrument", "side", "traded_on", "partial_sale"]]
    # Stable: trades of one day keep the filing's order, so a purchase listed first precedes the sale.
    dated = dated.sort_values("traded_on", kind="stable")
    trips = []
    for instrument, rows in dated.groupby("instrument"):
        open_purchases: deque[pd.Timestamp] = deque()
        for side, traded_on, partial in zip(rows["side"], rows["traded_on"], rows["partial_sale"]):
            if side == "purchase":
                open_purchases.append(traded_on)
            elif open_purchases:
                bought_on = open_purchases[0]
                trips.append(RoundTrip(str(instrument), bought_on.date().isoformat(), traded_on.date().isoformat(),
                                       (traded_on - bought_on).days, bool(partial)))
                if not partial:
                    open_purchases.popleft()
    return trips


def holding_behaviour(trades: pd.DataFrame) -> HoldingBehaviour:
    """Partial sales and round trips, with the days between purchase and sale."""
    trips = _round_trips(trades)
    days = pd.Series([trip.days for trip in trips], dtype=float)
    return HoldingBehaviour(int(trades["partial_sale"].sum()), tuple(trips),
                            float(days.median()) if len(days) else None)


@dataclass(frozen=True)
class DisclosureTimeliness(Metric):
    label = "Disclosure delay"
    formula = ("delay = notification_date − transaction_date in days; median, 90th percentile (linear "
               f"interpolation) and maximum; late = delay over {STOCK_ACT_LIMIT_DAYS} days, the STOCK Act deadline")
    dated_trades: int  # trades with both dates readable
    median_days: float | None
    p90_days: float | None
    max_days: float | None
    late_trades: int
    late_share: float  # of dated trades
    undated_trades: int

    @property
    def text(self) -> str:
        if self.median_days is None:
            return "no trade has both dates"
        return (f"median {_counted(self.median_days, 'day')} after the trade, 90th percentile "
                f"{_number(self.p90_days)}, longest {_number(self.max_days)}; "
                f"{_counted(self.late_trades, 'trade')} ({_percent(self.late_share)}) beyond the "
                f"{STOCK_ACT_LIMIT_DAYS}-day STOCK Act limit")


def disclosure_timeliness(trades: pd.DataFrame) -> DisclosureTimeliness:
    """How long after each trade it was disclosed, against the STOCK Act's 45 days."""
    delays = trades["delay_days"].dropna()
    late = int((delays > STOCK_ACT_LIMIT_DAYS).sum())
    summary = ((float(delays.median()), float(delays.quantile(0.9)), float(delays.max()))
               if len(delays) else (None, None, None))
    return DisclosureTimeliness(len(delays), *summary, late_trades=late, late_share=_ratio(late, len(delays)),
                                undated_trades=len(trades) - len(delays))


@dataclass(frozen=True)
class TradingMetrics:
    """Every metric of a set of trades, in the order the summary shows them."""

    coverage: Coverage
    volume: VolumeEstimate
    balance: BuySellBalance
    turnover: Turnover
    concentration: Concentration
    sectors: SectorExposure
    options: OptionActivity
    crypto: CryptoExposure
    holding: HoldingBehaviour
    timeliness: DisclosureTimeliness
    owners: OwnerMix
    asset_types: AssetTypeMix

    def all(self) -> tuple[Metric, ...]:
        """The metrics in display order."""
        return tuple(getattr(self, field.name) for field in fields(self))


def compute_metrics(transactions: pd.DataFrame) -> TradingMetrics:
    """All metrics of a transactions frame (the columns of agent.models.CSV_COLUMNS and EXTRA_COLUMNS)."""
    trades = prepare_trades(transactions)
    return TradingMetrics(
        coverage=coverage(trades),
        volume=volume_estimate(trades),
        balance=buy_sell_balance(trades),
        turnover=turnover(trades),
        concentration=concentration(trades),
        sectors=sector_exposure(trades),
        options=option_activity(trades),
        crypto=crypto_exposure(trades),
        holding=holding_behaviour(trades),
        timeliness=disclosure_timeliness(trades),
        owners=owner_mix(trades),
        asset_types=asset_type_mix(trades),
    )


# --- Investor profile and fit --------------------------------------------------------------------

RiskLevel = Literal["low", "medium", "high"]
Horizon = Literal["short", "medium", "long"]
Verdict = Literal["fits", "partly", "does not fit"]
RISK_LEVELS: tuple[RiskLevel, ...] = ("low", "medium", "high")
HORIZONS: tuple[Horizon, ...] = ("short", "medium", "long")
VERDICTS: tuple[Verdict, ...] = ("fits", "partly", "does not fit")  # by how many levels apart


@dataclass(frozen=True)
class InvestorProfile:
    """What an investor wants. Shares are fractions of volume (0.2 is 20%); None sets no limit."""

    risk_tolerance: RiskLevel
    horizon: Horizon
    no_options: bool = False
    max_position_share: float | None = None
    avoid_sectors: tuple[str, ...] = ()
    max_sector_share: float | None = None

    def __post_init__(self) -> None:
        if self.risk_tolerance not in RISK_LEVELS:
            raise ValueError(f"risk_tolerance must be one of {RISK_LEVELS}, not {self.risk_tolerance!r}")
        if self.horizon not in HORIZONS:
            raise ValueError(f"horizon must be one of {HORIZONS}, not {self.horizon!r}")
        for name in ("max_position_share", "max_sector_share"):
            value = getattr(self, name)
            if value is not None and not 0 < value <= 1:
                raise ValueError(f"{name} must be a fraction above 0 and at most 1, not {value!r}")
        # A list read from JSON becomes a tuple, so the profile stays hashable.
        object.__setattr__(self, "avoid_sectors", tuple(self.avoid_sectors))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["avoid_sectors"] = list(self.avoid_sectors)
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> InvestorProfile:
        return cls(**data)


@dataclass(frozen=True)
class FitVerdict:
    """How the trading fits one dimension of a profile, with the reasons and their numbers."""

    dimension: str
    verdict: Verdict
    reasons: tuple[str, ...]


def _points(points: int) -> str:
    return f"+{_counted(points, 'risk point')}"


def _risk_fit(metrics: TradingMetrics, tolerance: RiskLevel) -> FitVerdict:
    """Risk score from 0 to 4 points: options at 25% of volume or more 2 (any options 1), a ticker HHI
    of 0.25 or more 1, crypto at 10% of volume or more 1. 0 points reads as low risk, 1-2 as medium,
    3-4 as high. At or below the tolerance fits, one level above is partly, two is does not fit."""
    if not metrics.volume.total.midpoint:
        return FitVerdict("risk", "partly", ("No trade has a readable amount, so the risk cannot be judged.",))
    options, tickers, crypto = metrics.options, metrics.concentration, metrics.crypto
    option_points = 2 if options.volume_share >= OPTION_HEAVY_SHARE else int(options.trades > 0)
    concentration_points = int(tickers.position_hhi >= CONCENTRATED_HHI)
    crypto_points = int(crypto.volume_share >= CRYPTO_HEAVY_SHARE)
    score = option_points + concentration_points + crypto_points
    level = "low" if score == 0 else "medium" if score <= 2 else "high"
    steps = RISK_LEVELS.index(level) - RISK_LEVELS.index(tolerance)
    if options.trades:
        expiry = (f"; median {_number(options.median_days_to_expiry)} days to expiry at purchase"
                  if options.median_days_to_expiry is not None else "")
        option_reason = (f"{_percent(options.volume_share)} of volume is options "
                         f"({_counted(options.calls.trades, 'call')}, {_counted(options.puts.trades, 'put')}{expiry}): "
                         f"leveraged, {_points(option_points)}.")
    else:
        option_reason = f"No option trades: {_points(0)}."
    spread = "concentrated" if concentration_points else "spread out"
    concentration_reason = (
        f"Ticker HHI {tickers.position_hhi:.2f}, the top {len(tickers.top_positions)} positions holding "
        f"{_percent(tickers.top_share)} of volume: {spread}, {_points(concentration_points)}.")
    if steps < 0:
        fit = f"more cautious than a {tolerance}-risk profile allows, so it fits."
    elif steps == 0:
        fit = f"fits a {tolerance}-risk profile."
    else:
        fit = f"suits a {level}-risk profile, not a {tolerance}-risk one."
    return FitVerdict("risk", VERDICTS[max(steps, 0)], (
        option_reason,
        concentration_reason,
        f"Crypto is {_percent(crypto.volume_share)} of volume: {_points(crypto_points)}.",
        f"Risk score {score} of 4 reads as {level} risk: {fit}",
    ))


def _horizon_of(days: float) -> Horizon:
    if days < SHORT_HORIZON_DAYS:
        return "short"
    return "medium" if days < LONG_HORIZON_DAYS else "long"


def _horizon_fit(metrics: TradingMetrics, wanted: Horizon) -> FitVerdict:
    """Horizon from the median days held in round trips and the median days to expiry of options bought
    (an option cannot be held past expiry): under 90 days short, under 365 medium, else long. With both,
    the shorter horizon counts. The profile's horizon fits, one step away is partly, two does not fit."""
    holding, options = metrics.holding, metrics.options
    evidence: list[tuple[Horizon, str]] = []
    if holding.median_holding_days is not None:
        horizon = _horizon_of(holding.median_holding_days)
        reason = (f"{_counted(len(holding.round_trips), 'round trip')} with a median "
                  f"{_number(holding.median_holding_days)} days from purchase to sale: {horizon} horizon.")
        evidence.append((horizon, reason))
    if options.median_days_to_expiry is not None:
        horizon = _horizon_of(options.median_days_to_expiry)
        reason = (f"Options bought a median {_number(options.median_days_to_expiry)} days before expiry "
                  f"({options.leaps} LEAPS, {options.short_dated} short-dated): {horizon} horizon.")
        evidence.append((horizon, reason))
    if not evidence:
        return FitVerdict("horizon", "partly", (
            "No round trips or option expiries in these filings, so the holding period cannot be judged.",))
    observed = min((horizon for horizon, _ in evidence), key=HORIZONS.index)
    steps = abs(HORIZONS.index(observed) - HORIZONS.index(wanted))
    fit = "fits" if steps == 0 else "does not match"
    return FitVerdict("horizon", VERDICTS[steps], (
        *(reason for _, reason in evidence), f"Overall a {observed} horizon: {fit} a {wanted}-term profile."))


def _limit_verdict(observed: float, limit: float) -> Verdict:
    """At or under the limit fits; up to LIMIT_TOLERANCE (10 percentage points) over is partly; more does not fit."""
    if observed <= limit:
        return "fits"
    return "partly" if observed <= limit + LIMIT_TOLERANCE else "does not fit"


def _exclusion_verdict(trades: int, share: float) -> Verdict:
    """No excluded trade fits; excluded trades up to LIMIT_TOLERANCE of volume are partly (they can be
    skipped when following the rest); more does not fit."""
    if not trades:
        return "fits"
    return "partly" if share <= LIMIT_TOLERANCE else "does not fit"


def _no_options_fit(options: OptionActivity) -> FitVerdict:
    reason = (f"{_counted(options.trades, 'option trade')}, {_percent(options.volume_share)} of volume; "
              "the profile excludes options." if options.trades else "No option trades.")
    return FitVerdict("no options", _exclusion_verdict(options.trades, options.volume_share), (reason,))


def _position_fit(volume: VolumeEstimate, limit: float) -> FitVerdict:
    if not volume.total.midpoint:
        return FitVerdict("position size", "fits", ("No priced positions.",))
    largest = volume.by_position[0]
    reason = (f"The largest position, {largest.position}, is {_percent(largest.share)} of volume; "
              f"the profile's limit is {_percent(limit)}.")
    return FitVerdict("position size", _limit_verdict(largest.share, limit), (reason,))


def _with_unknown_sectors(dimension: str, verdict: Verdict, reason: str, sectors: SectorExposure) -> FitVerdict:
    """Names the volume with no known sector; above LIMIT_TOLERANCE of volume it turns 'fits' into
    'partly', since that volume may break the rule."""
    unknown = sectors.unknown_share
    if not unknown:
        return FitVerdict(dimension, verdict, (reason,))
    if verdict == "fits" and unknown > LIMIT_TOLERANCE:
        verdict = "partly"
    return FitVerdict(dimension, verdict, (
        reason, f"{_percent(unknown)} of volume has no known sector, so the sector figures are a lower bound."))


def _avoided_sectors_fit(sectors: SectorExposure, avoided: tuple[str, ...]) -> FitVerdict:
    names = {name.casefold() for name in avoided}
    hits = [share for share in sectors.shares if share.name.casefold() in names]
    trades, share = sum(hit.trades for hit in hits), sum(hit.volume_share for hit in hits)
    reason = (f"The avoided sectors ({', '.join(avoided)}) make up {_percent(share)} of volume "
              f"({_counted(trades, 'trade')}).")
    return _with_unknown_sectors("avoided sectors", _exclusion_verdict(trades, share), reason, sectors)


def _sector_share_fit(sectors: SectorExposure, limit: float) -> FitVerdict:
    largest = sectors.largest_gics_sector
    if largest is None:
        share, reason = 0.0, "No trade has a known GICS sector."
    else:
        share = largest.volume_share
        reason = (f"The largest sector, {largest.name}, is {_percent(share)} of volume; "
                  f"the profile's limit is {_percent(limit)}.")
    return _with_unknown_sectors("sector concentration", _limit_verdict(share, limit), reason, sectors)


def assess_fit(metrics: TradingMetrics, profile: InvestorProfile) -> list[FitVerdict]:
    """One verdict for risk, one for horizon, and one for each constraint the profile sets."""
    verdicts = [_risk_fit(metrics, profile.risk_tolerance), _horizon_fit(metrics, profile.horizon)]
    if profile.no_options:
        verdicts.append(_no_options_fit(metrics.options))
    if profile.max_position_share is not None:
        verdicts.append(_position_fit(metrics.volume, profile.max_position_share))
    if profile.avoid_sectors:
        verdicts.append(_avoided_sectors_fit(metrics.sectors, profile.avoid_sectors))
    if profile.max_sector_share is not None:
        verdicts.append(_sector_share_fit(metrics.sectors, profile.max_sector_share))
    return verdicts


# --- Text and grounding --------------------------------------------------------------------------

def summary_text(metrics: TradingMetrics, verdicts: Sequence[FitVerdict] = ()) -> str:
    """The metrics and verdicts as Markdown, ending with the data's limits and the disclaimer."""
    lines = ["### What the filings show", ""]
    lines += [f"- **{metric.label}:** {metric.text}" for metric in metrics.all()]
    if verdicts:
        lines += ["", "### Fit with the investor profile", ""]
        lines += [f"- **{verdict.dimension.capitalize()}: {verdict.verdict}.** {' '.join(verdict.reasons)}"
                  for verdict in verdicts]
    lines += ["", "### Limits of this data", ""]
    lines += [f"- {limit}" for limit in DATA_LIMITS]
    lines += ["", DISCLAIMER]
    return "\n".join(lines)


# A number as written: 1,234,567 or 1234.5, optionally a percentage. Not after a digit, so the
# pieces of a malformed "1,2345" still come out as numbers to check.
_NUMBER = re.compile(r"(?<!\d)(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(\.\d+)?(\s*(?:%|percent\b))?", re.IGNORECASE)


def _canonical(digits: str) -> str:
    """One spelling per number: no thousands separators, no leading zeros, no trailing decimal zeros."""
    whole, _, fraction = digits.replace(",", "").partition(".")
    fraction = fraction.rstrip("0")
    whole = whole.lstrip("0") or "0"
    return f"{whole}.{fraction}" if fraction else whole


def numbers_in_text(text: str) -> set[str]:
    """The numbers a text states, canonical: "$1,234.50" gives "1234.5", "62 %" and "62 percent" give
    "62%". Signs are dropped and a date gives its parts ("2024-03-05": "2024", "3", "5")."""
    return {_canonical(match[1] + (match[2] or "")) + ("%" if match[3] else "") for match in _NUMBER.finditer(text)}


def _renderings(value: float) -> set[str]:
    """The ways a text may honestly state a float: exactly or rounded to 0-2 decimals (half up or half
    even), as itself or times 100 as a percentage. No rounding to a whole number below 1, so 0.6 does
    not ground "1"."""
    forms: set[str] = set()
    for scaled, suffix in ((abs(value), ""), (abs(value) * 100, "%")):
        written = Decimal(repr(scaled))  # the shortest decimal that reads back as this float
        forms.add(_canonical(format(written, "f")) + suffix)
        for places in (2, 1, 0) if scaled >= 1 else (2, 1):
            step = Decimal(1).scaleb(-places)
            # Rounding the binary value half even is what Python's own formatting (f"{x:.2f}") does.
            forms.update(_canonical(format(exact.quantize(step, rounding), "f")) + suffix
                         for exact in (written, Decimal(scaled)) for rounding in (ROUND_HALF_UP, ROUND_HALF_EVEN))
    return forms


def _stated_numbers(value: object) -> set[str]:
    """Every number a value holds (nested dataclasses, tuples and strings included), in each way a text may state it."""
    if is_dataclass(value):
        return set().union(*(_stated_numbers(getattr(value, field.name)) for field in fields(value)))
    if isinstance(value, (tuple, list)):
        return set().union(*(_stated_numbers(item) for item in value))
    if isinstance(value, str):
        return numbers_in_text(value)
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, numbers.Integral):
        return {str(abs(int(value)))}
    if isinstance(value, numbers.Real) and pd.notna(value):
        return _renderings(float(value))
    return set()


def narrative_is_grounded(narrative: str, metrics: TradingMetrics, verdicts: Sequence[FitVerdict] = ()) -> bool:
    """True when every number in the narrative is one the metrics (or the verdicts) state.

    A number may appear as the metrics render it (summary_text, labels, formulas), as a value rounded
    to 0-2 decimals, as a percentage of a fraction, and with or without thousands separators.
    """
    known = (_stated_numbers(metrics) | numbers_in_text(summary_text(metrics, verdicts))
             | numbers_in_text(" ".join(f"{metric.label} {metric.formula}" for metric in metrics.all())))
    return numbers_in_text(narrative) <= known
