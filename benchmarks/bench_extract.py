"""Extraction benchmark over ../shared/filings: accuracy against truth.jsonl, crashes, speed, memory.

    python benchmarks/bench_extract.py [--filings DIR] [--plumber-pages N]

Speed is reported as ratios measured in this same run: our total time over a bare pypdfium2
raw-text pass, and over pdfplumber's extract_text() of the same pages.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pdfplumber  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402

from agent.models import Transaction  # noqa: E402
from agent.run.extract import extract_bytes


def load_manifest(filings: Path) -> list[dict]:
    with open(filings / "MANIFEST.tsv", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def load_truth(filings: Path) -> dict[str, list[dict]]:
    truth: dict[str, list[dict]] = defaultdict(list)
    with open(filings / "truth" / "truth.jsonl") as handle:
        for line in handle:
            entry = json.loads(line)
            truth[entry["filing_id"]].append(entry)
    return truth


def load_corrections() -> set[tuple[str, str]]:
    """(filing_id, source) pairs whose reference was checked against the PDF and found wrong."""
    with open(ROOT / "benchmarks" / "reference_corrections.tsv", newline="") as handle:
        return {(row["filing_id"], row["source"]) for row in csv.DictReader(handle, delimiter="\t")}


def types_agree(reference: str, ours: str) -> bool:
    # "S*" is a sale whose full/partial kind the reference does not say.
    return reference == ours or (reference == "S*" and ours in ("S", "S (partial)"))


def match_rows(reference: list[dict], ours: list[Transaction]) -> list[tuple[dict, Transaction]]:
    """Pair reference rows with ours on date, type and amount; among candidates prefer the same ticker
    and owner (filings often list the same trade once per owner)."""
    unused = list(ours)
    pairs = []
    for ref in reference:
        candidates = [row for row in unused
                      if row.transaction_date == ref["transaction_date"]
                      and types_agree(ref["transaction_type"], row.transaction_type)
                      and row.amount_min == ref["amount_min"] and row.amount_max == ref["amount_max"]]
        if not candidates:
            continue
        best = max(candidates, key=lambda row: (bool(ref["ticker"]) and row.ticker == ref["ticker"],
                                                ref["owner"] is not None and row.owner == ref["owner"]))
        unused.remove(best)
        pairs.append((ref, best))
    return pairs


def time_raw_text(datas: list[bytes]) -> tuple[float, int]:
    started = time.perf_counter()
    pages = 0
    for data in datas:
        document = pdfium.PdfDocument(data)
        for page in document:
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
            pages += 1
        document.close()
    return time.perf_counter() - started, pages


def time_plumber_text(paths: list[Path], page_budget: int) -> tuple[float, int]:
    started = time.perf_counter()
    pages = 0
    for path in paths:
        with pdfplumber.open(path) as document:
            for page in document.pages:
                page.extract_text()
                pages += 1
        if pages >= page_budget:
            break
    return time.perf_counter() - started, pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=Path, default=ROOT.parent / "shared" / "filings")
    parser.add_argument("--plumber-pages", type=int, default=400,
                        help="pages for the pdfplumber comparison (its time is scaled per page)")
    args = parser.parse_args()
    manifest = load_manifest(args.filings)
    truth = load_truth(args.filings)
    datas = {entry["docid"]: (args.filings / entry["file"]).read_bytes() for entry in manifest}

    # Ours first, so the peak memory below is ours and not the baselines'.
    outcomes = {}
    started = time.perf_counter()
    for entry in manifest:
        outcomes[entry["docid"]] = extract_bytes(datas[entry["docid"]], entry["file"])
    ours_all = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    electronic = [entry for entry in manifest if entry["kind"] == "electronic"]
    started = time.perf_counter()
    for entry in electronic:
        extract_bytes(datas[entry["docid"]], entry["file"])
    ours_electronic = time.perf_counter() - started
    raw_seconds, pages = time_raw_text([datas[entry["docid"]] for entry in electronic])
    plumber_seconds, plumber_pages = time_plumber_text([args.filings / entry["file"] for entry in electronic],
                                                       args.plumber_pages)
    plumber_per_page = plumber_seconds / max(plumber_pages, 1)

    crashes = [o for o in outcomes.values() if o.status == "failed"]
    statuses = Counter(o.status for o in outcomes.values())
    scanned_reported = sum(1 for entry in manifest if entry["kind"] == "scanned"
                           and outcomes[entry["docid"]].status == "needs_ocr")

    corrections = load_corrections()
    found = missed = extra = 0
    kept_found = kept_missed = kept_extra = 0
    partial_found = partial_total = 0
    ticker_right = ticker_total = owner_right = owner_total = 0
    exact_filings = complete_filings = 0
    disagreements = []
    for filing_id, sources in truth.items():
        outcome = outcomes.get(filing_id)
        ours = outcome.filing.transactions if outcome and outcome.filing else []
        for source in sources:
            pairs = match_rows(source["rows"], ours)
            for ref, row in pairs:
                if ref["ticker"]:
                    ticker_total += 1
                    ticker_right += ref["ticker"] == row.ticker
                    if ref["ticker"] != row.ticker:
                        disagreements.append((filing_id, source["source"], "ticker", ref["ticker"], row.ticker))
                if ref["owner"] is not None:
                    owner_total += 1
                    owner_right += ref["owner"] == row.owner
                    if ref["owner"] != row.owner:
                        disagreements.append((filing_id, source["source"], "owner", ref["owner"], row.owner))
            if source["complete"]:
                complete_filings += 1
                found += len(pairs)
                missed += len(source["rows"]) - len(pairs)
                extra += len(ours) - len(pairs)
                exact_filings += len(pairs) == len(source["rows"]) == len(ours)
                if (filing_id, source["source"]) not in corrections:
                    kept_found += len(pairs)
                    kept_missed += len(source["rows"]) - len(pairs)
                    kept_extra += len(ours) - len(pairs)
                if len(pairs) != len(source["rows"]) or len(ours) != len(pairs):
                    disagreements.append((filing_id, source["source"], "rows", len(source["rows"]), len(ours)))
            else:
                partial_found += len(pairs)
                partial_total += len(source["rows"])

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.4f}" if b else "n/a"

    print(f"files: {len(manifest)} ({len(electronic)} electronic, {len(manifest) - len(electronic)} scanned)")
    print(f"outcomes: {dict(statuses)}; crashes (failed): {len(crashes)}; "
          f"scanned reported needs_ocr: {scanned_reported}")
    for outcome in crashes:
        print(f"  failed: {outcome.source_file}: {outcome.reason}")
    print(f"rows extracted: {sum(o.rows for o in outcomes.values())}, "
          f"flagged rows: {sum(o.flagged_rows for o in outcomes.values())}")
    print(f"complete references ({complete_filings} filing-sources): row recall {ratio(found, found + missed)}, "
          f"precision {ratio(found, found + extra)} (found {found}, missed {missed}, extra {extra})")
    print(f"complete references without the {len(corrections)} shown wrong against the PDF "
          f"(benchmarks/reference_corrections.tsv): row recall {ratio(kept_found, kept_found + kept_missed)}, "
          f"precision {ratio(kept_found, kept_found + kept_extra)} (found {kept_found}, missed {kept_missed}, "
          f"extra {kept_extra})")
    print(f"partial references: row recall {ratio(partial_found, partial_total)} ({partial_found}/{partial_total})")
    print(f"ticker accuracy {ratio(ticker_right, ticker_total)} ({ticker_right}/{ticker_total}); "
          f"owner accuracy {ratio(owner_right, owner_total)} ({owner_right}/{owner_total})")
    print(f"filings reproduced exactly (complete references): {ratio(exact_filings, complete_filings)} "
          f"({exact_filings}/{complete_filings})")
    print(f"speed: {pages} electronic pages; ours {ours_electronic:.2f} s "
          f"({1000 * ours_electronic / pages:.2f} ms/page, "
          f"{len(electronic) / ours_electronic:.1f} files/s); all {len(manifest)} files {ours_all:.2f} s")
    print(f"baselines: pypdfium2 raw text {raw_seconds:.2f} s; pdfplumber extract_text "
          f"{1000 * plumber_per_page:.1f} ms/page over {plumber_pages} pages "
          f"(~{plumber_per_page * pages:.1f} s for all {pages})")
    print(f"ratios: ours / pypdfium2 raw text = {ours_electronic / raw_seconds:.2f}x; "
          f"ours / pdfplumber extract_text = {ours_electronic / (plumber_per_page * pages):.3f}x")
    print(f"peak memory (RSS, after our pass over all files): {peak_mb:.0f} MB")
    if disagreements:
        print(f"disagreements with references ({len(disagreements)}; the PDF wins: "
              "see benchmarks/reference_corrections.tsv):")
        for item in disagreements:
            print("  ", *item)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
