"""Small, pure readers for the values printed on a PTR: dates, amounts, tickers, option details.

Each reader takes the text as printed and either returns a typed value or raises ParseError
saying what could not be read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from agent.errors import ParseError

# The value brackets printed on the House PTR form ("Over $50,000,000" has no upper bound).
AMOUNT_BRACKETS: tuple[tuple[int, int | None], ...] = (
    (1_001, 15_000),
    (15_001, 50_000),
    (50_001, 100_000),
    (100_001, 250_000),
    (250_001, 500_000),
    (500_001, 1_000_000),
    (1_000_001, 5_000_000),
    (5_000_001, 25_000_000),
    (25_000_001, 50_000_000),
    (50_000_001, None),
    # Spouse or dependent-child assets over $1,000,000 use one open bracket on older forms.
    (1_000_001, None),
)

TRANSACTION_TYPES = ("P", "S", "S (partial)", "E", "S*")  # S*: a sale whose full/partial kind is not printed
OWNER_CODES = ("SP", "JT", "DC")

_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})")
_MONEY = r"\$\s?([\d,]+(?:\.\d{1,2})?)"
_RANGE = re.compile(rf"^{_MONEY}\s*-\s*{_MONEY}$")
_OVER = re.compile(rf"^(?:Spouse/DC\s+)?Over\s+{_MONEY}$", re.IGNORECASE)
_EXACT = re.compile(rf"^{_MONEY}$")
# Tickers: letters first, then letters, digits, and the class separators the Clerk prints (BRK.B, EFC$D, BF/B).
_TICKER = re.compile(r"^[A-Z][A-Z0-9]{0,5}(?:[.$/-][A-Z0-9]{1,3})?$")


def parse_date(text: str) -> date:
    """Read a US date as printed on the form (`06/18/2020`, `06/6/2016`, `1/17/20`)."""
    match = _DATE.fullmatch(text.strip())
    if not match:
        raise ParseError("a date (MM/DD/YYYY)", text)
    month, day, year = (int(group) for group in match.groups())
    if len(match.group(3)) == 2:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ParseError("a date (MM/DD/YYYY)", text, str(exc)) from None


@dataclass(frozen=True)
class Amount:
    """An amount as printed, with its bounds in dollars (max is None for "Over $...")."""

    label: str
    minimum: Decimal
    maximum: Decimal | None
    exact: bool = False

    @property
    def is_bracket(self) -> bool:
        """True when the bounds are one of the form's official value brackets."""
        if self.exact:
            return False
        bounds = (int(self.minimum), None if self.maximum is None else int(self.maximum))
        return bounds in AMOUNT_BRACKETS


def _money(text: str, whole: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ParseError("an amount", whole) from None


def parse_amount(text: str) -> Amount:
    """Read an amount cell: a bracket (`$1,001 - $15,000`), `Over $50,000,000`, or an exact `$350.78`."""
    label = " ".join(text.split())
    if match := _RANGE.match(label):
        low, high = (_money(group, label) for group in match.groups())
        if high < low:
            raise ParseError("an amount range", label, "upper bound below lower bound")
        return Amount(label, low, high)
    if match := _OVER.match(label):
        return Amount(label, _money(match.group(1), label) + 1, None)
    if match := _EXACT.match(label):
        value = _money(match.group(1), label)
        return Amount(label, value, value, exact=True)
    raise ParseError("an amount", label)


def format_money(value: Decimal) -> str:
    """`$1,001` for whole dollars, `$350.78` otherwise: the inverse of the form's notation."""
    if value == value.to_integral_value():
        return f"${int(value):,}"
    return f"${value:,.2f}"


def normalize_ticker(text: str) -> str:
    """Upper-case a printed ticker (old fonts print `AAPl`, `NFlX`)."""
    return text.strip().upper()


def is_ticker(text: str) -> bool:
    """True when the text has the shape of an exchange ticker."""
    return bool(_TICKER.match(text))


@dataclass(frozen=True)
class OptionDetails:
    """What a description says about an option trade; absent facts stay None."""

    action: str | None  # purchased / sold / exercised
    option_type: str | None  # call / put
    contracts: int | None
    strike: Decimal | None
    expiration: date | None
    shares: int | None


_ACTION = re.compile(r"\b(purchased|bought|sold|exercised)\b", re.IGNORECASE)
_CONTRACTS = re.compile(r"\b([\d,]+)\s+(call|put)\s+options?\b", re.IGNORECASE)
_KIND = re.compile(r"\b(call|put)s?\b", re.IGNORECASE)
_STRIKE = re.compile(r"strike(?:\s+price)?(?:\s+of)?\s+\$\s?([\d,]+(?:\.\d+)?)", re.IGNORECASE)
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_EXPIRY = re.compile(
    r"(?:expiration\s+date\s+of|expiring|expires|expiration|exp\.?)\s+(?:on\s+)?"
    r"(\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4})",
    re.IGNORECASE,
)
_SHARES = re.compile(r"\(([\d,]+)\s+shares\)", re.IGNORECASE)
_SAYS_OPTION = re.compile(r"\boption", re.IGNORECASE)
# Broker shorthand on [OP] rows: "C 300.00" (a call at $300), "CALL BERKSHIRE CL B NEW $300".
_LETTER_AND_STRIKE = re.compile(r"\b([CP])\s+\$?(\d[\d,]*\.\d{2})\b")
_KIND_THEN_PRICE = re.compile(r"\b(?:call|put)\b[^$\d]*\$\s?([\d,]+(?:\.\d+)?)", re.IGNORECASE)
_OPTION_LETTERS = {"C": "call", "P": "put"}
_ACTIONS = {"purchased": "purchased", "bought": "purchased", "sold": "sold", "exercised": "exercised"}


def _parse_expiry(text: str) -> date:
    """An expiry as descriptions print it: `1/16/26`, `06/19/2020` or `Feb. 21, 2025`."""
    if "/" in text:
        return parse_date(text)
    match = re.fullmatch(r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})", text.strip())
    month = _MONTHS.get(match.group(1)[:3].lower()) if match else None
    if match is None or month is None:
        raise ParseError("an expiration date", text)
    try:
        return date(int(match.group(3)), month, int(match.group(2)))
    except ValueError as exc:
        raise ParseError("an expiration date", text, str(exc)) from None


def _expiration(description: str) -> date | None:
    expiry = _EXPIRY.search(description)
    if not expiry:
        return None
    try:
        return _parse_expiry(expiry.group(1))
    except ParseError:
        return None


def _money_in(match: re.Match[str] | None, group: int) -> Decimal | None:
    return Decimal(match.group(group).replace(",", "")) if match else None


def _option_type(contracts: re.Match[str] | None, kind: re.Match[str] | None,
                 shorthand: re.Match[str] | None) -> str | None:
    if contracts:
        return contracts.group(2).lower()
    if kind:
        return kind.group(1).lower()
    return _OPTION_LETTERS[shorthand.group(1)] if shorthand else None


def _strike(description: str, shorthand: re.Match[str] | None, is_option_asset: bool) -> Decimal | None:
    strike = _money_in(_STRIKE.search(description), 1)
    if strike is not None or not is_option_asset:
        return strike
    return _money_in(shorthand, 2) if shorthand else _money_in(_KIND_THEN_PRICE.search(description), 1)


def parse_option_details(description: str, *, is_option_asset: bool = False) -> OptionDetails | None:
    """Read option facts from a description such as
    "Purchased 50 call options with a strike price of $150 and an expiration date of 1/16/26".

    Returns None when the description does not speak of call or put options. On an option asset
    (an [OP] row) the word "option" is not needed, and broker shorthand is read too: "CALL ... $300
    EXP 01/17/25" (a call at $300 expiring 2025-01-17) and "C 300.00" / "P 95.50" (type and strike);
    there, a description with no call, put, such a strike or an expiry still gives None.
    """
    kind = _KIND.search(description)
    expiration = _expiration(description)
    shorthand = _LETTER_AND_STRIKE.search(description) if is_option_asset else None
    if is_option_asset:
        if not (kind or shorthand or expiration):
            return None
    elif not kind or not _SAYS_OPTION.search(description):
        return None
    contracts = _CONTRACTS.search(description)
    action = _ACTION.search(description)
    shares = _SHARES.search(description)
    return OptionDetails(
        action=_ACTIONS[action.group(1).lower()] if action else None,
        option_type=_option_type(contracts, kind, shorthand),
        contracts=int(contracts.group(1).replace(",", "")) if contracts else None,
        strike=_strike(description, shorthand, is_option_asset),
        expiration=expiration,
        shares=int(shares.group(1).replace(",", "")) if shares else None,
    )
