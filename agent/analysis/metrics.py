"""Trading metrics, each a frozen dataclass with its label, formula and text."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from agent.analysis.formatting import counted, dollars_text, number_text, percent_text, ratio
from agent.analysis.frame import prepare_trades
from agent.analysis.sectors import GICS_SECTORS, UNKNOWN_SECTOR

STOCK_ACT_LIMIT_DAYS = 45  # the STOCK Act's deadline: disclosed at most 45 days after the transaction

LEAPS_MIN_DAYS = 365  # an option bought at least this far from expiry is a LEAPS

TOP_POSITIONS = 5


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
        high = "open" if self.high is None else dollars_text(self.high)
        note = (f"; {counted(self.open_brackets, 'open amount')} ('Over $X') counted at the minimum"
                if self.open_brackets else "")
        return f"{dollars_text(self.midpoint)} (range {dollars_text(self.low)} to {high}{note})"


_RANGE_COLUMNS = ["midpoint", "amount_min", "amount_max", "open_bracket"]


def _dollar_range(sums: Mapping[Hashable, Any] | pd.Series) -> DollarRange:
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


def _per_side(tally_of: Callable[[str], Tally]) -> tuple[Tally, Tally, Tally]:
    """The tallies of purchases, sales and exchanges, in the order of BALANCE_SIDES."""
    purchase, sale, exchange = BALANCE_SIDES
    return tally_of(purchase), tally_of(sale), tally_of(exchange)


def _by_side(trades: pd.DataFrame) -> tuple[Tally, Tally, Tally]:
    """Purchases, sales (full and partial) and exchanges."""
    return _per_side(lambda side: _tally(trades, trades["side"] == side))


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
        filers = ", ".join(self.filers) if len(self.filers) <= 3 else counted(len(self.filers), "filer")
        period = f", {self.first_trade} to {self.last_trade}" if self.first_trade else ""
        return (f"{counted(self.trades, 'trade')} in {counted(self.filings, 'filing')} "
                f"by {filers or 'unnamed filers'}{period}")


def coverage(trades: pd.DataFrame) -> Coverage:
    """How many trades, in how many filings, by whom, over which dates."""
    filings = trades["filing_id"].where(trades["filing_id"] != "", trades["source_file"])
    filers = sorted(set(trades["filer_name"].unique().tolist()) - {""})
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
        unpriced = (f"; {counted(self.unpriced_trades, 'trade')} without a readable amount left out"
                    if self.unpriced_trades else "")
        return self.total.text + unpriced


def volume_estimate(trades: pd.DataFrame) -> VolumeEstimate:
    """Estimated volume in total and per position, each with its bracket range."""
    total = _dollar_range(trades[_RANGE_COLUMNS].sum())
    grouped = trades.groupby("position")
    sums, counts = grouped[_RANGE_COLUMNS].sum().to_dict("index"), grouped.size().to_dict()
    sectors = grouped["sector"].first().to_dict()
    positions = [
        PositionVolume(str(name), str(sectors[name]), int(counts[name]), _dollar_range(sums[name]),
                       ratio(sums[name]["midpoint"], total.midpoint))
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
        span = f"; {counted(self.trades_per_month, 'trade')} per month over {counted(len(self.months), 'month')}"
        return (f"{counted(self.purchases.trades, 'purchase')} ({dollars_text(self.purchases.volume)}), "
                f"{counted(self.sales.trades, 'sale')} ({dollars_text(self.sales.volume)}), "
                f"{counted(self.exchanges.trades, 'exchange')} ({dollars_text(self.exchanges.volume)})"
                + (span if self.months else ""))


def _month_activity(month: pd.Period, tallies: Mapping[Hashable, Tally], trades: int) -> MonthActivity:
    """One month's purchases, sales and exchanges; `tallies` holds them by (month, side), a quiet side left out."""
    return MonthActivity(str(month), *_per_side(lambda side: tallies.get((month, side), Tally())), trades=trades)


def buy_sell_balance(trades: pd.DataFrame) -> BuySellBalance:
    """Purchases, sales and exchanges in total and month by month."""
    month_of = trades["traded_on"].dt.to_period("M")
    dated = int(month_of.notna().sum())
    per_month = month_of.value_counts()
    by_side = trades.groupby([month_of, trades["side"]])["midpoint"].agg(["size", "sum"])
    tallies = {key: Tally(int(count), float(volume))
               for key, count, volume in zip(by_side.index, by_side["size"], by_side["sum"])}
    calendar = pd.period_range(month_of.min(), month_of.max(), freq="M") if dated else pd.PeriodIndex([], freq="M")
    months = [_month_activity(month, tallies, int(per_month.get(month, 0))) for month in calendar]
    return BuySellBalance(tuple(months), *_by_side(trades), trades_per_month=ratio(dated, len(months)),
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
            return f"not defined without priced purchases (sales {dollars_text(self.sale_volume)})"
        return (f"{self.value:.2f} (sales {dollars_text(self.sale_volume)} / "
                f"purchases {dollars_text(self.purchase_volume)})")


def turnover(trades: pd.DataFrame) -> Turnover:
    """Sales volume over purchase volume."""
    purchases, sales, _ = _by_side(trades)
    value = ratio(sales.volume, purchases.volume) if purchases.volume else None
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
                  else f"sector HHI {self.sector_hhi:.2f} across {counted(self.sectors, 'known sector')}")
        return (f"top {len(self.top_positions)} ({', '.join(self.top_positions)}) hold {percent_text(self.top_share)}"
                f" of volume; HHI {self.position_hhi:.2f} across {counted(self.positions, 'position')}; {sector}")


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
        top_share=ratio(top.sum(), by_position.sum()),
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
        MixShare(str(name), int(count), ratio(count, len(trades)), float(volume), ratio(volume, total_volume))
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
        return "; ".join(f"{share.name} {percent_text(share.volume_share)} of volume, "
                         f"{percent_text(share.trade_share)} of trades" for share in self.shares)


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
               "printed: none = Self (the filer), SP = Spouse, JT = Joint, DC = Child (a dependent child)")


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
        expiry = (f"; median {number_text(self.median_days_to_expiry)} days to expiry at purchase "
                  f"({self.leaps} LEAPS, {self.short_dated} short-dated)"
                  if self.median_days_to_expiry is not None else "")
        return (f"{counted(self.trades, 'option trade')}, {percent_text(self.volume_share)} of volume: "
                f"{counted(self.calls.trades, 'call')} ({dollars_text(self.calls.volume)}), "
                f"{counted(self.puts.trades, 'put')} ({dollars_text(self.puts.volume)}){expiry}; "
                f"{counted(self.exercises, 'exercise')}")


def option_activity(trades: pd.DataFrame) -> OptionActivity:
    """Share of volume in options, calls against puts, time to expiry at purchase, exercises."""
    options = trades["is_option"]
    bought = options & ((trades["side"] == "purchase") | (trades["option_action"] == "purchased"))
    days = trades.loc[bought, "days_to_expiry"].dropna()
    all_options = _tally(trades, options)
    return OptionActivity(
        trades=all_options.trades,
        volume_share=ratio(all_options.volume, trades["midpoint"].sum()),
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
        return f"{counted(self.trades, 'trade')}, {percent_text(self.volume_share)} of volume"


def crypto_exposure(trades: pd.DataFrame) -> CryptoExposure:
    """Trades and share of volume in cryptocurrency and crypto ETFs."""
    crypto = _tally(trades, trades["is_crypto"])
    return CryptoExposure(crypto.trades, ratio(crypto.volume, trades["midpoint"].sum()))


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
        held = (f", median {number_text(self.median_holding_days)} days held"
                if self.median_holding_days is not None else "")
        return f"{counted(self.partial_sales, 'partial sale')}; {counted(len(self.round_trips), 'round trip')}{held}"


def _round_trips(trades: pd.DataFrame) -> list[RoundTrip]:
    """Each sale matched to the earliest purchase of its instrument still open (see HoldingBehaviour).

    Vectorised (a loop per instrument took seconds over 100,000 rows): per instrument, in date order, a full sale
    closes a purchase when fewer have been closed than bought, so the closed count after each trade is
    x_t = min(x_(t-1) + f_t, P_t) (f_t: 1 for a full sale, P_t: purchases so far), whose solution is
    x_t = F_t + min over s <= t of (P_s - F_s) (F: full sales so far, and 0 before the first trade). A sale
    matches the (x_(t-1))-th purchase of its instrument when x_(t-1) < P_t."""
    dated = trades.loc[trades["traded_on"].notna() & trades["side"].isin(["purchase", "sale"]),
                       ["instrument", "side", "traded_on", "partial_sale"]]
    # Stable: trades of one day keep the filing's order, so a purchase listed first precedes the sale.
    dated = dated.sort_values(["instrument", "traded_on"], kind="stable")
    if dated.empty:
        return []
    instrument = dated["instrument"].to_numpy(dtype=object)
    purchase = (dated["side"] == "purchase").to_numpy()
    full_sale = ~purchase & ~dated["partial_sale"].to_numpy(dtype=bool)
    counts = pd.DataFrame({"purchase": purchase.astype(int), "full_sale": full_sale.astype(int)}, index=dated.index)
    grouped = counts.groupby(instrument, sort=False)
    bought = grouped["purchase"].cumsum().to_numpy()
    sold = grouped["full_sale"].cumsum().to_numpy()
    lowest = pd.Series(np.minimum(bought - sold, 0)).groupby(instrument, sort=False).cummin().to_numpy()
    closed_after = sold + lowest
    first_of_instrument = np.r_[True, instrument[1:] != instrument[:-1]]
    closed_before = np.where(first_of_instrument, 0, np.r_[0, closed_after[:-1]])
    matched = ~purchase & (closed_before < bought)
    # The purchase a sale matches, by position: the group's purchases in order, the (closed_before)-th of them.
    purchase_positions = np.flatnonzero(purchase)
    group_start = np.maximum.accumulate(np.where(first_of_instrument, np.arange(len(dated)), 0))
    purchases_before_group = np.r_[0, np.cumsum(purchase)][group_start]
    bought_at = purchase_positions[(purchases_before_group + closed_before)[matched]]
    days = dated["traded_on"].to_numpy()
    bought_on, sold_on = pd.DatetimeIndex(days[bought_at]), pd.DatetimeIndex(days[matched])
    # Lists, not arrays: a RoundTrip per sale from numpy scalars took half the time.
    return [RoundTrip(str(name), bought, sold, held, partial)
            for name, bought, sold, held, partial in zip(
                instrument[matched].tolist(), bought_on.strftime("%Y-%m-%d").tolist(),
                sold_on.strftime("%Y-%m-%d").tolist(), (sold_on - bought_on).days.tolist(),
                dated["partial_sale"].to_numpy(dtype=bool)[matched].tolist())]


def holding_behaviour(trades: pd.DataFrame) -> HoldingBehaviour:
    """Partial sales and round trips, with the days between purchase and sale."""
    trips = _round_trips(trades)
    days = pd.Series([trip.days for trip in trips], dtype=float)
    return HoldingBehaviour(int(trades["partial_sale"].sum()), tuple(trips),
                            float(days.median()) if len(days) else None)


@dataclass(frozen=True)
class DisclosureTimeliness(Metric):
    label = "Disclosure delay"
    formula = ("delay = filing date − transaction_date in days, the filing date being a House filing's signed_date "
               "and a Senate report's filed_date; median, 90th percentile (linear interpolation) and maximum; late = "
               f"delay over {STOCK_ACT_LIMIT_DAYS} days, the STOCK Act deadline; notified = median of "
               "notification_date − transaction_date in days (House rows: a Senate report prints no notification date)")
    dated_trades: int  # trades with a readable trade date and filing date
    median_days: float | None
    p90_days: float | None
    max_days: float | None
    late_trades: int
    late_share: float  # of dated trades
    undated_trades: int
    no_trade_date: int  # of the undated: no readable trade date
    no_signed_date: int  # of the undated: a trade date, but its House filing has no readable signed date
    no_filed_date: int  # of the undated: a trade date, but its Senate report has no readable filed date
    notified_trades: int  # trades with a readable trade date and notification date
    notification_median_days: float | None

    @property
    def text(self) -> str:
        if self.median_days is None or self.p90_days is None or self.max_days is None:  # all three, or none
            return f"no trade has both a trade date and a filing date{self._notified()}{self._undated()}"
        return (f"median {counted(self.median_days, 'day')} from trade to filing (90th percentile "
                f"{number_text(self.p90_days)}, longest {number_text(self.max_days)}); "
                f"{counted(self.late_trades, 'trade')} ({percent_text(self.late_share)}) filed beyond the "
                f"{STOCK_ACT_LIMIT_DAYS}-day STOCK Act limit{self._notified()}{self._undated()}")

    def _notified(self) -> str:
        if self.notification_median_days is None:
            return ""
        trades = self.dated_trades + self.undated_trades
        printed = (f" ({self.notified_trades} of {trades} trades have both a trade date and a notification date)"
                   if self.notified_trades < trades else "")
        return f"; notified a median {counted(self.notification_median_days, 'day')} after the trade{printed}"

    def _undated(self) -> str:
        if not self.undated_trades:
            return ""
        missing = [f"{counted(count, 'trade')} {what}" for count, what in (
            (self.no_trade_date, "without a readable trade date"),
            (self.no_signed_date, "whose House filing has no readable signed date"),
            (self.no_filed_date, "whose Senate report has no readable filed date"),
        ) if count]
        return f"; not counted: {', '.join(missing)}"


def disclosure_timeliness(trades: pd.DataFrame) -> DisclosureTimeliness:
    """How long after each trade it was made public, against the STOCK Act's 45 days, and when it was notified."""
    delays = trades["delay_days"].dropna()
    late = int((delays > STOCK_ACT_LIMIT_DAYS).sum())
    median, p90, longest = ((float(delays.median()), float(delays.quantile(0.9)), float(delays.max()))
                            if len(delays) else (None, None, None))
    traded = trades["traded_on"].notna()
    unfiled = traded & trades["filed_on"].isna()
    senate = trades["chamber"] == "senate"
    notified = trades["notification_delay_days"].dropna()
    return DisclosureTimeliness(
        len(delays), median_days=median, p90_days=p90, max_days=longest, late_trades=late,
        late_share=ratio(late, len(delays)), undated_trades=len(trades) - len(delays),
        no_trade_date=int((~traded).sum()), no_signed_date=int((unfiled & ~senate).sum()),
        no_filed_date=int((unfiled & senate).sum()), notified_trades=len(notified),
        notification_median_days=float(notified.median()) if len(notified) else None)


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
    return metrics_of_trades(prepare_trades(transactions))


def metrics_of_trades(trades: pd.DataFrame) -> TradingMetrics:
    """All metrics of trades already prepared (prepare_trades, or rows of its result), so a caller that needs the
    metrics of several subsets of 100,000 rows prepares them once."""
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
