"""The command line, run as a user runs it: a subprocess over real files, a broken one among them."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from agent.documents import ocr
from agent.models import CSV_COLUMNS
from agent.run.events import from_jsonl
from tests.conftest import ROOT, filing_path, senate_file
from tests.fake_openai import text

SEVEN_ROWS = "efd/17cb92a5-f23f-4320-a96d-892ee76c92d9.html"  # Ron L Wyden's report, 7 rows


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """`run` adds its filings to the library in the data folder: the test's own, never the project's."""
    monkeypatch.setenv("TRADETRACE_DATA_DIR", str(tmp_path / "data"))


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # No LLM endpoint from the caller's environment: these runs are the offline brain's unless a test sets one.
    clean = {key: value for key, value in os.environ.items() if not key.startswith("OPENAI_")}
    return subprocess.run([sys.executable, "-m", "agent", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**clean, **(env or {})})


def csv_table(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


# --- extract ------------------------------------------------------------------------------------------------------


@pytest.mark.shared
def test_extract_many_files_one_broken(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    out_csv, out_json = tmp_path / "out.csv", tmp_path / "out.json"
    result = run_cli("extract", str(filing_path("20016961")), str(broken), str(filing_path("2000711")),
                     "-o", str(out_csv), "--json", str(out_json), "--no-ocr")

    assert result.returncode == 1  # a file failed
    assert f"{broken}: failed: the PDF is damaged or truncated" in result.stderr
    assert "2000711.pdf: needs ocr: no text layer" in result.stderr
    assert "Traceback" not in result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("files: 3, rows: 9, flagged rows: 0, needs OCR: 1, failed: 1, seconds: ")

    rows = csv_table(out_csv)
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 10
    frame = pd.read_csv(out_csv)
    assert frame["amount_min"].dtype.kind in "if" and frame["page"].tolist() == [1] * 6 + [2] * 3

    outcomes = json.loads(out_json.read_text())
    assert [o["status"] for o in outcomes] == ["ok", "failed", "needs_ocr"]
    first = outcomes[0]["filing"]["transactions"][0]
    assert first["boxes"][0]["page"] == 1 and first["source_lines"][0].startswith("2000060675 SP Amazon.com")


@pytest.mark.shared
@pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")
def test_extract_reads_a_scan_by_default_where_tesseract_is_installed(tmp_path):
    out_csv = tmp_path / "scan.csv"
    result = run_cli("extract", str(filing_path("9106201")), "-o", str(out_csv))
    assert "needs ocr" not in result.stderr and "Traceback" not in result.stderr
    assert ", needs OCR: 0, " in result.stdout
    assert [row[CSV_COLUMNS.index("source_file")] for row in csv_table(out_csv)[1:]] == ["9106201.pdf"]  # its row


@pytest.mark.shared
def test_without_tesseract_the_scan_is_left_and_the_install_is_named(tmp_path):
    no_tesseract = {"PATH": str(tmp_path)}  # a machine without it (the interpreter is named by its full path)
    result = run_cli("extract", str(filing_path("8220755")), "-o", str(tmp_path / "scan.csv"), env=no_tesseract)
    assert result.returncode == 0
    assert "8220755.pdf: needs ocr: no text layer" in result.stderr
    assert ("scanned filings were not read: OCR engine not installed: run scripts/run.sh (it installs "
            "tesseract-ocr)") in result.stderr

    asked = run_cli("extract", str(filing_path("8220755")), "-o", str(tmp_path / "scan.csv"), "--ocr",
                    env=no_tesseract)
    assert asked.returncode == 2
    assert "error: --ocr: OCR engine not installed: run scripts/run.sh (it installs tesseract-ocr)" in asked.stderr


def test_folder_input_and_clean_exit(tmp_path):
    out_csv = tmp_path / "samples.csv"
    result = run_cli("extract", str(ROOT / "samples"), "-o", str(out_csv))
    assert result.returncode == 0, result.stderr
    assert "failed: 0" in result.stdout and out_csv.exists()


def test_missing_input_is_a_bad_argument(tmp_path):
    result = run_cli("extract", str(tmp_path / "nope.pdf"), "-o", str(tmp_path / "x.csv"))
    assert result.returncode == 2
    assert "nope.pdf: no such file or folder" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_a_folder_without_filings_is_a_bad_argument(tmp_path):
    (tmp_path / "notes.txt").write_text("no filings here")
    result = run_cli("extract", str(tmp_path), "-o", str(tmp_path / "x.csv"))
    assert result.returncode == 2
    assert f"no filings (.pdf, .html, .htm) in {tmp_path}" in result.stderr


# --- run: the whole job ------------------------------------------------------------------------------------------


@pytest.mark.shared
def test_run_writes_the_csv_the_report_and_the_trace(tmp_path):
    house, senate = filing_path("20016961"), senate_file(SEVEN_ROWS)
    out = tmp_path / "out"  # created by the command
    result = run_cli("run", str(house), str(senate), "--out", str(out), "--risk", "high", "--horizon", "long",
                     "--no-options", "--max-position", "20")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("files: 2, rows: 16, flagged rows: 0, needs OCR: 0, failed: 0, seconds: ")
    assert f"wrote transactions.csv, report.md, trace.jsonl in {out}" in result.stdout
    # the live trace, one line a step, on stderr
    trace_lines = result.stderr.splitlines()
    assert trace_lines[0].startswith("Run started: 2 file(s), offline brain.")
    assert "File 1/2: 20016961.pdf (62,317 bytes)" in trace_lines
    assert "  Check grounding: passed. every value of 9 row(s) found on its page" in trace_lines
    assert "20016961.pdf: ok, 9 row(s), 0 flagged" in trace_lines

    table = csv_table(out / "transactions.csv")
    assert tuple(table[0]) == CSV_COLUMNS
    rows = table[1:]
    events = from_jsonl((out / "trace.jsonl").read_text(encoding="utf-8"))
    finished = [event for event in events if event.type == "file_finished"]
    assert [(event.file, event.rows) for event in finished] == [(house.name, 9), (senate.name, 7)]
    assert events[-1].type == "run_finished" and events[-1].rows == len(rows) == 16
    assert len(result.stderr.splitlines()) == len(events)  # a line for every step of the trace

    report = (out / "report.md").read_text(encoding="utf-8")
    assert re.search(r"^Made \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.$", report, re.MULTILINE)
    for setting in ("- Risk tolerance: high", "- Horizon: long", "- Options: avoided",
                    "- Largest position: at most 20% of volume", "- Sectors avoided: none",
                    "- Largest sector: no limit"):
        assert setting in report
    assert "## Transactions (16)" in report
    transaction_lines = report.split("## Transactions (16)")[1].split("## Trading style")[0]
    assert sum(1 for line in transaction_lines.splitlines() if line.startswith(("| 20016961 ", "| 17cb92a5"))) == 16
    # owners in the words of the app's table and the CSV's owner_label, the blank one explained
    assert "Owner: Self is the filer, whom the filings leave blank (so does the CSV's owner column" in report
    owners = [line.split(" | ")[1] for line in transaction_lines.splitlines() if line.startswith(("| 2", "| 1"))]
    assert owners == ["Spouse"] * 15 + ["Self"]
    assert [row[CSV_COLUMNS.index("owner_label")] for row in rows] == owners
    assert "### Hon. Nancy Pelosi (House, CA12)" in report
    assert "- Filing 20016961 (20016961.pdf): signed 2020-07-20, traded 2020-01-16 to 2020-06-24" in report
    assert "### Ron L Wyden (Senate)" in report
    assert "report for 2017-07-06, filed 2017-07-06" in report
    checks = report.split("## Checks")[1]
    grounded = "  - grounding: passed, every value of {} row(s) found on its page"
    assert f"- **20016961.pdf**: read cleanly\n{grounded.format(9)}" in checks
    assert f"- **{senate.name}**: read cleanly\n{grounded.format(7)}" in checks
    # the answer for the profile, per filer then combined: these filings trade options, which it avoids, and hold
    # a position above 20%
    fit = report.split("## Fit with this profile")[1].split("## Run")[0]
    headings = [line for line in fit.splitlines() if line.startswith("### ")]
    assert headings == ["### Hon. Nancy Pelosi", "### Ron L Wyden", "### All filers combined"]
    assert fit.count("**Copying these trades ") == 3
    assert "**No options: does not fit.**" in fit and "**Position size: " in fit


@pytest.mark.shared
def test_run_a_broken_file_beside_good_ones_exits_1_and_the_others_rows_are_written(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    out = tmp_path / "out"
    result = run_cli("run", str(filing_path("20016961")), str(broken), str(senate_file(SEVEN_ROWS)),
                     "--out", str(out), "--no-ocr")
    assert result.returncode == 1
    assert "broken.pdf: failed" in result.stderr and "Traceback" not in result.stderr
    assert "files: 3, rows: 16, flagged rows: 0, needs OCR: 0, failed: 1, " in result.stdout
    rows = csv_table(out / "transactions.csv")[1:]
    assert {row[CSV_COLUMNS.index("source_file")] for row in rows} == {"20016961.pdf", SEVEN_ROWS.split("/")[1]}
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "- **broken.pdf**: failed (" in report and "Not read, so no filer is known: broken.pdf" in report


@pytest.mark.parametrize(("arguments", "message"), [
    (["--max-position", "0"], "argument --max-position: '0': give a percentage of volume from 1 to 100"),
    (["--max-position", "101"], "argument --max-position: '101': give a percentage of volume from 1 to 100"),
    (["--max-position", "lots"], "argument --max-position: 'lots': give a percentage of volume from 1 to 100"),
    (["--risk", "extreme"], "argument --risk: invalid choice: 'extreme' (choose from 'low', 'medium', 'high')"),
    (["--horizon", "forever"], "argument --horizon: invalid choice: 'forever'"),
], ids=["position-0", "position-101", "position-text", "risk", "horizon"])
def test_run_bad_arguments_exit_2_with_the_message(tmp_path, arguments: list[str], message: str):
    result = run_cli("run", str(ROOT / "samples" / "sample_ptr_2024_a.pdf"), "--out", str(tmp_path / "out"),
                     *arguments)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("usage: python -m agent run ")


def test_run_missing_input_is_named(tmp_path):
    result = run_cli("run", str(tmp_path / "nope.pdf"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "argument FILE_OR_DIR: " + str(tmp_path / "nope.pdf") + ": no such file or folder" in result.stderr


def test_run_out_must_be_a_writable_folder(tmp_path):
    sample = str(ROOT / "samples" / "sample_ptr_2024_a.pdf")
    a_file = tmp_path / "taken"
    a_file.write_text("")
    result = run_cli("run", sample, "--out", str(a_file))
    assert result.returncode == 2
    assert f"argument --out: {a_file}: is a file, not a folder" in result.stderr

    under_a_file = a_file / "out"  # unwritable for anyone, root included
    result = run_cli("run", sample, "--out", str(under_a_file))
    assert result.returncode == 2
    assert f"argument --out: {under_a_file}: cannot write there (Not a directory)" in result.stderr


def test_run_with_an_llm_configured_uses_it(tmp_path, fake_llm):
    """OPENAI_BASE_URL set: the LLM brain runs (a House PTR costs it one call, the plan) and the trace says so."""
    fake_llm.queue(text("Inspect, parse with the deterministic parser, validate, summarise."))
    result = run_cli("run", str(ROOT / "samples" / "sample_ptr_2024_a.pdf"), "--out", str(tmp_path),
                     env={"OPENAI_BASE_URL": fake_llm.base_url, "OPENAI_API_KEY": "sk-test-0123456789abcdefghij",
                          "OPENAI_MODEL": "fake-model"})
    assert result.returncode == 0, result.stderr
    assert "Run started: 1 file(s), llm brain" in result.stderr
    assert "Plan: Inspect, parse with the deterministic parser, validate, summarise." in result.stderr
    started = from_jsonl((tmp_path / "trace.jsonl").read_text(encoding="utf-8"))[0]
    assert (started.brain, started.model) == ("llm", "fake-model")
    assert fake_llm.requests[0].body["model"] == "fake-model"


def test_the_csv_is_the_apps_csv_of_the_same_rows(tmp_path):
    """The CLI's CSV is filings_csv of the run's filings, the same text the app's frame-based download gives."""
    from agent.export import records_of_frame, to_csv, to_dataframe
    from agent.models import InputFile
    from agent.run.loop import Agent

    sample = ROOT / "samples" / "sample_ptr_2024_a.pdf"
    result = run_cli("run", str(sample), "--out", str(tmp_path), "--no-ocr")
    assert result.returncode == 0, result.stderr
    filings = Agent().run([InputFile(sample.name, sample.read_bytes())]).filings
    app_csv = to_csv(records_of_frame(to_dataframe(filings)))
    assert (tmp_path / "transactions.csv").read_bytes() == app_csv.encode("utf-8")
    assert io.StringIO(app_csv).readline().rstrip("\r\n").split(",") == list(CSV_COLUMNS)
    # one filer: one answer, for the default profile, with no per-filer headings
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "- Risk tolerance: medium\n- Horizon: medium\n- Options: allowed\n- Largest position: no limit" in report
    fit = report.split("## Fit with this profile")[1].split("## Run")[0]
    assert fit.count("**Copying these trades ") == 1 and "### " not in fit
