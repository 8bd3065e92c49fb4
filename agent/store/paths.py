"""Where TradeTrace keeps its data: one definition for the app and the command line, so both share one history
and one library."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HISTORY_FILE = "history.sqlite3"


def data_dir() -> Path:
    """TRADETRACE_DATA_DIR when set, else the project's data folder."""
    return Path(os.environ.get("TRADETRACE_DATA_DIR", PROJECT_ROOT / "data"))


def history_path() -> Path:
    """The SQLite file of the run history and the library."""
    return data_dir() / HISTORY_FILE
