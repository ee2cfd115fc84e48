"""Dates announced in CM/ECF docket text: meetings, hearings and deadlines.

The docket text of an NEF states dates in a few fixed shapes ("Hearing
scheduled for 8/7/2024 at 01:00 PM at Courtroom 1", "Objections due by
7/31/2024", "341(a) meeting to be held on 1/28/2025"). ``extract_deadlines``
finds each date, reads the words before it in the same clause to decide what
the date is, and reads the words after it for a time and a place. Dates that
the words around them do not tie to a known kind (filing dates, "Notice Date",
"Modified on") are skipped, and so are past events such as "Status Conference
held on 1/30/2023".

Times are wall-clock times of the court; ``court_timezones`` gives the zone.
"""

import bisect
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from court_notices.court_timezones import court_timezone

__all__ = ["Deadline", "DeadlineKind", "extract_deadlines"]

SOURCE_TEXT_MAX_CHARS = 300
LOCATION_MAX_CHARS = 200
# Only this many characters of a clause before a date are read to classify
# it, so a long text without sentence breaks is still scanned in linear time.
CONTEXT_MAX_CHARS = 1000


class DeadlineKind(StrEnum):
    MEETING_OF_CREDITORS = "341_meeting"
    # Proof of claim deadlines, the one for governmental units included.
    CLAIMS_BAR_DATE = "claims_bar_date"
    # Objections to discharge or to the dischargeability of a debt.
    DISCHARGE_OBJECTION = "discharge_objection"
    CONFIRMATION_HEARING = "confirmation_hearing"
    # Any other hearing, status conference or case management conference.
    HEARING = "hearing"
    # Responses or objections to a motion, and submission dates.
    RESPONSE_DEADLINE = "response_deadline"


class Deadline(BaseModel):
    kind: DeadlineKind
    title: str
    date: dt.date
    time: dt.time | None = None
    # IANA zone of the court, for example "America/Chicago".
    timezone: str
    # Courtroom, address, "Zoom" or telephone details, as the docket text has them.
    location: str | None = None
    court_id: str
    docket_number: str
    case_name: str
    # The sentence that announced the date, cut to SOURCE_TEXT_MAX_CHARS.
    source_text: str

    @property
    def starts_at(self) -> dt.datetime | None:
        """Start as an aware datetime in the court's zone, None without a time."""
        if self.time is None:
            return None
        return dt.datetime.combine(self.date, self.time, tzinfo=ZoneInfo(self.timezone))


_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

_DATE = re.compile(
    r"(?<![\d/])(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}|\d{2})(?![\d/])"
    r"|\b(?P<month_name>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may"
    r"|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?"
    r"|dec(?:ember)?)\.?\s+(?P<name_day>\d{1,2})(?:st|nd|rd|th)?,?\s+"
    r"(?P<name_year>\d{4})\b",
    re.IGNORECASE,
)

# "10:00 AM", "9:30 a.m.", "10:00AM", "2 pm". The final period of "a.m." is
# left unread, so it can still end the sentence.
_TIME = r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<meridiem>[ap])\.?\s?m\b"
_ZONE_NAME = (
    r"(?:\s*\(?(?:(?-i:[ECMP][SD]?T)|(?:prevailing\s+)?(?:eastern|central|mountain"
    r"|pacific)(?:\s+(?:standard|daylight))?(?:\s+time)?)\b\)?)?"
)
_TIME_AFTER_DATE = re.compile(
    r"\s*,?\s*(?:(?:at|@|by|from|beginning\s+at|starting\s+at)\s+)?"
    + _TIME
    + _ZONE_NAME,
    re.IGNORECASE,
)
_TIME_BEFORE_DATE = re.compile(
    r"(?:\bat\s+)?"
    + _TIME
    + r"\.?"
    + _ZONE_NAME
    + r"\s*,?\s*(?:on\s+)?(?:\w+day,?\s+)?$",
    re.IGNORECASE,
)

# A period ends a sentence unless it follows one of these words or a single
# letter (initials, "U. S.", "a.m.").
_ABBREVIATION = re.compile(
    r"no|st|ave|blvd|rd|ste|rm|fl|dr|mr|mrs|ms|jr|sr|inc|co|corp|ltd|hon|v|vs|etc|ex"
    r"|doc|dkt",
    re.IGNORECASE,
)

# Scheduling words that end the text before an event date ("Hearing scheduled
# for", "341(a) meeting to be held on", "adjourned to").
_EVENT_VERB = re.compile(
    r"\b(?:scheduled|set|held|adjourned|continued|rescheduled|reset|convened)\b"
    r"(?:\s+(?:for|to|on|until|at|as))?\s*(?:\w+day,?\s+)?$",
    re.IGNORECASE,
)
_PAST_EVENT = re.compile(r"(?<!be )\bheld\s+(?:on\s+)?$", re.IGNORECASE)
_OLD_DATE = re.compile(r"\bfrom\s*$", re.IGNORECASE)
_NEW_DATE_AFTER_OLD = re.compile(r"^\s*,?\s*(?:to|until)\s+$", re.IGNORECASE)
_DUE = re.compile(
    r"\bdue\b|\bdeadline\b|\bbar\s+date\b|\bno\s+later\s+than\b|\bon\s+or\s+before\b"
    r"|\bsubmitted\b|\bsubmission\s+date\b|\blast\s+day\b|\bmust\s+be\s+filed\b",
    re.IGNORECASE,
)
_MEETING = re.compile(
    r"\b341\b|\bmeeting\s+of\s+creditors\b|\bcreditors'?\s+meeting\b", re.IGNORECASE
)
_HEARING = re.compile(r"\bhearings?\b|\bconference\b|\btrial\b", re.IGNORECASE)
_CONFIRMATION = re.compile(
    r"\bconfirmation\b(?!\s+order)|\bconfirm(?:ing)?\s+(?:the\s+)?(?:\w+'?s?\s+)?plan\b",
    re.IGNORECASE,
)
_MOTION = re.compile(r"\bmotion\b|\bapplication\b", re.IGNORECASE)
_CLAIMS = re.compile(
    r"\bproofs?\s+of\s+claims?\b|\bclaims?\s+bar\b|\bbar\s+date\b|\bclaims\s+due\b"
    r"|\bclaims?\s+deadline\b|\bfile\s+(?:a\s+)?claims?\b|\bgovernment(?:al)?\s+units?\b"
    r"|\bgovernment\s+proofs?\b",
    re.IGNORECASE,
)
_GOVERNMENT = re.compile(r"\bgovernment", re.IGNORECASE)
_DISCHARGE = re.compile(r"\b(?:non)?discharge(?:ability|able)?\b", re.IGNORECASE)
_RESPONSE = re.compile(
    r"\b(?P<objection>objections?|object)\b|\b(?P<response>responses?|respond)\b"
    r"|\b(?P<reply>repl(?:y|ies))\b|\b(?P<submission>submitted|submission)\b"
    r"|\b(?P<opposition>oppositions?)\b",
    re.IGNORECASE,
)
_RESPONSE_TITLES = {
    "objection": "Objection deadline",
    "response": "Response deadline",
    "reply": "Reply deadline",
    "submission": "Submission date",
    "opposition": "Opposition deadline",
}
_HEARING_TITLES = [
    (re.compile(r"case\s+management\s+conference", re.I), "Case management conference"),
    (re.compile(r"status\s+conference", re.I), "Status conference"),
    (re.compile(r"pre-?trial\s+conference", re.I), "Pretrial conference"),
    (re.compile(r"\btrial\b", re.I), "Trial"),
]

# Words after which a place name may follow a date or time ("at Courtroom 1",
# "via Zoom", "in Oakland", "by Video Conference").
_LOCATION_PREFIX = re.compile(
    r"\s*(?:,\s*|\.\s+(?=(?:at|in|via|by)\s))?(?:(?P<prefix>at|in|via|by)\s+)?",
    re.IGNORECASE,
)
_LOCATION_WORD = re.compile(
    r"courtroom|crtrm|ctrm|\broom\b|courthouse|\bstreet\b|\bave\b|\bblvd\b|\bfloor\b"
    r"|\bsuite\b|zoom|video|telephon",
    re.IGNORECASE,
)
# Lower-case words that may still start a place ("the Bankruptcy Court",
# "telephone").
_LOWERCASE_LOCATION_START = re.compile(
    r"the|telephone|telephonically|zoom|video|videoconference|courtroom|room"
)
_LOCATION_STOP = re.compile(
    r"\s+for\s+\[|\s+before\s+(?:the\s+)?(?:judge|hon)|\s+re:|\s+to\s+consider\b"
    r"|\s+on\s+(?:the\s+)?(?:motion|application|objection)\b",
    re.IGNORECASE,
)
# Trailing "(CGM)", "(las)", "(SM6)" or "(Mcneil, Marissa)": the judge's or
# the clerk's initials, or the filer's name, which close most docket texts.
_STAFF_NOTE = re.compile(
    r"\s*\((?:[A-Za-z]{1,5}\d{0,2}|Admin\.?"
    r"|[A-Z][\w'-]*(?:\s[\w'-]+)?,\s*[A-Z][\w'. -]*)\)\s*$"
)
_COURTROOM = re.compile(r"\b(?:Courtroom|Crtrm|Ctrm)\.?\s*[\w-]+", re.IGNORECASE)
_VIRTUAL = re.compile(
    r"\bZoomGov\b|\bZoom\b|\bTelephonic(?:ally)?\b|\bby\s+telephone\b"
    r"|\bvideo\s?conference\b|\bMicrosoft\s+Teams\b|\bWebEx\b",
    re.IGNORECASE,
)


@dataclass
class _DateMatch:
    value: dt.date
    start: int
    end: int


@dataclass
class _Found:
    kind: DeadlineKind
    title: str
    date: dt.date
    time: dt.time | None
    location: str | None
    source_text: str


@dataclass
class _Sentences:
    """Boundaries of sentences and of clauses (split further at semicolons)."""

    sentence_ends: list[int]
    clause_ends: list[int]

    def sentence_start(self, position: int) -> int:
        index = bisect.bisect_right(self.sentence_ends, position)
        return self.sentence_ends[index - 1] if index else 0

    def clause_start(self, position: int) -> int:
        index = bisect.bisect_right(self.clause_ends, position)
        return self.clause_ends[index - 1] if index else 0

    def sentence_end(self, position: int, text_length: int) -> int:
        index = bisect.bisect_right(self.sentence_ends, position)
        if index < len(self.sentence_ends):
            return self.sentence_ends[index]
        return text_length


def extract_deadlines(
    description: str, *, court_id: str, docket_number: str, case_name: str
) -> list[Deadline]:
    """Find meetings, hearings and deadlines in the docket text of one entry.

    Returns them sorted by date, untimed ones first within a day, with
    repeated mentions (same kind, date and time) kept once. Text without
    recognisable dates gives an empty list.
    """
    timezone = court_timezone(court_id)
    found: dict[tuple[DeadlineKind, dt.date, dt.time | None], Deadline] = {}
    for item in _scan(description):
        key = (item.kind, item.date, item.time)
        if key in found:
            continue
        found[key] = Deadline(
            kind=item.kind,
            title=item.title,
            date=item.date,
            time=item.time,
            timezone=timezone,
            location=item.location,
            court_id=court_id,
            docket_number=docket_number,
            case_name=case_name,
            source_text=item.source_text,
        )
    return sorted(found.values(), key=_sort_key)


def _sort_key(deadline: Deadline) -> tuple[dt.date, bool, dt.time]:
    return (deadline.date, deadline.time is not None, deadline.time or dt.time.min)


_DEADLINE_KINDS = frozenset(
    {
        DeadlineKind.CLAIMS_BAR_DATE,
        DeadlineKind.DISCHARGE_OBJECTION,
        DeadlineKind.RESPONSE_DEADLINE,
    }
)


def _scan(text: str) -> Iterator[_Found]:
    sentences = _split_sentences(text)
    lead_end = sentences.sentence_end(0, len(text))
    lead = text[: min(lead_end, CONTEXT_MAX_CHARS)]
    previous_end = 0
    old_date_context: str | None = None
    for match in _find_dates(text):
        clause_start = max(
            sentences.clause_start(match.start), match.start - CONTEXT_MAX_CHARS
        )
        clause = text[clause_start : match.start]
        tail = text[max(clause_start, previous_end) : match.start]
        if old_date_context is not None and _NEW_DATE_AFTER_OLD.match(tail):
            # In "continued from 3/1/2024 to 4/1/2024" the words before the old
            # date also describe the new one.
            tail = old_date_context + tail
        old_date_context = None
        previous_end = match.end
        if _OLD_DATE.search(tail):
            old_date_context = _OLD_DATE.sub("", tail)
            continue

        classified = _classify(tail, clause, lead)
        if classified is None:
            continue
        kind, title = classified

        found_time, end = _time_after(text, match.end)
        if found_time is None:
            found_time = _time_before(tail)
        location = None
        if kind not in _DEADLINE_KINDS:
            location, end = _location_after(text, end, sentences)
            if location is None:
                location = _location_in(text[clause_start:end])
        previous_end = max(previous_end, end)
        source = _source_text(text, sentences, match.start, end)
        yield _Found(kind, title, match.value, found_time, location, source)


def _find_dates(text: str) -> Iterator[_DateMatch]:
    for match in _DATE.finditer(text):
        try:
            if match["month"]:
                year = int(match["year"])
                if year < 100:
                    year += 2000
                value = dt.date(year, int(match["month"]), int(match["day"]))
            else:
                month = _MONTHS[match["month_name"][:3].lower()]
                value = dt.date(int(match["name_year"]), month, int(match["name_day"]))
        except ValueError:
            continue
        yield _DateMatch(value, match.start(), match.end())


def _split_sentences(text: str) -> _Sentences:
    sentence_ends = []
    clause_ends = []
    for index, char in enumerate(text):
        if char in "\n\r" or (char in ".!?" and _ends_sentence(text, index)):
            sentence_ends.append(index + 1)
            clause_ends.append(index + 1)
        elif char == ";":
            clause_ends.append(index + 1)
    return _Sentences(sentence_ends, clause_ends)


def _ends_sentence(text: str, index: int) -> bool:
    following = text[index + 1 : index + 2]
    if following and not (
        following.isspace() or following.isupper() or following == "("
    ):
        return False
    word = re.search(r"([A-Za-z]+)$", text[max(index - 20, 0) : index])
    if word is None:
        return True
    token = word.group(1)
    return len(token) > 1 and _ABBREVIATION.fullmatch(token) is None


def _classify(tail: str, clause: str, lead: str) -> tuple[DeadlineKind, str] | None:
    """Decide what a date is from the words before it.

    ``tail`` is the text since the clause start or the previous date,
    ``clause`` the whole clause before the date and ``lead`` the first
    sentence of the docket text, which names the event ("Hearing Continued on
    Confirmation."). None means the date is not one this module reports.
    """
    if _EVENT_VERB.search(tail):
        if _PAST_EVENT.search(tail):
            return None
        if _MEETING.search(clause):
            return DeadlineKind.MEETING_OF_CREDITORS, "341 meeting of creditors"
        if _HEARING.search(clause):
            return _hearing_kind(clause, lead)
    if _DUE.search(tail):
        return _deadline_kind(tail)
    if _MEETING.search(tail):
        return DeadlineKind.MEETING_OF_CREDITORS, "341 meeting of creditors"
    if _HEARING.search(tail):
        return _hearing_kind(clause, lead)
    return None


def _hearing_kind(clause: str, lead: str) -> tuple[DeadlineKind, str]:
    # A clause that names its own motion ("Hearing on Motion to Dismiss
    # scheduled for") is about that motion. Otherwise the first sentence names
    # the subject, as in "Hearing Continued on Confirmation. Hearing scheduled
    # 03/14/2024".
    scope = clause if _MOTION.search(clause) else lead + " " + clause
    if _CONFIRMATION.search(scope):
        return DeadlineKind.CONFIRMATION_HEARING, "Confirmation hearing"
    for pattern, title in _HEARING_TITLES:
        if pattern.search(scope):
            return DeadlineKind.HEARING, title
    return DeadlineKind.HEARING, "Hearing"


def _deadline_kind(tail: str) -> tuple[DeadlineKind, str] | None:
    """Pick the kind whose keyword is nearest to the date.

    In "Objections for Discharge due by" the nearer "Discharge" wins over
    "Objections". A due date with no keyword (a course, a fee) gives None.
    """
    best: tuple[int, DeadlineKind, str] | None = None
    for match in _CLAIMS.finditer(tail):
        title = "Proof of claim deadline"
        if _GOVERNMENT.search(tail, max(match.start() - 40, 0), match.end()):
            title = "Government proof of claim deadline"
        best = _nearer(best, (match.end(), DeadlineKind.CLAIMS_BAR_DATE, title))
    for match in _DISCHARGE.finditer(tail):
        candidate = (
            match.end(),
            DeadlineKind.DISCHARGE_OBJECTION,
            "Deadline to object to discharge",
        )
        best = _nearer(best, candidate)
    for match in _RESPONSE.finditer(tail):
        title = _RESPONSE_TITLES[match.lastgroup or "response"]
        candidate = (match.end(), DeadlineKind.RESPONSE_DEADLINE, title)
        best = _nearer(best, candidate)
    if best is None:
        return None
    return best[1], best[2]


def _nearer(
    current: tuple[int, DeadlineKind, str] | None,
    candidate: tuple[int, DeadlineKind, str],
) -> tuple[int, DeadlineKind, str]:
    if current is None or candidate[0] > current[0]:
        return candidate
    return current


def _to_time(match: re.Match[str]) -> dt.time | None:
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    if not 1 <= hour <= 12 or minute > 59:
        return None
    if match["meridiem"].lower() == "p" and hour != 12:
        hour += 12
    elif match["meridiem"].lower() == "a" and hour == 12:
        hour = 0
    return dt.time(hour, minute)


def _time_after(text: str, position: int) -> tuple[dt.time | None, int]:
    match = _TIME_AFTER_DATE.match(text, position)
    if match is None:
        return None, position
    found = _to_time(match)
    if found is None:
        return None, position
    return found, match.end()


def _time_before(tail: str) -> dt.time | None:
    match = _TIME_BEFORE_DATE.search(tail)
    return None if match is None else _to_time(match)


def _location_after(
    text: str, position: int, sentences: _Sentences
) -> tuple[str | None, int]:
    """Read the place named right after a date or time.

    Returns the cleaned place, or None, and the position after the text read.
    """
    prefix = _LOCATION_PREFIX.match(text, position)
    if prefix is None:
        return None, position
    start = prefix.end()
    end = sentences.sentence_end(start, len(text))
    end = min(end, start + 2 * LOCATION_MAX_CHARS)
    stop = _LOCATION_STOP.search(text, start, end)
    if stop is not None:
        end = stop.start()
    next_date = _DATE.search(text, start, end)
    if next_date is not None:
        end = next_date.start()
    raw = text[start:end]
    if not _looks_like_location(raw, has_prefix=prefix["prefix"] is not None):
        return None, position
    location = _clean_location(raw)
    if not location:
        return None, position
    return location, end


def _looks_like_location(raw: str, *, has_prefix: bool) -> bool:
    words = raw.split()
    if not words:
        return False
    first = words[0]
    if not first[0].isalnum():
        return False
    first_word = re.sub(r"\W+$", "", first).lower()
    if first[0].islower() and _LOWERCASE_LOCATION_START.fullmatch(first_word) is None:
        return False
    # Without "at", "in", "via" or "by" before it, text after a time is taken
    # as a place only if it names one ("3420 Twelfth Street Courtroom 302").
    return has_prefix or _LOCATION_WORD.search(raw) is not None


def _clean_location(raw: str) -> str:
    location = raw.strip(" ,.;")
    while True:
        shorter = _STAFF_NOTE.sub("", location)
        if shorter == location:
            break
        location = shorter
    # Keep the first part and any street address after it, and drop notes such
    # as "Contact ... for meeting code" or "(Virtual hearing if allowed; ...)".
    parts = _split_top_level(location, ";")
    addresses = [part for part in parts[1:] if part[:1].isdigit()]
    location = "; ".join([parts[0], *addresses])
    location = re.sub(r",\s*-\s*", ", ", location)
    location = re.sub(r"\s+", " ", location).strip(" ,.;-")
    return location[:LOCATION_MAX_CHARS].rstrip()


def _split_top_level(text: str, separator: str) -> list[str]:
    """Split at ``separator`` outside parentheses and strip each part."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        if char == separator and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part] or [""]


def _location_in(clause: str) -> str | None:
    """Find a courtroom or a remote format named anywhere in the clause."""
    courtroom = _COURTROOM.search(clause)
    if courtroom is not None:
        return courtroom.group(0)
    virtual = _VIRTUAL.search(clause)
    if virtual is None:
        return None
    words = virtual.group(0)
    if words.lower().startswith("by "):
        words = words[3:].strip()
    return words


def _source_text(text: str, sentences: _Sentences, anchor: int, end: int) -> str:
    start = max(sentences.sentence_start(anchor), anchor - CONTEXT_MAX_CHARS)
    stop = sentences.sentence_end(max(end - 1, anchor), len(text))
    stop = min(stop, end + CONTEXT_MAX_CHARS)
    sentence = text[start:stop]
    leading = len(sentence) - len(sentence.lstrip())
    sentence = re.sub(r"\s+", " ", sentence.strip())
    anchor_in_sentence = max(anchor - start - leading, 0)
    if len(sentence) <= SOURCE_TEXT_MAX_CHARS:
        return sentence
    # Keep the date and what follows it, with about a third of the room for
    # the words before it.
    room = SOURCE_TEXT_MAX_CHARS - 2
    begin = max(0, min(anchor_in_sentence - room // 3, len(sentence) - room))
    piece = sentence[begin : begin + room]
    prefix = "…" if begin > 0 else ""
    suffix = "…" if begin + room < len(sentence) else ""
    return prefix + piece + suffix
