"""Cross-checks of a Senate eFD report against itself: the rows against the page's own summary
("(6 transactions total) 6 Self 0 Joint ..."), the `#` column counting down with no gap, and no trade
dated after the report was filed."""

from __future__ import annotations

from collections import Counter

from agent.documents.pdf import Document
from agent.formats.senate_efd import printed_summary
from agent.models import Filing, Flag, Transaction

OWNER_WORDS = {"": "Self", "JT": "Joint", "SP": "Spouse", "DC": "Dependent Child"}


def summary_flags(filing: Filing, document: Document) -> list[Flag]:
    total, owners = printed_summary(document)
    rows = filing.transactions
    if total is None:
        return [Flag("summary_missing", "the page prints no \"(N transactions total)\" summary to check the rows "
                     "against")]
    flags = []
    if total != len(rows):
        flags.append(Flag("row_count_mismatch", f"{len(rows)} rows read but the summary says {total} transactions"))
    counted = Counter(row.owner for row in rows)
    wrong = [f"{OWNER_WORDS[code]} {printed} printed, {counted.get(code, 0)} read" for code, printed in owners.items()
             if counted.get(code, 0) != printed]
    if wrong:
        flags.append(Flag("owner_count_mismatch", "the summary's counts per owner differ from the rows: "
                          + "; ".join(wrong)))
    return flags


def numbering_flags(filing: Filing) -> list[Flag]:
    """The # column numbers the rows 1 to N: a gap or a repeat means a row was lost or read twice, or the page
    itself numbers them wrong (a person should look either way). (eFD lists
    them counting down, though not always: some reports print them in another order, which loses nothing.)"""
    numbers = Counter(row.row_id for row in filing.transactions)
    expected = {str(number) for number in range(1, len(filing.transactions) + 1)}
    missing = sorted(expected - set(numbers), key=int)
    repeated = sorted((number for number, count in numbers.items() if count > 1), key=lambda n: (len(n), n))
    strays = sorted(set(numbers) - expected)
    if not (missing or repeated or strays):
        return []
    parts = ([f"no row numbered {', '.join(missing)}"] if missing else []) + (
        [f"{', '.join(repeated)} printed more than once"] if repeated else []) + (
        [f"unexpected number(s) {', '.join(strays)}"] if strays else [])
    return [Flag("numbering_gap", f"the # column should number the rows 1 to {len(filing.transactions)}: "
                 + "; ".join(parts))]


def date_flags(filing: Filing) -> list[tuple[Transaction, Flag]]:
    """A trade cannot be dated after the report that discloses it was filed."""
    if not filing.filed_date:
        return []
    return [(row, Flag("transaction_after_filing", f"row {row.row_number}: traded {row.transaction_date}, after the "
                       f"report was filed ({filing.filed_date})", row.row_number))
            for row in filing.transactions if row.transaction_date and row.transaction_date > filing.filed_date]


def senate_flags(filing: Filing, document: Document) -> tuple[list[Flag], list[tuple[Transaction, Flag]]]:
    """Filing-level flags, and row-level flags with their rows."""
    return [*summary_flags(filing, document), *numbering_flags(filing)], date_flags(filing)
