"""Docket numbers, document links, case names and subject lines of notices."""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

# District and some bankruptcy courts: office:yy-type-number, then optional
# judge initials, defendant number or chapter ("1:20-cv-08924-CM",
# "2:17-cv-00109-EWH-LRL", "5:21-bk-00329-MJC").
_OFFICE_DOCKET_RE = re.compile(
    r"^(?P<office>\d{1,2}):(?P<year>\d{2})-(?P<type>[A-Za-z]{1,5})-"
    r"(?P<number>\d{1,6})(?P<rest>(?:-[A-Za-z0-9]+)*)"
)
# Most bankruptcy courts: yy-nnnnn, then the office digit, judge initials and
# chapter in court-specific order ("22-00105-5-JNC", "24-04888-CL7",
# "25-03768-JMC-13", "1-23-42603-nhl").
_BANKRUPTCY_DOCKET_RE = re.compile(
    r"^(?P<base>(?:\d-)?\d{2}-\d{4,6})(?P<rest>(?:-[A-Za-z0-9]+)*)"
)
_INITIALS_RE = re.compile(r"^([A-Za-z]+)\d*$")
# Loose form used to find docket numbers inside subject lines.
DOCKET_IN_TEXT_RE = re.compile(
    r"\b(?:\d{1,2}:\d{2}-[A-Za-z]{1,5}-\d{1,6}|(?:\d-)?\d{2}-\d{4,6})(?:-[A-Za-z0-9]+)*"
)
_ET_AL_RE = re.compile(r",?\s+et\.?\s+al\b\.?", re.I)
_VERSUS_RE = re.compile(r"\s+vs?\.?\s+", re.I)
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class DocketNumber:
    docket_number: str
    office_code: str | None = None
    case_type: str | None = None
    judge_assigned: str | None = None
    judge_referred: str | None = None
    defendant_number: str | None = None


def parse_docket_number(raw: str) -> DocketNumber:
    """Split a CM/ECF case number into the docket number and its parts."""
    text = raw.strip()
    match = _OFFICE_DOCKET_RE.match(text)
    if match:
        judges, numbers = _split_suffixes(match.group("rest"))
        return DocketNumber(
            docket_number=(
                f"{match.group('office')}:{match.group('year')}-"
                f"{match.group('type').lower()}-{match.group('number')}"
            ),
            office_code=match.group("office"),
            case_type=match.group("type").lower(),
            judge_assigned=judges[0] if judges else None,
            judge_referred=judges[1] if len(judges) > 1 else None,
            # Only criminal dockets carry a defendant number after the judges.
            defendant_number=numbers[0] if numbers and judges else None,
        )
    match = _BANKRUPTCY_DOCKET_RE.match(text)
    if match:
        parts = [p for p in match.group("rest").split("-") if p]
        # A bare digit right after the number is the divisional office.
        office = parts.pop(0) if parts and parts[0].isdigit() else None
        judges, _ = _split_suffixes("-" + "-".join(parts) if parts else "")
        return DocketNumber(
            docket_number=match.group("base"),
            office_code=office,
            judge_assigned=judges[0] if judges else None,
            judge_referred=judges[1] if len(judges) > 1 else None,
        )
    return DocketNumber(docket_number=text)


def _split_suffixes(rest: str) -> tuple[list[str], list[str]]:
    judges: list[str] = []
    numbers: list[str] = []
    for part in (p for p in rest.split("-") if p):
        if part.isdigit():
            numbers.append(part)
            continue
        # "CL7" is judge CL in a chapter 7 case.
        initials = _INITIALS_RE.match(part)
        if initials:
            judges.append(initials.group(1))
    return judges, numbers


@dataclass(frozen=True)
class DocumentLink:
    url: str
    pacer_doc_id: str | None
    pacer_case_id: str | None
    pacer_seq_no: str | None
    pacer_magic_num: str | None


def parse_document_link(url: str) -> DocumentLink | None:
    """Read a doc1 (district, bankruptcy) or docs1 (appellate) link."""
    parts = urlsplit(url)
    path = re.search(r"/docs?1/(\d+)", parts.path)
    if path is None:
        return None
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    if "/docs1/" in parts.path:
        # Appellate links carry a hex "uid" where doc1 links carry magic_num.
        magic = query.get("uid") or None
    else:
        magic = query.get("magic_num", "")
        magic = magic if magic.isdigit() else None
    return DocumentLink(
        url=url,
        pacer_doc_id=normalize_doc_id(path.group(1)),
        pacer_case_id=query.get("caseid") or None,
        pacer_seq_no=query.get("de_seq_num") or None,
        pacer_magic_num=magic,
    )


def normalize_doc_id(doc_id: str) -> str:
    """Zero the fourth digit of a doc1 id, as juriscraper stores it.

    The nysd_1 fixture shows it: link 127132041950, stored id 127032041950.
    Storing one form lets ids taken from differing links compare equal.
    """
    if len(doc_id) < 4:
        return doc_id
    return f"{doc_id[:3]}0{doc_id[4:]}"


def case_id_from_links(links: list[str]) -> str | None:
    """Return the PACER case id of a docket report or appellate docket link."""
    for url in links:
        match = re.search(r"DktRpt\.pl\?(\d+)", url) or re.search(
            r"[?&]caseId=(\d+)", url
        )
        if match:
            return match.group(1)
    return None


def clean_case_name(raw: str) -> str:
    """Collapse spaces, drop "et al" and write "vs." as "v."."""
    name = _SPACE_RE.sub(" ", raw).strip()
    name = _ET_AL_RE.sub("", name)
    name = _VERSUS_RE.sub(" v. ", name)
    return name.strip(" ,")


# Chapter tokens that bankruptcy courts put in subjects: "Ch-13", "Ch 13",
# "CH11", "Ch13". The spelled-out "Chapter 11" is kept, because it also starts
# event names such as "Chapter 11 Case Management Conference".
_CHAPTER_ABBREVIATION = r"Ch-?\s?\d{1,2}"
_LEADING_CHAPTER_RE = re.compile(rf"^{_CHAPTER_ABBREVIATION}\s+", re.I)
_TRAILING_CHAPTER_RE = re.compile(rf"\s+(?:{_CHAPTER_ABBREVIATION}|Chapter \d+)$", re.I)
_LEADING_SPELLED_CHAPTER_RE = re.compile(r"^Chapter \d+\s+")
_SUBJECT_PREFIX_RE = re.compile(r"^(?:(?:fwd?|fw|re|nef)\s*:\s*)+", re.I)
_ACTIVITY_PREFIX_RE = re.compile(r"^Activity in (?:\w+ )?case\s+", re.I)
_QUOTED_RE = re.compile(r'"([^"]+)"')
# Subjects cut long case names, often to 18 characters. Shorter cuts than
# this are not trusted as a case name.
_MIN_NAME_PREFIX = 15


def clean_subject(subject: str) -> str:
    """Drop forwarding and "NEF:" prefixes and collapse spaces."""
    text = _SPACE_RE.sub(" ", subject).strip()
    return _SUBJECT_PREFIX_RE.sub("", text).strip()


def short_description_from_subject(
    subject: str, docket_numbers: list[str], case_names: list[str]
) -> str:
    """Return the event name of an NEF subject line.

    Courts arrange subjects differently, for instance "<number> <event>",
    "Ch-13 <number> <event>; <debtor>", "<event> Ch 13 <debtor> <number>",
    "Activity in Case <number> <case name> <event>" and
    'Multiple Cases "<event>"'. The case number splits the subject, and the
    case name (often cut short) and chapter tokens around the event go.
    """
    text = _ACTIVITY_PREFIX_RE.sub("", clean_subject(subject))
    quoted = _QUOTED_RE.search(text)
    if quoted and text.lower().startswith("multiple cases"):
        return quoted.group(1).strip()
    spans = _docket_number_spans(text, docket_numbers)
    if not spans:
        return text
    before = text[: spans[0][0]].strip()
    after = text[spans[-1][1] :].strip()
    if after:
        return _strip_case_name_around(after, case_names)
    trimmed = _strip_trailing_case_name(before, case_names)
    return _TRAILING_CHAPTER_RE.sub("", trimmed).strip()


def _docket_number_spans(text: str, docket_numbers: list[str]) -> list[tuple[int, int]]:
    spans = []
    lowered = text.lower()
    for number in docket_numbers:
        start = lowered.find(number.lower()) if number else -1
        if start >= 0:
            spans.append((start, start + len(number)))
    if not spans:
        spans = [m.span() for m in DOCKET_IN_TEXT_RE.finditer(text)]
    if not spans:
        return []
    spans.sort()
    # A number can run into court letters ("...-LRLVAED"): end at a space.
    last_start, last_end = spans[-1]
    while last_end < len(text) and not text[last_end].isspace():
        last_end += 1
    spans[-1] = (last_start, last_end)
    return spans


def _strip_case_name_around(text: str, case_names: list[str]) -> str:
    text = _LEADING_CHAPTER_RE.sub("", text)
    # "Chapter 13 <debtor> <event>" loses its chapter only with the debtor.
    without_chapter = _LEADING_SPELLED_CHAPTER_RE.sub("", text)
    stripped = _strip_leading_case_name(without_chapter, case_names)
    if stripped is None:
        stripped = _strip_leading_case_name(text, case_names)
    if stripped is not None:
        text = stripped
    return _strip_trailing_case_name(text, case_names)


def _strip_leading_case_name(text: str, case_names: list[str]) -> str | None:
    body = text.lstrip("- ").strip()
    for name in _longest_first(case_names):
        length = _common_prefix_length(body, name)
        if length < min(len(name), _MIN_NAME_PREFIX):
            continue
        if length < len(body) and not body[length].isspace():
            continue
        return body[length:].lstrip(" -").strip()
    return None


def _strip_trailing_case_name(text: str, case_names: list[str]) -> str:
    for name in _longest_first(case_names):
        for start in range(len(text)):
            if start and not text[start - 1].isspace():
                continue
            tail = text[start:]
            long_enough = len(tail) >= min(len(name), _MIN_NAME_PREFIX)
            if long_enough and name.startswith(tail):
                head = text[:start].rstrip()
                head = re.sub(r"(?:\s*[-;]|\s+Re:)$", "", head)
                return head.strip()
    return text


def _longest_first(names: list[str]) -> list[str]:
    return sorted({n for n in names if n}, key=len, reverse=True)


def _common_prefix_length(left: str, right: str) -> int:
    length = 0
    for a, b in zip(left, right, strict=False):
        if a != b:
            break
        length += 1
    return length
