"""Extraction benchmark over ../shared/filings: accuracy against truth.jsonl, crashes, speed, memory.

    python -m benchmarks.bench_extract [--filings DIR] [--corrections TSV] [--plumber-pages N]

Accuracy is scored twice over every reference filing: against the references as given, and after applying
benchmarks/reference_corrections.tsv, where each reference row shown wrong against its PDF is added, dropped
or changed, citing the page and the printed text that prove it. A correction that no longer matches its
reference stops the benchmark (exit 2), naming the correction.

Speed is reported as ratios measured in this same run, file by file in turn: our time over a bare pypdfium2
raw-text pass of the same files, and over pdfplumber's extract_text() of the same pages (all electronic pages
unless --plumber-pages picks a sample; ours is then compared on exactly those files). Peak memory is the
sampled sum of the resident memory of this process and of its PDF worker processes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

import pdfplumber
import pypdfium2 as pdfium

from agent.documents.sandbox import default_sandbox
from agent.models import FileOutcome, Transaction
from agent.run.extract import extract_bytes

ROOT = Path(__file__).resolve().parent.parent

CORRECTIONS_FILE = ROOT / "benchmarks" / "reference_corrections.tsv"
ROW_FIELDS = ("transaction_date", "transaction_type", "amount_min", "amount_max", "ticker", "owner")
AMOUNT_FIELDS = ("amount_min", "amount_max")
ACTIONS = ("add", "drop", "change")
CORRECTION_COLUMNS = ("action", "filing_id", "source", *ROW_FIELDS, "field", "new_value", "reference_lists", "pages",
                      "printed_text")
TAB = "\t"
NULL_CELL = "null"  # a JSON null in truth.jsonl (the source does not say); an empty cell is the empty string
EMPTY_LABEL = "''"  # the empty string, in messages
SAMPLE_INTERVAL = 0.02  # seconds between memory samples
TREE_RESCAN = 0.2  # seconds between scans of /proc for the PDF worker processes
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# --- references and their corrections ----------------------------------------------------------------

@dataclass(frozen=True)
class RefRow:
    """One reference transaction, reduced to the fields the benchmark scores."""

    transaction_date: str
    transaction_type: str
    amount_min: float | None
    amount_max: float | None
    ticker: str | None
    owner: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RefRow:
        return cls(data["transaction_date"], data["transaction_type"], data["amount_min"], data["amount_max"],
                   data["ticker"], data["owner"])

    def label(self) -> str:
        return " ".join(f"{name}={cell_text(getattr(self, name)) or EMPTY_LABEL}" for name in ROW_FIELDS)


@dataclass(frozen=True)
class Reference:
    """One source's rows for one filing; `complete` sources list every transaction of the filing."""

    filing_id: str
    source: str
    complete: bool
    rows: tuple[RefRow, ...]


@dataclass(frozen=True)
class Correction:
    """One reference row shown wrong against the PDF. `row` is the row to add, or the reference row as given
    that is dropped or whose `field` becomes `new_value`."""

    line: int  # in the corrections file, to name the correction
    action: str
    filing_id: str
    source: str
    row: RefRow
    field_name: str  # the changed field (a change only)
    new_value: str | float | None
    reference_lists: int  # an add only: how many rows of the reference as given match its row (see `lists`)
    pages: tuple[int, ...]  # where the row is printed: one page, or two when it continues on the next
    printed_text: str

    @property
    def name(self) -> str:
        change = f"; {self.field_name} -> {cell_text(self.new_value)}" if self.action == "change" else ""
        return f"line {self.line}: {self.action} {self.filing_id} {self.source} [{self.row.label()}{change}]"


class CorrectionError(Exception):
    """A corrections file that is malformed, or a correction that no longer matches its reference."""


def cell_text(value: str | float | None) -> str:
    if value is None:
        return NULL_CELL
    if isinstance(value, float):
        return f"{value:.2f}".removesuffix(".00")
    return value


def _cell_value(name: str, text: str) -> str | float | None:
    if text == NULL_CELL:
        return None
    if name in AMOUNT_FIELDS:
        return float(text)  # ValueError for a malformed amount
    return text


def load_references(path: Path) -> list[Reference]:
    references = []
    with open(path) as handle:
        for line in handle:
            entry = json.loads(line)
            references.append(Reference(entry["filing_id"], entry["source"], entry["complete"],
                                        tuple(RefRow.from_json(row) for row in entry["rows"])))
    return references


def correction_cells(text: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """A corrections TSV's rows as (line number, cells): `#` lines are comments, then a header naming `columns`,
    then one correction per line. Raises CorrectionError naming the line of anything malformed."""
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.startswith("#")]
    if not lines or tuple(lines[0][1].split(TAB)) != columns:
        raise CorrectionError("the first line that is not a comment must be the header: " + TAB.join(columns))
    rows = []
    for number, line in lines[1:]:
        values = line.split(TAB)
        if len(values) != len(columns):
            raise CorrectionError(f"line {number}: {len(values)} tab-separated cells, expected {len(columns)}")
        rows.append((number, dict(zip(columns, values, strict=True))))
    return rows


def parse_corrections(text: str) -> list[Correction]:
    """The House corrections, each checked (see _parse_correction)."""
    return [_parse_correction(number, cells) for number, cells in correction_cells(text, CORRECTION_COLUMNS)]


def checked_action(number: int, cells: dict[str, str], fields: Sequence[str]) -> tuple[str, str]:
    """A correction's action and the field it changes, checked: a known action; a field for a change, and only
    for a change; a field among `fields`."""
    action, name = cells["action"], cells["field"]
    if action not in ACTIONS:
        raise CorrectionError(f"line {number}: action {action!r} is not one of {', '.join(ACTIONS)}")
    if (action == "change") != bool(name):
        raise CorrectionError(f"line {number}: a change names the field it changes, and only a change does")
    if action == "change" and name not in fields:
        raise CorrectionError(f"line {number}: field {name!r} is not one of {', '.join(fields)}")
    return action, name


def _parse_correction(number: int, cells: dict[str, str]) -> Correction:
    action, name = checked_action(number, cells, ROW_FIELDS)
    pages = cells["pages"].split(",")
    if not all(page.isdigit() for page in pages) or not cells["printed_text"].strip():
        raise CorrectionError(f"line {number}: every correction cites its page number(s) and the printed text")
    try:
        row = RefRow(**{key: _cell_value(key, cells[key]) for key in ROW_FIELDS})  # type: ignore[arg-type]
        new_value = _cell_value(name, cells["new_value"]) if action == "change" else None
    except ValueError as exc:
        raise CorrectionError(f"line {number}: an amount is not a number ({exc})") from None
    if action == "change" and getattr(row, name) == new_value:
        raise CorrectionError(f"line {number}: the change leaves {name} as it is")
    listed = cells["reference_lists"]
    if (action == "add") != listed.isdigit() or (action != "add" and listed):
        raise CorrectionError(f"line {number}: an add says in reference_lists how many rows of the reference as "
                              "given match its row (usually 0), and only an add does")
    return Correction(number, action, cells["filing_id"], cells["source"], row, name, new_value,
                      int(listed or 0), tuple(int(page) for page in pages), cells["printed_text"])


def load_corrections(path: Path) -> list[Correction]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise CorrectionError(f"cannot read {path} ({exc.strerror or exc})") from None
    try:
        return parse_corrections(text)
    except CorrectionError as exc:
        raise CorrectionError(f"{path.name}: {exc}") from None


def lists(rows: Iterable[RefRow], added: RefRow) -> int:
    """How many of `rows` may be `added`: same date, type and amount, and the same ticker and owner wherever
    both give one (null says nothing)."""
    return sum(row.transaction_date == added.transaction_date and row.transaction_type == added.transaction_type
               and row.amount_min == added.amount_min and row.amount_max == added.amount_max
               and (row.ticker is None or added.ticker is None or row.ticker == added.ticker)
               and (row.owner is None or added.owner is None or row.owner == added.owner) for row in rows)


class ReferenceRows(Protocol):
    """What apply_corrections needs of a reference: the House's Reference, or the Senate benchmark's."""

    @property
    def filing_id(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def rows(self) -> tuple[Any, ...]: ...


Ref = TypeVar("Ref", bound=ReferenceRows)


def apply_corrections(references: Sequence[Ref], corrections: Sequence[Any], what: str = "filing") -> list[Ref]:
    """The references with every correction applied (the House's, or the Senate benchmark's, whose references and
    corrections have the same fields). A drop or change must find its row (as given, every field equal) in the
    reference; an add must find its row in the reference as given exactly `reference_lists` times (see `lists`):
    more means the reference lists it now, as when the PDF prints a row twice and the reference lists it once.
    Raises CorrectionError naming every correction that does not match."""
    by_key = {(reference.filing_id, reference.source): reference for reference in references}
    rows = {key: list(reference.rows) for key, reference in by_key.items()}
    stale = []
    for correction in corrections:
        key = (correction.filing_id, correction.source)
        if key not in by_key:
            stale.append(f"{correction.name}: there is no reference for this {what} from this source")
        elif correction.action == "add":
            listed = lists(by_key[key].rows, correction.row)
            if listed != correction.reference_lists:
                stale.append(f"{correction.name}: the reference lists {listed} such row(s), "
                             f"the correction expects {correction.reference_lists}")
            else:
                rows[key].append(correction.row)
        elif correction.row not in rows[key]:
            stale.append(f"{correction.name}: the reference has no such row")
        elif correction.action == "drop":
            rows[key].remove(correction.row)
        else:
            index = rows[key].index(correction.row)
            rows[key][index] = replace(correction.row, **{correction.field_name: correction.new_value})
    if stale:
        raise CorrectionError(f"{len(stale)} correction(s) no longer match their reference:\n  " + "\n  ".join(stale))
    return [replace(reference, rows=tuple(rows[key])) for key, reference in by_key.items()]


# --- scoring ----------------------------------------------------------------------------------------

def types_agree(reference: str, ours: str) -> bool:
    # "S*" is a sale whose full/partial kind the reference does not say.
    return reference == ours or (reference == "S*" and ours in ("S", "S (partial)"))


def match_rows(reference: Sequence[RefRow], ours: Sequence[Transaction]) -> list[tuple[RefRow, Transaction]]:
    """Pair reference rows with ours on date, type and amount; among candidates prefer the same ticker
    and owner (filings often list the same trade once per owner)."""
    unused = list(ours)
    pairs = []
    for ref in reference:
        candidates = [row for row in unused
                      if row.transaction_date == ref.transaction_date
                      and types_agree(ref.transaction_type, row.transaction_type)
                      and row.amount_min == ref.amount_min and row.amount_max == ref.amount_max]
        if not candidates:
            continue
        best = max(candidates, key=lambda row: (bool(ref.ticker) and row.ticker == ref.ticker,
                                                ref.owner is not None and row.owner == ref.owner))
        unused.remove(best)
        pairs.append((ref, best))
    return pairs


def row_text(row: Transaction) -> str:
    return (f"row {row.row_number} p.{row.page}: {row.transaction_date} {row.transaction_type} {row.amount} "
            f"ticker={row.ticker or '-'} owner={row.owner or '-'}")


@dataclass
class Score:
    """Agreement of our rows with a set of references. Tickers and owners are scored on matched rows where the
    reference gives one (markpiquant gives no owner, and a ticker only where the asset name's first line
    shows it)."""

    complete_sources: int = 0
    found: int = 0
    missed: int = 0
    extra: int = 0
    exact: int = 0
    partial_found: int = 0
    partial_total: int = 0
    ticker_right: int = 0
    ticker_total: int = 0
    owner_right: int = 0
    owner_total: int = 0
    disagreements: list[str] = field(default_factory=list)


def score(references: Iterable[Reference], ours: dict[str, list[Transaction]]) -> Score:
    result = Score()
    for reference in references:
        rows = ours.get(reference.filing_id, [])
        pairs = match_rows(reference.rows, rows)
        where = f"{reference.filing_id} {reference.source}"
        for ref, row in pairs:
            if ref.ticker:
                result.ticker_total += 1
                result.ticker_right += ref.ticker == row.ticker
                if ref.ticker != row.ticker:
                    result.disagreements.append(f"{where} ticker {ref.ticker} vs ours {row.ticker} ({row_text(row)})")
            if ref.owner is not None:
                result.owner_total += 1
                result.owner_right += ref.owner == row.owner
                if ref.owner != row.owner:
                    result.disagreements.append(f"{where} owner {ref.owner!r} vs ours {row.owner!r} ({row_text(row)})")
        unmatched = Counter(reference.rows) - Counter(ref for ref, _ in pairs)
        result.disagreements += [f"{where} reference row not in ours: {ref.label()}" for ref in unmatched.elements()]
        if reference.complete:
            result.complete_sources += 1
            result.found += len(pairs)
            result.missed += len(reference.rows) - len(pairs)
            result.extra += len(rows) - len(pairs)
            result.exact += len(pairs) == len(reference.rows) == len(rows)
            matched_ours = {id(row) for _, row in pairs}
            result.disagreements += [f"{where} our row not in the reference: {row_text(row)}"
                                     for row in rows if id(row) not in matched_ours]
        else:
            result.partial_found += len(pairs)
            result.partial_total += len(reference.rows)
    return result


def ratio(a: float, b: float) -> str:
    return f"{a / b:.4f}" if b else "n/a"


def score_lines(label: str, result: Score) -> list[str]:
    return [
        f"{label}:",
        f"  complete references ({result.complete_sources} filing-sources): row recall "
        f"{ratio(result.found, result.found + result.missed)}, "
        f"precision {ratio(result.found, result.found + result.extra)} "
        f"(found {result.found}, missed {result.missed}, extra {result.extra}); filings reproduced exactly "
        f"{ratio(result.exact, result.complete_sources)} ({result.exact}/{result.complete_sources})",
        f"  partial references: row recall {ratio(result.partial_found, result.partial_total)} "
        f"({result.partial_found}/{result.partial_total})",
        f"  ticker accuracy {ratio(result.ticker_right, result.ticker_total)} "
        f"({result.ticker_right}/{result.ticker_total}); owner accuracy {ratio(result.owner_right, result.owner_total)}"
        f" ({result.owner_right}/{result.owner_total}); disagreements: {len(result.disagreements)}",
    ]


# --- speed and memory -------------------------------------------------------------------------------

def process_tree() -> list[int]:
    """This process and all its descendants, from a scan of /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # the process ended meanwhile
            children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [os.getpid()]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending += children.get(pid, [])
    return tree


def resident_bytes(pid: int) -> int | None:
    """VmRSS of `pid`, or None once it has ended."""
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return None


class TreeMemorySampler:
    """Sums the VmRSS of this process and its descendants every `interval` seconds, in a thread, and keeps the
    peak. Scanning /proc for descendants costs milliseconds, so the tree is rescanned every `rescan` seconds
    and whenever one of its processes ends; in between only their statm files are read."""

    def __init__(self, interval: float = SAMPLE_INTERVAL, rescan: float = TREE_RESCAN) -> None:
        self.interval = interval
        self.rescan = rescan
        self.peak = 0
        self.peak_processes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    def _run(self) -> None:
        tree, scanned = process_tree(), time.monotonic()
        while True:
            sizes = [resident_bytes(pid) for pid in tree]
            if None in sizes or time.monotonic() - scanned > self.rescan:
                tree, scanned = process_tree(), time.monotonic()
            self.samples += 1
            total = sum(size for size in sizes if size)
            if total > self.peak:
                self.peak, self.peak_processes = total, sum(1 for size in sizes if size)
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreeMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()


def time_ours(datas: dict[str, bytes], entries: Sequence[dict[str, str]]) -> tuple[float, dict[str, FileOutcome]]:
    started = time.perf_counter()
    outcomes = {entry["docid"]: extract_bytes(datas[entry["docid"]], entry["file"]) for entry in entries}
    return time.perf_counter() - started, outcomes


def raw_text_pages(data: bytes) -> int:
    """pypdfium2's bare text of every page: the floor any PDFium-based reader pays."""
    document = pdfium.PdfDocument(data)
    pages = 0
    for page in document:
        textpage = page.get_textpage()
        textpage.get_text_range()
        textpage.close()
        page.close()
        pages += 1
    document.close()
    return pages


def plumber_text_pages(path: Path) -> int:
    with pdfplumber.open(path) as document:
        for page in document.pages:
            page.extract_text()
        return len(document.pages)


@dataclass
class Speed:
    """Seconds summed over files; `plumber_*` over the files pdfplumber read."""

    ours: float = 0.0
    raw: float = 0.0
    pages: int = 0
    plumber: float = 0.0
    ours_on_plumber_files: float = 0.0
    plumber_files: int = 0
    plumber_pages: int = 0


def time_interleaved(filings: Path, datas: dict[str, bytes], entries: Sequence[dict[str, str]],
                     plumber_files: set[str]) -> Speed:
    """Ours, pypdfium2 raw text and (on `plumber_files`) pdfplumber, one file at a time in turn, so a machine
    that gets busier or quieter during the run shifts all three alike."""
    speed = Speed()
    for entry in entries:
        data = datas[entry["docid"]]
        started = time.perf_counter()
        extract_bytes(data, entry["file"])
        ours = time.perf_counter() - started
        speed.ours += ours
        started = time.perf_counter()
        speed.pages += raw_text_pages(data)
        speed.raw += time.perf_counter() - started
        if entry["docid"] in plumber_files:
            started = time.perf_counter()
            speed.plumber_pages += plumber_text_pages(filings / entry["file"])
            speed.plumber += time.perf_counter() - started
            speed.ours_on_plumber_files += ours
            speed.plumber_files += 1
    return speed


def plumber_sample(entries: Sequence[dict[str, str]], page_budget: int | None) -> set[str]:
    """The docids of all entries, or of the first ones in manifest order until they hold `page_budget` pages."""
    chosen: set[str] = set()
    pages = 0
    for entry in entries:
        if page_budget is not None and pages >= page_budget:
            break
        chosen.add(entry["docid"])
        pages += int(entry["pages"])
    return chosen


# --- the run ----------------------------------------------------------------------------------------

def load_manifest(filings: Path) -> list[dict[str, str]]:
    with open(filings / "MANIFEST.tsv", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--filings", type=Path, default=ROOT.parent / "shared" / "filings")
    parser.add_argument("--corrections", type=Path, default=CORRECTIONS_FILE)
    parser.add_argument("--plumber-pages", type=int, default=None,
                        help="time pdfplumber on the first electronic files holding this many pages (ours is then "
                             "compared on the same files) instead of on all electronic pages")
    args = parser.parse_args()
    references = load_references(args.filings / "truth" / "truth.jsonl")
    try:  # before the long run: a stale correction must stop it at once
        corrections = load_corrections(args.corrections)
        corrected = apply_corrections(references, corrections)
    except CorrectionError as exc:
        print(f"reference corrections do not apply: {exc}", file=sys.stderr)
        return 2
    manifest = load_manifest(args.filings)
    datas = {entry["docid"]: (args.filings / entry["file"]).read_bytes() for entry in manifest}
    electronic = [entry for entry in manifest if entry["kind"] == "electronic"]

    # Ours first, alone, so the peak memory is ours and its workers' and not the baselines'.
    with TreeMemorySampler() as sampler:
        ours_all, outcomes = time_ours(datas, manifest)
    main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
    default_sandbox().close()  # waits for the workers, so their peak shows in RUSAGE_CHILDREN
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss << 10

    speed = time_interleaved(args.filings, datas, electronic, plumber_sample(electronic, args.plumber_pages))

    crashes = [outcome for outcome in outcomes.values() if outcome.status == "failed"]
    statuses = Counter(outcome.status for outcome in outcomes.values())
    scanned_reported = sum(1 for entry in manifest if entry["kind"] == "scanned"
                           and outcomes[entry["docid"]].status == "needs_ocr")
    ours = {docid: outcome.filing.transactions if outcome.filing else [] for docid, outcome in outcomes.items()}
    missing = sorted({reference.filing_id for reference in references} - set(ours))
    raw, fixed = score(references, ours), score(corrected, ours)
    kinds = Counter(correction.action for correction in corrections)
    pages_label = (f"all {speed.plumber_pages} electronic pages" if speed.plumber_files == len(electronic) else
                   f"the first {speed.plumber_files} electronic files in manifest order, {speed.plumber_pages} pages")
    sampled_every = 1000 * ours_all / max(sampler.samples, 1)
    print(f"files: {len(manifest)} ({len(electronic)} electronic, {len(manifest) - len(electronic)} scanned)")
    print(f"outcomes: {dict(statuses)}; crashes (failed): {len(crashes)}; "
          f"scanned reported needs_ocr: {scanned_reported}")
    for outcome in crashes:
        print(f"  failed: {outcome.source_file}: {outcome.reason}")
    print(f"rows extracted: {sum(o.rows for o in outcomes.values())}, "
          f"flagged rows: {sum(o.flagged_rows for o in outcomes.values())}")
    print(f"references: {len(references)} filing-sources over {len({r.filing_id for r in references})} filings, "
          f"all scored" + (f"; not in the manifest (scored as no rows): {', '.join(missing)}" if missing else ""))
    print("\n".join(score_lines("against the references as given", raw)))
    print("\n".join(score_lines(
        f"against the references corrected by {args.corrections.name} ({len(corrections)} row corrections: "
        f"{kinds['add']} add, {kinds['drop']} drop, {kinds['change']} change; each cites the PDF page and its "
        "printed text)", fixed)))
    print(f"speed (ours, pypdfium2 and pdfplumber timed file by file in turn): {speed.pages} electronic pages; ours "
          f"{speed.ours:.2f} s ({1000 * speed.ours / speed.pages:.2f} ms/page, {len(electronic) / speed.ours:.1f} "
          f"files/s); all {len(manifest)} files {ours_all:.2f} s (first pass, with the memory sampler)")
    print(f"baselines: pypdfium2 raw text of the same {speed.pages} pages {speed.raw:.2f} s; pdfplumber extract_text "
          f"of {pages_label}: {speed.plumber:.2f} s ({1000 * speed.plumber / max(speed.plumber_pages, 1):.1f} "
          f"ms/page), ours on those same files {speed.ours_on_plumber_files:.2f} s")
    print(f"ratios: ours / pypdfium2 raw text = {speed.ours / speed.raw:.2f}x (all {speed.pages} electronic pages); "
          f"ours / pdfplumber extract_text = {speed.ours_on_plumber_files / speed.plumber:.3f}x ({pages_label})")
    print(f"peak memory during our pass over all {len(manifest)} files: {sampler.peak / 2**20:.0f} MB, the peak RSS of "
          f"the benchmark process plus its PDF workers ({sampler.peak_processes} processes at the peak; VmRSS summed "
          f"at each instant, sampled every {1000 * sampler.interval:.0f} ms: {sampler.samples} samples, one per "
          f"{sampled_every:.0f} ms achieved; workers found by a /proc scan every {1000 * sampler.rescan:.0f} ms; "
          "shared pages count once per process). Cross-check: main process max RSS "
          f"{main_peak / 2**20:.0f} MB (RUSAGE_SELF), largest worker max RSS {worker_peak / 2**20:.0f} MB "
          "(RUSAGE_CHILDREN)")
    if fixed.disagreements:
        print(f"disagreements left after the corrections ({len(fixed.disagreements)}; the PDF wins: check each "
              f"against its page and correct the reference in {args.corrections.name}, or fix the extractor):")
        for item in fixed.disagreements:
            print("  ", item)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
