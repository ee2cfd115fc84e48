import base64
import json
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from court_notices.settings import Settings
from court_notices.vault import (
    KEY_ID_PATTERN,
    CredentialSecret,
    DecryptionError,
    Keyring,
    KeyringSource,
    UnknownKeyError,
    Vault,
    VaultError,
    vault_from_settings,
)

PASSWORD = "correct-horse-battery-staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
SECRET = CredentialSecret(
    login_id="jdoe-law",
    password=PASSWORD,
    totp_secret=TOTP_SECRET,
    client_code="matter-17",
)
ROW = b"credential:42"


def b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def keyring_json(keys: dict[str, bytes], active: str) -> str:
    encoded = {key_id: b64(key) for key_id, key in keys.items()}
    return json.dumps({"active": active, "keys": encoded})


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "state" / "vault.key"


@pytest.fixture
def vault(key_file: Path) -> Vault:
    KeyringSource.ensure_key_file(key_file)
    return Vault(KeyringSource(key_file=key_file))


def test_round_trip_with_totp(vault: Vault) -> None:
    key_id, ciphertext = vault.encrypt(SECRET, associated_data=ROW)

    assert key_id == vault.active_key_id
    assert vault.decrypt(key_id, ciphertext, associated_data=ROW) == SECRET


def test_round_trip_without_totp(vault: Vault) -> None:
    secret = CredentialSecret(login_id="jdoe-law", password=PASSWORD)
    key_id, ciphertext = vault.encrypt(secret, associated_data=ROW)

    decrypted = vault.decrypt(key_id, ciphertext, associated_data=ROW)

    assert decrypted == secret
    assert decrypted.totp_secret is None
    assert decrypted.client_code is None


def test_ciphertext_hides_password(vault: Vault) -> None:
    _, ciphertext = vault.encrypt(SECRET, associated_data=ROW)

    assert PASSWORD.encode() not in ciphertext
    assert TOTP_SECRET.encode() not in ciphertext


def test_encrypt_uses_fresh_nonce(vault: Vault) -> None:
    _, first = vault.encrypt(SECRET, associated_data=ROW)
    _, second = vault.encrypt(SECRET, associated_data=ROW)

    assert first != second
    assert first[:12] != second[:12]


@pytest.mark.parametrize("position", [0, 11, 12, 20, -1], ids=str)
def test_decrypt_tampered_byte(vault: Vault, position: int) -> None:
    key_id, ciphertext = vault.encrypt(SECRET, associated_data=ROW)
    tampered = bytearray(ciphertext)
    tampered[position] ^= 0x01

    with pytest.raises(DecryptionError) as caught:
        vault.decrypt(key_id, bytes(tampered), associated_data=ROW)

    assert caught.value.key_id == key_id


def test_decrypt_truncated(vault: Vault) -> None:
    key_id, ciphertext = vault.encrypt(SECRET, associated_data=ROW)

    with pytest.raises(DecryptionError, match="truncated"):
        vault.decrypt(key_id, ciphertext[:20], associated_data=ROW)


def test_decrypt_other_row(vault: Vault) -> None:
    key_id, ciphertext = vault.encrypt(SECRET, associated_data=ROW)

    with pytest.raises(DecryptionError, match="associated data"):
        vault.decrypt(key_id, ciphertext, associated_data=b"credential:43")


def test_decrypt_same_id_other_key() -> None:
    first = Vault(KeyringSource(keys_json=keyring_json({"k1": b"a" * 32}, "k1")))
    second = Vault(KeyringSource(keys_json=keyring_json({"k1": b"b" * 32}, "k1")))
    key_id, ciphertext = first.encrypt(SECRET, associated_data=ROW)

    with pytest.raises(DecryptionError):
        second.decrypt(key_id, ciphertext, associated_data=ROW)


def test_decrypt_unknown_key(vault: Vault) -> None:
    _, ciphertext = vault.encrypt(SECRET, associated_data=ROW)

    with pytest.raises(UnknownKeyError, match="'k-missing'") as caught:
        vault.decrypt("k-missing", ciphertext, associated_data=ROW)

    assert caught.value.key_id == "k-missing"


def test_encrypt_empty_associated_data(vault: Vault) -> None:
    with pytest.raises(ValueError, match="credential id"):
        vault.encrypt(SECRET, associated_data=b"")


def test_rotation_keeps_old_ciphertexts(key_file: Path) -> None:
    old_keyring = KeyringSource.ensure_key_file(key_file)
    old_id, old_ciphertext = Vault(KeyringSource(key_file=key_file)).encrypt(
        SECRET, associated_data=ROW
    )

    new_keyring = KeyringSource.add_key(key_file)
    vault = Vault(KeyringSource(key_file=key_file))

    assert old_id == old_keyring.active_key_id
    assert new_keyring.active_key_id != old_id
    assert KEY_ID_PATTERN.fullmatch(new_keyring.active_key_id)
    assert new_keyring.keys[old_id] == old_keyring.keys[old_id]
    assert vault.decrypt(old_id, old_ciphertext, associated_data=ROW) == SECRET
    assert vault.needs_reencryption(old_id)

    new_id, new_ciphertext = vault.reencrypt(
        old_id, old_ciphertext, associated_data=ROW
    )

    assert new_id == new_keyring.active_key_id
    assert not vault.needs_reencryption(new_id)
    assert vault.decrypt(new_id, new_ciphertext, associated_data=ROW) == SECRET


def test_stale_vault_reloads_on_unknown_key(key_file: Path) -> None:
    KeyringSource.ensure_key_file(key_file)
    stale = Vault(KeyringSource(key_file=key_file))

    KeyringSource.add_key(key_file)
    fresh = Vault(KeyringSource(key_file=key_file))
    new_id, ciphertext = fresh.encrypt(SECRET, associated_data=ROW)

    assert stale.active_key_id != new_id
    assert stale.decrypt(new_id, ciphertext, associated_data=ROW) == SECRET
    assert stale.active_key_id == new_id


def test_add_key_file_mode(key_file: Path) -> None:
    KeyringSource.ensure_key_file(key_file)
    KeyringSource.add_key(key_file)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [path.name for path in key_file.parent.iterdir()] == ["vault.key"]


def test_add_key_missing_file(key_file: Path) -> None:
    keyring = KeyringSource.add_key(key_file)

    assert KeyringSource(key_file=key_file).load() == keyring


def test_ensure_key_file_creates_0600(key_file: Path) -> None:
    keyring = KeyringSource.ensure_key_file(key_file)

    assert key_file.stat().st_mode & 0o777 == 0o600
    assert KEY_ID_PATTERN.fullmatch(keyring.active_key_id)
    assert len(keyring.keys[keyring.active_key_id]) == 32


def test_ensure_key_file_ignores_umask(key_file: Path) -> None:
    # The folder comes first because this umask would remove its owner bits too.
    key_file.parent.mkdir()
    previous = os.umask(0o377)
    try:
        KeyringSource.ensure_key_file(key_file)
    finally:
        os.umask(previous)

    assert key_file.stat().st_mode & 0o777 == 0o600


def test_ensure_key_file_idempotent(key_file: Path) -> None:
    first = KeyringSource.ensure_key_file(key_file)
    content = key_file.read_bytes()

    second = KeyringSource.ensure_key_file(key_file)

    assert second == first
    assert key_file.read_bytes() == content


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604], ids=oct)
def test_key_file_open_mode_rejected(key_file: Path, mode: int) -> None:
    KeyringSource.ensure_key_file(key_file)
    key_file.chmod(mode)

    with pytest.raises(VaultError, match="chmod 600") as from_ensure:
        KeyringSource.ensure_key_file(key_file)
    with pytest.raises(VaultError, match="chmod 600"):
        KeyringSource(key_file=key_file).load()
    with pytest.raises(VaultError, match="chmod 600"):
        KeyringSource.add_key(key_file)

    assert f"{mode:03o}" in str(from_ensure.value)


def test_load_missing_key_file(key_file: Path) -> None:
    with pytest.raises(VaultError, match="make run"):
        KeyringSource(key_file=key_file).load()


def test_keyring_json_round_trip() -> None:
    keyring = Keyring.generate().with_new_key()

    parsed = Keyring.from_json(keyring.to_json())

    assert parsed == keyring
    assert len(parsed.keys) == 2


def test_keyring_unpadded_key() -> None:
    key = secrets.token_bytes(32)
    text = json.dumps({"active": "k1", "keys": {"k1": b64(key).rstrip("=")}})

    assert Keyring.from_json(text).keys["k1"] == key


def test_keyring_keys_read_only() -> None:
    keyring = Keyring.generate()

    with pytest.raises(TypeError):
        keyring.keys["k2"] = b"x" * 32  # type: ignore[index]


KEY = b64(b"z" * 32)
MALFORMED_KEYRINGS = {
    "not_json": ("{active", "not valid JSON"),
    "list": ("[]", "must be an object"),
    "no_keys": ('{"active": "k1"}', "must be an object"),
    "active_not_string": (f'{{"active": 1, "keys": {{"k1": "{KEY}"}}}}', "string"),
    "active_missing": (f'{{"active": "k2", "keys": {{"k1": "{KEY}"}}}}', "'k2'"),
    "no_key_ids": ('{"active": "k1", "keys": {}}', "not in the keyring"),
    "short_key": (keyring_json({"k1": b"z" * 16}, "k1"), "16 bytes"),
    "long_key": (keyring_json({"k1": b"z" * 33}, "k1"), "33 bytes"),
    "bad_base64": ('{"active": "k1", "keys": {"k1": "not base64!"}}', "base64"),
    "key_not_string": ('{"active": "k1", "keys": {"k1": 7}}', "not a string"),
    "bad_key_id": (f'{{"active": "k 1", "keys": {{"k 1": "{KEY}"}}}}', "must match"),
}


@pytest.mark.parametrize(
    ("text", "message"), MALFORMED_KEYRINGS.values(), ids=MALFORMED_KEYRINGS.keys()
)
def test_keyring_malformed(text: str, message: str) -> None:
    with pytest.raises(VaultError, match=message):
        Keyring.from_json(text)


def test_key_file_malformed(key_file: Path) -> None:
    KeyringSource.ensure_key_file(key_file)
    key_file.write_text("{active")

    with pytest.raises(VaultError, match=str(key_file)):
        KeyringSource(key_file=key_file).load()


def test_env_source_malformed() -> None:
    with pytest.raises(VaultError, match="COURT_NOTICES_VAULT_KEYS is invalid"):
        KeyringSource(keys_json="{active").load()


def test_source_needs_one_origin(key_file: Path) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        KeyringSource()
    with pytest.raises(ValueError, match="exactly one"):
        KeyringSource(keys_json="{}", key_file=key_file)


def test_secret_normalizes_totp() -> None:
    secret = CredentialSecret(
        login_id="jdoe-law", password=PASSWORD, totp_secret="jbsw y3dp ehpk 3pxp"
    )

    assert secret.totp_secret == TOTP_SECRET


@pytest.mark.parametrize("totp", ["", "not-base32!", "JBSWY3DPEHPK3PX18"])
def test_secret_invalid_totp(totp: str) -> None:
    with pytest.raises(ValueError, match="base32") as caught:
        CredentialSecret(login_id="jdoe-law", password=PASSWORD, totp_secret=totp)

    if totp:
        assert totp not in str(caught.value)


def test_secret_empty_password() -> None:
    with pytest.raises(ValueError, match="password is empty"):
        CredentialSecret(login_id="jdoe-law", password="")


def test_settings_json_wins(key_file: Path) -> None:
    keys_json = keyring_json({"k-env": b"e" * 32}, "k-env")
    settings = Settings(vault_keys=keys_json, vault_key_file=key_file)

    assert vault_from_settings(settings).active_key_id == "k-env"
    assert not key_file.exists()


def test_settings_key_file(key_file: Path) -> None:
    keyring = KeyringSource.ensure_key_file(key_file)
    settings = Settings(vault_keys=None, vault_key_file=key_file)

    assert vault_from_settings(settings).active_key_id == keyring.active_key_id


def test_settings_no_keys(key_file: Path) -> None:
    settings = Settings(vault_keys=None, vault_key_file=key_file)

    with pytest.raises(VaultError, match="make run") as caught:
        vault_from_settings(settings)

    assert "COURT_NOTICES_VAULT_KEYS" in str(caught.value)
    assert not key_file.exists()


def assert_no_secrets(text: str, keyring: Keyring | None = None) -> None:
    assert PASSWORD not in text
    assert TOTP_SECRET not in text
    for key in keyring.keys.values() if keyring else ():
        assert b64(key) not in text
        assert b64(key).rstrip("=") not in text
        assert repr(key) not in text
        assert key.hex() not in text


def test_secret_repr_hides_secrets() -> None:
    assert_no_secrets(repr(SECRET))
    assert_no_secrets(str(SECRET))
    assert "jdoe-law" in repr(SECRET)


def test_keyring_repr_hides_keys() -> None:
    keyring = Keyring.generate().with_new_key()

    assert_no_secrets(repr(keyring), keyring)
    assert_no_secrets(str(keyring), keyring)
    assert keyring.active_key_id in repr(keyring)


def test_source_repr_hides_json() -> None:
    keyring = Keyring.generate()
    source = KeyringSource(keys_json=keyring.to_json())

    assert_no_secrets(repr(source), keyring)
    assert_no_secrets(repr(Vault(source)), keyring)


def raise_for(action: Callable[[], object]) -> Exception:
    with pytest.raises(Exception) as caught:
        action()
    return caught.value


def test_errors_hide_secrets(vault: Vault, key_file: Path) -> None:
    keyring = KeyringSource(key_file=key_file).load()
    key_id, ciphertext = vault.encrypt(SECRET, associated_data=ROW)
    key = keyring.keys[key_id]
    raw = b64(key)
    actions: list[Callable[[], object]] = [
        lambda: vault.decrypt(key_id, ciphertext[:-1] + b"\0", associated_data=ROW),
        lambda: vault.decrypt(key_id, ciphertext, associated_data=b"other"),
        lambda: vault.decrypt(key_id, ciphertext[:5], associated_data=ROW),
        lambda: vault.decrypt("k-gone", ciphertext, associated_data=ROW),
        lambda: Keyring.from_json(f'{{"active": "k2", "keys": {{"k1": "{raw}"}}}}'),
        lambda: Keyring.from_json(f'{{"active": "{raw}", "keys": {{"k1": "{raw}"}}}}'),
        lambda: Keyring.from_json(f'{{"active": "k1", "keys": {{"{raw}": "{raw}"}}}}'),
        lambda: Keyring.from_json(f'{{"active": "k1", "keys": {{"k1": "{raw}xy"}}}}'),
        lambda: Keyring.from_json(f'{{"active": "k1", "keys": {{"k1": "{raw}AA"}}}}'),
        lambda: Keyring.from_json(f'{{"active": "k1", "keys": {{"k1": "{raw}"'),
        lambda: Keyring(active_key_id="k1", keys={"k1": key[:31]}),
        lambda: CredentialSecret("jdoe-law", PASSWORD, totp_secret=PASSWORD),
    ]

    key_file.chmod(0o644)
    actions.append(lambda: KeyringSource.ensure_key_file(key_file))

    for action in actions:
        error = raise_for(action)
        assert_no_secrets(str(error), keyring)
        assert_no_secrets(repr(error), keyring)
