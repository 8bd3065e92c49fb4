"""The offline Ask brain: a deterministic reader of the common requests, so the same request over the same rows
gives the same plan and the same answer.

It reads the words it knows: what the filings do not disclose (prices, returns, motives, other events, the future,
holdings), profile words ("cautious", "no options", "ten-year horizon"), the members and tickers found in the rows
(and company names printed in their assets), years, months and dates, buys and sales, options, the outputs asked
for (CSV, report, trace) and the question kinds of agent.ask.queries. The plan says what it understood and what it
did not; its answer is the queries' own statements, each citing the rows it rests on.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from agent.analysis.fit import Horizon, InvestorProfile, RiskLevel
from agent.ask.answer import CannotAnswer, Sentence, not_disclosed
from agent.ask.brain import AskState, Draft, Output, QueryCall, Understanding
from agent.ask.queries import QUERY_TOOLS, AskContext, Options, QueryResult, Side, member_name
from agent.run.events import Event


@dataclass(frozen=True)
class Undisclosed:
    """Something a PTR does not hold, how a request asks for it, and the question nearest to it that it can answer."""

    pattern: re.Pattern[str]
    what: str
    why: str
    closest: str  # "{subject}": the trades the request is about ("Pelosi's NVDA trades")


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(patterns), re.IGNORECASE)


UNDISCLOSED = (
    Undisclosed(_words(r"\bprices?\b", r"\bquotes?\b", r"\bworth (now|today)\b", r"\bcurrent(ly)? (value|worth)",
                       r"\bmarket value\b", r"\btrading at\b", r"\bhow many shares\b", r"\bshare count\b"),
                "what an asset's price or number of shares was",
                "a PTR gives each trade's date, side and amount bracket, never a price or a number of shares.",
                "What was the estimated amount of {subject}?"),
    Undisclosed(_words(r"\breturns?\b", r"\bprofit", r"\blos(s|ses|t money)\b", r"\bmade money\b",
                       r"\bmake money\b", r"\bperform(ed|ance)?\b", r"\boutperform", r"\bbeat the market\b",
                       r"\bgains?\b", r"\bearn", r"\bhow much did \w+ make\b"),
                "what the trades returned (a gain or a loss)",
                "they give no prices, so no gain or loss can be worked out from them.",
                "Which were {subject}, and when were they made?"),
    Undisclosed(_words(r"\bwhy\b", r"\bmotiv", r"\breasons? (for|behind)\b", r"\binsider\b", r"\binside information\b",
                       r"\bintent", r"\bknew\b", r"\bthinking\b"),
                "why a member traded",
                "they record what was traded, when, and for about how much; never the reasons.",
                "When were {subject} made, and when were they disclosed?"),
    Undisclosed(_words(r"\bhearings?\b", r"\bcommittees?\b", r"\bnews\b", r"\bearnings (call|report|release)",
                       r"\bbills?\b", r"\bvot(e|es|ed|ing)\b", r"\blegislation\b", r"\bannouncements?\b"),
                "anything about hearings, votes, bills or news",
                "they hold the trades alone; the dates of other events are not in them.",
                "When were {subject} made?"),
    Undisclosed(_words(r"\bpredict", r"\bforecast", r"\bwill (it|they|the stock|\w+) (go up|rise|fall|drop|grow)",
                       r"\bgoing to (rise|fall|go up|drop)", r"\bnext (week|month|year)\b", r"\bfuture\b"),
                "what will happen next",
                "they report trades already made.",
                "Which tickers were traded most?"),
    Undisclosed(_words(r"\bnet worth\b", r"\bholdings?\b", r"\bportfolio (size|value)\b", r"\bsalary\b",
                       r"\bhow rich\b", r"\bwealth\b"),
                "what a member owns or earns",
                "a PTR lists trades with amount brackets, not holdings, wealth or income.",
                "What is the estimated amount of {subject}?"),
)

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "a": 1, "an": 1}
_COUNT = r"(\d+|" + "|".join(_NUMBER_WORDS) + r")"
_MONTHS = {name: number for number, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
     "december"), start=1)}
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_TOKEN = re.compile(rf"\b(\d{{4}}-\d{{2}}-\d{{2}})\b|\b{_MONTH}\s+(\d{{4}})\b|\b(199\d|20[0-4]\d)\b",
                         re.IGNORECASE)
_RELATIVE_TIME = _words(r"\b(this|last|that|next|previous) (week|month|quarter|year)\b", r"\brecent(ly)?\b",
                        r"\byesterday\b", r"\btoday\b", r"\blately\b", r"\bthe same month\b")
_INJECTION = _words(r"\bignore (all |any )?(the )?(previous|prior|above|earlier|your) (instructions|rules|prompts?)",
                    r"\byou are now\b", r"\bsystem prompt\b", r"\bpretend\b", r"\bdisregard\b")

KINDS: dict[str, re.Pattern[str]] = {
    "count_trades": _words(r"\bhow many\b", r"\bnumber of\b", r"\bcount\b"),
    "sum_amounts": _words(r"\bhow much\b", r"\btotal\b", r"\bsum\b", r"\bvolume\b", r"\bamounts?\b", r"\bvalue\b",
                          r"\bworth\b", r"\bdollars?\b", r"\bspen[dt]\b", r"\binvested\b"),
    "top_tickers": _words(r"\btop\b", r"\bmost (traded|bought|sold|active|popular|frequent)", r"\bfavou?rite",
                          r"\bmost often\b", r"\bbiggest\b", r"\blargest\b"),
    "date_range": _words(r"\bwhen\b", r"\bdate range\b", r"\b(first|last) (trade|time)\b", r"\bearliest\b",
                         r"\blatest\b", r"\bwhat period\b", r"\btime ?span\b", r"\bwhich dates\b"),
    "per_member": _words(r"\bper (member|filer)\b", r"\beach (member|filer)\b", r"\bby member\b", r"\bwho\b",
                         r"\b(which|what) (members?|filers?|senators?|representatives?)\b"),
    "per_ticker": _words(r"\bper (ticker|stock)\b", r"\beach (ticker|stock)\b", r"\bby (ticker|stock|asset)\b",
                         r"\b(which|what) (tickers|stocks|companies|assets|securities)\b"),
    "options_by_expiry": _words(r"\bexpir"),
    "late_disclosures": _words(r"\blate\b", r"\blater than\b", r"\bdelay", r"\bslow\b", r"\btook (the )?longest\b",
                               r"\bon time\b", r"\bdeadline\b", r"\b45[- ]day"),
    "clustered_trades": _words(r"\bclusters?\b", r"\bclustered\b", r"\bsame (time|week|days?)\b", r"\btogether\b",
                               r"\bcoordinated\b", r"\bat once\b"),
    "list_trades": _words(r"\blist\b", r"\bshow\b", r"\b(which|what) (trades|transactions)\b",
                          r"\bwhat did .* (buy|sell|trade)\b", r"\bwhat (was|were) (bought|sold|traded)\b",
                          r"\bwhich (of these|options|option trades)\b", r"\bdetails\b"),
    "compare": _words(r"\bcompare\b", r"\bcomparison\b", r"\bvs\.?(?=\s)", r"\bversus\b", r"\bdifference between\b"),
    "overview": _words(r"\bsummar", r"\boverview\b", r"\btell me about\b", r"\bextract\b", r"\bread (these|them)\b",
                       r"\bwhat('s| is| do) (in|these)\b"),
    "investor_fit": _words(r"\bfits?\b", r"\bmatch(es)?\b", r"\bsuits?\b", r"\bsuitable\b", r"\bmy preferences\b",
                           r"\bmy profile\b", r"\bshould i copy\b", r"\bcopy(ing)? (these|this|them|her|his|the)\b"),
}
KIND_WORDS = {
    "count_trades": "how many trades", "sum_amounts": "the estimated amount", "top_tickers": "the top tickers",
    "date_range": "when the trades were made", "per_member": "who traded", "per_ticker": "what was traded",
    "options_by_expiry": "options by expiry", "late_disclosures": "late disclosures",
    "clustered_trades": "members trading together", "list_trades": "the trades themselves",
    "compare": "a comparison", "investor_fit": "the fit with a profile", "overview": "an overview",
}
OUTPUTS: dict[Output, re.Pattern[str]] = {
    "csv": _words(r"\bcsv\b", r"\bspreadsheet\b", r"\bexcel\b"),
    "report": _words(r"\breport\b", r"\bsummary\b", r"\btext file\b", r"\bwrite-?up\b", r"\bmarkdown\b"),
    "trace": _words(r"\btrace\b", r"\blog\b", r"\bjsonl\b"),
}
_BUY = _words(r"\b(bought|buys?|buying|purchases?|purchased|purchasing)\b")
_SELL = _words(r"\b(sold|sells?|selling|sales?)\b")
_EXCHANGE = _words(r"\bexchang(e|es|ed)\b")
_NO_OPTIONS = _words(r"\bno options\b", r"\bavoid(s|ing)? options\b", r"\bno derivatives\b",
                     r"\bdon'?t (want|like|trade|use|buy) options\b", r"\bnever options\b")
_EXCLUDE_OPTIONS = _words(r"\b(excluding|without|except|apart from|not counting|leaving out) (the )?options\b",
                          r"\bnon-?options?\b", r"\bno options\b")
_OPTIONS = _words(r"\boptions?\b", r"\bcalls\b", r"\bputs\b", r"\bleaps\b")
_RISK: dict[RiskLevel, re.Pattern[str]] = {
    "low": _words(r"\bcautious\b", r"\bconservative\b", r"\bcareful\b", r"\brisk[- ]averse\b", r"\blow[- ]risk\b",
                  r"\bprudent\b"),
    "medium": _words(r"\bmoderate\b", r"\bbalanced\b", r"\bmedium[- ]risk\b"),
    "high": _words(r"\baggressive\b", r"\bhigh[- ]risk\b", r"\brisk[- ]taker\b", r"\bspeculative\b", r"\brisky\b",
                   r"\bbold\b"),
}
_HORIZON: dict[Horizon, re.Pattern[str]] = {
    "long": _words(r"\blong[- ]term\b", r"\blong horizon\b", r"\bretirement\b", r"\bbuy[- ]and[- ]hold\b"),
    "short": _words(r"\bshort[- ]term\b", r"\bday[- ]trad", r"\bshort horizon\b"),
    "medium": _words(r"\bmedium[- ]term\b", r"\bmid[- ]term\b", r"\bmedium horizon\b"),
}
_YEARS_HORIZON = re.compile(rf"\b{_COUNT}[- ](year|month)s?[- ](horizon|term|hold)", re.IGNORECASE)
_MAX_POSITION = re.compile(r"\b(no more than|at most|max(imum)?|under|below|less than|up to)\s+(\d+(?:\.\d+)?)\s*"
                           r"(%|percent)", re.IGNORECASE)
_PROFILE_CUE = _words(r"\binvestor\b", r"\bi'?m\b", r"\bi am\b", r"\bmy\b", r"\bprofile\b")
_WITHIN = re.compile(rf"\bwithin\s+{_COUNT}\s+(day|week|month|year)s?\b", re.IGNORECASE)
_TOP = re.compile(rf"\btop\s+{_COUNT}\b", re.IGNORECASE)
_DAYS = re.compile(r"\b(\d+)\s*[- ]?days?\b", re.IGNORECASE)
_CAPITALISED = re.compile(r"(?<![\w'])([A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?:'s)?\b")
_UPPER = re.compile(r"(?<![\w.$])\$?([A-Z]{1,5}(?:\.[A-Z])?)(?!\w)")
# Capitalised words that are not names: sentence words, months, days, places and bodies.
_NOT_NAMES = frozenset((
    "I", "I'm", "Im", "What", "Which", "Who", "Whom", "When", "Where", "Why", "How", "Did", "Does", "Do", "Is",
    "Are", "Was", "Were", "Has", "Have", "Had", "Can", "Could", "Would", "Should", "Will", "Give", "Show", "List",
    "Tell", "Make", "Write", "Extract", "Read", "Compare", "Count", "Find", "Please", "Also", "And", "Or", "But",
    "The", "A", "An", "In", "On", "Of", "For", "From", "To", "By", "With", "Between", "After", "Before", "Since",
    "During", "Any", "All", "Each", "Every", "Top", "Total", "My", "Me", "It", "Its", "Her", "His", "Their",
    "These", "This", "That", "Those", "Then", "Than", "Senate", "Senator", "House", "Congress", "Congressman",
    "Congresswoman", "Representative", "Rep", "Sen", "Hon", "Mr", "Mrs", "Ms", "Dr", "Democrat", "Democrats",
    "Republican", "Republicans", "Ignore", "Yes", "No", "Not", "Only", "Just", "Options", "Option", "Stock",
    "Stocks", "Trades", "Trade", "Filings", "Filing", "Library", "Run", "Report", "Summary", "Csv", "Investor",
    "Risk", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Jan", "Feb", "Mar",
    "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
)) | {month.capitalize() for month in _MONTHS}
# Upper-case words that are not tickers.
_NOT_TICKERS = frozenset((
    "I", "A", "CSV", "PDF", "PDFS", "ETF", "ETFS", "US", "USA", "USD", "OK", "PTR", "PTRS", "IPO", "CEO", "LLM",
    "AI", "JSON", "JSONL", "HTML", "SEC", "IRA", "LLC", "INC", "NYSE", "ID", "TV", "OR", "AND", "THE", "ME", "MY",
    "DO", "NO", "IS", "IT", "IN", "ON", "OF", "TO", "BY", "VS", "UK", "EU", "EFD", "TL", "DR", "FYI", "ASAP",
))
# Words too common to stand for a company when they start an asset's name.
_GENERIC_ASSET_WORDS = frozenset((
    "the", "united", "american", "general", "first", "national", "international", "global", "new", "bank", "fund",
    "trust", "group", "corp", "class", "common", "stock", "shares", "ishares", "vanguard", "spdr", "invesco",
    "schwab", "fidelity", "select", "company", "holdings", "inc", "capital", "financial", "energy", "health",
    "technology", "series", "municipal", "county", "city", "state", "treasury", "note", "notes", "bond", "bonds",
))


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text.lower()]


def _profile_words(request: str) -> str:
    """The request without its profile's words, so "ten-year horizon" is not a year and "no options" not a filter."""
    text = _YEARS_HORIZON.sub(" ", request)
    for pattern in (*_RISK.values(), *_HORIZON.values(), _NO_OPTIONS, _MAX_POSITION):
        text = pattern.sub(" ", text)
    return text


@dataclass
class Reading:
    """What the request says, word by word, and what the plan makes of it."""

    members: list[str] = field(default_factory=list)  # member words for the queries ("Pelosi")
    tickers: list[str] = field(default_factory=list)
    date_from: str = ""
    date_to: str = ""
    years: list[int] = field(default_factory=list)
    side: Side = "any"
    options: Options = "include"
    within_days: int = 0
    limit: int = 5
    late_days: int = 45
    window_days: int = 14
    kinds: list[str] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    profile: InvestorProfile | None = None  # the profile the request states
    fit_profile: InvestorProfile | None = None  # the one a fit is judged by: stated, remembered, or assumed
    understood: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)


class OfflineAskBrain:
    """Deterministic: same request and rows, same plan and answer."""

    name = "offline"

    def understand(self, request: str, context: AskContext) -> Generator[Event, None, Understanding]:
        return understand(request, context)
        yield  # a generator like every brain method

    def next_call(self, state: AskState) -> Generator[Event, None, QueryCall | None]:
        planned = state.understanding.calls
        return planned[len(state.steps)] if len(state.steps) < len(planned) else None
        yield

    def compose(self, state: AskState) -> Generator[Event, None, Draft]:
        return compose(state)
        yield


# --- reading the request ---------------------------------------------------------------------------------------


def _members(request: str, context: AskContext, reading: Reading) -> set[str]:
    """The filers the request names (by last name, or first and last), in the order it names them; returns the
    words that named them, so they are not read again as unknown names or companies."""
    lowered = request.lower()
    found: list[tuple[int, str, str]] = []
    used: set[str] = set()
    names = {filer: [word for word in (word.strip(".,") for word in member_name(filer).split())
                     if word.lower() not in {"jr", "sr", "ii", "iii", "iv"} and len(word) > 1]
             for filer in context.filers}
    first_names = Counter(words[0].lower() for words in names.values() if len(words) > 1)
    for filer, words in names.items():
        if not words:
            continue
        last = words[-1]
        match = re.search(rf"\b{re.escape(last.lower())}\b", lowered) or (
            re.search(rf"\b{re.escape(words[0].lower())}\b", lowered) if first_names[words[0].lower()] == 1 else None)
        if match:
            first = words[0] if len(words) > 1 and re.search(rf"\b{re.escape(words[0].lower())}\b", lowered) else ""
            found.append((match.start(), f"{first} {last}".strip(), member_name(filer)))
            used.update({last.lower(), first.lower()} - {""})
    for _, query, name in sorted(found):
        if query not in reading.members:
            reading.members.append(query)
            reading.understood.append(f"member {name}")
    return used


def _asset_index(context: AskContext) -> dict[str, str]:
    """Company words that stand for one ticker in these rows: the first word of its asset names ("apple": AAPL)."""
    index: dict[str, set[str]] = {}
    for asset, ticker in zip(context.assets["asset_name"], context.assets["ticker"]):
        first = re.sub(r"[^a-z]", "", (asset.split() or [""])[0].lower().split(".")[0])
        if len(first) >= 4 and first not in _GENERIC_ASSET_WORDS:
            index.setdefault(first, set()).add(ticker)
    return {word: next(iter(tickers)) for word, tickers in index.items() if len(tickers) == 1}


def _tickers(request: str, context: AskContext, reading: Reading, used: set[str]) -> None:
    shouting = sum(char.isupper() for char in request) > 0.5 * max(1, sum(char.isalpha() for char in request))
    for match in _UPPER.finditer(request):
        symbol = match[1]
        if symbol in _NOT_TICKERS or (shouting and symbol not in context.tickers) or symbol in reading.tickers:
            continue
        reading.tickers.append(symbol)
        reading.understood.append(f"ticker {symbol}" + ("" if symbol in context.tickers else " (not in these rows)"))
    companies = _asset_index(context)
    names = list(_CAPITALISED.finditer(request))
    for index, match in enumerate(names):
        word = match[1].lower()
        ticker = companies.get(word)
        if not ticker or word in used:
            continue
        if ticker not in reading.tickers:
            reading.tickers.append(ticker)
            reading.understood.append(f"ticker {ticker} (for {match[1]})")
        used.add(word)
        end = match.end()
        for following in names[index + 1:]:  # the rest of the company's name ("Total System Services")
            if request[end:following.start()].strip():
                break
            used.add(following[1].lower())
            end = following.end()


def _unknown_names(request: str, reading: Reading, used: set[str]) -> None:
    """Capitalised words no filer or company has, read as a member's name (whose queries then say that no filer
    here has it), except a request's or sentence's first word."""
    for match in _CAPITALISED.finditer(request):
        word = match[1]
        before = request[:match.start()].rstrip()
        if word in _NOT_NAMES or word.lower() in used or not before or before[-1] in ".?!:":
            continue
        used.add(word.lower())
        reading.members.append(word)
        reading.understood.append(f"member {word} (no filer of that name in these rows)")


def _dates(text: str, reading: Reading) -> None:
    spans: list[tuple[date, date, int]] = []
    for match in _DATE_TOKEN.finditer(text):
        if match[1]:
            try:
                day = date.fromisoformat(match[1])
            except ValueError:
                reading.not_understood.append(f"{match[1]!r} is not a date of the calendar")
                continue
            spans.append((day, day, match.start()))
        elif match[3]:
            month = next(number for name, number in _MONTHS.items() if name.startswith(match[2].lower()[:3]))
            year = int(match[3])
            end = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
            spans.append((date(year, month, 1), end, match.start()))
        else:
            year = int(match[4])
            reading.years.append(year)
            spans.append((date(year, 1, 1), date(year, 12, 31), match.start()))
    if not spans:
        return
    if len(spans) == 1:
        start, end, at = spans[0]
        before = text[:at].lower().rstrip()
        if re.search(r"\b(after)$", before):
            reading.date_from = (end + timedelta(days=1)).isoformat()
        elif re.search(r"\b(since|from|starting)$", before):
            reading.date_from = start.isoformat()
        elif re.search(r"\b(before)$", before):
            reading.date_to = (start - timedelta(days=1)).isoformat()
        elif re.search(r"\b(until|till|through|up to|by)$", before):
            reading.date_to = end.isoformat()
        else:
            reading.date_from, reading.date_to = start.isoformat(), end.isoformat()
    else:
        reading.date_from, reading.date_to = min(span[0] for span in spans).isoformat(), max(
            span[1] for span in spans).isoformat()
    period = " to ".join(filter(None, [reading.date_from or "the first", reading.date_to or "the last"]))
    reading.understood.append(f"trade dates {period}")


def _horizon_of(request: str) -> Horizon | None:
    for horizon, pattern in _HORIZON.items():
        if pattern.search(request):
            return horizon
    match = _YEARS_HORIZON.search(request)
    if match:
        years = _number(match[1]) / (12 if match[2].lower() == "month" else 1)
        return "long" if years >= 5 else "medium" if years >= 1 else "short"
    return None


def _profile(request: str, context: AskContext, reading: Reading) -> None:
    risk = next((level for level, pattern in _RISK.items() if pattern.search(request)), None)
    horizon = _horizon_of(request)
    no_options = bool(_NO_OPTIONS.search(request))
    position = _MAX_POSITION.search(request)
    if risk is None and horizon is None and position is None and not (no_options and _PROFILE_CUE.search(request)):
        return
    remembered = context.profile
    assumed = []
    if risk is None:
        risk = remembered.risk_tolerance if remembered else "medium"
        assumed.append(f"risk {risk} ({'remembered' if remembered else 'assumed: none stated'})")
    if horizon is None:
        horizon = remembered.horizon if remembered else "medium"
        assumed.append(f"horizon {horizon} ({'remembered' if remembered else 'assumed: none stated'})")
    percent = position[3] if position else ""
    share = float(percent) / 100 if percent else None
    if share is not None and not 0 < share <= 1:
        reading.not_understood.append(f"a position limit of {percent}%")
        share = None
    reading.profile = InvestorProfile(risk, horizon, no_options, share)
    limits = (", no options" if no_options else "") + (f", at most {percent}% in one position" if share else "")
    reading.understood.append(f"profile: {reading.profile.investor}{limits}")
    reading.not_understood.extend(assumed)


def _fit_profile(context: AskContext, reading: Reading) -> None:
    if reading.profile is not None:
        reading.fit_profile = reading.profile
    elif context.profile is not None:
        reading.fit_profile = context.profile
        reading.understood.append(f"profile: the remembered one, {context.profile.investor}")
    else:
        reading.fit_profile = InvestorProfile("medium", "medium")
        reading.not_understood.append(f"no profile stated: {reading.fit_profile.investor} assumed")


def _filters(text: str, reading: Reading) -> None:
    bought, sold, exchanged = bool(_BUY.search(text)), bool(_SELL.search(text)), bool(_EXCHANGE.search(text))
    if bought + sold + exchanged == 1:
        reading.side = "buy" if bought else "sell" if sold else "exchange"
        reading.understood.append(f"{ {'buy': 'buys', 'sell': 'sales', 'exchange': 'exchanges'}[reading.side]} only")
    if _EXCLUDE_OPTIONS.search(text):
        reading.options = "exclude"
        reading.understood.append("options left out")
    elif _OPTIONS.search(text):
        reading.options = "only"
        reading.understood.append("option trades only")
    within = _WITHIN.search(text)
    if within:
        reading.within_days = _number(within[1]) * {"day": 1, "week": 7, "month": 30, "year": 365}[within[2].lower()]
    top = _TOP.search(text)
    if top:
        reading.limit = min(20, max(1, _number(top[1])))
    days = _DAYS.search(text)
    if days and "late_disclosures" in reading.kinds:
        reading.late_days = int(days[1])
    if days and "clustered_trades" in reading.kinds:
        reading.window_days = min(365, max(1, int(days[1])))


def _kinds(text: str, reading: Reading) -> None:
    kinds = [kind for kind, pattern in KINDS.items() if pattern.search(text)]
    if reading.profile is not None and "investor_fit" not in kinds:
        kinds.append("investor_fit")
    if "clustered_trades" in kinds:
        kinds = [kind for kind in kinds if kind != "per_member"]
    if "options_by_expiry" in kinds:
        kinds = [kind for kind in kinds if kind not in ("count_trades", "list_trades")]
    if "compare" in kinds:
        if len(reading.members) >= 2 or len(set(reading.years)) >= 2:
            kinds = [kind for kind in kinds if kind not in ("count_trades", "sum_amounts", "overview")]
        else:
            kinds.remove("compare")
            reading.not_understood.append("a comparison needs two members or two years")
    if len([kind for kind in kinds if kind != "investor_fit"]) > 1:
        kinds = [kind for kind in kinds if kind not in ("list_trades", "overview")] or kinds
    reading.kinds = kinds
    reading.understood.extend(f"question: {KIND_WORDS[kind]}" for kind in kinds)


def read_request(request: str, context: AskContext) -> Reading:
    reading = Reading()
    _profile(request, context, reading)
    text = _profile_words(request) if reading.profile is not None else request
    used = _members(text, context, reading)
    _tickers(text, context, reading, used)
    _unknown_names(text, reading, used)
    _dates(text, reading)
    _kinds(text, reading)
    _filters(text, reading)
    if "investor_fit" in reading.kinds:
        _fit_profile(context, reading)
    reading.outputs = [output for output, pattern in OUTPUTS.items() if pattern.search(text)]
    if reading.outputs:
        files = {"csv": "the CSV", "report": "the report", "trace": "the trace"}
        reading.understood.append("outputs: " + ", ".join(files[output] for output in reading.outputs))
    for pattern, what in ((_RELATIVE_TIME, "a time the request does not date (give a year, a month or a date)"),
                          (_INJECTION, "instructions to the assistant: only questions about the filings are "
                                       "answered")):
        found = pattern.search(text)
        if found:
            reading.not_understood.append(f"{found[0]!r}: {what}")
    return reading


# --- the plan ----------------------------------------------------------------------------------------------------


def _call(tool: str, wanted: dict[str, Any]) -> QueryCall:
    """The call with the arguments the tool takes (and no empty or default ones)."""
    fields = QUERY_TOOLS.tools[tool].arguments.model_fields
    arguments = {name: value for name, value in wanted.items()
                 if name in fields and value not in ("", None) and value != fields[name].default}
    return QueryCall(tool, arguments)


def plan_calls(reading: Reading) -> list[QueryCall]:
    members = reading.members or [""]
    tickers = reading.tickers or [""]
    calls: list[QueryCall] = []
    for kind in reading.kinds or ["overview"]:
        if kind == "compare":
            if len(reading.members) >= 2:
                calls.append(_call("compare_members", {"member_a": members[0], "member_b": members[1],
                                                       "ticker": tickers[0], "date_from": reading.date_from,
                                                       "date_to": reading.date_to}))
            else:
                first, second = sorted(set(reading.years))[:2]
                calls.append(_call("compare_years", {"year_a": first, "year_b": second, "member": members[0],
                                                     "ticker": tickers[0]}))
            continue
        profile = reading.fit_profile
        if kind == "investor_fit" and profile is not None:
            calls += [_call(kind, {"risk": profile.risk_tolerance, "horizon": profile.horizon,
                                   "no_options": profile.no_options,
                                   "max_position_percent": (profile.max_position_share or 0) * 100,
                                   "member": member}) for member in members]
            continue
        takes = QUERY_TOOLS.tools[kind].arguments.model_fields
        for member in members if "member" in takes else [""]:
            for ticker in tickers if "ticker" in takes else [""]:
                calls.append(_call(kind, {
                    "member": member, "ticker": ticker, "date_from": reading.date_from, "date_to": reading.date_to,
                    "side": reading.side, "options": reading.options, "within_days": reading.within_days,
                    "limit": reading.limit, "limit_days": reading.late_days, "window_days": reading.window_days}))
    return calls


def _closest(topic: Undisclosed, reading: Reading) -> str:
    ticker = f"{reading.tickers[0]} " if reading.tickers else ""
    subject = f"{reading.members[0]}'s {ticker}trades" if reading.members else f"the {ticker}trades"
    return topic.closest.format(subject=subject)


def understand(request: str, context: AskContext) -> Understanding:
    reading = read_request(request, context)
    rows = f"the {len(context.trades):,} rows of " + ("the library" if context.scope == "library" else "this run")
    for topic in UNDISCLOSED:
        if topic.pattern.search(re.sub(r"capital gains", "", request, flags=re.IGNORECASE)):
            cannot = CannotAnswer(request=request, reason=not_disclosed(topic.what, topic.why),
                                  closest=_closest(topic, reading))
            reading.not_understood.append(f"{topic.what}: not in the filings")
            return Understanding(plan=f"Nothing to query in {rows}: the request asks what the filings do not say.",
                                 understood=reading.understood, not_understood=reading.not_understood,
                                 outputs=reading.outputs, profile=reading.profile, cannot=cannot)
    if not (reading.kinds or reading.outputs or reading.members or reading.tickers or reading.date_from
            or reading.date_to or reading.profile):
        cannot = CannotAnswer(request=request, reason="This request asks nothing the filings' trades can answer: "
                              "the queries count, sum, rank, date, compare and list the disclosed trades.",
                              closest="How many trades do these rows hold, and who made them?")
        return Understanding(plan=f"Nothing to query in {rows}: no question about the trades was found.",
                             understood=reading.understood,
                             not_understood=[*reading.not_understood, "the request as a whole"], cannot=cannot)
    calls = plan_calls(reading)
    return Understanding(plan=f"Answer from {rows}: {len(calls)} quer{'y' if len(calls) == 1 else 'ies'}, each "
                              "sentence of the answer from a query's result.",
                         understood=reading.understood, not_understood=reading.not_understood, calls=calls,
                         outputs=reading.outputs, profile=reading.profile)


# --- the answer --------------------------------------------------------------------------------------------------


def compose(state: AskState, first_step: int = 0) -> Draft:
    """The statements of the queries from first_step on, each citing its result; a failed query's error, when
    nothing else ran."""
    results = list(enumerate(state.results))[first_step:]
    sentences = [Sentence(text=result.data.statement, results=[index]) for index, result in results
                 if result.ok and isinstance(result.data, QueryResult)]
    if not sentences:
        errors = "; ".join(result.error for _, result in results if not result.ok) or "no query ran"
        return CannotAnswer(request=state.request, reason=f"The query could not run: {errors}.",
                            closest="How many trades do these rows hold, and who made them?")
    outputs = state.understanding.outputs
    if outputs:
        files = {"csv": "transactions.csv (every row)", "report": "report.md (the report)",
                 "trace": "trace.jsonl (these steps)"}
        sentences.append(Sentence(text="Made " + ", ".join(files[output] for output in outputs) + "."))
    return sentences
