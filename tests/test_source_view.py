"""The source view: a row's page rendered with the row's box in red. The page is rendered in a sandboxed worker, so
a hostile upload shown there gets a clear reason and costs the app's own process neither memory nor much time."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from agent.documents.render import MAX_SIDE, PADDING, RESOLUTION, highlighted_page
from agent.errors import InputError
from agent.run.extract import extract_bytes
from tests.conftest import ROOT, filing_path
from tests.test_app import WORKSPACE, seeded
from tests.test_hostile import build_pdf, decompression_bomb, object_flood, sample_bytes, stream

MIB = 1 << 20
MEMORY_BOUND = 100 * MIB  # what showing a hostile page may add to this process's peak resident memory


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def reddish(image: np.ndarray) -> np.ndarray:
    red, green, blue = image[..., 0], image[..., 1], image[..., 2]
    return (red > green + 15) & (red > blue + 15)


@pytest.mark.shared
def test_a_real_rows_box_is_drawn_in_red_where_the_row_is():
    data = filing_path("20016961").read_bytes()
    row = extract_bytes(data, "20016961.pdf").filing.transactions[0]
    box = row.boxes[0]
    plain = pixels(highlighted_page(data, [], box.page))
    marked = pixels(highlighted_page(data, [item.to_dict() for item in row.boxes], box.page))
    assert plain.shape == marked.shape == (1210, 935, 3)  # a letter page at 110 dpi, in colour
    assert not reddish(plain).any()
    scale = RESOLUTION / 72
    changed = np.argwhere((marked != plain).any(axis=2))
    (top, left), (bottom, right) = changed.min(axis=0), changed.max(axis=0)
    expected = [(box.top - PADDING) * scale, (box.x0 - PADDING) * scale, (box.bottom + PADDING) * scale,
                (box.x1 + PADDING) * scale]
    assert np.allclose([top, left, bottom, right], expected, atol=3), "only the box's region changed"
    inside = reddish(marked[int(top):int(bottom) + 1, int(left):int(right) + 1])
    assert inside.mean() > 0.5  # the tint covers the paper inside the box, not a stray line
    outline = marked[int(top):int(top) + 2, int(left) + 10:int(right) - 10]
    assert (np.abs(outline - (220, 30, 30)).max(axis=2) < 40).all(), "the outline is red"


def test_a_page_with_a_huge_mediabox_is_shown_scaled_down():
    """200 x 200 inches (the largest page PDF allows): at 110 dpi 22,000 px a side, 1.4 GB in RGB; shown at
    MAX_SIDE a side, the box scaled with it."""
    data = build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                      b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Contents 4 0 R >>",
                      stream(b"")])
    box = {"page": 1, "x0": 7200.0, "top": 7200.0, "x1": 10800.0, "bottom": 10800.0}
    image = pixels(highlighted_page(data, [box], 1))
    assert image.shape == (MAX_SIDE, MAX_SIDE, 3)
    assert reddish(image[2500, 2500]) and not reddish(image[1500, 1500])  # the box: 2000 to 3000 px


def peak_rss_growth(work: Callable[[], object]) -> int:
    """Bytes by which this process's peak resident memory (VmHWM) grew during `work`: the peak is reset first."""
    clear_refs = Path("/proc/self/clear_refs")
    try:
        clear_refs.write_text("5")  # Linux: reset the peak to the current resident size
    except OSError as exc:
        pytest.skip(f"cannot reset this process's peak memory ({exc})")

    def peak() -> int:
        status = Path("/proc/self/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) * 1024

    before = peak()
    work()
    return peak() - before


def test_the_memory_measure_sees_work_done_in_this_process():
    """So the bound below can fail: 200 MiB allocated here shows."""
    assert peak_rss_growth(lambda: b"x" * (200 * MIB)) > 150 * MIB


def _render_error(data: bytes, page: int = 1) -> str:
    with pytest.raises(InputError) as caught:
        highlighted_page(data, [], page)
    return caught.value.reason


@pytest.mark.slow
@pytest.mark.parametrize("make", [decompression_bomb, object_flood], ids=["decompression-bomb-2-GiB",
                                                                          "3-million-objects-on-one-page"])
def test_a_hostile_page_gets_a_reason_and_costs_the_app_no_memory(make: Callable[[], bytes]):
    """Rendered in this process with pdfplumber (the source view before the sandbox) the bomb took 8 s and a
    3.1 GB peak, the object flood 4 s and 1.07 GB; in the worker both stop at its 1 GiB cap."""
    data = make()
    reasons: list[str] = []
    started = time.monotonic()
    growth = peak_rss_growth(lambda: reasons.append(_render_error(data)))
    assert time.monotonic() - started < 60  # the worker's limit is 20 s: this bounds a hang, it times nothing
    assert reasons == ["reading the PDF needed more than 1 GiB of memory: stopped"]
    assert growth < MEMORY_BOUND, f"this process's peak memory grew by {growth / MIB:.0f} MiB"


def test_a_page_out_of_range_is_named():
    data = sample_bytes(0)
    assert _render_error(data, 5) == "page 5 does not exist (the file has 1 page(s))"
    assert _render_error(data, 0) == "page 0 does not exist (the file has 1 page(s))"


@pytest.mark.parametrize(("data", "reason"), [
    pytest.param(sample_bytes(0)[:2000], "the PDF is damaged or truncated and cannot be opened", id="truncated"),
    pytest.param(b"<html>not a pdf</html>", "not a PDF (the file does not start with %PDF-)", id="not-a-pdf"),
    pytest.param(b"", "the file is empty (0 bytes)", id="empty"),
])
def test_a_damaged_file_is_named(data: bytes, reason: str):
    assert _render_error(data).startswith(reason)


@pytest.fixture
def transactions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app after a run of the samples (as tests/test_app.py seeds it), on the Transactions page."""
    monkeypatch.setenv("TRADETRACE_DATA_DIR", str(tmp_path))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["w"] = WORKSPACE
    seeded(app).run()
    return app.switch_page("pages/transactions_page.py").run()


def _select_first_row(app: AppTest) -> AppTest:
    app.session_state["transactions_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    return app.run()


def test_the_transactions_page_shows_the_selected_rows_page(transactions: AppTest):
    _select_first_row(transactions)
    assert not transactions.exception and not transactions.error
    assert [image.proto.imgs[0].caption for image in transactions.image] == ["Page 1: the row's box in red"]


@pytest.mark.slow
def test_the_transactions_page_says_why_a_hostile_page_cannot_be_shown(transactions: AppTest):
    files = transactions.session_state["files"]
    for name in files:
        files[name] = decompression_bomb()
    _select_first_row(transactions)
    assert not transactions.exception and not transactions.image
    assert [error.value for error in transactions.error] == [
        "Cannot render the page: reading the PDF needed more than 1 GiB of memory: stopped"]
