"""Downloads kept on disk: the index by year (refreshed when older than a day), each PTR by DocID (kept for good:
a DocID's PDF never changes; an amendment is a new DocID), and a note of each PTR the Clerk said it does not have
(404), so a watch check asks for it again only once a day. Files are written whole or not at all (a temporary file
renamed into place), so an interrupted fetch leaves only complete files and the next one resumes."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

INDEX_MAX_AGE = 24 * 3600.0
MISSING_RECHECK_AGE = 24 * 3600.0  # the Clerk lists some PTRs before (or without ever) posting their PDF


class FetchCache:
    def __init__(self, folder: Path, index_max_age: float = INDEX_MAX_AGE) -> None:
        self.folder = folder
        self.index_max_age = index_max_age

    def index_file(self, year: int) -> Path:
        return self.folder / "index" / f"{year}FD.zip"

    def pdf_file(self, year: int, doc_id: str) -> Path:
        return self.folder / "ptr-pdfs" / str(year) / f"{doc_id}.pdf"

    def missing_file(self, year: int, doc_id: str) -> Path:
        return self.folder / "ptr-pdfs" / str(year) / f"{doc_id}.missing"

    def index_age(self, year: int) -> float | None:
        """Seconds since the year's index was downloaded, or None when there is no copy."""
        return self._age(self.index_file(year))

    def missing_age(self, year: int, doc_id: str) -> float | None:
        """Seconds since the Clerk last said it has no PDF for the DocID, or None when it never did (or has it)."""
        return self._age(self.missing_file(year, doc_id))

    @staticmethod
    def _age(path: Path) -> float | None:
        try:
            return max(0.0, time.time() - path.stat().st_mtime)
        except OSError:
            return None

    def index_is_fresh(self, year: int) -> bool:
        age = self.index_age(year)
        return age is not None and age < self.index_max_age

    def note_missing(self, year: int, doc_id: str, missing: bool) -> None:
        """Remember that the Clerk has no PDF for the DocID (or forget it, once it has). A note that cannot be
        written only means the next check asks again."""
        path = self.missing_file(year, doc_id)
        try:
            if missing:
                self.write(path, b"")
            else:
                path.unlink(missing_ok=True)
        except OSError:
            pass

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
