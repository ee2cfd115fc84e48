import base64
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

# The workflow sandbox imports this module again, and cryptography's native module
# cannot be imported a second time.
with workflow.unsafe.imports_passed_through():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from court_notices.codec import (
        ENCRYPTED_ENCODING,
        KEY_ID_METADATA_KEY,
        PAYLOAD_KEYS_ENV_VAR,
        EncryptionCodec,
        PayloadDecryptionError,
        UnknownPayloadKeyError,
        data_converter,
        payload_keyring_source,
    )
    from court_notices.settings import Settings
    from court_notices.vault import Keyring, KeyringSource, VaultError

TEST_SERVER = "temporal-test-server"
MARKER = "marker-5f0c2d-attorney-jane-roe"
PAYLOADS = [
    Payload(
        metadata={"encoding": b"json/plain"},
        data=f'{{"attorney": "{MARKER}"}}'.encode(),
    ),
    Payload(metadata={"encoding": b"binary/null"}),
    Payload(
        metadata={"encoding": b"json/protobuf", "messageType": b"example.Notice"},
        data=b'{"caseNumber": "1:24-cv-00017"}',
    ),
]


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "payload.key"
    KeyringSource.ensure_key_file(path)
    return path


@pytest.fixture
def codec(key_file: Path) -> EncryptionCodec:
    return EncryptionCodec(KeyringSource(key_file=key_file))


def other_keyring_json() -> str:
    # Generated ids contain the time in seconds, so they would match the key file's.
    keyring = Keyring(active_key_id="other", keys={"other": AESGCM.generate_key(256)})
    return keyring.to_json()


async def test_round_trip_several_payloads(codec: EncryptionCodec) -> None:
    encoded = await codec.encode(PAYLOADS)

    assert len(encoded) == len(PAYLOADS)
    assert await codec.decode(encoded) == PAYLOADS


async def test_ciphertext_hides_plaintext(codec: EncryptionCodec) -> None:
    [encoded] = await codec.encode(PAYLOADS[:1])

    assert MARKER.encode() not in encoded.SerializeToString()
    assert b"json/plain" not in encoded.SerializeToString()


async def test_encoded_metadata(codec: EncryptionCodec) -> None:
    [encoded] = await codec.encode(PAYLOADS[:1])

    assert encoded.metadata["encoding"] == ENCRYPTED_ENCODING
    assert encoded.metadata[KEY_ID_METADATA_KEY] == codec.active_key_id.encode()
    assert set(encoded.metadata) == {"encoding", KEY_ID_METADATA_KEY}


async def test_encode_fresh_nonce(codec: EncryptionCodec) -> None:
    first, second = await codec.encode([PAYLOADS[0], PAYLOADS[0]])

    assert first.data[:12] != second.data[:12]
    assert first.data != second.data


async def test_rotation_old_payload_decodes(key_file: Path) -> None:
    old_codec = EncryptionCodec(KeyringSource(key_file=key_file))
    old_key_id = old_codec.active_key_id
    old_payloads = await old_codec.encode(PAYLOADS)

    KeyringSource.add_key(key_file)
    new_codec = EncryptionCodec(KeyringSource(key_file=key_file))

    assert new_codec.active_key_id != old_key_id
    assert await new_codec.decode(old_payloads) == PAYLOADS


async def test_rotation_new_payloads_use_new_key(key_file: Path) -> None:
    old_codec = EncryptionCodec(KeyringSource(key_file=key_file))
    new_key_id = KeyringSource.add_key(key_file).active_key_id
    new_codec = EncryptionCodec(KeyringSource(key_file=key_file))

    [encoded] = await new_codec.encode(PAYLOADS[:1])

    assert encoded.metadata[KEY_ID_METADATA_KEY] == new_key_id.encode()
    # The old codec does not know the new key, so it reloads the key file.
    assert await old_codec.decode([encoded]) == PAYLOADS[:1]
    assert old_codec.active_key_id == new_key_id


async def test_reload_picks_new_active_key(key_file: Path) -> None:
    codec = EncryptionCodec(KeyringSource(key_file=key_file))
    new_key_id = KeyringSource.add_key(key_file).active_key_id

    codec.reload()
    [encoded] = await codec.encode(PAYLOADS[:1])

    assert encoded.metadata[KEY_ID_METADATA_KEY] == new_key_id.encode()


async def test_unknown_key_id_error(codec: EncryptionCodec) -> None:
    other = EncryptionCodec(KeyringSource(keys_json=other_keyring_json()))
    encoded = await other.encode(PAYLOADS[:1])

    with pytest.raises(UnknownPayloadKeyError) as caught:
        await codec.decode(encoded)

    assert caught.value.key_id == other.active_key_id
    assert repr(other.active_key_id) in str(caught.value)


async def test_unknown_key_reloads_once(
    codec: EncryptionCodec, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = EncryptionCodec(KeyringSource(keys_json=other_keyring_json()))
    encoded = await other.encode(PAYLOADS[:1])
    loads = 0
    original_load = KeyringSource.load

    def counting_load(source: KeyringSource) -> Keyring:
        nonlocal loads
        loads += 1
        return original_load(source)

    monkeypatch.setattr(KeyringSource, "load", counting_load)
    with pytest.raises(UnknownPayloadKeyError):
        await codec.decode(encoded)

    assert loads == 1


async def test_tampered_payload_error(codec: EncryptionCodec) -> None:
    [encoded] = await codec.encode(PAYLOADS[:1])
    tampered = bytearray(encoded.data)
    tampered[20] ^= 0x01
    encoded.data = bytes(tampered)

    with pytest.raises(PayloadDecryptionError) as caught:
        await codec.decode([encoded])

    assert caught.value.key_id == codec.active_key_id
    assert repr(codec.active_key_id) in str(caught.value)
    assert "modified" in str(caught.value)


async def test_truncated_payload_error(codec: EncryptionCodec) -> None:
    [encoded] = await codec.encode(PAYLOADS[:1])
    encoded.data = encoded.data[:20]

    with pytest.raises(PayloadDecryptionError, match="truncated"):
        await codec.decode([encoded])


async def test_missing_key_id_error(codec: EncryptionCodec) -> None:
    [encoded] = await codec.encode(PAYLOADS[:1])
    del encoded.metadata[KEY_ID_METADATA_KEY]

    with pytest.raises(PayloadDecryptionError) as caught:
        await codec.decode([encoded])

    assert caught.value.key_id is None
    assert KEY_ID_METADATA_KEY in str(caught.value)


async def test_plain_payload_passes_through(codec: EncryptionCodec) -> None:
    encrypted = await codec.encode(PAYLOADS[:1])

    decoded = await codec.decode([*encrypted, PAYLOADS[1], PAYLOADS[2]])

    assert decoded == PAYLOADS


def test_repr_hides_keys(key_file: Path) -> None:
    keyring = KeyringSource(key_file=key_file).load()
    codec = EncryptionCodec(KeyringSource(keys_json=keyring.to_json()))
    key = keyring.keys[keyring.active_key_id]

    assert base64.urlsafe_b64encode(key).decode() not in repr(codec)
    assert keyring.active_key_id in repr(codec)


def test_keyring_source_from_json() -> None:
    text = other_keyring_json()
    settings = Settings(payload_keys=text)

    source = payload_keyring_source(settings)

    assert source.load() == Keyring.from_json(text)


def test_keyring_source_invalid_json() -> None:
    settings = Settings(payload_keys="{not json")

    with pytest.raises(VaultError, match=PAYLOAD_KEYS_ENV_VAR):
        payload_keyring_source(settings)


def test_keyring_source_missing_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    with pytest.raises(VaultError) as caught:
        payload_keyring_source(settings)

    assert str(tmp_path / "payload.key") in str(caught.value)
    assert PAYLOAD_KEYS_ENV_VAR in str(caught.value)


def test_keyring_source_from_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    keyring = KeyringSource.ensure_key_file(settings.resolved_payload_key_file)

    source = payload_keyring_source(settings)

    assert source.key_file == tmp_path / "payload.key"
    assert source.load() == keyring


def test_data_converter_parts(key_file: Path) -> None:
    converter = data_converter(KeyringSource(key_file=key_file))

    assert isinstance(converter.payload_codec, EncryptionCodec)
    assert converter.payload_converter_class is PydanticPayloadConverter


class MarkerInput(BaseModel):
    attorney: str
    filed_days: int


class MarkerResult(BaseModel):
    greeting: str
    filed_days: int


@workflow.defn
class MarkerWorkflow:
    @workflow.run
    async def run(self, request: MarkerInput) -> MarkerResult:
        return MarkerResult(
            greeting=f"received {request.attorney}", filed_days=request.filed_days
        )


@pytest.fixture(scope="module")
async def encrypted_env(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[WorkflowEnvironment]:
    key_file = tmp_path_factory.mktemp("codec") / "payload.key"
    KeyringSource.ensure_key_file(key_file)
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / TEST_SERVER),
        data_converter=data_converter(KeyringSource(key_file=key_file)),
    )
    yield env
    await env.shutdown()


async def test_temporal_history_encrypted(encrypted_env: WorkflowEnvironment) -> None:
    client = encrypted_env.client
    task_queue = f"codec-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[MarkerWorkflow]):
        handle = await client.start_workflow(
            MarkerWorkflow.run,
            MarkerInput(attorney=MARKER, filed_days=3),
            id=f"codec-{uuid.uuid4()}",
            task_queue=task_queue,
            execution_timeout=timedelta(minutes=1),
        )
        result = await handle.result()

    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [input_payload] = started.input.payloads
    raw_history = b"".join(event.SerializeToString() for event in history.events)
    codec = client.data_converter.payload_codec
    assert codec is not None
    [decoded_input] = await codec.decode([input_payload])

    assert result == MarkerResult(greeting=f"received {MARKER}", filed_days=3)
    assert input_payload.metadata["encoding"] == ENCRYPTED_ENCODING
    assert MARKER not in history.to_json()
    assert MARKER.encode() not in raw_history
    assert MARKER.encode() in decoded_input.data
