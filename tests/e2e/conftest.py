"""Browser fixtures: one `streamlit run app.py` per session (empty history in a tmp folder), one headless
Debian Chromium per session driven by Playwright, and a fresh context and page per test.

Playwright never downloads a browser here: it launches /usr/bin/chromium (apt-get install chromium).
Without it the browser tests are skipped with the reason, except under CI, where they fail."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("TRADETRACE_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium tries to reach Google and fails on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1400, "height": 900}
SERVER_START_TIMEOUT = 60.0  # seconds for `streamlit run` to answer /_stcore/health
SERVER_STOP_TIMEOUT = 15.0


@dataclass(frozen=True)
class AppServer:
    """The `streamlit run` behind app_url: its pid (to measure its process tree), its stderr log and its data
    folder (TRADETRACE_DATA_DIR: the history and library the CLI can read too)."""

    url: str
    pid: int
    stderr_path: Path
    data_dir: Path


SERVERS: dict[str, AppServer] = {}  # by base URL, filled by app_url


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must have it for the browser tests")
    pytest.skip(reason)


def require_playwright() -> None:
    """Skip the calling test module when the playwright package is missing; under CI, which must have it, fail."""
    if os.environ.get("CI"):
        import playwright  # noqa: F401
    pytest.importorskip("playwright", reason="the playwright package is not installed "
                        "(pip install -r requirements-dev.txt)")


def launch_options() -> dict:
    """Keyword arguments for chromium.launch(), sync or async: Debian's Chromium, headless, offline-safe."""
    return {"executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8", "replace").strip()
    except (urllib.error.URLError, OSError):
        return ""


def _stop(process: subprocess.Popen) -> None:
    """End the server and anything it started (it runs in its own process group)."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, SERVER_STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (install Debian's Chromium: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")
    return CHROMIUM


@pytest.fixture(scope="session")
def app_url(chromium, tmp_path_factory) -> str:
    """Base URL of a `streamlit run app.py` started for this session, with an empty history folder."""
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("tradetrace-data")
    logs = tmp_path_factory.mktemp("streamlit-logs")
    env = dict(os.environ, TRADETRACE_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):  # the app must work without any key
        env.pop(name, None)
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               # Other work may edit the sources while the tests run: serve the code as it was at start.
               "--server.fileWatcherType", "none"]
    out_path, err_path = logs / "stdout.txt", logs / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    SERVERS[base] = AppServer(base, process.pid, err_path, data_dir)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while _health(f"{base}/_stcore/health") != "ok":
            if process.poll() is not None or time.monotonic() > deadline:
                state = (f"exited with code {process.returncode}" if process.poll() is not None
                         else f"did not answer /_stcore/health with 'ok' within {SERVER_START_TIMEOUT:.0f} s")
                _stop(process)
                pytest.fail(f"streamlit {state}.\ncommand: {' '.join(command)}\n"
                            f"--- stderr ---\n{err_path.read_text(errors='replace')[-4000:]}\n"
                            f"--- stdout ---\n{out_path.read_text(errors='replace')[-2000:]}", pytrace=False)
            time.sleep(0.25)
        yield base
    finally:
        _stop(process)
        stderr = err_path.read_text(errors="replace")
        if "Traceback" in stderr:  # shown for the record: a server-side error the page may have hidden
            print(f"\n--- streamlit stderr (has a traceback) ---\n{stderr[-6000:]}")


@pytest.fixture(scope="session")
def app_server(app_url) -> AppServer:
    """The same server as app_url, with its pid and stderr log."""
    return SERVERS[app_url]


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(**launch_options())
    except Exception as exc:  # noqa: BLE001 (whatever stops the browser, the test says so in one line)
        playwright.stop()
        pytest.fail(f"cannot launch {chromium}: {exc}", pytrace=False)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser, app_url):
    """A fresh context (its own cookies, so its own Streamlit session) and page, at 1400x900."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    yield page
    context.close()
    if page_errors:
        print("\nJavaScript errors on the page:\n" + "\n".join(page_errors))
