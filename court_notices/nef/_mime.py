"""Read the headers and the notice body of an e-mail message.

Court mail is often damaged on the way (mailing lists, forwarding clients,
mislabelled charsets), so every step here records a warning and carries on
instead of raising.
"""

import codecs
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.errors import MessageError
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime

_NOTICE_MARKER_RE = re.compile(
    r"Notice of Electronic|Notice of Docket Activity|CM/ECF", re.I
)
_FORWARDED_SUBJECT_RE = re.compile(r"^\s*(?:fwd?|fw)\s*:", re.I)
_FORWARDED_BODY_RE = re.compile(
    r"Begin forwarded message|-{2,}\s*Forwarded message\s*-{2,}|"
    r"-{2,}\s*Original Message\s*-{2,}",
    re.I,
)


@dataclass
class MailContent:
    subject: str = ""
    sender: str = ""
    message_id: str | None = None
    sent_at: datetime | None = None
    body: str = ""
    body_is_html: bool = False
    forwarded: bool = False
    warnings: list[str] = field(default_factory=list)


def read_message(raw: bytes) -> MailContent:
    """Return the headers and the preferred body (HTML, else plain text)."""
    content = MailContent()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    content.subject = _header(message, "Subject", content.warnings)
    content.sender = parseaddr(_header(message, "From", content.warnings))[1]
    content.message_id = _header(message, "Message-ID", content.warnings) or None
    content.sent_at = _sent_at(message, content.warnings)
    for defect in message.defects:
        content.warnings.append(f"MIME defect: {type(defect).__name__}")

    part = _select_body(message, content)
    if part is None:
        content.warnings.append("message has no text/html or text/plain part")
    elif part is not message:
        for defect in part.defects:
            content.warnings.append(f"MIME defect: {type(defect).__name__}")

    content.forwarded = bool(
        _FORWARDED_SUBJECT_RE.match(content.subject)
        or _FORWARDED_BODY_RE.search(content.body)
    )
    if content.forwarded:
        content.warnings.append("forwarded copy: the notice is quoted inside")
    return content


def _header(message: Message, name: str, warnings: list[str]) -> str:
    try:
        value = message.get(name)
    except (MessageError, ValueError, IndexError, TypeError) as error:
        warnings.append(f"invalid {name} header: {type(error).__name__}")
        return ""
    return str(value).strip() if value is not None else ""


def _sent_at(message: Message, warnings: list[str]) -> datetime | None:
    value = _header(message, "Date", warnings)
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        warnings.append("invalid Date header")
        return None


def _select_body(message: Message, content: MailContent) -> Message | None:
    """Decode the text part that carries the notice into ``content.body``.

    HTML is preferred to plain text and inline parts to attachments. When a
    forward puts the notice in a later part ("FYI" first, the notice as an
    attached message), the first part that mentions CM/ECF wins.
    """
    candidates = [
        part
        for part in message.walk()
        if not part.is_multipart()
        and part.get_content_type() in ("text/html", "text/plain")
    ]
    candidates.sort(
        key=lambda part: (_is_attachment(part), part.get_content_type() != "text/html")
    )
    chosen: tuple[Message, str, list[str]] | None = None
    for part in candidates:
        warnings: list[str] = []
        text = _decode_part(part, warnings)
        if chosen is None or _NOTICE_MARKER_RE.search(text):
            chosen = (part, text, warnings)
        if _NOTICE_MARKER_RE.search(text):
            break
    if chosen is None:
        return None
    part, content.body, warnings = chosen
    content.body_is_html = part.get_content_type() == "text/html"
    content.warnings.extend(warnings)
    return part


def _is_attachment(part: Message) -> bool:
    if isinstance(part, EmailMessage):
        return part.is_attachment()
    return "attachment" in str(part.get("Content-Disposition", "")).lower()


def _decode_part(part: Message, warnings: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        warnings.append("text part has no readable payload")
        return ""
    charset = part.get_content_charset()
    if charset is None:
        return _decode(payload, "utf-8", warnings)
    try:
        codecs.lookup(charset)
    except LookupError:
        warnings.append(
            f"unknown charset {charset!r}: decoded as UTF-8 with replacement characters"
        )
        return payload.decode("utf-8", errors="replace")
    return _decode(payload, charset, warnings)


def _decode(payload: bytes, charset: str, warnings: list[str]) -> str:
    try:
        return payload.decode(charset)
    except UnicodeDecodeError:
        warnings.append(f"body is not valid {charset}: undecodable bytes were replaced")
        return payload.decode(charset, errors="replace")
