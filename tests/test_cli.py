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

# Port 1 normally has no listener, so a command that connects to Temporal fails
# with a connection error instead of the input error the tests expect.
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

    def build_vault(self) -> Vault:
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
    secret = cli_env.build_vault().decrypt(
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
    secret = cli_env.build_vault().decrypt(
        stored.key_id, stored.ciphertext, associated_data=stored.id.encode()
    )
    assert secret.password == password
    assert secret.totp_secret == totp_secret


def test_credentials_add_prompt_hides_password(cli_env: CliEnv) -> None:
    add_firm_and_users()
    password = new_password()

    result = add_credential(input=f"{password}\n")

    assert result.exit_code == 0, result.output
    assert "CM/ECF password" in result.output
    assert password not in result.output
    assert password not in result.stderr
    assert len(stored_credentials(cli_env)) == 1


def test_credentials_add_json(cli_env: CliEnv) -> None:
    add_firm_and_users()

    result = add_credential(
        "--password-stdin", input=f"{new_password()}\n", court_id="KYEB", as_json=True
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert CREDENTIAL_ID_RE.fullmatch(summary["credential_id"])
    assert summary["court_id"] == "kyeb"
    assert summary["mfa_enrolled"] is False
    assert summary["key_id"] == cli_env.build_vault().active_key_id


# Input rejected before anything is stored or started


def test_credentials_add_empty_password(cli_env: CliEnv) -> None:
    add_firm_and_users()

    result = add_credential("--password-stdin", input="\n")

    assert_rejected(result)
    assert "password is empty" in result.output
    assert stored_credentials(cli_env) == []


def test_credentials_add_blank_password(cli_env: CliEnv) -> None:
    add_firm_and_users()

    result = add_credential("--password-stdin", input="   \n")

    assert_rejected(result)
    assert "The password is empty; enter the CM/ECF password." in result.output
    assert stored_credentials(cli_env) == []


def test_credentials_add_invalid_totp(cli_env: CliEnv) -> None:
    add_firm_and_users()
    password = new_password()

    result = add_credential(
        "--mfa", "--password-stdin", input=f"{password}\nnot-base32!\n"
    )

    assert_rejected(result)
    assert "not valid base32" in result.output
    assert password not in result.output
    assert stored_credentials(cli_env) == []


def test_credentials_add_mfa_empty_totp(cli_env: CliEnv) -> None:
    # --mfa promises a TOTP secret, so a missing one must not store a login
    # that cannot pass the court's multi-factor check.
    add_firm_and_users()

    result = add_credential("--mfa", "--password-stdin", input=f"{new_password()}\n")

    assert_rejected(result)
    assert "TOTP" in result.output
    assert stored_credentials(cli_env) == []


def test_credentials_add_unknown_court(cli_env: CliEnv) -> None:
    add_firm_and_users()

    result = add_credential(
        "--password-stdin", input=f"{new_password()}\n", court_id="nysbb"
    )

    assert_rejected(result)
    assert "Unknown court ID 'nysbb'" in result.output
    assert "Did you mean nysb" in result.output
    assert stored_credentials(cli_env) == []


def test_credentials_add_for_staff(cli_env: CliEnv) -> None:
    add_firm_and_users()

    result = run(
        "credentials",
        "add",
        "--attorney",
        "pclerk",
        "--court",
        "nysb",
        "--login-id",
        "pclerk_ecf",
        "--password-stdin",
        input=f"{new_password()}\n",
    )

    assert_rejected(result)
    assert "User pclerk is staff, not an attorney" in result.output
    assert "stored for attorney users only" in result.output
    assert stored_credentials(cli_env) == []


def test_credentials_add_unknown_attorney(cli_env: CliEnv) -> None:
    add_firm_and_users()

    result = run(
        "credentials",
        "add",
        "--attorney",
        "nobody",
        "--court",
        "nysb",
        "--login-id",
        "nobody_ecf",
        "--password-stdin",
        input=f"{new_password()}\n",
    )

    assert_rejected(result)
    assert "Attorney user nobody not found" in result.output


@pytest.mark.parametrize("firm_id", ["Doe_Roe", "doe roe", "_doe", "a" * 64])
def test_firms_add_invalid_id(cli_env: CliEnv, firm_id: str) -> None:
    result = run("firms", "add", firm_id, "--name", "Doe & Roe LLP")

    assert_rejected(result)
    assert f"Invalid firm id {firm_id!r}" in result.output
    assert "use 1-63 lowercase letters" in result.output


def test_firms_add_blank_name(cli_env: CliEnv) -> None:
    result = run("firms", "add", "doe_roe", "--name", "  ")

    assert_rejected(result)
    assert "firm name is empty" in result.output


def test_users_add_unknown_firm(cli_env: CliEnv) -> None:
    result = run(
        "users",
        "add",
        "jdoe",
        "--firm",
        "nosuch",
        "--name",
        "Jane Doe",
        "--email",
        "jane@doe-roe.example",
        "--role",
        "attorney",
    )

    assert_rejected(result)
    assert "Firm nosuch not found; add the firm first." in result.output


def test_users_add_invalid_email(cli_env: CliEnv) -> None:
    run("firms", "add", "doe_roe", "--name", "Doe & Roe LLP")

    result = run(
        "users",
        "add",
        "jdoe",
        "--firm",
        "doe_roe",
        "--name",
        "Jane Doe",
        "--email",
        "jane.doe-roe.example",
        "--role",
        "attorney",
    )

    assert_rejected(result)
    assert "Invalid e-mail address 'jane.doe-roe.example'" in result.output


def test_users_add_unknown_role(cli_env: CliEnv) -> None:
    result = run(
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
        "partner",
    )

    assert result.exit_code == 2
    assert "'partner' is not one of 'attorney', 'staff'" in result.output


# start


def run_start(*options: str) -> Result:
    """Run ``start`` with valid defaults, replaced by ``options`` pairs."""
    defaults = {
        "--firm": "doe_roe",
        "--attorney": "jdoe",
        "--court": "nysb",
        "--credential": "cred_0000000000000000",
        "--requested-by": "ops@doe-roe.example",
    }
    overrides = dict(zip(options[::2], options[1::2], strict=True))
    arguments: list[str] = []
    for option, value in {**defaults, **overrides}.items():
        arguments += [option, value]
    return run("start", *arguments)


def test_start_missing_credential_checked_locally(cli_env: CliEnv) -> None:
    add_firm_and_users()

    result = run_start("--credential", "cred_missing")

    assert_rejected(result)
    assert "Credential cred_missing not found" in result.output
    assert "credentials add" in result.output


def test_start_unknown_court_checked_locally(cli_env: CliEnv) -> None:
    add_firm_and_users()

    result = run_start("--court", "txs")

    assert_rejected(result)
    assert "Did you mean txsb" in result.output


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("--firm", "Doe Roe", "firm_id"),
        ("--attorney", "J.Doe", "attorney_id"),
        ("--credential", "", "credential_id"),
        ("--requested-by", "", "requested_by"),
    ],
)
def test_start_invalid_field(
    cli_env: CliEnv, option: str, value: str, field: str
) -> None:
    result = run_start(option, value)

    assert_rejected(result)
    assert "Invalid input: " in result.output
    assert f"{field}: " in result.output


# signal and update


def test_signal_malformed_json(cli_env: CliEnv) -> None:
    result = run(
        "signal", "activation-x", "court_rejected", "--input", '{"actor": "ops",'
    )

    assert_rejected(result)
    assert "Invalid input: input: Invalid JSON" in result.output


def test_signal_missing_field(cli_env: CliEnv) -> None:
    result = run(
        "signal", "activation-x", "court_rejected", "--input", '{"actor": "ops"}'
    )

    assert_rejected(result)
    assert "reason: Field required" in result.output


def test_signal_missing_actor(cli_env: CliEnv) -> None:
    result = run("signal", "activation-x", "cancel", "--input", "{}")

    assert_rejected(result)
    assert "actor: Field required" in result.output
    assert "reason: Field required" in result.output


def test_signal_misspelt_field(cli_env: CliEnv) -> None:
    payload = '{"actor": "ops", "evidnce": "NEF 12"}'

    result = run("signal", "activation-x", "court_confirmed", "--input", payload)

    assert_rejected(result)
    assert "evidnce: Extra inputs are not permitted" in result.output


def test_signal_unknown_name(cli_env: CliEnv) -> None:
    result = run(
        "signal", "activation-x", "court_approved", "--input", '{"actor": "ops"}'
    )

    assert result.exit_code == 2
    assert "'court_approved' is not one of" in result.output
    assert "'court_confirmed'" in result.output


@pytest.mark.parametrize("credential_id", ["", "   "])
def test_update_empty_credential_id(cli_env: CliEnv, credential_id: str) -> None:
    payload = json.dumps({"actor": "ops", "credential_id": credential_id})

    result = run("update", "activation-x", "modify_credentials", "--input", payload)

    assert_rejected(result)
    assert "credential_id: String should have at least 1 character" in result.output


def test_update_unknown_name(cli_env: CliEnv) -> None:
    payload = json.dumps({"actor": "ops", "credential_id": "cred_1"})

    result = run("update", "activation-x", "modify_credential", "--input", payload)

    assert result.exit_code == 2
    assert "'modify_credential' is not one of" in result.output


# vault rotate-key


def test_rotate_key_env_keys_rejected(cli_env: CliEnv) -> None:
    result = run("vault", "rotate-key")

    assert_rejected(result)
    assert "Keys come from COURT_NOTICES_VAULT_KEYS" in result.output


def test_rotate_key_reencrypts(
    cli_env: CliEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COURT_NOTICES_VAULT_KEYS")
    get_settings.cache_clear()
    key_file = cli_env.data_dir / "vault.key"
    old_key_id = KeyringSource.ensure_key_file(key_file).active_key_id
    add_firm_and_users()
    password = new_password()
    added = add_credential("--password-stdin", input=f"{password}\n")
    assert added.exit_code == 0, added.output

    result = run("--json", "vault", "rotate-key")

    assert result.exit_code == 0, result.output
    rotation = json.loads(result.output)
    assert rotation["reencrypted"] == 1
    assert rotation["active_key_id"] != old_key_id
    [stored] = stored_credentials(cli_env)
    assert stored.key_id == rotation["active_key_id"]
    key_vault = Vault(KeyringSource(key_file=key_file))
    secret = key_vault.decrypt(
        stored.key_id, stored.ciphertext, associated_data=stored.id.encode()
    )
    assert secret.password == password
