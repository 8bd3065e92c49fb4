"""The typed records every layer passes along: transactions with provenance, filings, file outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

# The CSV schema, in order. Everything here is either printed on the filing or derived from it
# (amount_min/amount_max from the amount label, option_* from the description, checks from validators;
# owner_label is the owner in words, so the file itself says a blank owner is the filer: "Self").
CSV_COLUMNS: tuple[str, ...] = (
    "source_file", "filing_id", "filer_name", "filer_status", "state_district", "signed_date", "row_id",
    "owner", "owner_label", "asset_name", "ticker", "asset_type", "transaction_type", "transaction_date",
    "notification_date", "amount", "amount_min", "amount_max", "cap_gains_over_200", "filing_status",
    "description", "subholding_of", "location", "comments", "option_type", "option_contracts",
    "option_strike", "option_expiration", "page", "checks",
    # Since the Senate: both chambers share the columns above; these say what the Senate's reports add.
    "chamber", "report_date", "filed_date", "amendment_number", "filer_printed", "asset_type_label",
    "received_ticker", "received_asset_name", "bond_rate", "bond_maturity", "company",
)
# The columns above that are the filing's, not the row's.
FILING_COLUMNS: tuple[str, ...] = (
    "source_file", "filing_id", "filer_name", "filer_status", "state_district", "signed_date", "chamber",
    "report_date", "filed_date", "amendment_number", "filer_printed",
)
# Further columns in the DataFrame and JSON: where the row stands and how it was read.
EXTRA_COLUMNS: tuple[str, ...] = (
    "row_number", "option_action", "option_shares", "boxes", "source_lines", "extracted_by",
)

FileStatus = Literal["ok", "flagged", "needs_ocr", "failed"]
Chamber = Literal["house", "senate"]
# How a filing was read: a format's layout, scanned (not read), read by OCR or by the LLM, or no known one.
Layout = Literal["house_ptr", "house_ptr_legacy", "senate_efd", "scanned", "scanned_ocr", "llm_read", "unknown"]


@dataclass(frozen=True)
class Box:
    """A rectangle on a page, in PDF points from the top-left corner (pdfplumber's convention)."""

    page: int  # 1-based
    x0: float
    top: float
    x1: float
    bottom: float

    def to_dict(self) -> dict[str, float]:
        return {"page": self.page, "x0": round(self.x0, 1), "top": round(self.top, 1),
                "x1": round(self.x1, 1), "bottom": round(self.bottom, 1)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Box:
        return cls(int(data["page"]), data["x0"], data["top"], data["x1"], data["bottom"])


@dataclass(frozen=True)
class Flag:
    """A validation finding. Rows are flagged, never dropped."""

    code: str  # e.g. "ungrounded:ticker", "notification_before_transaction"
    message: str
    row_number: int | None = None  # None for a filing-level flag

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Flag:
        return cls(data["code"], data["message"], data.get("row_number"))


@dataclass
class Transaction:
    """One row of a PTR's transaction table, as printed, plus values derived from it."""

    row_number: int  # 1-based position in the filing
    owner: str = ""
    asset_name: str = ""
    ticker: str = ""
    asset_type: str = ""
    transaction_type: str = ""
    transaction_date: str = ""  # ISO
    notification_date: str = ""  # ISO
    amount: str = ""
    amount_min: float | None = None
    amount_max: float | None = None
    cap_gains_over_200: bool | None = None  # None: the form has no such column
    row_id: str = ""  # the transaction ID printed in the ID column (amended filings)
    filing_status: str = ""
    description: str = ""
    subholding_of: str = ""
    location: str = ""
    comments: str = ""
    option_type: str = ""
    option_contracts: int | None = None
    option_strike: float | None = None
    option_expiration: str = ""
    option_action: str = ""
    option_shares: int | None = None
    asset_type_label: str = ""  # the asset type as printed when it is a word (Senate: "Stock Option")
    received_ticker: str = ""  # an exchange naming two assets: the one received (ticker and asset_name: given up)
    received_asset_name: str = ""
    bond_rate: str = ""  # Senate bonds: "Rate/Coupon: 5.25%"
    bond_maturity: str = ""  # Senate bonds: "Matures: ..." (ISO)
    company: str = ""  # Senate non-public stock: "Company: ..." (its "Description: ..." is in description)
    page: int = 0
    boxes: list[Box] = field(default_factory=list)
    source_lines: list[str] = field(default_factory=list)
    extracted_by: str = "parser"  # parser | llm | ocr
    flags: list[Flag] = field(default_factory=list)

    @property
    def checks(self) -> str:
        return ";".join(flag.code for flag in self.flags)

    def to_dict(self) -> dict[str, Any]:
        # By hand rather than dataclasses.asdict: this runs for every row of every finished file.
        data = {name: getattr(self, name) for name in _TRANSACTION_FIELDS}
        data["source_lines"] = list(self.source_lines)
        data["boxes"] = [box.to_dict() for box in self.boxes]
        data["flags"] = [flag.to_dict() for flag in self.flags]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transaction:
        values = dict(data)
        values["boxes"] = [Box.from_dict(box) for box in values.get("boxes", [])]
        values["flags"] = [Flag.from_dict(flag) for flag in values.get("flags", [])]
        return cls(**values)


@dataclass
class Filing:
    """A parsed filing: header fields, transactions, and filing-level flags."""

    source_file: str
    sha256: str
    pages: int
    layout: Layout
    filing_id: str = ""
    filer_name: str = ""
    filer_status: str = ""
    state_district: str = ""
    signed_date: str = ""
    amendment: bool = False  # House: some row's Filing Status reads "Amended"; Senate: an "(Amendment N)"
    chamber: Chamber = "house"
    report_date: str = ""  # Senate: "Periodic Transaction Report for ..." (ISO)
    filed_date: str = ""  # Senate: "Filed MM/DD/YYYY @ ..." (ISO)
    filed_time: str = ""  # Senate: the filing's time, 24-hour "HH:MM"
    amendment_number: int = 0  # Senate: N of "(Amendment N)"; 0 for the original report
    filer_printed: str = ""  # Senate: the filer line as printed; filer_name is the name alone
    transactions: list[Transaction] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    image_only_pages: list[int] = field(default_factory=list)

    @property
    def all_flags(self) -> list[Flag]:
        return self.flags + [flag for row in self.transactions for flag in row.flags]

    @property
    def flagged_rows(self) -> int:
        return sum(1 for row in self.transactions if row.flags)

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _FILING_FIELDS}
        data["image_only_pages"] = list(self.image_only_pages)
        data["transactions"] = [row.to_dict() for row in self.transactions]
        data["flags"] = [flag.to_dict() for flag in self.flags]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Filing:
        values = dict(data)
        values["transactions"] = [Transaction.from_dict(row) for row in values.get("transactions", [])]
        values["flags"] = [Flag.from_dict(flag) for flag in values.get("flags", [])]
        return cls(**values)


_TRANSACTION_FIELDS = tuple(f.name for f in fields(Transaction))
_FILING_FIELDS = tuple(f.name for f in fields(Filing))


@dataclass
class InputFile:
    """One uploaded or named file of a run: its (safe) name and its bytes."""

    name: str
    data: bytes


@dataclass
class FileOutcome:
    """What happened to one input file: its filing when readable, or the reason it was not."""

    source_file: str
    status: FileStatus
    reason: str = ""
    filing: Filing | None = None
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return len(self.filing.transactions) if self.filing else 0

    @property
    def flagged_rows(self) -> int:
        return self.filing.flagged_rows if self.filing else 0

    def to_dict(self) -> dict[str, Any]:
        return {"source_file": self.source_file, "status": self.status, "reason": self.reason,
                "filing": self.filing.to_dict() if self.filing else None, "seconds": round(self.seconds, 4)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileOutcome:
        filing = Filing.from_dict(data["filing"]) if data.get("filing") else None
        return cls(data["source_file"], data["status"], data.get("reason", ""), filing, data.get("seconds", 0.0))
