import hashlib
import logging
import re
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from court_notices.blobs import BlobStore
from court_notices.catalog import FREE_LOOK_DAYS
from court_notices.freelook import (
    CaptureOutcome,
    CaptureResult,
    capture_document,
    is_allowed_host,
)
from courtsim.doc1 import render_pdf
from tests.support.courtsim_server import CourtSimulator

COURT_ID = "nysb"
DOC_ID = "126112345678"
MAGIC = "73519264"
MAX_BYTES = 64 * 1024
# .invalid never resolves (RFC 2606), so a request to it could not succeed.
UNRESOLVABLE_HOST = "court-notices-test.invalid"

GOOD_URLS = [
    "https://ecf.nysb.uscourts.gov/doc1/126112345678?caseid=1&magic_num=2",
    "https://uscourts.gov/doc1/1",
    "https://ECF.NCEB.USCOURTS.GOV/doc1/130024615454",
    "https://ecf.nysb.uscourts.gov:443/doc1/1",
    "http://127.0.0.1:8088/ecf/nysb/doc1/1?magic_num=2",
    "https://127.0.0.1:8088/ecf/nysb/doc1/1",
    "http://localhost:9000/doc1/1",
]

HOSTILE_URLS = [
    "http://ecf.nysb.uscourts.gov/doc1/1",
    "https://ecf.nysb.uscourts.gov@evil.example/doc1/1",
    "https://user:pass@ecf.nysb.uscourts.gov/doc1/1",
    "https://evil.example\\@ecf.nysb.uscourts.gov/doc1/1",
    "https://ecf.nysb.uscourts.gov\\.evil.example/doc1/1",
    "https://uscourts.gov.evil.example/doc1/1",
    "https://ecf.nysb.uscourts.gov.evil.example/doc1/1",
    "https://eviluscourts.gov/doc1/1",
    "https://evil-uscourts.gov/doc1/1",
    "https://ecf.nysb.uscourts.gov./doc1/1",
    "https://ecf.nysb.uscourts.gov:8443/doc1/1",
    "https://ecf%2Enysb.uscourts.gov/doc1/1",
    "https://ecf.nysb.uscourts.gov%00.evil.example/doc1/1",
    "https://ecf.nysb\u3002uscourts.gov/doc1/1",
    "https://ecf.nysb.uscourts.gov\uff0f@evil.example/doc1/1",
    "https://127.0.0.1/doc1/1",
    "https://[::1]/doc1/1",
    "https://[::ffff:127.0.0.1]:8088/doc1/1",
    "https://2130706433/doc1/1",
    "https://0x7f.1/doc1/1",
    "http://127.0.0.1:8089/doc1/1",
    "http://127.0.0.1/doc1/1",
    "http://localhost.evil.example:9000/doc1/1",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "data:application/pdf;base64,JVBERi0xLjQK",
    "ftp://ecf.nysb.uscourts.gov/doc1/1",
    "//ecf.nysb.uscourts.gov/doc1/1",
    "ecf.nysb.uscourts.gov/doc1/1",
    "https:ecf.nysb.uscourts.gov/doc1/1",
    " https://ecf.nysb.uscourts.gov/doc1/1",
    "https://ecf.nysb.uscourts.gov/doc1/1\n",
    "https://ecf.nysb.uscourts.gov/doc 1",
    "https://ecf.nysb.uscourts.gov\t/doc1/1",
    "https://ecf.nysb.uscourts.gov/doc1/1\x00",
    "https://ecf.nysb.uscourts.gov:99999/doc1/1",
    "",
]
EXTRA_HOSTS = ["127.0.0.1:8088", "localhost"]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_allowed_host_accepts(url: str) -> None:
    assert is_allowed_host(url, extra_hosts=EXTRA_HOSTS)


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_allowed_host_rejects(url: str) -> None:
    assert not is_allowed_host(url, extra_hosts=EXTRA_HOSTS)


def test_allowed_host_needs_extra_hosts() -> None:
    assert not is_allowed_host("http://127.0.0.1:8088/doc1/1", extra_hosts=())


# --- Capture against the simulator -----------------------------------------------


@pytest.fixture(scope="module")
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


@pytest.fixture
def simulator(court_simulator: CourtSimulator) -> CourtSimulator:
    court_simulator.reset()
    return court_simulator


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def extra_hosts_of(simulator: CourtSimulator) -> list[str]:
    url = httpx.URL(simulator.base_url)
    return [f"{url.host}:{url.port}"]


def doc1_url(simulator: CourtSimulator, doc_id: str = DOC_ID) -> str:
    return (
        f"{simulator.base_url}/ecf/{COURT_ID}/doc1/{doc_id}"
        f"?caseid=313115&de_seq_num=48&magic_num={MAGIC}"
    )


async def register(
    client: httpx.AsyncClient, simulator: CourtSimulator, **fields: object
) -> None:
    body = {"court_id": COURT_ID, "doc_id": DOC_ID, "magic_num": MAGIC, **fields}
    response = await client.post(f"{simulator.base_url}/_sim/documents", json=body)
    assert response.status_code == 201


async def capture(
    client: httpx.AsyncClient,
    simulator: CourtSimulator,
    store: BlobStore,
    *,
    url: str | None = None,
    pacer_doc_id: str | None = DOC_ID,
    max_bytes: int = MAX_BYTES,
) -> CaptureResult:
    result = await capture_document(
        url if url is not None else doc1_url(simulator),
        pacer_doc_id=pacer_doc_id,
        store=store,
        client=client,
        extra_hosts=extra_hosts_of(simulator),
        max_bytes=max_bytes,
    )
    assert MAGIC not in result.detail
    return result


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"court_id": "nysx"}, "Unknown court ID"),
        ({"doc_id": "12a"}, "doc_id must be"),
        ({"magic_num": ""}, "magic_num must be"),
        ({"issued_at": "2025-01-31T09:00:00"}, "issued_at must be"),
        ({"issued_at": "yesterday"}, "issued_at must be"),
        ({"sealed": "yes"}, "sealed must be"),
        ({"size_bytes": -1}, "size_bytes must be"),
    ],
)
async def test_register_document_invalid_400(
    http_client: httpx.AsyncClient,
    simulator: CourtSimulator,
    fields: dict[str, object],
    message: str,
) -> None:
    body = {"court_id": COURT_ID, "doc_id": DOC_ID, "magic_num": MAGIC, **fields}

    response = await http_client.post(f"{simulator.base_url}/_sim/documents", json=body)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert simulator.state.doc1_links() == []


def stored_files(store: BlobStore) -> list[Path]:
    if not store.root.exists():
        return []
    return [path for path in store.root.rglob("*") if path.is_file()]


async def test_capture_first_get_stores_pdf(
    http_client: httpx.AsyncClient, simulator: CourtSimulator, store: BlobStore
) -> None:
    await register(http_client, simulator)

    result = await capture(http_client, simulator, store)

    assert result.outcome is CaptureOutcome.CAPTURED
    assert result.sha256 is not None
    content = store.get(result.sha256)
    assert hashlib.sha256(content).hexdigest() == result.sha256
    assert result.size == len(content)
    assert content.startswith(b"%PDF-")
    assert DOC_ID.encode() in content


async def test_capture_second_get_used(
    http_client: httpx.AsyncClient, simulator: CourtSimulator, store: BlobStore
) -> None:
    await register(http_client, simulator)
    first = await capture(http_client, simulator, store)

    second = await capture(http_client, simulator, store)

    assert first.outcome is CaptureOutcome.CAPTURED
    assert second.outcome is CaptureOutcome.FREE_LOOK_USED
    assert second.sha256 is None
    assert second.size is None


async def test_capture_expired_link(
    http_client: httpx.AsyncClient, simulator: CourtSimulator, store: BlobStore
) -> None:
    issued_at = datetime.now(UTC) - timedelta(days=FREE_LOOK_DAYS, hours=1)
    await register(http_client, simulator, issued_at=issued_at.isoformat())

    result = await capture(http_client, simulator, store)

    assert result.outcome is CaptureOutcome.LINK_EXPIRED
    assert stored_files(store) == []


async def test_capture_link_just_inside_window(
    http_client: httpx.AsyncClient, simulator: CourtSimulator, store: BlobStore
) -> None:
    issued_at = datetime.now(UTC) - timedelta(days=FREE_LOOK_DAYS, hours=-1)
    await register(http_client, simulator, issued_at=issued_at.isoformat())

    result = await capture(http_client, simulator, store)

    assert result.outcome is CaptureOutcome.CAPTURED


async def test_capture_sealed_document(
    http_client: httpx.AsyncClient, simulator: CourtSimulator, store: BlobStore
) -> None:
    await register(http_client, simulator, sealed=True)

    result = await capture(http_client, simulator, store)

    assert result.outcome is CaptureOutcome.SEALED_OR_UNAVAILABLE
    assert stored_files(store) == []


async def test_capture_wrong_magic_unavailable(
    http_client: httpx.AsyncClient, simulator: CourtSimulator, store: BlobStore
) -> None:
    await register(http_client, simulator, magic_num="11111111")

    result = await capture(http_client, simulator, store)

    assert result.outcome is CaptureOutcome.SEALED_OR_UNAVAILABLE
    assert "HTTP 404" in result.detail


async def test_capture_short_doc_id_not_fetched(
    http_client: httpx.AsyncClient, simulator: CourtSimulator, store: BlobStore
) -> None:
    await register(http_client, simulator, doc_id="0280")

    result = await capture(
        http_client,
        simulator,
        store,
        url=doc1_url(simulator, "0280"),
        pacer_doc_id="0280",
    )

    assert result.outcome is CaptureOutcome.SEALED_OR_UNAVAILABLE
    assert simulator.state.request_counts() == {}


async def test_capture_other_host_not_fetched(
    simulator: CourtSimulator, store: BlobStore
) -> None:
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    url = f"https://{UNRESOLVABLE_HOST}/ecf/{COURT_ID}/doc1/{DOC_ID}?magic_num={MAGIC}"
    async with httpx.AsyncClient(event_hooks={"request": [record]}) as client:
        result = await capture(client, simulator, store, url=url)

    assert result.outcome is CaptureOutcome.REJECTED_HOST
    assert UNRESOLVABLE_HOST in result.detail
    assert sent == []
    assert simulator.state.request_counts() == {}


async def test_capture_too_large(
    http_client: httpx.AsyncClient, simulator: CourtSimulator, store: BlobStore
) -> None:
    await register(http_client, simulator, size_bytes=MAX_BYTES + 1)

    result = await capture(http_client, simulator, store)

    assert result.outcome is CaptureOutcome.TOO_LARGE
    assert result.sha256 is None
    assert stored_files(store) == []


async def test_capture_exactly_at_limit(
    http_client: httpx.AsyncClient, simulator: CourtSimulator, store: BlobStore
) -> None:
    size = len(render_pdf(DOC_ID, min_size=MAX_BYTES - 100))
    await register(http_client, simulator, size_bytes=MAX_BYTES - 100)

    result = await capture(http_client, simulator, store, max_bytes=size)

    assert result.outcome is CaptureOutcome.CAPTURED
    assert result.size == size


async def test_capture_json_not_a_pdf(
    http_client: httpx.AsyncClient, simulator: CourtSimulator, store: BlobStore
) -> None:
    url = f"{simulator.base_url}/_sim/health"

    result = await capture(http_client, simulator, store, url=url)

    assert result.outcome is CaptureOutcome.NOT_A_PDF
    assert "application/json" in result.detail
    assert stored_files(store) == []


async def test_capture_server_error_failed(
    http_client: httpx.AsyncClient, simulator: CourtSimulator, store: BlobStore
) -> None:
    await register(http_client, simulator)
    fault = {"path_prefix": f"/ecf/{COURT_ID}/doc1/", "status": 503}
    response = await http_client.post(f"{simulator.base_url}/_sim/faults", json=fault)
    assert response.status_code == 201

    failed = await capture(http_client, simulator, store)
    retried = await capture(http_client, simulator, store)

    assert failed.outcome is CaptureOutcome.FAILED
    assert "HTTP 503" in failed.detail
    assert retried.outcome is CaptureOutcome.CAPTURED


async def test_capture_connection_refused_failed(
    http_client: httpx.AsyncClient, simulator: CourtSimulator, store: BlobStore
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    url = (
        f"http://127.0.0.1:{closed_port}/ecf/{COURT_ID}/doc1/{DOC_ID}?magic_num={MAGIC}"
    )

    result = await capture_document(
        url,
        pacer_doc_id=DOC_ID,
        store=store,
        client=http_client,
        extra_hosts=[f"127.0.0.1:{closed_port}"],
        max_bytes=MAX_BYTES,
    )

    assert result.outcome is CaptureOutcome.FAILED
    assert "ConnectError" in result.detail
    assert MAGIC not in result.detail


async def test_capture_logs_no_magic(
    http_client: httpx.AsyncClient,
    simulator: CourtSimulator,
    store: BlobStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await register(http_client, simulator)
    caplog.set_level(logging.DEBUG)

    await capture(http_client, simulator, store)
    await capture(http_client, simulator, store)

    # uvicorn's access log is left out, because it logs query strings. The
    # simulator's own entry point turns that log off.
    messages = [
        record.getMessage()
        for record in caplog.records
        if record.name != "uvicorn.access"
    ]
    assert any(DOC_ID in message for message in messages)
    assert any("magic_num=[redacted]" in message for message in messages)
    assert not any(MAGIC in message for message in messages)


# --- Replies the simulator does not produce ---------------------------------------

COURT_URL = f"https://ecf.{COURT_ID}.uscourts.gov/doc1/{DOC_ID}?magic_num={MAGIC}"
PDF = render_pdf(DOC_ID)


async def capture_mocked(
    handler: httpx.MockTransport, store: BlobStore, *, max_bytes: int = MAX_BYTES
) -> CaptureResult:
    async with httpx.AsyncClient(transport=handler) as client:
        result = await capture_document(
            COURT_URL,
            pacer_doc_id=DOC_ID,
            store=store,
            client=client,
            max_bytes=max_bytes,
        )
    assert MAGIC not in result.detail
    return result


async def test_capture_html_page_not_a_pdf(store: BlobStore) -> None:
    page = b"<html><body><p>Welcome to CM/ECF.</p></body></html>"
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, content=page, headers={"content-type": "text/html"}
        )
    )

    result = await capture_mocked(transport, store)

    assert result.outcome is CaptureOutcome.NOT_A_PDF
    assert "text/html" in result.detail


async def test_capture_streamed_body_too_large(store: BlobStore) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield PDF
        for _ in range(10):
            yield b"0" * 1024

    # A generator body has no Content-Length, so only the stream limit applies.
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body()))

    result = await capture_mocked(transport, store, max_bytes=len(PDF) + 2048)

    assert result.outcome is CaptureOutcome.TOO_LARGE
    assert stored_files(store) == []


async def test_capture_follows_court_redirect(store: BlobStore) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/doc1/"):
            return httpx.Response(302, headers={"location": "/cgi-bin/show_doc.pl"})
        return httpx.Response(200, content=PDF)

    result = await capture_mocked(httpx.MockTransport(handler), store)

    assert result.outcome is CaptureOutcome.CAPTURED
    assert result.size == len(PDF)


async def test_capture_rejects_redirect_elsewhere(store: BlobStore) -> None:
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.host)
        location = f"https://{UNRESOLVABLE_HOST}/doc1/{DOC_ID}?magic_num={MAGIC}"
        return httpx.Response(302, headers={"location": location})

    result = await capture_mocked(httpx.MockTransport(handler), store)

    assert result.outcome is CaptureOutcome.REJECTED_HOST
    assert requested == [f"ecf.{COURT_ID}.uscourts.gov"]


async def test_capture_too_many_redirects(store: BlobStore) -> None:
    hops: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hops.append(str(request.url))
        return httpx.Response(302, headers={"location": f"/hop/{len(hops)}"})

    result = await capture_mocked(httpx.MockTransport(handler), store)

    assert result.outcome is CaptureOutcome.FAILED
    assert "redirected more than 3 times" in result.detail
    assert len(hops) == 4


# --- Simulator PDF ------------------------------------------------------------------


def test_render_pdf_xref_offsets() -> None:
    pdf = render_pdf(DOC_ID, min_size=5000)

    startxref = re.search(rb"startxref\n(\d+)\n", pdf)
    assert startxref is not None
    xref_offset = int(startxref.group(1))
    entries = re.findall(rb"(\d{10}) 00000 n ", pdf[xref_offset:])
    assert pdf[xref_offset:].startswith(b"xref\n")
    assert len(entries) == 5
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj" % number)


@pytest.mark.parametrize("size", [0, 1000, 1001, 4096, 100_000])
def test_render_pdf_min_size(size: int) -> None:
    pdf = render_pdf(DOC_ID, min_size=size)

    assert len(pdf) >= size
    assert len(pdf) <= max(size + 2, len(render_pdf(DOC_ID)))
    assert pdf.endswith(b"%%EOF\n")
