"""Bad input: each file gets one clear, specific reason, and never stops the others."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from agent.run.extract import extract_bytes
from tests.conftest import SAMPLES


def sample_bytes() -> bytes:
    return sorted(SAMPLES.glob("sample_ptr_*.pdf"))[0].read_bytes()


def encrypted(data: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_only_pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (612, 792), "white").save(buffer, "PDF")
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "status", "reason"),
    [
        (lambda: b"", "failed", "the file is empty (0 bytes)"),
        (lambda: os.urandom(4096), "failed", "not a PDF (the file does not start with %PDF-)"),
        (png_bytes, "needs_ocr", "scanned filing, needs OCR"),  # a page image, read as a scan
        # read by what it is: a web page named .pdf is a web page, and not a Senate PTR
        (lambda: b"<html><body>PTR</body></html>", "flagged", "a web page, but not a Senate eFD Periodic Transaction"),
        (lambda: sample_bytes()[: len(sample_bytes()) // 2], "failed", "damaged or truncated"),
        (lambda: b"%PDF-1.7\n" + os.urandom(4096), "failed", "damaged or truncated"),
        (lambda: encrypted(sample_bytes(), "user-secret"), "failed", "encrypted with a password"),
        (image_only_pdf, "needs_ocr", "scanned filing, needs OCR"),
    ],
    ids=["zero-bytes", "random-bytes", "png-renamed", "html-renamed", "truncated", "pdf-header-then-garbage",
         "encrypted-user-password", "image-only"],
)
def test_bad_input_gets_a_clear_reason(make, status, reason):
    outcome = extract_bytes(make(), "upload.pdf")
    assert outcome.status == status
    assert reason in outcome.reason
    assert "Traceback" not in outcome.reason


def test_owner_password_only_still_reads():
    plain = extract_bytes(sample_bytes(), "sample.pdf")
    locked = extract_bytes(encrypted(sample_bytes(), ""), "sample.pdf")
    assert locked.status == plain.status and locked.rows == plain.rows > 0
