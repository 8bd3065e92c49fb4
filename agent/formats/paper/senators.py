"""Senators' names (data/senators.tsv, made by scripts/build_senators.py from eFD's listing of report filers),
matched against the words read from a scanned Senate form's name box. The table is evidence independent of the
OCR: a slip of a letter or two ("Rou D. Blunt"; "Susan Collis" read at confidence 0) gives the senator's name as
eFD spells it, with the middle initials as written. A name the table does not hold is left as read."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path

from agent.formats.paper.header import Member, name_table

TABLE = Path(__file__).with_name("data") / "senators.tsv"

LAST_SIMILAR = 0.75  # a word this similar to a senator's last name is it ("Collis" for "Collins", "Gurr" for "Burr")
FIRST_SIMILAR = 0.6  # and another this similar to a first name written for them ("Rou" for "Roy": 0.67)
RUN_TOGETHER_SIMILAR = 0.85  # a word this similar to both names run together is them ("Johnson" is not Ron Johnson)
INITIAL = re.compile(r"^[A-Z]\.?$")


@cache
def senators() -> tuple[Member, ...]:
    """The table's names, a row for each way eFD writes one ("Thomas" and "Tom" Carper are two)."""
    return name_table(TABLE)


def _letters(word: str) -> str:
    return re.sub(r"[^A-Za-z'-]", "", word).lower()


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def known_senator(words: list[str]) -> str:
    """The senator the words of a name box name, as "First M. Last" ("" when none is named): a word (or, for
    "Van Hollen", words) within LAST_SIMILAR of a senator's last name and another within FIRST_SIMILAR of a first
    name written for them, or one word within RUN_TOGETHER_SIMILAR of both run together ("JohnBoozman", as a hand
    may write it); the initials written after the first name are kept."""
    letters = [_letters(word) for word in words]
    best: tuple[float, Member, int] | None = None
    for senator in senators():
        parts = len(senator.last.split())
        last, first = senator.last.replace(" ", "").lower(), senator.first.split()[-1].lower()
        for at in range(len(words) - parts + 1):
            last_score = _similar("".join(letters[at:at + parts]), last)
            if last_score < LAST_SIMILAR:
                continue
            for index, word in enumerate(letters):
                score = last_score + _similar(word, first)
                if not at <= index < at + parts and _similar(word, first) >= FIRST_SIMILAR and (
                        best is None or score > best[0]):
                    best = (score, senator, index)
        for word in letters:  # the two names written run together ("JohnBoozman"): no initials between them
            score = 2 * _similar(word, first + last)
            if score >= 2 * RUN_TOGETHER_SIMILAR and (best is None or score > best[0]):
                best = (score, senator, len(words))
    if best is None:
        return ""
    _, senator, index = best
    initials = []
    for word in words[index + 1:]:
        if not INITIAL.match(word.strip(",")):
            break
        initials.append(word.strip(",.") + ".")
    return " ".join([senator.first, *initials, senator.last])
