"""Asset names read from scans, checked against what electronic filings print (data/securities.tsv, made by
scripts/build_securities.py): a ticker at the end of a name, and the words tesseract was unsure of.

The table is evidence independent of the OCR: a low-confidence word that is a word of some security's printed
name (or a printed ticker) is confirmed, since a misread seldom lands on a real word of that vocabulary; a
word that is not stays flagged, and says so."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
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

MIN_EXTRA, EXTRA_SHARE = 2, 0.15  # letters a second reading may hold beyond the name read (an owner code, specks)

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
    URA", "Gold Minishares-GLDM", a printed ticker misread in lower case or followed by a speck); the ticker is
    taken out of the name."""
    for match in reversed(list(PAREN_TICKER.finditer(name))):
        value = normalize_ticker(match.group(1))
        # typed in capitals ("(Stock)" is a word), or a ticker some filing printed ("(AAPl)" in an old font)
        printed = match.group(1).isupper() or value in vocabulary().tickers
        if printed and is_ticker(value) and value not in NAME_WORDS:
            return " ".join((name[:match.start()] + name[match.end():]).split()), value
    words = name.split()
    if len(words) >= 3 and len(words[-1]) == 1 and printed_ticker(words[-2]):
        words = words[:-1]  # a speck after the ticker ("Amplify ETF Tr HACK I")
    joined = bool(words) and re.fullmatch(r"[^-]{2,}-[A-Za-z]{2,5}", words[-1]) is not None  # "Minishares-GLDM"
    if joined:
        words = [*words[:-1], *words[-1].rsplit("-", 1)]
    last = printed_ticker(words[-1]) if words else ""  # a printed ticker misread in lower case ("Tsco", "spYG")
    if last:
        words = [*words[:-1], last]
    before = [word for word in words[:-1] if word not in DASHES]
    if len(before) >= 2 and bare_ticker(words[-1], before, joined or words[-2] in DASHES):
        return " ".join(before), words[-1]
    return name, ""


def printed_ticker(word: str) -> str:
    """The word in capitals when, so written, it is a ticker some filing printed and no word of a security's name
    ("Tsco" is TSCO; "Corp" is a word); "" otherwise."""
    upper = word.upper()
    known = vocabulary()
    is_ticker_word = word.isalpha() and 2 <= len(word) <= 5 and upper not in NAME_WORDS
    return upper if is_ticker_word and upper in known.tickers and upper not in known.words else ""


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


def name_not_confirmed(name: str, ticker: str, reading: str) -> str:
    """Why a second engine's `reading` of an asset name's cell does not confirm the name (and ticker) tesseract
    read; "" when it does. A word is confirmed when the two readings have its letters at the same place (aligned
    letter by letter, spacing and punctuation aside), or, where they differ, when it is a word of some security's
    printed name of MIN_JOINED letters or more (or a printed ticker): the table is then the second reading. The
    reading must hold little that tesseract's name lacks (else that name is missing words)."""
    words = [word for word in (squeeze(part) for part in f"{name} {ticker}".split()) if word]
    unconfirmed = [word for word, confirmed in zip(words, _confirmed_words(words, squeeze(reading))) if not confirmed]
    if unconfirmed:
        return f"{', '.join(map(repr, unconfirmed[:4]))} not confirmed"
    blocks = SequenceMatcher(None, "".join(words), squeeze(reading), autojunk=False).get_matching_blocks()
    extra = len(squeeze(reading)) - sum(block.size for block in blocks)
    return f"it reads {extra} more letters" if extra > max(MIN_EXTRA, EXTRA_SHARE * len(squeeze(reading))) else ""


def without_unread_specks(name: str, reading: str) -> str:
    """The name without the fragments of EDGE_SPECK characters or fewer at either end that a second engine's
    `reading` of its cell does not have: specks tesseract alone read there ("CHEVRON CORP TS", "7 Ishares")."""
    words = name.split()
    confirmed = _confirmed_words([squeeze(word) for word in words], squeeze(reading))
    start, end = 0, len(words)
    while start < end and not confirmed[start] and len(squeeze(words[start])) <= EDGE_SPECK:
        start += 1
    while end > start and not confirmed[end - 1] and len(squeeze(words[end - 1])) <= EDGE_SPECK:
        end -= 1
    return " ".join(words[start:end])


def _confirmed_words(words: list[str], reading: str) -> list[bool]:
    """Per squeezed word: whether the squeezed `reading` has its letters at the same place, or it is a word or
    ticker of the table (see `name_not_confirmed`). A word squeezed to nothing is confirmed."""
    blocks = SequenceMatcher(None, "".join(words), reading, autojunk=False).get_matching_blocks()
    agreed = {index for block in blocks for index in range(block.a, block.a + block.size)}
    known = vocabulary()
    confirmed, start = [], 0
    for word in words:
        same = all(index in agreed for index in range(start, start + len(word)))
        confirmed.append(same or (len(word) >= MIN_JOINED and (word in known.words or word in known.tickers)))
        start += len(word)
    return confirmed


def known_name(name: str, ticker: str) -> bool:
    """Whether the name (with its ticker, when one was read) is one some electronic filing printed, letters and
    digits alike: a second reading, independent of the OCR."""
    names = printed_names()
    return squeeze(name) in names.get(ticker, names[""])


@cache
def printed_names() -> dict[str, frozenset[str]]:
    """The table's printed asset names, squeezed, by ticker; under "" all of them (none when the table is
    missing)."""
    if not TABLE.exists():
        return {"": frozenset()}
    with open(TABLE, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    by_ticker: dict[str, set[str]] = {}
    for row in rows:
        by_ticker.setdefault(row["ticker"], set()).add(squeeze(row["asset_name"]))
    every = frozenset(squeeze(row["asset_name"]) for row in rows)
    return {"": every, **{ticker: frozenset(found) for ticker, found in by_ticker.items()}}


def asset_name_flags(words: list[OcrWord], name: str, ticker: str) -> list[tuple[str, str]]:
    """The flag of the asset name read as `words` (split into `name` and `ticker`). Tesseract's words are one
    reading: the name is unflagged only when some filing printed it (`known_name`); otherwise it is flagged for a
    second engine to confirm (agent/formats/paper/confirm.py), and the flag lists the words read with low
    confidence that no security's name has."""
    if not words:
        return [("unreadable:asset_name", "no asset name read")]
    doubtful = unconfirmed_words(words)
    if not doubtful:
        if known_name(name, ticker):
            return []
        return [("low_confidence:asset_name", "asset name read by one engine only, and no filing on file prints it")]
    listed = ", ".join(f"{word.text!r} ({word.conf:.0f})" for word in doubtful[:4])
    return [("low_confidence:asset_name", f"asset name words read with low confidence and not the words of any "
             f"security name on file: {listed}")]
