"""A polite HTTP client for the Clerk's site: one request at a time with a pause between, a User-Agent naming
TradeTrace, timeouts, retries with backoff on 5xx answers and dropped connections, none on 404.

Nothing here runs until a fetch asks for a file: making a client opens no connection.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata

import httpx2

from agent.fetch.errors import FetchError

CLERK_URL = "https://disclosures-clerk.house.gov"
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024  # the largest PTRs are scans of a few MB


def clerk_url() -> str:
    """The site to fetch from: TRADETRACE_CLERK_URL (a mirror, a test server) or the Clerk's own."""
    return (os.environ.get("TRADETRACE_CLERK_URL") or CLERK_URL).rstrip("/")


def user_agent() -> str:
    try:
        version = metadata.version("tradetrace")
    except metadata.PackageNotFoundError:
        version = "dev"
    # The project has no public address yet: the product and what it does name it, rather than a made-up URL.
    return f"TradeTrace/{version} (reads the House Clerk's public PTR index and filings)"


@dataclass(frozen=True)
class Politeness:
    pause: float = 1.0  # seconds between the end of one request and the start of the next
    timeout: float = 30.0  # seconds to connect, and between bytes read
    retries: int = 3  # further attempts after a 5xx, a timeout or a dropped connection
    backoff: float = 2.0  # first wait before a retry; doubled each time

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Politeness:
        """TRADETRACE_CLERK_PAUSE and TRADETRACE_CLERK_TIMEOUT (seconds) over the defaults: a mirror or a test
        server on this machine need no pause. A value that is not a number (>= 0; > 0 for the timeout) is ignored."""
        default = cls()
        pause = _seconds(env.get("TRADETRACE_CLERK_PAUSE", ""), default.pause, minimum=0.0)
        timeout = _seconds(env.get("TRADETRACE_CLERK_TIMEOUT", ""), default.timeout, minimum=0.001)
        return cls(pause=pause, timeout=timeout)


def _seconds(text: str, default: float, minimum: float) -> float:
    try:
        value = float(text)
    except ValueError:
        return default
    return value if value >= minimum else default


class ClerkClient:
    """GETs on one site, one at a time (a lock: the app's threads and a CLI loop alike wait their turn)."""

    def __init__(self, base_url: str | None = None, politeness: Politeness | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = (base_url or clerk_url()).rstrip("/")
        self.politeness = politeness or Politeness.from_env()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_end = 0.0
        self._client: httpx2.Client | None = None

    def _http(self) -> httpx2.Client:
        if self._client is None:
            self._client = httpx2.Client(headers={"User-Agent": user_agent()}, follow_redirects=True,
                                         timeout=httpx2.Timeout(self.politeness.timeout))
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def get(self, path: str) -> bytes:
        """The body at base_url + path. Raises FetchError (one line: what, where, why) once retries are spent."""
        url = self.base_url + path
        with self._lock:
            wait = self.politeness.backoff
            for attempt in range(self.politeness.retries + 1):
                try:
                    return self._attempt(url)
                except FetchError as exc:
                    if exc.kind not in ("server", "timeout", "offline") or attempt == self.politeness.retries:
                        raise
                self._sleep(wait)
                wait *= 2
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _attempt(self, url: str) -> bytes:
        pause = self._last_end + self.politeness.pause - time.monotonic()
        if pause > 0:
            self._sleep(pause)
        try:
            with self._http().stream("GET", url) as response:
                if response.status_code == 404:
                    raise FetchError("not_found", f"{url}: not on the Clerk's site (404)")
                if response.status_code >= 500:
                    raise FetchError("server", f"{url}: the site answered {response.status_code} "
                                               f"{response.reason_phrase}".rstrip())
                if response.status_code >= 400:
                    raise FetchError("not_found", f"{url}: refused ({response.status_code} "
                                                  f"{response.reason_phrase})".replace(" )", ")"))
                return self._body(url, response)
        except httpx2.TimeoutException:
            raise FetchError("timeout", f"{url}: no answer within {self.politeness.timeout:g} s") from None
        except httpx2.ConnectError as exc:
            raise FetchError("offline", f"{url}: cannot reach the site (offline? {exc})") from None
        except (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError) as exc:
            raise FetchError("offline", f"{url}: the connection dropped ({exc or type(exc).__name__})") from None
        except httpx2.HTTPError as exc:
            raise FetchError("offline", f"{url}: {type(exc).__name__}: {exc}") from None
        finally:
            self._last_end = time.monotonic()

    def _body(self, url: str, response: httpx2.Response) -> bytes:
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_DOWNLOAD_BYTES:
                raise FetchError("too_big", f"{url}: more than {MAX_DOWNLOAD_BYTES:,} bytes, not a filing")
            chunks.append(chunk)
        return b"".join(chunks)
