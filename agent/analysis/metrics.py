"""Trading metrics, each a frozen dataclass with its label, formula and text.

Each metric is computed for groups of rows at once (Groups: a filer's trades, a subset's): one groupby over the rows
instead of a call per group, which over 100,000 rows of 95 filers took seconds in pandas' per-call overhead. The
metrics of one frame are those of its one group.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import ClassVar, TypeVar, overload

import numpy as np
import pandas as pd

from agent.analysis.formatting import counted, dollars_text, number_text, percent_text, ratio
from agent.analysis.frame import prepare_trades
from agent.analysis.sectors import GICS_SECTORS, UNKNOWN_SECTOR

STOCK_ACT_LIMIT_DAYS = 45  # the STOCK Act's deadline: disclosed at most 45 days after the transaction

LEAPS_MIN_DAYS = 365  # an option bought at least this far from expiry is a LEAPS

TOP_POSITIONS = 5

T = TypeVar("T")


@dataclass(frozen=True)
class Groups:
    """Rows in labelled groups: row i belongs to group codes[i], whose label is labels[codes[i]]."""

    codes: np.ndarray  # integers from 0 to len(labels) - 1, one per row
    labels: tuple[str, ...]

    @classmethod
    def one(cls, rows: int, label: str = "") -> Groups:
        return cls(np.zeros(rows, dtype=np.intp), (label,))

    @classmethod
    def of(cls, keys: pd.Series) -> Groups:
        """A group per distinct key, in sorted order."""
        codes, labels = pd.factorize(keys, sort=True)
        return cls(codes.astype(np.intp), tuple(str(label) for label in labels))

    def __len__(self) -> int:
        return len(self.labels)

    def key(self, trades: pd.DataFrame) -> pd.Series:
        """The codes as a column of trades, to group by beside other columns."""
        return pd.Series(self.codes, index=trades.index, name="group")

    def counts(self, rows: np.ndarray | pd.Series) -> np.ndarray:
        """How many rows of each group the boolean `rows` marks."""
        return np.bincount(self.codes[np.asarray(rows, dtype=bool)], minlength=len(self))

    def sums(self, dollars: pd.Series, rows: np.ndarray | pd.Series | None = None) -> np.ndarray:
        """Each group's sum of dollars (of the marked rows), missing amounts skipped; exact (see _exact_sums)."""
        chosen = np.ones(len(self.codes), dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
        return _exact_sums(dollars[chosen], self.codes[chosen]).reindex(range(len(self)), fill_value=0).to_numpy()

    @cached_property
    def rows(self) -> list[np.ndarray]:
        """Each group's row positions, in order."""
        order = np.argsort(self.codes, kind="stable")
        bounds = np.searchsorted(self.codes[order], np.arange(len(self) + 1))
        return [order[start:end] for start, end in zip(bounds[:-1], bounds[1:])]

    def values(self, numbers: pd.Series) -> list[np.ndarray]:
        """Each group's numbers (of the rows where they are not missing), in row order."""
        present = numbers.to_numpy(dtype=float)
        return [group[~np.isnan(group)] for group in (present[positions] for positions in self.rows)]


Grouped = TypeVar("Grouped", pd.Series, pd.DataFrame)


def _exact_sums(dollars: Grouped, by: np.ndarray | list[pd.Series]) -> Grouped:
    """Sums of dollar amounts per key, in whole thousandths of a dollar: integers, which float64 adds exactly in
    any order, so a group's sum is the same whichever rows are grouped beside it (groupby's own sums of cents
    differ in the last bit with the rows around them) and a position's share of its group's volume is exactly 1
    when it is the only one."""
    return (dollars * 1000).round().groupby(by).sum() / 1000


def _slices(grouped: pd.Series | pd.DataFrame, groups: Groups) -> list[slice]:
    """Where each group's entries are in a result grouped by (group, ...), in sorted order: read as arrays, since a
    pandas object per group cost more than the grouping."""
    codes = grouped.index.get_level_values(0).to_numpy()
    bounds = np.searchsorted(codes, np.arange(len(groups) + 1))
    return [slice(start, end) for start, end in zip(bounds[:-1], bounds[1:])]


def _names(grouped: pd.Series | pd.DataFrame) -> np.ndarray:
    """The second key of a result grouped by (group, name)."""
    return grouped.index.get_level_values(1).to_numpy(dtype=object)


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


def _dollar_range(midpoint: float, low: float, high: float, open_brackets: float) -> DollarRange:
    """A DollarRange from the sums of _RANGE_COLUMNS (sums skip the missing bounds of unreadable amounts)."""
    return DollarRange(float(midpoint), float(low), None if open_brackets else float(high), int(open_brackets))


@dataclass(frozen=True)
class Tally:
    """A number of trades and their midpoint volume in dollars."""

    trades: int = 0
    volume: float = 0.0


def _tallies(trades: pd.DataFrame, groups: Groups, rows: np.ndarray | pd.Series) -> list[Tally]:
    """Each group's trades where the boolean `rows` is true."""
    counts, volumes = groups.counts(rows), groups.sums(trades["midpoint"], rows)
    return [Tally(int(count), float(volume)) for count, volume in zip(counts, volumes)]


BALANCE_SIDES = ("purchase", "sale", "exchange")


def _per_side(tally_of: Callable[[str], T]) -> tuple[T, T, T]:
    """The tallies of purchases, sales and exchanges, in the order of BALANCE_SIDES."""
    purchase, sale, exchange = BALANCE_SIDES
    return tally_of(purchase), tally_of(sale), tally_of(exchange)


def _by_side(trades: pd.DataFrame, groups: Groups) -> list[tuple[Tally, Tally, Tally]]:
    """Each group's purchases, sales (full and partial) and exchanges."""
    purchases, sales, exchanges = _per_side(lambda side: _tallies(trades, groups, trades["side"] == side))
    return list(zip(purchases, sales, exchanges))


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


def _coverage(trades: pd.DataFrame, groups: Groups) -> list[Coverage]:
    """How many trades, in how many filings, by whom, over which dates."""
    filings = trades["filing_id"].where(trades["filing_id"] != "", trades["source_file"])
    named = (filings != "").to_numpy()
    per_group = filings[named].groupby(groups.codes[named]).nunique()
    filing_counts = per_group.reindex(range(len(groups)), fill_value=0).to_numpy()
    filers = pd.DataFrame({"group": groups.codes, "filer": trades["filer_name"].to_numpy(dtype=object)})
    filers = filers[filers["filer"] != ""].drop_duplicates()
    names = {group: sorted(rows) for group, rows in filers.groupby("group")["filer"]}
    dated = trades["traded_on"].notna().to_numpy()
    days = trades["traded_on"][dated].groupby(groups.codes[dated])
    first, last = days.min(), days.max()
    sizes = groups.counts(np.ones(len(trades), dtype=bool))
    return [Coverage(int(sizes[group]), int(filing_counts[group]), tuple(names.get(group, ())),
                     first[group].date().isoformat() if group in first.index else "",
                     last[group].date().isoformat() if group in last.index else "")
            for group in range(len(groups))]


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


def _volume_estimate(trades: pd.DataFrame, groups: Groups) -> list[VolumeEstimate]:
    """Estimated volume in total and per position, each with its bracket range."""
    totals = _exact_sums(trades[_RANGE_COLUMNS], groups.codes).reindex(range(len(groups)), fill_value=0)
    by = [groups.key(trades), trades["position"]]
    sums, grouped = _exact_sums(trades[_RANGE_COLUMNS], by), trades.groupby(by)
    names, sectors, counts = _names(sums), grouped["sector"].first().to_numpy(), grouped.size().to_numpy()
    unpriced = groups.counts(trades["amount_min"].isna())
    estimates = []
    for group, rows in enumerate(_slices(sums, groups)):
        total = _dollar_range(*totals.iloc[group])
        positions = [
            PositionVolume(str(name), str(sector), int(count), _dollar_range(*range_sums),
                           ratio(range_sums[0], total.midpoint))
            for name, sector, count, *range_sums in zip(
                names[rows].tolist(), sectors[rows].tolist(), counts[rows].tolist(),
                *(sums[column].to_numpy()[rows].tolist() for column in _RANGE_COLUMNS))
        ]
        positions.sort(key=lambda position: (-position.volume.midpoint, position.position))
        estimates.append(VolumeEstimate(total, tuple(positions), int(unpriced[group])))
    return estimates


def volume_estimate(trades: pd.DataFrame) -> VolumeEstimate:
    """Estimated volume of prepared trades in total and per position."""
    return _volume_estimate(trades, Groups.one(len(trades)))[0]


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


_QUIET = Tally()


def _month_activity(month: pd.Period, tallies: Mapping[Hashable, Tally], trades: int) -> MonthActivity:
    """One month's purchases, sales and exchanges; `tallies` holds them by (month, side), a quiet side left out."""
    return MonthActivity(str(month), *_per_side(lambda side: tallies.get((month, side), _QUIET)), trades=trades)


def _buy_sell_balance(trades: pd.DataFrame, groups: Groups) -> list[BuySellBalance]:
    """Purchases, sales and exchanges in total and month by month."""
    month_of = trades["traded_on"].dt.to_period("M")
    dated_rows = month_of.notna().to_numpy()
    dated = groups.counts(dated_rows)
    key = groups.key(trades)
    per_month = month_of.groupby(key).value_counts().sort_index()
    by = [key, month_of, trades["side"]]
    sizes, volumes = trades.groupby(by).size(), _exact_sums(trades["midpoint"], by)
    tallies: list[dict[Hashable, Tally]] = [{} for _ in range(len(groups))]
    for (group, month, side), count, volume in zip(sizes.index, sizes, volumes):
        tallies[group][(month, side)] = Tally(int(count), float(volume))
    months_of = month_of[dated_rows].groupby(groups.codes[dated_rows])
    first, last = months_of.min(), months_of.max()
    sides, undated = _by_side(trades, groups), groups.counts(~dated_rows)
    balances = []
    months_counted, counts = per_month.index.get_level_values(1), per_month.to_numpy()
    for group, rows in enumerate(_slices(per_month, groups)):
        calendar = (pd.period_range(first[group], last[group], freq="M") if dated[group]
                    else pd.PeriodIndex([], freq="M"))
        trades_in = dict(zip(months_counted[rows], counts[rows].tolist()))
        months = [_month_activity(month, tallies[group], int(trades_in.get(month, 0))) for month in calendar]
        balances.append(BuySellBalance(tuple(months), *sides[group], trades_per_month=ratio(dated[group], len(months)),
                                       undated_trades=int(undated[group])))
    return balances


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


def _turnover(trades: pd.DataFrame, groups: Groups) -> list[Turnover]:
    """Sales volume over purchase volume."""
    return [Turnover(ratio(sales.volume, purchases.volume) if purchases.volume else None, sales.volume,
                     purchases.volume) for purchases, sales, _ in _by_side(trades, groups)]


def _hhi(volumes: np.ndarray) -> float:
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


def _concentration(trades: pd.DataFrame, groups: Groups) -> list[Concentration]:
    """How much of the volume sits in few positions and few sectors."""
    key = groups.key(trades)
    positions = _exact_sums(trades["midpoint"], [key, trades["position"]])
    sectors = _exact_sums(trades["midpoint"], [key, trades["sector"]])
    position_names, position_volumes = _names(positions), positions.to_numpy()
    sector_names, sector_volumes = _names(sectors), sectors.to_numpy()
    return [_concentration_of(position_names[at], position_volumes[at], sector_names[of], sector_volumes[of])
            for at, of in zip(_slices(positions, groups), _slices(sectors, groups))]


def _concentration_of(position_names: np.ndarray, position_volumes: np.ndarray, sector_names: np.ndarray,
                      sector_volumes: np.ndarray) -> Concentration:
    """The concentration of one group's volume per position and per sector (each by name)."""
    priced = position_volumes > 0
    names, volumes = position_names[priced], position_volumes[priced]
    # Largest first; the stable sort keeps ties in name order, as volume_estimate does.
    order = np.argsort(-volumes, kind="stable")
    names, volumes = names[order], volumes[order]
    sectors = sector_volumes[(sector_names != UNKNOWN_SECTOR) & (sector_volumes > 0)]
    top = volumes[:TOP_POSITIONS]
    return Concentration(
        top_positions=tuple(str(name) for name in names[:TOP_POSITIONS]),
        top_share=ratio(top.sum(), volumes.sum()),
        position_hhi=_hhi(volumes),
        positions=len(volumes),
        sector_hhi=_hhi(sectors) if len(sectors) else None,
        sectors=len(sectors),
    )


@dataclass(frozen=True)
class MixShare:
    """One group of a mix, by count and by midpoint volume."""

    name: str
    trades: int
    trade_share: float
    volume: float
    volume_share: float


def _mix(trades: pd.DataFrame, column: str, groups: Groups) -> list[tuple[MixShare, ...]]:
    """Each group's trades per value of column, largest volume first."""
    total_volumes, sizes = groups.sums(trades["midpoint"]), groups.counts(np.ones(len(trades), dtype=bool))
    by = [groups.key(trades), trades[column]]
    volumes = _exact_sums(trades["midpoint"], by)
    names, counts = _names(volumes), trades.groupby(by).size().to_numpy()
    mixes = []
    for rows, total_volume, size in zip(_slices(volumes, groups), total_volumes, sizes):
        shares = [MixShare(str(name), int(count), ratio(count, size), float(volume), ratio(volume, total_volume))
                  for name, count, volume in zip(names[rows].tolist(), counts[rows].tolist(),
                                                 volumes.to_numpy()[rows].tolist())]
        mixes.append(tuple(sorted(shares, key=lambda share: (-share.volume, -share.trades, share.name))))
    return mixes


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


def _sector_exposure(trades: pd.DataFrame, groups: Groups) -> list[SectorExposure]:
    """Volume and trades per sector, 'unknown' included."""
    return [SectorExposure(shares) for shares in _mix(trades, "sector", groups)]


@dataclass(frozen=True)
class OwnerMix(Mix):
    label = "Owners"
    formula = ("owner share = Σ midpoint per owner / Σ midpoint, and trades per owner / trades; owner as "
               "printed: none = Self (the filer), SP = Spouse, JT = Joint, DC = Child (a dependent child)")


def _owner_mix(trades: pd.DataFrame, groups: Groups) -> list[OwnerMix]:
    """Volume and trades per owner: self, spouse, joint, dependent child."""
    return [OwnerMix(shares) for shares in _mix(trades, "owner_group", groups)]


def owner_mix(trades: pd.DataFrame) -> OwnerMix:
    """The owner mix of prepared trades."""
    return _owner_mix(trades, Groups.one(len(trades)))[0]


@dataclass(frozen=True)
class AssetTypeMix(Mix):
    label = "Asset types"
    formula = "asset-type share = Σ midpoint per asset-type code / Σ midpoint, and trades per code / trades"


def _asset_type_mix(trades: pd.DataFrame, groups: Groups) -> list[AssetTypeMix]:
    """Volume and trades per asset-type code."""
    return [AssetTypeMix(shares) for shares in _mix(trades, "asset_group", groups)]


def asset_type_mix(trades: pd.DataFrame) -> AssetTypeMix:
    """The asset-type mix of prepared trades."""
    return _asset_type_mix(trades, Groups.one(len(trades)))[0]


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


def _option_activity(trades: pd.DataFrame, groups: Groups) -> list[OptionActivity]:
    """Share of volume in options, calls against puts, time to expiry at purchase, exercises."""
    options = trades["is_option"].to_numpy(dtype=bool)
    bought = options & ((trades["side"] == "purchase") | (trades["option_action"] == "purchased")).to_numpy()
    days = trades["days_to_expiry"].where(bought)  # missing unless an option purchase with both dates
    medians = days.groupby(groups.codes).median()
    all_options, volumes = _tallies(trades, groups, options), groups.sums(trades["midpoint"])
    calls = _tallies(trades, groups, options & (trades["option_type"] == "call").to_numpy())
    puts = _tallies(trades, groups, options & (trades["option_type"] == "put").to_numpy())
    leaps, short_dated = groups.counts(days >= LEAPS_MIN_DAYS), groups.counts(days < LEAPS_MIN_DAYS)
    exercises = groups.counts(trades["option_action"] == "exercised")
    return [OptionActivity(
        trades=all_options[group].trades,
        volume_share=ratio(all_options[group].volume, volumes[group]),
        calls=calls[group],
        puts=puts[group],
        median_days_to_expiry=float(medians[group]) if group in medians.index and pd.notna(medians[group]) else None,
        leaps=int(leaps[group]),
        short_dated=int(short_dated[group]),
        exercises=int(exercises[group]),
    ) for group in range(len(groups))]


@dataclass(frozen=True)
class CryptoExposure(Metric):
    label = "Crypto"
    formula = "crypto share = Σ midpoint of cryptocurrency (asset type CT) and crypto-ETF trades / Σ midpoint"
    trades: int
    volume_share: float

    @property
    def text(self) -> str:
        return f"{counted(self.trades, 'trade')}, {percent_text(self.volume_share)} of volume"


def _crypto_exposure(trades: pd.DataFrame, groups: Groups) -> list[CryptoExposure]:
    """Trades and share of volume in cryptocurrency and crypto ETFs."""
    volumes = groups.sums(trades["midpoint"])
    return [CryptoExposure(crypto.trades, ratio(crypto.volume, volume))
            for crypto, volume in zip(_tallies(trades, groups, trades["is_crypto"]), volumes)]


@dataclass(frozen=True)
class RoundTrip:
    """A purchase and a later sale of the same instrument."""

    instrument: str
    bought_on: str  # ISO dates
    sold_on: str
    days: int
    partial: bool  # the sale was partial, so the position stayed open


class RoundTrips(Sequence[RoundTrip]):
    """A group's round trips in order, made into RoundTrip objects only when read: the fit and the summary need only
    their number and days, and an object per trip cost a fifth of the fit over 100,000 rows. Equal to the tuple of
    its trips."""

    def __init__(self, instruments: np.ndarray, bought_on: pd.DatetimeIndex, sold_on: pd.DatetimeIndex,
                 partial: np.ndarray) -> None:
        self._instruments, self._bought_on, self._sold_on, self._partial = instruments, bought_on, sold_on, partial
        self.days = (sold_on - bought_on).days.to_numpy()
        self._trips: tuple[RoundTrip, ...] | None = None

    def trips(self) -> tuple[RoundTrip, ...]:
        if self._trips is None:
            # Lists, not arrays: a RoundTrip per sale from numpy scalars took half the time.
            self._trips = tuple(RoundTrip(*values) for values in zip(
                list(self._instruments), self._bought_on.strftime("%Y-%m-%d").tolist(),
                self._sold_on.strftime("%Y-%m-%d").tolist(), self.days.tolist(), self._partial.tolist()))
        return self._trips

    def __len__(self) -> int:
        return len(self.days)

    @overload
    def __getitem__(self, index: int) -> RoundTrip: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[RoundTrip, ...]: ...

    def __getitem__(self, index: int | slice) -> RoundTrip | tuple[RoundTrip, ...]:
        return self.trips()[index]

    def __iter__(self) -> Iterator[RoundTrip]:
        return iter(self.trips())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (RoundTrips, tuple)):
            return self.trips() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.trips())

    def __repr__(self) -> str:
        return repr(self.trips())


@dataclass(frozen=True)
class HoldingBehaviour(Metric):
    label = "Holding"
    formula = ("round trip = a sale (S or S (partial)) matched to the earliest purchase of the same instrument "
               "still open on or before it; a full sale closes that purchase, a partial one leaves it open; "
               "days held = sale date − purchase date")
    partial_sales: int
    round_trips: RoundTrips
    median_holding_days: float | None

    @property
    def text(self) -> str:
        held = (f", median {number_text(self.median_holding_days)} days held"
                if self.median_holding_days is not None else "")
        return f"{counted(self.partial_sales, 'partial sale')}; {counted(len(self.round_trips), 'round trip')}{held}"


def _round_trips(trades: pd.DataFrame) -> list[RoundTrip]:
    """The round trips of all the trades, as one list."""
    return list(_round_trips_by(trades, Groups.one(len(trades)))[0])


def _round_trips_by(trades: pd.DataFrame, groups: Groups) -> list[RoundTrips]:
    """Each group's sales matched to the earliest purchase of their instrument still open (see HoldingBehaviour).

    Vectorised (a loop per instrument took seconds over 100,000 rows): per instrument of a group, in date order, a
    full sale closes a purchase when fewer have been closed than bought, so the closed count after each trade is
    x_t = min(x_(t-1) + f_t, P_t) (f_t: 1 for a full sale, P_t: purchases so far), whose solution is
    x_t = F_t + min over s <= t of (P_s - F_s) (F: full sales so far, and 0 before the first trade). A sale
    matches the (x_(t-1))-th purchase of its instrument when x_(t-1) < P_t."""
    placed = (trades["traded_on"].notna() & trades["side"].isin(["purchase", "sale"])).to_numpy()
    dated = trades.loc[placed, ["instrument", "side", "traded_on", "partial_sale"]]
    dated["group"] = groups.codes[placed]
    # Stable: trades of one day keep the filing's order, so a purchase listed first precedes the sale.
    dated = dated.sort_values(["group", "instrument", "traded_on"], kind="stable")
    if dated.empty:
        empty = pd.DatetimeIndex([])
        return [RoundTrips(np.array([], dtype=object), empty, empty, np.zeros(0, dtype=bool))
                for _ in range(len(groups))]
    # An instrument of a group, numbered in sorted order: trades of one instrument in two groups never match.
    instrument = dated.groupby(["group", "instrument"], sort=False).ngroup().to_numpy()
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
    names = dated["instrument"].to_numpy(dtype=object)[matched]
    bought_on, sold_on = pd.DatetimeIndex(days[bought_at]), pd.DatetimeIndex(days[matched])
    partial = dated["partial_sale"].to_numpy(dtype=bool)[matched]
    bounds = np.searchsorted(dated["group"].to_numpy()[matched], np.arange(len(groups) + 1))
    return [RoundTrips(names[start:end], bought_on[start:end], sold_on[start:end], partial[start:end])
            for start, end in zip(bounds[:-1], bounds[1:])]


def _holding_behaviour(trades: pd.DataFrame, groups: Groups) -> list[HoldingBehaviour]:
    """Partial sales and round trips, with the days between purchase and sale."""
    partial_sales = groups.counts(trades["partial_sale"])
    return [HoldingBehaviour(int(partial), trips, float(pd.Series(trips.days, dtype=float).median()) if len(trips)
                             else None)
            for partial, trips in zip(partial_sales, _round_trips_by(trades, groups))]


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


def _disclosure_timeliness(trades: pd.DataFrame, groups: Groups) -> list[DisclosureTimeliness]:
    """How long after each trade it was made public, against the STOCK Act's 45 days, and when it was notified."""
    traded = trades["traded_on"].notna()
    unfiled = traded & trades["filed_on"].isna()
    senate = trades["chamber"] == "senate"
    sizes, untraded = groups.counts(np.ones(len(trades), dtype=bool)), groups.counts(~traded)
    no_signed, no_filed = groups.counts(unfiled & ~senate), groups.counts(unfiled & senate)
    notified = trades["notification_delay_days"]
    notified_counts, notified_medians = groups.counts(notified.notna()), notified.groupby(groups.codes).median()
    timeliness = []
    for group, delays in enumerate(groups.values(trades["delay_days"])):
        late = int((delays > STOCK_ACT_LIMIT_DAYS).sum())
        # numpy's median and quantile, as Series.median and Series.quantile compute them.
        median, p90, longest = ((float(np.median(delays)), float(np.quantile(delays, 0.9)), float(delays.max()))
                                if len(delays) else (None, None, None))
        timeliness.append(DisclosureTimeliness(
            len(delays), median_days=median, p90_days=p90, max_days=longest, late_trades=late,
            late_share=ratio(late, len(delays)), undated_trades=int(sizes[group]) - len(delays),
            no_trade_date=int(untraded[group]), no_signed_date=int(no_signed[group]),
            no_filed_date=int(no_filed[group]), notified_trades=int(notified_counts[group]),
            notification_median_days=float(notified_medians[group]) if notified_counts[group] else None))
    return timeliness


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
    return metrics_by_group(trades, Groups.one(len(trades)))[0]


@dataclass(frozen=True)
class FitMetrics:
    """The metrics a fit is judged by (agent.analysis.fit.assess_fit), without the others: all that the rest of a
    set-aside needs (agent.analysis.assessment keeps only the rest's overall answer)."""

    volume: VolumeEstimate
    concentration: Concentration
    sectors: SectorExposure
    options: OptionActivity
    crypto: CryptoExposure
    holding: HoldingBehaviour


FitInputs = TradingMetrics | FitMetrics

# The prepared columns FitMetrics reads, and of them the text ones it groups and compares by.
FIT_COLUMNS = ("midpoint", "amount_min", "amount_max", "open_bracket", "position", "sector", "is_option", "side",
               "option_action", "option_type", "days_to_expiry", "is_crypto", "traded_on", "instrument",
               "partial_sale")
_FIT_TEXT_COLUMNS = ("position", "sector", "side", "option_action", "option_type", "instrument")


def fit_rows(trades: pd.DataFrame) -> pd.DataFrame:
    """Prepared trades cut to FIT_COLUMNS, their text as categories (sorted, as the text sorts): rows taken from it
    many times over (the rests of set-asides) copy and group codes, not Arrow strings."""
    rows = trades[list(FIT_COLUMNS)]
    return rows.astype({column: "category" for column in _FIT_TEXT_COLUMNS})


def fit_metrics_by_group(trades: pd.DataFrame, groups: Groups) -> list[FitMetrics]:
    """The FitMetrics of each group of prepared trades, as metrics_by_group computes them."""
    return [FitMetrics(*metrics) for metrics in zip(
        _volume_estimate(trades, groups), _concentration(trades, groups), _sector_exposure(trades, groups),
        _option_activity(trades, groups), _crypto_exposure(trades, groups), _holding_behaviour(trades, groups))]


def metrics_by_group(trades: pd.DataFrame, groups: Groups) -> list[TradingMetrics]:
    """All metrics of each group of prepared trades, in the order of groups.labels: each metric computed for every
    group at once."""
    return [TradingMetrics(*metrics) for metrics in zip(
        _coverage(trades, groups), _volume_estimate(trades, groups), _buy_sell_balance(trades, groups),
        _turnover(trades, groups), _concentration(trades, groups), _sector_exposure(trades, groups),
        _option_activity(trades, groups), _crypto_exposure(trades, groups), _holding_behaviour(trades, groups),
        _disclosure_timeliness(trades, groups), _owner_mix(trades, groups), _asset_type_mix(trades, groups))]
