"""Rows of the Senate paper form's grid: each row between the grid's ruled lines (or, where a faint scan lost
them, around a date read in the date column) whose cells hold a date or an X mark. The asset cell carries the
owner code ((S), (J), (DC), any case; or "(S, IRA)" after the name), and sometimes the ticker; a line naming a holding
with no date and no mark ("(S) Peter L. Malkin Family 2000 LLC:") heads the rows under it. The form says
"Sale", never full or partial: a sale is "S*", a sale of unknown kind. Cells written by hand, which tesseract reads as
specks, are read by the second engine (rapidocr), and what it alone read stays flagged."""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise

from agent.documents.ocr import (
    PARALLEL_PAGES,
    SECOND_ENGINE,
    SECOND_ENGINE_MISSING,
    OcrPage,
    OcrWord,
    read_cells,
    read_columns,
)
from agent.formats.paper.cells import JUNK_TEXT, LOW_CONFIDENCE, PendingRow, cell_ink, inset, ocr_lines, words_in_cell
from agent.formats.paper.confirm import confirm_cells, doubt_codes, doubtful
from agent.formats.paper.dates import decide_date
from agent.formats.paper.grid import Span
from agent.formats.paper.grid_reader import DATE_CHARS, date_in_cell
from agent.formats.paper.marks import MARK_INK, label_for, read_marks
from agent.formats.paper.names import NAME_WORDS, printed_ticker, split_ticker, squeeze, unconfirmed_words, vocabulary
from agent.formats.paper.senate_dates import read_unread_dates
from agent.formats.paper.senate_grid import SenateColumns, SenatePage
from agent.formats.paper.senators import known_senator
from agent.models import Box, Transaction

SALE_OF_UNKNOWN_KIND = "S*"

OPEN_MILLION_HOUSE, OPEN_MILLION = label_for(10)[0], "Over $1,000,000"  # the House form says "Spouse/DC Over ..."

# The form's printed example rows: "IBM Corp. (stock) NYSE", "(DC) Microsoft (stock) NASDAQ/OTC", dates "2/1/1X".
EXAMPLE = re.compile(r"IBM|Micro|NASDAQ\W?OTC|xample", re.IGNORECASE)
EXAMPLE_DATE = re.compile(r"1[Xx]\b")
EXAMPLE_LETTERS = 4  # amount cells inked by the example rows' "E X A M P L E" (a transaction marks one)

# An owner code opening the asset cell, "(S)" or "(DC)" (tesseract reads the S of "(S)" as 5, 8 or $ at times, and
# the cell's left rule as "|", "[" or "l"),
# or inside a note after the name, "(S, IRA)".
LEADING_CODE = re.compile(r"^(?:\S{1,2}\s+|[\[|l])?(?:[(\[{]\s*(S|J|DC|5|8|\$|S\$|OC|0C)|[1l|I](S|J|DC)|6)\s*[)\]}]\s*",
                          re.IGNORECASE)
# or written before a dash, "S - AAPL" (a handwritten form's way)
DASHED_CODE = re.compile(r"^(?:\S{1,2}\s+)?(S|J|DC)\s*[-–—]\s*", re.IGNORECASE)
TRAILING_CODE = re.compile(r"[(\[]\s*(S|J|DC|5|8|\$)\s*[,.][^)]*\)", re.IGNORECASE)
OWNERS = {"S": "SP", "J": "JT", "DC": "DC", "5": "SP", "8": "SP", "$": "SP", "S$": "SP", "OC": "DC", "0C": "DC",
          "": "SP"}

# Capitals in parentheses that are the notes the form's rows carry, not a ticker: "(DEL)", "(S, IRA)".
NOT_TICKERS = {"DEL", "IRA", "ADR", "ADS", "LP", "LLC", "NEW", "CL", "INC", "CORP", "ETF", "S", "J", "DC", "SP", "JT",
               "NYSE", "OTC", "REIT", "UTS"}

# A series numeral that tesseract may have read either way, "II" or "ll" ("Amplo ll, L.P"): never trusted as read.
NUMERAL_LOOKALIKE = re.compile(r"^(?=.*[l1|])[Il1|]{2,3}[,.]?$")

# The name box's printed labels, and titles written before the name.
LABELS = re.compile(r"\S*(?:Report|Individ|Amend)\S*|\bName\b|^\W*[|]", re.IGNORECASE)
TITLE = re.compile(r"^(?:Senator|Sen\.?|The Honorable|Hon\.)\s+", re.IGNORECASE)
# A person's name as written in the box: two to five words, each capitalised (a handwritten name reads as specks)
NAME = re.compile(r"^[A-Z][A-Za-z.'-]*,?(?: [A-Z][A-Za-z.'-]*,?){1,4}$")

PITCH = (0.025, 0.06)  # a row of the grid: this share of the page's height (about 80 of 2200 points)
USUAL_PITCH = 0.037  # the form's row height as a share of the page's, where its rules were not found
MARGIN = 0.01  # of the page's width: white put left of a column read on its own
HEADER_ROWS = 3  # the header, with its column titles written upwards, is about six rows high
EXAMPLE_ROWS = 1.8  # row heights under the header taken by the two example rows (each about 0.8 of a row)
ROW_INK = 0.04  # a type or amount cell this inked holds a mark (drawn X's ink 7-18%; rule remnants 2%)
HANDWRITTEN_CONFIDENCE = 45.0  # tesseract's mean word confidence under which the words it read are handwriting
SPILL = 0.15  # of a row's height, above and below it: how far a hand's writing crosses the row's rules
NOTE_LETTERS = 3  # a word this short after a ticker written as the asset's name is a note beside it ("sep", "FR")


def owner_from_asset(text: str) -> tuple[str, str, bool]:
    """(owner code, asset text without a leading code, exact): blank for the filer when no code is printed."""
    if found := LEADING_CODE.match(text):
        letters = (found.group(1) or found.group(2) or "").upper()  # "6)": tesseract's reading of "(S)"
        exact = found.group(0).lstrip().startswith("(") and letters in ("S", "J", "DC")
        return OWNERS[letters], text[found.end():], exact
    if found := DASHED_CODE.match(text):
        return OWNERS[found.group(1).upper()], text[found.end():], True
    if found := TRAILING_CODE.search(text):
        letters = found.group(1).upper()
        return OWNERS[letters], text, letters in ("S", "J", "DC") and "," in found.group(0)
    return "", text, True


def _agreed(values: list[tuple[str, float, str]]) -> bool:
    dates = Counter(iso for iso, _, _ in values if iso)
    return bool(dates) and dates.most_common(1)[0][1] >= 2


def _text(words: list[OcrWord]) -> str:
    return " ".join(w.text for w in words).strip(" |_-—~")


def _read_alike(word: OcrWord, other: list[OcrWord]) -> bool:
    """A second reading has the same word where this one stands (an independent confirmation of an unsure word)."""
    return any(o.text == word.text and o.x0 < word.x1 and word.x0 < o.x1 for o in other)


def decide_owner(first: str, second: str, flags: list[tuple[str, str]]) -> str:
    """The owner code from two readings of the asset cell: trusted when both read the same code, one of them
    as printed ("(S)"; the other may be tesseract's "(8)" for it), or both none (the filer's own asset). A
    reading that read nothing says nothing. Otherwise a code read as printed, else any code read (a printed
    code is seldom imagined), flagged."""
    if not first or not second:
        first = second = first or second
    (owner, _, exact), (other, _, other_exact) = owner_from_asset(first), owner_from_asset(second)
    if owner == other and (exact or other_exact):
        return owner
    words = " and as ".join(repr(text.split()[0]) for text in dict.fromkeys((first, second)) if text)
    flags.append(("low_confidence:owner", f"owner code read as {words}"))
    printed = [code for code, sure in ((owner, exact), (other, other_exact)) if code and sure]
    return (printed or [code for code in (owner, other) if code] or [""])[0]


def strip_owner(text: str) -> str:
    """The asset's name without the owner code opening it."""
    return owner_from_asset(text)[1].strip()


def written_ticker(asset: str) -> tuple[str, str]:
    """The ticker of an asset written by hand, and what says it is one ("" when printed in parentheses): as
    `ticker_of` reads it, or a ticker written as the name in any case with a note of a few letters beside it ("Ksu
    sep", "TRN FR"; not a word names end with, "Inc"). Both are tickers some filing printed: the securities table is
    the evidence."""
    table = "a ticker some filing printed (data/securities.tsv)"
    if ticker := ticker_of(asset):
        return ticker, "" if f"({ticker})" in asset else table
    first, *rest = asset.split() or [""]
    if rest and (ticker := printed_ticker(first)) and all(len(word) <= NOTE_LETTERS and word.upper() not in NAME_WORDS
                                                          for word in rest):
        return ticker, f"{table}, written as the name with a note beside it"
    return "", ""


def ticker_of(asset: str) -> str:
    """The ticker printed in the asset's name, "(IHRT)" or last after the name (agent/formats/paper/names.py), or
    the name itself when it is one word some filing printed as a ticker ("AAPL", as a hand may write it)."""
    known = vocabulary().tickers
    if asset.isupper() and asset in known:
        return asset
    ticker = split_ticker(asset)[1]
    # bare capitals after the name are a ticker only when some filing printed it ("Envest Ventures IILLC" is not)
    return ticker if ticker not in NOT_TICKERS and (ticker in known or f"({ticker})" in asset) else ""


def row_pitch(page: OcrPage) -> float | None:
    gaps = sorted(b - a for a, b in pairwise(page.row_rules) if PITCH[0] <= (b - a) / page.height <= PITCH[1])
    return gaps[len(gaps) // 2] if gaps else None


def rule_bands(page: OcrPage, top: float, bottom: float) -> list[tuple[float, float]]:
    """The bands between the grid's horizontal rules from `top` to `bottom` that are a row high; a gap two or
    three rows high (a rule the scan lost) is cut into rows."""
    pitch = row_pitch(page)
    if pitch is None:
        return []
    bands = []
    for a, b in pairwise(y for y in page.row_rules if top - 1 <= y <= bottom + 1):
        rows = round((b - a) / pitch)
        if 1 <= rows <= 3 and abs(b - a - rows * pitch) <= 0.3 * pitch:
            bands += [(a + (b - a) * k / rows, a + (b - a) * (k + 1) / rows) for k in range(rows)]
    return bands


def header_band(page: OcrPage, extent: tuple[float, float]) -> tuple[float, float]:
    """The grid's header (the column titles): the first gap between rules HEADER_ROWS rows high or more that ends
    below the grid's top (the amount columns' rules may start below the header's top rule; a faint scan's lost
    rules leave taller gaps lower down), else the tallest in the grid's upper half; the grid's top twice when its
    rules were not found."""
    top, bottom = extent
    gaps = [(b - a, a, b) for a, b in pairwise(page.row_rules) if b > top + 1 and a <= (top + bottom) / 2]
    if not gaps:
        return top, top
    pitch = row_pitch(page) or USUAL_PITCH * page.height
    _, a, b = next((gap for gap in gaps if gap[0] >= HEADER_ROWS * pitch), max(gaps))
    return a, b


def read_region(page: OcrPage, spans: list[Span], top: float, bottom: float, whitelist: str = "",
                zoom: int = 1, psm: int = 6) -> list[OcrWord]:
    """read_columns over the rows from `top` to `bottom` (points) only: tesseract's time goes with the
    pixels it is given. Each column gets a white margin on its left (tesseract misses the first characters
    of text that touches the image's edge: the "(J)" opening an asset, the "2/1" of a date)."""
    s = page.scale
    first, last = max(0, int(top * s)), int(bottom * s) + 1
    if page.image is None or last <= first:
        return []
    image = page.image[first:last].copy()
    margin = MARGIN * page.width
    for x0, _ in spans:
        image[:, max(0, int((x0 - margin) * s)):max(0, int(x0 * s))] = 255
    part = OcrPage(page.number, page.rotation, page.width, (last - first) / s, image=image, scale=s)
    widened = [(max(0.0, x0 - margin), x1) for x0, x1 in spans]
    return [replace(w, top=w.top + first / s, bottom=w.bottom + first / s)
            for w in read_columns(part, widened, whitelist, zoom, psm)]


def date_bands(page: OcrPage, readings: list[list[OcrWord]], span: Span,
               known: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Bands a row high around the lines of the date column's readings that hold a date, where no ruled band
    holds one (a faint scan loses some rules)."""
    pitch = row_pitch(page) or USUAL_PITCH * page.height
    bands = list(known)
    for words in readings:
        for line in ocr_lines(words_in_cell(words, span, 0.0, page.height)):
            middle = (min(w.top for w in line) + max(w.bottom for w in line)) / 2
            if date_in_cell(line)[0] and not any(a <= middle <= b for a, b in bands):
                bands.append((middle - pitch / 2, middle + pitch / 2))
    return sorted(bands)


def filer_box(page: OcrPage, header_top: float) -> tuple[float, float]:
    """The "Reporting Individual's Name" box: the last gap between rules above the grid's header that is a
    row high or more (a doubled rule leaves thin gaps)."""
    pitch = row_pitch(page) or USUAL_PITCH * page.height
    gaps = [(a, b) for a, b in pairwise(y for y in page.row_rules if y <= header_top + 1) if b - a >= 0.7 * pitch]
    return gaps[-1] if gaps else (max(0.0, header_top - 2 * pitch), header_top)


def house_order(amounts: list[Span]) -> list[Span]:
    """The Senate's amount cells in the order of agent.formats.fields.AMOUNT_BRACKETS (the House form's A-J,
    then the open "Over $1,000,000"): the Senate prints that open bracket seventh, before $1,000,001 -
    $5,000,000, with a *** note on whose assets it is for."""
    return [*amounts[:6], *amounts[7:], *amounts[6:7]]


@dataclass(frozen=True)
class GridReading:
    """A grid page's rows, and the filer's name as its name box reads ("" when unread)."""

    rows: list[PendingRow]
    filer: str
    stray: int = 0  # bands with ink but no date, type or amount read: handwriting across the grid, not rows


def read_senate_rows(sheet: SenatePage) -> GridReading:
    """The rows of a page showing the Senate form's grid. The asset and date columns are read together as the
    page's words; the date column again with only date characters, as printed and enlarged (a cell whose
    readings still disagree once more on its own), and the asset column again in another segmentation mode:
    a date, owner code or unsure word two readings agree on is trusted. Marks are read from the ink in the
    type and amount cells. Rows lie within the grid's extent (the certification boxes under it are ruled too)."""
    page, columns = sheet.page, sheet.columns
    assert columns is not None  # only pages whose grid was found come here
    name, day = inset(columns.name), inset(columns.date)
    header_top, data_top = header_band(page, sheet.extent)
    name_box = filer_box(page, header_top)
    grid_bottom = sheet.extent[1]
    specs = [([name, day], data_top, grid_bottom, "", 1, 6), ([day], data_top, grid_bottom, DATE_CHARS, 1, 6),
             ([day], data_top, grid_bottom, DATE_CHARS, 2, 6), ([name], data_top, grid_bottom, "", 1, 4),
             ([(0.0, columns.types[0][0])], *name_box, "", 1, 6)]
    with ThreadPoolExecutor(PARALLEL_PAGES) as pool:  # tesseract processes, one per core
        first, second, enlarged, names_again, filer = pool.map(lambda spec: read_region(page, *spec), specs)
    page.words = [*filer, *first]
    page.second_reading = [*second, *enlarged, *names_again]
    # the form's two printed example rows open the grid, each under a row high
    pitch = row_pitch(page) or USUAL_PITCH * page.height
    examples_end = data_top + EXAMPLE_ROWS * pitch
    ruled = rule_bands(page, data_top, grid_bottom)
    bands = [band for band in date_bands(page, [second, enlarged, first], day, ruled)
             if examples_end <= (band[0] + band[1]) / 2 <= grid_bottom]
    readings = {band: [date_in_cell(words_in_cell(words, day, *band)) for words in (second, enlarged, first)]
                for band in bands}
    # a date cell whose readings do not agree is read once more on its own, as one line (psm 7), enlarged
    unsettled = [band for band, values in readings.items() if not _agreed(values)]
    with ThreadPoolExecutor(PARALLEL_PAGES) as pool:
        alone = list(pool.map(lambda band: read_region(page, [day], band[0], band[1], DATE_CHARS, 2, 7), unsettled))
    for band, words in zip(unsettled, alone, strict=True):
        readings[band].append(date_in_cell(words))
        page.second_reading.extend(words)
    settled = [date.fromisoformat(iso) for values in readings.values()
               for iso, count in Counter(iso for iso, _, _ in values if iso).most_common(1) if count >= 2]
    years = Counter(value.year for value in settled)
    usual_year = years.most_common(1)[0][0] if years else None
    usual_months = {(value.year, value.month) for value in settled}
    known = {value.isoformat() for value in settled}
    amounts = house_order(columns.amounts)
    rows: list[PendingRow] = []
    kept: list[tuple[float, float]] = []  # each row's band
    asset_words: list[list[OcrWord]] = []  # tesseract's words of each row's asset cell
    lettered_rows: set[int] = set()  # rows with ink in EXAMPLE_LETTERS amount cells or more
    holding: tuple[str, Box] | None = None
    stray = 0
    for band in bands:
        top, bottom = band
        names = [w for w in words_in_cell(first, columns.name, top, bottom) if not JUNK_TEXT.match(w.text)]
        text = " ".join(w.text for w in names).strip(" |_-—~")
        dates = readings[band]
        inks = [[cell_ink(page, *cell, top, bottom) for cell in cells] for cells in (columns.types, amounts)]
        # the printed example rows: their words with "E X A M P L E" across the amount cells ("Microsoft" alone is
        # a transaction), or their "2/1/1X" dates
        lettered = sum(ink >= MARK_INK for ink in inks[1]) >= EXAMPLE_LETTERS
        if (lettered and EXAMPLE.search(text)) or any(EXAMPLE_DATE.search(read) for _, _, read in dates):
            continue
        # a clear X anywhere, or faint ink in both a type and an amount cell (thin hand-drawn x's)
        marked = max(max(inks[0]), max(inks[1])) >= ROW_INK or min(max(inks[0]), max(inks[1])) >= MARK_INK
        if not marked and not any(iso for iso, _, _ in dates):
            if text:  # a holding's name heading the rows under it
                holding = (text.rstrip(":").strip(), page.page_box(columns.name[0], top, columns.name[1], bottom))
            continue
        again = [w for w in words_in_cell(names_again, columns.name, top, bottom) if not JUNK_TEXT.match(w.text)]
        row, flags = _row(page, columns, band, (names, again), dates, amounts, holding,
                          (usual_year, usual_months, known))
        if row.transaction_date or row.transaction_type or row.amount:
            rows.append((row, flags))
            kept.append(band)
            asset_words.append(names)
            if lettered:
                lettered_rows.add(len(rows) - 1)
        else:
            stray += 1
    year_strip = (data_top - pitch, data_top)
    # a grid filled in by hand has rows tesseract read a word or two of confidently ("5 NPLy"); a row whose name
    # it read confidently is not taken from the second engine alone
    by_hand = handwritten([word for words in asset_words for word in words])
    hands = [handwritten(words) or (by_hand and doubtful(flags, "asset_name"))
             for words, (_, flags) in zip(asset_words, rows, strict=True)]
    # a hand crosses the rows' rules: its cells are read taller than the rows (a faint typed row's are not)
    spill = SPILL if by_hand else 0.0
    cells = [(top - spill * (bottom - top), bottom + spill * (bottom - top)) for top, bottom in kept]
    examples = confirm_by_second_engine(page, columns, rows, list(zip(cells, hands, strict=True)), year_strip,
                                        usual_year)
    rows = [row for index, row in enumerate(rows) if index not in examples or index not in lettered_rows]
    return GridReading(rows, read_filer(page, filer, name_box, columns.types[0][0]), stray)


def handwritten(words: list[OcrWord]) -> bool:
    """Whether tesseract's words of an asset cell are handwriting (or nothing read): their mean confidence is under
    HANDWRITTEN_CONFIDENCE."""
    return not words or sum(w.conf for w in words) / len(words) < HANDWRITTEN_CONFIDENCE


def confirm_by_second_engine(page: OcrPage, columns: SenateColumns, rows: list[PendingRow],
                             bands: list[tuple[tuple[float, float], bool]], year_strip: tuple[float, float],
                             usual_year: int | None) -> list[int]:
    """Values read again by the second engine (agent/formats/paper/confirm.py) in each row's `bands` (top, bottom of
    its cells; taller than the row on a grid filled in by hand), given with whether its asset cell is handwriting.
    Dates tesseract read none of are read in the date cell (agent/formats/paper/senate_dates.py: a year written once
    in the header, `year_strip`); other doubtful dates as the House reader does. A handwritten asset cell is read
    for its owner code and name (one reading, flagged); a typed one whose owner or name is doubtful once for both, as
    the form writes the code inside it: what the second engine reads alike is confirmed by two independent readings
    and loses its flag (a handwritten one read alike too). Returns the rows whose asset cell it read as the words of
    the form's printed example rows."""
    unread = [index for index, (row, _) in enumerate(rows) if not row.transaction_date]
    dated = [index for index in range(len(rows)) if index not in unread]
    confirm_cells(page, [rows[index] for index in dated], [bands[index][0] for index in dated],
                  {"transaction_date": inset(columns.date)})
    read_unread_dates(page, inset(columns.date), [rows[index] for index in unread],
                      [bands[index][0] for index in unread], year_strip, usual_year)
    asked = [index for index, (_, flags) in enumerate(rows)
             if bands[index][1] or any(doubtful(flags, field) for field in ("owner", "asset_name"))]
    if not asked:
        return []
    examples = []
    name = inset(columns.name)
    words = read_cells(page, [(name[0], bands[index][0][0], name[1], bands[index][0][1]) for index in asked])
    for position, index in enumerate(asked):
        row, flags = rows[index]
        word = words[position] if words is not None else None
        text = word.text if word is not None else ""
        if word is not None and text:
            page.second_reading.append(word)  # grounding finds the values where they were read
        if EXAMPLE.search(text):
            examples.append(index)
        owner, asset, exact = owner_from_asset(text)
        if bands[index][1] and squeeze(asset) and (owner, squeeze(asset)) != (row.owner, squeeze(row.asset_name)):
            _take_handwriting(row, flags, text)
            continue
        note = SECOND_ENGINE_MISSING if words is None else f"{SECOND_ENGINE} read {text!r}"
        _settle(flags, "owner", bool(text) and exact and owner == row.owner, note)
        _settle(flags, "asset_name", bool(squeeze(asset)) and squeeze(asset) == squeeze(row.asset_name), note)
    return examples


def _take_handwriting(row: Transaction, flags: list[tuple[str, str]], text: str) -> None:
    """A handwritten asset cell's owner code, name and ticker as the second engine read it (tesseract read specks):
    one reading, flagged as such."""
    owner, asset, _ = owner_from_asset(text)
    read_by = f"handwritten: {SECOND_ENGINE} alone read {text!r}"
    flags[:] = [(code, message) for code, message in flags if code not in (*doubt_codes("owner"),
                                                                           *doubt_codes("asset_name"))]
    if owner != row.owner:
        tesseract = repr(row.owner) if row.owner else "none"
        flags.append(("low_confidence:owner", f"owner code {read_by} (tesseract read {tesseract})"))
    row.owner, row.asset_name = owner, asset.strip()
    row.ticker, noted = written_ticker(row.asset_name)
    flags.append(("low_confidence:asset_name", read_by + (f"; the ticker {row.ticker}: {noted}" if noted else "")))


def _settle(flags: list[tuple[str, str]], name: str, confirmed: bool, note: str) -> None:
    """Drop the field's doubt flags when a second reading confirmed its value, else say what that reading was."""
    codes = doubt_codes(name)
    if confirmed:
        flags[:] = [(code, message) for code, message in flags if code not in codes]
    else:
        flags[:] = [(code, f"{message}; {note}" if code in codes else message) for code, message in flags]


def _row(page: OcrPage, columns: SenateColumns, band: tuple[float, float],
         readings: tuple[list[OcrWord], list[OcrWord]], dates: list[tuple[str, float, str]], amounts: list[Span],
         holding: tuple[str, Box] | None, settled: tuple[int | None, set[tuple[int, int]], set[str]]) -> PendingRow:
    top, bottom = band
    row = Transaction(row_number=0, page=page.number, extracted_by="ocr")  # numbered by number_rows
    flags: list[tuple[str, str]] = []
    row.transaction_date = decide_date(dates, "transaction_date", flags, *settled)
    mark_boxes = read_marks(page, row, amounts, columns.types, ["P", "S", "E"], top, bottom, flags)
    if row.transaction_type == "S":
        row.transaction_type = SALE_OF_UNKNOWN_KIND
    if row.amount == OPEN_MILLION_HOUSE:
        row.amount = OPEN_MILLION  # as the Senate form prints it
    names, again = readings if readings[0] else readings[::-1]  # the second reading where the first has none
    row.owner = decide_owner(_text(readings[0]), _text(readings[1]), flags)
    row.asset_name = strip_owner(_text(names))
    row.ticker = ticker_of(row.asset_name)
    row.subholding_of = holding[0] if holding else ""
    code_words = len(names) - len(row.asset_name.split()) if row.asset_name else len(names)  # judged as the owner
    unsure = [w for w in unconfirmed_words(names[code_words:]) if not _read_alike(w, again)]
    lookalike = next((w.text for w in names[code_words:] if NUMERAL_LOOKALIKE.match(w.text)), "")
    if not row.asset_name:
        flags.append(("unreadable:asset_name", "no asset name read"))
    elif unsure:
        flags.append(("low_confidence:asset_name", f"asset name read with confidence {min(w.conf for w in unsure):.0f} "
                      f"({', '.join(repr(w.text) for w in unsure[:3])}), not so by a second reading, and not the "
                      "words of any security name on file"))
    elif lookalike:
        flags.append(("low_confidence:asset_name", f"{lookalike!r} in the asset name may be the numeral II or III "
                      "(tesseract reads I and l alike): check the page"))
    row_words = sorted(words_in_cell(page.words, (0.0, page.width), top, bottom), key=lambda w: (w.line, w.x0))
    row.source_lines = [" ".join(w.text for w in row_words)]
    row.boxes = [page.page_box(columns.name[0], top, columns.amounts[-1][1], bottom), *mark_boxes]
    if holding:
        row.boxes.append(holding[1])  # where the holding's name is printed
    return row, flags


def read_filer(page: OcrPage, words: list[OcrWord], box: tuple[float, float], right: float) -> str:
    """The filer from tesseract's `words` of the name box (top, bottom), or, where they name no senator, from the
    second engine's reading of the box under its printed labels, left of `right` (a name written by hand, which
    tesseract reads as specks) when that names one."""
    if not known_senator([w.text for w in words if not LABELS.search(w.text)]):
        under_labels = max((w.bottom for w in words if LABELS.search(w.text)), default=box[0])
        read = read_cells(page, [(0.0, under_labels, right, box[1])])
        if read and (known := known_senator(read[0].text.split())):
            page.second_reading.append(read[0])  # where the name was read
            return known
    return filer_name(words)


def filer_name(words: list[OcrWord]) -> str:
    """The name written in the form's name box, without the box's printed labels: a senator's name as the table
    of senators spells it when the words name one (agent/formats/paper/senators.py, whatever tesseract's
    confidence); else as read confidently, "Last, First" turned round and a leading "Senator" dropped, as the eFD
    pages give names ("Thomas R. Carper")."""
    if known := known_senator([w.text for w in words if not LABELS.search(w.text)]):
        return known
    lines = [" ".join(w.text for w in line if w.conf >= LOW_CONFIDENCE and any(c.isalpha() for c in w.text))
             for line in ocr_lines(words)]
    lines = [LABELS.sub("", line).strip(" |_-—~[]()'") for line in lines]
    names = [name for name in (TITLE.sub("", " ".join(line.split())) for line in lines) if NAME.match(name)]
    name = max(names, key=len, default="")
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        name = f"{first} {last}".strip()
    return name.title() if name.isupper() else name
