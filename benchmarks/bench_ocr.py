"""Scanned filings: how usable the OCR'd rows are, per golden set, and the cost over the whole scanned corpus.

    python -m benchmarks.bench_ocr              # the goldens (House, and Senate when tests/golden_senate_paper has any)
    python -m benchmarks.bench_ocr --corpus     # also every scanned filing: seconds a page, peak memory
    python -m benchmarks.bench_ocr --corpus --sample 10   # ... or 10 of them

Per golden set (and apart: the goldens the readers were tuned on, and those made after the tuning):
- row recall: golden rows found with the same dates, amount, type and owner (every filing read through the
  format registry, as a user's upload is);
- precision of unflagged rows: unflagged rows that are golden rows (same key, and the asset name within a few
  characters of the golden one); unflagged share: unflagged rows over all rows read;
- ticker where printed, owner: over the golden rows paired with a row read (same page, closest name and dates);
- filer and filing ID: per filing, against the Clerk's index (House) or the golden file's `filer` (Senate).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from agent.documents.sandbox import default_sandbox
from agent.run.extract import extract_bytes

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FILINGS = SHARED / "filings"
KEYS = ("transaction_date", "notification_date", "amount", "transaction_type", "owner")
NAME_SIMILAR = 0.85  # an asset name this similar to the golden one (case and spacing aside) is the same name
# Goldens made "not used in tuning" whose pages were then looked at to fix the readers (2026-12-02, issue 18's House
# scans: printed checkboxes, the Partial Sale column, forms filled in by hand): they count as tuned on.
TUNED_ON_LATER = {"8220731", "8220764", "9107549"}


@dataclass(frozen=True)
class GoldenSet:
    name: str
    folder: Path
    pdfs: Path


GOLDEN_SETS = (GoldenSet("House paper", ROOT / "tests" / "golden_ocr", FILINGS / "pdfs"),
               GoldenSet("Senate paper", ROOT / "tests" / "golden_senate_paper", SHARED / "senate" / "paper"))


@dataclass
class Tally:
    filings: int = 0
    golden: int = 0
    read: int = 0
    matched: int = 0
    unflagged: int = 0
    unflagged_right: int = 0
    unflagged_key_right: int = 0  # by the key alone (dates, amount, type, owner), the name aside
    tickers: int = 0
    tickers_right: int = 0
    owners: int = 0
    owners_right: int = 0
    filers: int = 0
    filers_right: int = 0
    ids: int = 0
    ids_right: int = 0
    pages: int = 0
    seconds: float = 0.0
    flags: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)


def key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(name) or "" for name in KEYS)  # a Senate form has no notification date


def squeezed(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def same_name(a: str, b: str) -> bool:
    return SequenceMatcher(None, squeezed(a), squeezed(b)).ratio() >= NAME_SIMILAR


def pair_rows(golden: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each golden row with the row read that is most like it (same page first, then name and dates), each
    row read used once."""
    free = list(rows)
    pairs = []
    for wanted in golden:
        def likeness(row: dict[str, Any], wanted: dict[str, Any] = wanted) -> float:
            name = SequenceMatcher(None, wanted["asset_name"].lower(), row["asset_name"].lower()).ratio()
            dates = sum(row[name] == wanted.get(name, "") for name in ("transaction_date", "notification_date"))
            return (row["page"] == wanted.get("page", row["page"])) * 4 + name * 2 + dates
        if free:
            best = max(free, key=likeness)
            if likeness(best) >= 4.5:
                pairs.append((wanted, best))
                free.remove(best)
    return pairs


def clerk_names() -> dict[str, str]:
    with open(FILINGS / "truth" / "house_clerk_index.tsv", newline="") as handle:
        return {row["DocID"]: f"{row['Last']}, {row['First']}" for row in csv.DictReader(handle, delimiter="\t")}


def filer_matches(read: str, truth: str) -> bool:
    """The filer read names the same person: every word of the truth's last name is in it."""
    last = truth.split(",")[0] if "," in truth else truth.split()[-1]
    words = read.lower().replace(",", " ").split()
    return bool(read) and all(word in words for word in last.lower().split())


def measure_filing(golden_set: GoldenSet, path: Path, clerk: dict[str, str],
                   details: Path | None) -> tuple[Tally, str]:
    golden_file = json.loads(path.read_text())
    golden = golden_file["rows"]
    pdf = next(golden_set.pdfs.glob(f"{path.stem}.[pP][dD][fF]"))
    started = time.perf_counter()
    outcome = extract_bytes(pdf.read_bytes(), pdf.name, ocr=True)
    tally = Tally(filings=1, golden=len(golden), seconds=time.perf_counter() - started)
    filing = outcome.filing
    tally.pages = filing.pages if filing else 0
    rows = [row.to_dict() for row in filing.transactions] if filing else []
    tally.read = len(rows)
    wanted = Counter(key(g) for g in golden)
    tally.matched = sum((wanted & Counter(key(row) for row in rows)).values())  # filings repeat rows: count them
    clean = [row for row in rows if not row["flags"]]
    tally.unflagged = len(clean)
    tally.unflagged_key_right = sum((wanted & Counter(key(row) for row in clean)).values())
    right = Counter(key(g) for g in golden)
    for row in clean:
        hit = next((g for g in golden if key(g) == key(row) and same_name(g["asset_name"], row["asset_name"])
                    and right[key(g)] > 0), None)
        if hit is not None:
            right[key(hit)] -= 1
            tally.unflagged_right += 1
    for wanted_row, row in pair_rows(golden, rows):
        tally.owners += 1
        tally.owners_right += (row["owner"] or "") == (wanted_row["owner"] or "")
        if wanted_row.get("ticker"):
            tally.tickers += 1
            tally.tickers_right += row["ticker"] == wanted_row["ticker"]
    truth_filer = golden_file.get("filer") or clerk.get(path.stem, "")
    if truth_filer:
        tally.filers, tally.filers_right = 1, int(filer_matches(filing.filer_name if filing else "", truth_filer))
    truth_id = golden_file.get("filing_id", path.stem if golden_set.pdfs == FILINGS / "pdfs" else "")
    if truth_id:
        tally.ids, tally.ids_right = 1, int(bool(filing) and filing.filing_id == truth_id)
    for row in rows:
        tally.flags.update({flag["code"] for flag in row["flags"]})
    if details:  # every row read, to see what is flagged and why
        with open(details, "a") as handle:
            for row in rows:
                golden_keys = {key(g) for g in golden}
                handle.write(json.dumps({"docid": path.stem, "right": key(row) in golden_keys, **row}) + "\n")
    line = (f"  {path.stem}: {outcome.status}, {len(rows)} row(s) ({len(clean)} unflagged), {len(golden)} golden, "
            f"{tally.matched} matched; filer {filing.filer_name if filing else ''!r}, "
            f"ID {filing.filing_id if filing else ''!r}")
    return tally, line


def ratio(part: int, whole: int, target: str = "") -> str:
    aim = f"; target {target}" if target else ""
    return f"{part / whole:.3f} ({part} of {whole}{aim})" if whole else "n/a (none)"


def report(title: str, tally: Tally) -> None:
    print(f"{title}: {tally.filings} filing(s), {tally.golden} golden row(s), {tally.read} read")
    print(f"  row recall: {ratio(tally.matched, tally.golden, '0.9')}")
    print(f"  precision of unflagged rows: {ratio(tally.unflagged_right, tally.unflagged, '0.99')}; by the key alone "
          f"(dates, amount, type, owner; the name aside): {ratio(tally.unflagged_key_right, tally.unflagged)}")
    print(f"  unflagged share: {ratio(tally.unflagged, tally.read, '0.5')}")
    print(f"  ticker where printed: {ratio(tally.tickers_right, tally.tickers, '0.95')}; "
          f"owner: {ratio(tally.owners_right, tally.owners, '0.95')}")
    print(f"  filer: {ratio(tally.filers_right, tally.filers, '0.95')}; "
          f"filing ID: {ratio(tally.ids_right, tally.ids, '0.95')}")
    if tally.pages:
        print(f"  seconds per page: {tally.seconds / tally.pages:.2f} ({tally.pages} page(s); target 3)")
    if tally.flags:
        print(f"  rows flagged, by flag: {', '.join(f'{code} {n}' for code, n in tally.flags.most_common(8))}")


def measure_goldens(details: Path | None, only: str = "") -> None:
    clerk = clerk_names()
    for golden_set in GOLDEN_SETS:
        if only and not golden_set.name.lower().startswith(only):
            continue
        paths = sorted(golden_set.folder.glob("*.json"))
        if not paths:
            print(f"{golden_set.name}: no goldens in {golden_set.folder.relative_to(ROOT)}")
            continue
        tuned, untuned = Tally(), Tally()
        for path in paths:
            tally, line = measure_filing(golden_set, path, clerk, details)
            # goldens made after the readers were tuned say so in `made_by`
            unseen = "not used in tuning" in json.loads(path.read_text()).get("made_by", "")
            (untuned if unseen and path.stem not in TUNED_ON_LATER else tuned).add(tally)
            print(line)
        whole = Tally()
        whole.add(tuned)
        whole.add(untuned)
        report(f"{golden_set.name} goldens", whole)
        if untuned.filings:
            report("  of which tuned on", tuned)
            report("  of which NOT tuned on", untuned)


class PeakMemory:
    """The largest resident memory of this process and all its descendants (PDF workers, tesseract) seen,
    sampled every `interval` seconds from /proc."""

    def __init__(self, interval: float = 0.2) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(interval,), daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.peak = max(self.peak, tree_rss(os.getpid()))


def tree_rss(root: int) -> int:
    """Bytes resident in `root` and its descendants."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(stat[1])
        rss[int(entry)] = int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
    def inside(pid: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parents.get(pid, 0)
        return False
    return sum(size for pid, size in rss.items() if inside(pid))


def scanned_corpus() -> list[Path]:
    with open(FILINGS / "MANIFEST.tsv", newline="") as handle:
        house = [FILINGS / row["file"] for row in csv.DictReader(handle, delimiter="\t") if row["kind"] == "scanned"]
    return house + sorted((SHARED / "senate" / "paper").glob("*.pdf"))


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (tesseract runs, stopped PDF workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure_corpus(sample: int) -> None:
    paths = scanned_corpus()
    chosen = sorted(paths, key=lambda p: zlib.crc32(p.name.encode()))[:sample] if sample else paths
    pages = with_rows = rows = flagged = 0
    statuses: Counter[str] = Counter()
    slowest = (0.0, "")
    started, cpu_before = time.perf_counter(), cpu_seconds()
    with PeakMemory() as memory:
        for path in chosen:
            outcome = extract_bytes(path.read_bytes(), path.name, ocr=True)
            count = outcome.filing.pages if outcome.filing else 0
            pages += count
            with_rows += bool(outcome.rows)
            rows, flagged = rows + outcome.rows, flagged + outcome.flagged_rows
            statuses[outcome.status] += 1
            if count:
                slowest = max(slowest, (outcome.seconds / count, path.name))
    seconds = time.perf_counter() - started
    default_sandbox().close()  # its workers' CPU counts once they have ended
    cpu = cpu_seconds() - cpu_before
    what = f"{len(chosen)} of {len(paths)}" if sample else f"all {len(paths)}"
    print(f"scanned corpus ({what} scanned filings, House and Senate): {pages} page(s) in {seconds:.0f} s")
    print(f"  seconds per page: {seconds / pages:.2f} (target 3), {cpu / pages:.2f} of CPU; slowest filing "
          f"{slowest[1]} at {slowest[0]:.1f} s a page" if pages else "  no pages")
    print(f"  peak memory (this process and its workers): {memory.peak / 2**20:.0f} MiB (target < 1024)")
    print(f"  filings with >= 1 row: {with_rows}; rows {rows}, unflagged {rows - flagged} "
          f"({(rows - flagged) / rows:.2f})" if rows else f"  filings with >= 1 row: {with_rows}; no rows")
    print(f"  outcomes: {', '.join(f'{status} {n}' for status, n in statuses.most_common())}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", action="store_true", help="also read every scanned filing (long)")
    parser.add_argument("--sample", type=int, default=0, help="with --corpus: only this many filings")
    parser.add_argument("--details", type=Path, help="write every golden filing's rows here (JSON lines)")
    parser.add_argument("--only", choices=["house", "senate"], default="", help="one golden set")
    args = parser.parse_args()
    if args.details:
        args.details.write_text("")
    measure_goldens(args.details, args.only)
    if args.corpus:
        measure_corpus(args.sample)


if __name__ == "__main__":
    main()
