"""The investor profile and how the trading fits each of its dimensions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from agent.analysis.formatting import counted, number_text, percent_text
from agent.analysis.metrics import OptionActivity, SectorExposure, TradingMetrics, VolumeEstimate

# Thresholds of assess_fit; its docstrings say how each is used.
OPTION_HEAVY_SHARE = 0.25

CONCENTRATED_HHI = 0.25  # the HHI of four equal positions

CRYPTO_HEAVY_SHARE = 0.10

SHORT_HORIZON_DAYS = 90

LONG_HORIZON_DAYS = 365

LIMIT_TOLERANCE = 0.10  # how far over a profile's limit still counts as "partly"

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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["avoid_sectors"] = list(self.avoid_sectors)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InvestorProfile:
        return cls(**data)


@dataclass(frozen=True)
class FitVerdict:
    """How the trading fits one dimension of a profile, with the reasons and their numbers."""

    dimension: str
    verdict: Verdict
    reasons: tuple[str, ...]


def _points(points: int) -> str:
    return f"+{counted(points, 'risk point')}"


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
        expiry = (f"; median {number_text(options.median_days_to_expiry)} days to expiry at purchase"
                  if options.median_days_to_expiry is not None else "")
        option_reason = (f"{percent_text(options.volume_share)} of volume is options "
                         f"({counted(options.calls.trades, 'call')}, {counted(options.puts.trades, 'put')}{expiry}): "
                         f"leveraged, {_points(option_points)}.")
    else:
        option_reason = f"No option trades: {_points(0)}."
    spread = "concentrated" if concentration_points else "spread out"
    concentration_reason = (
        f"Ticker HHI {tickers.position_hhi:.2f}, the top {len(tickers.top_positions)} positions holding "
        f"{percent_text(tickers.top_share)} of volume: {spread}, {_points(concentration_points)}.")
    if steps < 0:
        fit = f"more cautious than a {tolerance}-risk profile allows, so it fits."
    elif steps == 0:
        fit = f"fits a {tolerance}-risk profile."
    else:
        fit = f"suits a {level}-risk profile, not a {tolerance}-risk one."
    return FitVerdict("risk", VERDICTS[max(steps, 0)], (
        option_reason,
        concentration_reason,
        f"Crypto is {percent_text(crypto.volume_share)} of volume: {_points(crypto_points)}.",
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
        reason = (f"{counted(len(holding.round_trips), 'round trip')} with a median "
                  f"{number_text(holding.median_holding_days)} days from purchase to sale: {horizon} horizon.")
        evidence.append((horizon, reason))
    if options.median_days_to_expiry is not None:
        horizon = _horizon_of(options.median_days_to_expiry)
        reason = (f"Options bought a median {number_text(options.median_days_to_expiry)} days before expiry "
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
    reason = (f"{counted(options.trades, 'option trade')}, {percent_text(options.volume_share)} of volume; "
              "the profile excludes options." if options.trades else "No option trades.")
    return FitVerdict("no options", _exclusion_verdict(options.trades, options.volume_share), (reason,))


def _position_fit(volume: VolumeEstimate, limit: float) -> FitVerdict:
    if not volume.total.midpoint:
        return FitVerdict("position size", "fits", ("No priced positions.",))
    largest = volume.by_position[0]
    reason = (f"The largest position, {largest.position}, is {percent_text(largest.share)} of volume; "
              f"the profile's limit is {percent_text(limit)}.")
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
        reason, f"{percent_text(unknown)} of volume has no known sector, so the sector figures are a lower bound."))


def _avoided_sectors_fit(sectors: SectorExposure, avoided: tuple[str, ...]) -> FitVerdict:
    names = {name.casefold() for name in avoided}
    hits = [share for share in sectors.shares if share.name.casefold() in names]
    trades, share = sum(hit.trades for hit in hits), sum(hit.volume_share for hit in hits)
    reason = (f"The avoided sectors ({', '.join(avoided)}) make up {percent_text(share)} of volume "
              f"({counted(trades, 'trade')}).")
    return _with_unknown_sectors("avoided sectors", _exclusion_verdict(trades, share), reason, sectors)


def _sector_share_fit(sectors: SectorExposure, limit: float) -> FitVerdict:
    largest = sectors.largest_gics_sector
    if largest is None:
        share, reason = 0.0, "No trade has a known GICS sector."
    else:
        share = largest.volume_share
        reason = (f"The largest sector, {largest.name}, is {percent_text(share)} of volume; "
                  f"the profile's limit is {percent_text(limit)}.")
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
