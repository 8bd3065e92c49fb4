"""Scanned filings: OCR row recall/precision against the hand-transcribed goldens, seconds per page, and
the share of scanned filings with at least one extracted row.

    python -m benchmarks.bench_ocr            # goldens + a sample of 10 scanned filings
    python -m benchmarks.bench_ocr --all      # every scanned filing (about 1,300 pages: long)
    python -m benchmarks.bench_ocr --sample 0 # the goldens alone
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import Counter
from pathlib import Path

from agent.run.extract import extract_bytes

ROOT = Path(__file__).resolve().parents[1]

FILINGS = ROOT.parent / "shared" / "filings"
GOLDEN = ROOT / "tests" / "golden_ocr"
KEYS = ("transaction_date", "notification_date", "amount", "transaction_type", "owner")


def key(row: dict) -> tuple:
    return tuple(row[name] for name in KEYS)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--sample", type=int, default=10)
    args = parser.parse_args()
    golden_rows = found = matched = unflagged = unflagged_right = 0
    pages = seconds = 0.0
    for path in sorted(GOLDEN.glob("*.json")):
        golden = json.loads(path.read_text())["rows"]
        started = time.perf_counter()
        outcome = extract_bytes((FILINGS / "pdfs" / f"{path.stem}.pdf").read_bytes(), f"{path.stem}.pdf", ocr=True)
        seconds += time.perf_counter() - started
        pages += outcome.filing.pages if outcome.filing else 0
        rows = [row.to_dict() for row in outcome.filing.transactions] if outcome.filing else []
        wanted = Counter(key(g) for g in golden)
        hits = sum((wanted & Counter(key(row) for row in rows)).values())  # filings repeat rows: count them
        golden_rows, found, matched = golden_rows + len(golden), found + len(rows), matched + hits
        clean = [row for row in rows if not row["flags"]]
        unflagged += len(clean)
        unflagged_right += sum((wanted & Counter(key(row) for row in clean)).values())
        print(f"{path.stem}: {outcome.status}, {len(rows)} row(s), {len(golden)} golden, {hits} matched")
    print(f"goldens: {len(list(GOLDEN.glob('*.json')))} filing(s), {golden_rows} golden row(s), {found} extracted")
    print(f"row recall: {matched / golden_rows:.3f} ({matched} of {golden_rows}; target 0.9)" if golden_rows
          else "row recall: n/a (no golden rows)")
    print(f"row precision: {matched / found:.3f} ({matched} of {found})" if found
          else "row precision: n/a (no rows extracted)")
    print(f"precision of unflagged rows: {unflagged_right / unflagged:.3f} ({unflagged_right} of {unflagged}; "
          "target 0.99)" if unflagged else "precision of unflagged rows: n/a (no unflagged rows)")
    print(f"seconds per page: {seconds / pages:.2f} ({pages:.0f} page(s); target 3)" if pages else "")
    with open(FILINGS / "MANIFEST.tsv", newline="") as handle:
        scanned = [row["docid"] for row in csv.DictReader(handle, delimiter="\t") if row["kind"] == "scanned"]
    chosen = scanned if args.all else sorted(scanned, key=lambda d: int(d) % 97)[:args.sample]
    if not chosen:  # --sample 0: the goldens alone
        return
    with_rows = 0
    started, total_pages = time.perf_counter(), 0
    for docid in chosen:
        outcome = extract_bytes((FILINGS / "pdfs" / f"{docid}.pdf").read_bytes(), f"{docid}.pdf", ocr=True)
        total_pages += outcome.filing.pages if outcome.filing else 0
        with_rows += bool(outcome.rows)
        print(f"  {docid}: {outcome.status}, {outcome.rows} row(s), {outcome.flagged_rows} flagged")
    print(f"scanned filings with >= 1 extracted row: {with_rows}/{len(chosen)} = {with_rows / len(chosen):.2f}"
          + ("" if args.all else f" (sample of {len(chosen)} of {len(scanned)}; --all for every one)"))
    if total_pages:
        print(f"seconds per page over those: {(time.perf_counter() - started) / total_pages:.2f} ({total_pages} pages)")


if __name__ == "__main__":
    main()
