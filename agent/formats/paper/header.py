"""The filing's own fields on a scan: the filer from the form's "NAME:" field, the filing ID from the file name.

A paper form prints no filing ID: the Clerk gives one (the DocID) when it publishes the scan, and names the PDF
after it (8218109.pdf). The filer's name is typed or written after "NAME:" at the top of the form and of typed
attachments. Given the names of the people who file (House PTR filers, data/house_members.tsv, from the Clerk's
public indexes by scripts/build_members.py), the words read there are matched to one of them, misreads and all
("Harald Dallas Rogers", "Speier" read at confidence 15), and where tesseract read none of them the field is read
again by the second engine, which reads handwriting; otherwise only a name tesseract read confidently is taken, and
else the filer is left blank."""

from __future__ import annotations

import csv
import re
from collections.abc import Collection
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path, PurePath

from agent.documents.ocr import OcrPage, OcrWord, read_cells
from agent.formats.paper.cells import JUNK_TEXT, LOW_CONFIDENCE, ocr_lines
from agent.formats.paper.dates import edit_distance

MEMBERS = Path(__file__).with_name("data") / "house_members.tsv"

DOCID_FILE = re.compile(r"^(\d{7,8})\.pdf$", re.IGNORECASE)  # the Clerk's DocIDs are 7 or 8 digits

NAME_LABEL = "name:"  # with its colon: "FULL ASSET NAME" heads a column
LABEL_MISREAD = 2  # letters of the label that may be misread ("wane,"): what follows must still be a name

NAME_WORD = re.compile(r"^[A-Z][A-Za-z.'-]*,?$", re.IGNORECASE)

BELOW_LABEL = 25.0  # points: how far under its label, and how far aside, a name typed below it starts

NAME_FIELD = 250.0  # points: how wide the name field is, where nothing read bounds it

NAME_GAP = 30.0  # points: a word this far after the name's last one is another field or the Clerk's stamp

# What follows the name on the form's first line: the telephone field, the Clerk's stamp, the page counter.
AFTER_NAME = {"OFFICE", "TELEPHONE:", "HAND", "DELIVERED", "PAGE", "LEGISLATIVE", "STATE:", "DISTRICT:"}

SIMILAR = 0.8  # a word read this like a name's word (difflib's ratio) is that word misread
EXACT_UNDER = 5  # letters: a shorter name must be read exactly ("Self" is not "Sell")


@dataclass(frozen=True)
class Member:
    """A member of Congress as a name table has them: the House filers' (the Clerk's index) or the senators'."""

    last: str
    first: str  # the given names as written there ("Charles J."; eFD's "Thomas" and "Tom" are two rows)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def name_table(path: Path) -> tuple[Member, ...]:
    """A table of names (a `last` and a `first` column, tab-separated); none when it is missing: then no name is
    matched and every name is left as read."""
    if not path.exists():
        return ()
    with open(path, newline="", encoding="utf-8") as handle:
        return tuple(Member(row["last"], row["first"]) for row in csv.DictReader(handle, delimiter="\t"))


@cache
def house_members() -> tuple[Member, ...]:
    """The House PTR filers' names."""
    return name_table(MEMBERS)


def filing_id_from_name(source: str) -> str:
    """The DocID a House scan's file name carries ("8218109.pdf" -> "8218109"); "" for other names."""
    match = DOCID_FILE.match(PurePath(source).name)
    return match.group(1) if match else ""


def filer_from_pages(pages: list[OcrPage], known: Collection[Member] = ()) -> str:
    """The filer named in a "NAME:" field on any page: one of the `known` names the words there match
    (`matching_member`), else the first name read confidently there ("" when none is)."""
    fields = [words for page in pages for words in name_fields(ocr_lines(page.words))]
    for words in fields if known else []:
        member = matching_member(words, known)
        if member is not None:
            return member.name
    confident = next((name for name in map(confident_name, fields) if name), "")
    if confident or not known:
        return confident
    member = next((found for page in pages if (found := member_read_again(page, known)) is not None), None)
    return member.name if member is not None else ""


def member_read_again(page: OcrPage, known: Collection[Member]) -> Member | None:
    """The known name the second engine reads in the page's name field (it reads handwriting): after the
    "NAME:" label, or, when tesseract did not read the label, left of the "OFFICE TELEPHONE:" field that
    follows it on the form's first line."""
    cells = []
    for line in ocr_lines(page.words):
        label = next((word for word in line if is_name_label(word.text)), None)
        end = next((word for word in line if word.text.upper() in AFTER_NAME
                    and (label is None or word.x0 > label.x1)), None)
        if label is not None:
            right = end.x0 - 1 if end is not None else label.x1 + NAME_FIELD
            cells.append((label.x1 + 1, label, right))
        elif end is not None and end.text.upper() == "OFFICE":
            cells.append((max(0.0, end.x0 - NAME_FIELD), end, end.x0 - 1))
    if not cells:
        return None
    read = read_cells(page, [(left, word.top - (word.bottom - word.top), right,
                              word.bottom + (word.bottom - word.top) / 2) for left, word, right in cells]) or []
    texts = [[OcrWord(part, 0, 0, 0, 0, word.conf) for part in word.text.split()] for word in read]
    return next((member for words in texts if (member := matching_member(words, known)) is not None), None)


def name_fields(lines: list[list[OcrWord]]) -> list[list[OcrWord]]:
    """The words of each "NAME:" field: after its label up to the next field (or a wide gap), or, when nothing
    follows the label, on the next line that starts under it (the form's field is two lines high)."""
    fields = []
    for index, line in enumerate(lines):
        label = next((position for position, word in enumerate(line) if is_name_label(word.text)), None)
        if label is None:
            continue
        after = field_words(line[label + 1:])
        if not any(len(letters(word.text)) >= 2 for word in after):  # specks only: the name is typed below
            after = field_words(words_below(line[label], lines[index + 1:]))
        if after:
            fields.append(after)
    return fields


def is_name_label(text: str) -> bool:
    """"NAME:", up to LABEL_MISREAD letters misread, its colon perhaps read as a comma ("wane,")."""
    same_shape = len(text) == len(NAME_LABEL) and text[-1] in ":,;"
    return same_shape and edit_distance(text[:-1].lower(), NAME_LABEL[:-1]) <= LABEL_MISREAD


def words_below(label: OcrWord, following: list[list[OcrWord]]) -> list[OcrWord]:
    """The words of the first line under `label` that starts under it (specks aside), or none."""
    for below in following:
        words = [word for word in below if not JUNK_TEXT.match(word.text)]
        if not words:
            continue
        if words[0].top - label.bottom > BELOW_LABEL:
            return []
        if abs(words[0].x0 - label.x0) <= BELOW_LABEL:
            return words
    return []


def field_words(words: list[OcrWord]) -> list[OcrWord]:
    """The words of a field, specks aside, up to the next field's label or a wide gap."""
    kept: list[OcrWord] = []
    for word in words:
        if JUNK_TEXT.match(word.text):
            continue
        if word.text.upper() in AFTER_NAME or (kept and word.x0 - kept[-1].x1 > NAME_GAP):
            break
        kept.append(word)
    return kept


def confident_name(words: list[OcrWord]) -> str:
    """Two or more name-shaped words read with confidence, from the field's first."""
    taken: list[str] = []
    for word in words:
        if not NAME_WORD.match(word.text) or word.conf < LOW_CONFIDENCE:
            break
        taken.append(word.text.rstrip(","))
    name = " ".join(taken) if len(taken) >= 2 else ""
    return name.title() if name.isupper() else name  # "MICHAEL MCCAUL" as a name is written


def matching_member(words: list[OcrWord], known: Collection[Member]) -> Member | None:
    """The one known name whose last name the field's words hold most closely (`likeness`), with its first given
    name too when more than one known name has that last name. None when no name, or more than one, matches so."""
    read = [text for text in (letters(word.text) for word in words) if text]
    scores = {member: likeness(read, letters(member.last)) for member in known}
    best = max(scores.values(), default=0.0)
    by_last = [member for member, score in scores.items() if score and score == best]
    if len({letters(member.last) for member in by_last}) != 1:
        return None
    if len(by_last) == 1:
        return by_last[0]
    with_first = [member for member in by_last if member.first and likeness(read, letters(member.first.split()[0]))]
    return with_first[0] if len(with_first) == 1 else None


def letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def likeness(read: list[str], wanted: str) -> float:
    """How closely a word read is `wanted`: 1 read exactly. When both have EXACT_UNDER letters or more, also its
    difflib ratio when SIMILAR or over (misread a little), or, for a word holding it run together with another
    ("rohitkhanna"), a half and half the share of the word it fills. 0 when none is."""
    best = 0.0
    for text in read:
        if text == wanted:
            return 1.0
        if min(len(text), len(wanted)) >= EXACT_UNDER:
            ratio = SequenceMatcher(None, text, wanted).ratio()
            best = max(best, ratio if ratio >= SIMILAR else (1 + len(wanted) / len(text)) / 2 if wanted in text else 0)
    return best
