"""The grid reader: a scanned page showing the form's ruled grid, read row by row. The columns come from the
page's vertical rules (agent/formats/paper/grid.py); the rows from a second reading of the two date columns alone,
each row's band running between the ruled lines around it; then the marks, owner and asset name in that band."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from itertools import pairwise

from agent.documents.ocr import PARALLEL_PAGES, SECOND_ENGINE, OcrPage, OcrWord, read_cells, read_columns
from agent.formats.paper.cells import (
    EXAMPLE_ROW,
    JUNK_TEXT,
    LOW_CONFIDENCE,
    PendingRow,
    cell_ink,
    inset,
    ocr_lines,
    words_in_cell,
)
from agent.formats.paper.confirm import confirm_cells
from agent.formats.paper.dates import MIN_DIGITS_TO_COMPLETE, decide_date, read_date, repair_dates
from agent.formats.paper.grid import TYPE_NAMES, GridColumns
from agent.formats.paper.marks import MARK_INK, decide_owner, mark_inks, owner_code, read_marks
from agent.formats.paper.names import asset_name_flags, split_ticker, without_specks
from agent.models import Transaction

MIN_ROW, MAX_ROW = 4.0, 40.0  # points: the gaps between horizontal rules that are rows of the grid

DATE_CHARS = "0123456789/-"

OWNER_CHARS = "SPJTDC"

SMALL_PRINT = 9.0  # points: rows closer than this hold print too small to read without enlarging 3x

DATE_INK = 0.05  # share of ink in a date cell that holds a date


def date_in_cell(words: list[OcrWord]) -> tuple[str, float, str]:
    """A cell's words read as one date: (ISO or "", lowest confidence, the text read)."""
    text = "".join(w.text for w in words)
    iso, repaired = read_date(text)
    conf = min((w.conf for w in words), default=0.0)
    return iso, conf if not repaired else min(conf, LOW_CONFIDENCE - 1), text


def row_band(page: OcrPage, top: float, bottom: float, previous: float, following: float) -> tuple[float, float]:
    """The row's band: between the ruled lines around its text, or (rules missing) its text line widened
    halfway to the neighbouring rows."""
    height, middle = bottom - top, (top + bottom) / 2
    above = max((y for y in page.row_rules if y <= middle), default=None)
    below = min((y for y in page.row_rules if y >= middle), default=None)
    if above is not None and below is not None and below - above <= 2 * height:
        return above, below
    return max(top - height, (previous + top) / 2), min(bottom + height, (bottom + following) / 2)


def row_pitch(page: OcrPage) -> float | None:
    """The usual height of the grid's rows (points), from its horizontal rules; None without them."""
    gaps = sorted(b - a for a, b in pairwise(page.row_rules) if MIN_ROW <= b - a <= MAX_ROW)
    return gaps[len(gaps) // 2] if gaps else None


def row_bands(page: OcrPage, columns: GridColumns, strips: list[list[OcrWord]],
               pitch: float | None) -> list[tuple[float, float]]:
    """The rows' bands (top, bottom), top to bottom: around each line of a date reading that holds a date
    (the first reading's lines first; a later reading adds only lines outside every band found). On small
    print, where those readings miss rows, also the bands between ruled lines whose type and amount cells
    hold a mark and whose date cells hold ink and at least MIN_DIGITS_TO_COMPLETE digits."""
    bands: list[tuple[float, float]] = []

    def is_new(top: float, bottom: float) -> bool:
        middle = (top + bottom) / 2
        return not any(a <= middle <= b for a, b in bands)

    for words in strips:
        lines = [line for line in ocr_lines(words) if any(read_date(w.text)[0] for w in line) or date_in_cell(line)[0]]
        for index, line in enumerate(lines):
            previous = max(w.bottom for w in lines[index - 1]) if index else 0.0
            following = min(w.top for w in lines[index + 1]) if index + 1 < len(lines) else page.height
            band = row_band(page, min(w.top for w in line), max(w.bottom for w in line), previous, following)
            if is_new(*band):
                bands.append(band)
    date_cells = [columns.transaction_date, columns.notified]
    if pitch is None or pitch >= SMALL_PRINT:  # print of a readable size: the date readings found every row
        return sorted(bands)
    for top, bottom in pairwise(page.row_rules):
        if bottom - top > 2 * pitch or not is_new(top, bottom):
            continue
        marked = all(any(cell_ink(page, *span, top, bottom) >= MARK_INK for span in cells)
                     for cells in (columns.types, columns.amounts))
        inked = any(cell_ink(page, *span, top, bottom) >= DATE_INK for span in date_cells)
        digits = max((sum(ch.isdigit() for w in words_in_cell(words, span, top, bottom) for ch in w.text)
                      for words in strips for span in date_cells), default=0)
        if marked and inked and digits >= MIN_DIGITS_TO_COMPLETE:
            bands.append((top, bottom))
    return sorted(bands)


def written_row_bands(page: OcrPage, columns: GridColumns, bands: list[tuple[float, float]],
                      pitch: float | None) -> list[tuple[float, float]]:
    """On a form filled in by hand: the bands between ruled lines, outside `bands`, whose type and amount cells
    hold a mark and whose transaction date the second engine reads as a date (tesseract reads no handwriting)."""
    found = [(top, bottom) for top, bottom in pairwise(page.row_rules)
             if pitch is not None and bottom - top <= 2 * pitch
             and not any(a <= (top + bottom) / 2 <= b for a, b in bands)
             and all(max(mark_inks(page, cells, top, bottom), default=0.0) >= MARK_INK
                     for cells in (columns.types, columns.amounts))
             and cell_ink(page, *columns.transaction_date, top, bottom) >= DATE_INK]
    span = inset(columns.transaction_date)
    dates = read_cells(page, [(span[0], top, span[1], bottom) for top, bottom in found]) if found else None
    return [band for band, word in zip(found, dates or []) if read_date(word.text)[0]]


def read_grid_rows(page: OcrPage, columns: GridColumns, handwritten: bool = False) -> list[PendingRow]:
    """Rows of a page whose grid matched `find_columns`. The two date columns are read again on their own
    with only date characters, as printed and enlarged 2x (for small print also 3x, and 3x as sparse
    text), and the owner column with only its letters. Every line of those readings that holds a date is a
    row (on small print, so is a band between ruled lines with marks and digits that no reading made a
    whole date of); each row's cells are read within its band. On a `handwritten` page (or one where those
    readings found no date) the rows are also found by `written_row_bands`, their names are the second
    engine's reading (it reads handwriting), and every row is flagged: its values have that one reading."""
    date_spans = [inset(columns.transaction_date), inset(columns.notified)]
    pitch = row_pitch(page)
    small_print = pitch is not None and pitch < SMALL_PRINT
    # (zoom, page segmentation mode): small print reads better enlarged 3x, and as sparse text
    modes = [(1, 6), (2, 6), (3, 6), (3, 11)] if small_print else [(1, 6), (2, 6)]
    readings = [(date_spans, DATE_CHARS, zoom, psm) for zoom, psm in modes]
    if columns.owner:
        readings.append(([inset(columns.owner)], OWNER_CHARS, 3 if small_print else 1, 6))  # psm 6: one block of text
    with ThreadPoolExecutor(PARALLEL_PAGES) as pool:  # separate tesseract processes: one per core
        read = list(pool.map(lambda reading: read_columns(page, *reading), readings))
    strips, owner_words = read[:len(modes)], (read[-1] if columns.owner else [])
    for words in read:
        page.second_reading.extend(words)
    date_columns = {"transaction_date": columns.transaction_date, "notification_date": columns.notified}
    bands = row_bands(page, columns, strips, pitch)
    handwritten = handwritten or not bands  # no date tesseract could read: a form filled in by hand, or blank
    if handwritten:
        bands = sorted(bands + written_row_bands(page, columns, bands, pitch))
        name_span = inset(columns.name)
        written_names = read_cells(page, [(name_span[0], top, name_span[1], bottom) for top, bottom in bands]) or []
        page.second_reading.extend(word for word in written_names if word.text)  # grounding finds the names there
    cell_readings = {(band, name): [date_in_cell(words_in_cell(words, span, *band)) for words in (*strips, page.words)]
                     for band in bands for name, span in date_columns.items()}
    usual_year, usual_months, known = {}, {}, {}  # per date column: its settled dates, their years and months
    for name in date_columns:
        settled = [date.fromisoformat(iso) for (_, column), values in cell_readings.items() if column == name
                   for iso, count in Counter(iso for iso, _, _ in values if iso).most_common(1) if count >= 2]
        years = Counter(day.year for day in settled)
        usual_year[name] = years.most_common(1)[0][0] if years else None
        usual_months[name] = {(day.year, day.month) for day in settled}
        known[name] = {day.isoformat() for day in settled}
    rows: list[PendingRow] = []
    kept: list[tuple[float, float]] = []  # the rows' bands
    for index, band in enumerate(bands):
        top, bottom = band
        names = [w for w in words_in_cell(page.words, columns.name, top, bottom) if not JUNK_TEXT.match(w.text)]
        if names and EXAMPLE_ROW.search(names[0].text):
            continue  # the form's printed example row
        row = Transaction(row_number=0, page=page.number, extracted_by="ocr")  # numbered by number_rows
        flags: list[tuple[str, str]] = []
        if handwritten:
            written = written_names[index] if written_names else None
            names = [written] if written is not None and written.text else []
            flags.append(("handwritten", f"filled in by hand (tesseract read no date here): read by {SECOND_ENGINE} "
                          "alone, check every value against the page"))
        for name in date_columns:
            setattr(row, name, decide_date(cell_readings[band, name], name, flags, usual_year[name],
                                           usual_months[name], known[name]))
        repair_dates(row, flags, {name: [iso for iso, _, _ in cell_readings[band, name]] for name in date_columns},
                     usual_year)
        mark_boxes = read_marks(page, row, columns.amounts, columns.types, TYPE_NAMES[len(columns.types)],
                                 top, bottom, flags)
        if columns.owner:
            row.owner = decide_owner([words_in_cell(words, columns.owner, top, bottom)
                                       for words in (owner_words, page.words)], flags)
        elif names and owner_code(names[0])[0]:  # no owner column: a code may open the name cell
            (row.owner, exact), first, names = owner_code(names[0]), names[0], names[1:]
            if not exact:
                flags.append(("low_confidence:owner", f"owner read as {first.text!r}"))
        names = without_specks(names)
        row.asset_name, row.ticker = split_ticker(" ".join(w.text for w in names).strip(" |_-—~"))
        flags.extend(asset_name_flags(names if row.asset_name else [], row.asset_name, row.ticker))
        row_words = sorted(words_in_cell(page.words, (0.0, page.width), top, bottom), key=lambda w: (w.line, w.x0))
        row.source_lines = [" ".join(w.text for w in row_words)]
        left = columns.owner[0] if columns.owner else columns.name[0]
        row.boxes = [page.page_box(left, top, columns.amounts[-1][1], bottom), *mark_boxes]
        rows.append((row, flags))
        kept.append(band)
    owners_from_neighbours(rows)
    cells = {"transaction_date": inset(columns.transaction_date), "notification_date": inset(columns.notified)}
    if not handwritten:  # a written name is the second engine's reading already
        cells["asset_name"] = inset(columns.name)
    confirm_cells(page, rows, kept, {**cells, "owner": inset(columns.owner)} if columns.owner else cells)
    return rows


def owners_from_neighbours(rows: list[PendingRow]) -> None:
    """An owner cell that holds print but reads as no code takes the code of the nearest rows above and
    below that were read, when those two agree (a block of one owner's rows), flagged."""
    for index, (row, flags) in enumerate(rows):
        if row.owner or not any(code == "unreadable:owner" for code, _ in flags):
            continue
        above = next((other.owner for other, _ in reversed(rows[:index]) if other.owner), "")
        below = next((other.owner for other, _ in rows[index + 1:] if other.owner), "")
        if above and above == below:
            row.owner = above
            flags[:] = [(code, message) for code, message in flags if code != "unreadable:owner"]
            reason = f"owner cell not read; taken as {above}, the owner of the rows read above and below"
            flags.append(("low_confidence:owner", reason))
