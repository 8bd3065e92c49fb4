"""The fit of a run's trades with a profile, per filer or all filers combined, with the trades that, set aside,
would make the answer better. Transactions frame in, typed results out; every number from compute_metrics."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from agent.analysis.fit import (
    VERDICT_WORDS,
    VERDICTS,
    WOULD_WORDS,
    FitVerdict,
    InvestorProfile,
    OverallFit,
    assess_fit,
    listed,
    overall_fit,
)
from agent.analysis.formatting import counted, percent_text
from agent.analysis.frame import prepare_trades
from agent.analysis.metrics import TradingMetrics, metrics_of_trades

ALL_FILERS = "All filers combined"

UNNAMED_FILER = "Unnamed filer"


@dataclass(frozen=True)
class SubsetFit:
    """How the trades fit with some set aside; kept only when that answer is better than the whole's."""

    left_out: str  # "the 5 option trades (36% of volume)"
    overall: OverallFit

    @property
    def sentence(self) -> str:
        verdict = self.overall.verdict
        still = f" (it still {VERDICT_WORDS[verdict]} on {listed(self.overall.deciding)})" if verdict != "fits" else ""
        return f"Without {self.left_out}, the rest {WOULD_WORDS[verdict]}{still}."


@dataclass(frozen=True)
class FitAssessment:
    """One set of trades (a filer's, or everyone's) against one profile."""

    label: str  # the filer's name, or ALL_FILERS
    profile: InvestorProfile
    metrics: TradingMetrics
    verdicts: tuple[FitVerdict, ...]
    overall: OverallFit
    subsets: tuple[SubsetFit, ...]


@dataclass(frozen=True)
class _SetAside:
    left_out: str
    rows: pd.Series  # boolean, by position in the transactions frame


def _set_asides(trades: pd.DataFrame, metrics: TradingMetrics, profile: InvestorProfile,
                verdicts: dict[str, FitVerdict]) -> list[_SetAside]:
    """The trades that keep a dimension from fitting and can be left out: options (when the profile excludes
    them or they raise the risk), the avoided sectors' trades, the positions over the size limit."""
    options = metrics.options
    asides = []
    if options.trades and any(name in verdicts and verdicts[name].verdict != "fits" for name in ("no options", "risk")):
        asides.append(_SetAside(f"the {counted(options.trades, 'option trade')} "
                                f"({percent_text(options.volume_share)} of volume)", trades["is_option"]))
    avoided = {name.casefold() for name in profile.avoid_sectors}
    hits = [share for share in metrics.sectors.shares if share.name.casefold() in avoided]
    if hits and verdicts["avoided sectors"].verdict != "fits":
        names = ", ".join(hit.name for hit in hits)
        asides.append(_SetAside(
            f"the {counted(sum(hit.trades for hit in hits), 'trade')} in {names} "
            f"({percent_text(sum(hit.volume_share for hit in hits))} of volume)",
            trades["sector"].str.casefold().isin(avoided)))
    limit = profile.max_position_share
    if limit is not None and verdicts["position size"].verdict != "fits":
        over = [position for position in metrics.volume.by_position if position.share > limit]
        asides.append(_SetAside(", ".join(f"{position.position} ({percent_text(position.share)} of volume)"
                                          for position in over),
                                trades["position"].isin([position.position for position in over])))
    return asides


def _rest_fit(trades: pd.DataFrame, aside: _SetAside, profile: InvestorProfile) -> SubsetFit | None:
    rest = trades[(~aside.rows).to_numpy()].reset_index(drop=True)
    if rest.empty:
        return None
    return SubsetFit(aside.left_out, overall_fit(assess_fit(metrics_of_trades(rest), profile), profile))


def _rank(subset: SubsetFit | None) -> int:
    return VERDICTS.index(subset.overall.verdict) if subset else len(VERDICTS)


def _better_subsets(trades: pd.DataFrame, profile: InvestorProfile, metrics: TradingMetrics,
                    verdicts: list[FitVerdict], whole: OverallFit) -> tuple[SubsetFit, ...]:
    """Each set-aside whose rest fits better than the whole; all of them together only when that beats each alone.
    `trades` are prepared (prepare_trades)."""
    asides = _set_asides(trades, metrics, profile, {verdict.dimension: verdict for verdict in verdicts})
    singles = [_rest_fit(trades, aside, profile) for aside in asides]
    found = [subset for subset in singles if subset and _rank(subset) < VERDICTS.index(whole.verdict)]
    if len(asides) > 1:
        rows = pd.concat([aside.rows for aside in asides], axis=1).any(axis=1)
        together = _rest_fit(trades, _SetAside(" and ".join(aside.left_out for aside in asides), rows), profile)
        if together and _rank(together) < min([VERDICTS.index(whole.verdict), *map(_rank, singles)]):
            found.append(together)
    return tuple(found)


def assess(transactions: pd.DataFrame, profile: InvestorProfile, label: str = ALL_FILERS) -> FitAssessment:
    """The metrics, the dimension verdicts, the overall answer and the better subsets of these trades."""
    return _assess_trades(prepare_trades(transactions), profile, label)


def _assess_trades(trades: pd.DataFrame, profile: InvestorProfile, label: str) -> FitAssessment:
    """assess over trades prepared once (prepare_trades): the subsets' metrics are of its rows."""
    metrics = metrics_of_trades(trades)
    verdicts = assess_fit(metrics, profile)
    overall = overall_fit(verdicts, profile)
    subsets = _better_subsets(trades, profile, metrics, verdicts, overall) if overall.verdict != "fits" else ()
    return FitAssessment(label, profile, metrics, tuple(verdicts), overall, subsets)


def assess_per_filer(transactions: pd.DataFrame, profile: InvestorProfile) -> tuple[FitAssessment, ...]:
    """One assessment per filer (filer_name; rows without one together as UNNAMED_FILER), by name."""
    trades = prepare_trades(transactions)
    filers = trades["filer_name"].replace("", UNNAMED_FILER)
    return tuple(_assess_trades(rows.reset_index(drop=True), profile, str(name))
                 for name, rows in trades.groupby(filers.to_numpy(), sort=True))
