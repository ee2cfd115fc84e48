"""Add notices, documents, claims and deadlines

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("first_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("duplicate_of", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("court_id", sa.String(length=16), nullable=True),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("firm_id", sa.String(length=63), nullable=True),
        sa.Column("activation_id", sa.String(length=200), nullable=True),
        sa.Column("flag", sa.String(length=500), nullable=True),
        sa.Column("warnings", sa.String(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("first_fingerprint"),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notices_court_id"), ["court_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notices_fingerprint"), ["fingerprint"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notices_firm_id"), ["firm_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notices_raw_sha256"), ["raw_sha256"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notices_recipient"), ["recipient"], unique=False
        )

    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.String(length=64), nullable=False),
        sa.Column("firm_id", sa.String(length=63), nullable=True),
        sa.Column("court_id", sa.String(length=16), nullable=False),
        sa.Column("docket_number", sa.String(length=64), nullable=False),
        sa.Column("case_name", sa.String(), nullable=False),
        sa.Column("creditor", sa.String(), nullable=False),
        sa.Column("claim_number", sa.String(length=32), nullable=False),
        sa.Column("amount_claimed", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("secured_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("priority_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("date_filed", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("firm_id", "court_id", "docket_number", "claim_number"),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claims_firm_id"), ["firm_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_claims_notice_id"), ["notice_id"], unique=False
        )

    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.String(length=64), nullable=False),
        sa.Column("firm_id", sa.String(length=63), nullable=True),
        sa.Column("court_id", sa.String(length=16), nullable=False),
        sa.Column("docket_number", sa.String(length=64), nullable=False),
        sa.Column("case_name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("due_time", sa.Time(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(), nullable=True),
        sa.Column("source_text", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "firm_id", "court_id", "docket_number", "kind", "due_date", "due_time"
        ),
    )
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deadlines_firm_id"), ["firm_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deadlines_notice_id"), ["notice_id"], unique=False
        )

    op.create_table(
        "docket_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.String(length=64), nullable=False),
        sa.Column("court_id", sa.String(length=16), nullable=False),
        sa.Column("docket_number", sa.String(length=64), nullable=False),
        sa.Column("case_name", sa.String(), nullable=False),
        sa.Column("pacer_case_id", sa.String(length=32), nullable=True),
        sa.Column("document_number", sa.Integer(), nullable=True),
        sa.Column("date_filed", sa.Date(), nullable=True),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("short_description", sa.String(), nullable=False),
        sa.Column("pacer_doc_id", sa.String(length=32), nullable=True),
        sa.Column("pacer_seq_no", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("docket_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_docket_entries_docket_number"),
            ["docket_number"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_docket_entries_notice_id"), ["notice_id"], unique=False
        )

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.String(length=64), nullable=False),
        sa.Column("court_id", sa.String(length=16), nullable=False),
        sa.Column("docket_number", sa.String(length=64), nullable=False),
        sa.Column("pacer_doc_id", sa.String(length=32), nullable=False),
        sa.Column("attachment", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("document_url", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("court_id", "pacer_doc_id", "attachment"),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_documents_notice_id"), ["notice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_notice_id"))

    op.drop_table("documents")
    with op.batch_alter_table("docket_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_docket_entries_notice_id"))
        batch_op.drop_index(batch_op.f("ix_docket_entries_docket_number"))

    op.drop_table("docket_entries")
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadlines_notice_id"))
        batch_op.drop_index(batch_op.f("ix_deadlines_firm_id"))

    op.drop_table("deadlines")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_notice_id"))
        batch_op.drop_index(batch_op.f("ix_claims_firm_id"))

    op.drop_table("claims")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_recipient"))
        batch_op.drop_index(batch_op.f("ix_notices_raw_sha256"))
        batch_op.drop_index(batch_op.f("ix_notices_firm_id"))
        batch_op.drop_index(batch_op.f("ix_notices_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_notices_court_id"))

    op.drop_table("notices")
