"""Payload encryption for Temporal: AES-256-GCM over every serialized Payload.

Workflow inputs, results, signals and queries carry attorney names, addresses and
notice contents, so the Temporal server stores them only as ciphertext. Memos and
failure details are payloads too and are encrypted the same way. Workers and
clients get ``data_converter(source)``. The Web UI and the CLI decrypt through
``court_notices.codec_server``.

NOTE: workflow ids, search attributes, and failure messages and stack traces stay
in plaintext, because the pydantic converter's failure converter does not encode
them. Keep personal data out of exception messages.

Payload keys live in their own keyring (``COURT_NOTICES_PAYLOAD_KEYS`` or the
``payload.key`` file), in the vault's keyring format, rather than in the vault's
keyring. There are two reasons:

- Stored credentials are re-encrypted after a vault rotation, and then the old
  vault key may be deleted. Workflow histories cannot be re-encrypted, so an old
  payload key must stay until the last history that uses it is gone.
- The codec server, which the Web UI calls, needs the payload keys. With separate
  keyrings it never has the keys that decrypt stored CM/ECF passwords.
"""

import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

from court_notices.vault import Keyring, KeyringSource, VaultError

__all__ = [
    "ENCRYPTED_ENCODING",
    "KEY_ID_METADATA_KEY",
    "PAYLOAD_KEYS_ENV_VAR",
    "EncryptionCodec",
    "PayloadDecryptionError",
    "UnknownPayloadKeyError",
    "data_converter",
    "payload_keyring_source",
]

logger = logging.getLogger(__name__)

PAYLOAD_KEYS_ENV_VAR = "COURT_NOTICES_PAYLOAD_KEYS"
ENCRYPTED_ENCODING = b"binary/encrypted"
KEY_ID_METADATA_KEY = "encryption-key-id"
NONCE_BYTES = 12
TAG_BYTES = 16

# Authenticated with every payload, so that a ciphertext from another use of the
# same key (such as a vault credential, if an operator reuses a key) never decrypts
# as a payload.
ASSOCIATED_DATA = b"court-notices temporal payload v1"


class PayloadDecryptionError(ValueError):
    """An encrypted payload could not be decrypted. Messages name the key id only."""

    def __init__(self, key_id: str | None, message: str) -> None:
        super().__init__(message)
        self.key_id = key_id


class UnknownPayloadKeyError(PayloadDecryptionError):
    """A payload names a key id that is not in the keyring, even after a reload."""

    key_id: str


class EncryptionCodec(PayloadCodec):
    """Temporal payload codec that encrypts each payload with AES-256-GCM.

    An encrypted payload has metadata ``encoding: binary/encrypted`` and
    ``encryption-key-id: <key id>``, and its data is the 12-byte nonce followed by
    the ciphertext and tag of the original ``Payload`` message. Encoding uses the
    keyring's active key. Decoding accepts every key in the keyring and returns
    payloads with another encoding unchanged.

    Each encryption uses a fresh random nonce. NIST SP 800-38D (section 8.3)
    limits random nonces to 2**32 encryptions per key, so rotate the active key
    well before a key encrypts that many payloads.
    """

    def __init__(self, source: KeyringSource) -> None:
        self._source = source
        self._keyring = source.load()
        self._ciphers: dict[str, AESGCM] = {}

    def __repr__(self) -> str:
        return f"EncryptionCodec(source={self._source!r}, keyring={self._keyring!r})"

    @property
    def active_key_id(self) -> str:
        return self._keyring.active_key_id

    def reload(self) -> Keyring:
        """Read the keyring from the source again, so new payloads use its active key.

        A running codec also reloads when it decodes a payload with an unknown key
        id. Otherwise it keeps the active key it loaded until this call.
        """
        keyring = self._source.load()
        self._keyring = keyring
        self._ciphers = {}
        return keyring

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key_id = self._keyring.active_key_id
        cipher = self._cipher(key_id)
        return [_encrypt(cipher, key_id, payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(payload) for payload in payloads]

    def _decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCRYPTED_ENCODING:
            return payload

        key_id = _key_id_of(payload)
        data = payload.data
        if len(data) < NONCE_BYTES + TAG_BYTES:
            raise PayloadDecryptionError(
                key_id,
                f"Encrypted payload for key {key_id!r} is {len(data)} bytes, shorter "
                f"than the {NONCE_BYTES}-byte nonce and {TAG_BYTES}-byte tag, so it "
                "is truncated.",
            )

        nonce, body = data[:NONCE_BYTES], data[NONCE_BYTES:]
        try:
            plaintext = self._cipher(key_id).decrypt(nonce, body, ASSOCIATED_DATA)
        except InvalidTag:
            raise PayloadDecryptionError(
                key_id,
                f"Decryption of a payload with key {key_id!r} failed: the payload "
                "was modified, or a different key has the same id.",
            ) from None

        try:
            return Payload.FromString(plaintext)
        except DecodeError:
            raise PayloadDecryptionError(
                key_id,
                f"Payload decrypted with key {key_id!r} is not a serialized "
                "Payload message. It was encrypted by another program.",
            ) from None

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = AESGCM(self._find_key(key_id))
            self._ciphers[key_id] = cipher
        return cipher

    def _find_key(self, key_id: str) -> bytes:
        key = self._keyring.keys.get(key_id)
        if key is not None:
            return key

        # Another process may have added a key since this codec loaded the keyring.
        logger.info(
            "Payload key %s is not loaded, so reloading %r", key_id, self._source
        )
        key = self.reload().keys.get(key_id)
        if key is None:
            raise UnknownPayloadKeyError(
                key_id,
                f"Payload key {key_id!r} is not in the keyring from {self._source!r} "
                f"(key ids: {sorted(self._keyring.keys)}). Restore the keyring "
                "that contains it.",
            )
        return key


def _encrypt(cipher: AESGCM, key_id: str, payload: Payload) -> Payload:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = cipher.encrypt(nonce, payload.SerializeToString(), ASSOCIATED_DATA)
    return Payload(
        metadata={
            "encoding": ENCRYPTED_ENCODING,
            KEY_ID_METADATA_KEY: key_id.encode("ascii"),
        },
        data=nonce + ciphertext,
    )


def _key_id_of(payload: Payload) -> str:
    raw = payload.metadata.get(KEY_ID_METADATA_KEY)
    if not raw:
        raise PayloadDecryptionError(
            None,
            f"Encrypted payload has no {KEY_ID_METADATA_KEY!r} metadata, so its key "
            "is unknown. It was encrypted by another program.",
        )
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise PayloadDecryptionError(
            None,
            f"Encrypted payload has a non-ASCII {KEY_ID_METADATA_KEY!r}, but key "
            "ids are ASCII. It was encrypted by another program.",
        ) from None


def data_converter(source: KeyringSource) -> DataConverter:
    """Build the pydantic data converter with payload encryption."""
    return dataclasses.replace(
        pydantic_data_converter, payload_codec=EncryptionCodec(source)
    )


class PayloadKeySettings(Protocol):
    """Settings attributes that ``payload_keyring_source`` reads."""

    @property
    def payload_keys(self) -> str | None: ...

    @property
    def resolved_payload_key_file(self) -> Path: ...


def payload_keyring_source(settings: PayloadKeySettings) -> KeyringSource:
    """Choose the payload keyring: ``payload_keys`` if set, otherwise the key file.

    This does not create the key file, because a worker on a second host that
    created its own key would write payloads that no other process can read.
    Raises VaultError if the keys are invalid or the key file does not exist.
    """
    if settings.payload_keys:
        # KeyringSource's own message would name the vault's variable.
        try:
            Keyring.from_json(settings.payload_keys)
        except VaultError as exc:
            raise VaultError(f"{PAYLOAD_KEYS_ENV_VAR} is invalid: {exc}") from None
        return KeyringSource(keys_json=settings.payload_keys)

    key_file = settings.resolved_payload_key_file
    if not key_file.exists():
        raise VaultError(
            f"No payload keys: {PAYLOAD_KEYS_ENV_VAR} is not set and the key file "
            f"{key_file} does not exist. Run `make run` once to create it, or set "
            f"{PAYLOAD_KEYS_ENV_VAR}."
        )
    return KeyringSource(key_file=key_file)
