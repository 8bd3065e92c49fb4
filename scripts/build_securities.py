"""Build agent/formats/paper/data/securities.tsv: the tickers and asset names printed on electronic PTRs.

The scanned-form readers use it as evidence independent of OCR: a ticker read at the end of an asset name is
taken only when it is a ticker some filing printed, and a word of an asset name that tesseract read with low
confidence is confirmed when it is a word of a printed asset name. Made from the electronic House filings in
../shared/filings (their own text layer, no OCR) and the saved Senate eFD pages in ../shared/senate/efd:

    .venv/bin/python scripts/build_securities.py
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.run.extract import extract_bytes  # noqa: E402 (the project's root is put on the path first)

FILINGS = ROOT.parent / "shared" / "filings"
OUTPUT = ROOT / "agent" / "formats" / "paper" / "data" / "securities.tsv"


def main() -> None:
    with open(FILINGS / "MANIFEST.tsv", newline="") as handle:
        house = [FILINGS / row["file"] for row in csv.DictReader(handle, delimiter="\t") if row["kind"] == "electronic"]
    electronic = house + sorted((ROOT.parent / "shared" / "senate" / "efd").glob("*.html"))
    names: Counter[tuple[str, str]] = Counter()
    for path in electronic:
        outcome = extract_bytes(path.read_bytes(), path.name)
        for row in outcome.filing.transactions if outcome.filing else []:
            if row.ticker and row.asset_name:
                names[row.ticker, " ".join(row.asset_name.split())] += 1
    OUTPUT.parent.mkdir(exist_ok=True)
    with open(OUTPUT, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["ticker", "asset_name", "rows"])
        for (ticker, name), count in sorted(names.items()):
            writer.writerow([ticker, name, count])
    print(f"{OUTPUT.relative_to(ROOT)}: {len(names)} (ticker, name) pairs, {len({t for t, _ in names})} tickers, "
          f"from {len(house)} electronic House filings and {len(electronic) - len(house)} Senate eFD pages")


if __name__ == "__main__":
    main()
