"""The Senate's electronic PTR: the eFD page "Periodic Transaction Report", saved from the browser (HTML) or
printed to PDF. Both arrive as pages of words with boxes (agent/documents/html.py lays a saved page out as
a browser would), and one reader reads both.

How the page reads:
- A heading `Periodic Transaction Report for MM/DD/YYYY`, ` (Amendment N)` on amendments; the filer line
  (`The Honorable First M Last (Last, First)`); `Filed MM/DD/YYYY @ H:MM AM`; a summary
  `(N transactions total) 6 Self 0 Joint 0 Spouse 0 Dependent Child`.
- The table `# | Transaction Date | Owner | Ticker | Asset Name | Asset Type | Type | Amount | Comment`,
  its header repeated on each printed page; `#` counts down. Cells are left-aligned, so a column starts
  where its cells' first words line up (the headers are centred and cannot tell); each row is anchored
  on its line holding the `#` number and the date; the other cells' lines are centred on it, as browsers
  centre table cells, which is how lines between two anchors are shared between their rows.
- Under the asset name, a muted block of details: options (`Option Type`, `Strike price`, `Expires`),
  bonds (`Rate/Coupon`, `Matures`), non-public stock (`Company`, `Description`). An exchange may name two
  assets (`... (Exchanged)` then `... (Received)`) and two tickers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.documents.pdf import Document, PageText, Word
from agent.errors import InputError, ParseError
from agent.formats.base import Detection, ExpectedRows, PrintedForms, Reading, ReadOptions
from agent.formats.fields import normalize_ticker, parse_amount, parse_date
from agent.models import Box, Filing, Flag, Transaction

HEADING = re.compile(r"Periodic Transaction Report\s+for\s+(\d{1,2}/\d{1,2}/\d{4})(?:\s*\(Amendment\s+(\d+)\))?")
FILED = re.compile(r"Filed\s+(\d{1,2}/\d{1,2}/\d{4})\s*@\s*(\d{1,2})(?::(\d{2}))?\s*([AP]M)", re.IGNORECASE)
FILER = re.compile(r"^(?P<printed>(?P<name>[^()\n]+?)\s*\((?P<last>[^(),\n]+),\s*(?P<first>[^()\n]+)\))\s*$",
                   re.MULTILINE)
TITLES = re.compile(r"^(?:The\s+Honorable|Hon\.|Mr\.|Mrs\.|Ms\.|Dr\.|Senator)\s+", re.IGNORECASE)
SUMMARY = re.compile(r"\((\d+)\s+transactions?\s+total\)\s*(?:(\d+)\s+Self\s*)?(?:(\d+)\s+Joint\s*)?"
                     r"(?:(\d+)\s+Spouse\s*)?(?:(\d+)\s+Dependent\s+Child\b)?", re.IGNORECASE)
# The header's words in order; True where a word starts a column ("Asset Type" then "Type" is the type's).
HEADER_WORDS = (("#", True), ("Transaction", True), ("Date", False), ("Owner", True), ("Ticker", True),
                ("Asset", True), ("Name", False), ("Asset", True), ("Type", False), ("Type", True),
                ("Amount", True), ("Comment", True))
COLUMNS = ("number", "date", "owner", "ticker", "asset", "asset_type", "type", "amount", "comment")
_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")

OWNERS = {"self": "", "spouse": "SP", "joint": "JT", "child": "DC", "dependent child": "DC"}
OWNER_WORDS = {"": "Self", "SP": "Spouse", "JT": "Joint", "DC": "Child"}  # "Child" also stands in "Dependent Child"
TYPES = {"purchase": "P", "sale (full)": "S", "sale (partial)": "S (partial)", "exchange": "E"}
TYPE_WORDS = {"P": "Purchase", "S": "Sale (Full)", "S (partial)": "Sale (Partial)", "E": "Exchange"}
# eFD's asset types in the House's codes (agent/analysis/frame.py names them); the printed label is kept too.
ASSET_TYPES = {"stock": "ST", "stock option": "OP", "municipal security": "GS", "corporate bond": "CS",
               "other securities": "OT", "non-public stock": "PS"}
DETAIL_LABEL = re.compile(r"^(Option Type|Strike price|Expires|Rate/Coupon|Matures|Company|Description)\s*:",
                          re.IGNORECASE)
_DETAILS = {
    "option_type": re.compile(r"Option Type:\s*(\w+)", re.IGNORECASE),
    "option_strike": re.compile(r"Strike price:\s*\$?\s*([\d,]+(?:\.\d+)?)", re.IGNORECASE),
    "option_expiration": re.compile(r"Expires:\s*(\d{1,2}/\d{1,2}/\d{2,4})", re.IGNORECASE),
    "bond_rate": re.compile(r"Rate/Coupon:\s*(\.?\d[\d.]*\s*%?)", re.IGNORECASE),
    "bond_maturity": re.compile(r"Matures:\s*(\d{1,2}/\d{1,2}/\d{2,4})", re.IGNORECASE),
    "company": re.compile(r"Company:\s*(.*?)\s*(?=Description:|$)", re.IGNORECASE),
    "description": re.compile(r"Description:\s*(.*?)\s*$", re.IGNORECASE),
}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)  # eFD's report id
LINE_TOLERANCE = 2.5  # points: words whose tops differ less than this share a line
# The words a cell of these columns begins with: where a column's left edge may be.
FIRST_WORDS = {"owner": frozenset({"Self", "Spouse", "Joint", "Child", "Dependent"}),
               "asset_type": frozenset({"Stock", "Municipal", "Corporate", "Other", "Non-Public"}),
               "type": frozenset({"Purchase", "Sale", "Exchange"})}
MAX_CELL_LINES = 80  # lines between two rows' anchors (the 1,020 real reports have at most about 40)
BEAM = 24  # the best ways of cutting the gap above a row that are carried on to the next (bounds the work)
CELL_GAP = 8.0  # points: more than a space (3 in eFD's print) between two words of a line
HEADER_SPREAD = 12.0  # points above and below the header's main line that a wrapped header reaches
COLUMN_SLACK = 3.0


@dataclass(frozen=True)
class _Line:
    page: int
    top: float
    words: tuple[Word, ...]


def _lines(page: PageText) -> list[_Line]:
    ordered = sorted(page.words, key=lambda w: (w.top, w.x0))
    groups: list[list[Word]] = []
    for word in ordered:
        if groups and abs(groups[-1][0].top - word.top) < LINE_TOLERANCE:
            groups[-1].append(word)
        else:
            groups.append([word])
    return [_Line(page.number, group[0].top, tuple(sorted(group, key=lambda w: w.x0))) for group in groups]


def _header_cells(words: list[Word]) -> list[Word]:
    """Header words in reading order: cell by cell from the left (words whose extents overlap share a cell,
    as a wrapped header's lines do), top to bottom within a cell."""
    cells: list[list[Word]] = []
    for word in sorted(words, key=lambda w: w.x0):
        if cells and word.x0 < max(w.x1 for w in cells[-1]):
            cells[-1].append(word)
        else:
            cells.append([word])
    return [word for cell in cells for word in sorted(cell, key=lambda w: (w.top, w.x0))]


def _header_spans(lines: list[_Line]) -> tuple[float, list[tuple[float, float]]] | None:
    """Where the table header ends (the top of its lowest line), and each column header's extent (first
    word's x0, last word's x1), in COLUMNS order."""
    for line in lines:
        texts = [word.text for word in line.words]
        if "Owner" not in texts and "Ticker" not in texts:
            continue
        # The header wraps in narrow prints ("Transaction" over "Date", "Asset" over "Name"): the lines close
        # above and below are part of it.
        near = _header_cells([w for other in lines if other.page == line.page
                              and abs(other.top - line.top) <= HEADER_SPREAD for w in other.words])
        wanted, spans, lowest = list(HEADER_WORDS), [], line.top
        for word in near:
            if wanted and word.text == wanted[0][0]:
                if wanted[0][1]:
                    spans.append((word.x0, word.x1))
                else:
                    spans[-1] = (spans[-1][0], word.x1)
                lowest = max(lowest, word.top)
                wanted.pop(0)
        if not wanted:
            return lowest, spans
    return None


def _column_lefts(headers: list[tuple[float, float]], lines: Sequence[_Line], html: bool) -> list[float]:
    """Each column's left edge. A saved page is laid out with each header at its column's edge. A printed page
    centres its headers over left-aligned cells, so a column starts between the previous header's end and its
    own header's start, where most rows have a word starting (words inside a long cell line up only now and
    then; in a table of one or two rows, where a word follows a gap wider than a space; a column of known
    words (owners, asset types, types) only where one of them starts; a column nobody filled keeps its
    header's place)."""
    if html:
        return [start for start, _ in headers]
    aligned: dict[float, set[float]] = {}
    after_gap: set[float] = set()  # places where a word starts after more than a space: a cell's first word
    for line in lines:
        previous: Word | None = None
        for word in line.words:
            x = round(word.x0 * 2) / 2
            aligned.setdefault(x, set()).add(line.top)
            if previous is None or word.x0 - previous.x1 > CELL_GAP:
                after_gap.add(x)
            previous = word
    rows = sum(1 for line in lines if line.words and line.words[0].text.isdigit())
    enough = max(1, rows * 2 // 5)
    starting: dict[float, set[str]] = {}  # the words that stand at each place
    for line in lines:
        for word in line.words:
            starting.setdefault(round(word.x0 * 2) / 2, set()).add(word.text)
    lefts: list[float] = []
    for number, (start, _) in enumerate(headers):
        floor = headers[number - 1][1] if number else float("-inf")
        candidates = [x for x, tops in aligned.items() if floor < x <= start + COLUMN_SLACK and len(tops) >= enough]
        vocabulary = FIRST_WORDS.get(COLUMNS[number])
        if vocabulary is not None:  # a column of known words starts where one of them does
            candidates = [x for x in candidates if starting[x] & vocabulary]
        # most lines first; on a tie (a short table) a cell's first word, then the leftmost
        lefts.append(min(candidates, key=lambda x: (-len(aligned[x]), x not in after_gap, x)) if candidates
                     else start)
    return lefts


def _column_of(x: float, lefts: list[float]) -> int:
    column = 0
    for index, left in enumerate(lefts):
        if x >= left - COLUMN_SLACK:
            column = index
    return column


CellLine = tuple[float, str, list[Word]]  # a line of one cell: its top, its text, its words
EMPTY_CELL_COST = 2 * LINE_TOLERANCE * 10  # every eFD cell prints something ("--" at least): an empty one is unlikely


@dataclass
class _Row:
    """One table row: its anchor line, and each column's lines."""

    anchor: _Line
    cells: list[list[CellLine]]


def _is_anchor(line: _Line, lefts: list[float]) -> bool:
    first = [w for w in line.words if _column_of(w.x0, lefts) == 0]
    dates = [w for w in line.words if _column_of(w.x0, lefts) == 1]
    return bool(first) and first[0].text.isdigit() and bool(dates) and bool(_DATE.match(dates[0].text))


def _block_cost(first: float | None, last: float | None, anchor: float) -> float:
    """How far a cell's lines (the tops of its first and last) are from being centred on its row's anchor line."""
    if first is None or last is None:
        return EMPTY_CELL_COST
    return abs((first + last) / 2 - anchor)


def _ends(above: list[CellLine], start: int, own: list[CellLine], below: list[CellLine],
          cut: int) -> tuple[float | None, float | None]:
    """The tops of the first and last lines of the cell above[start:] + own + below[:cut], without building it."""
    block = [part for part in (above[start:start + 1], own[:1], below[:1] if cut else []) if part]
    first = block[0][0][0] if block else None
    tail = [part for part in (below[cut - 1:cut] if cut else [], own[-1:], above[-1:] if start < len(above) else [])
            if part]
    last = tail[0][0][0] if tail else None
    return first, last


def _share_column(anchors: list[float], on_anchor: list[list[CellLine]], gaps: list[list[CellLine]],
                  continued: bool) -> tuple[list[CellLine], list[list[CellLine]]]:
    """One column's lines shared out between the rows: each cell centred on its anchor as well as can be.

    gaps[0] lies above the first anchor (all the first row's), gaps[i] between anchors i-1 and i, and the last
    gap below the last anchor (all the last row's). A cut in each gap between two anchors gives the part above
    it to the upper row; the cuts are chosen together (dynamic programming) so that the sum of the cells'
    distances from centred is least. On a page that `continued` a table, the lines above the first row that
    do not centre on it are the end of the previous page's last row (a row split by the page break): they
    come back first; and the page's last row may be such a row, whose cells start on its anchor line rather than
    centre on it. A cell's cost needs only its first and last line, so each choice costs O(1); the cells of
    an eFD report are a few lines, and a gap longer than MAX_CELL_LINES is refused by the reader."""
    rows = len(anchors)
    # previous[k]: the least cost of the rows so far, given the cut k in the gap above the current row
    # The first row takes the gap above it from a cut: at its start, unless the page continues a row.
    previous = {start: 0.0 for start in (range(len(gaps[0]) + 1) if continued else [0])}
    choices: list[dict[int, int]] = []
    for index in range(rows):
        above, below, own = gaps[index], gaps[index + 1], on_anchor[index]
        cuts = range(len(below) + 1) if index < rows - 1 else [len(below)]
        current: dict[int, float] = {}
        chosen: dict[int, int] = {}
        for cut in cuts:
            for start, cost in previous.items():
                first, last = _ends(above, start, own, below, cut)
                centred = _block_cost(first, last, anchors[index])
                if index == rows - 1 and first is not None:  # a row a page break splits is top-aligned
                    centred = min(centred, abs(first - anchors[index]))
                total = cost + centred
                if cut not in current or total < current[cut]:
                    current[cut], chosen[cut] = total, start
        choices.append(chosen)
        previous = dict(sorted(current.items(), key=lambda item: item[1])[:BEAM])
    cut = min(previous, key=lambda k: previous[k])
    cells: list[list[CellLine]] = [[] for _ in range(rows)]
    for index in range(rows - 1, -1, -1):
        start = choices[index][cut]
        cells[index] = gaps[index][start:] + on_anchor[index] + gaps[index + 1][:cut]
        cut = start
    return gaps[0][:cut], cells


def _page_rows(body: list[_Line], lefts: list[float], previous: _Row | None, source: str) -> list[_Row]:
    """The rows anchored on this page; lines that end `previous` (the last row before the page) go to it."""
    anchors = [line for line in body if _is_anchor(line, lefts)]
    if not anchors:
        return []
    places = [index for index, line in enumerate(body) if line in anchors]
    longest = max(later - earlier for earlier, later in zip([-1, *places], [*places, len(body)], strict=True)) - 1
    if longest > MAX_CELL_LINES:
        raise InputError(source, f"its transactions table has {longest:,} lines between two rows; an eFD report's rows "
                         f"hold a few (at most {MAX_CELL_LINES} are read): not a report TradeTrace reads")
    rows = [_Row(anchor, [[] for _ in COLUMNS]) for anchor in anchors]
    for column in range(len(COLUMNS)):
        gaps: list[list[CellLine]] = [[] for _ in range(len(anchors) + 1)]
        on_anchor: list[list[CellLine]] = [[] for _ in anchors]
        gap = 0
        for line in body:
            words = [word for word in line.words if _column_of(word.x0, lefts) == column]
            is_anchor = gap < len(anchors) and line is anchors[gap]
            if words:
                item = (line.top, " ".join(word.text for word in words), words)
                (on_anchor[gap] if is_anchor else gaps[gap]).append(item)
            if is_anchor:
                gap += 1
        carried, cells = _share_column([a.top for a in anchors], on_anchor, gaps, previous is not None)
        if previous is not None:
            previous.cells[column].extend(carried)
        for row, cell in zip(rows, cells, strict=True):
            row.cells[column] = cell
    return rows


def _table_rows(document: Document) -> tuple[list[_Row], list[str]]:
    """Every table row of the report, across pages (the header repeats on each), with each column's lines;
    and the problems found."""
    rows: list[_Row] = []
    problems: list[str] = []
    lefts: list[float] | None = None
    for page in document.pages:
        lines = _lines(page)
        found = _header_spans(lines)
        body = lines
        if found is not None:
            header_end, headers = found
            body = [line for line in lines if line.top > header_end + LINE_TOLERANCE]
            lefts = _column_lefts(headers, body, document.kind == "html")
        if lefts is None:
            continue
        page_rows = _page_rows(body, lefts, rows[-1] if rows else None, document.source)
        if not page_rows and rows:  # the page holds only the end of the row the page before began
            for line in body:
                for column in range(len(COLUMNS)):
                    words = [word for word in line.words if _column_of(word.x0, lefts) == column]
                    if words:
                        rows[-1].cells[column].append((line.top, " ".join(word.text for word in words), words))
        elif not page_rows and body and found is not None:
            problems.append(f"page {page.number}: a transactions table without a row number and date")
        rows.extend(page_rows)
    return rows, problems


def _text(row: _Row, column: str) -> str:
    return " ".join(text for _, text, _ in row.cells[COLUMNS.index(column)]).strip()


def _lines_of(row: _Row, column: str) -> list[str]:
    return [text for _, text, _ in row.cells[COLUMNS.index(column)]]


def _none_if_dashes(text: str) -> str:
    return "" if text.strip() in ("--", "-", "") else " ".join(text.split())


def _iso(text: str, row: Transaction, field: str) -> str:
    try:
        return parse_date(text).isoformat()
    except ParseError as exc:
        row.flags.append(Flag(f"unreadable:{field}", f"row {row.row_number}: {exc}", row.row_number))
        return ""


def _assets(lines: list[str]) -> tuple[str, str, str]:
    """The asset name, the received asset's name (exchanges naming two), and the details block's text."""
    name_lines: list[str] = []
    detail_lines: list[str] = []
    for line in lines:
        if detail_lines or DETAIL_LABEL.match(line):
            detail_lines.append(line)
        else:
            name_lines.append(line)
    name = " ".join(name_lines)
    received = ""
    marker = re.search(r"\(Exchanged\)", name, re.IGNORECASE)
    if marker and name[marker.end():].strip():
        name, received = name[:marker.end()].strip(), name[marker.end():].strip()
    return name, received, " ".join(detail_lines)


def _add_details(row: Transaction, details: str) -> None:
    found = {name: pattern.search(details) for name, pattern in _DETAILS.items()}
    if match := found["option_type"]:
        row.option_type = match.group(1).lower()
    if match := found["option_strike"]:
        row.option_strike = float(match.group(1).replace(",", ""))
    if match := found["option_expiration"]:
        row.option_expiration = _iso(match.group(1), row, "option_expiration")
    if match := found["bond_rate"]:
        row.bond_rate = match.group(1).strip()  # as printed ("5.25%", "3.00 %", "5")
    if match := found["bond_maturity"]:
        row.bond_maturity = _iso(match.group(1), row, "bond_maturity")
    if match := found["company"]:
        row.company = match.group(1)
    if match := found["description"]:
        row.description = match.group(1)


def _boxes(row: _Row) -> list[Box]:
    boxes = []
    for cell in row.cells:
        words = [word for _, _, ws in cell for word in ws]
        if words:
            boxes.append(Box(row.anchor.page, min(w.x0 for w in words), min(w.top for w in words),
                             max(w.x1 for w in words), max(w.bottom for w in words)))
    return boxes


def _asset_type_code(label: str) -> str:
    """eFD's asset type label in the House's codes; a label eFD does not print is other (OT); blank is blank."""
    return ASSET_TYPES.get(label.lower(), "OT") if label else ""


def build_transaction(table_row: _Row, position: int) -> Transaction:
    row = Transaction(row_number=position, page=table_row.anchor.page, extracted_by="parser")
    row.row_id = _text(table_row, "number")
    row.transaction_date = _iso(_text(table_row, "date"), row, "transaction_date")
    owner = _text(table_row, "owner")
    if owner.lower() in OWNERS:
        row.owner = OWNERS[owner.lower()]
    else:
        row.flags.append(Flag("unreadable:owner", f"row {position}: owner {owner!r} is not Self, Spouse, Joint or "
                              "Child", position))
    # One ticker a line; "--" where an asset has none (an exchange may print "--" then the received one's).
    tickers = [normalize_ticker(word) if word not in ("--", "-") else ""
               for line in _lines_of(table_row, "ticker") for word in line.split()]
    row.ticker = tickers[0] if tickers else ""
    row.received_ticker = tickers[1] if len(tickers) > 1 else ""
    name, received, details = _assets(_lines_of(table_row, "asset"))
    row.asset_name, row.received_asset_name = name, received
    _add_details(row, details)
    label = " ".join(_text(table_row, "asset_type").split())
    row.asset_type_label = label
    row.asset_type = _asset_type_code(label)
    if label and label.lower() not in ASSET_TYPES:
        row.flags.append(Flag("unknown_asset_type", f"row {position}: asset type {label!r} is not one eFD prints; "
                              "counted as other (OT)", position))
    kind = " ".join(_text(table_row, "type").split())
    row.transaction_type = TYPES.get(kind.lower(), "")
    if not row.transaction_type:
        row.flags.append(Flag("unreadable:transaction_type", f"row {position}: type {kind!r}", position))
    amount_text = " ".join(_text(table_row, "amount").split())
    try:
        amount = parse_amount(amount_text)
        row.amount = amount.label
        row.amount_min = float(amount.minimum)
        row.amount_max = None if amount.maximum is None else float(amount.maximum)
    except ParseError as exc:
        row.amount = amount_text
        row.flags.append(Flag("unreadable:amount", f"row {position}: {exc}", position))
    row.comments = _none_if_dashes(_text(table_row, "comment"))
    row.boxes = _boxes(table_row)
    row.source_lines = [" | ".join(" ".join(_lines_of(table_row, column)) for column in COLUMNS)]
    return row


def _clock(hour: str, minute: str | None, half: str) -> str:
    """"4 PM" -> "16:00", "11:15 AM" -> "11:15"."""
    value = int(hour) % 12 + (12 if half.upper() == "PM" else 0)
    return f"{value:02d}:{minute or '00'}"


def clean_name(printed: str) -> str:
    """"The Honorable Patrick J Toomey (Toomey, Pat)" -> "Patrick J Toomey"."""
    match = FILER.search(printed)
    name = match.group("name") if match else printed
    return " ".join(TITLES.sub("", name.strip()).split())


def read_report_fields(document: Document, filing: Filing) -> None:
    text = "\n".join(page.text for page in document.pages)
    flat = " ".join(text.split())
    if heading := HEADING.search(flat):
        filing.report_date = _filing_date(heading.group(1), filing, "report_date")
        filing.amendment_number = int(heading.group(2) or 0)
        filing.amendment = filing.amendment_number > 0
    head = text[:text.find("Filed")] if "Filed" in text else text
    if filer := FILER.search(head):
        filing.filer_printed = " ".join(filer.group("printed").split())
        filing.filer_name = clean_name(filing.filer_printed)
    if filed := FILED.search(flat):
        filing.filed_date = _filing_date(filed.group(1), filing, "filed_date")
        filing.filed_time = _clock(filed.group(2), filed.group(3), filed.group(4))
        filing.signed_date = filing.filed_date


def _filing_date(text: str, filing: Filing, field: str) -> str:
    try:
        return parse_date(text).isoformat()
    except ParseError as exc:
        filing.flags.append(Flag(f"unreadable:{field}", str(exc)))
        return ""


def printed_summary(document: Document) -> tuple[int | None, dict[str, int]]:
    """The summary's total and per-owner counts ("(6 transactions total) 6 Self 0 Joint 0 Spouse 0 Dependent
    Child", in that order, as eFD prints them)."""
    flat = " ".join(" ".join(page.text for page in document.pages).split())
    found = SUMMARY.search(flat)
    if found is None:
        return None, {}
    owners = {code: int(count) for code, count in zip(("", "JT", "SP", "DC"), found.groups()[1:], strict=True)
              if count is not None}
    return int(found.group(1)), owners


def stable_id(filing: Filing) -> str:
    """A report's id when its file name holds no eFD UUID: the same report saved twice gets the same id."""
    basis = "|".join((filing.filer_name.lower(), filing.report_date, filing.filed_date, filing.filed_time,
                      str(filing.amendment_number)))
    return "efd-" + hashlib.sha256(basis.encode()).hexdigest()[:16]


def parse_report(document: Document) -> Filing:
    """Read an eFD Periodic Transaction Report. Never drops a row it found: unreadable values are flagged."""
    filing = Filing(document.source, document.sha256, len(document.pages), layout="senate_efd", chamber="senate")
    read_report_fields(document, filing)
    table_rows, problems = _table_rows(document)
    filing.transactions = [build_transaction(row, position) for position, row in enumerate(table_rows, start=1)]
    filing.flags.extend(Flag("table_lines_outside_rows", problem) for problem in problems)
    uuid = _UUID.search(document.source)
    filing.filing_id = uuid.group(0).lower() if uuid else stable_id(filing)
    return filing


@dataclass(frozen=True)
class SenateEfd:
    """The Senate's electronic PTR (eFD), saved from the browser or printed to PDF."""

    name: str = "senate_efd"
    label: str = "Senate PTR (eFD)"
    reads_images: bool = False

    def detect(self, document: Document) -> Detection:
        text = " ".join(" ".join(page.text for page in document.pages[:2]).split())
        heading = HEADING.search(text)
        what = "a saved eFD page" if document.kind == "html" else "an eFD page printed to PDF"
        if heading is None:
            return Detection(self.name, False, ('no heading "Periodic Transaction Report for MM/DD/YYYY"',))
        lines = [line for page in document.pages[:2] for line in _lines(page)]
        if _header_spans(lines) is None:
            return Detection(self.name, False, (f"{what} with the heading {heading.group(0)!r} but no transactions "
                                                "table (# | Transaction Date | Owner | Ticker | ...)",))
        return Detection(self.name, True, (f"{what}: the heading {heading.group(0)!r} and the transactions table's "
                                           "header (# | Transaction Date | Owner | Ticker | Asset Name | ...)",))

    def read(self, document: Document, data: bytes, options: ReadOptions) -> Reading:
        return Reading(parse_report(document))

    def expected_rows(self, document: Document) -> ExpectedRows | None:
        total, _ = printed_summary(document)
        return None if total is None else ExpectedRows(total, "transaction(s) in the report's summary")

    def printed_forms(self, row: Transaction) -> PrintedForms:
        """eFD prints owners and types in words ("Spouse", "Sale (Partial)"), tickers bare, asset types by label."""
        return {"owner": (OWNER_WORDS.get(row.owner, ""), False),
                "transaction_type": (TYPE_WORDS.get(row.transaction_type, ""), False),
                "ticker": (row.ticker, True), "received_ticker": (row.received_ticker, True),
                # the code is grounded by the printed label it stands for; a code the label does not give is not
                "asset_type": (row.asset_type_label if _asset_type_code(row.asset_type_label) == row.asset_type
                               else f"[{row.asset_type}]", False)}


FORMAT = SenateEfd()
