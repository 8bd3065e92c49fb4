"""The format registry on real filings: which format claims a document, why, and what the trace says;
and what an upload is by its bytes."""

from __future__ import annotations

import pytest

from agent.documents.sandbox import read_document
from agent.documents.upload import kind_of
from agent.formats.registry import FORMATS, format_named, recognise
from agent.models import InputFile
from agent.run.loop import Agent
from tests.conftest import SAMPLES, filing_path
from tests.pdf_builders import BROKER_STATEMENT, text_pdf


def test_every_format_has_a_unique_name_and_a_label() -> None:
    names = [candidate.name for candidate in FORMATS]
    assert len(set(names)) == len(names) and all(candidate.label for candidate in FORMATS)
    assert format_named("house_paper").reads_images and not format_named("house_ptr").reads_images
    with pytest.raises(KeyError, match="no filing format 'senate'"):
        format_named("senate")


@pytest.mark.shared
@pytest.mark.parametrize(("docid", "claimed", "evidence"), [
    ("20016961", "house_ptr", 'the table header "ID Owner Asset ..." is printed on page(s) 1'),
    ("20005757", "house_ptr", "printed on page(s) 1"),  # the 2016 layout without the Cap. Gains column
    ("2001391", "house_paper", "none of its 2 page(s) has a text layer"),
], ids=["house-2020", "house-2016-legacy", "house-scan"])
def test_real_filings_are_claimed_by_their_format_with_the_evidence(docid: str, claimed: str, evidence: str) -> None:
    document = read_document(filing_path(docid).read_bytes(), f"{docid}.pdf")
    recognition = recognise(document)
    assert recognition.format is not None and recognition.format.name == claimed
    (matching,) = [detection for detection in recognition.detections if detection.matches]
    assert any(evidence in reason for reason in matching.reasons), matching.reasons


def test_a_document_no_format_claims_has_every_formats_reason() -> None:
    document = read_document(text_pdf([BROKER_STATEMENT]), "statement.pdf")
    recognition = recognise(document)
    assert recognition.format is None
    assert [(d.format, d.matches) for d in recognition.detections] == [(f.name, False) for f in FORMATS]
    assert all(d.reasons for d in recognition.detections)


def test_the_trace_names_the_format_recognised_and_why() -> None:
    sample = SAMPLES / "sample_ptr_2024_a.pdf"
    result = Agent().run([InputFile(sample.name, sample.read_bytes())])
    inspection = next(event for event in result.events if event.type == "observation" and event.tool == "inspect_pdf")
    assert 'House PTR (electronic): the table header "ID Owner Asset ..." is printed on page(s) 1' in inspection.summary
    thoughts = [event.text for event in result.events if event.type == "thought"]
    assert any("House PTR (electronic)" in thought and "deterministic reader" in thought for thought in thoughts)


def test_an_unknown_layout_is_flagged_offline_with_the_reasons() -> None:
    result = Agent().run([InputFile("statement.pdf", text_pdf([BROKER_STATEMENT]))])
    (outcome,) = result.outcomes
    assert outcome.status == "flagged" and outcome.rows == 0
    thoughts = " ".join(event.text for event in result.events if event.type == "thought")
    assert "no filing format the deterministic readers know" in thoughts and "house_ptr:" in thoughts


@pytest.mark.parametrize(("data", "kind"), [
    (b"%PDF-1.7\n...", "pdf"),
    (b"\r\n junk before the header %PDF-1.4", "pdf"),
    (b"<!DOCTYPE html><html><body>eFD</body></html>", "html"),
    (b"\xef\xbb\xbf  <!-- saved from url=(0040) -->\n<html lang='en'>", "html"),
    (b"<HEAD><TITLE>x</TITLE>", "html"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image"),
    (b"\xff\xd8\xff\xe0JFIF", "image"),
    (b"GIF89a\x01\x00", "image"),
    (b"II*\x00tiff", "image"),
    (b"", "empty"),
    (b"PK\x03\x04 a zip", "unknown"),
    (b"Dear Clerk, <html> later in a letter", "unknown"),
], ids=["pdf", "pdf-after-junk", "html", "html-bom-comment", "html-upper", "png", "jpeg", "gif", "tiff", "empty",
        "zip", "text-mentioning-html"])
def test_an_upload_is_told_by_its_bytes(data: bytes, kind: str) -> None:
    assert kind_of(data) == kind
