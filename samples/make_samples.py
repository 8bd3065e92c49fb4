"""Make the sample House Periodic Transaction Reports (PTRs) shipped with TradeTrace.

Writes three PDFs for a fictional filer into samples/, and samples/expected.json with every row
and filing field put into them, so tests can hold the parser to it. FILINGS below is the single
source of truth for both.

The pages copy the electronic House PTR layout of 2020-2021 (e.g. Filing ID #20016961): the same
column x positions, top-aligned rows, wrapped asset names and amounts, labelled lines under each row,
the table header repeated on later pages (the Filing ID is on page 1 only, as in every real
multi-page PTR of 2020-2025), and the cap-gains checkbox, whose glyph font PDFium reads
as `gfedc` (unchecked) or `gfedcb` (checked). We draw the box as vector art and put those letters
under it as invisible text, so text extraction sees what it sees in a real filing.

Output is byte-identical on every run (invariant mode, fixed dates and metadata, no compression),
so regenerating causes no diff:

    python samples/make_samples.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase.pdfmetrics import Font, registerFont, stringWidth
from reportlab.pdfgen.canvas import Canvas

SAMPLES_DIR = Path(__file__).resolve().parent

# --- The data -------------------------------------------------------------------------------------

FILER = {"filer_name": "Hon. Jane Q. Public", "filer_status": "Member", "state_district": "XX01"}

# Every row field, with the value a row has when it does not say otherwise.
ROW_DEFAULTS = {
    "row_id": "", "owner": "", "asset_name": "", "ticker": "", "asset_type": "ST",
    "transaction_type": "P", "transaction_date": "", "notification_date": "", "amount": "",
    "cap_gains_over_200": False, "filing_status": "New", "description": "", "subholding_of": "",
    "location": "", "comments": "",
}

FILINGS = [
    {
        "file": "sample_ptr_2024_a.pdf", "filing_id": "90000001", "signed_date": "2024-03-20",
        "rows": [
            {"owner": "SP", "asset_name": "NVIDIA Corporation - Common Stock", "ticker": "NVDA",
             "transaction_date": "2024-02-20", "notification_date": "2024-02-21", "amount": "$250,001 - $500,000",
             "description": "Purchased 400 shares."},
            {"owner": "SP", "asset_name": "Apple Inc.", "ticker": "AAPL", "transaction_type": "S",
             "transaction_date": "2024-02-26", "notification_date": "2024-02-27",
             "amount": "$1,000,001 - $5,000,000", "cap_gains_over_200": True, "description": "Sold 7,500 shares."},
            {"owner": "DC", "asset_name": "Tesla, Inc. - Common Stock", "ticker": "TSLA",
             "transaction_date": "2024-03-11", "notification_date": "2024-03-11", "amount": "$350.78",
             "subholding_of": "UTMA Custodial Account"},
        ],
    },
    {
        "file": "sample_ptr_2024_b.pdf", "filing_id": "90000002", "signed_date": "2024-09-06",
        "rows": [
            {"row_id": "9000012301", "owner": "SP", "asset_name": "Broadcom Inc. - Common Stock", "ticker": "AVGO",
             "asset_type": "OP", "transaction_type": "S", "transaction_date": "2024-05-10",
             "notification_date": "2024-05-10", "amount": "$250,001 - $500,000", "cap_gains_over_200": True,
             "filing_status": "Amended",
             "description": "Sold 20 call options with a strike price of $1,200 and an expiration date of 6/21/2024.",
             "comments": "Amended to correct the amount."},
            {"owner": "JT", "asset_name": "Microsoft Corporation - Common Stock", "ticker": "MSFT",
             "transaction_type": "S (partial)", "transaction_date": "2024-07-23", "notification_date": "2024-07-25",
             "amount": "$15,001 - $50,000", "cap_gains_over_200": True, "location": "US"},
            {"owner": "SP", "asset_name": "NVIDIA Corporation - Common Stock", "ticker": "NVDA", "asset_type": "OP",
             "transaction_date": "2024-07-24", "notification_date": "2024-07-24", "amount": "$15,001 - $50,000",
             "description": "Purchased 20 call options with a strike price of $150 and "
                            "an expiration date of 1/16/2026."},
            {"owner": "SP", "asset_name": "Salesforce, Inc. - Common Stock", "ticker": "CRM", "asset_type": "OP",
             "transaction_date": "2024-07-26", "notification_date": "2024-07-26", "amount": "$250,001 - $500,000",
             "description": "Purchased 50 call options with a strike price of $200 and "
                            "an expiration date of 1/15/2027."},
            {"asset_name": "City of Springfield IL General Obligation Bonds 4.00% Due 12/01/2033",
             "asset_type": "GS", "transaction_date": "2024-07-30", "notification_date": "2024-08-01",
             "amount": "$50,001 - $100,000", "description": "Tax-exempt municipal bond purchased at par."},
            {"owner": "SP", "asset_name": "Tesla, Inc. - Common Stock", "ticker": "TSLA", "asset_type": "OP",
             "transaction_type": "S", "transaction_date": "2024-07-31", "notification_date": "2024-08-02",
             "amount": "$15,001 - $50,000", "cap_gains_over_200": True,
             "description": "Sold 25 put options with a strike price of $200 and an expiration date of 9/20/2024."},
            {"owner": "JT", "asset_name": "Microsoft Corporation - Common Stock", "ticker": "MSFT",
             "transaction_type": "E", "transaction_date": "2024-07-29", "notification_date": "2024-08-02",
             "amount": "$15,001 - $50,000",
             "description": "Shares received in kind in exchange for units of a diversified exchange fund."},
            {"owner": "SP", "asset_name": "Alphabet Inc. - Class A Common Stock", "ticker": "GOOGL",
             "transaction_type": "S", "transaction_date": "2024-08-01", "notification_date": "2024-08-05",
             "amount": "Over $50,000,000", "cap_gains_over_200": True,
             "comments": "Shares held since 2005; the sale is part of a planned diversification."},
            {"asset_name": "Bitcoin", "ticker": "BTC", "asset_type": "CT", "transaction_date": "2024-08-05",
             "notification_date": "2024-08-05", "amount": "$1,001 - $15,000", "location": "US"},
            {"asset_name": "Maple Ridge Capital Partners III, LP", "asset_type": "HN", "transaction_date": "2024-08-01",
             "notification_date": "2024-08-30", "amount": "$15,001 - $50,000",
             "subholding_of": "Public Family Trust", "description": "Capital call of $21,400."},
            {"asset_name": "Apple Inc.", "ticker": "AAPL", "transaction_date": "2024-08-08",
             "notification_date": "2024-08-08", "amount": "$1,001 - $15,000"},
            {"owner": "SP", "asset_name": "Amazon.com, Inc. - Common Stock", "ticker": "AMZN",
             "transaction_date": "2024-08-09", "notification_date": "2024-08-12", "amount": "$100,001 - $250,000"},
        ],
    },
    {
        "file": "sample_ptr_2024_c.pdf", "filing_id": "90000003", "signed_date": "2025-01-21",
        "rows": [
            {"owner": "SP", "asset_name": "Apple Inc.", "ticker": "AAPL", "transaction_date": "2025-01-10",
             "notification_date": "2025-01-10", "amount": "$500,001 - $1,000,000",
             "description": "Exercised 50 call options (5,000 shares) expiring 6/20/2025 at a strike price of $120."},
            {"owner": "JT", "asset_name": "Amazon.com, Inc. - Common Stock", "ticker": "AMZN", "transaction_type": "S",
             "transaction_date": "2024-11-08", "notification_date": "2025-01-07", "amount": "$50,001 - $100,000",
             "cap_gains_over_200": True,
             "comments": "Sale in a managed account; the filer was notified of it on 1/7/2025."},
            {"owner": "SP", "asset_name": "Salesforce, Inc. - Common Stock", "ticker": "CRM",
             "transaction_type": "S (partial)", "transaction_date": "2024-12-10", "notification_date": "2024-12-11",
             "amount": "$100,001 - $250,000", "cap_gains_over_200": True, "description": "Sold 400 shares."},
            {"owner": "SP", "asset_name": "Broadcom Inc. - Common Stock", "ticker": "AVGO", "asset_type": "OP",
             "transaction_date": "2024-12-20", "notification_date": "2024-12-20", "amount": "$1,000,001 - $5,000,000",
             "description": "Purchased 100 call options with a strike price of $120 and "
                            "an expiration date of 12/19/2025."},
            {"asset_name": "Invesco QQQ Trust, Series 1", "ticker": "QQQ", "asset_type": "EF", "transaction_type": "S",
             "transaction_date": "2024-12-16", "notification_date": "2024-12-18", "amount": "$15,001 - $50,000",
             "cap_gains_over_200": True, "location": "US"},
            {"owner": "SP", "asset_name": "Tesla, Inc. - Common Stock", "ticker": "TSLA", "transaction_type": "S",
             "transaction_date": "2024-12-18", "notification_date": "2024-12-19", "amount": "$5,000,001 - $25,000,000",
             "cap_gains_over_200": True, "subholding_of": "Public Family Trust", "location": "US",
             "description": "Sold 20,000 shares held in the trust's brokerage account to rebalance the portfolio "
                            "after a large rise in the share price during the fourth quarter.",
             "comments": "Proceeds were reinvested in short-term U.S. Treasury bills."},
            {"owner": "DC", "asset_name": "Microsoft Corporation - Common Stock", "ticker": "MSFT",
             "transaction_date": "2025-01-06", "notification_date": "2025-01-06", "amount": "$1,001 - $15,000",
             "subholding_of": "UTMA Custodial Account"},
            {"owner": "SP", "asset_name": "NVIDIA Corporation - Common Stock", "ticker": "NVDA", "asset_type": "OP",
             "transaction_type": "S", "transaction_date": "2025-01-13", "notification_date": "2025-01-14",
             "amount": "$1,000,001 - $5,000,000", "cap_gains_over_200": True,
             "description": "Sold 50 call options with a strike price of $100 and an expiration date of 3/21/2025."},
            {"owner": "JT", "asset_name": "US Treasury Bill 0% Due 04/17/2025", "asset_type": "GS",
             "transaction_date": "2025-01-15", "notification_date": "2025-01-15", "amount": "$250,001 - $500,000"},
            {"owner": "SP", "asset_name": "SPDR S&P 500 ETF Trust", "ticker": "SPY", "asset_type": "EF",
             "transaction_type": "S", "transaction_date": "2025-01-16", "notification_date": "2025-01-17",
             "amount": "$25,000,001 - $50,000,000", "cap_gains_over_200": True},
        ],
    },
]

# --- The layout, in points from the top-left corner (as PDFium and pdfplumber report it) ----------

PAGE_HEIGHT = letter[1]
REGULAR, BOLD = "Times-Roman", "Times-Bold"
# WinAnsi text writes the bullet as code 127, which pdfminer cannot name; MacRoman's bullet reads everywhere.
BULLETED = "Times-Roman-MacRoman"
registerFont(Font(BULLETED, REGULAR, "MacRomanEncoding"))
ROW_SIZE, LABEL_VALUE_SIZE, HEADER_SIZE = 9.5, 9.0, 11.0
LABEL_SIZES, LABEL_GAP = (8.8, 6.6), 1.0  # small-caps label (capitals, rest); extra room after `: `
GREY_TEXT = HexColor("#999999")
LINK_BLUE = HexColor("#0000ee")
BORDER = HexColor("#cccccc")
HEADER_FILL, SHADED_FILL = HexColor("#eeeeee"), HexColor("#f5f5f5")
RULE = HexColor("#808080")
CONTROL_FILL, CONTROL_MARK = HexColor("#f0f0f0"), HexColor("#909090")  # greyed-out checkboxes and radios

TABLE_LEFT, TABLE_RIGHT = 22.5, 553.0
ID_X, OWNER_X, ASSET_X, TYPE_X, DATE_X, NOTIFIED_X, AMOUNT_X = 26.0, 82.9, 121.3, 251.7, 317.0, 372.5, 437.9
CHECKBOX_X, CHECKBOX_SIZE = 525.0, 9.8
ASSET_WIDTH, AMOUNT_WIDTH, LABELLED_RIGHT = 123.5, 69.0, 545.0
HEADER_CELLS = (  # (x, first baseline offset in lines, text) as on the real form
    (25.8, 0, "ID"), (82.8, 0, "Owner"), (121.2, 0, "Asset"), (251.3, 0, "Transaction"), (251.3, 1, "Type"),
    (316.8, 0, "Date"), (372.1, 0, "Notification"), (372.3, 1, "Date"), (437.0, 0, "Amount"),
    (508.1, 0, "Cap."), (508.1, 1, "Gains >"), (508.3, 2, "$200?"),
)
FIRST_TABLE_TOP, LATER_TABLE_TOP = 288.7, 72.0
HEADER_HEIGHT, HEADER_FIRST_BASELINE, HEADER_LINE = 44.6, 14.4, 11.3
BODY_BOTTOM = 714.0  # a page's table stops here and continues after the header on the next page
DESCENDER_ROOM = 3.0

ROW_LINE = 10.5  # between the wrapped lines of a cell
ROW_PAD_TOP, ROW_PAD_BOTTOM = 14.1, 12.2  # band edge to first baseline / last baseline to band edge
CONTINUED_PAD_TOP = 6.3  # a row continued on a new page starts right under the header
MAIN_TO_LABELS = 17.1  # last main line to the first labelled line
ONE_LINE_MAIN_DEPTH = 4.0  # the checkbox keeps a one-line row a little taller than one line
LABELLED_LINE = 12.8
LABELS = (  # printed in this order under a row
    ("filing_status", "Filing Status"), ("subholding_of", "Subholding Of"), ("location", "Location"),
    ("description", "Description"), ("comments", "Comments"),
)

FOOTNOTE = "* For the complete list of asset type abbreviations, please visit "
FOOTNOTE_URL = "https://fd.house.gov/reference/asset-type-codes.aspx"
CLERK_LINE = ("Clerk of the House of Representatives \u2022 Legislative Resource Center \u2022 "
              "B81 Cannon Building \u2022 Washington, DC 20515")
CERTIFY_LINES = (
    "I CERTIFY that the statements I have made on the attached Periodic Transaction Report are true, complete, "
    "and correct to the",
    "best of my knowledge and belief. Further, I CERTIFY that I have disclosed all transactions as required by "
    "the STOCK Act.",
)
TRAILER_HEIGHT = 145.0  # footnote top to signature bottom; the trailer moves to a new page as one block


def us_date(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%m/%d/%Y")


def wrap(words: list[str], font: str, size: float, first_width: float, width: float) -> list[list[str]]:
    """Greedy word wrap, the first line possibly narrower (a label stands before it)."""
    lines: list[list[str]] = [[]]
    for word in words:
        candidate = " ".join(lines[-1] + [word])
        limit = first_width if len(lines) == 1 else width
        if lines[-1] and stringWidth(candidate, font, size) > limit:
            lines.append([word])
        else:
            lines[-1].append(word)
    return lines


def small_caps_width(value: str, font: str, big: float, small: float) -> float:
    return sum(stringWidth(char.upper(), font, big if char.isupper() else small) for char in value)


def asset_words(row: dict) -> list[str]:
    """The asset cell as printed: `Name (TICKER) [XX]`; the bracketed type code is drawn in grey."""
    words = row["asset_name"].split()
    if row["ticker"]:
        words.append(f"({row['ticker']})")
    return words + [f"[{row['asset_type']}]"]


def complete_rows(filing: dict) -> list[dict]:
    return [{**ROW_DEFAULTS, **row} for row in filing["rows"]]


# --- Drawing ----------------------------------------------------------------------------------------


@dataclass
class Unit:
    """A piece of a row that never splits across pages: the main cells, or one labelled line."""

    depth: float  # last baseline below the first
    gap_after: float  # last baseline to the next unit's first baseline
    draw: Callable[[float], None]  # draws the unit at its first baseline


def fits(baseline: float, unit: Unit) -> bool:
    return baseline + unit.depth + DESCENDER_ROOM <= BODY_BOTTOM


class PtrWriter:
    """Draws one filing onto a canvas, page by page, keeping the running position."""

    def __init__(self, canvas: Canvas, filing: dict, rows: list[dict]):
        self.canvas = canvas
        self.filing = filing
        self.rows = rows
        self.page = 1
        self.table_top: float | None = FIRST_TABLE_TOP  # None on a page after the table
        self.cursor = FIRST_TABLE_TOP + HEADER_HEIGHT  # top of the next row's band
        self.row_pages: list[int] = []

    # Primitive drawing, with tops measured from the page top.

    def text(self, x: float, baseline: float, value: str, font: str = REGULAR, size: float = ROW_SIZE,
             color: Color = black) -> float:
        """Draw one run of text; returns the x where it ends."""
        self.canvas.setFillColor(color)
        self.canvas.setFont(font, size)
        self.canvas.drawString(x, PAGE_HEIGHT - baseline, value)
        return x + stringWidth(value, font, size)

    def small_caps(self, x: float, baseline: float, value: str, font: str, big: float, small: float) -> float:
        """The form's small capitals: capitals at `big`, everything else upper-cased at `small`."""
        text = self.canvas.beginText(x, PAGE_HEIGHT - baseline)
        for char in value:
            text.setFont(font, big if char.isupper() else small)
            text.textOut(char.upper())
        self.canvas.setFillColor(black)
        self.canvas.drawText(text)
        return text.getX()

    def fill(self, top: float, bottom: float, color: Color, left: float = TABLE_LEFT, right: float = TABLE_RIGHT):
        self.canvas.setFillColor(color)
        self.canvas.rect(left, PAGE_HEIGHT - bottom, right - left, bottom - top, stroke=0, fill=1)

    def line(self, x0: float, top0: float, x1: float, top1: float, color: Color, width: float):
        self.canvas.setStrokeColor(color)
        self.canvas.setLineWidth(width)
        self.canvas.line(x0, PAGE_HEIGHT - top0, x1, PAGE_HEIGHT - top1)

    def hidden_glyph_text(self, x: float, baseline: float, value: str, width: float):
        """Invisible text squeezed into `width`: what the real form's checkbox font extracts as."""
        self.canvas.saveState()  # render mode and scaling are text state; keep them out of later text
        text = self.canvas.beginText(x, PAGE_HEIGHT - baseline)
        text.setTextRenderMode(3)
        text.setFont(REGULAR, 9)
        text.setHorizScale(100 * width / stringWidth(value, REGULAR, 9))
        text.textOut(value)
        self.canvas.drawText(text)
        self.canvas.restoreState()

    def checkbox(self, x: float, top: float, checked: bool):
        """A greyed-out form checkbox, drawn sunken like the browser-printed original."""
        size = CHECKBOX_SIZE
        self.hidden_glyph_text(x + 0.3, top + 6.2, "gfedcb" if checked else "gfedc", size - 0.6)
        self.fill(top, top + size, CONTROL_FILL, x, x + size)
        self.line(x, top + size, x + size, top + size, white, 1)
        self.line(x + size, top, x + size, top + size, white, 1)
        self.line(x, top + 0.45, x + size, top + 0.45, RULE, 0.9)
        self.line(x + 0.45, top, x + 0.45, top + size, RULE, 0.9)
        if checked:
            self.canvas.setStrokeColor(CONTROL_MARK)
            self.canvas.setLineWidth(1.4)
            path = self.canvas.beginPath()
            path.moveTo(x + 2.2, PAGE_HEIGHT - (top + 5.0))
            path.lineTo(x + 4.2, PAGE_HEIGHT - (top + 7.2))
            path.lineTo(x + 7.8, PAGE_HEIGHT - (top + 2.6))
            self.canvas.drawPath(path, stroke=1, fill=0)

    def radio(self, x: float, top: float, selected: bool):
        """A greyed-out radio button; its glyph font extracts as `nmlkj`, or `nmlkji` when selected."""
        self.hidden_glyph_text(x, top + 6.8, "nmlkj" + ("i" if selected else ""), 7.3)
        self.canvas.setStrokeColor(RULE)
        self.canvas.setFillColor(CONTROL_FILL)
        self.canvas.setLineWidth(0.8)
        self.canvas.circle(x + 3.7, PAGE_HEIGHT - (top + 5.0), 3.4, stroke=1, fill=1)
        if selected:
            self.canvas.setFillColor(CONTROL_MARK)
            self.canvas.circle(x + 3.7, PAGE_HEIGHT - (top + 5.0), 1.6, stroke=0, fill=1)

    # The page furniture.

    def first_page_top(self):
        # Positions here and in write_trailer are measured on the original (Filing ID #20016961).
        self.small_caps(117.0, 120.8, "Periodic Transaction Report", BOLD, 21.5, 16.0)
        self.line(22.0, 147.3, 553.3, 147.3, RULE, 1.3)
        self.text((22.0 + 553.3 - stringWidth(CLERK_LINE, BULLETED, 9.5)) / 2, 158.7, CLERK_LINE, BULLETED)
        self.line(22.0, 164.6, 553.3, 164.6, RULE, 1.3)
        self.small_caps(22.9, 194.2, "Filer Information", BOLD, 12.5, 9.0)
        for top, label, key in ((205.4, "Name:", "filer_name"), (221.0, "Status:", "filer_status"),
                                (236.3, "State/District:", "state_district")):
            self.text(22.6, top + 7.0, label, BOLD, 10.5)
            self.text(99.5, top + 7.0, FILER[key], REGULAR, 10.5)
        self.small_caps(22.6, 279.8, "Transactions", BOLD, 12.5, 9.0)
        self.table_header_box()

    def table_header_box(self):
        self.fill(self.table_top, self.table_top + HEADER_HEIGHT, HEADER_FILL)
        self.line(TABLE_LEFT, self.table_top + 0.6, TABLE_RIGHT, self.table_top + 0.6, BORDER, 1.3)
        bottom = self.table_top + HEADER_HEIGHT
        self.line(TABLE_LEFT, bottom - 0.6, TABLE_RIGHT, bottom - 0.6, BORDER, 1.3)

    def table_header_words(self):
        for x, line, word in HEADER_CELLS:
            baseline = self.table_top + HEADER_FIRST_BASELINE + line * HEADER_LINE
            self.text(x, baseline, word, BOLD, HEADER_SIZE)

    def table_sides(self, bottom: float):
        for x in (TABLE_LEFT, TABLE_RIGHT):
            self.line(x, self.table_top, x, bottom, BORDER, 1.3)

    def finish_page(self):
        """What the original prints last on a page: the Filing ID on page 1, a repeated table header later."""
        if self.page == 1:
            self.text(485.6, 95.0, f"Filing ID #{self.filing['filing_id']}", REGULAR, 9.5)
        elif self.table_top is not None:
            self.table_header_words()
        self.canvas.showPage()

    def break_table_page(self):
        self.table_sides(BODY_BOTTOM + 1.3)  # the open table's sides run just past its last band
        self.finish_page()
        self.page += 1
        self.table_top = LATER_TABLE_TOP
        self.table_header_box()
        self.cursor = self.table_top + HEADER_HEIGHT

    # The rows.

    def main_unit(self, row: dict) -> Unit:
        asset_lines = wrap(asset_words(row), REGULAR, ROW_SIZE, ASSET_WIDTH, ASSET_WIDTH)
        amount_lines = wrap(row["amount"].split(), REGULAR, ROW_SIZE, AMOUNT_WIDTH, AMOUNT_WIDTH)
        lines = max(len(asset_lines), len(amount_lines))

        def draw(baseline: float):
            if row["row_id"]:
                self.text(ID_X, baseline, row["row_id"])
            if row["owner"]:
                self.text(OWNER_X, baseline, row["owner"])
            for index, words in enumerate(asset_lines):
                self.asset_line(baseline + index * ROW_LINE, words)
            self.text(TYPE_X, baseline, row["transaction_type"])
            self.text(DATE_X, baseline, us_date(row["transaction_date"]))
            self.text(NOTIFIED_X, baseline, us_date(row["notification_date"]))
            for index, words in enumerate(amount_lines):
                self.text(AMOUNT_X, baseline + index * ROW_LINE, " ".join(words))
            self.checkbox(CHECKBOX_X, baseline - 6.3, row["cap_gains_over_200"])

        return Unit(max(ROW_LINE * (lines - 1), ONE_LINE_MAIN_DEPTH), MAIN_TO_LABELS, draw)

    def asset_line(self, baseline: float, words: list[str]):
        code = words[-1] if words[-1].startswith("[") else ""
        name = " ".join(words[:-1] if code else words)
        x = self.text(ASSET_X, baseline, name + (" " if code else "")) if name else ASSET_X
        if code:
            self.text(x, baseline, code, color=GREY_TEXT)

    def labelled_units(self, row: dict) -> list[Unit]:
        units = []
        for key, label in LABELS:
            if row[key]:
                units.extend(self.labelled_line_units(label, row[key]))
        return units

    def labelled_line_units(self, label: str, value: str) -> list[Unit]:
        """`LABEL: value`, the value wrapping back to the asset column like the original."""
        value_x = ASSET_X + 0.5 + small_caps_width(label + ": ", REGULAR, *LABEL_SIZES) + LABEL_GAP
        lines = wrap(value.split(), REGULAR, LABEL_VALUE_SIZE, LABELLED_RIGHT - value_x, LABELLED_RIGHT - ASSET_X)

        def draw_first(baseline: float):
            self.small_caps(ASSET_X + 0.5, baseline, label + ": ", REGULAR, *LABEL_SIZES)
            self.text(value_x, baseline, " ".join(lines[0]), REGULAR, LABEL_VALUE_SIZE)

        def draw_more(words: list[str]):
            return lambda baseline: self.text(ASSET_X + 0.4, baseline, " ".join(words), REGULAR, LABEL_VALUE_SIZE)

        return [Unit(0.0, LABELLED_LINE, draw_first)] + [Unit(0.0, LABELLED_LINE, draw_more(words))
                                                        for words in lines[1:]]

    def write_row(self, row: dict, shaded: bool):
        """Place the row's units, breaking the page between units when the next one does not fit."""
        units = [self.main_unit(row)] + self.labelled_units(row)
        if not fits(self.cursor + ROW_PAD_TOP, units[0]):
            self.break_table_page()
        self.row_pages.append(self.page)
        band_top, baseline = self.cursor, self.cursor + ROW_PAD_TOP
        placed: list[tuple[float, Unit]] = []
        for unit in units:
            if not fits(baseline, unit):
                self.draw_band(band_top, BODY_BOTTOM, shaded, placed)
                self.break_table_page()
                band_top, baseline, placed = self.cursor, self.cursor + CONTINUED_PAD_TOP, []
            placed.append((baseline, unit))
            baseline += unit.depth + unit.gap_after
        last_baseline = placed[-1][0] + placed[-1][1].depth
        self.cursor = last_baseline + ROW_PAD_BOTTOM
        self.draw_band(band_top, self.cursor, shaded, placed)

    def draw_band(self, top: float, bottom: float, shaded: bool, placed: list[tuple[float, Unit]]):
        if shaded:
            self.fill(top, bottom, SHADED_FILL)
        for baseline, unit in placed:
            unit.draw(baseline)

    # After the table.

    def write_trailer(self):
        self.table_sides(self.cursor)
        self.line(TABLE_LEFT, self.cursor - 0.6, TABLE_RIGHT, self.cursor - 0.6, BORDER, 1.3)
        top = self.cursor + 6.2
        if top + TRAILER_HEIGHT > BODY_BOTTOM:
            self.finish_page()
            self.page += 1
            self.table_top = None
            top = LATER_TABLE_TOP
        x = self.text(26.6, top + 6.2, FOOTNOTE, REGULAR, 9.0)
        end = self.text(x, top + 6.2, FOOTNOTE_URL, REGULAR, 9.0, LINK_BLUE)
        self.line(x, top + 7.4, end, top + 7.4, LINK_BLUE, 0.5)
        self.text(end, top + 6.2, ".", REGULAR, 9.0)
        self.small_caps(22.9, top + 37.1, "Initial Public Offerings", BOLD, 12.5, 9.0)
        self.radio(27.5, top + 48.2, selected=False)
        self.text(40.2, top + 58.2, "Yes", REGULAR, 9.5)
        self.radio(61.2, top + 48.2, selected=True)
        self.text(74.4, top + 58.2, "No", REGULAR, 9.5)
        self.small_caps(22.9, top + 89.8, "Certification and Signature", BOLD, 12.5, 9.0)
        self.checkbox(25.5, top + 100.7, checked=True)
        self.text(40.0, top + 110.2, CERTIFY_LINES[0], REGULAR, 9.5)
        self.text(22.4, top + 120.7, CERTIFY_LINES[1], REGULAR, 9.5)
        x = self.text(22.8, top + 139.4, "Digitally Signed: ", BOLD, 9.5)
        self.text(x + 0.6, top + 139.4, f"{FILER['filer_name']} , {us_date(self.filing['signed_date'])}")

    def write(self):
        self.first_page_top()
        self.table_header_words()
        for number, row in enumerate(self.rows, start=1):
            self.write_row(row, shaded=number % 2 == 0)
        self.write_trailer()
        self.finish_page()


def make_pdf(filing: dict, rows: list[dict], path: Path) -> PtrWriter:
    """Write one filing; the returned writer knows its page count and the page each row starts on."""
    canvas = Canvas(str(path), pagesize=letter, invariant=1, pageCompression=0)
    # Fixed metadata and dates: the file must not change between runs.
    signed = date.fromisoformat(filing["signed_date"])
    canvas.setDateFormatter(lambda *_: signed.strftime("D:%Y%m%d120000+00'00'"))
    canvas.setTitle(f"Periodic Transaction Report - Filing ID #{filing['filing_id']} (fictional sample)")
    canvas.setAuthor(FILER["filer_name"])
    canvas.setSubject("Fictional House PTR generated for TradeTrace tests and demos")
    canvas.setCreator("TradeTrace samples/make_samples.py")
    canvas.setProducer("ReportLab")
    writer = PtrWriter(canvas, filing, rows)
    writer.write()
    canvas.save()
    return writer


def expected_entry(filing: dict, writer: PtrWriter) -> dict:
    return {
        "filing_id": filing["filing_id"], **FILER, "signed_date": filing["signed_date"], "pages": writer.page,
        "rows": [{**row, "page": page} for row, page in zip(writer.rows, writer.row_pages)],
    }


def main():
    expected = {}
    for filing in FILINGS:
        writer = make_pdf(filing, complete_rows(filing), SAMPLES_DIR / filing["file"])
        expected[filing["file"]] = expected_entry(filing, writer)
    text = json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    (SAMPLES_DIR / "expected.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
