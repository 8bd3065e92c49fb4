"""`python -m agent extract --one-filing`: a Senate paper report's page images (eFD shows one GIF a page) read as
one report, as the app's "These images are one filing" does; without the flag each image is a filing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from agent.documents import ocr
from tests.conftest import ROOT, senate_file

COVER_AND_FORM = "536C0A20-EC52-44AA-AEDC-9523E5326313"  # page 1 a lawyer's cover letter, page 2 the form (3 rows)


def page_gifs(folder: Path) -> list[Path]:
    """The report's pages as eFD serves them: one GIF a page, a pixel a point."""
    document = pdfium.PdfDocument(senate_file(f"paper/{COVER_AND_FORM}.pdf").read_bytes())
    paths = []
    for number, page in enumerate(document, start=1):
        path = folder / f"page{number}.gif"
        page.render(scale=1).to_pil().convert("L").save(path)
        paths.append(path)
    return paths


def extract(*args: str) -> tuple[subprocess.CompletedProcess[str], list[dict[str, object]]]:
    out = Path(args[-1])
    result = subprocess.run([sys.executable, "-m", "agent", "extract", *args[:-1], "-o", str(out.with_suffix(".csv")),
                             "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    return result, json.loads(out.read_text()) if out.exists() else []


@pytest.mark.slow
@pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")
def test_page_images_are_one_filing_with_the_flag_and_a_filing_each_without(tmp_path: Path) -> None:
    first, second = page_gifs(tmp_path)
    together, outcomes = extract(str(second), str(first), "--one-filing", str(tmp_path / "one.json"))
    assert together.returncode == 0, together.stderr
    assert len(outcomes) == 1 and outcomes[0]["source_file"] == "page1.gif (+1 pages)"
    rows = outcomes[0]["filing"]["transactions"]  # type: ignore[index]
    assert len(rows) == 3 and {row["page"] for row in rows} == {2}  # the form is the report's second page
    apart, outcomes = extract(str(first), str(second), str(tmp_path / "apart.json"))
    assert apart.returncode == 0, apart.stderr
    assert [outcome["source_file"] for outcome in outcomes] == ["page1.gif", "page2.gif"]

