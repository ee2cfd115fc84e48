import re
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from court_notices.blobs import BlobStore
from court_notices.freelook import CaptureOutcome, capture_document
from courtsim.nef_sender import (
    MAGIC_PLACEHOLDER,
    Doc1Document,
    NefTemplate,
    new_documents,
    render_nef,
)
from tests.support.courtsim_server import CourtSimulator

BASE_URL = "http://127.0.0.1:8088"
TO = "jdoe.nysb@notices.court-notices.test"
NOW = datetime(2025, 3, 4, 14, 5, tzinfo=UTC)
DOC1_LINK = re.compile(r"href='([^']*/doc1/[^']*)'")


def render(
    template: NefTemplate,
    court_id: str = "nysb",
    documents: list[Doc1Document] | None = None,
    **fields: Any,
) -> tuple[EmailMessage, str, list[Doc1Document]]:
    if documents is None:
        documents = new_documents(template, court_id)
    message = render_nef(
        template,
        court_id=court_id,
        to=TO,
        base_url=BASE_URL,
        documents=documents,
        now=NOW,
        **fields,
    )
    body = message.get_content()
    return message, body, documents


@pytest.mark.parametrize("template", list(NefTemplate))
def test_render_common_headers(template: NefTemplate) -> None:
    message, body, _ = render(template, docket_number="25-10482")

    assert message["From"] == "nysb_ecf@nysb.uscourts.gov"
    assert message["To"] == TO
    assert message["Message-ID"].endswith("@nysb.uscourts.gov>")
    assert message.get_content_type() == "text/html"
    assert "25-10482" in message["Subject"]
    assert "U.S. Bankruptcy Court" in body
    assert "Southern District of New York" in body
    assert "<strong>Case Name:</strong>" in body
    assert "<strong>Case Number:</strong>" in body
    assert "25-10482 Notice will be electronically mailed to:" in body
    assert f"<br>{TO}" in body


def test_render_nef_document_link() -> None:
    message, body, documents = render(
        NefTemplate.NEF, docket_number="25-10482", case_name="Ann Collins"
    )

    document = documents[0]
    assert message["Subject"] == "NEF: 25-10482 Motion to Extend Re: Ann Collins"
    assert "Notice of Electronic Filing" in body
    assert DOC1_LINK.findall(body) == [document.url(BASE_URL)]
    assert document.url(BASE_URL) == (
        f"{BASE_URL}/ecf/nysb/doc1/{document.doc_id}?caseid={document.case_id}"
        f"&de_seq_num={dict(document.params)['de_seq_num']}"
        f"&magic_num={document.magic_num}"
    )
    assert "<strong>Docket Text:</strong>" in body
    assert "filed on 3/4/2025" in body


def test_render_nef_subject_variants() -> None:
    nceb, _, _ = render(NefTemplate.NEF, "nceb", docket_number="22-00105")
    txsb, _, _ = render(NefTemplate.NEF, "txsb", docket_number="22-00105")

    assert nceb["Subject"] == "22-00105 Motion to Extend"
    assert txsb["Subject"] == "NEF: 22-00105 Motion to Extend"


def test_new_documents_doc_id_format() -> None:
    for court_id, prefix in (("nysb", "126"), ("nceb", "130"), ("cacb", "973")):
        document = new_documents(NefTemplate.NEF, court_id)[0]

        assert re.fullmatch(rf"{prefix}1[0-9]{{8}}", document.doc_id)
        assert re.fullmatch(r"[1-9][0-9]{7}", document.magic_num)
        assert document.court_id == court_id


def test_new_documents_are_fresh() -> None:
    first = new_documents(NefTemplate.NEF, "nysb")[0]
    second = new_documents(NefTemplate.NEF, "nysb")[0]

    assert first.doc_id != second.doc_id
    assert first.magic_num != second.magic_num


def test_document_repr_hides_magic() -> None:
    document = new_documents(NefTemplate.NEF, "nysb")[0]

    assert document.magic_num not in repr(document)
    assert "magic_num" not in document.url_without_magic(BASE_URL)


def test_render_multi_case_magic_once() -> None:
    message, body, documents = render(
        NefTemplate.MULTI_CASE, docket_number="24-12480", case_name="Franchise Co"
    )

    document = documents[0]
    links = DOC1_LINK.findall(body)
    assert len(links) == 2
    assert links[0] == document.url(BASE_URL)
    assert f"/doc1/{document.doc_id}?" in links[1]
    assert links[1].endswith(f"&magic_num={MAGIC_PLACEHOLDER}")
    assert body.count("<strong>Case Number:</strong>") == 2
    assert "Franchise Co v. Harbor Supply Co." in body
    assert re.fullmatch(
        r"25-5[0-9]{4} 24-12480 Franchise Co Complaint", message["Subject"]
    )


def test_render_claims_notice() -> None:
    message, body, documents = render(NefTemplate.CLAIMS, docket_number="22-13643")

    document = documents[0]
    claim_number = dict(document.params)["claim_num"]
    assert message["Subject"] == "Proof of Claim 22-13643"
    assert "Notice of Electronic Claims Filing" in body
    assert "<strong>Creditor Name:</strong>" in body
    assert "<strong>Claim Number:</strong>" in body
    assert re.search(r"<b>Amount Claimed:</b> \$[0-9,]+\.[0-9]{2} ", body)
    assert DOC1_LINK.findall(body) == [document.url(BASE_URL)]
    assert f">{claim_number}</a>" in body
    assert "Docket Text:" not in body


def test_render_meeting_341_details() -> None:
    message, body, documents = render(
        NefTemplate.MEETING_341, docket_number="24-04888", case_name="Karina Avila"
    )

    assert message["Subject"] == "Ch-7 24-04888 Meeting of Creditors; Karina Avila"
    assert "Notice of Chapter 7 Bankruptcy Case, Meeting of Creditors" in body
    assert "341(a) meeting to be held on 4/3/2025 at 10:00 AM at Room 2110" in body
    assert DOC1_LINK.findall(body) == [documents[0].url(BASE_URL)]


def test_render_minute_entry_no_document() -> None:
    message, body, documents = render(
        NefTemplate.MINUTE_ENTRY, docket_number="2:22-cv-06575"
    )

    assert documents == []
    assert message["Subject"].startswith("Activity in Case 2:22-cv-06575 ")
    assert "No document attached" in body
    assert "Minute Entry for proceedings held before" in body
    assert "/doc1/" not in body


def test_render_escapes_case_name() -> None:
    _, body, _ = render(NefTemplate.NEF, case_name="A & B <script>")

    assert "A &amp; B &lt;script&gt;" in body
    assert "<script>" not in body


def test_render_non_ascii_case_name() -> None:
    message, body, _ = render(NefTemplate.NEF, case_name="José Núñez")

    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert "José Núñez" in body


def test_render_plain_7bit_links() -> None:
    message, _, documents = render(NefTemplate.NEF)

    raw = message.as_bytes()
    assert message["Content-Transfer-Encoding"] == "7bit"
    assert documents[0].url(BASE_URL).encode() in raw


def test_render_wrong_document_count() -> None:
    documents = new_documents(NefTemplate.NEF, "nysb")

    with pytest.raises(ValueError, match="links 0 documents, got 1"):
        render_nef(
            NefTemplate.MINUTE_ENTRY,
            court_id="nysb",
            to=TO,
            base_url=BASE_URL,
            documents=documents,
        )


# --- Sending through the simulator ------------------------------------------------


class RecordingHandler:
    """aiosmtpd handler that keeps every accepted envelope."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def parse_envelope(envelope: Envelope) -> EmailMessage:
    assert isinstance(envelope.content, bytes)
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, RecordingHandler]]:
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture(scope="module")
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=15.0) as client:
        yield client


@pytest.fixture
def simulator(court_simulator: CourtSimulator) -> CourtSimulator:
    court_simulator.reset()
    return court_simulator


async def post_nef(
    client: httpx.AsyncClient, simulator: CourtSimulator, **fields: Any
) -> httpx.Response:
    body = {"to": TO, "court_id": "nysb", "template": "nef", **fields}
    return await client.post(f"{simulator.base_url}/_sim/nefs", json=body)


async def test_send_nef_over_smtp(
    http_client: httpx.AsyncClient,
    simulator: CourtSimulator,
    smtp_server: tuple[Controller, RecordingHandler],
) -> None:
    controller, handler = smtp_server

    response = await post_nef(
        http_client,
        simulator,
        docket_number="25-10482",
        smtp_host="127.0.0.1",
        smtp_port=controller.port,
    )

    assert response.status_code == 202
    reply = response.json()
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.rcpt_tos == [TO]
    assert envelope.mail_from == "nysb_ecf@nysb.uscourts.gov"
    received = parse_envelope(envelope)
    assert received["Message-ID"] == reply["message_id"]
    assert (
        received["Subject"] == "NEF: 25-10482 Motion to Extend Re: Riverbend Bakery LLC"
    )

    links = simulator.state.doc1_links()
    assert len(links) == 1
    link = links[0]
    assert len(reply["documents"]) == 1
    assert reply["documents"][0]["doc_id"] == link.doc_id
    url_without_magic = reply["documents"][0]["url_without_magic"]
    assert url_without_magic.startswith(f"{simulator.base_url}/ecf/nysb/doc1/")
    assert link.magic_num not in response.text
    body = received.get_content()
    assert f"{url_without_magic}&magic_num={link.magic_num}" in body
    assert link.court_id == "nysb"
    assert not link.used


async def test_sent_link_captures_once(
    http_client: httpx.AsyncClient,
    simulator: CourtSimulator,
    smtp_server: tuple[Controller, RecordingHandler],
    tmp_path: Path,
) -> None:
    controller, handler = smtp_server
    response = await post_nef(http_client, simulator, smtp_port=controller.port)
    assert response.status_code == 202
    doc_id = response.json()["documents"][0]["doc_id"]
    received = parse_envelope(handler.envelopes[0])
    links = DOC1_LINK.findall(received.get_content())
    store = BlobStore(tmp_path / "blobs")
    url = httpx.URL(simulator.base_url)

    results = [
        await capture_document(
            links[0],
            pacer_doc_id=doc_id,
            store=store,
            client=http_client,
            extra_hosts=[f"{url.host}:{url.port}"],
            max_bytes=1024 * 1024,
        )
        for _ in range(2)
    ]

    assert [result.outcome for result in results] == [
        CaptureOutcome.CAPTURED,
        CaptureOutcome.FREE_LOOK_USED,
    ]


async def test_send_minute_entry_no_documents(
    http_client: httpx.AsyncClient,
    simulator: CourtSimulator,
    smtp_server: tuple[Controller, RecordingHandler],
) -> None:
    controller, handler = smtp_server

    response = await post_nef(
        http_client, simulator, template="minute_entry", smtp_port=controller.port
    )

    assert response.status_code == 202
    assert response.json()["documents"] == []
    assert simulator.state.doc1_links() == []
    assert len(handler.envelopes) == 1


async def test_send_nef_smtp_down_502(
    http_client: httpx.AsyncClient, simulator: CourtSimulator
) -> None:
    port = free_port()

    response = await post_nef(http_client, simulator, smtp_port=port)

    assert response.status_code == 502
    assert f"127.0.0.1:{port}" in response.json()["error"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"template": "letter"}, "template must be one of"),
        ({"court_id": "nysx"}, "Unknown court ID"),
        ({"to": "not-an-address"}, "to must be an email address"),
        ({"case_name": "A\r\nBcc: x@example.com"}, "case_name must be"),
        ({"docket_number": "25 10482"}, "docket_number must be"),
        ({"smtp_port": 0}, "smtp_port must be"),
        ({"smtp_host": "mail host"}, "smtp_host must be"),
    ],
)
async def test_send_nef_invalid_400(
    http_client: httpx.AsyncClient,
    simulator: CourtSimulator,
    fields: dict[str, Any],
    message: str,
) -> None:
    response = await post_nef(http_client, simulator, **fields)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert simulator.state.doc1_links() == []
