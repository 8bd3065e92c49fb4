"""Asset names read from scans, checked against what electronic filings print (data/securities.tsv, made by
scripts/build_securities.py): a ticker at the end of a name, and the words tesseract was unsure of.

The table is evidence independent of the OCR: a low-confidence word that is a word of some security's printed
name (or a printed ticker) is confirmed, since a misread seldom lands on a real word of that vocabulary; a
word that is not stays flagged, and says so."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from agent.documents.ocr import OcrWord
from agent.formats.fields import is_ticker, normalize_ticker
from agent.formats.paper.cells import LOW_CONFIDENCE

TABLE = Path(__file__).with_name("data") / "securities.tsv"

PAREN_TICKER = re.compile(r"\(([A-Za-z][A-Za-z0-9.]{0,6})\)")

# Words of asset names that are never their ticker there (the table has some as tickers: "A", "CO", "THE").
NAME_WORDS = {"INC", "CORP", "CO", "LTD", "LP", "LLC", "PLC", "ETF", "FUND", "TR", "TRUST", "BD", "FD", "SA", "NV",
              "AG", "CL", "CLASS", "SHS", "ADR", "ADS", "ORD", "PFD", "SER", "REIT", "USD", "A", "B", "C", "I", "II",
              "III", "COM", "NEW", "THE", "OF", "AND"}

DASHES = {"-", "–", "—"}

MAX_JOINED, MIN_JOINED = 5, 2  # words run together into one token, and the fewest characters of each
MIN_RUN_TOGETHER = 6  # characters: a shorter token must be a word itself ("TRES" is not "TR" + "ES")

EDGE_SPECK = 2  # characters: a low-confidence fragment this short at either end of a name is a speck, not a word


@dataclass(frozen=True)
class Vocabulary:
    tickers: frozenset[str]
    words: frozenset[str]  # upper-case letters and digits of each word of a printed name


@cache
def vocabulary() -> Vocabulary:
    """The table's tickers and name words (empty when the table is missing: then nothing is confirmed)."""
    if not TABLE.exists():
        return Vocabulary(frozenset(), frozenset())
    with open(TABLE, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    words = {squeeze(word) for row in rows for word in row["asset_name"].split()}
    return Vocabulary(frozenset(row["ticker"] for row in rows), frozenset(words - {""}))


def squeeze(word: str) -> str:
    return re.sub(r"[^A-Z0-9&]", "", word.upper())


def split_ticker(name: str) -> tuple[str, str]:
    """(name, ticker) from an asset name as a scan prints it: "(AVDV)" anywhere, as electronic filings print
    it, or a ticker standing last after two or more words ("... Small Cap Val AVDV", "Global X Funds Uranium -
    URA", "Gold Minishares-GLDM"); the ticker is taken out of the name."""
    for match in reversed(list(PAREN_TICKER.finditer(name))):
        value = normalize_ticker(match.group(1))
        # typed in capitals ("(Stock)" is a word), or a ticker some filing printed ("(AAPl)" in an old font)
        printed = match.group(1).isupper() or value in vocabulary().tickers
        if printed and is_ticker(value) and value not in NAME_WORDS:
            return " ".join((name[:match.start()] + name[match.end():]).split()), value
    words = name.split()
    joined = bool(words) and re.fullmatch(r"[^-]{2,}-[A-Z]{2,5}", words[-1]) is not None  # "Minishares-GLDM"
    if joined:
        words = [*words[:-1], *words[-1].rsplit("-", 1)]
    before = [word for word in words[:-1] if word not in DASHES]
    if len(before) >= 2 and bare_ticker(words[-1], before, joined or words[-2] in DASHES):
        return " ".join(before), words[-1]
    return name, ""


def bare_ticker(last: str, before: list[str], set_apart: bool) -> bool:
    """Whether the last word of a name is its ticker: capitals, not a word names end with, and either a ticker
    some filing printed, set apart by a dash, or capitals after a name in mixed case that are no word of any
    security's name (in an all-capitals name only a printed ticker is taken: "TENNESSEE HSG DEV AGY")."""
    if not (last.isalpha() and last.isupper() and 2 <= len(last) <= 5) or last in NAME_WORDS:
        return False
    known = vocabulary()
    mixed_case = any(not word.isupper() for word in before if any(ch.isalpha() for ch in word))
    return last in known.tickers or set_apart or (mixed_case and squeeze(last) not in known.words)


def without_specks(words: list[OcrWord]) -> list[OcrWord]:
    """The name's words without the specks tesseract reads at its ends (grid remnants, stamp dots: "oo", "a",
    "Xx" at low confidence); capitals and digits are kept, as they may be a class letter or a series number."""
    def speck(word: OcrWord) -> bool:
        text = word.text.strip(" |_-—~.,'‘’")
        return word.conf < LOW_CONFIDENCE and len(text) <= EDGE_SPECK and not (text.isupper() or text.isdigit())
    start, end = 0, len(words)
    while start < end and speck(words[start]):
        start += 1
    while end > start and speck(words[end - 1]):
        end -= 1
    return words[start:end]


def unconfirmed_words(words: list[OcrWord]) -> list[OcrWord]:
    """The words tesseract read under LOW_CONFIDENCE that the security table does not confirm."""
    known = vocabulary()
    return [word for word in words if word.conf < LOW_CONFIDENCE
            and not known_words(squeeze(word.text), known.words) and word.text.upper() not in known.tickers]


def known_words(text: str, words: frozenset[str], most: int = MAX_JOINED) -> bool:
    """Whether `text` is a word of the table, or up to `most` of them run together (small print's tight spaces
    make one token of "MERCKANDCOINCSHS"), each at least MIN_JOINED characters, in a token of MIN_RUN_TOGETHER
    or more."""
    if text in words:
        return True
    return most > 1 and len(text) >= MIN_RUN_TOGETHER and any(
        text[:cut] in words and known_words(text[cut:], words, most - 1)
        for cut in range(MIN_JOINED, len(text) - MIN_JOINED + 1))


def asset_name_flags(words: list[OcrWord]) -> list[tuple[str, str]]:
    """The asset name's flag: none when every word was read confidently or confirmed by the table."""
    if not words:
        return [("unreadable:asset_name", "no asset name read")]
    doubtful = unconfirmed_words(words)
    if not doubtful:
        return []
    listed = ", ".join(f"{word.text!r} ({word.conf:.0f})" for word in doubtful[:4])
    return [("low_confidence:asset_name", f"asset name words read with low confidence and not the words of any "
             f"security name on file: {listed}")]
