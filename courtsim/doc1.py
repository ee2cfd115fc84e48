"""The court's doc1 free-look links: ``GET /ecf/{court_id}/doc1/{doc_id}``.

A registered link returns a small generated PDF once. Later GETs, links older
than FREE_LOOK_DAYS and sealed documents return HTML pages with status 200,
as PACER does when it sends the browser to a login page. Unknown doc ids and
wrong magic numbers return 404. The page phrases are the ones
``court_notices.freelook`` looks for.
"""

import logging
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from court_notices.catalog import FREE_LOOK_DAYS, UnknownCourtError, get_court
from court_notices.freelook import (
    FREE_LOOK_USED_PHRASE,
    LINK_EXPIRED_PHRASE,
    SEALED_PHRASE,
)
from courtsim.state import Doc1Access, Doc1Link, SimulatorState

__all__ = ["doc1_link_from", "get_doc1", "render_pdf"]

logger = logging.getLogger(__name__)

DOC_ID_PATTERN = re.compile(r"[0-9]{1,20}")
MAGIC_NUM_PATTERN = re.compile(r"[0-9A-Za-z]{1,32}")
# Upper bound of size_bytes, so one control request cannot exhaust memory.
MAX_PDF_BYTES = 64 * 1024 * 1024
# Padding goes into PDF comment lines of this many bytes, newline included.
PADDING_LINE_BYTES = 80

PAGES: dict[Doc1Access, tuple[str, str]] = {
    Doc1Access.FREE_LOOK_USED: (
        "PACER Login",
        f"The {FREE_LOOK_USED_PHRASE}. Log in to PACER to view it. PACER fees apply.",
    ),
    Doc1Access.LINK_EXPIRED: (
        "PACER Login",
        f"This {LINK_EXPIRED_PHRASE}: a free look lasts {FREE_LOOK_DAYS} days "
        "from the notice. Log in to PACER to view the document. PACER fees apply.",
    ),
    Doc1Access.SEALED: (
        "Document Restricted",
        f"This {SEALED_PHRASE} and cannot be viewed.",
    ),
    Doc1Access.NOT_FOUND: (
        "Document Not Found",
        "No document matches this link.",
    ),
}


async def get_doc1(request: Request) -> Response:
    """Serve a doc1 link: the PDF on the first GET, otherwise an HTML page."""
    court_id = request.path_params["court_id"]
    doc_id = request.path_params["doc_id"]
    magic_num = request.query_params.get("magic_num", "")

    state: SimulatorState = request.app.state.simulator
    access, link = state.open_doc1_link(court_id, doc_id, magic_num)
    # The magic number stays out of the log, because it is a credential.
    logger.info("doc1 %s/%s: %s", court_id, doc_id, access)

    if access is Doc1Access.PDF and link is not None:
        return Response(
            render_pdf(doc_id, min_size=link.size_bytes),
            media_type="application/pdf",
        )
    title, message = PAGES[access]
    status = 404 if access is Doc1Access.NOT_FOUND else 200
    return HTMLResponse(_html_page(title, message), status_code=status)


def _html_page(title: str, message: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        f"<html><head><title>{title}</title></head>\n"
        f"<body><h1>{title}</h1>\n<p>{message}</p></body></html>\n"
    )


# --- PDF ---------------------------------------------------------------------


def render_pdf(doc_id: str, *, min_size: int = 0) -> bytes:
    """Render a one-page PDF that prints ``doc_id``, at least ``min_size`` long.

    Padding goes into comment lines after the header. The length of the
    startxref number can change with the padding, so the size is matched in
    up to three passes and may end a byte or two above ``min_size``.
    """
    pdf = _build_pdf(doc_id, padding=0)
    padding = min_size - len(pdf)
    for _ in range(3):
        if len(pdf) >= min_size:
            break
        pdf = _build_pdf(doc_id, padding=padding)
        padding += min_size - len(pdf)
    return pdf


def _build_pdf(doc_id: str, *, padding: int) -> bytes:
    text = _pdf_string(f"Document ID: {doc_id}")
    content = (
        "BT /F1 18 Tf 72 720 Td (Simulated court document) Tj ET\n"
        f"BT /F1 12 Tf 72 690 Td {text} Tj ET\n"
    ).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]

    # The second line marks the file as binary, as the PDF specification advises.
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    out += _padding_lines(padding)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)

    xref_offset = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


def _padding_lines(size: int) -> bytes:
    """Return about ``size`` bytes of PDF comment lines."""
    if size <= 0:
        return b""
    full_lines, rest = divmod(size, PADDING_LINE_BYTES)
    line = b"%" + b"0" * (PADDING_LINE_BYTES - 2) + b"\n"
    tail = b"%" + b"0" * max(rest - 2, 0) + b"\n" if rest else b""
    return line * full_lines + tail


def _pdf_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"({escaped})"


# --- Control API -------------------------------------------------------------


def doc1_link_from(body: dict[str, Any]) -> Doc1Link | str:
    """Return the link a ``POST /_sim/documents`` body describes, or an error.

    ``issued_at`` is ISO 8601 with a UTC offset and defaults to now.
    """
    court_id = body.get("court_id")
    doc_id = body.get("doc_id")
    magic_num = body.get("magic_num")
    sealed = body.get("sealed", False)
    size_bytes = body.get("size_bytes", 0)

    if not isinstance(court_id, str):
        return "court_id must be a PACER court ID such as nysb"
    try:
        court = get_court(court_id)
    except UnknownCourtError as exc:
        return str(exc)
    if not isinstance(doc_id, str) or not DOC_ID_PATTERN.fullmatch(doc_id):
        return "doc_id must be a string of 1 to 20 digits"
    if not isinstance(magic_num, str) or not MAGIC_NUM_PATTERN.fullmatch(magic_num):
        return "magic_num must be a string of 1 to 32 letters or digits"
    if not isinstance(sealed, bool):
        return "sealed must be true or false"
    if type(size_bytes) is not int or not 0 <= size_bytes <= MAX_PDF_BYTES:
        return f"size_bytes must be a whole number from 0 to {MAX_PDF_BYTES}"

    issued_at = _issued_at_from(body.get("issued_at"))
    if isinstance(issued_at, str):
        return issued_at
    return Doc1Link(
        court_id=court.court_id,
        doc_id=doc_id,
        magic_num=magic_num,
        issued_at=issued_at,
        sealed=sealed,
        size_bytes=size_bytes,
    )


def _issued_at_from(value: object) -> datetime | str:
    """Return the parsed ``issued_at``, now when missing, or an error message."""
    if value is None:
        return datetime.now(UTC)
    message = "issued_at must be an ISO 8601 time with a UTC offset"
    if not isinstance(value, str):
        return message
    try:
        issued_at = datetime.fromisoformat(value)
    except ValueError:
        return f"{message}, such as 2025-01-31T09:00:00+00:00"
    if issued_at.tzinfo is None:
        return f"{message}, such as 2025-01-31T09:00:00+00:00"
    return issued_at
