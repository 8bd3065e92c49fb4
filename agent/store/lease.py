"""Who runs a run, and how another app server tells a live run from one whose process died.

Each running run records its owner (host, process id, that process's start time, a random token per store)
and a heartbeat that each of its event writes refreshes. Another store judges it:

- owner on this host (same hostname, boot and process namespace): stale as soon as that process is gone (no
  such pid, a zombie, or the pid reused by a process that started at another time), whatever the heartbeat:
  a live process is asked directly, so a quiet minute (a long OCR call) never cuts its run short;
- owner elsewhere: stale once its heartbeat is older than the lease the owner declared. The hosts' clocks are
  assumed to agree within seconds; a live run judged stale by mistake is revived by its owner's next write.
"""

from __future__ import annotations

import os
import secrets
import socket
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

LEASE_SECONDS = 120.0  # well past the longest quiet step on another host (an LLM call, one OCR page)
PROC = Path("/proc")


@dataclass(frozen=True)
class Owner:
    host: str  # hostname, boot id and pid namespace: equal only for processes that can see each other's pids
    pid: int
    started: str  # the process's start time in clock ticks since boot ('' where /proc is missing)
    token: str  # tells two stores of one process apart

    @classmethod
    def this_process(cls) -> Owner:
        pid = os.getpid()
        return cls(this_host(), pid, process_started(pid), secrets.token_hex(8))


@dataclass(frozen=True)
class Lease:
    owner: Owner
    heartbeat_at: float
    seconds: float

    def is_stale(self, now: float, here: str) -> bool:
        if self.owner.host == here:
            return not process_alive(self.owner.pid, self.owner.started)
        return self.heartbeat_at + self.seconds < now


def this_host() -> str:
    namespace = ""
    with suppress(OSError):
        namespace = os.readlink(PROC / "self" / "ns" / "pid")
    return "|".join((socket.gethostname(), _read(PROC / "sys" / "kernel" / "random" / "boot_id"), namespace))


def process_started(pid: int) -> str:
    stat = _stat(pid)
    return stat[1] if stat else ""


def process_alive(pid: int, started: str) -> bool:
    """Whether process `pid` of this host runs, and is the one that started at `started` (when known)."""
    if pid <= 0:
        return False
    stat = _stat(pid)
    if stat is not None:
        state, start = stat
        return state not in ("Z", "X") and (not started or start == started)
    if (PROC / "self" / "stat").exists():
        return False  # /proc works here and has no such process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def _stat(pid: int) -> tuple[str, str] | None:
    """The state and start time of a process from /proc/<pid>/stat, or None."""
    text = _read(PROC / str(pid) / "stat")
    fields = text[text.rfind(")") + 2:].split()  # after "pid (command) ": the command may hold spaces
    return (fields[0], fields[19]) if len(fields) > 19 else None


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""
