"""Read PDFs in child processes with a wall-clock timeout and a memory cap, so a hostile file costs
seconds and megabytes, never the server; and show uploaded file names safely.

A thread cannot stop a parser busy inside PDFium, and a decompression bomb or a PDFium crash would take
the whole app with it. So `read_document` and the page renders (`render_page` for OCR, `render_image` for the
source view) hand the bytes to a small pool of persistent worker processes (`python -m agent.documents.sandbox`,
started on first use and kept). Each worker caps its own address space with RLIMIT_AS. What can go wrong in a
worker becomes an InputError with a reason a user can act on:

- it takes longer than the timeout: the worker is killed ("reading the PDF took longer than 20 s: stopped");
- it runs out of memory (Python's MemoryError, or PDFium aborting when an allocation fails):
  "reading the PDF needed more than 1 GiB of memory: stopped";
- it dies of any other signal: "the PDF reader crashed on this file (SIGSEGV): stopped".

A dead or killed worker is replaced on the next call; a worker whose memory grew past `recycle_rss` after
a large file is replaced too, so idle workers stay small. The limits come from the constructor, or for the
shared default sandbox from TRADETRACE_PDF_TIMEOUT (seconds) and TRADETRACE_PDF_MEMORY_MB.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import pickle
import re
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np

from agent.documents.images import render_image_page, what_image
from agent.documents.pdf import Checkbox, Document, PageText, Word, check_pdf_bytes
from agent.documents.upload import check_readable
from agent.errors import InputError, ReaderError

DEFAULT_TIMEOUT = 20.0  # seconds of wall-clock time per file
DEFAULT_MEMORY = 1 << 30  # bytes of address space per worker
DEFAULT_RECYCLE_RSS = 256 << 20  # a worker resident above this after a file is replaced
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _size_text(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
    return f"{size} bytes"


def _seconds_text(seconds: float) -> str:
    return f"{seconds:g}"


# --- the worker process ------------------------------------------------------------------------------
# Workers are plain `python -m agent.documents.sandbox` processes talking over their stdin and stdout:
# started with fork+exec (safe from any thread), they never re-import the app's __main__ (multiprocessing's spawn and
# forkserver do), and they share nothing with the parent but the two pipes. A message is an 8-byte
# length and a pickle; the parent unpickles only the reader's own classes (see _ReplyUnpickler).

_HEADER = struct.Struct("<Q")
Packed = tuple[Any, ...]  # a Document as plain builtins, for pickling
RenderRequest = tuple[int, int, bool, int] | tuple[()]  # (page, dpi, colour, max side), or () to read


def _limit_memory(memory: int | None) -> None:
    import resource

    if not memory:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _serve(memory: int | None) -> None:
    """The worker's loop: (bytes, source) in, ("ok", Document) or a failure tag out, until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed by a library goes to stderr, never into the replies
    from agent.documents.upload import read_upload

    _limit_memory(memory)
    while True:
        reply: tuple[str, Any] = ("memory", "")
        try:
            header = _read_exactly(requests, _HEADER.size)
            if header is None:
                return
            message = _read_exactly(requests, _HEADER.unpack(header)[0])
            if message is None:
                return
            data, source, render = pickle.loads(message)
            del message
            try:
                reply = ("ok", _render(data, source, *render) if render else _pack(read_upload(data, source)))
            except InputError as exc:
                reply = ("input", exc.reason)
            except MemoryError:
                reply = ("memory", "")
            except Exception as exc:  # noqa: BLE001 (a bug in our reader: the caller reports it as internal)
                reply = ("error", f"{type(exc).__name__}: {exc}")
            del data
            body = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            reply = ("memory", "")
            body = pickle.dumps(reply)
        replies.write(_HEADER.pack(len(body)) + body)
        replies.flush()
        if reply[0] == "memory":
            return  # the heap may be in a bad state: the parent starts a fresh worker


def _render(data: bytes, source: str, number: int, dpi: int, colour: bool = False,
            max_side: int = 0) -> tuple[int, int, int, float, bytes]:
    """One page as 8-bit pixels, grey (for OCR) or RGB: (rows, cols, channels, pixels per point, pixel bytes).
    With `max_side`, a page longer than that many pixels at `dpi` is rendered smaller, to fit."""
    import pypdfium2 as pdfium

    from agent.documents.pdf import open_pdf

    if what_image(data):  # page images (a GIF of eFD's, a scan): decoded here, in the worker
        return render_image_page(data, source, number, dpi, colour, max_side)
    document = open_pdf(data, source)
    try:
        if not 1 <= number <= len(document):
            raise InputError(source, f"page {number} does not exist (the file has {len(document)} page(s))")
        try:
            page = document[number - 1]
        except pdfium.PdfiumError:
            raise InputError(source, f"page {number} cannot be loaded: the PDF's page tree is damaged") from None
        try:
            width, height = page.get_size()  # PDFium gives a page with no valid MediaBox the letter size
            scale = dpi / 72
            if max_side and max(width, height) * scale > max_side:
                scale = max_side / max(width, height)
            try:
                image = page.render(scale=scale, grayscale=not colour).to_pil().convert("RGB" if colour else "L")
            except pdfium.PdfiumError as exc:
                raise InputError(source, f"page {number} cannot be rendered ({exc})") from None
        finally:
            page.close()
        return image.height, image.width, 3 if colour else 1, scale, image.tobytes()
    finally:
        document.close()


class _ReplyUnpickler(pickle.Unpickler):
    """Replies hold only builtin values (see _pack): a worker that a hostile file took over cannot make
    the parent run code through pickle."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"unexpected type {module}.{name} in a PDF worker's reply")


def _pack(document: Document) -> Packed:
    """A Document as plain tuples: about ten times cheaper to pickle than the dataclasses."""
    return (document.source, document.sha256, document.kind, document.title,
            [(page.number, page.width, page.height, page.text, page.has_images, _pack_words(page.words),
              [(box.x0, box.top, box.x1, box.bottom, box.checked) for box in page.checkboxes],
              _pack_words(page.hidden_words))
             for page in document.pages])


def _pack_words(words: list[Word]) -> list[tuple[str, float, float, float, float]]:
    return [(word.text, word.x0, word.top, word.x1, word.bottom) for word in words]


@dataclass(frozen=True)
class PageImage:
    """A rendered page: 8-bit pixels (rows x cols grey, or rows x cols x 3 RGB) and pixels per PDF point."""

    pixels: np.ndarray
    scale: float


def _image_of(reply: object) -> PageImage:
    """The pixels of a render reply, checked: a worker's reply says how big the image is, and must be that big."""
    match reply:
        case (int() as rows, int() as cols, 1 | 3 as channels, float() as scale, bytes() as data):
            if rows > 0 and cols > 0 and len(data) == rows * cols * channels:
                pixels = np.frombuffer(data, np.uint8)
                return PageImage(pixels.reshape((rows, cols, 3) if channels == 3 else (rows, cols)), scale)
    raise ReaderError("unreadable page image from the PDF worker (its size does not match its pixels)")


def _unpack(packed: Any) -> Document:
    """A worker's packed Document back as one; a reply of another shape is our reader's failure, not the file's."""
    try:
        source, sha256, kind, title, pages = packed
        return Document(source, sha256, kind=kind, title=title, pages=[
            PageText(number, width, height, text, [Word(*word) for word in words], has_images,
                     [Checkbox(*box) for box in boxes], [Word(*word) for word in hidden_words])
            for number, width, height, text, has_images, words, boxes, hidden_words in pages])
    except (TypeError, ValueError) as exc:
        raise ReaderError(f"unreadable document from the PDF worker ({exc})") from None



class _Lost(Exception):
    """The worker did not answer: the reason is for the user."""


class _Worker:
    def __init__(self, memory: int | None):
        root = str(Path(__file__).resolve().parents[2])  # the folder holding the agent package
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent.documents.sandbox", str(memory or 0)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, cwd=root, env=env, close_fds=True)
        assert self.process.stdin is not None and self.process.stdout is not None  # both are PIPEs
        self._in: IO[bytes] = self.process.stdin
        self._outstream: IO[bytes] = self.process.stdout
        self._out = self._outstream.fileno()

    def alive(self) -> bool:
        return self.process.poll() is None

    def call(self, data: bytes, source: str, timeout: float, render: RenderRequest = ()) -> tuple[str, object]:
        message = pickle.dumps((data, source, render), protocol=pickle.HIGHEST_PROTOCOL)
        deadline = time.monotonic() + timeout
        try:
            self._in.write(_HEADER.pack(len(message)) + message)
            self._in.flush()
        except (BrokenPipeError, ConnectionError, OSError):
            raise _Lost("crash") from None
        header = self._receive(_HEADER.size, deadline)
        body = self._receive(_HEADER.unpack(header)[0], deadline)
        try:
            reply = _ReplyUnpickler(io.BytesIO(body)).load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
            return ("error", f"unreadable reply from the PDF worker ({exc})")
        match reply:
            case (str() as kind, value):
                return kind, value
        return ("error", "a reply of the wrong shape from the PDF worker")

    def _receive(self, size: int, deadline: float) -> bytes:
        chunks, left = [], size
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([self._out], [], [], wait)[0]:
                raise _Lost("timeout")
            chunk = os.read(self._out, min(left, 1 << 20))
            if not chunk:
                raise _Lost("crash")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def rss(self) -> int:
        try:
            with open(f"/proc/{self.process.pid}/statm") as handle:
                return int(handle.read().split()[1]) * _PAGE_SIZE
        except (OSError, ValueError, IndexError):
            return 0

    def exit_signal(self) -> int | None:
        try:
            code = self.process.wait(2)
        except subprocess.TimeoutExpired:
            return None
        return -code if code < 0 else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        for stream in (self._in, self._outstream):
            with contextlib.suppress(OSError):
                stream.close()


class PdfSandbox:
    """A pool of worker processes that read PDFs under a timeout and a memory cap. Thread-safe."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, memory: int | None = DEFAULT_MEMORY,
                 workers: int | None = None, recycle_rss: int = DEFAULT_RECYCLE_RSS):
        self.timeout = timeout
        self.memory = memory
        self.recycle_rss = recycle_rss
        self.size = workers or min(4, os.cpu_count() or 1)
        self._slots = threading.BoundedSemaphore(self.size)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self.started = 0  # workers started so far (for tests and benchmarks)

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.stop()
            self.started += 1
        return _Worker(self.memory)

    def _give(self, worker: _Worker) -> None:
        if self.recycle_rss and worker.rss() > self.recycle_rss:
            worker.stop()
            return
        with self._lock:
            self._idle.append(worker)

    def read_document(self, data: bytes, source: str) -> Document:
        """An upload (a PDF or a saved web page) read in a worker: agent.documents.upload.read_upload. Raises
        InputError for unreadable or hostile files."""
        return _unpack(self._call(data, source))

    def render_page(self, data: bytes, source: str, number: int, dpi: int) -> np.ndarray:
        """Page `number` (1-based) rendered grey at `dpi` in a worker, as an array (rows x cols)."""
        return self.render_image(data, source, number, dpi).pixels

    def render_image(self, data: bytes, source: str, number: int, dpi: int, *, colour: bool = False,
                     max_side: int = 0) -> PageImage:
        """Page `number` (1-based) rendered at `dpi` in a worker, in RGB with `colour`; with `max_side`, scaled
        down to at most that many pixels on its long side. Raises InputError for a missing page or a hostile file."""
        return _image_of(self._call(data, source, (number, dpi, colour, max_side)))

    def _call(self, data: bytes, source: str, render: RenderRequest = ()) -> object:
        # What is plainly not readable is refused here, with no process involved; pages render from PDFs and images.
        readable = check_readable(data, source) if not render or what_image(data) else "pdf"
        if render and readable != "image":
            check_pdf_bytes(data, source)
        what = {"html": "the web page", "image": "the page images"}.get(readable, "the PDF")  # for the messages
        with self._slots:
            worker = self._take()
            clean = False
            try:
                kind, value = worker.call(data, source, self.timeout, render)
                clean = kind != "memory"
            except _Lost as lost:
                raise InputError(source, self._lost_reason(str(lost), worker, what)) from None
            finally:
                if clean:
                    self._give(worker)
                else:
                    worker.stop()
        if kind == "ok":
            return value
        if kind == "input":
            raise InputError(source, str(value))
        if kind == "memory":
            raise InputError(source, self._memory_reason(what))
        raise ReaderError(str(value))

    def _memory_reason(self, what: str) -> str:
        return f"reading {what} needed more than {_size_text(self.memory or 0)} of memory: stopped"

    def _lost_reason(self, why: str, worker: _Worker, what: str) -> str:
        if why == "timeout":
            return f"reading {what} took longer than {_seconds_text(self.timeout)} s: stopped"
        number = worker.exit_signal()
        reader = {"the PDF": "PDF reader", "the web page": "web page reader"}.get(what, "image reader")
        # PDFium aborts the process when an allocation fails (its out-of-memory handler), so under our
        # address-space cap SIGABRT means the file asked for more memory than allowed.
        if number == signal.SIGABRT and self.memory:
            return self._memory_reason(what)
        if number == signal.SIGKILL:  # the kernel's OOM killer, or someone else
            return f"the {reader} was killed while reading this file (out of memory?): stopped"
        name = signal.Signals(number).name if number else "it stopped answering"
        return f"the {reader} crashed on this file ({name}): stopped; the file is probably damaged"

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


_default: PdfSandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> PdfSandbox:
    """The process-wide sandbox, made on first use with limits from the environment."""
    global _default
    with _default_lock:
        if _default is None:
            timeout = float(os.environ.get("TRADETRACE_PDF_TIMEOUT", DEFAULT_TIMEOUT))
            memory_mb = os.environ.get("TRADETRACE_PDF_MEMORY_MB")
            memory = int(memory_mb) << 20 if memory_mb else DEFAULT_MEMORY
            _default = PdfSandbox(timeout=timeout, memory=memory)
            atexit.register(_default.close)
        return _default


def read_document(data: bytes, source: str) -> Document:
    """Read an upload (a PDF or a saved web page) in the default sandbox."""
    return default_sandbox().read_document(data, source)


def render_page(data: bytes, source: str, number: int, dpi: int) -> np.ndarray:
    """Render one page for OCR in the default sandbox."""
    return default_sandbox().render_page(data, source, number, dpi)


def render_image(data: bytes, source: str, number: int, dpi: int, *, colour: bool = False,
                 max_side: int = 0) -> PageImage:
    """Render one page to show it, in the default sandbox (see PdfSandbox.render_image)."""
    return default_sandbox().render_image(data, source, number, dpi, colour=colour, max_side=max_side)


# --- file names --------------------------------------------------------------------------------------

MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def safe_display_name(name: str | bytes | None, fallback: str = "upload.pdf") -> str:
    """A file name safe to store, show and use as a key: no directories, no `..`, no control characters
    or NUL, valid UTF-8 (undecodable bytes and lone surrogates become U+FFFD), at most MAX_NAME_CHARS
    characters (the extension is kept). Never empty."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    text = str(name or "")
    # Surrogate-escaped bytes (os.fsdecode of non-UTF-8 names) and lone surrogates cannot be encoded.
    text = text.encode("utf-8", "surrogateescape" if _only_escapes(text) else "replace").decode("utf-8", "replace")
    text = unicodedata.normalize("NFC", text)
    text = re.split(r"[/\\]", text)[-1]  # the last path component only
    text = _UNSAFE.sub("_", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cs", "Co", "Cn") or ch == "\ufffd")
    text = text.strip(" .")
    if not text or set(text) <= {"_", "."}:
        return fallback
    if len(text) > MAX_NAME_CHARS:
        stem, dot, ext = text.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        stem = text[: len(text) - len(ext)] if ext else text
        text = stem[: MAX_NAME_CHARS - len(ext) - 1].rstrip(" .") + "…" + ext
    return text


def _only_escapes(text: str) -> bool:
    """True when every surrogate in `text` is a surrogateescape byte (U+DC80..U+DCFF)."""
    return all("\udc80" <= ch <= "\udcff" for ch in text if "\ud800" <= ch <= "\udfff")


if __name__ == "__main__":  # a worker: python -m agent.documents.sandbox MEMORY_BYTES (0 for no cap)
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_MEMORY)
