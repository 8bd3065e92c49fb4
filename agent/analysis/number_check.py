"""A narrative may state only numbers the metrics hold."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from agent.analysis.fit import FitVerdict
from agent.analysis.metrics import TradingMetrics
from agent.analysis.summary import summary_text

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
    """Every number a value holds (nested dataclasses, mappings' values, lists and strings included), in each way a
    text may state it."""
    if is_dataclass(value):
        return set().union(*(_stated_numbers(getattr(value, field.name)) for field in fields(value)))
    if isinstance(value, Mapping):
        return set().union(*(_stated_numbers(item) for item in value.values()))
    if isinstance(value, (tuple, list)):
        return set().union(*(_stated_numbers(item) for item in value))
    if isinstance(value, str):
        return numbers_in_text(value)
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, numbers.Integral):
        return {str(abs(int(value)))}
    if isinstance(value, numbers.Real):
        number = float(value)
        return set() if math.isnan(number) else _renderings(number)
    return set()


def narrative_is_grounded(narrative: str, metrics: TradingMetrics, verdicts: Sequence[FitVerdict] = ()) -> bool:
    """True when every number in the narrative is one the metrics (or the verdicts) state.

    A number may appear as the metrics render it (summary_text, labels, formulas), as a value rounded
    to 0-2 decimals, as a percentage of a fraction, and with or without thousands separators.
    """
    known = (_stated_numbers(metrics) | numbers_in_text(summary_text(metrics, verdicts))
             | numbers_in_text(" ".join(f"{metric.label} {metric.formula}" for metric in metrics.all())))
    return numbers_in_text(narrative) <= known


def unsupported_numbers(text: str, sources: Sequence[object]) -> set[str]:
    """The numbers a text states that none of the sources hold (a tool result's JSON, metrics, ...), canonical."""
    known = set().union(*(_stated_numbers(source) for source in sources))
    return numbers_in_text(text) - known
