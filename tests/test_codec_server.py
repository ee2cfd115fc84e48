"""The remote codec server, mostly over real HTTP on 127.0.0.1."""

import asyncio
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf import json_format
from starlette.applications import Starlette
from temporalio.api.common.v1 import Payload, Payloads

from court_notices.codec import EncryptionCodec
from court_notices.codec_server import create_codec_app, parse_origins
from court_notices.vault import Keyring, KeyringSource

TOKEN = "codec-test-token-3b9e"
UI_ORIGINS = ["http://localhost:8233", "http://127.0.0.1:8233"]
OTHER_ORIGIN = "http://evil.example:8233"
MARKER = "marker-9d41-notice-of-electronic-filing"
PAYLOADS = [
    Payload(metadata={"encoding": b"json/plain"}, data=f'"{MARKER}"'.encode()),
    Payload(metadata={"encoding": b"binary/null"}),
]
STARTUP_TIMEOUT_SECONDS = 10.0


def make_keyring(key_id: str) -> str:
    keyring = Keyring(active_key_id=key_id, keys={key_id: AESGCM.generate_key(256)})
    return keyring.to_json()


def payloads_json(payloads: list[Payload]) -> dict[str, Any]:
    return json_format.MessageToDict(Payloads(payloads=payloads))


def payloads_from(response: httpx.Response) -> list[Payload]:
    return list(json_format.ParseDict(response.json(), Payloads()).payloads)


@pytest.fixture(scope="module")
def codec() -> EncryptionCodec:
    return EncryptionCodec(KeyringSource(keys_json=make_keyring("k-server")))


def serve(app: Starlette) -> tuple[uvicorn.Server, threading.Thread, socket.socket]:
    """Start uvicorn in a daemon thread on a free port and wait until it listens."""
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    # Binding before the thread starts gives a free port without a race.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, daemon=True
    )
    thread.start()

    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"Codec server did not start on port {port}")
        time.sleep(0.02)
    return server, thread, listener


@pytest.fixture(scope="module")
def base_url(codec: EncryptionCodec) -> Iterator[str]:
    app = create_codec_app(codec, allowed_origins=UI_ORIGINS, bearer_token=TOKEN)
    server, thread, listener = serve(app)
    port = listener.getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
    listener.close()


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as client:
        yield client


async def test_round_trip_over_http(client: httpx.AsyncClient) -> None:
    encoded = await client.post("/encode", json=payloads_json(PAYLOADS))
    decoded = await client.post("/decode", json=encoded.json())

    assert encoded.status_code == 200
    assert encoded.headers["content-type"] == "application/json"
    assert MARKER not in encoded.text
    assert decoded.status_code == 200
    assert payloads_from(decoded) == PAYLOADS


async def test_encode_metadata(client: httpx.AsyncClient) -> None:
    response = await client.post("/encode", json=payloads_json(PAYLOADS[:1]))

    [encoded] = payloads_from(response)
    assert encoded.metadata["encoding"] == b"binary/encrypted"
    assert encoded.metadata["encryption-key-id"] == b"k-server"


async def test_decode_with_query_string(
    client: httpx.AsyncClient, codec: EncryptionCodec
) -> None:
    encrypted = await codec.encode(PAYLOADS)

    response = await client.post(
        "/decode?preserveStorageRefs=true", json=payloads_json(encrypted)
    )

    assert response.status_code == 200
    assert payloads_from(response) == PAYLOADS


async def test_decode_empty_list(client: httpx.AsyncClient) -> None:
    response = await client.post("/decode", json={"payloads": []})

    assert response.status_code == 200
    assert response.json() == {"payloads": []}


async def test_plain_payload_passes_through(client: httpx.AsyncClient) -> None:
    response = await client.post("/decode", json=payloads_json(PAYLOADS))

    assert response.status_code == 200
    assert payloads_from(response) == PAYLOADS


@pytest.mark.parametrize("origin", UI_ORIGINS)
async def test_preflight_allowed_origin(base_url: str, origin: str) -> None:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
    }
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.options("/decode", headers=headers)

    allowed_headers = response.headers["access-control-allow-headers"]
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == origin
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "OPTIONS" in response.headers["access-control-allow-methods"]
    assert "content-type" in allowed_headers
    assert "x-namespace" in allowed_headers
    assert "authorization" in allowed_headers
    assert response.headers["vary"] == "Origin"


async def test_preflight_other_origin(base_url: str) -> None:
    headers = {"Origin": OTHER_ORIGIN, "Access-Control-Request-Method": "POST"}
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.options("/decode", headers=headers)

    assert response.status_code == 403
    assert OTHER_ORIGIN in response.json()["error"]
    assert "access-control-allow-origin" not in response.headers


async def test_post_other_origin(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/decode", json={"payloads": []}, headers={"Origin": OTHER_ORIGIN}
    )

    assert response.status_code == 403
    assert OTHER_ORIGIN in response.json()["error"]


async def test_post_allowed_origin(client: httpx.AsyncClient) -> None:
    origin = UI_ORIGINS[0]
    headers = {"Origin": origin, "X-Namespace": "default"}
    response = await client.post("/decode", json={"payloads": []}, headers=headers)

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"],
    ids=["missing", "wrong", "basic", "longer"],
)
async def test_token_rejected(base_url: str, authorization: str | None) -> None:
    headers = {"Origin": UI_ORIGINS[0]}
    if authorization is not None:
        headers["Authorization"] = authorization
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post("/decode", json={"payloads": []}, headers=headers)

    assert response.status_code == 401
    assert "bearer token" in response.json()["error"]
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["access-control-allow-origin"] == UI_ORIGINS[0]


async def test_token_scheme_case(base_url: str) -> None:
    headers = {"Authorization": f"bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post("/encode", json={"payloads": []}, headers=headers)

    assert response.status_code == 200


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/decode", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


@pytest.mark.parametrize(
    "body", [{}, [], {"payload": []}], ids=["empty", "list", "typo"]
)
async def test_missing_payloads(client: httpx.AsyncClient, body: Any) -> None:
    response = await client.post("/decode", json=body)

    assert response.status_code == 400
    assert '"payloads"' in response.json()["error"]


async def test_payloads_not_array(client: httpx.AsyncClient) -> None:
    response = await client.post("/decode", json={"payloads": {"data": ""}})

    assert response.status_code == 400
    assert "not an array" in response.json()["error"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"data": "%%%%"}, "payloads[0].data"),
        ({"data": "abcde"}, "payloads[0].data"),
        ({"data": 17}, "payloads[0].data"),
        ({"metadata": {"encoding": "not base64!"}}, "payloads[0].metadata['encoding']"),
    ],
    ids=["symbols", "length", "number", "metadata"],
)
async def test_bad_base64(
    client: httpx.AsyncClient, payload: dict[str, Any], field: str
) -> None:
    response = await client.post("/decode", json={"payloads": [payload]})

    assert response.status_code == 400
    assert field in response.json()["error"]
    assert "base64" in response.json()["error"]


async def test_unknown_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/decode", json={"payloads": [{"colour": "red"}]})

    assert response.status_code == 400
    assert "colour" in response.json()["error"]


async def test_unknown_key_id(client: httpx.AsyncClient) -> None:
    other = EncryptionCodec(KeyringSource(keys_json=make_keyring("k-elsewhere")))
    encrypted = await other.encode(PAYLOADS)

    response = await client.post("/decode", json=payloads_json(encrypted))

    assert response.status_code == 400
    assert "'k-elsewhere'" in response.json()["error"]
    assert response.json()["keyId"] == "k-elsewhere"


async def test_tampered_payload(
    client: httpx.AsyncClient, codec: EncryptionCodec
) -> None:
    [encrypted] = await codec.encode(PAYLOADS[:1])
    encrypted.data = encrypted.data[:-1] + bytes([encrypted.data[-1] ^ 0x01])

    response = await client.post("/decode", json=payloads_json([encrypted]))

    assert response.status_code == 400
    assert "'k-server'" in response.json()["error"]
    assert response.json()["keyId"] == "k-server"


async def test_unknown_path(client: httpx.AsyncClient) -> None:
    response = await client.post("/status", json={"payloads": []})

    assert response.status_code == 404


async def server_log_records(
    caplog: pytest.LogCaptureFixture,
) -> list[logging.LogRecord]:
    """Return the codec server's log records, waiting for the first one.

    The server thread logs after it has sent the reply, so the record can
    arrive a moment after the client has its response.
    """
    for _ in range(100):
        records = [
            record
            for record in caplog.records
            if record.name == "court_notices.codec_server"
        ]
        if records:
            return records
        await asyncio.sleep(0.01)
    return []


async def test_access_log_line(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="court_notices.codec_server")

    await client.post("/encode?trace=on", json=payloads_json(PAYLOADS))

    records = await server_log_records(caplog)
    assert len(records) == 1
    assert "POST /encode 200 payloads=2 origin=-" in records[0].getMessage()
    assert "trace" not in records[0].getMessage()
    assert MARKER not in caplog.text


async def test_access_log_rejected_origin(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="court_notices.codec_server")

    await client.post(
        "/decode", json={"payloads": []}, headers={"Origin": OTHER_ORIGIN}
    )

    records = await server_log_records(caplog)
    assert len(records) == 1
    assert (
        f"POST /decode 403 payloads=- origin={OTHER_ORIGIN}" in records[0].getMessage()
    )


async def test_app_without_token(codec: EncryptionCodec) -> None:
    app = create_codec_app(codec, allowed_origins=UI_ORIGINS, bearer_token=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        encoded = await client.post("/encode", json=payloads_json(PAYLOADS))
        decoded = await client.post("/decode", json=encoded.json())

    assert encoded.status_code == 200
    assert decoded.status_code == 200
    assert payloads_from(decoded) == PAYLOADS


@pytest.mark.parametrize(
    "origin",
    ["*", "localhost:8233", "http://localhost:8233/ui", "ftp://localhost"],
)
def test_create_app_bad_origin(codec: EncryptionCodec, origin: str) -> None:
    with pytest.raises(ValueError, match="Allowed origin"):
        create_codec_app(codec, allowed_origins=[origin], bearer_token=None)


def test_create_app_empty_token(codec: EncryptionCodec) -> None:
    with pytest.raises(ValueError, match="bearer_token is empty"):
        create_codec_app(codec, allowed_origins=UI_ORIGINS, bearer_token="")


def test_parse_origins() -> None:
    parsed = parse_origins(" http://localhost:8233, ,http://127.0.0.1:8233 ")

    assert parsed == UI_ORIGINS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def codec_process(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``python -m court_notices.codec_server`` with settings from the env."""
    # NOTE: another process could take the port between free_port and the bind.
    port = free_port()
    environment = {
        **os.environ,
        "COURT_NOTICES_DATA_DIR": str(tmp_path),
        "COURT_NOTICES_PAYLOAD_KEYS": make_keyring("k-process"),
        "COURT_NOTICES_CODEC_TOKEN": TOKEN,
        "COURT_NOTICES_CODEC_ORIGINS": "http://ui.test:8080",
    }
    command = [sys.executable, "-m", "court_notices.codec_server"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(timeout=STARTUP_TIMEOUT_SECONDS)
        if process.stderr is not None:
            process.stderr.close()


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Codec server exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"Codec server did not listen on port {port}")


async def test_module_entry_point(
    codec_process: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = codec_process
    headers = {"Authorization": f"Bearer {TOKEN}", "Origin": "http://ui.test:8080"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as client:
        encoded = await client.post("/encode", json=payloads_json(PAYLOADS))
        decoded = await client.post("/decode", json=encoded.json())
        rejected = await client.post(
            "/decode", json=encoded.json(), headers={"Origin": UI_ORIGINS[0]}
        )

    process.terminate()
    _, stderr = process.communicate(timeout=STARTUP_TIMEOUT_SECONDS)
    log = stderr.decode()
    [encrypted, _] = payloads_from(encoded)
    assert encrypted.metadata["encryption-key-id"] == b"k-process"
    assert payloads_from(decoded) == PAYLOADS
    assert rejected.status_code == 403
    assert "POST /decode 200 payloads=2" in log
    assert "bearer token required" in log
    assert TOKEN not in log
    assert MARKER not in log
