"""Create the activation schema

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activation_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "sequence"),
    )
    with op.batch_alter_table("activation_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activation_transitions_workflow_id"),
            ["workflow_id"],
            unique=False,
        )

    op.create_table(
        "activations",
        sa.Column("workflow_id", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("firm_id", sa.String(length=63), nullable=False),
        sa.Column("attorney_id", sa.String(length=63), nullable=False),
        sa.Column("court_id", sa.String(length=16), nullable=False),
        sa.Column("credential_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("details", sa.String(), nullable=False),
        sa.Column(
            "noticing_address",
            sa.String(length=320),
            nullable=True,
        ),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("last_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workflow_id"),
    )
    with op.batch_alter_table("activations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activations_attorney_id"), ["attorney_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activations_court_id"), ["court_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activations_firm_id"), ["firm_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activations_status"), ["status"], unique=False
        )

    op.create_table(
        "firms",
        sa.Column("id", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "noticing_addresses",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("workflow_id", sa.String(length=200), nullable=False),
        sa.Column("firm_id", sa.String(length=63), nullable=False),
        sa.Column("attorney_id", sa.String(length=63), nullable=False),
        sa.Column("court_id", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum("PROVISIONED", "RELEASED", name="addressstatus"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("address"),
        sa.UniqueConstraint("workflow_id"),
    )
    with op.batch_alter_table("noticing_addresses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_noticing_addresses_firm_id"), ["firm_id"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.String(length=63), nullable=False),
        sa.Column("firm_id", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "role", sa.Enum("ATTORNEY", "STAFF", name="userrole"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_firm_id"), ["firm_id"], unique=False)

    op.create_table(
        "credentials",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("attorney_id", sa.String(length=63), nullable=False),
        sa.Column("court_id", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("mfa_enrolled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attorney_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credentials_attorney_id"), ["attorney_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credentials_court_id"), ["court_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_court_id"))
        batch_op.drop_index(batch_op.f("ix_credentials_attorney_id"))

    op.drop_table("credentials")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_firm_id"))

    op.drop_table("users")
    with op.batch_alter_table("noticing_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_noticing_addresses_firm_id"))

    op.drop_table("noticing_addresses")
    op.drop_table("firms")
    with op.batch_alter_table("activations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activations_status"))
        batch_op.drop_index(batch_op.f("ix_activations_firm_id"))
        batch_op.drop_index(batch_op.f("ix_activations_court_id"))
        batch_op.drop_index(batch_op.f("ix_activations_attorney_id"))

    op.drop_table("activations")
    with op.batch_alter_table("activation_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activation_transitions_workflow_id"))

    op.drop_table("activation_transitions")
