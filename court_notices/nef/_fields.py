"""Split rendered notice text into labelled fields and per-case blocks.

Every CM/ECF notice lists each case as "Label: value" rows ("Case Name:",
"Case Number:", "Document Number:", ...), then "Docket Text:". A multi-case
NEF repeats the rows once per case. District courts follow each case with
its own docket text, while bankruptcy courts list all cases and then one
docket text.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from court_notices.nef._text import collapse_spaces

_LABEL_RE = re.compile(
    r"^(?P<label>case name|case number|chapter|filer|document number|document\(s\)"
    r"|creditor name|claim number|amount claimed|amount secured|amount priority"
    r"|docket text|description of changes|warning)\s*:\s*(?P<value>.*)$",
    re.I,
)
# Lines that end the case rows: recipient headings, the document list.
_BOUNDARY_RE = re.compile(
    r"(?:mailed to|delivered\b.*\bto|deliver document\b.*\bto|notice cart for"
    r"|chosen not to receive notice[^:]*)\s*:\s*$"
    r"|^the following document\(s\)|^document description\s*:",
    re.I,
)
_RECIPIENTS_START_RE = re.compile(r"mailed to\s*:\s*$", re.I)
_DOCUMENTS_START_RE = re.compile(
    r"^the following document\(s\)|^document description\s*:", re.I
)
_DOCUMENT_DESCRIPTION_RE = re.compile(r"^document description\s*:\s*(.*)$", re.I)
_DATE = r"(\d{1,2}/\d{1,2}/\d{4})"
_FILED_ON_RE = re.compile(rf"\bfiled\s+on\s+{_DATE}", re.I)
_ON_DATE_RE = re.compile(rf"\bon\s+{_DATE}", re.I)
_RECEIVED_FROM_RE = re.compile(r"received from\s+(.+?)\s+(?:entered\s+)?on\s+\d", re.I)
_ENTERED_BY_RE = re.compile(r"(?:entered|edited)\s+by\s+(.+?)\s+on\s+\d", re.I)


@dataclass
class CaseBlock:
    """The labelled rows of one case, keyed by lower-case label."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    docket_text: list[str] | None = None

    def value(self, label: str) -> str:
        """Return a field's lines joined by spaces, or "" when it is missing."""
        return collapse_spaces(" ".join(self.fields.get(label, [])))

    def lines(self, label: str) -> list[str]:
        return [line for line in self.fields.get(label, []) if line.strip()]


def case_blocks(text: str) -> list[CaseBlock]:
    """Group the labelled rows by case. Each "Case Name:" starts a case.

    A case without docket text of its own gets the next docket text below it,
    which is how bankruptcy multi-case notices share one text.
    """
    blocks: list[CaseBlock] = []
    current: list[str] | None = None
    collecting = in_docket_text = False
    for line in text.split("\n"):
        match = _LABEL_RE.match(line)
        label = match.group("label").lower() if match else None
        if label == "case name":
            blocks.append(CaseBlock())
            collecting, in_docket_text = True, False
        if not blocks or not collecting:
            continue
        # Docket text may contain "Label:" lines of its own, so only a new
        # case or a boundary ends it.
        if match and label and not in_docket_text:
            current = _start_field(blocks[-1], label, match.group("value"))
            in_docket_text = label == "docket text"
        elif _BOUNDARY_RE.search(line):
            collecting = in_docket_text = False
            current = None
        elif current is not None:
            current.append(line)
    _share_docket_text(blocks)
    return blocks


def _start_field(block: CaseBlock, label: str, value: str) -> list[str]:
    lines = [value]
    if label == "docket text":
        block.docket_text = lines
    elif label not in block.fields:
        block.fields[label] = lines
    return lines


def _share_docket_text(blocks: list[CaseBlock]) -> None:
    following: list[str] | None = None
    for block in reversed(blocks):
        if block.docket_text is not None:
            following = block.docket_text
        elif following is not None:
            block.docket_text = following


def transaction_line(text: str) -> str:
    """Return "The following transaction was ..." up to the first case row."""
    start = text.find("The following transaction")
    if start < 0:
        return ""
    end = text.find("Case Name", start)
    return collapse_spaces(text[start : end if end > 0 else None])


def transaction_date(sentence: str) -> date | None:
    """Return the filing date, or the entry date when no filing date is given."""
    match = _FILED_ON_RE.search(sentence) or _ON_DATE_RE.search(sentence)
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1), "%m/%d/%Y").date()
    except ValueError:
        return None


def transaction_user(sentence: str) -> str | None:
    """Return who "entered" or from whom the court "received" the filing."""
    match = _RECEIVED_FROM_RE.search(sentence) or _ENTERED_BY_RE.search(sentence)
    return match.group(1).strip() if match else None


def recipient_lines(text: str) -> list[str]:
    """Return the lines of all recipient lists.

    They run from the first "... mailed to:" heading to the document list or
    the end of the notice. Postal recipients are included, and the callers
    skip them because they have no e-mail address.
    """
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if _RECIPIENTS_START_RE.search(line)]
    if not starts:
        return []
    selected = []
    for line in lines[starts[0] + 1 :]:
        if _DOCUMENTS_START_RE.search(line):
            break
        selected.append(line)
    return selected


def document_descriptions(text: str) -> list[str]:
    """Return the "Document description:" values in order of appearance."""
    found = []
    for line in text.split("\n"):
        match = _DOCUMENT_DESCRIPTION_RE.match(line)
        if match:
            found.append(collapse_spaces(match.group(1)))
    return found
