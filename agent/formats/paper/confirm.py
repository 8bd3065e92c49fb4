"""Confirming doubtful cells with the second OCR engine (agent.documents.ocr.read_cells): an owner code, a date or
an asset name that tesseract's readings left flagged is read again by an engine that shares nothing with
tesseract; when it reads the value taken, the value is confirmed by two independent readings and its flag is
dropped. An asset name is confirmed word by word (agent/formats/paper/names.py: name_not_confirmed): where the
engines read a word differently, the table of printed security names may still confirm it, and a speck at
either end that only tesseract read is dropped. When it reads
something else the flag stays and says what it read; without the engine the flag says it is not installed."""

from __future__ import annotations

from agent.documents.ocr import SECOND_ENGINE, SECOND_ENGINE_MISSING, OcrPage, OcrWord, read_cells
from agent.formats.paper.cells import PendingRow
from agent.formats.paper.dates import read_date
from agent.formats.paper.grid import Span
from agent.formats.paper.marks import owner_code
from agent.formats.paper.names import name_not_confirmed, without_unread_specks
from agent.models import Transaction

DOUBT = ("low_confidence", "unreadable")


def doubt_codes(name: str) -> tuple[str, ...]:
    return tuple(f"{kind}:{name}" for kind in DOUBT)


def doubtful(flags: list[tuple[str, str]], name: str) -> bool:
    return any(code in doubt_codes(name) for code, _ in flags)


def confirm_cells(page: OcrPage, rows: list[PendingRow], bands: list[tuple[float, float]],
                  cells: dict[str, Span]) -> None:
    """Read again, with the second engine, each row's cells (field name -> x span) whose value is doubtful; `bands`
    are the rows' (top, bottom). Confirmed values lose their flags (see the module). An owner or date tesseract did
    not read at all is taken from the second engine, still flagged (one reading)."""
    asked = [(index, name) for index, (_, flags) in enumerate(rows) for name in cells if doubtful(flags, name)]
    if not asked:
        return
    words = read_cells(page, [(cells[name][0], bands[index][0], cells[name][1], bands[index][1])
                              for index, name in asked])
    for position, (index, name) in enumerate(asked):
        row, flags = rows[index]
        if words is None:
            note = SECOND_ENGINE_MISSING
        else:
            word = words[position]
            if word.text:
                page.second_reading.append(word)  # grounding finds the value where it was read
            note = _disagreement(name, row, word.text)
            if not note:
                flags[:] = [(code, message) for code, message in flags if code not in doubt_codes(name)]
                continue
        flags[:] = [(code, f"{message}; {note}" if code in doubt_codes(name) else message) for code, message in flags]


def _disagreement(name: str, row: Transaction, text: str) -> str:
    """"" when the second engine's reading `text` of the row's cell confirms the value taken; else what it read.
    An owner or date that tesseract did not read at all is taken from it (one reading: still doubtful)."""
    if not text:
        return f"{SECOND_ENGINE} read nothing"
    if name == "asset_name":
        row.asset_name = without_unread_specks(row.asset_name, text) or row.asset_name
        why = name_not_confirmed(row.asset_name, row.ticker, text)
        return f"{SECOND_ENGINE} read {text!r}: {why}" if why else ""
    read = _value(name, text)
    if read and read == str(getattr(row, name)):
        return ""
    if read and not getattr(row, name):
        setattr(row, name, read)
    return f"{SECOND_ENGINE} read {text!r}"


def _value(name: str, text: str) -> str:
    """The owner code or date in a second engine's reading of its cell ("" when it is not one)."""
    if name == "owner":
        code, exact = owner_code(OcrWord(text, 0, 0, 0, 0, 100.0))  # the whole code, as printed
        return code if exact else ""
    iso, repaired = read_date(text)
    return iso if not repaired else ""
