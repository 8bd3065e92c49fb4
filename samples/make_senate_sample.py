"""Make the sample Senate Periodic Transaction Report shipped with TradeTrace.

One eFD report of the fictional filer, twice: as the web page a browser saves (sample_efd_2024.html) and as
that page printed to PDF (sample_efd_2024.pdf); and expected_senate.json with every value put into them, so
tests can hold the reader to it. REPORT and ROWS below are the single source of truth for all three.

The page has the visible structure and wording of an eFD "Print Periodic Transaction Report" page (see
../shared/senate/README.md) but is our own small template: no scripts, no style sheets, no external links.
The PDF draws what Chromium prints for such a page without a style sheet, as in the real printed reports
(../shared/senate/efd_print): Times 12 pt text lines, the table laid out with the browser's automatic column
widths, bold headers centred over their columns, cells left-aligned and centred vertically in their row, long
cells wrapped at spaces, and a row that does not fit on a page moved whole to the next one, under the
repeated table header.

Output is byte-identical on every run (reportlab invariant mode, fixed metadata, no compression), so
regenerating causes no diff:

    python samples/make_senate_sample.py [OUTPUT_DIR]    # default: samples/
"""

from __future__ import annotations

import html
import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

SAMPLES_DIR = Path(__file__).resolve().parent
HTML_FILE, PDF_FILE, EXPECTED_FILE = "sample_efd_2024.html", "sample_efd_2024.pdf", "expected_senate.json"

# --- The data -------------------------------------------------------------------------------------

FILER_PRINTED = "The Honorable Jane Q Public (Public, Jane)"
FILER_NAME = "Jane Q Public"
REPORT_DATE = date(2024, 6, 12)
FILED_DATE, FILED_HOUR, FILED_MINUTE = date(2024, 6, 14), 9, 41  # "Filed 06/14/2024 @ 9:41 AM"

OWNER_LABELS = {"": "Self", "SP": "Spouse", "JT": "Joint", "DC": "Child"}
TYPE_LABELS = {"P": "Purchase", "S": "Sale (Full)", "S (partial)": "Sale (Partial)", "E": "Exchange"}
ASSET_TYPE_CODES = {"Stock": "ST", "Stock Option": "OP", "Municipal Security": "GS", "Corporate Bond": "CS",
                    "Other Securities": "OT", "Non-Public Stock": "PS"}
AMOUNT_BOUNDS = {"$1,001 - $15,000": (1001, 15000), "$15,001 - $50,000": (15001, 50000),
                 "$50,001 - $100,000": (50001, 100000), "$100,001 - $250,000": (100001, 250000),
                 "$250,001 - $500,000": (250001, 500000), "$500,001 - $1,000,000": (500001, 1000000)}


@dataclass(frozen=True)
class Option:
    kind: str  # call / put
    strike: float
    expires: date


@dataclass(frozen=True)
class Bond:
    rate: str  # as printed: "4.00%"
    matures: date


@dataclass(frozen=True)
class Holding:
    """Non-public stock: the company (eFD adds its city and state) and a description."""

    company: str
    place: str
    description: str


@dataclass(frozen=True)
class Row:
    """One transaction as the page prints it; owner and type are the reader's codes (owner '' is the senator)."""

    number: int
    transaction_date: date
    owner: str
    ticker: str  # "" prints as "--"
    asset_name: str  # as printed: an exchange's given-up asset ends in "(Exchanged)"
    asset_type_label: str
    transaction_type: str
    amount: str
    comments: str = ""  # "" prints as "--"
    received_ticker: str = ""
    received_asset_name: str = ""  # as printed, ending in "(Received)"
    details: Option | Bond | Holding | None = None


ROWS = (  # as printed, top to bottom: eFD's # counts down
    Row(12, date(2024, 5, 30), "SP", "NVDA", "NVIDIA Corporation", "Stock Option", "P", "$15,001 - $50,000",
        details=Option("call", 150.0, date(2026, 1, 16))),
    Row(11, date(2024, 5, 28), "JT", "", "City of Springfield IL General Obligation Bonds", "Municipal Security",
        "P", "$50,001 - $100,000", details=Bond("4.00%", date(2033, 12, 1))),
    Row(10, date(2024, 5, 24), "", "MSFT", "Microsoft Corporation", "Stock", "S (partial)", "$50,001 - $100,000",
        comments="Sold to rebalance the account."),
    Row(9, date(2024, 5, 3), "JT", "PXD", "Pioneer Natural Resources Company (Exchanged)", "Stock", "E",
        "$100,001 - $250,000", comments="Received in the merger.", received_ticker="XOM",
        received_asset_name="Exxon Mobil Corporation (Received)"),
    Row(8, date(2024, 5, 1), "", "", "Maple Ridge Capital Partners III, LP", "Non-Public Stock", "P",
        "$250,001 - $500,000",
        details=Holding("Maple Ridge Capital Partners", "Springfield, IL", "Private equity fund")),
    Row(7, date(2024, 4, 29), "SP", "GOOGL", "Alphabet Inc. - Class A Common Stock", "Stock", "S",
        "$100,001 - $250,000"),
    Row(6, date(2024, 4, 25), "JT", "", "Apple Inc. Senior Notes", "Corporate Bond", "P", "$15,001 - $50,000",
        details=Bond("3.25%", date(2026, 2, 23))),
    Row(5, date(2024, 4, 22), "DC", "AAPL", "Apple Inc.", "Stock", "P", "$1,001 - $15,000",
        comments="UTMA custodial account."),
    Row(4, date(2024, 4, 18), "JT", "SPY", "SPDR S&P 500 ETF Trust", "Other Securities", "P",
        "$250,001 - $500,000"),
    Row(3, date(2024, 4, 16), "", "TSLA", "Tesla, Inc.", "Stock Option", "S", "$1,001 - $15,000",
        details=Option("put", 170.0, date(2024, 6, 21))),
    Row(2, date(2024, 4, 10), "SP", "AMZN", "Amazon.com, Inc.", "Stock", "S (partial)", "$500,001 - $1,000,000"),
    Row(1, date(2024, 4, 8), "DC", "DIS", "The Walt Disney Company", "Stock", "S", "$1,001 - $15,000"),
)
NBSP = "\u00a0"  # eFD glues a company's place to its name with a no-break space


def us_date(value: date) -> str:
    return value.strftime("%m/%d/%Y")


def filed_line() -> str:
    hour = FILED_HOUR % 12 or 12
    return f"Filed {us_date(FILED_DATE)} @ {hour}:{FILED_MINUTE:02d} {'AM' if FILED_HOUR < 12 else 'PM'}"


def summary_items() -> list[str]:
    """The summary's items in eFD's order: the total, then Self, Joint, Spouse, Dependent Child."""
    counts = {code: sum(row.owner == code for row in ROWS) for code in ("", "JT", "SP", "DC")}
    return [f"({len(ROWS)} transactions total)", f"{counts['']} Self", f"{counts['JT']} Joint",
            f"{counts['SP']} Spouse", f"{counts['DC']} Dependent Child"]


# A line of text: runs of (text, emphasised?), as <em> marks them.
Runs = list[tuple[str, bool]]

CERTIFICATIONS: tuple[Runs, Runs] = (
    [("I certify that the statements I have made on this form are true, complete and correct to the best of my "
      "knowledge and belief.", False)],
    [("I understand that reports cannot be edited once filed. To make corrections, I will submit an", False),
     ("electronic", True), ("amendment to this report.", False)],
)
HEADERS = ("#", "Transaction Date", "Owner", "Ticker", "Asset Name", "Asset Type", "Type", "Amount", "Comment")


def detail_lines(row: Row) -> list[Runs]:
    """The muted block under the asset name, in eFD's wording."""
    details = row.details
    if isinstance(details, Option):
        return [[(f"Option Type: {details.kind.capitalize()}", False)],
                [("Strike price:", True), (f"${details.strike:,.2f}", False)],
                [("Expires:", True), (us_date(details.expires), False)]]
    if isinstance(details, Bond):
        return [[("Rate/Coupon:", True), (details.rate, False)],
                [("Matures:", True), (us_date(details.matures), False)]]
    if isinstance(details, Holding):
        return [[("Company:", True), (f"{details.company}{NBSP}({details.place})", False)],
                [("Description:", True), (details.description, False)]]
    return []


def cells(row: Row) -> list[list[Runs]]:
    """The row's nine cells, each as its lines (the asset name's lines, then its details)."""
    tickers = [[(row.ticker or "--", False)]] + ([[(row.received_ticker, False)]] if row.received_ticker else [])
    names = [[(row.asset_name, False)]] + ([[(row.received_asset_name, False)]] if row.received_asset_name else [])
    plain = [str(row.number), us_date(row.transaction_date), OWNER_LABELS[row.owner]]
    after = [row.asset_type_label, TYPE_LABELS[row.transaction_type], row.amount, row.comments or "--"]
    return [[[(text, False)]] for text in plain] + [tickers, names + detail_lines(row)] + [
        [[(text, False)]] for text in after]


def expected_row(row: Row) -> dict[str, object]:
    """Every value the reader should read from the row."""
    low, high = AMOUNT_BOUNDS[row.amount]
    option = row.details if isinstance(row.details, Option) else None
    bond = row.details if isinstance(row.details, Bond) else None
    holding = row.details if isinstance(row.details, Holding) else None
    return {
        "row_id": str(row.number), "transaction_date": row.transaction_date.isoformat(), "owner": row.owner,
        "ticker": row.ticker, "asset_name": row.asset_name, "received_ticker": row.received_ticker,
        "received_asset_name": row.received_asset_name, "asset_type_label": row.asset_type_label,
        "asset_type": ASSET_TYPE_CODES[row.asset_type_label], "transaction_type": row.transaction_type,
        "amount": row.amount, "amount_min": low, "amount_max": high, "comments": row.comments,
        "option_type": option.kind if option else "", "option_strike": option.strike if option else None,
        "option_expiration": option.expires.isoformat() if option else "",
        "bond_rate": bond.rate if bond else "", "bond_maturity": bond.matures.isoformat() if bond else "",
        "company": f"{holding.company} ({holding.place})" if holding else "",
        "description": holding.description if holding else "",
    }


# --- The saved page --------------------------------------------------------------------------------


def runs_html(runs: Runs) -> str:
    return " ".join(f"<em>{html.escape(text)}</em>" if emphasised else html.escape(text).replace(NBSP, "&nbsp;")
                    for text, emphasised in runs)


def cell_html(row: Row, column: int, lines: list[Runs]) -> str:
    """A cell's lines broken by <br>; the asset name's details in muted blocks, as eFD marks them up."""
    details = detail_lines(row) if HEADERS[column] == "Asset Name" else []
    text = "<br>".join(runs_html(line) for line in lines[:len(lines) - len(details)])
    if isinstance(row.details, Holding):  # eFD prints Company and Description as two blocks
        return text + "".join(f'<div class="text-muted">{runs_html(line)}</div>' for line in details)
    if details:
        return text + '<div class="text-muted">' + "<br>".join(runs_html(line) for line in details) + "</div>"
    return text


def row_html(row: Row) -> str:
    tds = "".join(f"\n    <td>{cell_html(row, column, lines)}</td>" for column, lines in enumerate(cells(row)))
    return f"<tr>{tds}\n</tr>"


def page_html() -> str:
    head_cells = "".join(f"\n    <th scope=\"col\">{html.escape(header)}</th>" for header in HEADERS)
    items = "\n".join(f"<li>{html.escape(item)}</li>" for item in summary_items())
    rows = "\n".join(row_html(row) for row in ROWS)
    certifications = "\n".join(f'<label><input type="checkbox" disabled checked> {runs_html(runs)}</label>'
                               for runs in CERTIFICATIONS)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>eFD: Print Periodic Transaction Report</title>
</head>
<body>
<!-- A fictional report: the sample eFD page of TradeTrace, made by samples/make_senate_sample.py -->
<nav><a href="#content">Skip to main content</a></nav>
<main id="content">
<strong>Return to the search tab to select another report.</strong>
<h1>Periodic Transaction Report for {us_date(REPORT_DATE)}</h1>
<h2>{html.escape(FILER_PRINTED)}</h2>
<p><strong>{filed_line()}</strong></p>
<hr>
<p>The following statements were checked before filing:</p>
<div>
{certifications}
</div>
<section>
<h3>Transactions</h3>
<ul>
{items}
</ul>
<table>
<caption>List of transactions added to this report</caption>
<thead>
<tr>{head_cells}
</tr>
</thead>
<tbody>
{rows}
</tbody>
</table>
</section>
</main>
</body>
</html>
"""


# --- The printed page: the layout, in points from the top-left corner (as PDFium reports it) -------

PAGE_HEIGHT = letter[1]
REGULAR, BOLD, ITALIC = "Times-Roman", "Times-Bold", "Times-Italic"
SIZE, LINE = 12.0, 13.5  # the page's 16 px text and its line height, in points
ASCENT = 0.891  # of the font size: a line's top to its baseline
SPACE: float = stringWidth(" ", REGULAR, SIZE)
LINK_BLUE = HexColor("#0000ee")
LEFT, RIGHT = 33.8, 578.2  # the body's content box on a Letter page with Chromium's default margins
PAGE_BOTTOM = 764.4  # a table row must end above this, or it moves to the next page
# Tops of the text lines, measured on printed eFD reports (e.g. 42c3e250-...) and moved up by what this page
# leaves out (eFD's logo, its "Print Report" button).
SKIP_TOP, RETURN_TOP, HEADING_TOP, FILER_TOP, FILED_TOP, RULE_TOP = 33.6, 47.1, 76.9, 120.5, 155.8, 181.2
STATEMENTS_TOP, CERTIFY_TOP, TRANSACTIONS_TOP, SUMMARY_TOP, CAPTION_TOP = 194.8, 220.3, 278.5, 308.1, 387.6
LIST_INDENT, BULLET_X, BULLET_RADIUS = 30.0, 55.5, 2.0
CHECKBOX, CHECKBOX_MARGINS = 9.75, (3.0, 2.25)  # a 13 px box with the browser's 4 px / 3 px side margins
CHECKBOX_LINE_EXTRA = 1.5  # a line holding a checkbox is this much taller, above the text
TABLE_TOP, LATER_TABLE_TOP = 401.05, 26.05  # the table's top on page 1 (under the caption) and on later pages
SPACING, PADDING = 1.5, 0.75  # the table's 2 px border spacing and its cells' 1 px padding

Word = tuple[str, str]  # text, font
CHECKBOX_MARK = "checkbox"  # the font of a "word" that is a checkbox, which the line flows around like a word
Cell = list[list[Word]]  # a cell's lines


def words_of(runs: Runs, font: str = REGULAR) -> list[Word]:
    """The words a line breaks between: a no-break space joins its neighbours into one."""
    return [(text, ITALIC if emphasised else font) for part, emphasised in runs for text in part.split(" ") if text]


def word_width(word: Word) -> float:
    text, font = word
    return CHECKBOX_MARGINS[0] + CHECKBOX + CHECKBOX_MARGINS[1] if font == CHECKBOX_MARK else float(
        stringWidth(text, font, SIZE))


def width_of(words: list[Word]) -> float:
    return sum(word_width(word) for word in words) + SPACE * max(len(words) - 1, 0)


def wrap(words: list[Word], width: float) -> list[list[Word]]:
    """Break at spaces, as a browser does: as many words on a line as fit (at least one)."""
    lines: list[list[Word]] = []
    for word in words:
        if lines and width_of([*lines[-1], word]) <= width + 0.01:
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines


@dataclass
class Table:
    """The table laid out: each column's content width, and every cell's wrapped lines."""

    widths: list[float]
    header: list[Cell]
    rows: list[list[Cell]]

    @classmethod
    def lay_out(cls, header: list[list[Word]], rows: list[list[Cell]]) -> Table:
        """The browser's automatic table layout: each column wants its widest line and needs its widest word;
        when the lines do not all fit, each column gets what it needs plus a share of the room left in
        proportion to what it wants beyond that."""
        columns = range(len(header))
        lines = [[header[column]] + [line for row in rows for line in row[column]] for column in columns]
        needed = [max(word_width(word) for line in column for word in line) for column in lines]
        wanted = [max(width_of(line) for line in column) for column in lines]
        room = RIGHT - LEFT - SPACING * (len(header) + 1) - 2 * PADDING * len(header)
        if sum(wanted) <= room:
            widths = wanted
        else:
            share = (room - sum(needed)) / (sum(wanted) - sum(needed))
            widths = [need + share * (want - need) for need, want in zip(needed, wanted)]
        return cls(widths, [wrap(header[column], widths[column]) for column in columns],
                   [[[piece for line in row[column] for piece in wrap(line, widths[column])] for column in columns]
                    for row in rows])

    def lefts(self) -> list[float]:
        """Each column's content left edge."""
        x, lefts = LEFT + SPACING + PADDING, []
        for width in self.widths:
            lefts.append(x)
            x += width + 2 * PADDING + SPACING
        return lefts

    @property
    def width(self) -> float:
        return sum(self.widths) + 2 * PADDING * len(self.widths) + SPACING * (len(self.widths) + 1)


def row_height(row: list[Cell]) -> float:
    return max(len(cell) for cell in row) * LINE + 2 * PADDING


class PrintWriter:
    """Draws the printed page onto a canvas, page by page, keeping the running position."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.page = 1
        self.row_pages: list[int] = []

    # Primitive drawing, with tops measured from the page top.

    def words(self, x: float, top: float, words: list[Word], color: Color = black, underline: bool = False) -> float:
        """Draw a line of words from x, their line box's top at `top`; returns the x where it ends."""
        baseline = PAGE_HEIGHT - (top + ASCENT * SIZE)
        start = x
        for index, (text, font) in enumerate(words):
            if index:
                x += SPACE
            if font == CHECKBOX_MARK:
                self.checkbox(x + CHECKBOX_MARGINS[0], top + 1.0)
            else:
                self.canvas.setFillColor(color)
                self.canvas.setFont(font, SIZE)
                self.canvas.drawString(x, baseline, text)
            x += word_width((text, font))
        if underline:
            self.canvas.setStrokeColor(color)
            self.canvas.setLineWidth(0.75)
            self.canvas.line(start, baseline - 1.5, x, baseline - 1.5)
        return x

    def big_line(self, top: float, text: str, size: float) -> None:
        self.canvas.setFillColor(black)
        self.canvas.setFont(BOLD, size)
        self.canvas.drawString(LEFT, PAGE_HEIGHT - (top + ASCENT * size), text)

    def checkbox(self, x: float, top: float) -> None:
        """A disabled, ticked checkbox as Chromium prints it: a pale grey box with a white tick."""
        bottom = PAGE_HEIGHT - (top + CHECKBOX)
        self.canvas.setFillColor(HexColor("#c8c8c8"))
        self.canvas.roundRect(x, bottom, CHECKBOX, CHECKBOX, 1.5, stroke=0, fill=1)
        self.canvas.setStrokeColor(white)
        self.canvas.setLineWidth(1.3)
        path = self.canvas.beginPath()
        path.moveTo(x + 2.2, bottom + 5.0)
        path.lineTo(x + 4.1, bottom + 3.0)
        path.lineTo(x + 7.6, bottom + 7.0)
        self.canvas.drawPath(path, stroke=1, fill=0)

    # The text above the table.

    def certification(self) -> None:
        """The two certifications flow as one paragraph (labels are inline), each led by its checkbox."""
        checkbox: Word = ("", CHECKBOX_MARK)
        top = CERTIFY_TOP
        for line in wrap([word for runs in CERTIFICATIONS for word in [checkbox, *words_of(runs)]], RIGHT - LEFT):
            text_top = top + (CHECKBOX_LINE_EXTRA if checkbox in line else 0.0)
            self.words(LEFT, text_top, line)
            top = text_top + LINE

    def page_top(self, table: Table) -> None:
        self.words(LEFT, SKIP_TOP, words_of([("Skip to main content", False)]), LINK_BLUE, underline=True)
        self.words(LEFT, RETURN_TOP, words_of([("Return to the search tab to select another report.", False)], BOLD))
        self.big_line(HEADING_TOP, f"Periodic Transaction Report for {us_date(REPORT_DATE)}", 24.0)
        self.big_line(FILER_TOP, FILER_PRINTED, 18.0)
        self.words(LEFT, FILED_TOP, words_of([(filed_line(), False)], BOLD))
        self.canvas.setLineWidth(0.75)
        self.canvas.setStrokeColor(HexColor("#9a9a9a"))
        self.canvas.line(LEFT, PAGE_HEIGHT - RULE_TOP, RIGHT, PAGE_HEIGHT - RULE_TOP)
        self.canvas.setStrokeColor(HexColor("#eeeeee"))
        self.canvas.line(LEFT, PAGE_HEIGHT - RULE_TOP - 0.75, RIGHT, PAGE_HEIGHT - RULE_TOP - 0.75)
        self.words(LEFT, STATEMENTS_TOP, words_of([("The following statements were checked before filing:", False)]))
        self.certification()
        self.big_line(TRANSACTIONS_TOP, "Transactions", 14.04)
        for index, item in enumerate(summary_items()):
            top = SUMMARY_TOP + index * LINE
            self.canvas.setFillColor(black)
            self.canvas.circle(BULLET_X, PAGE_HEIGHT - (top + 7.0), BULLET_RADIUS, stroke=0, fill=1)
            self.words(LEFT + LIST_INDENT, top, words_of([(item, False)]))
        caption = words_of([("List of transactions added to this report", False)])
        self.words(LEFT + (table.width - width_of(caption)) / 2, CAPTION_TOP, caption)

    # The table.

    def table_row(self, table: Table, top: float, row: list[Cell], centred: bool) -> None:
        """Draw a row whose box starts at `top`: each cell's lines centred in the row's height."""
        height = row_height(row)
        for left, width, cell in zip(table.lefts(), table.widths, row):
            first = top + PADDING + (height - 2 * PADDING - len(cell) * LINE) / 2
            for index, line in enumerate(cell):
                x = left + (width - width_of(line)) / 2 if centred else left
                self.words(x, first + index * LINE, line)

    def table(self, table: Table) -> None:
        top = TABLE_TOP + SPACING
        self.table_row(table, top, table.header, centred=True)
        top += row_height(table.header) + SPACING
        for row in table.rows:
            if top + row_height(row) > PAGE_BOTTOM:  # browsers move a row that does not fit, whole
                self.canvas.showPage()
                self.page += 1
                top = LATER_TABLE_TOP + SPACING
                self.table_row(table, top, table.header, centred=True)
                top += row_height(table.header) + SPACING
            self.table_row(table, top, row, centred=False)
            self.row_pages.append(self.page)
            top += row_height(row) + SPACING

    def write(self) -> None:
        header = [[(text, BOLD) for text in name.split()] for name in HEADERS]
        table = Table.lay_out(header, [[[words_of(line) for line in cell] for cell in cells(row)] for row in ROWS])
        self.page_top(table)
        self.table(table)
        self.canvas.showPage()


def make_pdf(path: Path) -> PrintWriter:
    """Write the printed page; the returned writer knows its page count and the page each row is on."""
    canvas = Canvas(str(path), pagesize=letter, invariant=1, pageCompression=0)
    # Fixed metadata and dates: the file must not change between runs.
    canvas.setDateFormatter(lambda *_: FILED_DATE.strftime("D:%Y%m%d120000+00'00'"))
    canvas.setTitle("eFD: Print Periodic Transaction Report (fictional sample)")
    canvas.setAuthor(FILER_NAME)
    canvas.setSubject("Fictional Senate eFD PTR generated for TradeTrace tests and demos")
    canvas.setCreator("TradeTrace samples/make_senate_sample.py")
    canvas.setProducer("ReportLab")
    writer = PrintWriter(canvas)
    writer.write()
    canvas.save()
    return writer


def expected(writer: PrintWriter) -> dict[str, object]:
    items = summary_items()
    return {
        "filing": {"chamber": "senate", "layout": "senate_efd", "report_date": REPORT_DATE.isoformat(),
                   "amendment_number": 0, "filed_date": FILED_DATE.isoformat(),
                   "filed_time": f"{FILED_HOUR:02d}:{FILED_MINUTE:02d}", "filer_printed": FILER_PRINTED,
                   "filer_name": FILER_NAME},
        "summary": {"total": len(ROWS), **{name: int(item.split()[0])
                                           for name, item in zip(("self", "joint", "spouse", "child"), items[1:])}},
        "files": {HTML_FILE: {"pages": 1, "row_pages": [1] * len(ROWS)},
                  PDF_FILE: {"pages": writer.page, "row_pages": writer.row_pages}},
        "rows": [expected_row(row) for row in ROWS],
    }


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else SAMPLES_DIR
    out.mkdir(parents=True, exist_ok=True)
    (out / HTML_FILE).write_text(page_html(), encoding="utf-8")
    writer = make_pdf(out / PDF_FILE)
    text = json.dumps(expected(writer), indent=2, ensure_ascii=False) + "\n"
    (out / EXPECTED_FILE).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
