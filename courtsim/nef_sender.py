"""Render NEF e-mails in the CM/ECF bankruptcy HTML format and send them by SMTP.

The layout follows the bankruptcy notices in ``tests/fixtures/nef``: the court
banner, "Notice of Electronic Filing", one table per case with the doc1 link,
the docket text and the "Notice will be electronically mailed to:" list. Doc1
links point at the simulator, so the capture code can fetch them.

``POST /_sim/nefs`` registers the documents, renders the message and sends it.
Its reply names each document without the magic number.
"""

import asyncio
import html
import logging
import re
import secrets
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from court_notices.catalog import Court, UnknownCourtError, get_court
from courtsim.state import Doc1Link, SimulatorState

__all__ = [
    "DEFAULT_SMTP_HOST",
    "DEFAULT_SMTP_PORT",
    "MAGIC_PLACEHOLDER",
    "Doc1Document",
    "NefRequest",
    "NefTemplate",
    "deliver_nef",
    "nef_request_from",
    "new_doc_id",
    "new_documents",
    "render_nef",
    "send_nef",
]

logger = logging.getLogger(__name__)

DEFAULT_SMTP_HOST = "127.0.0.1"
DEFAULT_SMTP_PORT = 2525
SMTP_TIMEOUT_SECONDS = 10.0
# Sent in EHLO, so smtplib does not look up the machine's FQDN, which can
# stall for seconds where DNS is slow.
SMTP_LOCAL_HOSTNAME = "courtsim.localhost"

# A practical check, not RFC 5322: one @, no whitespace, a dot in the domain.
ADDRESS_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_ADDRESS_LENGTH = 254
# A DNS name, an IPv4 address or an IPv6 address without brackets.
HOST_PATTERN = re.compile(r"[0-9A-Za-z.:-]{1,253}")
# Bankruptcy docket numbers such as 24-12345 or 6:22-bk-13643-SY.
DOCKET_NUMBER_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z:-]{0,39}")
MAX_CASE_NAME_LENGTH = 200
# Subjects cut the case name to this many characters, as deb_1 and njb_1 show.
SUBJECT_CASE_NAME_LENGTH = 18
# Other blocks of a multi-case NEF carry this text in place of a magic number.
MAGIC_PLACEHOLDER = "MAGIC"

DEFAULT_CASE_NAME = "Riverbend Bakery LLC"
FILER_NAME = "Whitfield, Dana"
ATTORNEY_NAME = "Dana R. Whitfield"
TRUSTEE_NAME = "Morgan T. Ellery"
TRUSTEE_ADDRESS = "trustee@trustee.example.net"
UST_ADDRESS = "ustp.region.ecf@doj.example.org"


class NefTemplate(StrEnum):
    # A docket entry in one case with one document, like nceb_1.
    NEF = "nef"
    # One entry in an adversary case and its main case, like deb_1 and nysd_1.
    MULTI_CASE = "multi_case"
    # A Notice of Electronic Claims Filing for a proof of claim, like cacb_1.
    CLAIMS = "claims"
    # A Chapter 7 notice of case and 341(a) meeting, like casb_1 and arwb_1.
    MEETING_341 = "meeting_341"
    # A minute entry with no document attached, like njd_1.
    MINUTE_ENTRY = "minute_entry"


DOCUMENT_COUNTS = {
    NefTemplate.NEF: 1,
    NefTemplate.MULTI_CASE: 1,
    NefTemplate.CLAIMS: 1,
    NefTemplate.MEETING_341: 1,
    NefTemplate.MINUTE_ENTRY: 0,
}


@dataclass(frozen=True)
class Doc1Document:
    """A free-look document of a rendered NEF.

    ``params`` are the query parameters before ``magic_num``, in link order.
    """

    court_id: str
    doc_id: str
    magic_num: str = field(repr=False)
    params: tuple[tuple[str, str], ...]

    @property
    def case_id(self) -> str:
        return dict(self.params)["caseid"]

    def url(self, base_url: str, *, magic_num: str | None = None) -> str:
        """Return the doc1 link, with ``magic_num`` replacing the real one if given."""
        magic = self.magic_num if magic_num is None else magic_num
        query = urlencode([*self.params, ("magic_num", magic)])
        return f"{self.path(base_url)}?{query}"

    def url_without_magic(self, base_url: str) -> str:
        return f"{self.path(base_url)}?{urlencode(self.params)}"

    def path(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/ecf/{self.court_id}/doc1/{self.doc_id}"

    def to_link(self, issued_at: datetime) -> Doc1Link:
        return Doc1Link(self.court_id, self.doc_id, self.magic_num, issued_at)


@dataclass(frozen=True)
class NefRequest:
    """A validated ``POST /_sim/nefs`` body."""

    to: str
    court_id: str
    template: NefTemplate
    case_name: str | None
    docket_number: str | None
    smtp_host: str
    smtp_port: int


# --- Random identifiers -------------------------------------------------------


def _digits(count: int) -> str:
    """Return ``count`` random decimal digits, the first one not 0."""
    first = str(1 + secrets.randbelow(9))
    return first + "".join(str(secrets.randbelow(10)) for _ in range(count - 1))


def new_doc_id(court_id: str) -> str:
    """Return a fresh free-look doc id: the court's 3-digit prefix, then 9 digits.

    The 4th digit is 1, as in the free-look links of the fixtures.
    """
    prefix = get_court(court_id).doc1_id_prefix
    return prefix + "1" + "".join(str(secrets.randbelow(10)) for _ in range(8))


def new_documents(template: NefTemplate | str, court_id: str) -> list[Doc1Document]:
    """Return fresh documents with random magic numbers for one NEF of ``template``."""
    kind = NefTemplate(template)
    court = get_court(court_id)
    documents = []
    for _ in range(DOCUMENT_COUNTS[kind]):
        case_id = _digits(6)
        params: tuple[tuple[str, str], ...]
        if kind is NefTemplate.CLAIMS:
            params = (
                ("caseid", case_id),
                ("claim_num", str(1 + secrets.randbelow(40))),
                ("claim_id", _digits(9)),
            )
        else:
            params = (("caseid", case_id), ("de_seq_num", _digits(3)))
        documents.append(
            Doc1Document(court.court_id, new_doc_id(court.court_id), _digits(8), params)
        )
    return documents


def default_docket_number(now: datetime) -> str:
    return f"{now:%y}-{_digits(5)}"


# --- Rendering ------------------------------------------------------------------


@dataclass(frozen=True)
class _Notice:
    """Values that a template renders into one message."""

    template: NefTemplate
    court: Court
    to: str
    base_url: str
    case_name: str
    docket_number: str
    documents: list[Doc1Document]
    now: datetime


def render_nef(
    template: NefTemplate | str,
    *,
    court_id: str,
    to: str,
    base_url: str,
    case_name: str | None = None,
    docket_number: str | None = None,
    documents: Sequence[Doc1Document] | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """Render an NEF e-mail of ``template`` for the court, addressed to ``to``.

    ``documents`` default to fresh ones from ``new_documents``. Raises
    ValueError for an unknown template or a wrong number of documents, and
    UnknownCourtError for an unknown court.
    """
    kind = NefTemplate(template)
    court = get_court(court_id)
    current = now if now is not None else datetime.now(UTC)
    if documents is None:
        documents = new_documents(kind, court.court_id)
    if len(documents) != DOCUMENT_COUNTS[kind]:
        raise ValueError(
            f"template {kind} links {DOCUMENT_COUNTS[kind]} documents, "
            f"got {len(documents)}"
        )

    notice = _Notice(
        template=kind,
        court=court,
        to=to,
        base_url=base_url.rstrip("/"),
        case_name=case_name or DEFAULT_CASE_NAME,
        docket_number=docket_number or default_docket_number(current),
        documents=list(documents),
        now=current,
    )
    subject, body = RENDERERS[kind](notice)

    message = EmailMessage()
    message["From"] = f"{court.court_id}_ecf@{court.court_id}.uscourts.gov"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(current)
    message["Message-ID"] = make_msgid(domain=f"{court.court_id}.uscourts.gov")
    # CM/ECF sends plain 7bit HTML, so the raw message keeps links readable.
    # A non-ASCII case name needs quoted-printable instead.
    encoding = "7bit" if body.isascii() else "quoted-printable"
    message.set_content(body, subtype="html", cte=encoding)
    return message


def _render_nef(notice: _Notice) -> tuple[str, str]:
    document = notice.documents[0]
    number = str(1 + secrets.randbelow(300))
    short = "Motion to Extend"
    text = (
        f"Motion to Extend Time to File Response, filed by {ATTORNEY_NAME} on "
        f"behalf of {html.escape(notice.case_name)}. ({FILER_NAME})"
    )
    subject_format = NEF_SUBJECTS.get(notice.court.court_id, "NEF: {docket} {short}")
    subject = subject_format.format(
        docket=notice.docket_number, short=short, case=notice.case_name
    )
    body = (
        _banner(notice, "Notice of Electronic Filing")
        + _transaction(notice)
        + _case_table(
            notice,
            notice.case_name,
            notice.docket_number,
            document.case_id,
            _document_row(_link(document.url(notice.base_url), number)),
        )
        + _docket_text(text)
        + _documents_table("motion to extend time.pdf")
        + _recipients(notice)
    )
    return subject, body


def _render_multi_case(notice: _Notice) -> tuple[str, str]:
    document = notice.documents[0]
    adversary_number = f"{notice.now:%y}-5{_digits(4)}"
    adversary_name = f"{notice.case_name} v. Harbor Supply Co."
    main_case_id = _digits(6)
    # The second block links the same document without its magic number.
    main_link = Doc1Document(
        document.court_id,
        document.doc_id,
        MAGIC_PLACEHOLDER,
        (("caseid", main_case_id), ("de_seq_num", _digits(4))),
    )
    text = (
        f"Adversary case {adversary_number}. Complaint by "
        f"{html.escape(notice.case_name)} "
        "against Harbor Supply Co. Fee Amount $350 (91 (Declaratory judgment)). "
        f"({FILER_NAME})"
    )
    subject = (
        f"{adversary_number} {notice.docket_number} "
        f"{notice.case_name[:SUBJECT_CASE_NAME_LENGTH]} Complaint"
    )
    body = (
        _banner(notice, "Notice of Electronic Filing")
        + _transaction(notice)
        + _case_table(
            notice,
            adversary_name,
            adversary_number,
            document.case_id,
            _document_row(_link(document.url(notice.base_url), "1")),
        )
        + _case_table(
            notice,
            notice.case_name,
            notice.docket_number,
            main_case_id,
            _document_row(_link(main_link.url(notice.base_url), "262")),
        )
        + _docket_text(text)
        + _documents_table("complaint.pdf")
        + _recipients(notice)
    )
    return subject, body


def _render_claims(notice: _Notice) -> tuple[str, str]:
    document = notice.documents[0]
    claim_number = dict(document.params)["claim_num"]
    amount = (100_000 + secrets.randbelow(900_000)) / 100
    register_url = (
        f"{notice.base_url}/ecf/{notice.court.court_id}/cgi-bin/SearchClaims.pl"
        f"?{document.case_id}"
    )
    claim_rows = (
        "<tr><td><strong>Creditor Name:</strong></td>\n"
        "<td>Lakeview Capital Partners LLC\n<br>PO Box 4400\n"
        "<br>Anytown, OH  43000-4400</td></tr>\n"
        "<tr><td><strong>Claim Number:</strong></td>\n<td>\n"
        f"{_link(document.url(notice.base_url), claim_number)}"
        f" &nbsp &nbsp <a href={_href(register_url)}> Claims Register</a> </td></tr>"
        f"<tr><td><b>Amount Claimed:</b> ${amount:,.2f} </td></tr>"
        "<tr><td><b>Amount Secured:</td></tr> "
        "<tr><td><b>Amount Priority:</td></tr> \n</td></tr>\n"
    )
    body = (
        _banner(notice, "Notice of Electronic Claims Filing")
        + _transaction(notice, claims=True)
        + _case_table(
            notice, notice.case_name, notice.docket_number, document.case_id, claim_rows
        )
        + _documents_table("proof of claim.pdf")
        + _recipients(notice)
    )
    return f"Proof of Claim {notice.docket_number}", body


def _render_meeting_341(notice: _Notice) -> tuple[str, str]:
    document = notice.documents[0]
    meeting = notice.now + timedelta(days=30)
    objections_due = notice.now + timedelta(days=90)
    text = (
        "Notice of Chapter 7 Bankruptcy Case, Meeting of Creditors &amp; Notice "
        f"of Appointment of Interim Trustee {TRUSTEE_NAME} with<B> 341(a) meeting "
        f"to be held on {_date(meeting)} at 10:00 AM at Room 2110, Office of the "
        "U.S. Trustee. </B> Objections for Discharge due by "
        f"{_date(objections_due)}. ({FILER_NAME})"
    )
    subject = f"Ch-7 {notice.docket_number} Meeting of Creditors; {notice.case_name}"
    body = (
        _banner(notice, "Notice of Electronic Filing")
        + _transaction(notice)
        + _case_table(
            notice,
            notice.case_name,
            notice.docket_number,
            document.case_id,
            _document_row(_link(document.url(notice.base_url), "5")),
        )
        + _docket_text(text)
        + _documents_table("notice of meeting of creditors.pdf")
        + _recipients(notice)
    )
    return subject, body


def _render_minute_entry(notice: _Notice) -> tuple[str, str]:
    text = (
        "Minute Entry for proceedings held before Judge Avery L. Brandt: Status "
        f"Conference held on {_date(notice.now)}. (AB, )"
    )
    subject = (
        f"Activity in Case {notice.docket_number} {notice.case_name} Status Conference"
    )
    body = (
        _banner(notice, "Notice of Electronic Filing")
        + _transaction(notice)
        + _case_table(
            notice,
            notice.case_name,
            notice.docket_number,
            _digits(6),
            _document_row("No document attached"),
        )
        + _docket_text(text)
        + _documents_table(None)
        + _recipients(notice)
    )
    return subject, body


RENDERERS = {
    NefTemplate.NEF: _render_nef,
    NefTemplate.MULTI_CASE: _render_multi_case,
    NefTemplate.CLAIMS: _render_claims,
    NefTemplate.MEETING_341: _render_meeting_341,
    NefTemplate.MINUTE_ENTRY: _render_minute_entry,
}

# Subject formats of the NEF template that differ from "NEF: <number> <text>".
NEF_SUBJECTS = {
    "nysb": "NEF: {docket} {short} Re: {case}",
    "nceb": "{docket} {short}",
}


# --- HTML pieces ----------------------------------------------------------------


def _date(moment: datetime) -> str:
    return f"{moment.month}/{moment.day}/{moment.year}"


def _time(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{hour}:{moment.minute:02d} {half}"


def _banner(notice: _Notice, title: str) -> str:
    district = notice.court.full_name.removeprefix(
        "United States Bankruptcy Court for the "
    )
    return (
        "<p><strong>***NOTE TO PUBLIC ACCESS USERS*** Attorneys of record and "
        "parties in a case receive one free electronic copy of each document "
        "filed electronically. PACER fees apply to all other users. Download a "
        "copy of each document during this first viewing.</strong></p>\n\n"
        "<p align=center><strong>U.S. Bankruptcy Court</strong></p>\n\n"
        f"<p align=center><strong>{html.escape(district)}</strong></p>\n"
        f"{title}\n<BR>\n<div>\n"
    )


def _transaction(notice: _Notice, *, claims: bool = False) -> str:
    when = f"{_date(notice.now)} at {_time(notice.now)} UTC"
    if claims:
        return (
            f"<BR>The following transaction was received from {FILER_NAME} on "
            f"{when}\n<BR>\n\n"
        )
    return (
        f"<BR>The following transaction was received from {FILER_NAME} entered "
        f"on {when} and filed on {_date(notice.now)} \n\n<BR>\n\n"
    )


def _case_table(
    notice: _Notice,
    case_name: str,
    docket_number: str,
    case_id: str,
    rows: str,
) -> str:
    """Render one case block: name, number, then ``rows`` as given."""
    report_url = (
        f"{notice.base_url}/ecf/{notice.court.court_id}/cgi-bin/DktRpt.pl?{case_id}"
    )
    return (
        "<table border=0 cellspacing=0>\n"
        "<tr><td><strong>Case Name:</strong>\n"
        f"</td><td>{html.escape(case_name)}</td></tr>\n"
        "<tr><td><strong>Case Number:</strong></td><td>"
        f"<A HREF={_href(report_url)}>{html.escape(docket_number)}</A></td></tr>\n\n"
        f"{rows}</table>\n\n"
    )


def _document_row(content: str) -> str:
    return (
        f"<tr><td><strong>Document Number:</strong></td>\n<td>\n{content}\n</td></tr>\n"
    )


def _link(url: str, number: str) -> str:
    return f"<a href='{_href(url)}'>{number}</a>"


def _href(url: str) -> str:
    """Make ``url`` safe inside an HTML attribute but keep ``&`` raw.

    CM/ECF writes query strings with a bare ``&``, and parsers of real notices
    expect that.
    """
    unsafe = {"'": "%27", '"': "%22", "<": "%3C", ">": "%3E", " ": "%20"}
    return "".join(unsafe.get(char, char) for char in url)


def _docket_text(text: str) -> str:
    """Render the docket text, which must already be escaped HTML."""
    return f"<p><strong>Docket Text:</strong>\n\n<BR>\n{text}\n</p>\n\n"


def _documents_table(filename: str | None) -> str:
    rows = ""
    if filename is not None:
        rows = (
            "<STRONG>Document description:</STRONG>Main Document  \n"
            f"<BR><STRONG>Original filename:</STRONG>{filename}\n<BR>\n"
        )
    return (
        "<p>The following document(s) are associated with this transaction:</p>\n"
        f"<table>\n{rows}\n</table>\n</div>\n\n"
    )


def _recipients(notice: _Notice) -> str:
    recipients = [
        (
            f"{ATTORNEY_NAME} on behalf of Debtor {notice.case_name}",
            notice.to,
        ),
        (TRUSTEE_NAME, TRUSTEE_ADDRESS),
        ("  U.S. Trustee", UST_ADDRESS),
    ]
    docket = html.escape(notice.docket_number)
    lines = [
        f"<BR><B>\n{docket} Notice will be electronically mailed to:\n</B>\n\n<BR>\n"
    ]
    for name, address in recipients:
        lines.append(
            f'\n<BR><span class="personName">{html.escape(name)}</span>\n'
            f"<br>{html.escape(address)}\n<BR>"
        )
    lines.append(
        f"\n\n<BR>\n<B>\n{docket} Notice will not be electronically mailed to:"
        "\n</B>\n\n<BR>\n"
    )
    return "".join(lines)


# --- Control API and SMTP -------------------------------------------------------


def nef_request_from(
    body: dict[str, Any], *, smtp_host: str, smtp_port: int
) -> NefRequest | str:
    """Return the request a ``POST /_sim/nefs`` body describes, or an error.

    ``smtp_host`` and ``smtp_port`` are the simulator's defaults, used when the
    body names no intake server.
    """
    to = body.get("to")
    template = body.get("template", NefTemplate.NEF.value)
    if (
        not isinstance(to, str)
        or len(to) > MAX_ADDRESS_LENGTH
        or ADDRESS_PATTERN.fullmatch(to) is None
    ):
        return "to must be an email address such as name@example.com"
    if template not in NefTemplate.__members__.values():
        choices = ", ".join(member.value for member in NefTemplate)
        return f"template must be one of {choices}"

    court_id = body.get("court_id")
    if not isinstance(court_id, str):
        return "court_id must be a PACER court ID such as nysb"
    try:
        court = get_court(court_id)
    except UnknownCourtError as exc:
        return str(exc)

    case_name = body.get("case_name")
    if case_name is not None and not _is_case_name(case_name):
        return (
            f"case_name must be 1 to {MAX_CASE_NAME_LENGTH} printable characters "
            "on one line"
        )
    docket_number = body.get("docket_number")
    if docket_number is not None and (
        not isinstance(docket_number, str)
        or DOCKET_NUMBER_PATTERN.fullmatch(docket_number) is None
    ):
        return "docket_number must be a docket number such as 24-12345-mg"

    host = body.get("smtp_host", smtp_host)
    port = body.get("smtp_port", smtp_port)
    if not isinstance(host, str) or HOST_PATTERN.fullmatch(host) is None:
        return "smtp_host must be a host name or IP address"
    if type(port) is not int or not 1 <= port <= 65535:
        return "smtp_port must be a TCP port from 1 to 65535"

    return NefRequest(
        to=to,
        court_id=court.court_id,
        template=NefTemplate(template),
        case_name=case_name,
        docket_number=docket_number,
        smtp_host=host,
        smtp_port=port,
    )


def _is_case_name(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_CASE_NAME_LENGTH
        and value.isprintable()
    )


async def send_nef(
    message: EmailMessage,
    *,
    host: str,
    port: int,
    timeout: float = SMTP_TIMEOUT_SECONDS,
) -> None:
    """Send ``message`` to the SMTP server at host:port from a worker thread.

    The envelope comes from the From and To headers. Raises OSError, which
    includes smtplib.SMTPException, when the server is unreachable or rejects
    the message.
    """
    await asyncio.to_thread(_send_blocking, message, host, port, timeout)


def _send_blocking(message: EmailMessage, host: str, port: int, timeout: float) -> None:
    with smtplib.SMTP(
        host, port, local_hostname=SMTP_LOCAL_HOSTNAME, timeout=timeout
    ) as smtp:
        smtp.send_message(message)


async def deliver_nef(
    nef: NefRequest, *, state: SimulatorState, base_url: str
) -> tuple[EmailMessage, list[Doc1Document]]:
    """Register fresh documents, render the NEF and send it.

    The documents stay registered when sending fails. Raises OSError as
    ``send_nef`` does.
    """
    now = datetime.now(UTC)
    documents = new_documents(nef.template, nef.court_id)
    for document in documents:
        state.put_doc1_link(document.to_link(now))

    message = render_nef(
        nef.template,
        court_id=nef.court_id,
        to=nef.to,
        base_url=base_url,
        case_name=nef.case_name,
        docket_number=nef.docket_number,
        documents=documents,
        now=now,
    )
    await send_nef(message, host=nef.smtp_host, port=nef.smtp_port)
    logger.info(
        "Sent %s NEF %s of %s to %s through %s:%d, doc ids %s",
        nef.template,
        message["Message-ID"],
        nef.court_id,
        nef.to,
        nef.smtp_host,
        nef.smtp_port,
        [document.doc_id for document in documents] or "none",
    )
    return message, documents
