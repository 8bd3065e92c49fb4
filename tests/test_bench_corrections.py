"""The benchmark's reference corrections: parsed, applied row by row, refused when stale, and each one's
cited text really printed on its PDF page with the values it claims."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pdfplumber
import pytest

from agent.models import Transaction
from benchmarks.bench_extract import (
    CORRECTION_COLUMNS,
    CORRECTIONS_FILE,
    Correction,
    CorrectionError,
    Reference,
    RefRow,
    apply_corrections,
    load_manifest,
    load_references,
    parse_corrections,
    score,
)

HEADER = "\t".join(CORRECTION_COLUMNS)
AAPL = RefRow("2020-05-08", "S (partial)", 500001.0, 1000000.0, "AAPL", None)
VISA = RefRow("2020-05-08", "S (partial)", 500001.0, 1000000.0, "V", "SP")
GOOGL = RefRow("2022-12-20", "S", 500001.0, 1000000.0, "GOOGL", None)


def line(action: str, row: RefRow, field: str = "", new_value: str = "", listed: str = "", pages: str = "2",
         printed: str = "SP Visa Inc. (V) [ST] S (partial) 05/08/2020 05/08/2020 $500,001 - / $1,000,000",
         filing: str = "20016726", source: str = "markpiquant") -> str:
    cells = [row.transaction_date, row.transaction_type, row.amount_min, row.amount_max, row.ticker, row.owner]
    texts = ["null" if cell is None else f"{cell:.0f}" if isinstance(cell, float) else cell for cell in cells]
    return "\t".join([action, filing, source, *texts, field, new_value, listed, pages, printed])


def corrections(*lines: str) -> list[Correction]:
    return parse_corrections("# a comment\n" + HEADER + "\n" + "\n".join(lines) + "\n")


def reference(*rows: RefRow, filing: str = "20016726") -> Reference:
    return Reference(filing, "markpiquant", True, rows)


def test_add_drop_and_change_are_applied_to_their_reference() -> None:
    given = [reference(AAPL, AAPL, GOOGL), reference(AAPL, filing="20099999")]
    fixes = corrections(line("add", VISA, listed="0"), line("add", VISA, listed="0"), line("drop", AAPL),
                        line("change", GOOGL, "transaction_type", "S (partial)"))
    fixed, untouched = apply_corrections(given, fixes)
    assert fixed.rows == (AAPL, RefRow("2022-12-20", "S (partial)", 500001.0, 1000000.0, "GOOGL", None), VISA, VISA)
    assert untouched == given[1]


def test_an_add_counts_the_rows_the_reference_already_lists() -> None:
    # The PDF prints the Visa row twice and the reference lists it once (with no owner: null says nothing).
    listed_once = reference(RefRow("2020-05-08", "S (partial)", 500001.0, 1000000.0, "V", None))
    [fixed] = apply_corrections([listed_once], corrections(line("add", VISA, listed="1")))
    assert fixed.rows[-1] == VISA and len(fixed.rows) == 2


@pytest.mark.parametrize(("fix", "why"), [
    (line("drop", VISA), "the reference has no such row"),
    (line("change", VISA, "owner", "JT"), "the reference has no such row"),
    (line("add", AAPL, listed="0"), "the reference lists 1 such row(s), the correction expects 0"),
    (line("add", VISA, listed="0", filing="20000001"), "there is no reference for this filing from this source"),
])
def test_a_stale_correction_fails_naming_it(fix: str, why: str) -> None:
    with pytest.raises(CorrectionError) as raised:
        apply_corrections([reference(AAPL, GOOGL)], corrections(line("drop", GOOGL), fix))
    message = str(raised.value)
    assert message.startswith("1 correction(s) no longer match")
    assert "line 4:" in message and why in message  # line 4: the comment, the header, the good drop, then this
    assert "line 3:" not in message


def test_a_second_drop_of_a_row_listed_once_is_stale() -> None:
    with pytest.raises(CorrectionError, match=r"line 4: drop 20016726 markpiquant .*ticker=GOOGL"):
        apply_corrections([reference(GOOGL)], corrections(line("drop", GOOGL), line("drop", GOOGL)))


@pytest.mark.parametrize(("bad", "message"), [
    (line("move", VISA), "action 'move' is not one of add, drop, change"),
    (line("add", VISA), "an add says in reference_lists"),
    (line("drop", VISA, listed="0"), "only an add does"),
    (line("change", VISA, "asset", "x"), "field 'asset' is not one of"),
    (line("drop", VISA, "owner", "JT"), "a change names the field it changes"),
    (line("change", VISA, "owner", "SP"), "the change leaves owner as it is"),
    (line("drop", VISA, pages="two"), "cites its page number(s) and the printed text"),
    (line("drop", VISA, printed=" "), "cites its page number(s) and the printed text"),
    (line("drop", VISA).replace("\t500001\t", "\tlots\t"), "an amount is not a number"),
    (line("drop", VISA) + "\textra", "15 tab-separated cells, expected 14"),
])
def test_a_malformed_correction_is_refused_naming_its_line(bad: str, message: str) -> None:
    with pytest.raises(CorrectionError, match="line 3: .*" + re.escape(message)):
        corrections(bad)


def test_the_header_is_required() -> None:
    with pytest.raises(CorrectionError, match="must be the header"):
        parse_corrections(line("drop", VISA))


def test_score_counts_found_missed_and_extra_rows() -> None:
    ours = [Transaction(1, owner="SP", ticker="V", transaction_type="S (partial)", transaction_date="2020-05-08",
                        amount_min=500001.0, amount_max=1000000.0),
            Transaction(2, owner="SP", ticker="GOOGL", transaction_type="S (partial)", transaction_date="2022-12-20",
                        amount_min=500001.0, amount_max=1000000.0)]
    result = score([reference(VISA, AAPL), Reference("20016726", "house-stock-watcher", False, (GOOGL,))],
                   {"20016726": ours})
    assert (result.found, result.missed, result.extra, result.exact) == (1, 1, 1, 0)
    assert (result.partial_found, result.partial_total) == (0, 1)  # "S" is not "S (partial)"
    assert (result.owner_right, result.owner_total, result.ticker_right, result.ticker_total) == (1, 1, 1, 1)
    assert len(result.disagreements) == 3


def test_the_corrections_file_parses() -> None:
    assert parse_corrections(CORRECTIONS_FILE.read_text())


def _squashed(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("\x00", "")).lower()


def _money(value: float) -> str:
    return f"${value:,.0f}" if value.is_integer() else f"${value:,.2f}"


def _shown(row: RefRow) -> list[str]:
    """What a printed row must show for `row`: the date, type, amounts, ticker and owner code."""
    month_first = "{1}/{2}/{0}".format(*row.transaction_date.split("-"))
    shown = [f"{row.transaction_type} {month_first}"]
    shown += [_money(value) for value in (row.amount_min, row.amount_max) if value is not None]
    if row.ticker:
        shown.append(f"({row.ticker})")
    return shown


@pytest.mark.shared
@pytest.mark.slow
def test_every_correction_matches_todays_references_and_its_cited_page(shared_filings: Path) -> None:
    fixes = parse_corrections(CORRECTIONS_FILE.read_text())
    apply_corrections(load_references(shared_filings / "truth" / "truth.jsonl"), fixes)
    files = {entry["docid"]: shared_filings / entry["file"] for entry in load_manifest(shared_filings)}
    # Rows printed alike (the same trade listed twice) cite the same text: the page must print it as often.
    cited = Counter((fix.filing_id, fix.pages, fix.printed_text) for fix in fixes)
    texts: dict[tuple[str, int], str] = {}
    for filing_id in {fix.filing_id for fix in fixes}:
        with pdfplumber.open(files[filing_id]) as document:
            texts.update({(filing_id, page.page_number): page.extract_text() for page in document.pages})
    for (filing_id, pages, printed), times in cited.items():
        page_text = _squashed(" ".join(texts[filing_id, number] for number in pages))
        pieces = [_squashed(piece) for piece in printed.split(" / ")]
        assert all(page_text.count(piece) >= times for piece in pieces), (filing_id, pages, printed)
    for fix in fixes:
        if fix.action == "drop":
            continue
        claimed = fix.row if fix.action == "add" else replace(fix.row, **{fix.field_name: fix.new_value})
        text = _squashed(fix.printed_text)
        assert all(_squashed(value) in text for value in _shown(claimed)), fix.name
        if claimed.owner:
            assert fix.printed_text.startswith(claimed.owner + " "), fix.name
        elif claimed.owner == "":
            assert not re.match(r"(SP|JT|DC) ", fix.printed_text), fix.name
