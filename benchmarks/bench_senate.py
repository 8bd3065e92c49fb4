"""Senate eFD benchmark over ../shared/senate: saved pages and printed PDFs against each complete reference.

    python -m benchmarks.bench_senate [--senate DIR] [--corrections TSV]

The saved eFD pages (efd/*.html) and the same pages printed to PDF (efd_print/*.pdf) are scored apart, each
against every complete reference (jeremiak, senate-stock-watcher; the paper forms and their partial
transcriptions are not read here): row recall and precision as given and after
benchmarks/senate_corrections.tsv (each wrong reference row added, dropped or changed, citing the row's printed
number and text; a stale correction stops the run, exit 2), per-field accuracy over matched rows, reports read
exactly, crashes, flagged rows. Speed: the median time per saved page, and for the printed PDFs the ratio of our
time to a bare pypdfium2 raw-text pass, timed file by file in turn in this run. Peak memory: the sampled sum of
the resident memory of this process and its document worker processes over all the files.

bench_extract.py's pieces are reused: its reference row (extended with the Senate's asset name, asset type and
comment), row matching (run in tiers, see pair_rows), add counting, memory sampler and interleaved timing. Its
corrections file is not: it names a row by the six House fields and cites PDF pages, while a Senate row also
needs its asset name, asset type and comment to be named and corrected, and is cited by its printed number.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import resource
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.documents.sandbox import default_sandbox
from agent.models import FileOutcome, Transaction
from agent.run.extract import extract_bytes
from benchmarks.bench_extract import (
    AMOUNT_FIELDS,
    EMPTY_LABEL,
    NULL_CELL,
    ROW_FIELDS,
    CorrectionError,
    RefRow,
    TreeMemorySampler,
    cell_text,
    checked_action,
    correction_cells,
    load_manifest,
    match_rows,
    ratio,
    time_interleaved,
    types_agree,
)
from benchmarks.bench_extract import (
    apply_corrections as apply_reference_corrections,
)

ROOT = Path(__file__).resolve().parent.parent
CORRECTIONS_FILE = ROOT / "benchmarks" / "senate_corrections.tsv"
COMPLETE_SOURCES = ("jeremiak", "senate-stock-watcher")
KINDS = (("efd_html", "saved pages (HTML)"), ("efd_print_pdf", "printed PDFs"))
SENATE_ROW_FIELDS = (*ROW_FIELDS, "asset_name", "printed_asset_type", "comment")
NULLABLE_FIELDS = ("amount_max", "ticker", "owner", "printed_asset_type")
CORRECTION_COLUMNS = ("action", "filing_id", "source", *SENATE_ROW_FIELDS, "field", "new_value", "reference_lists",
                      "printed_number", "printed_text")
FIELDS = ("owner", "ticker", "type", "amount", "asset name", "asset type", "comment", "option type", "option strike",
          "option expiration", "bond rate", "bond maturity", "company", "description")
DETAIL_FIELDS = FIELDS[7:]  # from the muted block under the asset name: scored where either side gives one

# Source conventions, undone on the reference side before comparing (see NORMALISATION).
MARKUP_SOURCES = frozenset({"senate-stock-watcher"})  # asset names and comments kept as the page's HTML source
FIRST_LINKED_TICKER_SOURCES = frozenset({"senate-stock-watcher"})  # an exchange's ticker: the first one not '--'
NORMALISATION = (
    "normalised on both sides before comparing (source conventions, not corrections):",
    "  text: runs of white space collapsed, case ignored; a '--' comment, a null ticker or asset type is ''",
    "  senate-stock-watcher's asset names and comments are the page's HTML source: tags read as spaces, entities "
    "decoded once (as a browser shows them)",
    "  a reference's asset name carries the muted details block, split off at its first 'Option Type:', "
    "'Strike price:', 'Expires:', 'Rate/Coupon:', 'Matures:', 'Company:' or 'Description:' and compared field by "
    "field: strikes as numbers, dates M/D/YY or M/D/YYYY as ISO (YY: 20YY), rates without spaces",
    "  an exchange naming two assets is one name in the references: ours compared as asset name then received "
    "asset name; senate-stock-watcher gives it its first linked ticker, so where ours gives up '--' it is "
    "compared with our received ticker",
)


TARGET_ROWS = 0.999
TARGET_FIELD = 0.995
TARGET_PAGE_MS = 5.0
TARGET_PDF_RATIO = 5.0
TARGET_MEMORY_MB = 300

_TAG = re.compile(r"<[^>]*>")
_DETAIL_LABEL = re.compile(r"\b(?:Option Type|Strike price|Expires|Rate/Coupon|Matures|Company|Description)\s*:",
                           re.IGNORECASE)
_DETAILS = {
    "option type": re.compile(r"Option Type:\s*(\w+)", re.IGNORECASE),
    "option strike": re.compile(r"Strike price:\s*\$?\s*([\d,]*\.?\d+)", re.IGNORECASE),
    "option expiration": re.compile(r"Expires:\s*(\d{1,2}/\d{1,2}/\d{2,4})", re.IGNORECASE),
    "bond rate": re.compile(r"Rate/Coupon:\s*([\d.]+\s*%?)", re.IGNORECASE),
    "bond maturity": re.compile(r"Matures:\s*(\d{1,2}/\d{1,2}/\d{2,4})", re.IGNORECASE),
    "company": re.compile(r"Company:\s*(.*?)\s*(?=Description:|$)", re.IGNORECASE),
    "description": re.compile(r"Description:\s*(.*?)\s*$", re.IGNORECASE),
}


# --- references and their corrections ----------------------------------------------------------------

@dataclass(frozen=True)
class SenateRow(RefRow):
    """A Senate reference row: bench_extract's six fields, then the asset name (with its details block), the
    asset type and the comment, all as the reference gives them."""

    asset_name: str
    printed_asset_type: str | None
    comment: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SenateRow:
        return cls(*(data[name] for name in SENATE_ROW_FIELDS))

    def label(self) -> str:
        return " ".join(f"{name}={cell_text(getattr(self, name)) or EMPTY_LABEL}" for name in SENATE_ROW_FIELDS)


@dataclass(frozen=True)
class SenateReference:
    filing_id: str
    source: str
    rows: tuple[SenateRow, ...]


@dataclass(frozen=True)
class SenateCorrection:
    """One reference row shown wrong against its page. `row` is the row to add, or the reference row as given
    that is dropped or whose `field_name` becomes `new_value`; `printed_number` is the row's `#` on the page."""

    line: int
    action: str
    filing_id: str
    source: str
    row: SenateRow
    field_name: str
    new_value: str | float | None
    reference_lists: int
    printed_number: int
    printed_text: str

    @property
    def name(self) -> str:
        change = f"; {self.field_name} -> {cell_text(self.new_value)}" if self.action == "change" else ""
        return f"line {self.line}: {self.action} {self.filing_id} {self.source} #{self.printed_number}{change}"


def _cell_value(name: str, text: str) -> str | float | None:
    if text == NULL_CELL and name in NULLABLE_FIELDS:
        return None
    if name in AMOUNT_FIELDS:
        return float(text)  # ValueError for a malformed amount
    return text


def load_references(path: Path) -> list[SenateReference]:
    """The complete sources' rows in truth.jsonl (the paper transcriptions are left out)."""
    references = []
    with open(path) as handle:
        for line in handle:
            entry = json.loads(line)
            if entry["source"] in COMPLETE_SOURCES and entry["complete"]:
                references.append(SenateReference(entry["filing_id"], entry["source"],
                                                  tuple(SenateRow.from_json(row) for row in entry["rows"])))
    return references


def parse_corrections(text: str) -> list[SenateCorrection]:
    """The Senate corrections (the House benchmark's TSV rules), each checked (see _parse_correction)."""
    return [_parse_correction(number, cells) for number, cells in correction_cells(text, CORRECTION_COLUMNS)]


def _parse_correction(number: int, cells: dict[str, str]) -> SenateCorrection:
    action, name = checked_action(number, cells, SENATE_ROW_FIELDS)
    if not cells["printed_number"].isdigit() or not cells["printed_text"].strip():
        raise CorrectionError(f"line {number}: every correction cites the row's printed number and its printed text")
    try:
        row = SenateRow(*(_cell_value(key, cells[key]) for key in SENATE_ROW_FIELDS))  # type: ignore[arg-type]
        new_value = _cell_value(name, cells["new_value"]) if action == "change" else None
    except ValueError as exc:
        raise CorrectionError(f"line {number}: an amount is not a number ({exc})") from None
    if action == "change" and getattr(row, name) == new_value:
        raise CorrectionError(f"line {number}: the change leaves {name} as it is")
    listed = cells["reference_lists"]
    if (action == "add") != listed.isdigit() or (action != "add" and listed):
        raise CorrectionError(f"line {number}: an add says in reference_lists how many rows of the reference as "
                              "given match its row (usually 0), and only an add does")
    return SenateCorrection(number, action, cells["filing_id"], cells["source"], row, name, new_value,
                            int(listed or 0), int(cells["printed_number"]), cells["printed_text"])


def load_corrections(path: Path) -> list[SenateCorrection]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise CorrectionError(f"cannot read {path} ({exc.strerror or exc})") from None
    try:
        return parse_corrections(text)
    except CorrectionError as exc:
        raise CorrectionError(f"{path.name}: {exc}") from None


def apply_corrections(references: Sequence[SenateReference],
                      corrections: Sequence[SenateCorrection]) -> list[SenateReference]:
    """The references with every correction applied, by bench_extract's rules (a drop or change must find its row,
    an add must find exactly `reference_lists` rows that may be its row)."""
    return apply_reference_corrections(references, corrections, what="report")


# --- what each side says, normalised -------------------------------------------------------------------

def spaced(text: str) -> str:
    return " ".join(text.split())


def shown_text(value: str, source: str) -> str:
    """The text a page shows for a reference's value: markup sources give the page's HTML source."""
    return html.unescape(_TAG.sub(" ", value)) if source in MARKUP_SOURCES else value


def iso_date(printed: str) -> str:
    """M/D/YY or M/D/YYYY as ISO (YY as 20YY); anything else (a page's typo such as 07/30/219) as printed."""
    month, day, year = printed.split("/")
    if len(year) not in (2, 4):
        return printed
    return f"{int(year) + 2000 if len(year) == 2 else int(year):04d}-{int(month):02d}-{int(day):02d}"


def number_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def split_details(shown: str) -> tuple[str, dict[str, str]]:
    """A reference asset name as shown: the name, and the values of its details block, normalised."""
    start = _DETAIL_LABEL.search(shown)
    if start is None:
        return shown, {}
    details = " ".join(shown[start.start():].split())
    values = {}
    for name, pattern in _DETAILS.items():
        found = pattern.search(details)
        if found is None:
            continue
        value = found.group(1)
        if name == "option strike":
            value = number_text(float(value.replace(",", "")))
        elif name in ("option expiration", "bond maturity"):
            value = iso_date(value)
        elif name == "bond rate":
            value = "".join(value.split())
        values[name] = spaced(value)
    return shown[:start.start()], values


def amount_text(low: float | None, high: float | None) -> str:
    return f"{number_text(low)}-{number_text(high)}"


def expected_values(row: SenateRow, source: str) -> dict[str, str | None]:
    """The reference row's scored fields; None where the reference does not say (an owner given as null)."""
    name, details = split_details(shown_text(row.asset_name, source))
    comment = spaced(shown_text(row.comment, source))
    values: dict[str, str | None] = {
        "owner": row.owner, "ticker": row.ticker or "", "type": row.transaction_type,
        "amount": amount_text(row.amount_min, row.amount_max), "asset name": spaced(name),
        "asset type": spaced(row.printed_asset_type or ""), "comment": "" if comment == "--" else comment}
    values.update(details)
    return values


def our_values(row: Transaction, source: str) -> dict[str, str]:
    ticker = (row.ticker or row.received_ticker) if source in FIRST_LINKED_TICKER_SOURCES else row.ticker
    return {
        "owner": row.owner, "ticker": ticker, "type": row.transaction_type,
        "amount": amount_text(row.amount_min, row.amount_max),
        "asset name": spaced(" ".join(part for part in (row.asset_name, row.received_asset_name) if part)),
        "asset type": spaced(row.asset_type_label), "comment": spaced(row.comments),
        "option type": row.option_type, "option strike": number_text(row.option_strike),
        "option expiration": row.option_expiration, "bond rate": "".join(row.bond_rate.split()),
        "bond maturity": row.bond_maturity, "company": spaced(row.company), "description": spaced(row.description)}


def agrees(name: str, expected: str, ours: str) -> bool:
    """Values agree when equal but for case (types: bench_extract's rule, where S* is either sale)."""
    return types_agree(expected, ours) if name == "type" else expected.casefold() == ours.casefold()


# --- matching and scoring ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Expected:
    row: SenateRow
    position: int  # 1-based, in the reference's (the page's) order
    values: dict[str, str | None]


@dataclass(frozen=True)
class Ours:
    row: Transaction
    values: dict[str, str]


def pair_rows(expected: Sequence[Expected], ours: Sequence[Ours]) -> list[tuple[Expected, Ours]]:
    """Pair a report's reference rows with ours, in three tiers: bench_extract's match_rows (same date, type and
    amount, preferring the same ticker and owner) among rows naming the same asset, then among the rest (the
    asset name is then wrong), then rows left that agree on date and asset name alone (so a wrong type or
    amount is a wrong field, not a miss and an extra)."""
    pairs: list[tuple[Expected, Ours]] = []
    by_ref = {id(item.row): item for item in expected}
    by_ours = {id(item.row): item for item in ours}

    def matched(refs: Sequence[Expected], rows: Sequence[Ours]) -> None:
        for ref, row in match_rows([item.row for item in refs], [item.row for item in rows]):
            pairs.append((by_ref[id(ref)], by_ours[id(row)]))

    def left() -> tuple[list[Expected], list[Ours]]:
        used_refs, used_ours = {id(ref.row) for ref, _ in pairs}, {id(row.row) for _, row in pairs}
        return ([item for item in expected if id(item.row) not in used_refs],
                [item for item in ours if id(item.row) not in used_ours])

    groups: dict[str, tuple[list[Expected], list[Ours]]] = defaultdict(lambda: ([], []))
    for ref in expected:
        groups[(ref.values["asset name"] or "").casefold()][0].append(ref)
    for row in ours:
        groups[row.values["asset name"].casefold()][1].append(row)
    for refs, rows in groups.values():
        matched(refs, rows)
    matched(*left())
    refs, rows = left()
    for ref in refs:
        candidates = [row for row in rows if row.row.transaction_date == ref.row.transaction_date
                      and agrees("asset name", ref.values["asset name"] or "", row.values["asset name"])]
        if candidates:
            best = max(candidates, key=lambda row: agrees("ticker", ref.values["ticker"] or "", row.values["ticker"]))
            rows.remove(best)
            pairs.append((ref, best))
    return pairs


@dataclass(frozen=True)
class Disagreement:
    filing_id: str
    where: str  # "#N" (our row's printed number) or "reference row i/n"
    what: str  # a field, or "missed" / "extra"
    reference: str
    ours: str


@dataclass
class Score:
    reports: int = 0
    rows: int = 0
    found: int = 0
    missed: int = 0
    extra: int = 0
    exact: int = 0
    exact_fields: int = 0
    right: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    disagreements: list[Disagreement] = field(default_factory=list)


def our_row_text(row: Transaction) -> str:
    return (f"{row.transaction_date} {row.transaction_type} {row.amount} ticker={row.ticker or '-'} "
            f"owner={row.owner or '-'} {row.asset_name}")


def score(references: Iterable[SenateReference], ours: dict[str, list[Transaction]]) -> Score:
    """Score the references of the reports in `ours` (uuid -> our rows; a failed read has none)."""
    result = Score()
    for reference in references:
        if reference.filing_id not in ours:
            continue
        expected = [Expected(row, position, expected_values(row, reference.source))
                    for position, row in enumerate(reference.rows, start=1)]
        rows = [Ours(row, our_values(row, reference.source)) for row in ours[reference.filing_id]]
        pairs = pair_rows(expected, rows)
        wrong_fields = 0
        for ref, row in pairs:
            for name in FIELDS:
                wanted, got = ref.values.get(name), row.values[name]
                if (name in DETAIL_FIELDS and not (wanted or got)) or (name not in DETAIL_FIELDS and wanted is None):
                    continue
                result.total[name] += 1
                if agrees(name, wanted or "", got):
                    result.right[name] += 1
                else:
                    wrong_fields += 1
                    result.disagreements.append(Disagreement(reference.filing_id, f"#{row.row.row_id}", name,
                                                             wanted or "", got))
        paired_refs, paired_ours = {id(ref.row) for ref, _ in pairs}, {id(row.row) for _, row in pairs}
        total = len(reference.rows)
        result.disagreements += [Disagreement(reference.filing_id, f"reference row {item.position}/{total}", "missed",
                                              item.row.label(), "") for item in expected
                                 if id(item.row) not in paired_refs]
        result.disagreements += [Disagreement(reference.filing_id, f"#{item.row.row_id}", "extra", "",
                                              our_row_text(item.row))
                                 for item in rows if id(item.row) not in paired_ours]
        result.reports += 1
        result.rows += total
        result.found += len(pairs)
        result.missed += total - len(pairs)
        result.extra += len(rows) - len(pairs)
        exact = len(pairs) == total == len(rows)
        result.exact += exact
        result.exact_fields += exact and not wrong_fields
    return result


# --- printing -----------------------------------------------------------------------------------------

def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def rate(right: int, total: int, target: float) -> str:
    if not total:
        return "n/a (none scored)"
    return f"{ratio(right, total)} ({right}/{total}; target >= {target}: {verdict(right / total >= target)})"


def score_lines(label: str, result: Score) -> list[str]:
    found_or_missed, found_or_extra = result.found + result.missed, result.found + result.extra
    return [
        f"    {label}: row recall {rate(result.found, found_or_missed, TARGET_ROWS)}, "
        f"precision {rate(result.found, found_or_extra, TARGET_ROWS)}; missed {result.missed}, extra {result.extra}; "
        f"exact reports {result.exact}/{result.reports} ({ratio(result.exact, result.reports)}), with every scored "
        f"field right too {result.exact_fields}/{result.reports}",
    ]


def field_lines(result: Score) -> list[str]:
    lines = ["    fields over matched rows (after corrections; details where either side gives one):"]
    lines += [f"      {name:17} {rate(result.right[name], result.total[name], TARGET_FIELD)}" for name in FIELDS]
    return lines


def flag_lines(outcomes: Sequence[FileOutcome]) -> list[str]:
    filings = [outcome.filing for outcome in outcomes if outcome.filing]
    rows = [row for filing in filings for row in filing.transactions]
    row_codes = Counter(flag.code for row in rows for flag in row.flags)
    report_codes = Counter(flag.code for filing in filings for flag in filing.flags)
    statuses = Counter(outcome.status for outcome in outcomes)
    return [f"  outcomes: {dict(statuses)}",
            f"  flagged rows: {sum(1 for row in rows if row.flags)} of {len(rows)}; row flag codes: "
            f"{dict(row_codes.most_common())}",
            f"  report-level flag codes: {dict(report_codes.most_common())}"]


def disagreement_lines(found: dict[tuple[str, Disagreement], list[str]]) -> list[str]:
    lines = []
    for (kind, item), sources in sorted(found.items(), key=lambda entry: (entry[0][0], entry[0][1].filing_id)):
        said = f"reference {item.reference!r}, " if item.what != "extra" else ""
        ours = f"ours {item.ours!r}" if item.what != "missed" else "not in ours"
        lines.append(f"  {kind} {item.filing_id} {item.where} {item.what}: {said}{ours} [{', '.join(sources)}]")
    return lines


# --- the run ------------------------------------------------------------------------------------------

@dataclass
class Timings:
    page_seconds: list[float]  # one per saved page
    pdf_ours: float
    pdf_raw: float
    pdf_pages: int
    pdf_files: int


def time_reads(datas: dict[str, bytes], entries: Sequence[dict[str, str]]) -> Timings:
    """Each saved page alone, then the printed PDFs file by file in turn with pypdfium2's raw text
    (bench_extract's time_interleaved, without pdfplumber)."""
    page_seconds = []
    warm_up = entries[0]["file"]  # a worker was started after the memory pass closed the pool: not timed
    extract_bytes(datas[warm_up], Path(warm_up).name)
    for entry in entries:
        if entry["kind"] == "efd_html":
            started = time.perf_counter()
            extract_bytes(datas[entry["file"]], Path(entry["file"]).name)
            page_seconds.append(time.perf_counter() - started)
    pdfs = [{"docid": entry["file"], "file": Path(entry["file"]).name} for entry in entries
            if entry["kind"] == "efd_print_pdf"]
    speed = time_interleaved(ROOT, datas, pdfs, set())  # no pdfplumber files: its folder argument is unused
    return Timings(page_seconds, speed.ours, speed.raw, speed.pages, len(pdfs))


def rows_read(outcome: FileOutcome) -> list[Transaction]:
    return outcome.filing.transactions if outcome.filing else []


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--senate", type=Path, default=ROOT.parent / "shared" / "senate")
    parser.add_argument("--corrections", type=Path, default=CORRECTIONS_FILE)
    args = parser.parse_args()
    references = load_references(args.senate / "truth" / "truth.jsonl")
    try:  # before the long run: a stale correction must stop it at once
        corrections = load_corrections(args.corrections)
        corrected = apply_corrections(references, corrections)
    except CorrectionError as exc:
        print(f"reference corrections do not apply: {exc}", file=sys.stderr)
        return 2
    entries = [entry for entry in load_manifest(args.senate) if entry["kind"] in dict(KINDS)]
    datas = {entry["file"]: (args.senate / entry["file"]).read_bytes() for entry in entries}

    with TreeMemorySampler() as sampler:  # ours alone, so the peak is ours and our workers'
        started = time.perf_counter()
        outcomes = {entry["file"]: extract_bytes(datas[entry["file"]], Path(entry["file"]).name) for entry in entries}
        first_pass = time.perf_counter() - started
    main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
    default_sandbox().close()  # waits for the workers, so their peak shows in RUSAGE_CHILDREN
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss << 10
    timings = time_reads(datas, entries)

    kinds = Counter(correction.action for correction in corrections)
    changed = Counter(correction.field_name for correction in corrections if correction.action == "change")
    counts = [f"{sum(entry['kind'] == kind for entry in entries)} {label}" for kind, label in KINDS]
    covered = [f"{source} {sum(ref.source == source for ref in references)} reports" for source in COMPLETE_SOURCES]
    print(f"files: {len(entries)} ({', '.join(counts)}); complete references: {', '.join(covered)}")
    print(f"corrections ({args.corrections.name}): {len(corrections)} rows: {kinds['add']} add, {kinds['drop']} drop, "
          f"{kinds['change']} change {dict(changed)}; each cites the row's printed number and text")
    print("\n".join(NORMALISATION))
    crashes = 0
    found: dict[tuple[str, Disagreement], list[str]] = defaultdict(list)
    for kind, label in KINDS:
        mine = [entry for entry in entries if entry["kind"] == kind]
        read = [outcomes[entry["file"]] for entry in mine]
        failed = [outcome for outcome in read if outcome.status == "failed"]
        crashes += len(failed)
        ours = {entry["uuid"]: rows_read(outcomes[entry["file"]]) for entry in mine}
        print(f"\n{label}: {len(mine)} files; crashes (failed outcomes): {len(failed)} (target 0: "
              f"{verdict(not failed)})")
        print("\n".join(f"  failed: {outcome.source_file}: {outcome.reason}" for outcome in failed))
        for outcome in read:
            if outcome.status != "failed" and outcome.filing and outcome.filing.layout != "senate_efd":
                print(f"  not read as a Senate report: {outcome.source_file}: {outcome.filing.layout}: "
                      f"{outcome.reason}")
        print("\n".join(flag_lines(read)))
        for source in COMPLETE_SOURCES:
            raw = score([r for r in references if r.source == source], ours)
            fixed = score([r for r in corrected if r.source == source], ours)
            print(f"  against {source} ({fixed.reports} reports, {fixed.rows} rows after corrections):")
            print("\n".join(score_lines("as given", raw) + score_lines("after corrections", fixed)))
            print("\n".join(field_lines(fixed)))
            for item in fixed.disagreements:
                found[label, item].append(source)

    median_ms = 1000 * statistics.median(timings.page_seconds)
    pdf_ratio = timings.pdf_ours / timings.pdf_raw
    print(f"\nspeed: saved pages median {median_ms:.2f} ms (target <= {TARGET_PAGE_MS} ms: "
          f"{verdict(median_ms <= TARGET_PAGE_MS)}), mean {1000 * statistics.mean(timings.page_seconds):.2f} ms, "
          f"max {1000 * max(timings.page_seconds):.1f} ms over {len(timings.page_seconds)} pages, each read alone")
    print(f"  printed PDFs: ours {timings.pdf_ours:.2f} s, pypdfium2 raw text {timings.pdf_raw:.2f} s over the same "
          f"{timings.pdf_files} files ({timings.pdf_pages} pages), timed file by file in turn: ours / raw text = "
          f"{pdf_ratio:.2f}x (target <= {TARGET_PDF_RATIO}x: {verdict(pdf_ratio <= TARGET_PDF_RATIO)}); "
          f"{1000 * timings.pdf_ours / timings.pdf_pages:.1f} ms/page")
    peak_mb = sampler.peak / 2**20
    print(f"memory: peak {peak_mb:.0f} MB over all {len(entries)} files (target < {TARGET_MEMORY_MB} MB: "
          f"{verdict(peak_mb < TARGET_MEMORY_MB)}): VmRSS of this process plus its document workers summed at each "
          f"instant ({sampler.peak_processes} processes at the peak; {sampler.samples} samples in {first_pass:.1f} s; "
          f"shared pages count once per process). Cross-check: main process max RSS {main_peak / 2**20:.0f} MB, "
          f"largest worker max RSS {worker_peak / 2**20:.0f} MB")
    if found:
        print(f"\ndisagreements after the corrections ({len(found)}; the page wins: check each against the page and "
              f"correct the reference in {args.corrections.name}, or report the reader):")
        print("\n".join(disagreement_lines(found)))
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
