"""Parse CM/ECF notices (NEFs, claims, appellate NDAs) into ``ParsedNotice``.

Pure functions: no I/O and no logging. Nothing here raises on bad input. A
message that cannot be read becomes ``NOT_A_NOTICE`` or a partial notice,
and ``ParsedNotice.warnings`` lists what went wrong. Warnings never quote
links, because doc1 links carry the one-time free-look magic number.
"""

import hashlib
import json
import re

from court_notices.nef import _build
from court_notices.nef._dockets import (
    clean_case_name,
    short_description_from_subject,
)
from court_notices.nef._fields import (
    CaseBlock,
    case_blocks,
    document_descriptions,
    recipient_lines,
    transaction_date,
    transaction_line,
    transaction_user,
)
from court_notices.nef._mime import read_message
from court_notices.nef._text import (
    collapse_spaces,
    links_in,
    normalize_plain_text,
    render_html,
)
from court_notices.nef.models import NoticeKind, ParsedNotice

__all__ = ["notice_fingerprint", "parse_html", "parse_message"]

_COURT_HOST_RE = re.compile(
    r"(?:^|[@.])([a-z0-9]{2,8})\.(?:uscourts\.gov|fedcourts\.us)$", re.I
)
_ECF_LINK_RE = re.compile(
    r"^https?://ecf[a-z-]*\.([a-z0-9]{2,8})\.uscourts\.gov\b", re.I
)
_SUBJECT_COURT_RE = re.compile(r"\bActivity in ([A-Z]{2,6}\d?) case\b")
_QUOTED_COURT_SENDER_RE = re.compile(
    r"[\w.+-]+@([a-z0-9]{2,8})\.(?:uscourts\.gov|fedcourts\.us)\b", re.I
)
_EDIT_SUBJECT_RE = re.compile(r"Docket Entry #?\s*\d+ has been updated", re.I)
_EDIT_TEXT_RE = re.compile(
    r"^Description of changes\s*:|transaction was edited by|Modified Dkt text",
    re.I | re.M,
)
_ANNOUNCEMENT_RE = re.compile(r"\bannouncement\b", re.I)
_APPELLATE_EVENT_RE = re.compile(r"^-\s*(\d+)\s*-\s*(.*)$")
_QUOTED_RE = re.compile(r'"([^"]+)"')


def parse_message(raw: bytes, *, court_id: str | None = None) -> ParsedNotice:
    """Parse a whole e-mail message (headers and MIME body).

    ``court_id`` (such as "nysd") overrides the court found in the sender,
    the links or the subject.
    """
    try:
        return _parse_message(raw, court_id)
    except Exception as error:
        return _failed(court_id, error)


def _failed(court_id: str | None, error: Exception) -> ParsedNotice:
    # The contract is to report, not raise, on any input. The warning names
    # only the exception type, because its message could quote a link with a
    # magic number.
    return ParsedNotice(
        kind=NoticeKind.NOT_A_NOTICE,
        court_id=court_id.lower() if court_id else None,
        warnings=[f"parser failed: {type(error).__name__}"],
    )


def _parse_message(raw: bytes, court_id: str | None) -> ParsedNotice:
    mail = read_message(raw)
    if mail.body_is_html:
        text = render_html(mail.body)
    else:
        text = normalize_plain_text(mail.body)
    notice = _parse_text(
        text,
        subject=mail.subject,
        sender=mail.sender,
        court_id=court_id,
        warnings=mail.warnings,
    )
    notice.message_id = mail.message_id
    notice.sent_at = mail.sent_at
    return notice


def parse_html(text: str, *, court_id: str) -> ParsedNotice:
    """Parse the HTML body of a notice without its e-mail headers."""
    try:
        return _parse_text(
            render_html(text), subject="", sender="", court_id=court_id, warnings=[]
        )
    except Exception as error:
        return _failed(court_id, error)


def notice_fingerprint(notice: ParsedNotice) -> str:
    """Return a SHA-256 hex digest that identifies the filing, not the e-mail.

    CM/ECF re-sends notices with new headers, so the digest covers the court,
    each case (docket number, case id) and each entry (document number, doc
    id, sequence number, filing date, docket text) and nothing else.
    """
    payload = [
        notice.court_id,
        [
            [
                docket.docket_number,
                [
                    [
                        entry.pacer_case_id,
                        entry.document_number,
                        entry.pacer_doc_id,
                        entry.pacer_seq_no,
                        entry.date_filed.isoformat() if entry.date_filed else None,
                        entry.description,
                    ]
                    for entry in docket.docket_entries
                ],
            ]
            for docket in notice.dockets
        ],
    ]
    encoded = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _parse_text(
    text: str, *, subject: str, sender: str, court_id: str | None, warnings: list[str]
) -> ParsedNotice:
    court = (court_id or _find_court_id(text, subject, sender) or "").lower() or None
    kind = _notice_kind(text, subject, sender)
    notice = ParsedNotice(
        kind=kind, court_id=court, subject=subject, warnings=list(warnings)
    )
    if court is None and kind is not NoticeKind.NOT_A_NOTICE:
        notice.warnings.append("court id not found in sender, links or subject")
    if kind is NoticeKind.NOT_A_NOTICE:
        notice.warnings.append(
            "not a court notice: no NEF, claims, appellate or court sender found"
        )
        return notice
    if kind is NoticeKind.ANNOUNCEMENT:
        return notice

    blocks = [b for b in case_blocks(text) if b.fields.get("case number")]
    if not blocks:
        notice.warnings.append("no case rows (Case Name, Case Number) found")
        return notice
    sentence = transaction_line(text)
    filed = transaction_date(sentence)
    if kind is NoticeKind.CLAIMS_NEF:
        notice.claims = [_build.build_claim(b, date_filed=filed) for b in blocks]
        notice.filer = transaction_user(sentence)
        return notice

    _fill_dockets(notice, text, blocks, sentence)
    if kind is NoticeKind.EDIT_NOTICE:
        _describe_edit(notice, blocks)
    return notice


def _fill_dockets(
    notice: ParsedNotice, text: str, blocks: list[CaseBlock], sentence: str
) -> None:
    filed = transaction_date(sentence)
    if filed is None:
        notice.warnings.append("filing date not found")
    notice.appellate = notice.kind is NoticeKind.APPELLATE
    # ACMS notices link to the new system, never to an ecf.<court> host.
    # NOTE: only one ACMS sample (ca9) backs this test of the layout.
    notice.acms = notice.appellate and not any(
        _ECF_LINK_RE.match(url) for url in links_in(text)
    )
    short, appellate_number = _short_description(notice, blocks)
    notice.dockets = [
        _build.build_docket(b, date_filed=filed, short_description=short)
        for b in blocks
    ]
    if appellate_number is not None:
        for docket in notice.dockets:
            for entry in docket.docket_entries:
                entry.document_number = entry.document_number or appellate_number
    _build.attach_documents(notice.dockets, document_descriptions(text))
    notice.contains_attachments = any(
        entry.attachments for d in notice.dockets for entry in d.docket_entries
    )
    lines = recipient_lines(text)
    if _is_bankruptcy(notice.court_id, text):
        notice.email_recipients = _build.bankruptcy_recipients(lines)
    else:
        notice.email_recipients = _build.district_recipients(lines)
    filers = [collapse_spaces(line) for line in blocks[0].lines("filer")]
    notice.filer = ", ".join(f for f in filers if f) or transaction_user(sentence)


def _short_description(
    notice: ParsedNotice, blocks: list[CaseBlock]
) -> tuple[str, int | None]:
    """Return the event name from the subject, and an ACMS document number.

    ACMS puts the document number only in the subject: "<case> - 030 - <event>".
    """
    if not notice.subject:
        return "", None
    numbers = [_build.raw_case_number(b) for b in blocks]
    names = [_build.raw_case_name(b) for b in blocks]
    names += [clean_case_name(n) for n in names]
    if notice.appellate:
        quoted = _QUOTED_RE.search(notice.subject)
        if quoted:
            return quoted.group(1).strip(), None
        remainder = _after_case_number(notice.subject, numbers)
        event = _APPELLATE_EVENT_RE.match(remainder)
        if event:
            return event.group(2).strip(), int(event.group(1))
        return remainder, None
    return short_description_from_subject(notice.subject, numbers, names), None


def _after_case_number(subject: str, numbers: list[str]) -> str:
    for number in numbers:
        index = subject.find(number) if number else -1
        if index >= 0:
            return subject[index + len(number) :].strip()
    return ""


def _describe_edit(notice: ParsedNotice, blocks: list[CaseBlock]) -> None:
    # "Modified Dkt text from: <old> to: <new>": keep the new text.
    changes = blocks[0].fields.get("description of changes", [])
    new_text: list[str] = []
    for line in changes:
        if line.strip().lower() == "to:":
            new_text = []
        else:
            new_text.append(line)
    for docket in notice.dockets:
        for entry in docket.docket_entries:
            entry.description = _build.description_text(new_text)


def _notice_kind(text: str, subject: str, sender: str) -> NoticeKind:
    if "Notice of Electronic Claims Filing" in text:
        return NoticeKind.CLAIMS_NEF
    if _EDIT_SUBJECT_RE.search(subject) or _EDIT_TEXT_RE.search(text):
        return NoticeKind.EDIT_NOTICE
    if "Notice of Docket Activity" in text:
        return NoticeKind.APPELLATE
    if "Notice of Electronic Filing" in text:
        return NoticeKind.NEF
    from_court = bool(_COURT_HOST_RE.search(sender))
    if from_court or (_ANNOUNCEMENT_RE.search(text) and "CM/ECF" in text):
        return NoticeKind.ANNOUNCEMENT
    return NoticeKind.NOT_A_NOTICE


def _find_court_id(text: str, subject: str, sender: str) -> str | None:
    """Find the court in the sender, then the ECF links, then the subject.

    Forwarded copies come from a law firm, so their links and the quoted
    "From:" line name the court.
    """
    match = _COURT_HOST_RE.search(sender)
    if match:
        return match.group(1)
    for url in links_in(text):
        link = _ECF_LINK_RE.match(url)
        if link:
            return link.group(1)
    match = _SUBJECT_COURT_RE.search(subject)
    if match:
        return match.group(1)
    match = _QUOTED_COURT_SENDER_RE.search(text)
    return match.group(1) if match else None


def _is_bankruptcy(court_id: str | None, text: str) -> bool:
    # Bankruptcy court ids end in "b" (nysb, cacb); district ones in "d".
    if court_id:
        return court_id.endswith("b")
    return "Bankruptcy Court" in text
