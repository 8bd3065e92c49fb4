"""OCR for pages without a text layer: Debian's tesseract, called as a subprocess.

A page is rendered with PDFium, its long ruled lines (the form's grid) are whitened out (they make
tesseract read the grid as letters and lower its confidence), its orientation is chosen by OCR'ing a
central crop at 0, 90 and 270 degrees and keeping the best mean confidence (many scans are turned 90
degrees with no /Rotate flag, and tesseract's own OSD guessed wrong on them), and the chosen image is
read with `tesseract --psm 6 tsv`. Words come back with boxes in PDF points of the page as the reader
sees it after the turn (top-left origin, like `Word`) and a confidence (0-100) each.

Nothing is downloaded at run time: the engine and its English model are Debian packages
(`tesseract-ocr tesseract-ocr-eng`), installed by scripts/run.sh and scripts/test.sh.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from agent.pdf import open_pdf

ENGINE = "tesseract"
MISSING_MESSAGE = "OCR engine not installed: run scripts/run.sh (it installs tesseract-ocr)"
DPI = 200  # the scans here are about 200 dpi: rendering finer costs time and gains nothing
PROBE_DPI = 150
INK = 160  # grey level under which a pixel is ink
LINE_RUN = 0.04  # a dark run longer than this share of the page's width is a ruled line, not a glyph
TIMEOUT = 60


class OcrUnavailable(RuntimeError):
    """The OCR engine is not installed (or cannot run)."""


@dataclass(frozen=True)
class OcrWord:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    conf: float  # 0-100, tesseract's word confidence
    line: tuple[int, int, int] = (0, 0, 0)  # tesseract's (block, paragraph, line)


@dataclass
class OcrPage:
    number: int  # 1-based
    rotation: int  # degrees the page image was turned (counter-clockwise) before reading
    width: float  # in points, after the turn
    height: float
    words: list[OcrWord] = field(default_factory=list)
    seconds: float = 0.0
    image: np.ndarray | None = None  # the cleaned grey image that was read (rows x cols), for mark checks
    scale: float = DPI / 72  # pixels per point in `image`
    rules: list[float] = field(default_factory=list)  # x (points) of the grid's vertical rules

    @property
    def mean_confidence(self) -> float:
        return round(sum(w.conf for w in self.words) / len(self.words), 1) if self.words else 0.0

    @property
    def text(self) -> str:
        lines: dict[tuple, list[OcrWord]] = {}
        for word in self.words:
            lines.setdefault(word.line, []).append(word)
        ordered = sorted(lines.values(), key=lambda ws: (min(w.top for w in ws), min(w.x0 for w in ws)))
        return "\n".join(" ".join(w.text for w in sorted(ws, key=lambda w: w.x0)) for ws in ordered)


def tesseract_path() -> str | None:
    return shutil.which("tesseract")


def available() -> bool:
    return tesseract_path() is not None


def _run_tesseract(image: np.ndarray, dpi: int, psm: int = 6) -> str:
    exe = tesseract_path()
    if exe is None:
        raise OcrUnavailable(MISSING_MESSAGE)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    with tempfile.NamedTemporaryFile(suffix=".png") as handle:
        Image.fromarray(image).save(handle.name)
        try:
            result = subprocess.run([exe, handle.name, "-", "--psm", str(psm), "--dpi", str(dpi), "tsv"],
                                    capture_output=True, text=True, env=env, timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OcrUnavailable(f"tesseract could not run ({exc})") from None
    if result.returncode != 0:
        raise OcrUnavailable(f"tesseract failed: {result.stderr.strip()[-300:]}")
    return result.stdout


def parse_tsv(tsv: str, scale: float) -> list[OcrWord]:
    """Tesseract's TSV (level 5 rows are words) to words in points (pixels / scale)."""
    words = []
    for line in tsv.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            left, top, width, height = (int(v) for v in cols[6:10])
            conf = float(cols[10])
        except ValueError:
            continue
        if conf < 0:
            continue
        words.append(OcrWord(cols[11].strip(), left / scale, top / scale, (left + width) / scale,
                             (top + height) / scale, conf, (int(cols[2]), int(cols[3]), int(cols[4]))))
    return words


def _runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Pixels of `mask` that belong to a horizontal run of at least `length` set pixels."""
    length = max(2, min(length, mask.shape[1]))
    padded = np.pad(mask, ((0, 0), (1, 0))).astype(np.int32)
    sums = np.cumsum(padded, axis=1)
    full = (sums[:, length:] - sums[:, :-length]) == length  # window starting at i is all ink
    covered = np.cumsum(np.pad(full, ((0, 0), (1, 0))).astype(np.int32), axis=1)
    index = np.arange(mask.shape[1])
    low = np.clip(index - length + 1, 0, full.shape[1])
    high = np.clip(index + 1, 0, full.shape[1])
    return (covered[:, high] - covered[:, low]) > 0


def rule_masks(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the long horizontal and vertical ruled lines."""
    dark = grey < INK
    run = int(min(grey.shape) * LINE_RUN)
    return _runs(dark, run), _runs(dark.T, run).T


def remove_rules(grey: np.ndarray) -> np.ndarray:
    """The image with long horizontal and vertical ruled lines whitened out."""
    horizontal, vertical = rule_masks(grey)
    lines = horizontal | vertical
    # widen by a pixel: scanned rules have a grey fringe
    lines[1:, :] |= lines[:-1, :]
    lines[:, 1:] |= lines[:, :-1]
    return np.where(lines, 255, grey).astype(np.uint8)


def vertical_rules(grey: np.ndarray, scale: float) -> list[float]:
    """x positions (points) of the vertical ruled lines of an upright page: columns of the grid."""
    _, vertical = rule_masks(grey)
    counts = vertical.sum(axis=0)
    threshold = max(20, grey.shape[0] * 0.08)
    xs = np.flatnonzero(counts >= threshold)
    rules: list[list[int]] = []
    for x in xs:
        if rules and x - rules[-1][-1] <= 3:
            rules[-1].append(int(x))
        else:
            rules.append([int(x)])
    return [sum(group) / len(group) / scale for group in rules]


def _mean_conf(words: list[OcrWord]) -> float:
    # Confidence weighted by length: the wrong orientation yields many short, unsure fragments.
    letters = [(w.conf, sum(ch.isalnum() for ch in w.text)) for w in words]
    total = sum(n for _, n in letters)
    return sum(c * n for c, n in letters) / total if total else 0.0


def choose_rotation(grey: np.ndarray) -> int:
    """0, 90 or 270: the turn (counter-clockwise) under which a central crop reads best."""
    height, width = grey.shape
    step = max(1, round(DPI / PROBE_DPI))
    crop = grey[height // 3: 2 * height // 3: step, width // 4: 3 * width // 4: step]
    best, best_score = 0, -1.0
    for rotation in (0, 90, 270):
        image = np.ascontiguousarray(np.rot90(crop, rotation // 90))
        words = parse_tsv(_run_tesseract(image, PROBE_DPI), 1.0)
        score = _mean_conf(words) * min(1.0, sum(len(w.text) for w in words) / 100)
        if score > best_score:
            best, best_score = rotation, score
        if score >= 80:  # clearly upright: no need to try the other turns
            break
    return best


def render(page: pdfium.PdfPage, dpi: int = DPI) -> np.ndarray:
    return np.array(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))


def ocr_image(grey: np.ndarray, number: int = 1, dpi: int = DPI, rotation: int | None = None) -> OcrPage:
    """OCR one rendered page (grey, rows x cols at `dpi`): clean the rules, turn it upright, read it."""
    started = time.perf_counter()
    clean = remove_rules(grey)
    if rotation is None:
        rotation = choose_rotation(clean)
    upright = np.ascontiguousarray(np.rot90(clean, rotation // 90))
    scale = dpi / 72
    words = parse_tsv(_run_tesseract(upright, dpi), scale)
    rules = vertical_rules(np.ascontiguousarray(np.rot90(grey, rotation // 90)), scale)
    return OcrPage(number, rotation, upright.shape[1] / scale, upright.shape[0] / scale, words,
                   time.perf_counter() - started, upright, scale, rules)


def ocr_pdf_pages(data: bytes, source: str, numbers: list[int]) -> list[OcrPage]:
    """OCR the given 1-based pages of a PDF. Raises OcrUnavailable when tesseract is missing."""
    if not available():
        raise OcrUnavailable(MISSING_MESSAGE)
    document = open_pdf(data, source)
    try:
        pages = []
        for number in numbers:
            started = time.perf_counter()
            page = document[number - 1]
            try:
                grey = render(page)
            finally:
                page.close()
            result = ocr_image(grey, number)
            result.seconds = time.perf_counter() - started
            pages.append(result)
        return pages
    finally:
        document.close()
