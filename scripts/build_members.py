"""Build agent/formats/paper/data/house_members.tsv: the names of the people who filed House PTRs, from the
Clerk's yearly filing indexes (public records: ../shared/filings/truth/house_clerk_index.tsv, the indexes merged,
and the copies in ../shared/clerk). The scan reader matches the name it reads in a form's "NAME:" field to them.

    .venv/bin/python scripts/build_members.py
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
OUTPUT = ROOT / "agent" / "formats" / "paper" / "data" / "house_members.tsv"
PTR = "P"  # the indexes' FilingType of a Periodic Transaction Report
NICKNAME = re.compile(r'"[^"]*"|\([^)]*\)')  # 'Charles J. "Chuck"': the form prints the given names
TITLES = {"Dr", "Dr.", "Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Hon", "Hon."}  # 'Mark Dr': typed into First


def given_names(first: str) -> str:
    return " ".join(word for word in NICKNAME.sub(" ", first).split() if word not in TITLES)


def index_rows() -> Iterator[dict[str, str]]:
    """Every filing of the indexes on hand, as a row with at least Last, First and FilingType."""
    with open(SHARED / "filings" / "truth" / "house_clerk_index.tsv", newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle, delimiter="\t")
    for path in sorted((SHARED / "clerk").glob("*/*FD.txt")):
        yield from csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter="\t")
    for path in sorted((SHARED / "clerk").glob("*/*FD.zip")):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith(".txt"):
                    text = archive.read(name).decode("utf-8-sig")
                    yield from csv.DictReader(io.StringIO(text), delimiter="\t")


def main() -> None:
    names = sorted({(row["Last"].strip(), given_names(row["First"])) for row in index_rows()
                    if row["FilingType"] == PTR and row["Last"].strip()})
    with open(OUTPUT, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["last", "first"])
        writer.writerows(names)
    print(f"{OUTPUT.relative_to(ROOT)}: {len(names)} names of PTR filers")


if __name__ == "__main__":
    main()
