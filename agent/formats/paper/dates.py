"""Dates read from scans: a reading of a date cell in any printed form, and deciding between readings. A date is
trusted when two readings agree; otherwise it is the candidate all its readings are fewest edits from (partial
readings completed within the column's months), and a pair that cannot both be right is repaired from another
reading. Every such value is flagged with what was read and what was taken."""

from __future__ import annotations

import calendar
import contextlib
import re
from collections import Counter
from collections.abc import Collection
from datetime import date

from agent.models import Transaction

EDGE_JUNK = re.compile(r"^[^0-9A-Za-z]+|[^0-9A-Za-z]+$")  # rules, specks and quotes read around a date

DATE_SHAPE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})$")

DIGITISH = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "i": "1", "S": "5",
                           "s": "5", "B": "8", "Z": "2", "z": "2", ".": "/", ",": "/"})

MIN_DIGITS_TO_COMPLETE = 3  # a partial date reading with fewer digits says too little to complete

MAX_EDITS = 3  # characters a partial date reading may be off from the date it is completed to

KNOWN_DAY_BONUS = 0.5  # edits a day already settled in the column is favoured by (breaks ties, never more)

CONSISTENT_DAYS = 180  # a notification this long after its transaction is rare; a year apart, a misread


def read_date(text: str) -> tuple[str, bool]:
    """ISO date from an OCR token, and whether characters had to be repaired ("", False when unreadable)."""
    cleaned = EDGE_JUNK.sub("", text)
    repaired = cleaned.translate(DIGITISH)
    match = DATE_SHAPE.match(repaired)
    if not match:
        return "", False
    month, day, year = (int(g) for g in match.groups())
    if year < 100:
        year += 2000
    try:
        value = date(year, month, day)
    except ValueError:
        return "", False
    if not 2008 <= value.year <= 2030:
        return "", False
    return value.isoformat(), repaired != cleaned


def decide_date(readings: list[tuple[str, float, str]], name: str, flags: list[tuple[str, str]],
                usual_year: int | None = None, usual_months: Collection[tuple[int, int]] = (),
                known: Collection[str] = ()) -> str:
    """One date from several readings of its cell, each (ISO or "", confidence, text read), the preferred
    first. Two readings that agree, and none that reads another date, are trusted (tesseract's own confidence for
    digits says little; two readings outvoting a third give the date, flagged), and so is
    a date read whole by one reading alone (none reading another) that the column's other rows settled
    (`known`), when the partial readings are nearest it too: on these forms a date repeats down the column, and
    a misread seldom lands on one that does.
    Anything less is flagged. Otherwise the date taken is the one all the readings, whole or partial, are
    fewest character edits from, among the dates read and the days of the months the column's settled
    dates fall in (`usual_months`, (year, month) pairs; `known`, the settled dates, win ties). Failing a
    clear winner, a reading in the year the page's settled dates share is taken first (a misread year,
    2028 for 2025, is the commonest slip)."""
    label = name.replace("_", " ")
    values = [iso for iso, _, _ in readings if iso]
    texts = " and as ".join(repr(text) for _, _, text in readings if text)
    if values and (best := Counter(values).most_common(1)[0])[1] >= 2:
        if len(set(values)) > 1:  # outvoted, not unanimous: tesseract's readings of one cell err alike
            flags.append((f"low_confidence:{name}", f"{label} read as {texts}; taken as most readings have it"))
        return best[0]
    candidates = {*values, *(date(year, month, number).isoformat() for year, month in set(usual_months)
                             for number in range(1, calendar.monthrange(year, month)[1] + 1))}
    nearest = nearest_date([text for _, _, text in readings], candidates, known)
    if len(set(values)) == 1 and values[0] in known and nearest == values[0]:
        return values[0]  # read whole once, the partial readings nearest it, and the column settled it elsewhere
    if not values and not nearest:
        flags.append((f"unreadable:{name}", f"no {label} could be read"))
        return ""
    how = "; completed from the column's month and year" if nearest and nearest not in values else ""
    flags.append((f"low_confidence:{name}", f"{label} read as {texts}{how}"))
    return nearest or next((iso for iso in values if int(iso[:4]) == usual_year), values[0])


def printed_forms(day: date) -> list[str]:
    return [f"{day:%m/%d/%y}", f"{day.month}/{day.day}/{day.year}", f"{day:%m/%d/%Y}", f"{day:%m-%d-%Y}"]


def nearest_date(texts: list[str], candidates: Collection[str], known: Collection[str] = ()) -> str:
    """The candidate date (ISO) whose printed forms the readings `texts` are on average fewest character
    edits from; "" when that is more than MAX_EDITS or not clearly fewer than for every other candidate.
    A date the column already holds (`known`) wins a tie: on these forms one notification date usually
    repeats down the column."""
    texts = [text for text in texts if sum(ch.isdigit() for ch in text) >= MIN_DIGITS_TO_COMPLETE]
    if not texts or not candidates:
        return ""
    costs = {}
    for iso in candidates:
        forms = printed_forms(date.fromisoformat(iso))
        edits = sum(min(edit_distance(text, form) for form in forms) for text in texts) / len(texts)
        costs[iso] = edits - (KNOWN_DAY_BONUS if iso in known else 0.0)
    ranked = sorted(costs.items(), key=lambda item: item[1])
    (best, cost), runner_up = ranked[0], (ranked[1][1] if len(ranked) > 1 else float("inf"))
    return best if cost <= MAX_EDITS and runner_up - cost >= KNOWN_DAY_BONUS else ""


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest characters inserted, deleted or replaced to turn a into b."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def repair_dates(row: Transaction, flags: list[tuple[str, str]], readings: dict[str, list[str]],
                 usual_years: dict[str, int | None]) -> None:
    """A row's dates must be in order and close: a notification before its transaction, more than
    CONSISTENT_DAYS after it, or a date in the future is a misread. A date is changed, with a flag, to
    another reading of its cell that makes the pair consistent; failing that, a doubtful date (its readings
    disagreed) or an impossible one (in the future) to the same day in its column's usual year or the other
    date's year, when that does. A pair read the same way by every reading stays as printed (a filer's
    typo is the document's). `readings` holds each date's readings (ISO, "" when unread)."""
    names = ("transaction_date", "notification_date")
    if not all(getattr(row, name) for name in names) or dates_consistent(row.transaction_date, row.notification_date):
        return
    doubtful = {code.split(":")[1] for code, _ in flags if code.startswith("low_confidence:")}
    today = date.today().isoformat()
    for name, other in (names, names[::-1]):
        value = getattr(row, name)
        read = date.fromisoformat(value)
        candidates = [(iso, f"another reading of it, {date.fromisoformat(iso):%m/%d/%Y}, taken")
                      for iso in dict.fromkeys(readings.get(name, [])) if iso and iso != value]
        if name in doubtful or value > today:
            for year in dict.fromkeys(filter(None, (usual_years.get(name), int(getattr(row, other)[:4])))):
                with contextlib.suppress(ValueError):  # 29 February
                    candidates.append((read.replace(year=year).isoformat(), f"year taken as {year}"))
        for fixed, how in candidates:
            pair = (fixed, row.notification_date) if name == names[0] else (row.transaction_date, fixed)
            if fixed != value and dates_consistent(*pair):
                reason = (f"{name.replace('_', ' ')} read as {read:%m/%d/%Y}, which cannot be right beside the "
                          f"{other.replace('_', ' ')}; {how}")
                flags.append((f"low_confidence:{name}", reason))
                setattr(row, name, fixed)
                return


def dates_consistent(transaction: str, notification: str) -> bool:
    days = (date.fromisoformat(notification) - date.fromisoformat(transaction)).days
    return 0 <= days <= CONSISTENT_DAYS and max(transaction, notification) <= date.today().isoformat()
