"""Build agent/formats/paper/data/senators.tsv: the senators' names as eFD lists the filers of their reports.

The Senate paper reader matches the name read from a scanned form's name box against it, so that an OCR slip
("Rou D. Blunt", "Susan Collis") becomes the senator's name. Made from the filer column of eFD's report listing
saved in ../shared/senate/MANIFEST.tsv ("The Honorable Roy Blunt (Blunt, Roy)", "Roy Blunt (Missouri)"): a row
per (last name, first name) written there, so both "Thomas" and "Tom" Carper are known.

    .venv/bin/python scripts/build_senators.py
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT.parent / "shared" / "senate" / "MANIFEST.tsv"
OUTPUT = ROOT / "agent" / "formats" / "paper" / "data" / "senators.tsv"

TITLES = re.compile(r"^(?:The Honorable|Mr\.|Mrs\.|Ms\.|Dr\.)\s+")
SUFFIX = re.compile(r",?\s+(?:Jr\.?|Sr\.?|I{2,3}|IV)$")
LISTED = re.compile(r"^(?P<full>[^()]+?)\s*\((?P<last>[^,()]+),\s*(?P<first>[^()]+)\)$")  # "... (Blunt, Roy)"
WITH_STATE = re.compile(r"^(?P<first>\S+)\s+(?P<last>.+?)\s*\([^,()]+\)$")  # "Roy Blunt (Missouri)"


def names_of(filer: str) -> set[tuple[str, str]]:
    """(last, first) pairs a filer cell of the listing writes."""
    if found := LISTED.match(filer):
        last, first = found["last"].strip(), SUFFIX.sub("", found["first"].strip())
        full = SUFFIX.sub("", TITLES.sub("", found["full"].strip())).split()
        pairs = {(last, first.split()[0] if not first.split()[0].endswith(".") else first)}
        if full and full[-len(last.split()):] == last.split() and not full[0].endswith("."):
            pairs.add((last, full[0]))  # "Rafael E Cruz (Cruz, Ted)": Rafael too
        return pairs
    if found := WITH_STATE.match(filer):
        return {(found["last"].strip(), found["first"])}
    return set()


def main() -> None:
    with open(MANIFEST, newline="", encoding="utf-8") as handle:
        filers = {row["filer"] for row in csv.DictReader(handle, delimiter="\t")}
    pairs = sorted({pair for filer in filers for pair in names_of(filer)})
    OUTPUT.parent.mkdir(exist_ok=True)
    with open(OUTPUT, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["last", "first"])
        writer.writerows(pairs)
    print(f"{len(pairs)} names of {len({last for last, _ in pairs})} senators -> {OUTPUT}")


if __name__ == "__main__":
    main()
