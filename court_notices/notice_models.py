"""Inputs and results of notice ingestion: the workflow and its activities.

None of them carries a magic number or a document URL: the free-look link
stays in the database, and workflows refer to documents by row id.
"""

import hashlib
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

__all__ = [
    "CaptureRequest",
    "CaptureSummary",
    "NoticeIngestionRequest",
    "NoticeIngestionResult",
    "NoticeSource",
    "StoredNotice",
    "delivery_id",
    "notice_workflow_id",
]

STORE_NOTICE = "store_notice"
CAPTURE_FREE_LOOK = "capture_free_look"
COURT_NOTICE_ACTOR = "court-notice"


def delivery_id(raw_sha256: str, recipient: str) -> str:
    """Return the id of one message delivered to one address.

    The same bytes delivered to two firms' addresses are two notices, while
    the same bytes delivered twice to one address are one.
    """
    return hashlib.sha256(f"{raw_sha256}\n{recipient.lower()}".encode()).hexdigest()


def notice_workflow_id(notice_id: str) -> str:
    return f"notice-{notice_id}"


class NoticeSource(StrEnum):
    SMTP = "smtp"
    BACKFILL = "backfill"


class NoticeIngestionRequest(BaseModel):
    raw_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    # The envelope recipient for SMTP, or the Delivered-To or To address of a
    # backfilled file; empty when the file names none.
    recipient: str

    @property
    def notice_id(self) -> str:
        return delivery_id(self.raw_sha256, self.recipient)

    source: NoticeSource
    received_at: datetime


class StoredNotice(BaseModel):
    notice_id: str
    kind: str
    court_id: str | None
    duplicate_of: str | None = None
    flag: str | None = None
    # Activations waiting in PENDING_ACTIVATION that this notice confirms.
    pending_activations: list[str] = Field(default_factory=list)
    # Documents this notice added that still need their free look.
    document_ids: list[int] = Field(default_factory=list)
    entries: int = 0
    claims: int = 0
    deadlines: int = 0


class CaptureRequest(BaseModel):
    document_id: int


class CaptureSummary(BaseModel):
    document_id: int
    outcome: str
    sha256: str | None = None
    size: int | None = None


class NoticeIngestionResult(BaseModel):
    notice: StoredNotice
    confirmed_activations: list[str] = Field(default_factory=list)
    captures: list[CaptureSummary] = Field(default_factory=list)
