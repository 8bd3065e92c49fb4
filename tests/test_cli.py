"""The command line, run as a user runs it: a subprocess over real files, a broken one among them."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pandas as pd
import pytest

from agent.models import CSV_COLUMNS
from tests.conftest import ROOT, filing_path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agent", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.shared
def test_extract_many_files_one_broken(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    out_csv, out_json = tmp_path / "out.csv", tmp_path / "out.json"
    result = run_cli("extract", str(filing_path("20016961")), str(broken), str(filing_path("2000711")),
                     "-o", str(out_csv), "--json", str(out_json))

    assert result.returncode == 1  # a file failed
    assert f"{broken}: failed: the PDF is damaged or truncated" in result.stderr
    assert "2000711.pdf: needs ocr: no text layer" in result.stderr
    assert "Traceback" not in result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("files: 3, rows: 9, flagged rows: 0, needs OCR: 1, failed: 1, seconds: ")

    with open(out_csv, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 10
    frame = pd.read_csv(out_csv)
    assert frame["amount_min"].dtype.kind in "if" and frame["page"].tolist() == [1] * 6 + [2] * 3

    outcomes = json.loads(out_json.read_text())
    assert [o["status"] for o in outcomes] == ["ok", "failed", "needs_ocr"]
    first = outcomes[0]["filing"]["transactions"][0]
    assert first["boxes"][0]["page"] == 1 and first["source_lines"][0].startswith("2000060675 SP Amazon.com")


def test_folder_input_and_clean_exit(tmp_path):
    out_csv = tmp_path / "samples.csv"
    result = run_cli("extract", str(ROOT / "samples"), "-o", str(out_csv))
    assert result.returncode == 0, result.stderr
    assert "failed: 0" in result.stdout and out_csv.exists()


def test_missing_input_is_named(tmp_path):
    result = run_cli("extract", str(tmp_path / "nope.pdf"), "-o", str(tmp_path / "x.csv"))
    assert result.returncode == 1
    assert "nope.pdf: no such file or folder" in result.stderr
