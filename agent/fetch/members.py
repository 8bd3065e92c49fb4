"""Finding a member in the index from a name a person types ("Josh Gottheimer", "Gottheimer, Josh", "gottheimer").

Names are as filers typed them: `First` may carry a middle name or a title ("Mark Dr", "Marjorie Taylor Mrs") and
change across years. A member is last name + first given name + state/district; a district tells namesakes apart.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agent.fetch.index import IndexRecord

TITLES = frozenset({"hon", "mr", "mrs", "ms", "miss", "dr", "jr", "sr", "ii", "iii", "iv", "rep", "sen"})
CLOSEST = 5
DISTRICT = re.compile(r"([A-Z]{2})(\d{0,2})")


def _fold(text: str) -> str:
    """Lower case, accents and punctuation gone: 'Sánchez' and 'sanchez', "O'Rourke" and 'orourke' meet."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^\w\s]", "", plain.casefold().replace("-", " ")).strip()


def _given(first: str) -> list[str]:
    return [word for word in _fold(first).split() if word not in TITLES]


def normalise_district(text: str) -> str:
    """'nj-5', 'NJ05', 'NJ 5' -> 'NJ05'; a state alone ('NJ') stays a state. Raises ValueError on anything else."""
    compact = re.sub(r"[\s\-]", "", text).upper()
    match = DISTRICT.fullmatch(compact)
    if not match:
        raise ValueError(f"{text!r}: give a state and district like NJ05 (or a state alone, like NJ)")
    state, number = match.groups()
    return state + (f"{int(number):02d}" if number else "")


@dataclass(frozen=True)
class Member:
    """One member as the index names them (the spelling of their latest filing)."""

    last: str
    first: str
    state_district: str

    @property
    def label(self) -> str:
        return f"{self.first} {self.last} ({self.state_district or 'no district'})"

    @property
    def key(self) -> tuple[str, str, str]:
        given = _given(self.first)
        return _fold(self.last), given[0] if given else "", self.state_district


def member_of(record: IndexRecord) -> Member:
    return Member(record.last, record.first, record.state_district)


def members_in(records: Iterable[IndexRecord]) -> list[Member]:
    """Each member once, under the spelling of their latest record, sorted by name."""
    by_key: dict[tuple[str, str, str], tuple[str, Member]] = {}
    for record in records:
        member = member_of(record)
        seen = by_key.get(member.key)
        if seen is None or record.filing_date >= seen[0]:
            by_key[member.key] = (record.filing_date, member)
    return sorted((member for _, member in by_key.values()), key=lambda m: (_fold(m.last), _fold(m.first),
                                                                              m.state_district))


def is_member(record: IndexRecord, member: Member) -> bool:
    return member_of(record).key == member.key


def _readings(name: str) -> list[tuple[list[str], list[str]]]:
    """(last-name words, given-name words) readings of what was typed: 'Last, First' is read one way; otherwise
    every split, as last names have several words too ('Van Orden', 'Ekpete Kama'), given names first."""
    if "," in name:
        last, given = name.split(",", 1)
        return [(_fold(last).split(), _fold(given).split())]
    words = _fold(name).split()
    return [(words[index:], words[:index]) for index in range(len(words))]


def _reversed_readings(name: str) -> list[tuple[list[str], list[str]]]:
    """'Gottheimer Josh': the last name first, without a comma (tried when the usual order finds nobody)."""
    words = _fold(name).split()
    return [] if "," in name else [(words[:index], words[index:]) for index in range(1, len(words))]


def _matches(member: Member, last: list[str], given: list[str]) -> bool:
    if _fold(member.last).split() != last:
        return False
    names = _given(member.first)
    # every given word typed is one of the member's, or its initial ('J' for 'Josh')
    return all(any(name == word or (len(word) == 1 and name.startswith(word)) for name in names) for word in given)


@dataclass(frozen=True)
class MemberMatch:
    """What a typed name found: one member, several (namesakes: pick by district), or none (the closest names)."""

    query: str
    members: list[Member]
    closest: list[Member]

    @property
    def member(self) -> Member | None:
        return self.members[0] if len(self.members) == 1 else None

    def problem(self) -> str:
        """One line for a name that found no member or several; '' when it found one."""
        if len(self.members) > 1:
            return (f"{self.query!r} matches {len(self.members)} members: "
                    f"{'; '.join(m.label for m in self.members)}. Give the district (--district ST00)")
        if not self.members:
            closest = "; ".join(m.label for m in self.closest)
            return f"no member named {self.query!r} in the index" + (f"; closest: {closest}" if closest else "")
        return ""


def members_named(members: Sequence[Member], name: str, district: str = "") -> list[Member]:
    """The members a typed name means. `district` is 'NJ05' or a state ('NJ'), already normalised."""
    found: list[Member] = []
    for readings in (_readings(name), _reversed_readings(name)):
        for last, given in readings:
            given = [word for word in given if word not in TITLES]
            found += [member for member in members if _matches(member, last, given) and member not in found]
        if found:
            break
    return [member for member in found if member.state_district.startswith(district)]


def find_member(records: Sequence[IndexRecord], name: str, district: str = "") -> MemberMatch:
    """The member(s) a typed name means among everyone the index lists (any filing type, so a member with no PTR
    is found, and told so), or the closest names when it means nobody."""
    everyone = members_in(records)
    found = members_named(everyone, name, district)
    closest: list[Member] = []
    if not found:
        labels = {f"{_fold(m.first)} {_fold(m.last)}": m for m in everyone}
        labels.update({_fold(m.last): m for m in everyone if _fold(m.last) not in labels})
        wanted = " ".join(_fold(name.replace(",", " ")).split())
        for label in difflib.get_close_matches(wanted, list(labels), n=CLOSEST * 2, cutoff=0.6):
            if labels[label] not in closest:
                closest.append(labels[label])
    return MemberMatch(name.strip(), found, closest[:CLOSEST])
