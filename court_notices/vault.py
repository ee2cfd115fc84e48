"""Credential vault: AES-256-GCM encryption of stored CM/ECF credentials.

Each ciphertext is stored next to the id of the key that encrypted it. New writes
use the keyring's active key and reads accept every key in the keyring, so keys
rotate without downtime. To rotate, ``KeyringSource.add_key`` adds a key and makes
it active. Callers then re-encrypt the rows for which ``Vault.needs_reencryption``
is true. After that, an operator may delete the old key from the key file by hand.

Callers pass the credential id as associated data. It is authenticated but not
encrypted, so a ciphertext copied to another row fails to decrypt.
"""

import base64
import json
import logging
import os
import re
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Protocol, Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "KEYS_ENV_VAR",
    "CredentialSecret",
    "DecryptionError",
    "Keyring",
    "KeyringSource",
    "UnknownKeyError",
    "Vault",
    "VaultError",
    "VaultSettings",
    "vault_from_settings",
]

logger = logging.getLogger(__name__)

KEYS_ENV_VAR = "COURT_NOTICES_VAULT_KEYS"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_FILE_MODE = 0o600
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
KEYRING_FORMAT = (
    '{"active": "<key id>", "keys": {"<key id>": "<URL-safe base64 of 32 bytes>"}}'
)


class VaultError(Exception):
    """Vault failure. Messages name key ids and files, never secrets or key bytes."""


class UnknownKeyError(VaultError):
    """A ciphertext names a key id that is not in the keyring, even after a reload."""

    def __init__(self, key_id: str, message: str) -> None:
        super().__init__(message)
        self.key_id = key_id


class DecryptionError(VaultError):
    """AES-GCM authentication failed: tampered data, wrong associated data or key."""

    def __init__(self, key_id: str, message: str) -> None:
        super().__init__(message)
        self.key_id = key_id


@dataclass(frozen=True)
class CredentialSecret:
    """CM/ECF login as stored in the vault."""

    login_id: str
    password: str = field(repr=False)
    totp_secret: str | None = field(default=None, repr=False)
    """Base32 TOTP seed. Whitespace is removed and letters are upper-cased."""
    client_code: str | None = None
    """PACER client code that the attorney bills searches to, if any."""

    def __post_init__(self) -> None:
        if not self.login_id:
            raise ValueError("CredentialSecret.login_id is empty. Pass the login id.")
        if not self.password:
            raise ValueError("CredentialSecret.password is empty. Pass the password.")
        if self.totp_secret is not None:
            normalized = _normalize_totp_secret(self.totp_secret)
            object.__setattr__(self, "totp_secret", normalized)


def _normalize_totp_secret(value: str) -> str:
    # Enrollment pages often show the seed in lower case and in groups of four.
    normalized = "".join(value.split()).upper()
    padded = normalized + "=" * (-len(normalized) % 8)
    try:
        seed = base64.b32decode(padded)
    except ValueError:
        seed = b""

    if not seed:
        raise ValueError(
            "CredentialSecret.totp_secret is not valid base32 (letters A-Z and "
            "digits 2-7). Pass the seed from the court's enrollment page, or None."
        )
    return normalized


def _encode_secret(secret: CredentialSecret) -> bytes:
    return json.dumps(asdict(secret), separators=(",", ":")).encode("utf-8")


def _decode_secret(plaintext: bytes, key_id: str) -> CredentialSecret:
    # No message from the parser is kept, because it may quote the plaintext.
    try:
        data = json.loads(plaintext)
        return CredentialSecret(
            login_id=data["login_id"],
            password=data["password"],
            totp_secret=data.get("totp_secret"),
            client_code=data.get("client_code"),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise VaultError(
            f"Credential decrypted with key {key_id!r} is not a valid credential "
            "record. Enter the credential again."
        ) from None


@dataclass(frozen=True)
class Keyring:
    """AES-256 keys by key id, and the id of the key that encrypts new writes.

    Key ids match ``[A-Za-z0-9_.-]{1,64}``. Generated ids are ``k`` plus the UTC
    time, such as ``k20261204T154500Z``.
    """

    active_key_id: str
    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        keys = dict(self.keys)
        for key_id, key in keys.items():
            _check_key_id(key_id, "A key id in the keyring")
            if not isinstance(key, bytes):
                raise VaultError(
                    f"Vault key {key_id!r} is a {type(key).__name__}, not bytes. Pass "
                    "the raw key bytes."
                )
            if len(key) != KEY_BYTES:
                raise VaultError(
                    f"Vault key {key_id!r} is {len(key)} bytes long, but AES-256 "
                    f"keys are {KEY_BYTES} bytes. Replace it with {KEY_BYTES} "
                    "random bytes in URL-safe base64."
                )

        _check_key_id(self.active_key_id, "The active key id")
        if self.active_key_id not in keys:
            raise VaultError(
                f"Active key id {self.active_key_id!r} is not in the keyring "
                f"(key ids: {sorted(keys)}). Set 'active' to one of them."
            )
        object.__setattr__(self, "keys", MappingProxyType(keys))

    def __repr__(self) -> str:
        return (
            f"Keyring(active_key_id={self.active_key_id!r}, "
            f"key_ids={sorted(self.keys)!r})"
        )

    @classmethod
    def generate(cls) -> Self:
        """Create a keyring with one new random key."""
        key_id = _new_key_id(())
        return cls(active_key_id=key_id, keys={key_id: AESGCM.generate_key(256)})

    def with_new_key(self) -> "Keyring":
        """Return a copy with a new random key that is active. Old keys stay."""
        key_id = _new_key_id(self.keys)
        keys = {**self.keys, key_id: AESGCM.generate_key(256)}
        return Keyring(active_key_id=key_id, keys=keys)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Parse a keyring in the format of ``KEYRING_FORMAT``.

        Keys may omit base64 padding, as ``secrets.token_urlsafe`` output does.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise VaultError(
                f"Keyring is not valid JSON ({exc.msg} at line {exc.lineno} "
                f"column {exc.colno}). Expected {KEYRING_FORMAT}."
            ) from None

        if (
            not isinstance(data, dict)
            or not isinstance(data.get("active"), str)
            or not isinstance(data.get("keys"), dict)
        ):
            raise VaultError(
                f"Keyring JSON must be an object like {KEYRING_FORMAT}, with "
                "'active' a string and 'keys' an object."
            )

        keys = {
            key_id: _decode_key(key_id, value) for key_id, value in data["keys"].items()
        }
        return cls(active_key_id=data["active"], keys=keys)

    def to_json(self) -> str:
        """Serialise the keyring in the format that ``from_json`` reads."""
        keys = {
            key_id: base64.urlsafe_b64encode(key).decode("ascii")
            for key_id, key in self.keys.items()
        }
        return json.dumps({"active": self.active_key_id, "keys": keys}, indent=2) + "\n"


def _check_key_id(key_id: object, subject: str) -> None:
    # An invalid id is not quoted, because it may be key material in the wrong place.
    if not isinstance(key_id, str) or not KEY_ID_PATTERN.fullmatch(key_id):
        raise VaultError(
            f"{subject} is invalid: key ids must match [A-Za-z0-9_.-]{{1,64}}, "
            "such as k20261204T154500Z."
        )


def _decode_key(key_id: str, value: object) -> bytes:
    _check_key_id(key_id, "A key id in 'keys'")
    if not isinstance(value, str):
        raise VaultError(
            f"Vault key {key_id!r} is not a string. Expected URL-safe base64 "
            f"of {KEY_BYTES} bytes."
        )

    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except ValueError:
        raise VaultError(
            f"Vault key {key_id!r} is not valid base64. Expected URL-safe base64 "
            f"of {KEY_BYTES} bytes."
        ) from None


def _new_key_id(existing: Collection[str]) -> str:
    base = "k" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    key_id = base
    suffix = 2
    # Two keys added within one second would otherwise get the same id.
    while key_id in existing:
        key_id = f"{base}-{suffix}"
        suffix += 1
    return key_id


class KeyringSource:
    """Origin of the vault's keyring: a JSON value from settings, or a key file."""

    def __init__(
        self, *, keys_json: str | None = None, key_file: Path | None = None
    ) -> None:
        if (keys_json is None) == (key_file is None):
            raise ValueError(
                "KeyringSource needs exactly one of keys_json and key_file"
            )
        self._keys_json = keys_json
        self.key_file = key_file

    def __repr__(self) -> str:
        if self.key_file is None:
            return "KeyringSource(keys_json=<hidden>)"
        return f"KeyringSource(key_file={str(self.key_file)!r})"

    def load(self) -> Keyring:
        """Read and validate the keyring. Raises VaultError if it is invalid."""
        if self.key_file is not None:
            return _read_key_file(self.key_file)

        assert self._keys_json is not None
        try:
            return Keyring.from_json(self._keys_json)
        except VaultError as exc:
            raise VaultError(f"{KEYS_ENV_VAR} is invalid: {exc}") from None

    @staticmethod
    def ensure_key_file(path: Path) -> Keyring:
        """Create the key file with one new key if missing, and return the keyring.

        O_EXCL with mode 0600 means the file is never readable by other users, and
        two processes cannot both create it. Raises VaultError if an existing file
        is readable by group or others.
        """
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        keyring = Keyring.generate()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
        except FileExistsError:
            return _read_key_file(path)

        # NOTE: a process that reads the file before this write finishes gets an
        # empty file and fails with "not valid JSON".
        try:
            _write_and_sync(fd, keyring.to_json())
        except BaseException:
            path.unlink(missing_ok=True)
            raise

        logger.info(
            "Created vault key file %s with key %s", path, keyring.active_key_id
        )
        return keyring

    @staticmethod
    def add_key(path: Path) -> Keyring:
        """Add a new random key to the key file and make it active.

        Old keys stay, so existing ciphertexts still decrypt. The file is replaced
        atomically. A missing file is created as by ``ensure_key_file``.
        """
        if not path.exists():
            return KeyringSource.ensure_key_file(path)

        # NOTE: two concurrent add_key calls on one file can lose one of the keys,
        # because nothing locks the file between the read and the replace.
        keyring = _read_key_file(path).with_new_key()
        _replace_file(path, keyring.to_json())
        logger.info("Added vault key %s to %s", keyring.active_key_id, path)
        return keyring


def _read_key_file(path: Path) -> Keyring:
    try:
        with path.open("rb") as file:
            _check_key_file_mode(path, os.fstat(file.fileno()).st_mode)
            text = file.read().decode("utf-8")
    except FileNotFoundError:
        raise VaultError(
            f"Vault key file {path} not found. Run `make run` once to create it, "
            f"or set {KEYS_ENV_VAR}."
        ) from None
    except OSError as exc:
        raise VaultError(
            f"Could not read vault key file {path}: {exc.strerror}"
        ) from None
    except UnicodeDecodeError:
        raise VaultError(
            f"Vault key file {path} is not UTF-8 text. Expected {KEYRING_FORMAT}."
        ) from None

    try:
        return Keyring.from_json(text)
    except VaultError as exc:
        raise VaultError(f"Vault key file {path} is invalid: {exc}") from None


def _check_key_file_mode(path: Path, st_mode: int) -> None:
    if st_mode & 0o077:
        raise VaultError(
            f"Vault key file {path} has mode {st_mode & 0o777:03o}, so other users "
            f"may read it. Run `chmod 600 {path}` and start again."
        )


def _write_and_sync(fd: int, text: str) -> None:
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        # os.open applies the umask, which could also remove the owner's bits.
        os.fchmod(file.fileno(), KEY_FILE_MODE)
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def _replace_file(path: Path, text: str) -> None:
    # mkstemp creates the file with mode 0600.
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        _write_and_sync(fd, text)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise

    # Without a directory fsync, a crash could bring back the old file and lose
    # the key that new ciphertexts already use.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class Vault:
    """AES-256-GCM encryption of CredentialSecrets with keys from a KeyringSource.

    Each encryption uses a fresh random 96-bit nonce. NIST SP 800-38D
    (section 8.3) limits random nonces to 2**32 encryptions per key, far above the
    number of stored credentials.
    """

    def __init__(self, source: KeyringSource) -> None:
        self._source = source
        self._keyring = source.load()

    def __repr__(self) -> str:
        return f"Vault(source={self._source!r}, keyring={self._keyring!r})"

    @property
    def active_key_id(self) -> str:
        return self._keyring.active_key_id

    def reload(self) -> Keyring:
        """Read the keyring from the source again and return it."""
        self._keyring = self._source.load()
        return self._keyring

    def encrypt(
        self, secret: CredentialSecret, *, associated_data: bytes
    ) -> tuple[str, bytes]:
        """Encrypt with the active key and return (key id, nonce + ciphertext)."""
        _check_associated_data(associated_data)
        keyring = self._keyring
        key_id = keyring.active_key_id
        nonce = os.urandom(NONCE_BYTES)

        aead = AESGCM(keyring.keys[key_id])
        ciphertext = aead.encrypt(nonce, _encode_secret(secret), associated_data)
        return key_id, nonce + ciphertext

    def decrypt(
        self, key_id: str, ciphertext: bytes, *, associated_data: bytes
    ) -> CredentialSecret:
        """Decrypt nonce + ciphertext made by ``encrypt`` with the same associated data.

        Raises UnknownKeyError if the key id is missing even after a reload, and
        DecryptionError if authentication fails.
        """
        _check_associated_data(associated_data)
        key = self._find_key(key_id)
        if len(ciphertext) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError(
                key_id,
                f"Ciphertext for key {key_id!r} is {len(ciphertext)} bytes, shorter "
                f"than the {NONCE_BYTES}-byte nonce and {TAG_BYTES}-byte tag. The "
                "stored value is truncated, so enter the credential again.",
            )

        nonce, body = ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:]
        try:
            plaintext = AESGCM(key).decrypt(nonce, body, associated_data)
        except InvalidTag:
            raise DecryptionError(
                key_id,
                f"Decryption with key {key_id!r} failed: the ciphertext was modified, "
                "belongs to another row (different associated data), or was made "
                "by a different key with the same id.",
            ) from None
        return _decode_secret(plaintext, key_id)

    def needs_reencryption(self, key_id: str) -> bool:
        """Return whether ciphertexts under ``key_id`` should move to the active key."""
        return key_id != self._keyring.active_key_id

    def reencrypt(
        self, key_id: str, ciphertext: bytes, *, associated_data: bytes
    ) -> tuple[str, bytes]:
        """Decrypt a ciphertext and encrypt it again with the active key."""
        secret = self.decrypt(key_id, ciphertext, associated_data=associated_data)
        return self.encrypt(secret, associated_data=associated_data)

    def _find_key(self, key_id: str) -> bytes:
        key = self._keyring.keys.get(key_id)
        if key is not None:
            return key

        # Another process may have added a key since this vault loaded the keyring.
        logger.info("Vault key %s is not loaded, so reloading %r", key_id, self._source)
        key = self.reload().keys.get(key_id)
        if key is None:
            raise UnknownKeyError(
                key_id,
                f"Vault key {key_id!r} is not in the keyring from {self._source!r} "
                f"(key ids: {sorted(self._keyring.keys)}). Restore the keyring "
                "that contains it, or enter the credential again.",
            )
        return key


def _check_associated_data(associated_data: bytes) -> None:
    if not associated_data:
        raise ValueError(
            "associated_data is empty. Pass the credential id so that the "
            "ciphertext is bound to its row."
        )


class VaultSettings(Protocol):
    """Settings attributes that ``vault_from_settings`` reads."""

    @property
    def vault_keys(self) -> str | None: ...

    @property
    def resolved_vault_key_file(self) -> Path: ...


def vault_from_settings(settings: VaultSettings) -> Vault:
    """Build a Vault from ``vault_keys`` if set, otherwise from the key file.

    This does not create the key file, because the stack runner does that through
    ``ensure_key_file``.
    """
    if settings.vault_keys:
        return Vault(KeyringSource(keys_json=settings.vault_keys))

    key_file = settings.resolved_vault_key_file
    if not key_file.exists():
        raise VaultError(
            f"No vault keys: {KEYS_ENV_VAR} is not set and the key file {key_file} "
            f"does not exist. Run `make run` once to create it, or set {KEYS_ENV_VAR}."
        )
    return Vault(KeyringSource(key_file=key_file))
