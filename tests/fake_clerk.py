"""A local HTTP server laid out like the House Clerk's disclosure site, for tests.

TradeTrace fetches the yearly index ZIP and each PTR's PDF over HTTP (agent/fetch). This test double stands at that
edge, so our client, its retries, timeouts and the disk cache run for real:

    GET /public_disc/financial-pdfs/{YEAR}FD.zip      the year's index, a ZIP of {YEAR}FD.txt and {YEAR}FD.xml
    GET /public_disc/ptr-pdfs/{YEAR}/{DocID}.pdf      the PTR, from ../shared/filings/pdfs; 404 when not there

It serves the real index snapshots of ../shared/clerk (the 2025 ZIP byte for byte, as the Clerk served it; the
2024 TXT and XML zipped the same way) and the real PDFs. Faults on demand, each for the next `times` requests of a
path: a 404, a 503, an answer slower than the client's timeout, a dropped connection (closed before any answer),
a broken ZIP, a ZIP without an index, an HTML page where a PDF should be. `hold_back(doc_id)` leaves a filing out
of its index until `release(doc_id)`: the index growing as the Clerk rewrites it.

    with FakeClerk() as clerk:
        clerk.fault(pdf_path(2024, "20024461"), "drop")
        ... TRADETRACE_CLERK_URL=clerk.base_url ...
        assert clerk.count(pdf_path(2024, "20024461")) == 2
"""

from __future__ import annotations

import contextlib
import io
import re
import socket
import sys
import threading
import zipfile
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from tests.conftest import ROOT, SHARED_FILINGS

SHARED_CLERK = ROOT.parent / "shared" / "clerk"
SNAPSHOTS = {"2024-07-05": (2024, SHARED_CLERK / "2024-07-05"), "2024-08-04": (2024, SHARED_CLERK / "2024-08-04"),
             "2025-02-17": (2025, SHARED_CLERK / "2025-02-17")}
DEFAULT_SNAPSHOTS = ("2024-08-04", "2025-02-17")
Fault = Literal["404", "503", "slow", "drop", "broken_zip", "no_index", "html"]
NOT_FOUND_PAGE = b"<!DOCTYPE html><html><head><title>404 - File or directory not found.</title></head><body>" \
                 b"<h2>404 - File or directory not found.</h2></body></html>"
INDEX = re.compile(r"/public_disc/financial-pdfs/(\d{4})FD\.zip")
PDF = re.compile(r"/public_disc/ptr-pdfs/(\d{4})/(\d+)\.pdf")


@dataclass(frozen=True)
class Request:
    path: str
    user_agent: str


@dataclass
class Index:
    """A year's index as its two files, so a held-back filing can be left out of both."""

    txt: bytes
    xml: bytes
    original_zip: bytes | None = None  # served as is while nothing is held back


def load_snapshot(name: str) -> tuple[int, Index]:
    year, folder = SNAPSHOTS[name]
    zipped = folder / f"{year}FD.zip"
    if zipped.exists():
        data = zipped.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return year, Index(archive.read(f"{year}FD.txt"), archive.read(f"{year}FD.xml"), data)
    return year, Index((folder / f"{year}FD.txt").read_bytes(), (folder / f"{year}FD.xml").read_bytes())


def without(index: Index, held: set[str]) -> tuple[bytes, bytes]:
    """The index's TXT and XML with the held-back DocIDs' records left out."""
    lines = index.txt.split(b"\r\n")
    txt = b"\r\n".join(line for line in lines if line.rsplit(b"\t", 1)[-1].decode() not in held)
    members = re.split(rb"(?=  <Member>)", index.xml)
    kept = [part for part in members
            if not any(f"<DocID>{doc_id}</DocID>".encode() in part for doc_id in held)]
    xml = b"".join(kept)
    if not xml.rstrip().endswith(b"</FinancialDisclosure>"):  # the last Member held back took the closing tag
        xml = xml.rstrip() + b"\r\n</FinancialDisclosure>"
    return txt, xml


def zipped(year: int, txt: bytes, xml: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{year}FD.txt", txt)
        archive.writestr(f"{year}FD.xml", xml)
    return buffer.getvalue()


class FakeClerk:
    """The Clerk's site on 127.0.0.1 (a free port), serving until `close()` (or the end of a `with`)."""

    def __init__(self, snapshots: tuple[str, ...] = DEFAULT_SNAPSHOTS, pdfs: Path = SHARED_FILINGS / "pdfs",
                 slow_seconds: float = 3.0) -> None:
        self.pdfs = pdfs
        self.slow_seconds = slow_seconds
        self.requests: list[Request] = []
        self.indexes: dict[int, Index] = {}
        for name in snapshots:
            self.serve_snapshot(name)
        self._held: set[str] = set()
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._http = _HTTPServer(self)
        host, port = self._http.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.01},
                                        name=f"FakeClerk:{port}", daemon=True)
        self._thread.start()

    # --- what the site holds -------------------------------------------------------------------------------------

    def serve_snapshot(self, name: str) -> None:
        """Serve the snapshot `name` of ../shared/clerk as its year's index (the Clerk rewrote the index)."""
        year, index = load_snapshot(name)
        self.indexes[year] = index

    def hold_back(self, *doc_ids: str) -> None:
        with self._lock:
            self._held.update(doc_ids)

    def release(self, *doc_ids: str) -> None:
        with self._lock:
            self._held.difference_update(doc_ids)

    def fault(self, path: str, fault: Fault, times: int = 1) -> None:
        """The next `times` requests of `path` get `fault` instead of the file."""
        with self._lock:
            self._faults.setdefault(path, []).extend([fault] * times)

    def count(self, path: str = "") -> int:
        """Requests received for `path` (all requests when empty)."""
        with self._lock:
            return sum(1 for request in self.requests if not path or request.path == path)

    # --- serving -------------------------------------------------------------------------------------------------

    def _take_fault(self, request: Request) -> Fault | None:
        """Record the request; the fault queued for its path, if any."""
        with self._lock:
            self.requests.append(request)
            queued = self._faults.get(request.path)
            return queued.pop(0) if queued else None

    def index_bytes(self, year: int) -> bytes | None:
        index = self.indexes.get(year)
        if index is None:
            return None
        with self._lock:
            held = set(self._held)
        if not held and index.original_zip is not None:
            return index.original_zip
        return zipped(year, *without(index, held))

    def pdf_bytes(self, doc_id: str) -> bytes | None:
        path = self.pdfs / f"{doc_id}.pdf"
        return path.read_bytes() if path.is_file() else None

    def close(self) -> None:
        if self._closing.is_set():
            return
        self._closing.set()
        self._http.shutdown()
        self._http.disconnect_clients()
        self._http.server_close()
        self._thread.join()

    def __enter__(self) -> FakeClerk:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins them: nothing outlives close()
    block_on_close = True

    def __init__(self, clerk: FakeClerk) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.clerk = clerk
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def disconnect_clients(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):  # a client that gave up, or close() mid-answer
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        clerk = self.server.clerk
        path = self.path.split("?", 1)[0]
        fault = clerk._take_fault(Request(path, self.headers.get("User-Agent", "")))
        if fault == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "slow" and clerk._closing.wait(clerk.slow_seconds):
            return
        if fault == "404":
            self._send(404, NOT_FOUND_PAGE, "text/html")
            return
        if fault == "503":
            self._send(503, b"<html><body>Service Unavailable</body></html>", "text/html")
            return
        if fault == "html":
            self._send(200, b"<!DOCTYPE html><html><body><h1>Financial Disclosure Reports</h1></body></html>",
                       "text/html")
            return
        if match := INDEX.fullmatch(path):
            year = int(match.group(1))
            body = clerk.index_bytes(year)
            if body is not None and fault == "broken_zip":
                body = body[: len(body) // 2]
            if body is not None and fault == "no_index":
                body = zipped_other(year)
            self._send(200, body, "application/x-zip-compressed") if body is not None else self._not_found()
            return
        if match := PDF.fullmatch(path):
            data = clerk.pdf_bytes(match.group(2))
            self._send(200, data, "application/pdf") if data is not None else self._not_found()
            return
        self._not_found()

    def _not_found(self) -> None:
        self._send(404, NOT_FOUND_PAGE, "text/html")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)


def zipped_other(year: int) -> bytes:
    """A ZIP that is whole but holds no index (a readme in its place)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", f"The {year} index is being rebuilt.")
    return buffer.getvalue()
