import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlmodel import select

from court_notices.db import Credential, Firm, User, UserRole, new_session
from court_notices.settings import get_settings
from court_notices.totp import new_totp_secret
from court_notices.vault import Keyring, KeyringSource, Vault
from starter.cli import cli

# Nothing listens on port 1, so a command that connects to Temporal fails with
# a connection error instead of the input error the tests expect.
UNREACHABLE_TEMPORAL = "127.0.0.1:1"
CREDENTIAL_ID_RE = re.compile(r"cred_[0-9a-f]{16}")


@dataclass(frozen=True)
class CliEnv:
    data_dir: Path
    keys_json: str

    @property
    def database_url(self) -> str:
        # Settings.resolved_database_url without DATABASE_URL.
        return f"sqlite:///{self.data_dir / 'court_notices.db'}"

    def vault(self) -> Vault:
        return Vault(KeyringSource(keys_json=self.keys_json))


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliEnv]:
    keys_json = Keyring.generate().to_json()
    monkeypatch.setenv("COURT_NOTICES_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURT_NOTICES_VAULT_KEYS", keys_json)
    monkeypatch.setenv("COURT_NOTICES_TEMPORAL_ADDRESS", UNREACHABLE_TEMPORAL)
    # The CLI must use the SQLite file in tmp_path, even when the PostgreSQL
    # variant of the database tests runs in the same session.
    for name in ("DATABASE_URL", "COURT_NOTICES_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("COURT_NOTICES_VAULT_KEY_FILE", raising=False)
    get_settings.cache_clear()
    yield CliEnv(tmp_path, keys_json)
    get_settings.cache_clear()


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def assert_rejected(result: Result) -> None:
    """Check that the CLI exited with an error message, not a traceback."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)


def new_password() -> str:
    return f"Pw-{uuid.uuid4().hex}!"


def add_firm_and_users(firm_id: str = "doe_roe") -> None:
    """Add a firm with attorney ``jdoe`` and staff user ``pclerk`` through the CLI."""
    firm = run("firms", "add", firm_id, "--name", "Doe & Roe LLP")
    assert firm.exit_code == 0, firm.output
    for user_id, role in (("jdoe", "attorney"), ("pclerk", "staff")):
        user = run(
            "users",
            "add",
            user_id,
            "--firm",
            firm_id,
            "--name",
            user_id.title(),
            "--email",
            f"{user_id}@doe-roe.example",
            "--role",
            role,
        )
        assert user.exit_code == 0, user.output


def add_credential(
    *options: str, input: str, court_id: str = "nysb", as_json: bool = False
) -> Result:
    """Run ``credentials add`` for attorney jdoe with ``options`` added."""
    return run(
        *(["--json"] if as_json else []),
        "credentials",
        "add",
        "--attorney",
        "jdoe",
        "--court",
        court_id,
        "--login-id",
        "jdoe_ecf",
        *options,
        input=input,
    )


def stored_credentials(env: CliEnv) -> list[Credential]:
    with new_session(env.database_url) as session:
        return list(session.exec(select(Credential)).all())


# Records


def test_firms_add_saves_firm(cli_env: CliEnv) -> None:
    result = run("firms", "add", "doe_roe", "--name", "Doe & Roe LLP")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Firm doe_roe saved."
    with new_session(cli_env.database_url) as session:
        firm = session.get(Firm, "doe_roe")
    assert firm is not None
    assert firm.name == "Doe & Roe LLP"


def test_firms_add_json(cli_env: CliEnv) -> None:
    result = run("--json", "firms", "add", "doe_roe", "--name", "Doe & Roe LLP")

    assert result.exit_code == 0, result.output
    firm = json.loads(result.output)
    assert firm["id"] == "doe_roe"
    assert firm["name"] == "Doe & Roe LLP"


@pytest.mark.parametrize("role", ["attorney", "staff"])
def test_users_add_role(cli_env: CliEnv, role: str) -> None:
    run("firms", "add", "doe_roe", "--name", "Doe & Roe LLP")
    result = run(
        "users",
        "add",
        "sroe",
        "--firm",
        "doe_roe",
        "--name",
        "Sam Roe",
        "--email",
        "sam@doe-roe.example",
        "--role",
        role,
    )

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"User sroe ({role}) saved in firm doe_roe."
    with new_session(cli_env.database_url) as session:
        user = session.get(User, "sroe")
    assert user is not None
    assert user.role is UserRole(role)
    assert user.firm_id == "doe_roe"


def test_users_add_json(cli_env: CliEnv) -> None:
    run("firms", "add", "doe_roe", "--name", "Doe & Roe LLP")
    result = run(
        "--json",
        "users",
        "add",
        "jdoe",
        "--firm",
        "doe_roe",
        "--name",
        "Jane Doe",
        "--email",
        "jane@doe-roe.example",
        "--role",
        "attorney",
    )

    assert result.exit_code == 0, result.output
    user = json.loads(result.output)
    assert user["id"] == "jdoe"
    assert user["firm_id"] == "doe_roe"
    assert user["role"] == "attorney"
    assert user["email"] == "jane@doe-roe.example"


def test_credentials_add_prints_id(cli_env: CliEnv) -> None:
    add_firm_and_users()
    password = new_password()

    result = add_credential("--password-stdin", input=f"{password}\n")

    assert result.exit_code == 0, result.output
    credential_id = result.stdout.strip()
    assert CREDENTIAL_ID_RE.fullmatch(credential_id), result.stdout
    assert password not in result.output
    assert password not in result.stderr
    [stored] = stored_credentials(cli_env)
    assert stored.id == credential_id
    assert stored.court_id == "nysb"
    assert not stored.mfa_enrolled
    secret = cli_env.vault().decrypt(
        stored.key_id, stored.ciphertext, associated_data=credential_id.encode()
    )
    assert secret.password == password
    assert secret.login_id == "jdoe_ecf"
    assert secret.totp_secret is None


def test_credentials_add_mfa_reads_totp(cli_env: CliEnv) -> None:
    add_firm_and_users()
    password = new_password()
    totp_secret = new_totp_secret()

    result = add_credential(
        "--mfa",
        "--password-stdin",
        input=f"{password}\n{totp_secret}\n",
        as_json=True,
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["mfa_enrolled"] is True
    assert summary["attorney_id"] == "jdoe"
    assert summary["court_id"] == "nysb"
    assert password not in result.output
    assert totp_secret not in result.output
    assert password not in result.stderr
    assert totp_secret not in result.stderr
    with new_session(cli_env.database_url) as session:
        stored = session.get(Credential, summary["credential_id"])
    assert stored is not None
    secret = cli_env.vault().decrypt(
        stored.key_id, stored.ciphertext, associated_data=stored.id.encode()
    )
    assert secret.password == password
    assert secret.totp_secret == totp_secret
