"""Cross-checks of a row's values against each other and the forms' rules: allowed types and owners, dates in
order, an amount that is an official bracket whose bounds match its label, a ticker's shape, a row read twice."""

from __future__ import annotations

from datetime import date

from agent.errors import ParseError
from agent.formats.fields import OWNER_CODES, TRANSACTION_TYPES, is_ticker, parse_amount
from agent.models import Box, Flag, Transaction


def bounds_match_label(row: Transaction) -> bool:
    """amount_min/amount_max are derived from the printed label and must say what it says."""
    try:
        amount = parse_amount(row.amount)
    except ParseError:
        return False
    maximum = None if amount.maximum is None else float(amount.maximum)
    return row.amount_min == float(amount.minimum) and row.amount_max == maximum


def cross_check_row(row: Transaction) -> list[Flag]:
    """Checks of a row against the form's rules: allowed codes, date order, brackets, ticker shape."""
    flags: list[Flag] = []

    def flag(code: str, message: str) -> None:
        flags.append(Flag(code, f"row {row.row_number}: {message}", row.row_number))

    if row.transaction_type not in TRANSACTION_TYPES:
        flag("transaction_type_unknown", f"type {row.transaction_type!r} is not one of P, S, S (partial), E")
    if row.owner and row.owner not in OWNER_CODES:
        flag("owner_unknown", f"owner {row.owner!r} is not SP, JT, DC or blank")
    today = date.today().isoformat()
    for name in ("transaction_date", "notification_date"):
        if getattr(row, name) > today:
            flag("date_in_future", f"{name.replace('_', ' ')} {getattr(row, name)} is after today")
    if row.transaction_date and row.notification_date and row.notification_date < row.transaction_date:
        flag("notification_before_transaction",
             f"notified {row.notification_date}, before the transaction on {row.transaction_date}")
    if row.amount:
        try:
            amount = parse_amount(row.amount)
        except ParseError:
            amount = None
        if amount and not amount.exact and not amount.is_bracket:
            flag("amount_not_bracket", f"{row.amount!r} is not one of the form's value brackets")
    if row.ticker and not is_ticker(row.ticker):
        flag("ticker_shape", f"{row.ticker!r} does not look like a ticker")
    if not row.asset_name:
        flag("missing:asset_name", "no asset name")
    return flags


def duplicate_flags(rows: list[Transaction]) -> list[tuple[Transaction, Flag]]:
    """Two rows read from the same place on the page are one row counted twice: each later one, with its flag.

    (Identical rows printed on separate lines are separate trades: filings do list those.)
    """
    seen: dict[tuple[Box, ...], int] = {}
    found = []
    for row in rows:
        if not row.boxes:
            continue
        key = tuple(row.boxes)
        if key in seen:
            found.append((row, Flag("duplicate_row", f"row {row.row_number} was read from the same place as row "
                                    f"{seen[key]}", row.row_number)))
        else:
            seen[key] = row.row_number
    return found
