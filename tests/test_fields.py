"""Case tables and round-trips for the value readers: dates, amounts, tickers, option details."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.errors import ParseError
from agent.formats.fields import (
    AMOUNT_BRACKETS,
    format_money,
    is_ticker,
    normalize_ticker,
    parse_amount,
    parse_date,
    parse_option_details,
)


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("06/18/2020", date(2020, 6, 18)),
        ("06/6/2016", date(2016, 6, 6)),
        ("6/06/2016", date(2016, 6, 6)),
        ("1/17/20", date(2020, 1, 17)),
        (" 12/31/2024 ", date(2024, 12, 31)),
    ],
    ids=["two-digit", "one-digit-day", "one-digit-month", "two-digit-year", "padded"],
)
def test_parse_date(printed, expected):
    assert parse_date(printed) == expected


@pytest.mark.parametrize(
    "printed",
    ["13/01/2020", "02/30/2021", "2020-01-16", "S01/16/2020", "", "01/16"],
    ids=["month-13", "feb-30", "iso", "glued-type", "empty", "no-year"],
)
def test_parse_date_rejects(printed):
    with pytest.raises(ParseError, match="date"):
        parse_date(printed)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)), st.booleans(), st.booleans())
def test_date_round_trip(value, pad_month, pad_day):
    month = f"{value.month:02d}" if pad_month else str(value.month)
    day = f"{value.day:02d}" if pad_day else str(value.day)
    assert parse_date(f"{month}/{day}/{value.year}") == value


@pytest.mark.parametrize(
    ("printed", "minimum", "maximum", "bracket"),
    [
        ("$1,001 - $15,000", 1001, 15000, True),
        ("$1,000,001 -  $5,000,000", 1000001, 5000000, True),
        ("$50,000,001 - $50,000,002", 50000001, 50000002, False),
        ("Over $50,000,000", 50000001, None, True),
        ("Spouse/DC Over $1,000,000", 1000001, None, True),
        ("$350.78", Decimal("350.78"), Decimal("350.78"), False),
        ("$9.00", 9, 9, False),
    ],
    ids=["low-bracket", "wrapped-million", "not-a-bracket", "over", "spouse-over", "exact-cents", "exact-whole"],
)
def test_parse_amount(printed, minimum, maximum, bracket):
    amount = parse_amount(printed)
    assert amount.minimum == minimum
    assert amount.maximum == maximum
    assert amount.is_bracket is bracket
    assert amount.label == " ".join(printed.split())


@pytest.mark.parametrize(
    "printed",
    ["$15,000 - $1,001", "1,001 - 15,000", "$1,001 -", "about $5", ""],
    ids=["reversed", "no-dollar", "half-wrapped", "words", "empty"],
)
def test_parse_amount_rejects(printed):
    with pytest.raises(ParseError, match="amount"):
        parse_amount(printed)


@given(st.sampled_from([b for b in AMOUNT_BRACKETS if b[1] is not None]))
def test_bracket_round_trip(bracket):
    low, high = bracket
    amount = parse_amount(f"{format_money(Decimal(low))} - {format_money(Decimal(high))}")
    assert (amount.minimum, amount.maximum, amount.is_bracket) == (low, high, True)


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2))
def test_exact_amount_round_trip(value):
    amount = parse_amount(format_money(value))
    assert amount.exact and amount.minimum == value == amount.maximum


@pytest.mark.parametrize(
    ("printed", "ticker", "valid"),
    [("AAPl", "AAPL", True), ("NFlX", "NFLX", True), ("BRK.B", "BRK.B", True), ("EFC$D", "EFC$D", True),
     ("uBS", "UBS", True), ("GLAS Funds, LP", "GLAS FUNDS, LP", False), ("2012", "2012", False)],
    ids=["lowercase-l", "lowercase-l-middle", "class-dot", "preferred-dollar", "old-font", "fund-name", "digits"],
)
def test_tickers(printed, ticker, valid):
    assert normalize_ticker(printed) == ticker
    assert is_ticker(ticker) is valid


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Purchased 50 call options with a strike price of $150 and an expiration date of 1/16/26",
         ("purchased", "call", 50, Decimal(150), date(2026, 1, 16), None)),
        ("Exercised 500 call options expiring 6/19/2020 (50,000 shares) at a strike price of $12",
         ("exercised", "call", 500, Decimal(12), date(2020, 6, 19), 50000)),
        ("Sold 20 call options with a strike price of $1,700 and an expiration date of 1/17/20.",
         ("sold", "call", 20, Decimal(1700), date(2020, 1, 17), None)),
        ("Sold 10 put options with a strike price of $95.50 and an expiration date of 03/15/2024.",
         ("sold", "put", 10, Decimal("95.50"), date(2024, 3, 15), None)),
        ("Sold 130 call options purchased 12/20/21 with a strike price of $210 and an expiration date of 1/20/23.",
         ("sold", "call", 130, Decimal(210), date(2023, 1, 20), None)),
        ("Put option, strike price $215, exp. Feb. 21, 2025.",
         (None, "put", None, Decimal(215), date(2025, 2, 21), None)),
    ],
    ids=["purchase", "exercise-with-shares", "sale", "put", "purchased-date-is-not-expiry", "month-name-expiry"],
)
def test_option_details(description, expected):
    details = parse_option_details(description)
    assert (details.action, details.option_type, details.contracts, details.strike, details.expiration,
            details.shares) == expected


@pytest.mark.parametrize(
    "description",
    ["Purchased 5,000 shares.", "Capital call for $7,035", "Call me maybe"],
    ids=["shares", "capital-call", "no-options"],
)
def test_no_option_details(description):
    assert parse_option_details(description) is None


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("CALL BERKSHIRE CL B NEW $300 EXP 01/17/25 CLASS B", ("call", Decimal(300), date(2025, 1, 17))),
        ("EXP 01/17/25 CLASS B C 300.00", ("call", Decimal(300), date(2025, 1, 17))),
        ("C 380.00", ("call", Decimal(380), None)),
        ("P 95.50", ("put", Decimal("95.50"), None)),
        ("PUT APPLE INC $150 EXP 06/20/2025", ("put", Decimal(150), date(2025, 6, 20))),
        ("Sold 10 put options with a strike price of $95.50 and an expiration date of 03/15/2024.",
         ("put", Decimal("95.50"), date(2024, 3, 15))),
    ],
    ids=["call-word-dollar-strike", "letter-and-strike-after-expiry", "letter-and-strike", "put-letter",
         "put-word-four-digit-year", "full-sentence-still-read"],
)
def test_option_details_on_option_asset(description, expected):
    details = parse_option_details(description, is_option_asset=True)
    assert (details.option_type, details.strike, details.expiration) == expected


@pytest.mark.parametrize(
    "description",
    ["CALL BERKSHIRE CL B NEW $300 EXP 01/17/25 CLASS B", "C 380.00"],
    ids=["call-word", "letter-and-strike"],
)
def test_terse_option_forms_need_an_option_asset(description):
    assert parse_option_details(description) is None


@pytest.mark.parametrize(
    "description",
    ["Purchased 5,000 shares.", "CLASS B", "Position closed", "Bought 100 C shares", ""],
    ids=["shares", "class-letter", "no-facts", "letter-without-strike", "empty"],
)
def test_option_asset_without_option_facts(description):
    assert parse_option_details(description, is_option_asset=True) is None
