"""Check that each lock file pins every top-level package at the version its requirements file names.

Run by scripts/run.sh and scripts/test.sh before they install, with the system Python (stdlib only): a pin changed
in requirements*.txt without `bash scripts/lock.sh` would otherwise install the lock's old version unnoticed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK_OF = {"requirements.txt": "requirements.lock", "requirements-dev.txt": "requirements-dev.lock",
           "requirements-llm.txt": "requirements-llm.lock"}
# `name[extra]==version`: the lock names the package without its extras (pip-compile --strip-extras).
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#\\]+)")


def normalized(name: str) -> str:
    """The package name as PEP 503 compares it (pip-compile writes names this way)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """Every `name==version` line of a requirements or lock file, by normalized name (-r/-c lines are skipped)."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            found[normalized(match.group(1))] = match.group(2)
    return found


def stale_pins(requirements: Path, lock: Path) -> list[str]:
    """One line per top-level pin (those of a file it includes with `-r`, too) that the lock lacks or pins at
    another version."""
    wanted = pins(requirements)
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if line.startswith("-r "):
            wanted = pins(requirements.parent / line.removeprefix("-r ").strip()) | wanted
    locked = pins(lock)
    return [f"{requirements.name} pins {name}=={version} but {lock.name} has "
            + (f"{name}=={locked[name]}" if name in locked else "no such package")
            for name, version in sorted(wanted.items()) if locked.get(name) != version]


def main() -> int:
    problems = [line for name, lock in LOCK_OF.items() for line in stale_pins(ROOT / name, ROOT / lock)]
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    if problems:
        print("the lock files are stale: run `bash scripts/lock.sh` (needs .venv with pip-tools)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
