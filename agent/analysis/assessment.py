"""The fit of a run's trades with a profile, per filer or all filers combined, with the trades that, set aside,
would make the answer better. Transactions frame in, typed results out; every number from compute_metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
from agent.analysis.metrics import Groups, TradingMetrics, fit_metrics_by_group, fit_rows, metrics_by_group

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
    rows: np.ndarray  # boolean, over the group's rows in order


@dataclass(frozen=True)
class _AsideColumns:
    """What the set-asides test, for every row of the prepared trades, computed once for all groups."""

    is_option: np.ndarray
    in_avoided_sector: np.ndarray
    position: np.ndarray

    @classmethod
    def of(cls, trades: pd.DataFrame, profile: InvestorProfile) -> _AsideColumns:
        avoided = {name.casefold() for name in profile.avoid_sectors}
        return cls(trades["is_option"].to_numpy(dtype=bool), trades["sector"].str.casefold().isin(avoided).to_numpy(),
                   trades["position"].to_numpy(dtype=object))


def _set_asides(rows: np.ndarray, columns: _AsideColumns, metrics: TradingMetrics, profile: InvestorProfile,
                verdicts: dict[str, FitVerdict]) -> list[_SetAside]:
    """The trades (of a group's `rows`, by position) that keep a dimension from fitting and can be left out: options
    (when the profile excludes them or they raise the risk), the avoided sectors' trades, the positions over the size
    limit."""
    options = metrics.options
    asides = []
    if options.trades and any(name in verdicts and verdicts[name].verdict != "fits" for name in ("no options", "risk")):
        asides.append(_SetAside(f"the {counted(options.trades, 'option trade')} "
                                f"({percent_text(options.volume_share)} of volume)", columns.is_option[rows]))
    avoided = {name.casefold() for name in profile.avoid_sectors}
    hits = [share for share in metrics.sectors.shares if share.name.casefold() in avoided]
    if hits and verdicts["avoided sectors"].verdict != "fits":
        names = ", ".join(hit.name for hit in hits)
        asides.append(_SetAside(
            f"the {counted(sum(hit.trades for hit in hits), 'trade')} in {names} "
            f"({percent_text(sum(hit.volume_share for hit in hits))} of volume)", columns.in_avoided_sector[rows]))
    limit = profile.max_position_share
    if limit is not None and verdicts["position size"].verdict != "fits":
        over = [position for position in metrics.volume.by_position if position.share > limit]
        asides.append(_SetAside(", ".join(f"{position.position} ({percent_text(position.share)} of volume)"
                                          for position in over),
                                pd.Series(columns.position[rows]).isin([position.position for position in over])
                                .to_numpy()))
    return asides


def _with_together(asides: list[_SetAside]) -> list[_SetAside]:
    """The set-asides, then (when there are several) all of them together."""
    if len(asides) < 2:
        return asides
    together = np.logical_or.reduce([aside.rows for aside in asides])
    return [*asides, _SetAside(" and ".join(aside.left_out for aside in asides), together)]


def _rank(subset: SubsetFit | None) -> int:
    return VERDICTS.index(subset.overall.verdict) if subset else len(VERDICTS)


def _better(singles: list[SubsetFit | None], together: SubsetFit | None, whole: OverallFit) -> tuple[SubsetFit, ...]:
    """Each set-aside whose rest fits better than the whole; all of them together only when that beats each alone."""
    found = [subset for subset in singles if subset and _rank(subset) < VERDICTS.index(whole.verdict)]
    if together and _rank(together) < min([VERDICTS.index(whole.verdict), *map(_rank, singles)]):
        found.append(together)
    return tuple(found)


def _better_subsets(trades: pd.DataFrame, groups: Groups, profile: InvestorProfile, metrics: list[TradingMetrics],
                    verdicts: list[list[FitVerdict]], wholes: list[OverallFit]) -> list[tuple[SubsetFit, ...]]:
    """Each group's better subsets (see _better), for the groups that do not fit as they are. The rests of every
    group's set-asides are judged together: their rows in one frame, a group each (an empty rest is none)."""
    columns = _AsideColumns.of(trades, profile)
    rows_of = groups.rows
    asides = [_with_together(_set_asides(rows_of[group], columns, metrics[group], profile,
                                         {verdict.dimension: verdict for verdict in verdicts[group]}))
              if wholes[group].verdict != "fits" else [] for group in range(len(groups))]
    rests = {(group, index): rows_of[group][~aside.rows] for group in range(len(groups))
             for index, aside in enumerate(asides[group])}
    rests = {key: rest_rows for key, rest_rows in rests.items() if len(rest_rows)}
    judged: dict[tuple[int, int], SubsetFit] = {}
    if rests:
        rows = fit_rows(trades).take(np.concatenate(list(rests.values()))).reset_index(drop=True)
        codes = np.repeat(np.arange(len(rests)), [len(rest_rows) for rest_rows in rests.values()])
        rest_metrics = fit_metrics_by_group(rows, Groups(codes, tuple(map(str, rests))))
        for (group, index), rest in zip(rests, rest_metrics):
            left_out = asides[group][index].left_out
            judged[(group, index)] = SubsetFit(left_out, overall_fit(assess_fit(rest, profile), profile))
    subsets = []
    for group, group_asides in enumerate(asides):
        fits = [judged.get((group, index)) for index in range(len(group_asides))]
        singles, together = (fits[:-1], fits[-1]) if len(fits) > 1 else (fits, None)
        subsets.append(_better(singles, together, wholes[group]))
    return subsets


def _assess_groups(trades: pd.DataFrame, groups: Groups, profile: InvestorProfile) -> list[FitAssessment]:
    """The assessment of each group of prepared trades, every step computed for all groups at once."""
    metrics = metrics_by_group(trades, groups)
    verdicts = [assess_fit(group_metrics, profile) for group_metrics in metrics]
    wholes = [overall_fit(group_verdicts, profile) for group_verdicts in verdicts]
    subsets = _better_subsets(trades, groups, profile, metrics, verdicts, wholes)
    return [FitAssessment(label, profile, group_metrics, tuple(group_verdicts), whole, group_subsets)
            for label, group_metrics, group_verdicts, whole, group_subsets in zip(
                groups.labels, metrics, verdicts, wholes, subsets)]


def assess(transactions: pd.DataFrame, profile: InvestorProfile, label: str = ALL_FILERS) -> FitAssessment:
    """The metrics, the dimension verdicts, the overall answer and the better subsets of these trades."""
    return assess_trades(prepare_trades(transactions), profile, label)


def assess_trades(trades: pd.DataFrame, profile: InvestorProfile, label: str = ALL_FILERS) -> FitAssessment:
    """assess over trades already prepared (prepare_trades, or rows of its result)."""
    return _assess_groups(trades, Groups.one(len(trades), label), profile)[0]


def assess_per_filer(transactions: pd.DataFrame, profile: InvestorProfile) -> tuple[FitAssessment, ...]:
    """One assessment per filer (filer_name; rows without one together as UNNAMED_FILER), by name."""
    return assess_filers(prepare_trades(transactions), profile)


def assess_filers(trades: pd.DataFrame, profile: InvestorProfile) -> tuple[FitAssessment, ...]:
    """assess_per_filer over trades already prepared: every filer's metrics and fit computed at once."""
    return tuple(_assess_groups(trades, Groups.of(trades["filer_name"].replace("", UNNAMED_FILER)), profile))
