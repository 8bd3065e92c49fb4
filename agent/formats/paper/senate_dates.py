"""Dates of the Senate paper form that tesseract read none of: read by the second engine (rapidocr reads
handwriting, tesseract reads it as specks). A hand often writes the date without its year ("11/27") and the year
once, in the date column's header ("2013"): the year is taken from there, else from the page's settled dates; a
slash the engine read as "1" ("4112/13", "11127") is repaired when only one way gives a date. Every date so read is
one reading: it stays flagged, and the flag says what was read and how the date was completed."""

from __future__ import annotations

import re

from agent.documents.ocr import SECOND_ENGINE, SECOND_ENGINE_MISSING, OcrPage, read_cells
from agent.formats.paper.cells import PendingRow
from agent.formats.paper.dates import DIGITISH, EDGE_JUNK, read_date
from agent.formats.paper.grid import Span

YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")  # a year written in the header ("2013")
MONTH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})$")
FLAG = "low_confidence:transaction_date"


def written_date(text: str, year: int | None, year_from: str = "") -> tuple[str, str]:
    """The date (ISO) in a second engine's reading of a date cell, and how it was completed ("" when read whole):
    a month and day alone take `year` (found in `year_from`); failing that, one "1" read for the slash that alone
    makes it a date. ("", "") when no single date fits."""
    iso, how = _as_date(text, year, year_from)
    if iso:
        return iso, how
    digits = EDGE_JUNK.sub("", text).translate(DIGITISH)
    fits = {_as_date(f"{digits[:at]}/{digits[at + 1:]}", year, year_from)
            for at, char in enumerate(digits) if char == "1"}
    fits.discard(("", ""))
    if len(fits) != 1:
        return "", ""
    iso, how = fits.pop()
    return iso, "; ".join(filter(None, ("a slash read as '1'", how)))


def _as_date(text: str, year: int | None, year_from: str) -> tuple[str, str]:
    if iso := read_date(text)[0]:
        return iso, ""
    match = MONTH_DAY.match(EDGE_JUNK.sub("", text).translate(DIGITISH))
    if match is None or year is None:
        return "", ""
    iso = read_date(f"{match.group(1)}/{match.group(2)}/{year}")[0]  # a real day, in the years the form's dates take
    return (iso, f"written without its year: {year}" + (f" from {year_from}" if year_from else "")) if iso else ("", "")


def read_unread_dates(page: OcrPage, day: Span, rows: list[PendingRow], cells: list[tuple[float, float]],
                      header: tuple[float, float], usual_year: int | None) -> None:
    """The dates of `rows` (tesseract read none) read by the second engine in their `cells` (top, bottom) of the
    date column `day`; the header's last row-high strip `header` (top, bottom) is read for a year written there. A
    date read is taken, flagged as one reading; a row whose cell reads none keeps its flag, saying what was read."""
    if not rows:
        return
    words = read_cells(page, [(day[0], top, day[1], bottom) for top, bottom in [*cells, header]])
    if words is None:
        for _, flags in rows:
            _note(flags, SECOND_ENGINE_MISSING)
        return
    written = YEAR.search(words[-1].text)
    year = int(written.group(1)) if written else usual_year
    where = "the date column's header" if written else "the page's other dates"
    for (row, flags), word in zip(rows, words[:-1], strict=True):
        iso, how = written_date(word.text, year, where)
        if not iso:
            _note(flags, f"{SECOND_ENGINE} read {word.text!r}" if word.text else f"{SECOND_ENGINE} read nothing")
            continue
        page.second_reading.append(word)  # grounding finds the date where it was read
        row.transaction_date = iso
        flags[:] = [(code, message) for code, message in flags if not code.endswith(":transaction_date")]
        flags.append((FLAG, f"tesseract read no date; {SECOND_ENGINE} alone read {word.text!r}"
                      + (f" ({how})" if how else "")))


def _note(flags: list[tuple[str, str]], note: str) -> None:
    flags[:] = [(code, f"{message}; {note}" if code.endswith(":transaction_date") else message)
                for code, message in flags]
