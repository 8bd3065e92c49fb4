"""Read the typed grid of a scanned PTR page (OCR words + the page image) into Transactions.

The paper form (and the typed tables attached to it) is a grid: owner, full asset name, type of
transaction as X marks under Purchase / Sale / Exchange (some attachments add Capital Gains > $200 and
Partial Transaction), date of transaction, date notified, and the amount as an X mark in one of the
bracket columns A-J (K: spouse/DC asset over $1,000,000).

Two readers, the first that fits wins:
- The grid reader (`find_columns`, `read_grid_rows`): the columns come from the page's vertical rules,
  matched against the form's pattern (a wide name cell, 3 or 5 narrow type cells, two date cells, 10 or
  11 narrow amount cells; agent/ocr_grid.py). The two date columns are read again on their own, with
  only date characters allowed, as printed and enlarged; each line of those readings holding a date is a
  row, and its band runs between the ruled lines around it (on small print, banded cells holding digits
  and marks are rows too). A date is trusted only when two readings agree. Otherwise it is flagged, and
  taken as the date all its readings are fewest edits from (a partial reading is completed within the
  column's months); a pair of dates that cannot both be right is repaired from another reading.
- The line reader (`parse_ocr_page` without a grid): a row is an OCR line that carries at least one
  date, and the columns are counted outwards from the date words.
X marks are found as ink in the cells of the row's band (the image with the rules removed), not as OCR
letters, which tesseract reads as x, X, K, ix, |X or not at all; each marked cell is cited on the row and
recorded on the page, where grounding checks it. Lines without a date (sub-headings, headers) and the
printed example row are not rows. Every value carries a confidence; low ones become
`low_confidence:<field>` flags whose message says what was read and what was taken, and a value that
cannot be read is left empty and flagged `unreadable:<field>`.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from collections import Counter
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from agent.errors import InputError
from agent.fields import AMOUNT_BRACKETS, OWNER_CODES
from agent.models import Box, Filing, Flag, Transaction
from agent.ocr import ENGINE, PARALLEL_PAGES, OcrPage, OcrUnavailable, OcrWord, ocr_pdf_pages, read_columns
from agent.ocr_grid import TYPE_NAMES, GridColumns, Span, find_columns

LOW_CONFIDENCE = 60.0  # tesseract word confidence under which a value is flagged
MARK_INK = 0.015  # share of a cell's inner pixels that must be ink for an X mark
MARK_SHARE = 0.4  # ... and at least this share of the most inked cell of its group
SPILL_EDGE, SPILL_INK = 0.2, 0.05  # strips 20% of a row high just outside it; ink there over 5% is a crossing
HANDWRITTEN_ROW = 18.0  # points: rows this high leave room to write in by hand (the paper form's are 25-30)
_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})$")
_DIGITISH = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "i": "1", "S": "5",
                           "s": "5", "B": "8", "Z": "2", "z": "2", ".": "/", ",": "/"})
# Letters tesseract reads in place of the owner codes' letters on these scans.
_LOOKS_LIKE = {"D": "OPB", "C": "EGO", "S": "B", "P": "R", "J": "IL", "T": "I"}
_EXAMPLE = re.compile(r"^\W?.?xample", re.IGNORECASE)  # the printed "Example:" row (its E often misread)
_JUNK = re.compile(r"^[^A-Za-z0-9&]+$")
# The amount columns A-J, then K (a spouse's or dependent child's asset over $1,000,000).
BRACKET_LABELS = [f"${low:,} - ${high:,}" if high else f"Over ${low - 1:,}" for low, high in AMOUNT_BRACKETS[:10]] + [
    f"Spouse/DC Over ${AMOUNT_BRACKETS[10][0] - 1:,}"]
HANDWRITING_CONFIDENCE = 45.0
MIN_DIGITS_TO_COMPLETE = 3  # a partial date reading with fewer digits says too little to complete
MAX_EDITS = 3  # characters a partial date reading may be off from the date it is completed to
KNOWN_DAY_BONUS = 0.5  # edits a day already settled in the column is favoured by (breaks ties, never more)
CONSISTENT_DAYS = 180  # a notification this long after its transaction is rare; a year apart, a misread


# A read row and its (flag code, message) pairs, before the row has its number in the filing.
PendingRow = tuple[Transaction, list[tuple[str, str]]]


def label_for(index: int) -> tuple[str, float, float | None]:
    low, high = AMOUNT_BRACKETS[index]
    return BRACKET_LABELS[index], float(low), None if high is None else float(high)


def read_date(text: str) -> tuple[str, bool]:
    """ISO date from an OCR token, and whether characters had to be repaired ("", False when unreadable)."""
    cleaned = text.strip("|[](){}'\".,;:!_~-—")
    repaired = cleaned.translate(_DIGITISH)
    match = _DATE.match(repaired)
    if not match:
        return "", False
    month, day, year = (int(g) for g in match.groups())
    if year < 100:
        year += 2000
    try:
        value = date(year, month, day)
    except ValueError:
        return "", False
    if not 2008 <= value.year <= 2030:
        return "", False
    return value.isoformat(), repaired != cleaned


def _lines(words: list[OcrWord]) -> list[list[OcrWord]]:
    lines: dict[tuple, list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    return [sorted(ws, key=lambda w: w.x0) for ws in sorted(lines.values(), key=lambda ws: min(w.top for w in ws))]


def cell_ink(page: OcrPage, x0: float, x1: float, top: float, bottom: float, pad: bool = True) -> float:
    """Share of ink in the inner part of a cell (points; all of it with `pad` False), in the rules-free
    image."""
    if page.image is None or x1 <= x0:
        return 0.0
    s = page.scale
    pad_x = (x1 - x0) * 0.15
    pad_y = (bottom - top) * 0.25 if pad else 0.0
    region = page.image[int((top + pad_y) * s): int((bottom - pad_y) * s) + 1,
                        int((x0 + pad_x) * s): int((x1 - pad_x) * s) + 1]
    return float((region < 160).mean()) if region.size else 0.0


def _marked(page: OcrPage, cells: list[tuple[float, float]], top: float, bottom: float) -> tuple[list[int], float]:
    """Indices of the cells holding a mark, and how clearly (the weakest mark over the strongest blank).
    Each marked cell is recorded on the page (`page.marks`), where grounding and source views find it."""
    inks = [cell_ink(page, a, b, top, bottom) for a, b in cells]
    strongest = max(inks, default=0.0)
    # small typed x's ink 2-5% of a cell, drawn X's 10-15%; specks of neighbouring print stay under either
    marked = [i for i, ink in enumerate(inks) if ink >= MARK_INK and ink >= MARK_SHARE * strongest]
    blanks = [ink for i, ink in enumerate(inks) if i not in marked]
    clarity = (min(inks[i] for i in marked) / max(max(blanks, default=0.0), 0.01)) if marked else 0.0
    page.marks.extend(_cell(page, cells, i, top, bottom) for i in marked)
    return marked, clarity


def runs_beyond_row(page: OcrPage, cell: Span, top: float, bottom: float) -> bool:
    """Whether a marked cell's ink carries on across the row's edges: through both (inked strips just
    above and below the row), or more of it just outside one edge than inside the cell. That is a word
    written by hand down the column, or a stray line, not an X in the cell (a neighbouring row's X reaches
    one edge at most, and with less ink than the cell's own). Rows under HANDWRITTEN_ROW high are not
    judged: small print's tight rows and thick rules leave ink at every edge."""
    if bottom - top < HANDWRITTEN_ROW:
        return False
    edge = (bottom - top) * SPILL_EDGE
    above, below = (cell_ink(page, *cell, y, y + edge, pad=False) for y in (top - edge, bottom))
    return min(above, below) >= SPILL_INK or max(above, below) > cell_ink(page, *cell, top, bottom)


def _cell(page: OcrPage, cells: list[tuple[float, float]], index: int, top: float, bottom: float) -> Box:
    x0, x1 = cells[index]
    return page.page_box(x0, top, x1, bottom)


def owner_code(word: OcrWord, in_owner_cell: bool = False) -> tuple[str, bool]:
    """An owner code from a word; (code, exact). The codes are a closed set (SP, JT, DC), so a word that
    reads as exactly one of them is taken whatever tesseract's confidence; S read as § or $ is repaired.
    In the owner column, where nothing else is printed, a misread code is matched letter by letter,
    allowing tesseract's usual confusions ('pc' and 'oC' are DC); an ambiguous reading gives nothing.
    Repaired codes are not exact (they get flagged)."""
    text = re.sub(r"[^A-Za-z]", "", word.text.replace("§", "S").replace("$", "S")).upper()
    if text in OWNER_CODES:
        return text, text == re.sub(r"[^A-Za-z]", "", word.text).upper()
    if not in_owner_cell:
        return "", False
    inside = [code for code in OWNER_CODES if code in text]
    if len(inside) == 1:
        return inside[0], False
    if len(text) == 1:
        return next((code for code in OWNER_CODES if text in code), ""), False
    if len(text) != 2:
        return "", False
    scores = {code: sum(1.0 if got == want else 0.5 if got in _LOOKS_LIKE.get(want, "") else 0.0
                        for got, want in zip(text, code)) for code in OWNER_CODES}
    best = max(scores.values())
    winners = [code for code, score in scores.items() if score == best]
    # at least one letter read right: two look-alikes ("OO", "LI") are as likely specks in a blank cell
    return (winners[0], False) if best >= 1.5 and len(winners) == 1 else ("", False)


# --- the grid reader: columns from the ruled lines (agent/ocr_grid.py), rows from a second reading of the
# date columns ---

DATE_CHARS = "0123456789/-"
OWNER_CHARS = "SPJTDC"
SMALL_PRINT = 9.0  # points: rows closer than this hold print too small to read without enlarging 3x
MIN_ROW, MAX_ROW = 4.0, 40.0  # points: the gaps between horizontal rules that are rows of the grid
DATE_INK = 0.05  # share of ink in a date cell that holds a date


def _inset(span: Span) -> Span:
    return span[0] + 1, span[1] - 1  # inside the cell's rules


def _inside(word: OcrWord, span: Span, top: float, bottom: float) -> bool:
    x, y = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
    return span[0] <= x <= span[1] and top <= y <= bottom


def _cell_date(words: list[OcrWord]) -> tuple[str, float, str]:
    """A cell's words read as one date: (ISO or "", lowest confidence, the text read)."""
    text = "".join(w.text for w in words)
    iso, repaired = read_date(text)
    conf = min((w.conf for w in words), default=0.0)
    return iso, conf if not repaired else min(conf, LOW_CONFIDENCE - 1), text


def _band(page: OcrPage, top: float, bottom: float, previous: float, following: float) -> tuple[float, float]:
    """The row's band: between the ruled lines around its text, or (rules missing) its text line widened
    halfway to the neighbouring rows."""
    height, middle = bottom - top, (top + bottom) / 2
    above = max((y for y in page.row_rules if y <= middle), default=None)
    below = min((y for y in page.row_rules if y >= middle), default=None)
    if above is not None and below is not None and below - above <= 2 * height:
        return above, below
    return max(top - height, (previous + top) / 2), min(bottom + height, (bottom + following) / 2)


def decide_date(readings: list[tuple[str, float, str]], name: str, flags: list[tuple[str, str]],
                usual_year: int | None = None, usual_months: Collection[tuple[int, int]] = (),
                known: Collection[str] = ()) -> str:
    """One date from several readings of its cell, each (ISO or "", confidence, text read), the preferred
    first. Two readings that agree are trusted (tesseract's own confidence for digits says little);
    anything less is flagged. Otherwise the date taken is the one all the readings, whole or partial, are
    fewest character edits from, among the dates read and the days of the months the column's settled
    dates fall in (`usual_months`, (year, month) pairs; `known`, the settled dates, win ties). Failing a
    clear winner, a reading in the year the page's settled dates share is taken first (a misread year,
    2028 for 2025, is the commonest slip)."""
    label = name.replace("_", " ")
    values = [iso for iso, _, _ in readings if iso]
    texts = " and as ".join(repr(text) for _, _, text in readings if text)
    if values and (best := Counter(values).most_common(1)[0])[1] >= 2:
        return best[0]
    candidates = {*values, *(date(year, month, number).isoformat() for year, month in set(usual_months)
                             for number in range(1, calendar.monthrange(year, month)[1] + 1))}
    nearest = nearest_date([text for _, _, text in readings], candidates, known)
    if not values and not nearest:
        flags.append((f"unreadable:{name}", f"no {label} could be read"))
        return ""
    how = "; completed from the column's month and year" if nearest and nearest not in values else ""
    flags.append((f"low_confidence:{name}", f"{label} read as {texts}{how}"))
    return nearest or next((iso for iso in values if int(iso[:4]) == usual_year), values[0])


def _printed_forms(day: date) -> list[str]:
    return [f"{day:%m/%d/%y}", f"{day.month}/{day.day}/{day.year}", f"{day:%m/%d/%Y}", f"{day:%m-%d-%Y}"]


def nearest_date(texts: list[str], candidates: Collection[str], known: Collection[str] = ()) -> str:
    """The candidate date (ISO) whose printed forms the readings `texts` are on average fewest character
    edits from; "" when that is more than MAX_EDITS or not clearly fewer than for every other candidate.
    A date the column already holds (`known`) wins a tie: on these forms one notification date usually
    repeats down the column."""
    texts = [text for text in texts if sum(ch.isdigit() for ch in text) >= MIN_DIGITS_TO_COMPLETE]
    if not texts or not candidates:
        return ""
    costs = {}
    for iso in candidates:
        forms = _printed_forms(date.fromisoformat(iso))
        edits = sum(min(edit_distance(text, form) for form in forms) for text in texts) / len(texts)
        costs[iso] = edits - (KNOWN_DAY_BONUS if iso in known else 0.0)
    ranked = sorted(costs.items(), key=lambda item: item[1])
    (best, cost), runner_up = ranked[0], (ranked[1][1] if len(ranked) > 1 else float("inf"))
    return best if cost <= MAX_EDITS and runner_up - cost >= KNOWN_DAY_BONUS else ""


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest characters inserted, deleted or replaced to turn a into b."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def repair_dates(row: Transaction, flags: list[tuple[str, str]], readings: dict[str, list[str]],
                 usual_years: dict[str, int | None]) -> None:
    """A row's dates must be in order and close: a notification before its transaction, more than
    CONSISTENT_DAYS after it, or a date in the future is a misread. A date is changed, with a flag, to
    another reading of its cell that makes the pair consistent; failing that, a doubtful date (its readings
    disagreed) or an impossible one (in the future) to the same day in its column's usual year or the other
    date's year, when that does. A pair read the same way by every reading stays as printed (a filer's
    typo is the document's). `readings` holds each date's readings (ISO, "" when unread)."""
    names = ("transaction_date", "notification_date")
    if not all(getattr(row, name) for name in names) or _consistent(row.transaction_date, row.notification_date):
        return
    doubtful = {code.split(":")[1] for code, _ in flags if code.startswith("low_confidence:")}
    today = date.today().isoformat()
    for name, other in (names, names[::-1]):
        value = getattr(row, name)
        read = date.fromisoformat(value)
        candidates = [(iso, f"another reading of it, {date.fromisoformat(iso):%m/%d/%Y}, taken")
                      for iso in dict.fromkeys(readings.get(name, [])) if iso and iso != value]
        if name in doubtful or value > today:
            for year in dict.fromkeys(filter(None, (usual_years.get(name), int(getattr(row, other)[:4])))):
                with contextlib.suppress(ValueError):  # 29 February
                    candidates.append((read.replace(year=year).isoformat(), f"year taken as {year}"))
        for fixed, how in candidates:
            pair = (fixed, row.notification_date) if name == names[0] else (row.transaction_date, fixed)
            if fixed != value and _consistent(*pair):
                reason = (f"{name.replace('_', ' ')} read as {read:%m/%d/%Y}, which cannot be right beside the "
                          f"{other.replace('_', ' ')}; {how}")
                flags.append((f"low_confidence:{name}", reason))
                setattr(row, name, fixed)
                return


def _consistent(transaction: str, notification: str) -> bool:
    days = (date.fromisoformat(notification) - date.fromisoformat(transaction)).days
    return 0 <= days <= CONSISTENT_DAYS and max(transaction, notification) <= date.today().isoformat()


def _decide_owner(readings: list[list[OcrWord]], flags: list[tuple[str, str]]) -> str:
    """The owner code from readings of the owner cell (the column alone with only its letters; the page):
    trusted when one reading is exact and no other disagrees, else taken with a flag."""
    codes = []
    for words in readings:
        letters = [w for w in words if re.sub(r"[^A-Za-z]", "", w.text)]
        codes.append(owner_code(letters[0], in_owner_cell=True) if letters else ("", False))
    found = [code for code, _ in codes if code]
    if any(sure for _, sure in codes) and len(set(found)) == 1:
        return found[0]
    texts = [w.text for words in readings for w in words[:1]]
    if found:
        flags.append(("low_confidence:owner", f"owner read as {' and as '.join(map(repr, texts))}"))
        return Counter(found).most_common(1)[0][0]
    if texts:
        flags.append(("unreadable:owner", f"owner column reads {' and '.join(map(repr, texts))}"))
    return ""


def _cells_words(words: list[OcrWord], span: Span | None, top: float, bottom: float) -> list[OcrWord]:
    return [w for w in words if _inside(w, span, top, bottom)] if span else []


def _read_marks(page: OcrPage, row: Transaction, amount_cells: list[Span], type_cells: list[Span],
                type_names: list[str], top: float, bottom: float, flags: list[tuple[str, str]]) -> list[Box]:
    """The row's amount and type (and Cap. Gains, where the form has the column) from the X marks in its
    cells; `type_names` names the type cells in their order. Returns the marked cells: the evidence."""
    mark_boxes: list[Box] = []
    marked, clarity = _marked(page, amount_cells, top, bottom)
    if len(marked) == 1:
        row.amount, row.amount_min, row.amount_max = label_for(marked[0])
        mark_boxes.append(_cell(page, amount_cells, marked[0], top, bottom))
        if clarity < 2:
            flags.append(("low_confidence:amount", "the amount mark is faint against the other cells"))
    elif not amount_cells:
        flags.append(("unreadable:amount", "no amount columns found right of the dates"))
    else:
        flags.append(("unreadable:amount", f"{len(marked)} amount cells marked"))
    marked, clarity = _marked(page, type_cells, top, bottom)
    picked = [type_names[i] for i in marked]
    kinds = [i for i in marked if type_names[i] in ("P", "S", "E")]
    if len(kinds) == 1 and runs_beyond_row(page, type_cells[kinds[0]], top, bottom):
        reason = "the ink in the type cells runs on beyond the row: handwriting or a stray line, not an X"
        flags.append(("unreadable:transaction_type", reason))
    elif len(kinds) == 1:
        kind = type_names[kinds[0]]
        row.transaction_type = "S (partial)" if kind == "S" and "partial" in picked else kind
        mark_boxes.append(_cell(page, type_cells, kinds[0], top, bottom))
        if clarity < 2:
            flags.append(("low_confidence:transaction_type", "the type mark is faint against the other cells"))
    else:
        flags.append(("unreadable:transaction_type", f"{len(kinds)} type cells marked"))
    if len(type_names) == len(TYPE_NAMES[5]):
        row.cap_gains_over_200 = "gains" in picked
    return mark_boxes


def _row_pitch(page: OcrPage) -> float | None:
    """The usual height of the grid's rows (points), from its horizontal rules; None without them."""
    gaps = sorted(b - a for a, b in pairwise(page.row_rules) if MIN_ROW <= b - a <= MAX_ROW)
    return gaps[len(gaps) // 2] if gaps else None


def _row_bands(page: OcrPage, columns: GridColumns, strips: list[list[OcrWord]],
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
        lines = [line for line in _lines(words) if any(read_date(w.text)[0] for w in line) or _cell_date(line)[0]]
        for index, line in enumerate(lines):
            previous = max(w.bottom for w in lines[index - 1]) if index else 0.0
            following = min(w.top for w in lines[index + 1]) if index + 1 < len(lines) else page.height
            band = _band(page, min(w.top for w in line), max(w.bottom for w in line), previous, following)
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
        digits = max((sum(ch.isdigit() for w in _cells_words(words, span, top, bottom) for ch in w.text)
                      for words in strips for span in date_cells), default=0)
        if marked and inked and digits >= MIN_DIGITS_TO_COMPLETE:
            bands.append((top, bottom))
    return sorted(bands)


def read_grid_rows(page: OcrPage, columns: GridColumns) -> list[PendingRow]:
    """Rows of a page whose grid matched `find_columns`. The two date columns are read again on their own
    with only date characters, as printed and enlarged 2x (for small print also 3x, and 3x as sparse
    text), and the owner column with only its letters. Every line of those readings that holds a date is a
    row (on small print, so is a band between ruled lines with marks and digits that no reading made a
    whole date of); each row's cells are read within its band."""
    date_spans = [_inset(columns.transaction_date), _inset(columns.notified)]
    pitch = _row_pitch(page)
    small_print = pitch is not None and pitch < SMALL_PRINT
    # (zoom, page segmentation mode): small print reads better enlarged 3x, and as sparse text
    modes = [(1, 6), (2, 6), (3, 6), (3, 11)] if small_print else [(1, 6), (2, 6)]
    readings = [(date_spans, DATE_CHARS, zoom, psm) for zoom, psm in modes]
    if columns.owner:
        readings.append(([_inset(columns.owner)], OWNER_CHARS, 3 if small_print else 1))
    with ThreadPoolExecutor(PARALLEL_PAGES) as pool:  # separate tesseract processes: one per core
        read = list(pool.map(lambda reading: read_columns(page, *reading), readings))
    strips, owner_words = read[:len(modes)], (read[-1] if columns.owner else [])
    for words in read:
        page.second_reading.extend(words)
    date_columns = {"transaction_date": columns.transaction_date, "notification_date": columns.notified}
    bands = _row_bands(page, columns, strips, pitch)
    cell_readings = {(band, name): [_cell_date(_cells_words(words, span, *band)) for words in (*strips, page.words)]
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
    for band in bands:
        top, bottom = band
        names = [w for w in _cells_words(page.words, columns.name, top, bottom) if not _JUNK.match(w.text)]
        if names and _EXAMPLE.search(names[0].text):
            continue  # the form's printed example row
        row = Transaction(row_number=0, page=page.number, extracted_by="ocr")  # numbered by number_rows
        flags: list[tuple[str, str]] = []
        for name in date_columns:
            setattr(row, name, decide_date(cell_readings[band, name], name, flags, usual_year[name],
                                           usual_months[name], known[name]))
        repair_dates(row, flags, {name: [iso for iso, _, _ in cell_readings[band, name]] for name in date_columns},
                     usual_year)
        mark_boxes = _read_marks(page, row, columns.amounts, columns.types, TYPE_NAMES[len(columns.types)],
                                 top, bottom, flags)
        if columns.owner:
            row.owner = _decide_owner([_cells_words(words, columns.owner, top, bottom)
                                       for words in (owner_words, page.words)], flags)
        elif names and owner_code(names[0])[0]:  # no owner column: a code may open the name cell
            (row.owner, exact), first, names = owner_code(names[0]), names[0], names[1:]
            if not exact:
                flags.append(("low_confidence:owner", f"owner read as {first.text!r}"))
        row.asset_name = " ".join(w.text for w in names).strip(" |_-—~")
        if not row.asset_name:
            flags.append(("unreadable:asset_name", "no asset name read"))
        elif min(w.conf for w in names) < LOW_CONFIDENCE:
            lowest = min(w.conf for w in names)
            flags.append(("low_confidence:asset_name", f"asset name read with confidence {lowest:.0f}"))
        row_words = sorted(_cells_words(page.words, (0.0, page.width), top, bottom), key=lambda w: (w.line, w.x0))
        row.source_lines = [" ".join(w.text for w in row_words)]
        left = columns.owner[0] if columns.owner else columns.name[0]
        row.boxes = [page.page_box(left, top, columns.amounts[-1][1], bottom), *mark_boxes]
        rows.append((row, flags))
    owners_from_neighbours(rows)
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


def parse_ocr_page(page: OcrPage, first_row_number: int = 1) -> list[Transaction]:
    """The transaction rows of one OCR'd page of the typed form (see the module's docstring), numbered from
    `first_row_number`."""
    return number_rows(read_page_rows(page), first_row_number)


def number_rows(pending: list[PendingRow], first_row_number: int) -> list[Transaction]:
    """Give read rows their numbers in the filing, and their flags (which name the row)."""
    rows = []
    for number, (row, flags) in enumerate(pending, start=first_row_number):
        row.row_number = number
        row.flags = [Flag(code, f"row {number}: {message} (OCR)", number) for code, message in flags]
        rows.append(row)
    return rows


def read_page_rows(page: OcrPage, line_reader: bool = True) -> list[PendingRow]:
    """A page's rows, not yet numbered: by the grid reader when the page's ruled lines show the form's
    columns, else line by line (or none, without `line_reader`: the page is left to an LLM)."""
    columns = find_columns(page.rules)
    if columns is not None:
        return read_grid_rows(page, columns)
    if not line_reader:
        return []
    partial_variant = any(w.text.lower().startswith("partial") for w in page.words)
    rows: list[PendingRow] = []
    for line in _lines(page.words):
        if any(_EXAMPLE.search(w.text) for w in line):
            continue
        dates = [(w, *read_date(w.text)) for w in line]
        dates = [(w, iso, repaired) for w, iso, repaired in dates if iso]
        if not dates:
            continue
        row = Transaction(row_number=0, page=page.number, extracted_by="ocr")  # numbered by number_rows
        flags: list[tuple[str, str]] = []
        top = min(w.top for w in line) - 2
        bottom = max(w.bottom for w in line) + 2
        first_date = dates[0][0]
        row.transaction_date = dates[0][1]
        if dates[0][2] or first_date.conf < LOW_CONFIDENCE:
            flags.append(("low_confidence:transaction_date", f"transaction date read as {first_date.text!r}"))
        if len(dates) >= 2:
            last_date = dates[1][0]
            row.notification_date = dates[1][1]
            if dates[1][2] or last_date.conf < LOW_CONFIDENCE:
                flags.append(("low_confidence:notification_date", f"notification date read as {last_date.text!r}"))
        else:
            last_date = first_date
            flags.append(("unreadable:notification_date", "only one date could be read on the row"))
        # Columns: vertical rules right of the notification date (amounts), left of the transaction date (type).
        right = [x for x in page.rules if x > last_date.x1 - 1]
        left = sorted((x for x in page.rules if x < first_date.x0 + 1), reverse=True)
        amount_cells = list(pairwise(right))[:10]
        type_count = 5 if partial_variant else 3
        type_cells = [(b, a) for a, b in pairwise(left)][:type_count]  # nearest the date first
        type_names = TYPE_NAMES[type_count][::-1][:len(type_cells)]
        mark_boxes = _read_marks(page, row, amount_cells, type_cells, type_names, top, bottom, flags)
        # Owner and asset: the words left of the type columns.
        limit = type_cells[-1][0] if len(type_cells) == type_count else first_date.x0
        texts = [w for w in line if w.x1 <= limit + 2 and not _JUNK.match(w.text)]
        if texts:
            owner, exact = owner_code(texts[0])
            if owner:
                row.owner = owner
                texts = texts[1:]
                if not exact:
                    flags.append(("low_confidence:owner", f"owner read as {texts and texts[0].text!r}"))
            elif len(re.sub(r"[^A-Za-z]", "", texts[0].text)) == 2 and texts[0].x0 < (limit * 0.2):
                flags.append(("unreadable:owner", f"owner column reads {texts[0].text!r}"))
                texts = texts[1:]
        row.asset_name = " ".join(w.text for w in texts).strip(" |_-—~")
        if not row.asset_name:
            flags.append(("unreadable:asset_name", "no asset name read"))
        elif min(w.conf for w in texts) < LOW_CONFIDENCE:
            flags.append(("low_confidence:asset_name",
                          f"asset name read with confidence {min(w.conf for w in texts):.0f}"))
        row.source_lines = [" ".join(w.text for w in line)]
        # the row's line, then the cells of its type and amount marks (evidence for values read from ink)
        row.boxes = [page.page_box(min(w.x0 for w in line), top, max(w.x1 for w in line), bottom), *mark_boxes]
        rows.append((row, flags))
    return rows


def looks_handwritten(page: OcrPage) -> bool:
    """A page whose words tesseract reads with low confidence and no typed dates: handwriting (or noise)."""
    if not page.words:
        return False
    dates = sum(1 for w in page.words if read_date(w.text)[0])
    return page.mean_confidence < HANDWRITING_CONFIDENCE and dates == 0


# --- a whole scanned filing ------------------------------------------------------------------------

OCR_FLAG = "read_by_ocr"


@dataclass
class ScanResult:
    filing: Filing
    pages: list[OcrPage]
    error: str = ""
    without_grid: list[int] = field(default_factory=list)  # pages whose OCR text holds dates but not the grid


def apply_ocr_text(document, pages: list[OcrPage]) -> None:
    """Give the Document the OCR text and words of the pages read, so grounding checks see them."""
    from agent.pdf import Checkbox, Word
    for ocr_page in pages:
        target = document.pages[ocr_page.number - 1]
        target.text = ocr_page.text
        target.words = [Word(w.text, *_page_coordinates(ocr_page, w)) for w in ocr_page.words]
        target.checkboxes = [Checkbox(box.x0, box.top, box.x1, box.bottom, True) for box in ocr_page.marks]
        target.read_by_ocr = True


def _page_coordinates(page: OcrPage, word: OcrWord) -> tuple[float, float, float, float]:
    box = page.page_box(word.x0, word.top, word.x1, word.bottom)
    return box.x0, box.top, box.x1, box.bottom


def read_scanned(document, data: bytes, line_reader: bool = True) -> ScanResult:
    """OCR the image-only pages of a filing and read their rows. Never raises for a missing engine:
    the filing then stays `scanned` with a flag saying how to install it. Without `line_reader`, pages
    without the form's grid give no rows here (an LLM structures their OCR text instead)."""
    numbers = document.image_only_pages
    filing = Filing(document.source, document.sha256, len(document.pages), layout="scanned",
                    image_only_pages=list(numbers))
    try:
        pages = ocr_pdf_pages(data, document.source, numbers)
    except OcrUnavailable as exc:
        filing.flags.append(Flag("ocr_unavailable", str(exc)))
        return ScanResult(filing, [], str(exc))
    except InputError as exc:  # the sandbox could not render a page (too slow, too big, crashed)
        filing.flags.append(Flag("ocr_failed", f"OCR stopped: {exc.reason}"))
        return ScanResult(filing, [], f"OCR stopped: {exc.reason}")
    handwritten = [page.number for page in pages if looks_handwritten(page)]
    typed = [page for page in pages if page.number not in handwritten]
    with ThreadPoolExecutor(PARALLEL_PAGES) as pool:  # second readings are more tesseract runs: a page per core
        pending = pool.map(lambda page: read_page_rows(page, line_reader), typed)
    filing.transactions = number_rows([row for rows in pending for row in rows], 1)
    apply_ocr_text(document, pages)
    without_grid = [page.number for page in typed if find_columns(page.rules) is None
                    and any(read_date(word.text)[0] for word in page.words)]
    if handwritten:
        filing.flags.append(Flag("handwritten", f"page(s) {', '.join(map(str, handwritten))}: handwritten: "
                                 "needs review (OCR does not read handwriting; no values were taken from them)"))
    left_to_llm = without_grid if not line_reader else []
    if left_to_llm:
        filing.flags.append(Flag("ocr_without_grid", f"page(s) {', '.join(map(str, left_to_llm))}: OCR text with "
                                 "dates but not the form's grid, handed to the LLM to structure"))
    if not filing.transactions and not left_to_llm:
        filing.flags.append(Flag("ocr_no_rows", "OCR found no transaction rows"))
    elif filing.transactions:
        filing.layout = "scanned_ocr"
        filing.image_only_pages = []  # every such page was read
        confidence = sum(p.mean_confidence for p in pages) / len(pages)
        filing.flags.insert(0, Flag(OCR_FLAG, f"read by OCR ({ENGINE}, {len(pages)} page(s), mean word confidence "
                                    f"{confidence:.0f}): check the values against the page images"))
    return ScanResult(filing, pages, without_grid=without_grid)
