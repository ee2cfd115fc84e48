"""SQLModel tables and the database engine.

SQLite is the embedded default; DATABASE_URL selects PostgreSQL. The schema is
created and changed only by the Alembic migrations in ``migrations/``.
"""

from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, LargeBinary, UniqueConstraint, event
from sqlmodel import Column, Field, Session, SQLModel, create_engine

__all__ = [
    "Activation",
    "ClaimRow",
    "DeadlineRow",
    "DocketEntryRow",
    "DocumentRow",
    "Notice",
    "ActivationTransition",
    "AddressStatus",
    "Credential",
    "Firm",
    "NoticingAddressRow",
    "User",
    "UserRole",
    "get_engine",
    "migrate",
    "new_session",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UserRole(StrEnum):
    ATTORNEY = "attorney"
    STAFF = "staff"


class AddressStatus(StrEnum):
    PROVISIONED = "provisioned"
    RELEASED = "released"


class Firm(SQLModel, table=True):
    __tablename__ = "firms"

    id: str = Field(primary_key=True, max_length=63)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: str = Field(primary_key=True, max_length=63)
    firm_id: str = Field(foreign_key="firms.id", index=True, max_length=63)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    role: UserRole
    created_at: datetime = Field(default_factory=utcnow)


class Credential(SQLModel, table=True):
    """A CM/ECF login for one attorney at one court, encrypted by the vault."""

    __tablename__ = "credentials"

    id: str = Field(primary_key=True, max_length=64)
    attorney_id: str = Field(foreign_key="users.id", index=True, max_length=63)
    court_id: str = Field(index=True, max_length=16)
    key_id: str = Field(max_length=64)
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    mfa_enrolled: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Activation(SQLModel, table=True):
    """Projection of the latest run of each activation workflow."""

    __tablename__ = "activations"

    workflow_id: str = Field(primary_key=True, max_length=200)
    run_id: str = Field(max_length=64)
    firm_id: str = Field(index=True, max_length=63)
    attorney_id: str = Field(index=True, max_length=63)
    court_id: str = Field(index=True, max_length=16)
    credential_id: str = Field(max_length=64)
    status: str = Field(index=True, max_length=32)
    details: str
    noticing_address: str | None = Field(default=None, max_length=320)
    reminders_sent: int = 0
    last_reminder_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class ActivationTransition(SQLModel, table=True):
    __tablename__ = "activation_transitions"
    # A retried recording activity writes the same (run, sequence) again.
    __table_args__ = (UniqueConstraint("run_id", "sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: str = Field(index=True, max_length=200)
    run_id: str = Field(max_length=64)
    sequence: int
    at: datetime
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str = Field(max_length=32)
    actor: str = Field(max_length=200)
    reason: str


class NoticingAddressRow(SQLModel, table=True):
    __tablename__ = "noticing_addresses"

    address: str = Field(primary_key=True, max_length=320)
    workflow_id: str = Field(unique=True, max_length=200)
    firm_id: str = Field(index=True, max_length=63)
    attorney_id: str = Field(max_length=63)
    court_id: str = Field(max_length=16)
    status: AddressStatus = AddressStatus.PROVISIONED
    created_at: datetime = Field(default_factory=utcnow)
    released_at: datetime | None = None


class Notice(SQLModel, table=True):
    """One message delivered to one address (see notice_models.delivery_id)."""

    __tablename__ = "notices"

    id: str = Field(primary_key=True, max_length=64)
    # Name of the raw message in the blob store.
    raw_sha256: str = Field(index=True, max_length=64)
    # Same for a re-generated copy of a notice to the same address; see
    # nef.parser.notice_fingerprint.
    fingerprint: str | None = Field(default=None, index=True, max_length=64)
    # The fingerprint again, on the first notice that has it only. Its unique
    # index makes a concurrent second copy fail to insert, so the retry
    # records it as a duplicate.
    first_fingerprint: str | None = Field(default=None, unique=True, max_length=64)
    duplicate_of: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=32)
    court_id: str | None = Field(default=None, index=True, max_length=16)
    subject: str = ""
    message_id: str | None = Field(default=None, max_length=998)
    recipient: str = Field(index=True, max_length=320)
    firm_id: str | None = Field(default=None, index=True, max_length=63)
    activation_id: str | None = Field(default=None, max_length=200)
    # Kept but flagged for a person: unknown address, no live activation,
    # unparseable mail.
    flag: str | None = Field(default=None, max_length=500)
    warnings: str = ""
    source: str = Field(max_length=16)
    received_at: datetime = Field(default_factory=utcnow)


class DocketEntryRow(SQLModel, table=True):
    __tablename__ = "docket_entries"

    id: int | None = Field(default=None, primary_key=True)
    notice_id: str = Field(foreign_key="notices.id", index=True, max_length=64)
    court_id: str = Field(max_length=16)
    docket_number: str = Field(index=True, max_length=64)
    case_name: str
    pacer_case_id: str | None = Field(default=None, max_length=32)
    document_number: int | None = None
    date_filed: date | None = None
    description: str
    short_description: str = ""
    pacer_doc_id: str | None = Field(default=None, max_length=32)
    pacer_seq_no: str | None = Field(default=None, max_length=32)


class DocumentRow(SQLModel, table=True):
    """A free-look document; one row per document however many notices name it."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("court_id", "pacer_doc_id", "attachment"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: str = Field(foreign_key="notices.id", index=True, max_length=64)
    court_id: str = Field(max_length=16)
    docket_number: str = Field(max_length=64)
    pacer_doc_id: str = Field(max_length=32)
    # 0 for the main document, N for attachment N.
    attachment: int = 0
    description: str = ""
    # Contains the magic number until the capture has used it.
    document_url: str | None = None
    outcome: str | None = Field(default=None, max_length=32)
    detail: str = ""
    sha256: str | None = Field(default=None, max_length=64)
    size: int | None = None
    captured_at: datetime | None = None


class ClaimRow(SQLModel, table=True):
    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("firm_id", "court_id", "docket_number", "claim_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notice_id: str = Field(foreign_key="notices.id", index=True, max_length=64)
    firm_id: str | None = Field(default=None, index=True, max_length=63)
    court_id: str = Field(max_length=16)
    docket_number: str = Field(max_length=64)
    case_name: str
    creditor: str
    claim_number: str = Field(max_length=32)
    amount_claimed: Decimal | None = Field(
        default=None, max_digits=16, decimal_places=2
    )
    secured_amount: Decimal | None = Field(
        default=None, max_digits=16, decimal_places=2
    )
    priority_amount: Decimal | None = Field(
        default=None, max_digits=16, decimal_places=2
    )
    date_filed: date | None = None


class DeadlineRow(SQLModel, table=True):
    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint(
            "firm_id", "court_id", "docket_number", "kind", "due_date", "due_time"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    notice_id: str = Field(foreign_key="notices.id", index=True, max_length=64)
    firm_id: str | None = Field(default=None, index=True, max_length=63)
    court_id: str = Field(max_length=16)
    docket_number: str = Field(max_length=64)
    case_name: str
    kind: str = Field(max_length=32)
    title: str
    due_date: date
    due_time: time | None = None
    timezone: str = Field(max_length=64)
    location: str | None = None
    source_text: str = ""


def normalize_database_url(url: str) -> str:
    # Plain postgresql:// would pick psycopg2, which is not a dependency.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the worker write while the CLI reads; foreign keys are off in
    # SQLite unless asked for on every connection.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def build_engine(url: str, **options: Any) -> Engine:
    url = normalize_database_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, **options)

    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, **options
    )
    event.listen(engine, "connect", _configure_sqlite)
    return engine


@cache
def get_engine(url: str) -> Engine:
    return build_engine(url)


def new_session(url: str) -> Session:
    return Session(get_engine(url), expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    # Alembic's config is ini-style, where "%" starts an interpolation.
    escaped = normalize_database_url(url).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", escaped)
    return config


def migrate(url: str, engine: Engine | None = None) -> None:
    """Upgrade the database at ``url`` to the newest migration."""
    config = alembic_config(url)
    with (engine or get_engine(url)).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
