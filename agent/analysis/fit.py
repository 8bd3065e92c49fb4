"""The investor profile, how the trading fits each of its dimensions, and the one overall answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from agent.analysis.formatting import counted, number_text, percent_text
from agent.analysis.metrics import TOP_POSITIONS, FitInputs, OptionActivity, SectorExposure, VolumeEstimate

# Thresholds of assess_fit; its docstrings say how each is used.
OPTION_HEAVY_SHARE = 0.25

CONCENTRATED_HHI = 0.25  # the HHI of four equal positions

CONCENTRATED_TOP_SHARE = 0.5  # half the volume in the top positions (metrics.TOP_POSITIONS)

CRYPTO_HEAVY_SHARE = 0.10

MINOR_SHARE = 0.10  # small enough a share of volume to skip (excluded trades) or to let a sector rule stand (unknown)

RiskLevel = Literal["low", "medium", "high"]

Horizon = Literal["short", "medium", "long"]

Verdict = Literal["fits", "partly", "does not fit"]

RISK_LEVELS: tuple[RiskLevel, ...] = ("low", "medium", "high")

HORIZONS: tuple[Horizon, ...] = ("short", "medium", "long")

VERDICTS: tuple[Verdict, ...] = ("fits", "partly", "does not fit")  # by how many levels apart

VERDICT_WORDS: dict[Verdict, str] = {"fits": "fits", "partly": "partly fits", "does not fit": "does not fit"}

WOULD_WORDS: dict[Verdict, str] = {"fits": "would fit", "partly": "would partly fit", "does not fit": "would not fit"}


@dataclass(frozen=True)
class HorizonBand:
    """A horizon and the days held that read as it: from min_days up to the next band's."""

    horizon: Horizon
    min_days: int
    span: str  # the band in years, as the page's help and the verdicts' reasons say it


# The one definition of the horizons: fit.py judges by it, the risk page's help prints it.
HORIZON_BANDS: tuple[HorizonBand, ...] = (
    HorizonBand("short", 0, "under 1 year"),
    HorizonBand("medium", 365, "1 to 5 years"),
    HorizonBand("long", 5 * 365, "5 years or more"),
)


def horizon_help() -> str:
    """The horizons as the page's help states them, from HORIZON_BANDS."""
    return "; ".join(f"{band.horizon}: held {band.span}" for band in HORIZON_BANDS)


def risk_help() -> str:
    """The risk levels as the page's help states them, from the risk score's rule (_risk_fit)."""
    return (f"Risk score 0 to 4: options +2 at {percent_text(OPTION_HEAVY_SHARE)} of volume or more (any options "
            f"+1), concentrated positions +1 (an HHI of {CONCENTRATED_HHI:.2f} or more, or "
            f"{percent_text(CONCENTRATED_TOP_SHARE)} of volume or more in the top {TOP_POSITIONS}), crypto at "
            f"{percent_text(CRYPTO_HEAVY_SHARE)} of volume or more +1. low: 0; medium: 1 to 2; high: 3 to 4")


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

    @property
    def investor(self) -> str:
        """The profile as the overall answer names it: "a high-risk, long-term investor"."""
        return f"a {self.risk_tolerance}-risk, {self.horizon}-term investor"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["avoid_sectors"] = list(self.avoid_sectors)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InvestorProfile:
        """A profile as to_dict wrote it; ValueError saying what is wrong otherwise (a field it does not know or
        lacks, a value out of range), as for a profile saved by another version."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a profile is a JSON object, not {type(data).__name__}")
        unknown = sorted(set(data) - {field.name for field in fields(cls)})
        missing = [name for name in ("risk_tolerance", "horizon") if name not in data]
        if unknown or missing:
            raise ValueError("; ".join([*([f"no field {', '.join(unknown)}"] if unknown else []),
                                        *([f"no {', '.join(missing)}"] if missing else [])]))
        return cls(**data)


@dataclass(frozen=True)
class FitVerdict:
    """How the trading fits one dimension of a profile: the reasons with their numbers, and `why`, the short
    clause (no numbers) the overall answer gives for it."""

    dimension: str
    verdict: Verdict
    reasons: tuple[str, ...]
    why: str

    @property
    def heading(self) -> str:
        """"Risk: partly fits.": the dimension and its verdict in words."""
        return f"{self.dimension.capitalize()}: {VERDICT_WORDS[self.verdict]}."


@dataclass(frozen=True)
class OverallFit:
    """The one answer: "Copying these trades fits / partly fits / does not fit a <risk>-risk, <horizon>-term
    investor, because ...". The rule: any dimension that does not fit makes it "does not fit"; else any
    dimension that partly fits makes it "partly"; else it fits. `deciding` holds the dimensions with that
    verdict, whose `why` clauses make the sentence's "because"."""

    verdict: Verdict
    sentence: str
    deciding: tuple[str, ...]


def listed(clauses: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return clauses[0] if len(clauses) == 1 else f"{', '.join(clauses[:-1])} and {clauses[-1]}"


def overall_fit(verdicts: Sequence[FitVerdict], profile: InvestorProfile) -> OverallFit:
    """The overall answer from the dimension verdicts, by the rule in OverallFit's docstring."""
    worst: Verdict = max((verdict.verdict for verdict in verdicts), key=VERDICTS.index, default="fits")
    deciding = [verdict for verdict in verdicts if verdict.verdict == worst]
    because = f", because {listed([verdict.why for verdict in deciding])}" if deciding else ""
    sentence = f"Copying these trades {VERDICT_WORDS[worst]} {profile.investor}{because}."
    return OverallFit(worst, sentence, tuple(verdict.dimension for verdict in deciding))


def _points(points: int) -> str:
    return f"+{counted(points, 'risk point')}"


def _concentrated(metrics: FitInputs) -> tuple[bool, str]:
    """Concentrated when either the HHI or the top positions' share says so, so the word never contradicts the
    numbers beside it; the reason names both numbers and both thresholds."""
    tickers = metrics.concentration
    top = len(tickers.top_positions)
    concentrated = tickers.position_hhi >= CONCENTRATED_HHI or tickers.top_share >= CONCENTRATED_TOP_SHARE
    rule = (f"(an HHI of {CONCENTRATED_HHI:.2f} or more, or {percent_text(CONCENTRATED_TOP_SHARE)} of volume or "
            f"more in the top {top})" if concentrated else
            f"(an HHI under {CONCENTRATED_HHI:.2f} and under {percent_text(CONCENTRATED_TOP_SHARE)} of volume in the "
            f"top {top})")
    word = "concentrated" if concentrated else "spread out"
    return concentrated, (f"Ticker HHI {tickers.position_hhi:.2f}, the top {counted(top, 'position')} holding "
                          f"{percent_text(tickers.top_share)} of volume: {word} {rule}, {_points(int(concentrated))}.")


def _risk_fit(metrics: FitInputs, tolerance: RiskLevel) -> FitVerdict:
    """Risk score from 0 to 4 points: options at 25% of volume or more 2 (any options 1), concentrated
    positions 1 (see _concentrated), crypto at 10% of volume or more 1. 0 points reads as low risk, 1-2 as
    medium, 3-4 as high. At or below the tolerance fits, one level above is partly, two is does not fit."""
    if not metrics.volume.total.midpoint:
        return FitVerdict("risk", "partly", (
            "No trade has a readable amount, so the risk cannot be judged: it counts as partly.",),
            "no trade has a readable amount to judge the risk by")
    options, crypto = metrics.options, metrics.crypto
    option_points = 2 if options.volume_share >= OPTION_HEAVY_SHARE else int(options.trades > 0)
    concentrated, concentration_reason = _concentrated(metrics)
    crypto_points = int(crypto.volume_share >= CRYPTO_HEAVY_SHARE)
    score = option_points + int(concentrated) + crypto_points
    level: RiskLevel = "low" if score == 0 else "medium" if score <= 2 else "high"
    steps = RISK_LEVELS.index(level) - RISK_LEVELS.index(tolerance)
    verdict = VERDICTS[max(steps, 0)]
    if options.trades:
        expiry = (f"; median {number_text(options.median_days_to_expiry)} days to expiry at purchase"
                  if options.median_days_to_expiry is not None else "")
        option_reason = (f"{percent_text(options.volume_share)} of volume is options "
                         f"({counted(options.calls.trades, 'call')}, {counted(options.puts.trades, 'put')}{expiry}): "
                         f"leveraged, {_points(option_points)}.")
    else:
        option_reason = f"No option trades: {_points(0)}."
    if steps < 0:
        judged = f"more cautious than a {tolerance}-risk profile allows, so it fits"
    elif steps == 0:
        judged = f"the level of a {tolerance}-risk profile, so it fits"
    else:
        judged = f"{counted(steps, 'level')} above a {tolerance}-risk profile, so it {VERDICT_WORDS[verdict]}"
    why = f"they read as {level} risk (the profile allows {tolerance})"
    return FitVerdict("risk", verdict, (
        option_reason,
        concentration_reason,
        f"Crypto is {percent_text(crypto.volume_share)} of volume: {_points(crypto_points)}.",
        f"Risk score {score} of 4 reads as {level} risk: {judged}.",
    ), why)


def horizon_band(days: float) -> HorizonBand:
    """The band of HORIZON_BANDS that days held fall in."""
    return [band for band in HORIZON_BANDS if days >= band.min_days][-1]


def _horizon_fit(metrics: FitInputs, wanted: Horizon) -> FitVerdict:
    """Horizon from the median days held in round trips and the median days to expiry of options bought
    (an option cannot be held past expiry), each read by HORIZON_BANDS. With both, the shorter horizon
    counts. The profile's horizon fits, one band away is partly, two does not fit."""
    holding, options = metrics.holding, metrics.options
    evidence: list[tuple[HorizonBand, str]] = []
    if holding.median_holding_days is not None:
        band = horizon_band(holding.median_holding_days)
        evidence.append((band, f"{counted(len(holding.round_trips), 'round trip')} with a median "
                               f"{number_text(holding.median_holding_days)} days from purchase to sale: "
                               f"{band.horizon} horizon ({band.span})."))
    if options.median_days_to_expiry is not None:
        band = horizon_band(options.median_days_to_expiry)
        evidence.append((band, f"Options bought a median {number_text(options.median_days_to_expiry)} days before "
                               f"expiry ({options.leaps} LEAPS, {options.short_dated} short-dated): "
                               f"{band.horizon} horizon ({band.span})."))
    if not evidence:
        return FitVerdict("horizon", "partly", (
            "No round trips or option expiries in these filings, so the holding period cannot be judged: it counts "
            "as partly.",), "no round trip or option expiry shows how long positions are held")
    observed = min((band for band, _ in evidence), key=HORIZON_BANDS.index).horizon
    steps = abs(HORIZONS.index(observed) - HORIZONS.index(wanted))
    verdict = VERDICTS[steps]
    away = f"{counted(steps, 'step')} from" if steps else "the horizon of"
    why = f"their horizon reads as {observed} term (the profile wants {wanted} term)"
    return FitVerdict("horizon", verdict, (
        *(reason for _, reason in evidence),
        f"Overall a {observed} horizon, {away} a {wanted}-term profile: it {VERDICT_WORDS[verdict]}."), why)


def _decimals_beside(share: float, limit: float) -> int:
    """How many decimals show a share over its limit as over it: 0 (whole percents) unless they would make the two
    equal (20.4% over a 20% limit, never "20% ... over 20%")."""
    decimals = 0
    while share > limit and decimals < 3 and round(share * 100, decimals) <= round(limit * 100, decimals):
        decimals += 1
    return decimals


def share_beside_limit(share: float, limit: float) -> str:
    """A share as it is shown beside a limit, with the decimals that keep it apart from a limit it exceeds."""
    decimals = _decimals_beside(share, limit)
    return f"{share * 100:.{decimals}f}%" if decimals else percent_text(share)


def over_limit_text(share: float, limit: float) -> str:
    """How far a share is over a limit, in percentage points from the two percents shown, so the three numbers
    agree: "16 percentage points over", "0.4 percentage points over" where whole percents would hide the gap."""
    decimals = _decimals_beside(share, limit)
    if decimals:
        return f"{round(share * 100, decimals) - round(limit * 100, decimals):.{decimals}f} percentage points over"
    return f"{counted(round(share * 100) - round(limit * 100), 'percentage point')} over"


def _over_limit(name: str, share: float, limit: float) -> tuple[Verdict, str]:
    """Over the profile's limit does not fit, by however much; at or under it fits."""
    if share <= limit:
        return "fits", f"{name} is {percent_text(share)} of volume, within the profile's {percent_text(limit)} limit."
    return "does not fit", (f"{name} is {share_beside_limit(share, limit)} of volume, "
                            f"{over_limit_text(share, limit)} the profile's {percent_text(limit)} limit.")


def _exclusion_verdict(trades: int, share: float) -> Verdict:
    """No excluded trade fits; excluded trades up to MINOR_SHARE of volume are partly (they can be
    skipped when following the rest); more does not fit."""
    if not trades:
        return "fits"
    return "partly" if share <= MINOR_SHARE else "does not fit"


def _exclusion_words(verdict: Verdict) -> str:
    """What the excluded trades' share means, after the reason's numbers."""
    if verdict == "partly":
        return f"up to {percent_text(MINOR_SHARE)} of volume can be skipped, so it {VERDICT_WORDS[verdict]}."
    return f"more than {percent_text(MINOR_SHARE)} of volume is too much to skip, so it {VERDICT_WORDS[verdict]}."


def _no_options_fit(options: OptionActivity) -> FitVerdict:
    verdict = _exclusion_verdict(options.trades, options.volume_share)
    if not options.trades:
        return FitVerdict("no options", verdict, ("No option trades.",), "they trade no options")
    reason = (f"{counted(options.trades, 'option trade')}, {percent_text(options.volume_share)} of volume, where the "
              f"profile excludes options; {_exclusion_words(verdict)}")
    return FitVerdict("no options", verdict, (reason,), "they trade options the profile excludes")


def _position_fit(volume: VolumeEstimate, limit: float) -> FitVerdict:
    if not volume.total.midpoint:
        return FitVerdict("position size", "fits", ("No priced positions.",), "no position has a priced amount")
    largest = volume.by_position[0]
    verdict, reason = _over_limit(f"The largest position, {largest.position},", largest.share, limit)
    why = ("their largest position is within the size limit" if verdict == "fits"
           else f"their largest position ({largest.position}) is over the size limit")
    return FitVerdict("position size", verdict, (reason,), why)


def _with_unknown_sectors(verdict: FitVerdict, sectors: SectorExposure) -> FitVerdict:
    """Names the volume with no known sector; above MINOR_SHARE of volume it turns 'fits' into 'partly',
    since that volume may break the rule."""
    unknown = sectors.unknown_share
    if not unknown:
        return verdict
    note = f"{percent_text(unknown)} of volume has no known sector, so the sector figures are a lower bound"
    if verdict.verdict == "fits" and unknown > MINOR_SHARE:
        return FitVerdict(verdict.dimension, "partly", (
            *verdict.reasons, f"{note}; that is more than {percent_text(MINOR_SHARE)}, so it partly fits."),
            f"too much of their volume has no known sector to check the {verdict.dimension} against")
    return FitVerdict(verdict.dimension, verdict.verdict, (*verdict.reasons, f"{note}."), verdict.why)


def _avoided_sectors_fit(sectors: SectorExposure, avoided: tuple[str, ...]) -> FitVerdict:
    names = {name.casefold() for name in avoided}
    hits = [share for share in sectors.shares if share.name.casefold() in names]
    trades, share = sum(hit.trades for hit in hits), sum(hit.volume_share for hit in hits)
    verdict = _exclusion_verdict(trades, share)
    sector_names = ", ".join(avoided)
    reason = (f"The avoided sectors ({sector_names}) make up {percent_text(share)} of volume "
              f"({counted(trades, 'trade')})")
    reason += f"; {_exclusion_words(verdict)}" if trades else "."
    why = f"they trade in the avoided sectors ({sector_names})" if trades else "they keep out of the avoided sectors"
    return _with_unknown_sectors(FitVerdict("avoided sectors", verdict, (reason,), why), sectors)


def _sector_share_fit(sectors: SectorExposure, limit: float) -> FitVerdict:
    largest = sectors.largest_gics_sector
    if largest is None:
        verdict = FitVerdict("sector concentration", "fits", ("No trade has a known GICS sector.",),
                             "no trade has a known sector")
    else:
        fit, reason = _over_limit(f"The largest sector, {largest.name},", largest.volume_share, limit)
        why = ("their largest sector is within the sector limit" if fit == "fits"
               else f"their largest sector ({largest.name}) is over the sector limit")
        verdict = FitVerdict("sector concentration", fit, (reason,), why)
    return _with_unknown_sectors(verdict, sectors)


def assess_fit(metrics: FitInputs, profile: InvestorProfile) -> list[FitVerdict]:
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
