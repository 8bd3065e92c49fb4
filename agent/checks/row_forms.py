"""How each format prints a row an LLM reads off its page: which fields it prints at all (a field it never prints
must come back empty), which every row prints, how its coded values are written, and where on the page one row
stands. An LLM row is checked against the form of the page it was read from, never against another format's:
a Senate report prints no notification date, and its tickers stand bare, without the House's "(IBM)" and "[ST]".

The House PTR (electronic and paper): a row stands from its line printing the transaction and notification dates as
a pair down to the next such line (grounding.PageIndex.bands). The Senate eFD report: a row is anchored on its line
printing the `#` number and the transaction date, and its other cells' lines are centred on that line, so each line
between two anchors belongs to the nearer one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.checks.grounding import Band, PageIndex
from agent.documents.pdf import Document, PageText
from agent.errors import ParseError
from agent.formats import house_ptr, senate_efd
from agent.formats.base import FilingFormat, PrintedForms
from agent.formats.fields import OWNER_CODES, normalize_ticker, parse_amount, parse_date
from agent.formats.house_ptr import Line, group_lines
from agent.formats.registry import format_of
from agent.models import Box, Chamber, Filing, Transaction

# A Senate row's anchor line: its `#` number, then its transaction date.
SENATE_ANCHOR = re.compile(r"^(\d{1,4})\s+(\d{1,2}/\d{1,2}/\d{4})(?![\d/])")
NOT_PRINTED = ("", "--", "-")  # how eFD prints an empty cell
HEADER_WRAPS = frozenset({"Date", "Type", "Name"})  # the header's words wrapped below its main line
ONE_LINE = 8.0  # points: a little more than eFD's line spacing (6.8 printed)


@dataclass(frozen=True)
class RowForm:
    """One format's printed row, as the LLM row schema's fields (agent.run.replies.LLMRow) see it."""

    format: FilingFormat  # grounds the row's coded values (printed_forms)
    chamber: Chamber
    required: tuple[str, ...]  # fields every row of this form prints
    unprinted: tuple[str, ...]  # fields this form never prints: a row giving one is not read from the page
    how_to_copy: str  # the extraction prompt's instructions for this form's values
    anchor_name: str  # what a row's band is found by, for rejections

    @property
    def label(self) -> str:
        return self.format.label

    def printed_forms(self, row: Transaction) -> PrintedForms:
        return self.format.printed_forms(row)

    def problem(self, item: dict[str, str]) -> str:
        """Why a schema-valid row cannot be a row of this form ('' when it can)."""
        missing = [name for name in self.required if not item[name].strip()]
        if missing:
            return f"no {', '.join(missing)} (every {self.label} row prints it)"
        given = [name for name in self.unprinted if item[name].strip() not in NOT_PRINTED]
        if given:
            return f"{', '.join(given)} given, but a {self.label} prints none"
        return ""

    def to_transaction(self, item: dict[str, str], page: int) -> Transaction:
        """The row's values as the project's codes (raises ParseError for a date or amount that is none)."""
        amount = parse_amount(item["amount"])
        row = Transaction(
            row_number=0, asset_name=" ".join(item["asset_name"].split()),
            transaction_date=parse_date(item["transaction_date"]).isoformat(),
            amount=amount.label, amount_min=float(amount.minimum),
            amount_max=None if amount.maximum is None else float(amount.maximum), page=page, extracted_by="llm")
        if self.chamber == "senate":
            _senate_values(row, item)
        else:
            row.owner = item["owner"].strip().upper()
            row.ticker = normalize_ticker(item["ticker"]).strip("()")
            row.asset_type = item["asset_type"].strip().strip("[]").upper()
            row.transaction_type = " ".join(item["transaction_type"].split())
            row.notification_date = parse_date(item["notification_date"]).isoformat()
            row.description = " ".join(item["description"].split())
        return row

    def anchor(self, row: Transaction) -> tuple[str, str]:
        """What a row's band is found by: its date pair (House), or its transaction date (Senate)."""
        return row.transaction_date, row.notification_date if self.chamber == "house" else ""

    def what_anchors(self, row: Transaction) -> str:
        if self.chamber == "house":
            return f"no line prints its dates {row.transaction_date} and {row.notification_date} as a pair"
        return f"no row's line prints its number and its transaction date {row.transaction_date}"

    def bands(self, document: Document, index: PageIndex, page: int) -> list[Band]:
        if self.chamber == "house":
            return index.bands(page)
        return senate_bands(document.pages[page - 1]) if 1 <= page <= len(document.pages) else []


HOUSE = RowForm(house_ptr.FORMAT, "house",
                required=("asset_name", "transaction_type", "transaction_date", "notification_date", "amount"),
                unprinted=(),
                how_to_copy="dates as MM/DD/YYYY, the amount label such as \"$1,001 - $15,000\", the ticker "
                            "without parentheses, the asset type code without brackets, owner SP/JT/DC or empty",
                anchor_name="date pair")
SENATE = RowForm(senate_efd.FORMAT, "senate",
                 required=("asset_name", "transaction_type", "transaction_date", "amount"),
                 unprinted=("notification_date",),
                 how_to_copy="this is a U.S. Senate report: dates as MM/DD/YYYY, notification_date empty (the "
                             "Senate prints none), the owner, asset type and type in the page's words (Self, "
                             "Spouse, Joint, Child; Stock, Corporate Bond; Purchase, Sale (Full), Sale (Partial), "
                             "Exchange), the ticker as printed (empty for --), the Comment column as description",
                 anchor_name="numbered date line")
ROW_FORMS = (HOUSE, SENATE)


def form_for(document: Document, claimed: str | None) -> RowForm:
    """The form of a document's rows: its format's when one claimed it, else what its pages print (House date
    pairs, or Senate rows' numbered date lines and the eFD heading)."""
    for form in ROW_FORMS:
        if claimed is not None and form.format.name == claimed:
            return form
    if claimed is not None:
        return HOUSE  # the House's paper form prints its rows as the electronic one does
    text = " ".join(page.text for page in document.pages[:2])
    if house_ptr.DATE_PAIR.search(text) or not senate_efd.HEADING.search(" ".join(text.split())):
        return HOUSE
    return SENATE


def filing_format(filing: Filing) -> FilingFormat | None:
    """The format whose printed forms ground a filing's rows: an LLM-read filing's by its rows' chamber."""
    if filing.layout == "llm_read" and filing.chamber == "senate":
        return senate_efd.FORMAT
    return format_of(filing)


def senate_bands(page: PageText) -> list[Band]:
    """Each Senate row's band on the page: its anchor line and the lines between its neighbours' anchors that stand
    nearer it than them, below the table's header. Below the last anchor no anchor bounds the row: its cells,
    centred on the anchor, reach as far below it as above (at least a line)."""
    lines = group_lines(page)
    anchors = [position for position, line in enumerate(lines) if SENATE_ANCHOR.match(line.text)]
    if not anchors:
        return []
    first = _below_header(lines, anchors[0])
    bands = []
    for number, anchor in enumerate(anchors):
        above = anchors[number - 1] if number else None
        below = anchors[number + 1] if number + 1 < len(anchors) else None
        top = lines[anchor].top

        def nearer(position: int, top: float = top, above: int | None = above, below: int | None = below) -> bool:
            distance = abs(lines[position].top - top)
            return all(other is None or distance <= abs(lines[position].top - lines[other].top)
                       for other in (above, below))

        own = [position for position in range(first if above is None else above + 1, anchor + 1) if nearer(position)]
        reach = max(top - lines[own[0]].top, ONE_LINE)
        own += [position for position in range(anchor + 1, len(lines) if below is None else below)
                if nearer(position) and (below is not None or lines[position].top - top <= reach + ONE_LINE / 4)]
        match = SENATE_ANCHOR.match(lines[anchor].text)
        assert match is not None  # an anchor is a line this pattern matched
        try:
            transaction_date = parse_date(match.group(2)).isoformat()
        except ParseError:  # 13/45/2024 is no date
            continue
        chosen = [lines[position] for position in own]
        bands.append(Band((transaction_date, ""), _box(page.number, chosen), tuple(line.text for line in chosen)))
    return bands


def _below_header(lines: list[Line], first_anchor: int) -> int:
    """The first line a row may hold: after the table's header and its wrapped words ("Date", "Type")."""
    header = next((position for position in range(first_anchor - 1, -1, -1) if "Ticker" in lines[position].text),
                  None)
    if header is None:
        return first_anchor
    start = header + 1
    while start < first_anchor and {word.text for word in lines[start].words} <= HEADER_WRAPS:
        start += 1
    return start


def _box(page: int, lines: list[Line]) -> Box:
    words = [word for line in lines for word in line.words]
    return Box(page, min(w.x0 for w in words), min(w.top for w in words), max(w.x1 for w in words),
               max(w.bottom for w in words))


def _senate_values(row: Transaction, item: dict[str, str]) -> None:
    """A Senate row's coded values from the page's words (codes are taken as well: a model may give them)."""
    owner = " ".join(item["owner"].split())
    if owner.lower() in senate_efd.OWNERS:
        row.owner = senate_efd.OWNERS[owner.lower()]
    elif owner.upper() in (*OWNER_CODES, ""):
        row.owner = owner.upper()
    else:
        raise ParseError("an owner (Self, Spouse, Joint or Child)", owner)
    kind = " ".join(item["transaction_type"].split())
    row.transaction_type = senate_efd.TYPES.get(kind.lower(), kind)  # a code stays; anything else is flagged
    label = " ".join(item["asset_type"].split())
    if label.lower() in senate_efd.ASSET_TYPES:
        row.asset_type_label, row.asset_type = label, senate_efd.ASSET_TYPES[label.lower()]
    else:  # a code or a label eFD does not print: grounded as the code, which the page does not print
        row.asset_type = label.strip("[]").upper()
    ticker = item["ticker"].strip()
    row.ticker = "" if ticker in NOT_PRINTED else normalize_ticker(ticker)
    comment = " ".join(item["description"].split())
    row.comments = "" if comment in NOT_PRINTED else comment
