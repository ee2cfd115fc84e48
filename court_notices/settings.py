"""Service settings, read from the environment (prefix ``COURT_NOTICES_``)."""

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from court_notices import TASK_QUEUE


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COURT_NOTICES_", extra="ignore")

    data_dir: Path = Path(".data")
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = TASK_QUEUE

    # DATABASE_URL without the prefix is the name most deployments already set.
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("DATABASE_URL", "COURT_NOTICES_DATABASE_URL"),
    )

    # A JSON object {"active": KEY_ID, "keys": {KEY_ID: base64 32-byte key}}.
    # When unset, the vault reads the key file instead.
    vault_keys: str | None = None
    vault_key_file: Path | None = None

    # Keys for Temporal payload encryption, in the vault's keyring format but a
    # separate keyring (court_notices.codec explains why). When unset, the codec reads
    # the key file instead.
    payload_keys: str | None = None
    payload_key_file: Path | None = None

    # The remote codec server that the Temporal Web UI calls to decrypt payloads.
    # codec_origins is a comma-separated list of the Web UI origins it accepts.
    codec_port: int = 8081
    codec_token: str | None = None
    codec_origins: str = "http://localhost:8233,http://127.0.0.1:8233"

    pacer_base_url: str = "http://127.0.0.1:8088/pacer"
    court_simulator_url: str = "http://127.0.0.1:8088"
    noticing_domain: str = "notices.court-notices.test"

    # The SMTP intake for the noticing domain.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    max_message_bytes: int = 25 * 1024 * 1024
    max_document_bytes: int = 50 * 1024 * 1024

    reminder_interval: timedelta = timedelta(days=3)
    activation_expiry: timedelta = timedelta(days=45)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'court_notices.db'}"

    @property
    def resolved_vault_key_file(self) -> Path:
        return self.vault_key_file or self.data_dir / "vault.key"

    @property
    def resolved_payload_key_file(self) -> Path:
        return self.payload_key_file or self.data_dir / "payload.key"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def simulator_host(self) -> str:
        """Return host:port of the court simulator, allowed for doc1 links."""
        return urlsplit(self.court_simulator_url).netloc


@lru_cache
def get_settings() -> Settings:
    return Settings()
