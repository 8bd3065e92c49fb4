"""Trading metrics, fit verdicts, summary and narrative grounding on small hand-built frames.

Expected values are computed by hand from the brackets: $1,001 - $15,000 has midpoint 8,000.5,
$15,001 - $50,000 has 32,500.5, $250,001 - $500,000 has 375,000.5.
"""

from __future__ import annotations

import csv
import math
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.analysis.assessment import ALL_FILERS, UNNAMED_FILER, assess, assess_per_filer
from agent.analysis.fit import (
    VERDICT_WORDS,
    FitVerdict,
    InvestorProfile,
    assess_fit,
    horizon_band,
    horizon_help,
    over_limit_text,
    overall_fit,
    share_beside_limit,
)
from agent.analysis.metrics import DollarRange, RoundTrip, Tally, compute_metrics
from agent.analysis.number_check import narrative_is_grounded, numbers_in_text
from agent.analysis.sectors import FUND_SECTORS, GICS_SECTORS, SECTORS_CSV, UNKNOWN_SECTOR, sector_of
from agent.analysis.summary import DATA_LIMITS, DISCLAIMER, summary_text
from agent.formats.fields import parse_amount

SMALL, MID, LARGE = "$1,001 - $15,000", "$15,001 - $50,000", "$250,001 - $500,000"
SMALL_MID, MID_MID, LARGE_MID = 8_000.5, 32_500.5, 375_000.5

# A clean row: every column of the transactions frame, as the exporter fills it.
DEFAULTS: dict = {
    "source_file": "20000001.pdf", "filing_id": "20000001", "filer_name": "Hon. Test Filer",
    "filer_status": "Member", "state_district": "CA11", "signed_date": "2024-04-01", "row_id": "",
    "owner": "", "asset_name": "", "ticker": "AAPL", "asset_type": "ST", "transaction_type": "P",
    "transaction_date": "2024-01-02", "notification_date": "2024-01-12", "amount": SMALL,
    "amount_min": None, "amount_max": None, "cap_gains_over_200": None, "filing_status": "New",
    "description": "", "subholding_of": "", "location": "", "comments": "", "option_type": "",
    "option_contracts": None, "option_strike": None, "option_expiration": "", "page": 1, "checks": "",
    "row_number": 1, "option_action": "", "option_shares": None, "chamber": "house", "filed_date": "",
}


def frame(*rows: dict) -> pd.DataFrame:
    """A transactions frame from a few rows; unset columns take DEFAULTS, amount bounds come from the label."""
    records = []
    for number, row in enumerate(rows, 1):
        record = {**DEFAULTS, "row_number": number, **row}
        if record["amount"] and "amount_min" not in row:
            amount = parse_amount(record["amount"])
            record["amount_min"] = float(amount.minimum)
            record["amount_max"] = None if amount.maximum is None else float(amount.maximum)
        records.append(record)
    return pd.DataFrame(records, columns=list(DEFAULTS))


def option(ticker: str, kind: str, traded: str, expires: str, strike: float, **row) -> dict:
    """An option purchase row (asset type OP) unless row says otherwise."""
    return {"ticker": ticker, "asset_type": "OP", "option_type": kind, "transaction_date": traded,
            "option_expiration": expires, "option_strike": strike, "option_action": "purchased", **row}


# Options-heavy: two NVDA LEAPS calls (400 days to expiry) and one small AAPL stock purchase.
OPTIONS_HEAVY = frame(
    option("NVDA", "call", "2024-01-10", "2025-02-13", 100.0, amount=LARGE),
    option("NVDA", "call", "2024-01-10", "2025-02-13", 120.0, amount=LARGE),
    {"ticker": "AAPL"},
)


# Tickers that appear in the real filings: each must have a sector.
FILINGS_TICKERS = (
    "AAPL", "AMZN", "NFLX", "PYPL", "CRM", "AXP", "MSFT", "GOOGL", "GOOG", "NVDA", "TSLA", "DIS", "V", "MA", "AVGO",
    "AMD", "INTC", "META", "FB", "RBLX", "PANW", "TEM", "VST", "ASC", "EXC", "IBIT", "NVO", "UPS", "MPWR", "UBS",
    "COP", "MORN", "WMT",
)


# --- sectors -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ticker", "sector"), [
    ("AAPL", "Information Technology"),
    ("FB", "Communication Services"),
    ("V", "Financials"),
    ("IBIT", "Crypto ETF"),
    ("SPY", "Broad market ETF"),
    ("XLK", "Information Technology"),
    ("brk/b", "Financials"),
    ("ZZZZ", UNKNOWN_SECTOR),
    ("", UNKNOWN_SECTOR),
], ids=["company", "old-meta-ticker", "payments-are-financials", "crypto-etf", "broad-etf", "sector-etf",
        "class-separator", "not-listed", "no-ticker"])
def test_sector_of(ticker: str, sector: str) -> None:
    assert sector_of(ticker) == sector


def test_sector_table_is_well_formed_and_covers_the_filings_tickers() -> None:
    with SECTORS_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    tickers = [row["ticker"] for row in rows]
    assert len(tickers) == len(set(tickers)), "a ticker is listed twice"
    assert {row["sector"] for row in rows} <= set(GICS_SECTORS) | set(FUND_SECTORS)
    assert all(row["name"] for row in rows)
    assert set(FILINGS_TICKERS) <= set(tickers)


# --- volume --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rows", "expected", "unpriced"), [
    ([{"amount": SMALL}], DollarRange(SMALL_MID, 1_001, 15_000, 0), 0),
    ([{"amount": SMALL}, {"amount": MID}], DollarRange(SMALL_MID + MID_MID, 16_002, 65_000, 0), 0),
    ([{"amount": "Over $50,000,000"}, {"amount": SMALL}], DollarRange(50_008_001.5, 50_001_002, None, 1), 0),
    ([{"amount": "$350.78"}], DollarRange(350.78, 350.78, 350.78, 0), 0),
    ([{"amount": ""}, {"amount": SMALL}], DollarRange(SMALL_MID, 1_001, 15_000, 0), 1),
], ids=["one-bracket", "two-brackets", "open-bracket-counts-at-minimum", "exact-amount", "unreadable-left-out"])
def test_volume_total(rows: list[dict], expected: DollarRange, unpriced: int) -> None:
    volume = compute_metrics(frame(*rows)).volume
    total = volume.total
    assert (total.midpoint, total.low) == (pytest.approx(expected.midpoint), pytest.approx(expected.low))
    assert total.high == (None if expected.high is None else pytest.approx(expected.high))
    assert (total.open_brackets, volume.unpriced_trades) == (expected.open_brackets, unpriced)


def test_volume_text_says_when_the_range_is_open() -> None:
    text = compute_metrics(frame({"amount": "Over $50,000,000"})).volume.text
    assert text == "$50,000,001 (range $50,000,001 to open; 1 open amount ('Over $X') counted at the minimum)"


def test_volume_by_ticker_largest_first_with_ranges() -> None:
    volume = compute_metrics(frame({"ticker": "AAPL"}, {"ticker": "AAPL"}, {"ticker": "MSFT", "amount": MID},
                                   {"ticker": "", "asset_name": "US Treasury Bill"})).volume
    total = 2 * SMALL_MID + MID_MID + SMALL_MID
    assert [(p.position, p.trades, p.sector) for p in volume.by_position] == [
        ("MSFT", 1, "Information Technology"), ("AAPL", 2, "Information Technology"),
        ("US Treasury Bill", 1, UNKNOWN_SECTOR)]
    aapl = volume.by_position[1]
    assert (aapl.volume.midpoint, aapl.volume.low, aapl.volume.high) == (16_001, 2_002, 30_000)
    assert aapl.share == pytest.approx(16_001 / total)


# --- buys, sells, turnover -----------------------------------------------------------------------

def test_buy_sell_balance_by_month() -> None:
    balance = compute_metrics(frame(
        {"transaction_type": "P", "transaction_date": "2024-01-05"},
        {"transaction_type": "S", "transaction_date": "2024-01-20", "amount": MID},
        {"transaction_type": "S (partial)", "transaction_date": "2024-03-02"},
        {"transaction_type": "E", "transaction_date": "2024-03-10"},
        {"transaction_type": "P", "transaction_date": ""},
    )).balance
    assert [(m.month, m.purchases, m.sales, m.exchanges, m.trades) for m in balance.months] == [
        ("2024-01", Tally(1, SMALL_MID), Tally(1, MID_MID), Tally(0, 0.0), 2),
        ("2024-02", Tally(0, 0.0), Tally(0, 0.0), Tally(0, 0.0), 0),
        ("2024-03", Tally(0, 0.0), Tally(1, SMALL_MID), Tally(1, SMALL_MID), 2),
    ]
    assert (balance.purchases, balance.sales, balance.exchanges) == (
        Tally(2, 2 * SMALL_MID), Tally(2, MID_MID + SMALL_MID), Tally(1, SMALL_MID))
    assert balance.trades_per_month == pytest.approx(4 / 3)
    assert balance.undated_trades == 1


@pytest.mark.parametrize(("rows", "expected"), [
    ([{"transaction_type": "P"}, {"transaction_type": "S"}], 1.0),
    ([{"transaction_type": "P"}, {"transaction_type": "S", "amount": MID}], MID_MID / SMALL_MID),
    ([{"transaction_type": "P", "amount": MID}, {"transaction_type": "S (partial)"}], SMALL_MID / MID_MID),
    ([{"transaction_type": "S"}], None),
    ([{"transaction_type": "P"}, {"transaction_type": "E"}], 0.0),
], ids=["balanced", "sold-more", "partial-sale-is-a-sale", "no-purchases-undefined", "exchange-is-neither"])
def test_turnover(rows: list[dict], expected: float | None) -> None:
    turnover = compute_metrics(frame(*rows)).turnover
    assert turnover.value == (None if expected is None else pytest.approx(expected))


# --- concentration and sectors -------------------------------------------------------------------

@pytest.mark.parametrize(("tickers", "top_share", "position_hhi", "sector_hhi"), [
    (["AAPL"], 1.0, 1.0, 1.0),
    (["AAPL", "MSFT"], 1.0, 0.5, 1.0),
    (["AAPL", "JPM"], 1.0, 0.5, 0.5),
    (["AAPL", "MSFT", "JPM", "XOM", "PFE", "NEE"], 5 / 6, 1 / 6, (2 / 6) ** 2 + 4 * (1 / 6) ** 2),
    (["AAPL", "ZZZZ"], 1.0, 0.5, 1.0),
    (["ZZZZ"], 1.0, 1.0, None),
], ids=["one-ticker", "two-equal-one-sector", "two-sectors", "six-equal", "unknown-sector-left-out",
        "no-known-sector"])
def test_concentration(tickers: list[str], top_share: float, position_hhi: float, sector_hhi: float | None) -> None:
    concentration = compute_metrics(frame(*({"ticker": ticker} for ticker in tickers))).concentration
    assert concentration.top_share == pytest.approx(top_share)
    assert concentration.position_hhi == pytest.approx(position_hhi)
    assert concentration.sector_hhi == (None if sector_hhi is None else pytest.approx(sector_hhi))
    assert len(concentration.top_positions) == min(len(tickers), 5)


def test_sector_exposure_shows_unknown() -> None:
    sectors = compute_metrics(frame({"ticker": "AAPL"}, {"ticker": "JPM", "amount": MID}, {"ticker": "ZZZZ"})).sectors
    total = 2 * SMALL_MID + MID_MID
    assert [(s.name, s.trades, s.volume_share) for s in sectors.shares] == [
        ("Financials", 1, pytest.approx(MID_MID / total)),
        ("Information Technology", 1, pytest.approx(SMALL_MID / total)),
        (UNKNOWN_SECTOR, 1, pytest.approx(SMALL_MID / total)),
    ]
    assert sectors.unknown_share == pytest.approx(SMALL_MID / total)
    assert sectors.largest_gics_sector.name == "Financials"


# --- options and crypto --------------------------------------------------------------------------

def test_option_activity() -> None:
    options = compute_metrics(frame(
        option("NVDA", "call", "2024-01-10", "2025-01-17", 100.0, amount=LARGE),  # 373 days (2024 is a leap year)
        option("TSLA", "put", "2024-02-01", "2024-03-15", 150.0, amount=MID),  # 43 days
        option("NVDA", "call", "2024-06-01", "2025-01-17", 100.0, transaction_type="E", option_action="exercised"),
        {"ticker": "AAPL"},
    )).options
    option_volume = LARGE_MID + MID_MID + SMALL_MID
    assert options.trades == 3
    assert options.volume_share == pytest.approx(option_volume / (option_volume + SMALL_MID))
    assert options.calls == Tally(2, LARGE_MID + SMALL_MID)
    assert options.puts == Tally(1, MID_MID)
    assert options.median_days_to_expiry == 208  # median of the purchases' 373 and 43
    assert (options.leaps, options.short_dated, options.exercises) == (1, 1, 1)


def test_exercise_on_a_stock_row_is_a_stock_trade() -> None:
    # 20016961: "[ST] ... Exercised 50 call options (5,000 shares)": shares bought, options counted as exercised.
    options = compute_metrics(frame(
        {"ticker": "NFLX", "asset_type": "ST", "option_type": "call", "option_action": "exercised", "amount": LARGE},
        option("AAPL", "call", "2024-01-10", "2025-01-17", 100.0, amount=MID),
    )).options
    assert options.trades == 1
    assert options.volume_share == pytest.approx(MID_MID / (MID_MID + LARGE_MID))
    assert options.exercises == 1


@pytest.mark.parametrize(("rows", "trades", "share"), [
    ([{"asset_type": "CT", "ticker": "", "asset_name": "Bitcoin"}, {"ticker": "AAPL"}], 1, 0.5),
    ([{"ticker": "IBIT"}, {"ticker": "AAPL", "amount": MID}], 1, SMALL_MID / (SMALL_MID + MID_MID)),
    ([{"ticker": "AAPL"}], 0, 0.0),
], ids=["cryptocurrency", "crypto-etf", "none"])
def test_crypto_exposure(rows: list[dict], trades: int, share: float) -> None:
    crypto = compute_metrics(frame(*rows)).crypto
    assert (crypto.trades, crypto.volume_share) == (trades, pytest.approx(share))


# --- holding behaviour ---------------------------------------------------------------------------

def _trade(side: str, date: str, ticker: str = "AAPL", **row) -> dict:
    return {"transaction_type": side, "transaction_date": date, "ticker": ticker, **row}


@pytest.mark.parametrize(("rows", "days", "partial_sales"), [
    ([_trade("P", "2024-01-01"), _trade("S", "2024-03-01")], [60], 0),
    ([_trade("S", "2024-01-01"), _trade("P", "2024-02-01")], [], 0),
    ([_trade("P", "2024-01-01"), _trade("S (partial)", "2024-01-11"), _trade("S", "2024-01-21")], [10, 20], 1),
    ([_trade("P", "2024-01-01"), _trade("P", "2024-01-11"), _trade("S", "2024-01-21"), _trade("S", "2024-01-31")],
     [20, 20], 0),
    ([_trade("P", "2024-01-01"), _trade("S", "2024-01-05", "MSFT")], [], 0),
    ([_trade("P", "2024-01-01", "NVDA"),
      _trade("S", "2024-01-05", "NVDA", asset_type="OP", option_type="call", option_expiration="2024-06-21")], [], 0),
    ([_trade("P", "2024-01-01"), _trade("S", "2024-01-01")], [0], 0),
], ids=["buy-then-sell", "sale-first-no-trip", "partial-keeps-position-open", "first-in-first-out",
        "other-ticker", "stock-is-not-its-option", "same-day"])
def test_round_trips(rows: list[dict], days: list[int], partial_sales: int) -> None:
    holding = compute_metrics(frame(*rows)).holding
    assert [trip.days for trip in holding.round_trips] == days
    assert holding.partial_sales == partial_sales
    assert holding.median_holding_days == (pd.Series(days).median() if days else None)


def test_round_trip_records_dates() -> None:
    trips = compute_metrics(frame(_trade("P", "2024-01-01"), _trade("S (partial)", "2024-02-01"))).holding.round_trips
    assert trips == (RoundTrip("AAPL", "2024-01-01", "2024-02-01", 31, True),)


# --- disclosure timeliness -----------------------------------------------------------------------

def _reported(filed: int, notified: int = 0) -> dict:
    """A House trade of 2024-01-01, its filing signed `filed` days later, notified after `notified` days."""
    traded = date(2024, 1, 1)
    return {"transaction_date": traded.isoformat(), "signed_date": (traded + timedelta(days=filed)).isoformat(),
            "notification_date": (traded + timedelta(days=notified)).isoformat()}


# A Senate row: no notification date, and the report's filed date (2024-01-01 to 2024-03-01: 31 + 29 days). Its
# signed date is left empty here (the export copies the filed date into it) so that only filed_date can give 60.
SENATE_ROW = {"chamber": "senate", "transaction_date": "2024-01-01", "filed_date": "2024-03-01", "signed_date": "",
              "notification_date": ""}


@pytest.mark.parametrize(("rows", "median", "p90", "longest", "late", "late_share", "undated", "notified"), [
    # filed 10, 20, 30, 40, 100 days after: p90 at position 3.6 = 40 + 0.6 * 60; notified 0, 1, 2, 3, 9: median 2
    ([_reported(filed, notified) for filed, notified in ((10, 0), (20, 1), (30, 2), (40, 3), (100, 9))],
     30, 76, 100, 1, 0.2, 0, 2),
    ([_reported(45)], 45, 45, 45, 0, 0.0, 0, 0),
    # 4 and 46: median 25, p90 = 4 + 0.9 * 42
    ([_reported(46, 3), _reported(4, 1)], 25, 41.8, 46, 1, 0.5, 0, 2),
    ([SENATE_ROW], 60, 60, 60, 1, 1.0, 0, None),
    ([_reported(60, 0)], 60, 60, 60, 1, 1.0, 0, 0),
    # the DEFAULTS row (traded 2024-01-02, notified 2024-01-12) without its signed date
    ([{"signed_date": ""}], None, None, None, 0, 0.0, 1, 10),
    ([{"transaction_date": ""}], None, None, None, 0, 0.0, 1, None),
], ids=["spread", "deadline-day-is-on-time", "one-late", "senate-filed-date", "late-filing-notified-at-once",
        "no-signed-date", "no-trade-date"])
def test_disclosure_timeliness(rows: list[dict], median: float | None, p90: float | None, longest: float | None,
                               late: int, late_share: float, undated: int, notified: float | None) -> None:
    timeliness = compute_metrics(frame(*rows)).timeliness
    assert (timeliness.median_days, timeliness.max_days) == (median, longest)
    assert timeliness.p90_days == (None if p90 is None else pytest.approx(p90))
    assert (timeliness.late_trades, timeliness.late_share, timeliness.undated_trades) == (late, late_share, undated)
    assert timeliness.notification_median_days == notified


def test_disclosure_delay_says_which_trades_it_leaves_out() -> None:
    # Notified: 2 days (row 1) and 10 days (row 3, the DEFAULTS dates); row 2 has no trade date, row 4 no notification.
    rows = (_reported(10, 2), {"transaction_date": ""}, {"signed_date": ""}, {**SENATE_ROW, "filed_date": ""})
    timeliness = compute_metrics(frame(*rows)).timeliness
    assert timeliness.text == (
        "median 10 days from trade to filing (90th percentile 10, longest 10); 0 trades (0%) filed beyond the 45-day "
        "STOCK Act limit; notified a median 6 days after the trade (2 of 4 trades have both a trade date and a "
        "notification date); not counted: 1 trade without a readable trade date, 1 trade whose House filing has no "
        "readable signed date, 1 trade whose Senate report has no readable filed date")


def test_disclosure_delay_without_a_filing_date_still_says_when_trades_were_notified() -> None:
    timeliness = compute_metrics(frame({"signed_date": ""}, {"signed_date": ""})).timeliness
    assert timeliness.text == ("no trade has both a trade date and a filing date; notified a median 10 days after "
                               "the trade; not counted: 2 trades whose House filing has no readable signed date")


# --- mixes ---------------------------------------------------------------------------------------

def test_owner_mix() -> None:
    owners = compute_metrics(frame({"owner": ""}, {"owner": "SP", "amount": MID}, {"owner": "SP"}, {"owner": "JT"},
                                   {"owner": "DC"})).owners
    total = 4 * SMALL_MID + MID_MID
    assert [(s.name, s.trades, s.trade_share, s.volume) for s in owners.shares] == [
        ("Spouse", 2, 0.4, MID_MID + SMALL_MID),
        ("Child", 1, 0.2, SMALL_MID), ("Joint", 1, 0.2, SMALL_MID), ("Self", 1, 0.2, SMALL_MID)]
    assert owners.share("Spouse").volume_share == pytest.approx((MID_MID + SMALL_MID) / total)


def test_asset_type_mix_names_codes() -> None:
    asset_types = compute_metrics(frame({"asset_type": "ST", "amount": MID}, {"asset_type": "OP"},
                                        {"asset_type": ""}, {"asset_type": "ZZ", "amount": ""})).asset_types
    assert [(s.name, s.trades, s.volume) for s in asset_types.shares] == [
        ("stock (ST)", 1, MID_MID), ("option (OP)", 1, SMALL_MID), ("unspecified", 1, SMALL_MID), ("ZZ", 1, 0.0)]


def test_shares_near_zero_and_one_are_not_rounded_to_them() -> None:
    owners = compute_metrics(frame({"owner": "", "amount": "Over $50,000,000"}, {"owner": "SP"})).owners
    assert owners.text == "Self >99.9% of volume, 50% of trades; Spouse <0.1% of volume, 50% of trades"


def test_coverage() -> None:
    coverage = compute_metrics(frame({"transaction_date": "2024-02-01"}, {"transaction_date": "2024-01-15"},
                                     {"filing_id": "20000002", "transaction_date": ""})).coverage
    assert (coverage.trades, coverage.filings, coverage.filers) == (3, 2, ("Hon. Test Filer",))
    assert (coverage.first_trade, coverage.last_trade) == ("2024-01-15", "2024-02-01")


def test_nullable_dtypes_from_the_exporter_are_read() -> None:
    transactions = frame({"amount": MID}, {"amount": ""}).astype(
        {"amount_min": "Float64", "amount_max": "Float64", "option_strike": "Float64", "option_contracts": "Int64",
         "cap_gains_over_200": "boolean"})
    volume = compute_metrics(transactions).volume
    assert (volume.total.midpoint, volume.unpriced_trades) == (MID_MID, 1)


def test_input_frame_is_left_unchanged() -> None:
    transactions = OPTIONS_HEAVY.copy()
    compute_metrics(transactions)
    pd.testing.assert_frame_equal(transactions, OPTIONS_HEAVY)


# --- empty input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("transactions", [pd.DataFrame(), frame()], ids=["no-columns", "no-rows"])
def test_empty_input_gives_empty_results(transactions: pd.DataFrame) -> None:
    metrics = compute_metrics(transactions)
    assert metrics.coverage.trades == 0
    assert metrics.volume.total == DollarRange() and metrics.volume.by_position == ()
    assert metrics.balance.months == () and metrics.balance.trades_per_month == 0
    assert metrics.turnover.value is None
    assert (metrics.concentration.positions, metrics.concentration.position_hhi) == (0, 0.0)
    assert metrics.sectors.shares == metrics.owners.shares == metrics.asset_types.shares == ()
    assert (metrics.options.trades, metrics.options.median_days_to_expiry) == (0, None)
    assert metrics.holding.round_trips == () and metrics.timeliness.median_days is None
    assert summary_text(metrics, assess_fit(metrics, InvestorProfile("low", "short"))).endswith(DISCLAIMER)


# --- properties ----------------------------------------------------------------------------------

AMOUNTS = [SMALL, MID, LARGE, "$1,000,001 - $5,000,000", "Over $50,000,000", "$350.78", ""]


@st.composite
def transaction_rows(draw: st.DrawFn) -> dict:
    traded = draw(st.dates(date(2020, 1, 1), date(2025, 12, 31)))
    asset_type = draw(st.sampled_from(["ST", "OP", "CT", "EF", "GS", ""]))
    row = {
        "ticker": draw(st.sampled_from(["AAPL", "MSFT", "JPM", "IBIT", "SPY", "ZZZZ", ""])),
        "asset_name": draw(st.sampled_from(["", "Some Fund"])),
        "owner": draw(st.sampled_from(["", "SP", "JT", "DC"])),
        "asset_type": asset_type,
        "transaction_type": draw(st.sampled_from(["P", "S", "S (partial)", "E", ""])),
        "transaction_date": traded.isoformat(),
        "notification_date": (traded + timedelta(days=draw(st.integers(-3, 400)))).isoformat(),
        "amount": draw(st.sampled_from(AMOUNTS)),
    }
    if asset_type == "OP":
        row.update(option_type=draw(st.sampled_from(["call", "put"])), option_strike=100.0,
                   option_expiration=(traded + timedelta(days=draw(st.integers(1, 900)))).isoformat())
    return row


rows_lists = st.lists(transaction_rows(), max_size=12)


@settings(max_examples=40, deadline=None)
@given(rows_lists)
def test_midpoints_lie_within_their_ranges(rows: list[dict]) -> None:
    volume = compute_metrics(frame(*rows)).volume
    for estimate in (volume.total, *(position.volume for position in volume.by_position)):
        assert estimate.low <= estimate.midpoint + 1e-6
        assert estimate.high is None or estimate.midpoint <= estimate.high + 1e-6
        assert (estimate.high is None) == (estimate.open_brackets > 0)


@settings(max_examples=40, deadline=None)
@given(rows_lists)
def test_shares_sum_to_one(rows: list[dict]) -> None:
    metrics = compute_metrics(frame(*rows))
    for mix in (metrics.sectors, metrics.owners, metrics.asset_types):
        if rows:
            assert math.fsum(share.trade_share for share in mix.shares) == pytest.approx(1.0)
        if metrics.volume.total.midpoint:
            assert math.fsum(share.volume_share for share in mix.shares) == pytest.approx(1.0)
            assert math.fsum(p.share for p in metrics.volume.by_position) == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(rows_lists)
def test_hhi_lies_between_one_over_n_and_one(rows: list[dict]) -> None:
    concentration = compute_metrics(frame(*rows)).concentration
    if concentration.positions:
        assert 1 / concentration.positions - 1e-9 <= concentration.position_hhi <= 1 + 1e-9
    if concentration.sector_hhi is not None:
        assert 1 / concentration.sectors - 1e-9 <= concentration.sector_hhi <= 1 + 1e-9


@settings(max_examples=40, deadline=None)
@given(rows_lists, st.sampled_from(["low", "medium", "high"]), st.sampled_from(["short", "medium", "long"]))
def test_summary_and_verdicts_always_come_out_whole(rows: list[dict], risk: str, horizon: str) -> None:
    metrics = compute_metrics(frame(*rows))
    verdicts = assess_fit(metrics, InvestorProfile(risk, horizon, no_options=True, max_position_share=0.3,
                                                   avoid_sectors=("Energy",), max_sector_share=0.5))
    assert [verdict.dimension for verdict in verdicts] == [
        "risk", "horizon", "no options", "position size", "avoided sectors", "sector concentration"]
    assert {verdict.verdict for verdict in verdicts} <= {"fits", "partly", "does not fit"}
    assert all(verdict.reasons for verdict in verdicts)
    assert summary_text(metrics, verdicts).endswith(DISCLAIMER)


@settings(max_examples=40, deadline=None)
@given(rows_lists)
def test_metrics_restated_in_other_formats_are_grounded(rows: list[dict]) -> None:
    metrics = compute_metrics(frame(*rows))
    narrative = (f"About {metrics.volume.total.midpoint:,.2f} dollars ({metrics.volume.total.low:.0f} at least), "
                 f"HHI {metrics.concentration.position_hhi * 100:.1f}%, options {metrics.options.volume_share:.2f}, "
                 f"{metrics.timeliness.late_share * 100:.0f} percent late over {metrics.coverage.trades} trades.")
    assert narrative_is_grounded(narrative, metrics)


EMPTY_METRICS = compute_metrics(pd.DataFrame())


@settings(max_examples=30, deadline=None)
@given(st.sets(st.sampled_from(list(DEFAULTS))))
def test_any_empty_frame_gives_the_empty_metrics(columns: set[str]) -> None:
    assert compute_metrics(pd.DataFrame(columns=sorted(columns))) == EMPTY_METRICS


# --- investor profile and fit --------------------------------------------------------------------

def test_profile_round_trips_through_a_dict() -> None:
    profile = InvestorProfile("medium", "long", no_options=True, max_position_share=0.2,
                              avoid_sectors=("Energy",), max_sector_share=0.4)
    assert InvestorProfile.from_dict(profile.to_dict()) == profile
    assert profile.to_dict()["avoid_sectors"] == ["Energy"]
    assert InvestorProfile.from_dict({"risk_tolerance": "low", "horizon": "short", "avoid_sectors": ["Energy"]}
                                     ).avoid_sectors == ("Energy",)


@pytest.mark.parametrize("values", [
    {"risk_tolerance": "reckless", "horizon": "short"},
    {"risk_tolerance": "low", "horizon": "forever"},
    {"risk_tolerance": "low", "horizon": "short", "max_position_share": 1.5},
    {"risk_tolerance": "low", "horizon": "short", "max_sector_share": 0},
], ids=["bad-risk", "bad-horizon", "share-above-one", "zero-share"])
def test_profile_rejects_bad_values(values: dict) -> None:
    with pytest.raises(ValueError):
        InvestorProfile.from_dict(values)


def _verdicts(transactions: pd.DataFrame, profile: InvestorProfile) -> dict[str, FitVerdict]:
    return {verdict.dimension: verdict for verdict in assess_fit(compute_metrics(transactions), profile)}


@pytest.mark.parametrize(("risk", "horizon", "risk_verdict", "horizon_verdict"), [
    ("high", "long", "fits", "partly"),
    ("medium", "medium", "partly", "fits"),
    ("low", "short", "does not fit", "partly"),
], ids=["high-risk-long-term", "medium-medium", "low-risk-short-term"])
def test_options_heavy_trading_against_profiles(risk: str, horizon: str, risk_verdict: str,
                                                horizon_verdict: str) -> None:
    verdicts = _verdicts(OPTIONS_HEAVY, InvestorProfile(risk, horizon))
    assert list(verdicts) == ["risk", "horizon"]
    assert (verdicts["risk"].verdict, verdicts["horizon"].verdict) == (risk_verdict, horizon_verdict)
    # 750,001 of 758,001.5 is options: 99%; NVDA alone gives HHI 0.98; LEAPS 400 days out.
    assert verdicts["risk"].reasons[0] == ("99% of volume is options (2 calls, 0 puts; median 400 days to expiry at "
                                           "purchase): leveraged, +2 risk points.")
    assert verdicts["risk"].reasons[-1].startswith("Risk score 3 of 4 reads as high risk")
    # 400 days to expiry is 1 to 5 years: medium by HORIZON_BANDS, the table the page's help prints.
    assert verdicts["horizon"].reasons[0] == ("Options bought a median 400 days before expiry (2 LEAPS, "
                                              "0 short-dated): medium horizon (1 to 5 years).")


def test_risk_reason_names_the_profile_it_suits() -> None:
    reasons = _verdicts(OPTIONS_HEAVY, InvestorProfile("low", "long"))["risk"].reasons
    assert reasons[-1] == "Risk score 3 of 4 reads as high risk: 2 levels above a low-risk profile, so it does not fit."


def test_plain_stock_round_trips_read_as_low_risk_short_horizon() -> None:
    tickers = ["AAPL", "MSFT", "JPM", "XOM", "PFE", "KO", "PEP", "WMT", "HD", "UNH", "V"]  # top 5 hold 5/11
    rows = [_trade(side, traded, ticker)
            for ticker in tickers for side, traded in (("P", "2024-01-01"), ("S", "2024-02-01"))]
    verdicts = _verdicts(frame(*rows), InvestorProfile("low", "short"))
    assert (verdicts["risk"].verdict, verdicts["horizon"].verdict) == ("fits", "fits")
    assert verdicts["horizon"].reasons[0] == ("11 round trips with a median 31 days from purchase to sale: short "
                                              "horizon (under 1 year).")
    assert verdicts["risk"].reasons[1] == ("Ticker HHI 0.09, the top 5 positions holding 45% of volume: spread out (an "
                                           "HHI under 0.25 and under 50% of volume in the top 5), +0 risk points.")


@pytest.mark.parametrize(("transactions", "profile", "dimension", "verdict"), [
    (OPTIONS_HEAVY, InvestorProfile("high", "long", no_options=True), "no options", "does not fit"),
    (frame({"ticker": "AAPL"}), InvestorProfile("high", "long", no_options=True), "no options", "fits"),
    (frame(option("NVDA", "call", "2024-01-10", "2025-02-13", 100.0), *[{"ticker": "AAPL", "amount": LARGE}] * 2),
     InvestorProfile("high", "long", no_options=True), "no options", "partly"),
    (OPTIONS_HEAVY, InvestorProfile("high", "long", max_position_share=0.5), "position size", "does not fit"),
    (OPTIONS_HEAVY, InvestorProfile("high", "long", max_position_share=0.95), "position size", "does not fit"),
    (OPTIONS_HEAVY, InvestorProfile("high", "long", max_position_share=1.0), "position size", "fits"),
    (OPTIONS_HEAVY, InvestorProfile("high", "long", avoid_sectors=("information technology",)), "avoided sectors",
     "does not fit"),
    (OPTIONS_HEAVY, InvestorProfile("high", "long", avoid_sectors=("Energy",)), "avoided sectors", "fits"),
    (frame({"ticker": "AAPL"}, {"ticker": "ZZZZ"}), InvestorProfile("high", "long", avoid_sectors=("Energy",)),
     "avoided sectors", "partly"),
    (frame({"ticker": "AAPL"}, {"ticker": "JPM"}), InvestorProfile("high", "long", max_sector_share=0.5),
     "sector concentration", "fits"),
    (frame({"ticker": "AAPL"}, {"ticker": "JPM"}), InvestorProfile("high", "long", max_sector_share=0.45),
     "sector concentration", "does not fit"),
    (OPTIONS_HEAVY, InvestorProfile("high", "long", max_sector_share=0.3), "sector concentration", "does not fit"),
], ids=["options-excluded", "no-options-present", "few-options-skippable", "position-over-limit",
        "position-just-over-limit", "position-at-limit", "avoided-sector-traded", "avoided-sector-absent",
        "unknown-sector-may-hide-it", "sector-at-limit", "sector-just-over", "sector-over-limit"])
def test_constraint_verdicts(transactions: pd.DataFrame, profile: InvestorProfile, dimension: str,
                             verdict: str) -> None:
    assert _verdicts(transactions, profile)[dimension].verdict == verdict


def test_constraint_reasons_carry_their_numbers() -> None:
    verdicts = _verdicts(OPTIONS_HEAVY, InvestorProfile("high", "long", max_position_share=0.5,
                                                        avoid_sectors=("Information Technology",)))
    assert verdicts["position size"].reasons == (
        "The largest position, NVDA, is 99% of volume, 49 percentage points over the profile's 50% limit.",)
    assert verdicts["avoided sectors"].reasons == (
        "The avoided sectors (Information Technology) make up 100% of volume (3 trades); more than 10% of volume is "
        "too much to skip, so it does not fit.",)


def test_no_readable_amount_leaves_risk_undecided() -> None:
    verdict = _verdicts(frame({"amount": ""}), InvestorProfile("low", "short"))["risk"]
    assert verdict.verdict == "partly" and "cannot be judged" in verdict.reasons[0]


@pytest.mark.parametrize(("days", "horizon"), [(0, "short"), (364, "short"), (365, "medium"), (924, "medium"),
                                             (1824, "medium"), (1825, "long")])
def test_horizon_bands_are_the_pages_help(days: int, horizon: str) -> None:
    band = horizon_band(days)
    assert band.horizon == horizon
    assert f"{horizon}: held {band.span}" in horizon_help()  # the help the page shows is this table


@pytest.mark.parametrize(("held_days", "wanted", "verdict", "ending"), [
    (924, "long", "partly", "Overall a medium horizon, 1 step from a long-term profile: it partly fits."),
    (2000, "short", "does not fit", "Overall a long horizon, 2 steps from a short-term profile: it does not fit."),
    (2000, "long", "fits", "Overall a long horizon, the horizon of a long-term profile: it fits."),
], ids=["two-and-a-half-years-is-medium", "over-five-years-is-long", "long-fits-long"])
def test_horizon_words_follow_the_verdict(held_days: int, wanted: str, verdict: str, ending: str) -> None:
    sold = (date(2020, 1, 2) + timedelta(days=held_days)).isoformat()
    horizon = _verdicts(frame(_trade("P", "2020-01-02"), _trade("S", sold)), InvestorProfile("high", wanted))["horizon"]
    assert (horizon.verdict, horizon.reasons[-1]) == (verdict, ending)
    assert horizon.heading == f"Horizon: {VERDICT_WORDS[horizon.verdict]}."


@pytest.mark.parametrize(("positions", "word"), [(10, "concentrated"), (11, "spread out")])
def test_concentration_word_follows_the_top_share_it_shows(positions: int, word: str) -> None:
    # n equal positions: HHI 1/n, under 0.25 either way; the top 5 hold 50% of 10, 45% of 11.
    tickers = [f"T{number}" for number in range(positions)]
    risk = _verdicts(frame(*[{"ticker": ticker} for ticker in tickers]), InvestorProfile("high", "long"))["risk"]
    top = "50%" if positions == 10 else "45%"
    assert f"the top 5 positions holding {top} of volume: {word} (" in risk.reasons[1]


def _verdict(dimension: str, verdict: str) -> FitVerdict:
    return FitVerdict(dimension, verdict, ("A reason.",), f"{dimension} is {verdict}")


@pytest.mark.parametrize(("verdicts", "overall", "deciding"), [
    ([("risk", "fits"), ("horizon", "partly"), ("position size", "does not fit")], "does not fit", ["position size"]),
    ([("risk", "partly"), ("horizon", "partly"), ("no options", "fits")], "partly", ["risk", "horizon"]),
    ([("risk", "fits"), ("horizon", "fits")], "fits", ["risk", "horizon"]),
], ids=["any-does-not-fit", "else-any-partly", "all-fit"])
def test_overall_answer_follows_the_worst_dimension(verdicts: list[tuple[str, str]], overall: str,
                                                    deciding: list[str]) -> None:
    answer = overall_fit([_verdict(*pair) for pair in verdicts], InvestorProfile("high", "long"))
    assert (answer.verdict, list(answer.deciding)) == (overall, deciding)
    because = " and ".join(f"{name} is {overall}" for name in deciding)
    assert answer.sentence == (f"Copying these trades {VERDICT_WORDS[answer.verdict]} a high-risk, long-term "
                               f"investor, because {because}.")


# Two NVDA LEAPS calls (98% of volume) and an AAPL round trip of 30 days.
OPTIONS_AND_A_STOCK_ROUND_TRIP = frame(
    option("NVDA", "call", "2024-01-10", "2025-02-13", 100.0, amount=LARGE),
    option("NVDA", "call", "2024-01-10", "2025-02-13", 120.0, amount=LARGE),
    _trade("P", "2024-01-02", amount=MID), _trade("S", "2024-02-01", amount=MID),
)


@pytest.mark.parametrize(("transactions", "profile", "overall", "subsets"), [
    (OPTIONS_AND_A_STOCK_ROUND_TRIP, InvestorProfile("medium", "short", no_options=True), "does not fit",
     ["Without the 2 option trades (92% of volume), the rest would fit."]),
    (OPTIONS_HEAVY, InvestorProfile("high", "long", no_options=True), "does not fit",
     ["Without the 2 option trades (99% of volume), the rest would partly fit (it still partly fits on horizon)."]),
    (OPTIONS_HEAVY, InvestorProfile("high", "long"), "partly", []),
    (frame({"ticker": "AAPL", "amount": LARGE}, {"ticker": "MSFT", "amount": LARGE}, {"ticker": "JPM"}),
     InvestorProfile("high", "short", max_position_share=0.4), "does not fit", []),
], ids=["stock-alone-fits", "stock-alone-partly-fits", "nothing-to-set-aside", "rest-still-over-the-limit"])
def test_subsets_are_named_only_when_they_change_the_answer(transactions: pd.DataFrame, profile: InvestorProfile,
                                                            overall: str, subsets: list[str]) -> None:
    assessment = assess(transactions, profile)
    assert assessment.overall.verdict == overall
    assert [subset.sentence for subset in assessment.subsets] == subsets


def test_fit_per_filer() -> None:
    rows = frame({"filer_name": "Hon. B", "ticker": "AAPL"}, {"filer_name": "Hon. A", "ticker": "MSFT"},
                 {"filer_name": "Hon. B", "ticker": "JPM"}, {"filer_name": "", "ticker": "XOM"})
    per_filer = assess_per_filer(rows, InvestorProfile("low", "short"))
    assert [(fit.label, fit.metrics.coverage.trades) for fit in per_filer] == [
        ("Hon. A", 1), ("Hon. B", 2), (UNNAMED_FILER, 1)]
    assert per_filer[1].metrics == compute_metrics(rows[rows["filer_name"] == "Hon. B"])
    assert assess(rows, InvestorProfile("low", "short")).label == ALL_FILERS


# --- summary and grounding -----------------------------------------------------------------------

def test_summary_lists_every_metric_then_limits_and_disclaimer() -> None:
    metrics = compute_metrics(OPTIONS_HEAVY)
    verdicts = assess_fit(metrics, InvestorProfile("low", "short"))
    text = summary_text(metrics, verdicts)
    assert all(f"**{metric.label}:** {metric.text}" in text for metric in metrics.all())
    assert "- **Risk: does not fit.** 99% of volume is options" in text
    assert text.index("### Limits of this data") < text.index(DISCLAIMER)
    assert all(limit in text for limit in DATA_LIMITS)
    assert text.endswith(DISCLAIMER)
    assert summary_text(metrics, verdicts) == text


@pytest.mark.parametrize(("text", "numbers"), [
    ("$1,234.50 in 3 trades", {"1234.5", "3"}),
    ("62 % and 7 percent and 8%", {"62%", "7%", "8%"}),
    ("from 2024-03-05", {"2024", "3", "5"}),
    ("-12 days, 0.50 HHI, 007", {"12", "0.5", "7"}),
    ("1,2345", {"1", "2345"}),
    ("no numbers here", set()),
], ids=["money-and-count", "percent-spellings", "iso-date", "sign-and-zeros", "malformed-separator", "none"])
def test_numbers_in_text(text: str, numbers: set[str]) -> None:
    assert numbers_in_text(text) == numbers


@pytest.mark.parametrize(("narrative", "grounded"), [
    ("Across 3 trades the filer moved an estimated $758,002 (between $501,003 and $1,015,000).", True),
    ("99% of that was call options bought about 400 days before expiry.", True),
    ("Options were 98.9 percent of volume; HHI 0.98.", True),
    ("The estimate is $758002, with 2 LEAPS.", True),
    ("The trades are far from the 45-day STOCK Act limit.", True),
    ("Across 3 trades the filer moved about $2,000,000.", False),
    ("The filer bought 500 contracts.", False),
    ("75% of volume is options.", False),
    ("NVDA rose 12% after the purchase.", False),
], ids=["restates-totals", "restates-share-and-days", "rounded-percent-and-hhi", "no-separators",
        "formula-number", "invented-dollars", "invented-count", "wrong-share", "invented-return"])
def test_narrative_grounding(narrative: str, grounded: bool) -> None:
    metrics = compute_metrics(OPTIONS_HEAVY)
    assert narrative_is_grounded(narrative, metrics) is grounded


def test_a_rounding_that_changes_the_value_is_rejected() -> None:
    metrics = compute_metrics(OPTIONS_HEAVY)  # option share 0.98945...
    assert narrative_is_grounded("Options were 98.9% of volume.", metrics)
    assert not narrative_is_grounded("Options were 98.8% of volume.", metrics)


@pytest.mark.parametrize(("share", "limit", "shown", "over"), [
    (0.36, 0.2, "36%", "16 percentage points over"),
    (0.208, 0.2, "21%", "1 percentage point over"),
    (0.204, 0.2, "20.4%", "0.4 percentage points over"),
    (0.2004, 0.2, "20.04%", "0.04 percentage points over"),
], ids=["whole-percents", "rounds-apart", "one-decimal", "two-decimals"])
def test_a_share_over_its_limit_never_reads_as_equal_to_it(share, limit, shown, over):
    assert (share_beside_limit(share, limit), over_limit_text(share, limit)) == (shown, over)
