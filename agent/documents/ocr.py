"""OCR for pages without a text layer: Debian's tesseract, called as a subprocess.

A page is rendered in the PDF sandbox (agent/sandbox.py: a hostile scan costs a worker, not the app), its
long ruled lines (the form's grid) are whitened out (they make tesseract read the grid as letters and
lower its confidence), it is turned upright, and it is read with `tesseract --psm 6 tsv`. Words come back
with boxes in PDF points of the page as the reader sees it after the turn (top-left origin, like `Word`)
and a confidence (0-100) each.

Orientation: many scans are turned 90 degrees with no /Rotate flag, and tesseract's own OSD guessed wrong
on them. A page whose ruled lines show the form's grid (agent/ocr_grid.py) is turned the one way its
columns fit; that needs no reading, and small print cannot mislead it. Otherwise the first page's turn is
chosen by OCR'ing a central crop at 0, 90 and 270 degrees and keeping the turn with the most confidently
read text; later pages are read with the first page's turn and probed only when that read is poor.
Pages after the first are read two at a time (tesseract runs single-threaded, one per core).

Nothing is downloaded at run time: the engine and its English model are Debian packages
(`tesseract-ocr tesseract-ocr-eng`), installed by scripts/run.sh and scripts/test.sh.

A second engine, RapidOCR (PP-OCR's recognition model on onnxruntime, its model inside the PyPI package), reads
again only the cells whose tesseract readings did not settle a value: an independent reading that confirms it or
not (`read_cells`). It is optional: without the package those values stay flagged, and the flag says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from agent.documents.sandbox import render_page
from agent.errors import OcrUnavailable
from agent.formats.paper.grid import find_columns
from agent.models import Box

ENGINE = "tesseract"
MISSING_MESSAGE = "OCR engine not installed: run scripts/run.sh (it installs tesseract-ocr)"
DPI = 200  # the scans here are about 200 dpi: rendering finer costs time and gains nothing
CLEARLY_UPRIGHT = 150  # confident characters in the probe's crop that settle the page's turn
INK = 160  # grey level under which a pixel is ink
LINE_RUN = 0.04  # a dark run longer than this share of the page's width is a ruled line, not a glyph
TIMEOUT = 60
GOOD_READ = 50.0  # a read scoring under this with a reused turn is probed for its own orientation
GAP_POINTS = 60  # white between columns set side by side for a second reading
RULE_MERGE = 2.5  # points: ruled lines closer than this are one line
MAX_SKEW, SKEW_STEP = 2.0, 0.1  # degrees: the tilt looked for in a scan, and how finely
MIN_RULE_PIXELS = 500  # fewer pixels of ruled lines (at half resolution) than this tell no tilt
SKEW_SAMPLE = 20000  # pixels of ruled lines enough to measure a tilt
FEW_ROW_RULES = 10  # a grid page with fewer horizontal rules than this is checked for a tilt hiding them
PARALLEL_PAGES = 2  # pages read at once, and engine calls (one per core of the 2-core machines this runs on)
SECOND_ENGINE = "rapidocr"
SECOND_ENGINE_MISSING = ("the second OCR engine is not installed (rapidocr and onnxruntime, in requirements.txt: "
                         "run scripts/run.sh)")
CELL_PAD = 1.0  # points trimmed off each side of a cell read by the second engine: its ruled lines
CELL_MARGIN = 6.0  # points of white kept left and right of a cell's ink for the second engine
MODEL_WINDOW = 320 / 48  # width over height of the second engine's recognition input (rapidocr's rec_img_shape)

# Engine calls (tesseract processes, the second engine's readings) at once, from every thread: pages, and the
# columns of a page, are read in threads, and more calls than cores only share the cores and add to peak memory.
_engine_slots = threading.BoundedSemaphore(PARALLEL_PAGES)



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
    row_rules: list[float] = field(default_factory=list)  # y (points) of its horizontal rules
    marks: list[Box] = field(default_factory=list)  # cells the grid reader found marked (page coordinates)
    second_reading: list[OcrWord] = field(default_factory=list)  # columns read again on their own

    def page_box(self, x0: float, top: float, x1: float, bottom: float) -> Box:
        """A box read on the upright image, in the coordinates of the page as the PDF stores it (what a
        viewer of the file shows, and where source views draw)."""
        if self.rotation == 90:  # turned counter-clockwise to read: (x, y) was (width - y, x)
            corners = [(self.height - bottom, x0), (self.height - top, x1)]
        elif self.rotation == 270:  # turned clockwise: (x, y) was (y, height - x)
            corners = [(top, self.width - x1), (bottom, self.width - x0)]
        else:
            corners = [(x0, top), (x1, bottom)]
        (a, b), (c, d) = corners
        return Box(self.number, min(a, c), min(b, d), max(a, c), max(b, d))

    @property
    def mean_confidence(self) -> float:
        return round(sum(w.conf for w in self.words) / len(self.words), 1) if self.words else 0.0

    @property
    def text(self) -> str:
        """The page's OCR text line by line; then the lines of any second reading (what grounding checks)."""
        return "\n".join(filter(None, (_text_of(self.words), _text_of(self.second_reading))))


def _text_of(words: list[OcrWord]) -> str:
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    ordered = sorted(lines.values(), key=lambda ws: (min(w.top for w in ws), min(w.x0 for w in ws)))
    return "\n".join(" ".join(w.text for w in sorted(ws, key=lambda w: w.x0)) for ws in ordered)


def tesseract_path() -> str | None:
    return shutil.which("tesseract")


def available() -> bool:
    return tesseract_path() is not None


def _run_tesseract(image: np.ndarray, dpi: int, psm: int = 6, whitelist: str = "") -> str:
    exe = tesseract_path()
    if exe is None:
        raise OcrUnavailable(MISSING_MESSAGE)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    # an uncompressed grey map: compressing a page as PNG cost 60 ms of this process's CPU; tesseract reads the same
    # pixels either way
    with tempfile.NamedTemporaryFile(suffix=".pgm") as handle:
        Image.fromarray(image).save(handle.name)
        try:
            # tessedit_do_invert=0: the scans have no white-on-black text, and the inverted pass costs a third
            options = ["-c", "tessedit_do_invert=0"]
            if whitelist:
                options += ["-c", f"tessedit_char_whitelist={whitelist}"]
            with _engine_slots:
                result = subprocess.run([exe, handle.name, "-", "--psm", str(psm), "--dpi", str(dpi), *options, "tsv"],
                                        check=False, capture_output=True, text=True, env=env, timeout=TIMEOUT)
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
    """Pixels of `mask` that belong to a horizontal run of at least `length` set pixels. Found from where each run
    starts and ends, in arrays of a byte a pixel: running sums of int32s over a whole page cost ten times the
    memory (the largest share of OCR's own, two pages at a time)."""
    length = max(2, min(length, mask.shape[1]))
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))).view(np.int8), axis=1)  # 1 where a run starts, -1 just past it
    rows, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1]  # in the same order: each row's runs, left to right
    long = ends - starts >= length
    marks = np.zeros((mask.shape[0], mask.shape[1] + 1), np.int8)
    marks[rows[long], starts[long]] = 1
    marks[rows[long], ends[long]] = -1
    return np.cumsum(marks, axis=1, dtype=np.int8)[:, :-1].astype(bool)


def rule_masks(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the long horizontal and vertical ruled lines."""
    dark = grey < INK
    run = int(min(grey.shape) * LINE_RUN)
    return _runs(dark, run), _runs(dark.T, run).T


def remove_rules(grey: np.ndarray, horizontal: np.ndarray, vertical: np.ndarray) -> np.ndarray:
    """The image with the given ruled-line masks whitened out."""
    lines = horizontal | vertical
    # widen by a pixel: scanned rules have a grey fringe
    lines[1:, :] |= lines[:-1, :]
    lines[:, 1:] |= lines[:, :-1]
    return np.where(lines, 255, grey).astype(np.uint8)


def vertical_rules(vertical: np.ndarray, scale: float, share: float = 0.08) -> list[float]:
    """x positions (points) of the vertical ruled lines of an upright page (columns of the grid): those
    covering at least `share` of the page's height."""
    counts = vertical.sum(axis=0)
    threshold = max(20, vertical.shape[0] * share)
    xs = np.flatnonzero(counts >= threshold)
    rules: list[list[int]] = []
    for x in xs:
        if rules and x - rules[-1][-1] <= RULE_MERGE * scale:  # one line, scanned thick or doubled
            rules[-1].append(int(x))
        else:
            rules.append([int(x)])
    return [sum(group) / len(group) / scale for group in rules]


def horizontal_rules(horizontal: np.ndarray, scale: float) -> list[float]:
    """y positions (points) of the horizontal ruled lines of an upright page that cross a third of it."""
    return vertical_rules(horizontal.T, scale, share=0.3)


def read_score(words: list[OcrWord]) -> float:
    """Confidence weighted by length: the wrong orientation yields many short, unsure fragments."""
    letters = [(w.conf, sum(ch.isalnum() for ch in w.text)) for w in words]
    total = sum(n for _, n in letters)
    return sum(c * n for c, n in letters) / total if total else 0.0


def confident_letters(words: list[OcrWord]) -> int:
    """Characters in words of three or more characters read with confidence 70 or more: what a turned page
    lacks (tesseract still reads its grid remnants and specks as short, fairly confident junk)."""
    return sum(len(w.text) for w in words if w.conf >= 70 and len(w.text) >= 3 and any(c.isalnum() for c in w.text))


def choose_rotation(grey: np.ndarray, default: int = 0) -> int:
    """0, 90 or 270: the turn (counter-clockwise) under which a central crop reads the most confident text
    (`default` when no turn reads any)."""
    height, width = grey.shape
    crop = grey[height // 3: 2 * height // 3, width // 4: 3 * width // 4]
    best, best_score = default, 0
    for rotation in (0, 90, 270):
        score = confident_letters(parse_tsv(_run_tesseract(_turn(crop, rotation), DPI), 1.0))
        if score > best_score:
            best, best_score = rotation, score
        if score >= CLEARLY_UPRIGHT:  # no need to try the other turns
            break
    return best


def read_columns(page: OcrPage, spans: list[tuple[float, float]], whitelist: str = "", zoom: int = 1,
                 psm: int = 6) -> list[OcrWord]:
    """OCR some columns of a read page again (x spans in points of the upright page), optionally with only
    the given characters, enlarged `zoom` times, and in another page segmentation mode (11, sparse text,
    finds more of small print): another, independent reading. The columns are set side
    by side with white gaps (so the cells of one row stay on one line but never run together) and read in
    one call; words come back in the page's points."""
    if page.image is None or not spans:
        return []
    s = page.scale
    gap = np.full((page.image.shape[0], int(GAP_POINTS * s)), 255, np.uint8)
    crops, offsets, cursor = [], [], 0
    for x0, x1 in spans:
        left, right = max(0, int(x0 * s)), min(page.image.shape[1], int(x1 * s))
        crops += [page.image[:, left:right], gap]
        offsets.append((cursor, right - left, left))
        cursor += right - left + gap.shape[1]
    image = np.ascontiguousarray(np.hstack(crops))
    if zoom > 1:  # small print reads better enlarged
        picture = Image.fromarray(image)
        image = np.array(picture.resize((picture.width * zoom, picture.height * zoom), Image.Resampling.LANCZOS))
    words = []
    for word in parse_tsv(_run_tesseract(image, round(s * 72) * zoom, psm, whitelist), float(zoom)):
        for start, width, left in offsets:
            if start <= word.x0 < start + width:
                shift = left - start
                words.append(OcrWord(word.text, (word.x0 + shift) / s, word.top / s, (word.x1 + shift) / s,
                                     word.bottom / s, word.conf, word.line))
                break
    return words


def skew_angle(grey: np.ndarray) -> float:
    """Degrees a scan is turned off square (positive: its lines fall to the right), from its ruled lines:
    the angle, within MAX_SKEW, under which their pixels line up on the fewest rows (and columns). Looked
    for at half resolution, coarsely and then in SKEW_STEPs around the best coarse angle."""
    small = grey[::2, ::2] < INK
    run = max(2, int(min(small.shape) * LINE_RUN / 2))  # half a rule: a tilted rule breaks into shorter runs
    ys, xs = np.nonzero(_runs(small, run))
    vys, vxs = np.nonzero(_runs(small.T, run).T)
    if len(ys) + len(vys) < MIN_RULE_PIXELS:
        return 0.0
    keep = max(1, (len(ys) + len(vys)) // SKEW_SAMPLE)  # every k-th pixel is plenty to line up
    lines = [(ys[::keep], xs[::keep], -1.0), (vxs[::keep], vys[::keep], 1.0)]

    def alignment(angle: float) -> float:
        slope = np.tan(np.radians(angle))
        total = 0.0
        for across, along, sign in lines:
            if len(across):
                offsets = np.round(across + sign * along * slope).astype(np.int64)
                total += float((np.bincount(offsets - offsets.min()) ** 2).sum())
        return total

    coarse = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 5 * SKEW_STEP), key=alignment)
    return float(max(np.arange(coarse - 4 * SKEW_STEP, coarse + 4.01 * SKEW_STEP, SKEW_STEP), key=alignment))


def deskew(grey: np.ndarray) -> np.ndarray:
    """The scan turned square (the same array when it is square within SKEW_STEP). A tilted rule is not
    one straight line of pixels, so a tilted grid's row rules are not found. Pixels are moved, not
    blended: interpolation blurs small print."""
    angle = skew_angle(grey)
    if abs(angle) < SKEW_STEP / 2:
        return grey
    return np.array(Image.fromarray(grey).rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=255))


def grid_rotation(horizontal: np.ndarray, vertical: np.ndarray, scale: float) -> int | None:
    """0, 90 or 270 when the page's ruled lines show the form's grid under exactly that turn, else None."""
    fits = [rotation for rotation in (0, 90, 270)
            if find_columns(vertical_rules(_turn(horizontal if rotation else vertical, rotation), scale))]
    return fits[0] if len(fits) == 1 else None


def _turn(image: np.ndarray, rotation: int) -> np.ndarray:
    return np.ascontiguousarray(np.rot90(image, rotation // 90))


def ocr_image(grey: np.ndarray, number: int = 1, dpi: int = DPI, rotation: int | None = None) -> OcrPage:
    """OCR one rendered page (grey, rows x cols at `dpi`): clean the rules, turn it upright, read it.

    A page showing the form's grid is turned the way the grid fits. Otherwise `rotation` is a guess (the
    previous page's turn): kept when the page reads well under it, otherwise the page's own orientation is
    probed and the page read again."""
    started = time.perf_counter()
    scale = dpi / 72
    horizontal, vertical = rule_masks(grey)
    gridded = grid_rotation(horizontal, vertical, scale)
    if gridded is not None and len(_row_rules(horizontal, vertical, gridded, scale)) < FEW_ROW_RULES:
        square = deskew(grey)  # a grid without its row rules: a tilt may hide them
        if square is not grey:
            grey, (horizontal, vertical) = square, rule_masks(square)
            gridded = grid_rotation(horizontal, vertical, scale)
    clean = remove_rules(grey, horizontal, vertical)
    guessed = gridded is None and rotation is not None
    if gridded is not None:
        rotation = gridded
    elif rotation is None:
        rotation = choose_rotation(clean)
    words = parse_tsv(_run_tesseract(_turn(clean, rotation), dpi), scale)
    if guessed and read_score(words) < GOOD_READ:
        probed = choose_rotation(clean, default=rotation)
        if probed != rotation:  # keep whichever turn reads the whole page better (small print misleads the probe)
            other = parse_tsv(_run_tesseract(_turn(clean, probed), dpi), scale)
            if read_score(other) > read_score(words):
                rotation, words = probed, other
    upright = _turn(clean, rotation)
    # a quarter turn makes the horizontal rules the vertical ones
    columns = horizontal if rotation in (90, 270) else vertical
    return OcrPage(number, rotation, upright.shape[1] / scale, upright.shape[0] / scale, words,
                   time.perf_counter() - started, upright, scale, vertical_rules(_turn(columns, rotation), scale),
                   _row_rules(horizontal, vertical, rotation, scale))


def _row_rules(horizontal: np.ndarray, vertical: np.ndarray, rotation: int, scale: float) -> list[float]:
    """y (points) of the upright page's horizontal rules, from the masks of the page as stored."""
    return horizontal_rules(_turn(vertical if rotation in (90, 270) else horizontal, rotation), scale)


def _ocr_page(data: bytes, source: str, number: int, rotation: int | None) -> OcrPage:
    started = time.perf_counter()
    page = ocr_image(render_page(data, source, number, DPI), number, rotation=rotation)
    page.seconds = time.perf_counter() - started
    return page


def ocr_pdf_pages(data: bytes, source: str, numbers: list[int]) -> list[OcrPage]:
    """OCR the given 1-based pages of a PDF. Raises OcrUnavailable when tesseract is missing, InputError
    when the sandbox cannot render a page."""
    if not available():
        raise OcrUnavailable(MISSING_MESSAGE)
    if not numbers:
        return []
    first = _ocr_page(data, source, numbers[0], None)
    with ThreadPoolExecutor(PARALLEL_PAGES) as pool:
        rest = list(pool.map(lambda number: _ocr_page(data, source, number, first.rotation), numbers[1:]))
    return [first, *rest]


_second_engine: list[Any] = []  # the RapidOCR engine, made on first use (its model takes seconds to load)
_second_engine_lock = threading.Lock()


def second_engine() -> Any | None:
    """The second engine, or None when rapidocr (or onnxruntime) is not installed."""
    with _second_engine_lock:
        if not _second_engine:
            try:
                from rapidocr import RapidOCR
            except ImportError:
                return None
            # one thread a call: pages are read two at a time, one per core. onnxruntime's own memory arena: without
            # it the buffers for crops of ever new widths go back to malloc, which keeps them (a peak of 366 MiB against
            # 263 over 200 cells of real scans)
            _second_engine.append(RapidOCR(params={
                "Global.log_level": "critical", "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                "EngineConfig.onnxruntime.enable_cpu_mem_arena": True}))
        return _second_engine[0]


def ink_columns(crop: np.ndarray, margin: int) -> np.ndarray:
    """A crop wider than the second engine's model window cut to the columns from its first to its last inked one,
    `margin` pixels wider each side, and to no less than that window. The engine scales a crop to its model's
    height and reads along all of its width, so the white of a cell wider than its text costs time (and runs the
    words of a long name together); a narrower crop is padded to the window anyway, and left as it is."""
    window = int(crop.shape[0] * MODEL_WINDOW)
    inked = np.flatnonzero((crop < INK).any(axis=0))
    if crop.shape[1] <= window or not len(inked):
        return np.ascontiguousarray(crop)
    left = max(0, int(inked[0]) - margin)
    right = max(int(inked[-1]) + margin + 1, left + window)
    return np.ascontiguousarray(crop[:, left:right])


def read_cells(page: OcrPage, cells: list[tuple[float, float, float, float]]) -> list[OcrWord] | None:
    """Each cell (x0, top, x1, bottom in points of the upright page) read by the second engine as one line of
    text: a word per cell, with the cell's box and the engine's confidence (0-100); "" where it read nothing.
    None when the engine is not installed."""
    engine = second_engine()
    if engine is None or page.image is None:
        return None
    s = page.scale
    words = []
    for index, (x0, top, x1, bottom) in enumerate(cells):
        crop = page.image[max(0, int((top + CELL_PAD) * s)): int((bottom - CELL_PAD) * s),
                          max(0, int((x0 + CELL_PAD) * s)): int((x1 - CELL_PAD) * s)]
        text, score = "", 0.0
        if crop.size:  # one cell a call: the engine's own preparation (padding a small crop to its model's height)
            with _engine_slots:
                read = engine(ink_columns(crop, round(CELL_MARGIN * s)), use_det=False, use_cls=False, use_rec=True)
            if read.txts:
                text, score = str(read.txts[0]).strip(), float(read.scores[0])
        words.append(OcrWord(text, x0, top, x1, bottom, score * 100, (-1, index, 0)))
    return words
