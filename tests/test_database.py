import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel, select

import court_notices.db
from court_notices.db import (
    Credential,
    Firm,
    User,
    UserRole,
    build_engine,
    get_engine,
    migrate,
    new_session,
)
from court_notices.totp import new_totp_secret
from court_notices.vault import (
    CredentialSecret,
    DecryptionError,
    KeyringSource,
    Vault,
)
from starter.records import InputError, RecordStore

MIGRATIONS = Path(court_notices.db.__file__).parent / "migrations"


def unique_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(url: str) -> str | None:
    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def add_attorney(store: RecordStore) -> tuple[str, str]:
    """Add a firm with one attorney and return (firm id, attorney id)."""
    firm_id = unique_id("firm")
    attorney_id = unique_id("atty")
    store.add_firm(firm_id, "Doe & Roe LLP")
    store.add_user(
        attorney_id,
        firm_id=firm_id,
        name="Jane Doe",
        email="jane@doe-roe.example",
        role=UserRole.ATTORNEY,
    )
    return firm_id, attorney_id


def new_secret(*, totp: bool = False) -> CredentialSecret:
    return CredentialSecret(
        login_id=unique_id("login"),
        password=f"pw-{uuid.uuid4().hex}",
        totp_secret=new_totp_secret() if totp else None,
        client_code="matter-17",
    )


@pytest.fixture
def store(database_url: str, vault: Vault) -> RecordStore:
    return RecordStore(database_url, vault)


@pytest.fixture
def own_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new migrated database of the same kind as ``database_url``.

    Key rotation rewrites every credential row, so it cannot share the session
    database, whose rows are encrypted under the session vault's key.
    """
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'rotation.db'}"
        migrate(url)
        yield url
        get_engine(url).dispose()
        return

    # Built the same way as the postgres_url fixture in tests/support/stack.py.
    base_url = os.environ["DATABASE_URL"]
    schema = f"court_notices_test_{uuid.uuid4().hex[:12]}"
    admin = build_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    url = f"{base_url}{separator}options=-csearch_path%3D{schema}"
    try:
        migrate(url)
        yield url
    finally:
        get_engine(url).dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# Schema


def test_migrated_schema_matches_models(database_url: str) -> None:
    with get_engine(database_url).connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_migrated_to_head(database_url: str) -> None:
    assert current_revision(database_url) == head_revision()


def test_migrate_twice_keeps_data(database_url: str, store: RecordStore) -> None:
    firm_id = unique_id("firm")
    store.add_firm(firm_id, "Kept LLP")
    with get_engine(database_url).connect() as connection:
        tables_before = set(inspect(connection).get_table_names())

    migrate(database_url)

    with get_engine(database_url).connect() as connection:
        tables_after = set(inspect(connection).get_table_names())
    assert tables_after == tables_before
    assert current_revision(database_url) == head_revision()
    with new_session(database_url) as session:
        firm = session.get(Firm, firm_id)
    assert firm is not None
    assert firm.name == "Kept LLP"


def test_migrate_url_with_percent_sign(tmp_path: Path) -> None:
    # Percent signs occur in URL-encoded passwords and query options such as
    # options=-csearch_path%3Dschema.
    url = f"sqlite:///{tmp_path / '100%' / 'court_notices.db'}"
    migrate(url)
    assert current_revision(url) == head_revision()


# Firms and users


def test_firm_round_trip(database_url: str, store: RecordStore) -> None:
    firm_id = unique_id("firm")
    store.add_firm(firm_id, "  Doe & Roe LLP ")
    with new_session(database_url) as session:
        firm = session.get(Firm, firm_id)
    assert firm is not None
    assert firm.name == "Doe & Roe LLP"


def test_firm_rename(database_url: str, store: RecordStore) -> None:
    firm_id = unique_id("firm")
    store.add_firm(firm_id, "Old Name LLP")
    store.add_firm(firm_id, "New Name LLP")
    with new_session(database_url) as session:
        firms = session.exec(select(Firm).where(Firm.id == firm_id)).all()
    assert [firm.name for firm in firms] == ["New Name LLP"]


@pytest.mark.parametrize("role", [UserRole.ATTORNEY, UserRole.STAFF])
def test_user_round_trip(database_url: str, store: RecordStore, role: UserRole) -> None:
    firm_id = unique_id("firm")
    user_id = unique_id("user")
    store.add_firm(firm_id, "Doe & Roe LLP")
    store.add_user(
        user_id, firm_id=firm_id, name="Sam Roe", email="sam@roe.example", role=role
    )
    with new_session(database_url) as session:
        user = session.get(User, user_id)
    assert user is not None
    assert user.firm_id == firm_id
    assert user.email == "sam@roe.example"
    assert user.role is role


def test_user_unknown_firm_rejected(store: RecordStore) -> None:
    firm_id = unique_id("firm")
    with pytest.raises(InputError, match=f"Firm {firm_id} not found; add the firm"):
        store.add_user(
            unique_id("user"),
            firm_id=firm_id,
            name="Sam Roe",
            email="sam@roe.example",
            role=UserRole.STAFF,
        )


def test_user_move_to_other_firm_rejected(store: RecordStore) -> None:
    firm_id, attorney_id = add_attorney(store)
    other_firm_id = unique_id("firm")
    store.add_firm(other_firm_id, "Other LLP")
    with pytest.raises(InputError, match=f"already belongs to firm {firm_id}"):
        store.add_user(
            attorney_id,
            firm_id=other_firm_id,
            name="Jane Doe",
            email="jane@doe-roe.example",
            role=UserRole.ATTORNEY,
        )


# Credentials


def test_credential_round_trip(store: RecordStore, vault: Vault) -> None:
    _, attorney_id = add_attorney(store)
    secret = new_secret(totp=True)

    credential = store.add_credential(
        attorney_id=attorney_id, court_id="NYSB", secret=secret
    )

    stored = store.get_credential(credential.id)
    assert stored is not None
    assert stored.attorney_id == attorney_id
    assert stored.court_id == "nysb"
    assert stored.mfa_enrolled
    assert stored.key_id == vault.active_key_id
    decrypted = vault.decrypt(
        stored.key_id, stored.ciphertext, associated_data=credential.id.encode()
    )
    assert decrypted == secret


def test_credential_ciphertext_hides_secrets(store: RecordStore) -> None:
    _, attorney_id = add_attorney(store)
    secret = new_secret(totp=True)
    assert secret.totp_secret is not None

    credential = store.add_credential(
        attorney_id=attorney_id, court_id="txsb", secret=secret
    )

    stored = store.get_credential(credential.id)
    assert stored is not None
    assert secret.password.encode() not in stored.ciphertext
    assert secret.totp_secret.encode() not in stored.ciphertext
    assert secret.login_id.encode() not in stored.ciphertext


def test_credential_bound_to_its_id(store: RecordStore, vault: Vault) -> None:
    _, attorney_id = add_attorney(store)
    credential = store.add_credential(
        attorney_id=attorney_id, court_id="nysb", secret=new_secret()
    )
    with pytest.raises(DecryptionError):
        vault.decrypt(
            credential.key_id, credential.ciphertext, associated_data=b"cred_other"
        )


def test_credential_without_mfa(store: RecordStore) -> None:
    _, attorney_id = add_attorney(store)
    credential = store.add_credential(
        attorney_id=attorney_id, court_id="nysb", secret=new_secret()
    )
    assert not credential.mfa_enrolled


def test_credential_for_staff_rejected(database_url: str, store: RecordStore) -> None:
    firm_id, _ = add_attorney(store)
    staff_id = unique_id("staff")
    store.add_user(
        staff_id,
        firm_id=firm_id,
        name="Pat Clerk",
        email="pat@doe-roe.example",
        role=UserRole.STAFF,
    )
    with pytest.raises(InputError, match="is staff, not an attorney"):
        store.add_credential(attorney_id=staff_id, court_id="nysb", secret=new_secret())
    with new_session(database_url) as session:
        rows = session.exec(
            select(Credential).where(Credential.attorney_id == staff_id)
        ).all()
    assert rows == []


def test_credential_blank_password_rejected(store: RecordStore) -> None:
    _, attorney_id = add_attorney(store)
    secret = CredentialSecret(login_id="jdoe", password="   ")
    with pytest.raises(InputError, match="password is empty"):
        store.add_credential(attorney_id=attorney_id, court_id="nysb", secret=secret)


def test_credential_unknown_court_rejected(store: RecordStore) -> None:
    _, attorney_id = add_attorney(store)
    with pytest.raises(InputError, match="Did you mean nysb"):
        store.add_credential(
            attorney_id=attorney_id, court_id="nysbb", secret=new_secret()
        )


# Activation input


def test_activation_input_accepted(store: RecordStore) -> None:
    firm_id, attorney_id = add_attorney(store)
    credential = store.add_credential(
        attorney_id=attorney_id, court_id="kyeb", secret=new_secret()
    )
    court_id = store.check_activation_input(
        firm_id=firm_id,
        attorney_id=attorney_id,
        court_id=" KYEB ",
        credential_id=credential.id,
    )
    assert court_id == "kyeb"


def test_activation_credential_other_court(store: RecordStore) -> None:
    firm_id, attorney_id = add_attorney(store)
    credential = store.add_credential(
        attorney_id=attorney_id, court_id="nysb", secret=new_secret()
    )
    with pytest.raises(InputError) as raised:
        store.check_activation_input(
            firm_id=firm_id,
            attorney_id=attorney_id,
            court_id="txsb",
            credential_id=credential.id,
        )
    message = str(raised.value)
    assert f"is for {attorney_id} at nysb" in message
    assert f"not {attorney_id} at txsb" in message


def test_activation_credential_other_attorney(store: RecordStore) -> None:
    firm_id, attorney_id = add_attorney(store)
    _, other_attorney_id = add_attorney(store)
    credential = store.add_credential(
        attorney_id=other_attorney_id, court_id="nysb", secret=new_secret()
    )
    with pytest.raises(InputError) as raised:
        store.check_activation_input(
            firm_id=firm_id,
            attorney_id=attorney_id,
            court_id="nysb",
            credential_id=credential.id,
        )
    message = str(raised.value)
    assert f"is for {other_attorney_id} at nysb" in message
    assert f"not {attorney_id} at nysb" in message


def test_activation_unknown_court(store: RecordStore) -> None:
    firm_id, attorney_id = add_attorney(store)
    credential = store.add_credential(
        attorney_id=attorney_id, court_id="txsb", secret=new_secret()
    )
    with pytest.raises(InputError) as raised:
        store.check_activation_input(
            firm_id=firm_id,
            attorney_id=attorney_id,
            court_id="txs",
            credential_id=credential.id,
        )
    message = str(raised.value)
    assert "Unknown court ID 'txs'" in message
    assert "Did you mean txsb" in message


def test_activation_missing_credential(store: RecordStore) -> None:
    firm_id, attorney_id = add_attorney(store)
    credential_id = unique_id("cred")
    with pytest.raises(InputError) as raised:
        store.check_activation_input(
            firm_id=firm_id,
            attorney_id=attorney_id,
            court_id="nysb",
            credential_id=credential_id,
        )
    message = str(raised.value)
    assert f"Credential {credential_id} not found" in message
    assert "credentials add" in message


@pytest.mark.parametrize("firm_id", ["Doe Roe", "", "-doe", "doe/roe"])
def test_activation_invalid_firm_id(store: RecordStore, firm_id: str) -> None:
    with pytest.raises(InputError, match="Invalid firm id"):
        store.check_activation_input(
            firm_id=firm_id,
            attorney_id="jdoe",
            court_id="nysb",
            credential_id="cred_0",
        )


# Key rotation


def test_reencrypt_after_key_rotation(own_database_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "vault.key"
    KeyringSource.ensure_key_file(key_file)
    key_vault = Vault(KeyringSource(key_file=key_file))
    store = RecordStore(own_database_url, key_vault)
    _, attorney_id = add_attorney(store)
    secrets = [new_secret(), new_secret(totp=True)]
    credentials = [
        store.add_credential(attorney_id=attorney_id, court_id="nysb", secret=secret)
        for secret in secrets
    ]
    old_key_id = key_vault.active_key_id

    new_key_id = KeyringSource.add_key(key_file).active_key_id
    key_vault.reload()
    count = store.reencrypt_credentials()

    assert new_key_id != old_key_id
    assert count == 2
    for credential, secret in zip(credentials, secrets, strict=True):
        stored = store.get_credential(credential.id)
        assert stored is not None
        assert stored.key_id == new_key_id
        assert stored.ciphertext != credential.ciphertext
        assert stored.updated_at >= credential.updated_at
        decrypted = key_vault.decrypt(
            stored.key_id, stored.ciphertext, associated_data=credential.id.encode()
        )
        assert decrypted == secret


def test_reencrypt_twice_changes_nothing(own_database_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "vault.key"
    KeyringSource.ensure_key_file(key_file)
    key_vault = Vault(KeyringSource(key_file=key_file))
    store = RecordStore(own_database_url, key_vault)
    _, attorney_id = add_attorney(store)
    credential = store.add_credential(
        attorney_id=attorney_id, court_id="nysb", secret=new_secret()
    )

    KeyringSource.add_key(key_file)
    key_vault.reload()
    assert store.reencrypt_credentials() == 1
    rotated = store.get_credential(credential.id)
    assert store.reencrypt_credentials() == 0

    unchanged = store.get_credential(credential.id)
    assert rotated is not None
    assert unchanged is not None
    assert unchanged.ciphertext == rotated.ciphertext
