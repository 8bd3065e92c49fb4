"""Page images as uploads: GIF (multi-frame too), PNG, JPEG and TIFF (multi-page), one file per page or bundled as
one report, read through the sandbox like scanned PDFs, within the same limits. The images are made in the test
from a real Senate paper report's page."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from agent.documents import images, ocr
from agent.documents.images import bundle_images, bundle_page_images
from agent.documents.render import highlighted_page
from agent.documents.sandbox import read_document, render_page
from agent.documents.upload import kind_of
from agent.errors import InputError
from agent.models import InputFile
from agent.run.extract import extract_bytes
from tests.conftest import senate_file

COLLINS = "70427886-8921-40D4-8EB4-31BD59180220"  # one page, 10 typed rows of the spouse's
needs_tesseract = pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")


@pytest.fixture(scope="module")
def page() -> Image.Image:
    """Page 1 of a real eFD paper report as eFD's GIF was (a pixel a point, two colours)."""
    document = pdfium.PdfDocument(senate_file(f"paper/{COLLINS}.pdf").read_bytes())
    return document[0].render(scale=1).to_pil().convert("1")


def saved(picture: Image.Image | list[Image.Image], kind: str, **options: object) -> bytes:
    frames = picture if isinstance(picture, list) else [picture]
    buffer = io.BytesIO()
    frames[0].save(buffer, kind, save_all=len(frames) > 1, append_images=frames[1:], **options)
    return buffer.getvalue()


@pytest.mark.parametrize("kind, convert, dpi, points", [
    ("GIF", "1", None, (2200.0, 1728.0)),  # eFD's GIFs carry no resolution: a pixel a point, as eFD's PDFs place them
    ("PNG", "L", (200, 200), (792.0, 622.08)),
    ("JPEG", "L", (300, 300), (528.0, 414.72)),
    ("TIFF", "1", (200, 200), (792.0, 622.08)),
])
def test_each_image_kind_is_a_document_of_one_scanned_page(page: Image.Image, kind: str, convert: str,
                                                           dpi: tuple[int, int] | None,
                                                           points: tuple[float, float]) -> None:
    data = saved(page.convert(convert), kind, **({"dpi": dpi} if dpi else {}))
    document = read_document(data, f"page.{kind.lower()}")
    assert kind_of(data) == "image" and len(document.pages) == 1 and document.image_only_pages == [1]
    assert (document.pages[0].width, document.pages[0].height) == pytest.approx(points, abs=0.5)
    grey = render_page(data, "page", 1, 72)  # at 72 dpi a page is as many pixels as it is points
    assert grey.shape == (round(points[1]), round(points[0]))
    assert grey.min() == 0 and grey.max() == 255  # the page's ink and paper, not a blank


def test_a_multi_frame_gif_and_a_multi_page_tiff_are_one_page_a_frame(page: Image.Image) -> None:
    upside_down = page.rotate(180)
    gif = read_document(saved([page, upside_down], "GIF"), "report.gif")  # a GIF's frames share its canvas
    assert len(gif.pages) == 2 and gif.image_only_pages == [1, 2]
    tiff = saved([page, page.rotate(90, expand=True)], "TIFF")  # no resolution: taken as a 200 dpi scan
    document = read_document(tiff, "report.tiff")
    assert [(p.width, p.height) for p in document.pages] == [(792.0, 622.08), (622.08, 792.0)]
    assert render_page(tiff, "report", 2, 100).shape == (1100, 864)  # the second page, at half its 200 dpi


def test_files_said_to_belong_together_are_one_report_in_page_order(page: Image.Image) -> None:
    first, second = saved(page, "GIF"), saved(page.rotate(90, expand=True), "PNG", dpi=(200, 200))
    pdf = InputFile("notes.pdf", b"%PDF-1.7 not images")
    bundled = bundle_images([InputFile("page 10.png", second), pdf, InputFile("page 2.gif", first)])
    assert [file.name for file in bundled] == ["page 2.gif (+1 pages)", "notes.pdf"]
    document = read_document(bundled[0].data, bundled[0].name)
    assert [(round(p.width, 1), round(p.height, 1)) for p in document.pages] == [(2200.0, 1728.0), (622.1, 792.0)]
    assert bundle_images([pdf, InputFile("one.gif", first)]) == [pdf, InputFile("one.gif", first)]  # nothing to join


def test_the_source_view_shows_an_image_page_with_a_rows_box(page: Image.Image) -> None:
    data = saved(page, "GIF")
    shown = Image.open(io.BytesIO(highlighted_page(data, [{"page": 1, "x0": 100.0, "top": 100.0, "x1": 400.0,
                                                              "bottom": 160.0}], 1)))
    assert shown.mode == "RGB" and sorted(shown.size) == [round(1728 * 110 / 72), round(2200 * 110 / 72)]
    pixels = np.asarray(shown)
    assert ((pixels[..., 0] > 200) & (pixels[..., 1] < 60)).sum() > 500  # the box's red outline


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header says width x height, with one small deflated row: what a decompression bomb looks like
    before it is decoded."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("data, reason", [
    (png_claiming(100_000, 100_000), "more than 40,000,000 pixels (a decompression bomb, or no page scan): not read"),
    (png_claiming(8_000, 6_000), "more than 40,000,000 pixels (a decompression bomb, or no page scan): not read"),
    (b"GIF89a" + bytes(range(256)) * 4, "the image cannot be read: it is damaged or not an image"),
    (bundle_page_images([b"GIF89a\x01\x00\x01\x00", b"%PDF-1.7"]), "file 2 of the bundle is not a GIF, PNG, JPEG or "
                                                                  "TIFF image"),
    (images.BUNDLE_MAGIC + struct.pack("<Q", 999) + b"GIF89a", "the bundle of page images is cut short"),
    (b"\x89PNG\r\n\x1a\n" + bytes(images.MAX_IMAGE_BYTES), "page images over 40 MB are not read"),
], ids=["decompression-bomb", "just-over-the-pixel-limit", "damaged-gif", "bundle-with-a-pdf", "cut-bundle",
        "too-large"])
def test_hostile_or_damaged_images_get_a_clear_reason(data: bytes, reason: str) -> None:
    with pytest.raises(InputError) as raised:
        read_document(data, "upload.png")
    assert reason in raised.value.reason
    outcome = extract_bytes(data, "upload.png")
    assert outcome.status == "failed" and reason in outcome.reason and "Traceback" not in outcome.reason


@pytest.mark.slow
@needs_tesseract
def test_an_efd_gif_page_reads_as_the_paper_reports_pdf(page: Image.Image, tmp_path: Path) -> None:
    gif = tmp_path / f"{COLLINS}.gif"
    gif.write_bytes(saved(page, "GIF"))
    from_gif = extract_bytes(gif.read_bytes(), gif.name, ocr=True).filing
    from_pdf = extract_bytes(senate_file(f"paper/{COLLINS}.pdf").read_bytes(), f"{COLLINS}.pdf", ocr=True).filing
    assert from_gif is not None and from_pdf is not None
    fields = ("owner", "transaction_type", "transaction_date", "amount")
    assert [[getattr(row, name) for name in fields] for row in from_gif.transactions] == \
        [[getattr(row, name) for name in fields] for row in from_pdf.transactions]
    assert len(from_gif.transactions) == 10 and from_gif.chamber == "senate"
    assert (from_gif.filing_id, from_gif.filer_name) == (COLLINS.lower(), "Susan Collins")
