"""Reading what ingestion recorded: documents, claims and deadlines."""

from sqlmodel import col, select

from court_notices.db import (
    ClaimRow,
    DeadlineRow,
    DocumentRow,
    Firm,
    Notice,
    new_session,
)
from court_notices.deadlines import Deadline, DeadlineKind

__all__ = [
    "firm_exists",
    "load_firm_claims",
    "load_firm_deadlines",
    "load_firm_documents",
]


def firm_exists(database_url: str, firm_id: str) -> bool:
    with new_session(database_url) as session:
        return session.get(Firm, firm_id) is not None


def load_firm_deadlines(database_url: str, firm_id: str) -> list[Deadline]:
    with new_session(database_url) as session:
        rows = session.exec(
            select(DeadlineRow)
            .where(DeadlineRow.firm_id == firm_id)
            .order_by(col(DeadlineRow.due_date), col(DeadlineRow.due_time))
        ).all()
    return [
        Deadline(
            kind=DeadlineKind(row.kind),
            title=row.title,
            date=row.due_date,
            time=row.due_time,
            timezone=row.timezone,
            location=row.location,
            court_id=row.court_id,
            docket_number=row.docket_number,
            case_name=row.case_name,
            source_text=row.source_text,
        )
        for row in rows
    ]


def load_firm_claims(database_url: str, firm_id: str) -> list[ClaimRow]:
    with new_session(database_url) as session:
        return list(
            session.exec(
                select(ClaimRow)
                .where(ClaimRow.firm_id == firm_id)
                .order_by(col(ClaimRow.docket_number), col(ClaimRow.claim_number))
            ).all()
        )


def load_firm_documents(database_url: str, firm_id: str) -> list[DocumentRow]:
    with new_session(database_url) as session:
        return list(
            session.exec(
                select(DocumentRow)
                .join(Notice, col(Notice.id) == col(DocumentRow.notice_id))
                .where(Notice.firm_id == firm_id)
                .order_by(col(DocumentRow.id))
            ).all()
        )
