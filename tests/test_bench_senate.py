"""The Senate benchmark's own logic: its corrections (parsed, applied, refused when stale), its normalisation of
each reference's conventions, its tiered row matching, and, on the real data, that the hand-checked goldens agree
with both references on every scored field (so what the benchmark counts wrong is wrong)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from agent.models import Transaction
from benchmarks.bench_extract import CorrectionError
from benchmarks.bench_senate import (
    CORRECTION_COLUMNS,
    CORRECTIONS_FILE,
    FIELDS,
    SENATE_ROW_FIELDS,
    SenateCorrection,
    SenateReference,
    SenateRow,
    apply_corrections,
    load_references,
    parse_corrections,
    score,
)
from tests.conftest import ROOT, senate_file

GOLDEN = ROOT / "tests" / "golden_senate"
HEADER = "\t".join(CORRECTION_COLUMNS)
UUID = "370492b8-ed0a-4792-b45b-972d5da8a1e5"
MERCK = SenateRow("2020-02-05", "S (partial)", 1001.0, 15000.0, "MRK", "SP",
                  "Merck & Co., Inc. Option Type: Put Strike price: $77.50 Expires: 09/18/2020", "Stock Option", "--")
DELTA = SenateRow("2020-02-05", "S (partial)", 1001.0, 15000.0, "DAL", "SP",
                  "Delta Air Lines, Inc. Option Type: Put Strike price: $52.50 Expires: 09/18/2020", "Stock Option",
                  "--")
PRINTED = "10 | 02/05/2020 | Spouse | MRK | Merck & Co., Inc. | Stock Option | Sale (Partial) | $1,001 - $15,000 | --"


def line(action: str, row: SenateRow, field: str = "", new_value: str = "", listed: str = "", number: str = "10",
         printed: str = PRINTED, filing: str = UUID, source: str = "jeremiak") -> str:
    cells = [getattr(row, name) for name in SENATE_ROW_FIELDS]
    texts = ["null" if cell is None else f"{cell:.0f}" if isinstance(cell, float) else cell for cell in cells]
    return "\t".join([action, filing, source, *texts, field, new_value, listed, number, printed])


def corrections(*lines: str) -> list[SenateCorrection]:
    return parse_corrections("# a comment\n" + HEADER + "\n" + "\n".join(lines) + "\n")


def reference(*rows: SenateRow, source: str = "jeremiak") -> SenateReference:
    return SenateReference(UUID, source, rows)


def ours(number: int, **values: object) -> Transaction:
    row = {"row_id": str(number), "transaction_date": "2020-02-05", "transaction_type": "S (partial)",
           "amount_min": 1001.0, "amount_max": 15000.0, "owner": "SP", "asset_type_label": "Stock Option",
           "option_type": "put", "option_expiration": "2020-09-18"} | values
    return Transaction(number, **row)  # type: ignore[arg-type]


MERCK_OURS = ours(10, ticker="MRK", asset_name="Merck & Co., Inc.", option_strike=77.5)
DELTA_OURS = ours(9, ticker="DAL", asset_name="Delta Air Lines, Inc.", option_strike=52.5)


def test_add_drop_and_change_apply_to_their_reference_a_senate_field_included() -> None:
    fixes = corrections(line("change", MERCK, "asset_name", "Merck & Co., Inc."), line("drop", DELTA),
                        line("add", DELTA, listed="0", source="senate-stock-watcher"))
    fixed, added = apply_corrections([reference(MERCK, DELTA), reference(source="senate-stock-watcher")], fixes)
    assert [row.asset_name for row in fixed.rows] == ["Merck & Co., Inc."]
    assert added.rows == (DELTA,)


@pytest.mark.parametrize(("fix", "why"), [
    (line("drop", MERCK), "the reference has no such row"),
    (line("change", MERCK, "comment", "Put sold"), "the reference has no such row"),
    (line("add", DELTA, listed="0"), "the reference lists 1 such row(s), the correction expects 0"),
    (line("add", MERCK, listed="0", source="senate-stock-watcher"), "there is no reference for this report"),
])
def test_a_stale_correction_fails_naming_it(fix: str, why: str) -> None:
    with pytest.raises(CorrectionError) as raised:
        apply_corrections([reference(DELTA)], corrections(line("drop", DELTA), fix))
    message = str(raised.value)
    assert message.startswith("1 correction(s) no longer match") and "line 4:" in message and why in message
    assert "line 3:" not in message  # the good drop before it


@pytest.mark.parametrize(("bad", "message"), [
    (line("move", MERCK), "action 'move' is not one of add, drop, change"),
    (line("add", MERCK), "an add says in reference_lists"),
    (line("change", MERCK, "option_strike", "80"), "field 'option_strike' is not one of"),
    (line("change", MERCK, "owner", "SP"), "the change leaves owner as it is"),
    (line("drop", MERCK, number="#10"), "cites the row's printed number and its printed text"),
    (line("drop", MERCK, printed=" "), "cites the row's printed number and its printed text"),
    (line("drop", MERCK).replace("\t1001\t", "\tsome\t"), "an amount is not a number"),
    (line("drop", MERCK) + "\textra", "18 tab-separated cells, expected 17"),
])
def test_a_malformed_correction_is_refused_naming_its_line(bad: str, message: str) -> None:
    with pytest.raises(CorrectionError, match="line 3: .*" + re.escape(message)):
        corrections(bad)


def test_null_is_none_only_where_the_reference_may_say_null() -> None:
    [fix] = corrections(line("drop", SenateRow("2020-02-05", "P", 1001.0, None, None, None, "null", None, "null")))
    assert (fix.row.ticker, fix.row.owner, fix.row.amount_max, fix.row.printed_asset_type) == (None,) * 4
    assert (fix.row.asset_name, fix.row.comment) == ("null", "null")  # text the page could print


def test_senate_stock_watchers_markup_and_details_compare_as_the_page_shows_them() -> None:
    markup = replace(MERCK, asset_name='Merck &amp; Co., Inc. <div class="text-muted">Option Type: Put <br><em>'
                     "Strike price:</em> $77.50 <br> <em>Expires:</em> 09/18/2020 </div>")
    for given in (reference(MERCK), reference(markup, source="senate-stock-watcher")):
        result = score([given], {UUID: [MERCK_OURS]})
        assert result.exact_fields == 1 and not result.disagreements
        assert result.total["option strike"] == result.total["asset name"] == 1
    # Read as jeremiak's plain text, the same markup is a wrong name and unreadable details: the source's convention.
    result = score([reference(markup, source="jeremiak")], {UUID: [MERCK_OURS]})
    assert [item.what for item in result.disagreements] == ["asset name", "option strike", "option expiration"]


def test_an_exchanges_ticker_follows_each_sources_convention() -> None:
    fox = Transaction(1, row_id="16", transaction_date="2019-03-20", transaction_type="E", amount_min=15001.0,
                      amount_max=50000.0, owner="JT", asset_name="21st Century Fox Class B (Exchanged)",
                      received_ticker="DIS", received_asset_name="The Walt Disney Company (Received)",
                      asset_type_label="Stock")

    def given(ticker: str | None) -> SenateRow:
        return SenateRow("2019-03-20", "E", 15001.0, 50000.0, ticker, "JT",
                         "21st Century Fox Class B (Exchanged) <br> The Walt Disney Company (Received)", "Stock", "--")

    def ticker_right(source: str, ticker: str | None) -> int:
        return score([SenateReference(UUID, source, (given(ticker),))], {UUID: [fox]}).right["ticker"]

    assert ticker_right("senate-stock-watcher", "DIS") == 1  # its first linked ticker
    assert ticker_right("jeremiak", None) == 1  # the first ticker, '--'
    assert ticker_right("jeremiak", "DIS") == 0


def test_rows_pair_by_asset_and_a_wrong_type_or_amount_is_a_wrong_field() -> None:
    # Same date, type and amount, no ticker to tell them apart: paired by asset name, not by order.
    bonds = [SenateRow("2017-09-20", "P", 15001.0, 50000.0, None, "SP", f"{name} Rate/Coupon: 4.0% Matures: 07/15/22",
                       "Corporate Bond", "--") for name in ("Compass Bank", "Government Properties Inc")]
    read = [Transaction(number, row_id=str(number), transaction_date="2017-09-20", transaction_type="P",
                        amount_min=15001.0, amount_max=50000.0, owner="SP", asset_name=name,
                        asset_type_label="Corporate Bond", bond_rate="4.0%", bond_maturity="2022-07-15")
            for number, name in ((2, "Government Properties Inc"), (1, "Compass Bank"))]
    assert score([reference(*bonds)], {UUID: read}).exact_fields == 1
    wrong = [ours(10, ticker="MRK", asset_name="Merck & Co., Inc.", option_strike=77.5, transaction_type="P"),
             ours(9, ticker="DAL", asset_name="Delta Air Lines, Inc.", option_strike=52.5, amount_max=50000.0)]
    result = score([reference(MERCK, DELTA)], {UUID: wrong})
    assert (result.found, result.missed, result.extra, result.exact, result.exact_fields) == (2, 0, 0, 1, 0)
    assert sorted((item.where, item.what) for item in result.disagreements) == [("#10", "type"), ("#9", "amount")]


def test_missed_and_extra_rows_are_counted_and_listed() -> None:
    # Another asset on the same date, type and amount is the row with a wrong name; on another date it is not.
    assert score([reference(MERCK)], {UUID: [DELTA_OURS]}).right["asset name"] == 0
    result = score([reference(MERCK)], {UUID: [replace(DELTA_OURS, transaction_date="2020-02-06")]})
    assert (result.found, result.missed, result.extra, result.exact) == (0, 1, 1, 0)
    assert [item.what for item in result.disagreements] == ["missed", "extra"]
    assert score([reference(MERCK)], {}).reports == 0  # a report not read in this kind is not scored


def test_the_corrections_file_parses() -> None:
    parse_corrections(CORRECTIONS_FILE.read_text())


def _golden_rows(path: Path) -> list[Transaction]:
    names = {"transaction_date", "owner", "ticker", "asset_name", "received_ticker", "received_asset_name",
             "asset_type_label", "transaction_type", "amount", "comments", "option_type", "option_strike",
             "option_expiration", "bond_rate", "bond_maturity", "company", "description"}
    rows = json.loads(path.read_text())["rows"]
    return [Transaction(position, row_id=str(row["number"]), amount_min=float(row["amount_min"]),
                        amount_max=None if row["amount_max"] is None else float(row["amount_max"]),
                        **{name: row[name] for name in names})
            for position, row in enumerate(rows, start=1)]


@pytest.mark.shared
def test_the_hand_checked_goldens_agree_with_both_references_on_every_scored_field() -> None:
    references = load_references(senate_file("truth/truth.jsonl"))
    goldens = {path.stem: _golden_rows(path) for path in GOLDEN.glob("*.json")}
    for source in ("jeremiak", "senate-stock-watcher"):
        result = score([item for item in references if item.source == source], goldens)
        assert result.reports >= 20 and result.exact_fields == result.reports, result.disagreements
        assert {"option strike", "bond maturity", "company", "ticker"} <= {name for name in FIELDS
                                                                          if result.total[name]}


def _shown_text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", page)).split()).casefold()


@pytest.mark.shared
def test_every_correction_applies_today_and_its_printed_cells_are_on_its_page() -> None:
    fixes = parse_corrections(CORRECTIONS_FILE.read_text())
    apply_corrections(load_references(senate_file("truth/truth.jsonl")), fixes)
    for fix in fixes:
        page = _shown_text(senate_file(f"efd/{fix.filing_id}.html").read_text())
        cells = [" ".join(cell.split()).casefold() for cell in fix.printed_text.split(" | ")]
        assert cells[0] == str(fix.printed_number) and all(cell in page for cell in cells), fix.name
