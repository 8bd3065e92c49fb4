"""How the metrics print numbers. The narrative check accepts exactly what these print."""

from __future__ import annotations


def dollars_text(value: float) -> str:
    return f"${value:,.0f}"


def percent_text(share: float) -> str:
    """Whole percents, with a decimal near 0% and 100% so that neither is claimed when it is not exact."""
    percent = share * 100
    if 0 < percent < 0.05:
        return "<0.1%"
    if 99.95 <= percent < 100:
        return ">99.9%"
    return f"{percent:.{1 if 0 < percent < 1 or 99 < percent < 100 else 0}f}%"


def number_text(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0")


def counted(count: float, noun: str, plural: str = "") -> str:
    return f"{number_text(count)} {noun if count == 1 else plural or noun + 's'}"


def ratio(part: float, whole: float) -> float:
    return float(part / whole) if whole else 0.0
