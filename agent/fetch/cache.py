"""Downloads kept on disk: the index by year (refreshed when older than a day), each PTR by DocID (kept for good:
a DocID's PDF never changes; an amendment is a new DocID). Files are written whole or not at all (a temporary
file renamed into place), so an interrupted fetch leaves only complete files and the next one resumes."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

INDEX_MAX_AGE = 24 * 3600.0


class FetchCache:
    def __init__(self, folder: Path, index_max_age: float = INDEX_MAX_AGE) -> None:
        self.folder = folder
        self.index_max_age = index_max_age

    def index_file(self, year: int) -> Path:
        return self.folder / "index" / f"{year}FD.zip"

    def pdf_file(self, year: int, doc_id: str) -> Path:
        return self.folder / "ptr-pdfs" / str(year) / f"{doc_id}.pdf"

    def index_age(self, year: int) -> float | None:
        """Seconds since the year's index was downloaded, or None when there is no copy."""
        try:
            return max(0.0, time.time() - self.index_file(year).stat().st_mtime)
        except OSError:
            return None

    def index_is_fresh(self, year: int) -> bool:
        age = self.index_age(year)
        return age is not None and age < self.index_max_age

    @staticmethod
    def read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except OSError:
            return None

    @staticmethod
    def write(path: Path, data: bytes) -> None:
        """Write `data` to `path` atomically. Raises OSError (the caller says the file was not kept)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
