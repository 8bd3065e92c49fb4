"""Ticker to sector, from a table kept in the project: agent/data/sectors.csv (ticker,name,sector).

Companies carry their GICS sector. ETFs carry the sector they track (XLK: Information Technology),
"Broad market ETF" for broad US index funds (SPY, QQQ, IWM...), "Crypto ETF" for crypto funds, and
"ETF" for the rest (bonds, gold, international, style). A ticker not in the table is "unknown":
the table is extended by hand, never guessed.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

SECTORS_CSV = Path(__file__).parent / "data" / "sectors.csv"

UNKNOWN_SECTOR = "unknown"
CRYPTO_ETF = "Crypto ETF"
GICS_SECTORS: tuple[str, ...] = (
    "Communication Services", "Consumer Discretionary", "Consumer Staples", "Energy", "Financials",
    "Health Care", "Industrials", "Information Technology", "Materials", "Real Estate", "Utilities",
)
FUND_SECTORS: tuple[str, ...] = ("Broad market ETF", "ETF", CRYPTO_ETF)


@cache
def sector_table() -> Mapping[str, str]:
    """The ticker-to-sector table, read from SECTORS_CSV once per process (read-only)."""
    with SECTORS_CSV.open(newline="", encoding="utf-8") as handle:
        return MappingProxyType({row["ticker"]: row["sector"] for row in csv.DictReader(handle)})


def sector_of(ticker: str) -> str:
    """The sector of a ticker, or "unknown" when the table does not list it.

    Class separators are read the way the table writes them: BRK/B and BRK-B look up BRK.B.
    """
    key = ticker.strip().upper().replace("/", ".").replace("-", ".")
    return sector_table().get(key, UNKNOWN_SECTOR)
