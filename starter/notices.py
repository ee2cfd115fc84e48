"""Submitting received messages for ingestion, from SMTP or from files."""

import email.policy
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from court_notices.blobs import BlobStore
from court_notices.notice_models import (
    NoticeIngestionRequest,
    NoticeSource,
    notice_workflow_id,
)
from workflows.notice_ingestion import NoticeIngestionWorkflow

__all__ = ["NoticeSubmission", "iter_message_files", "recipients_of", "submit_notice"]


@dataclass(frozen=True)
class NoticeSubmission:
    workflow_id: str
    notice_id: str
    raw_sha256: str
    recipient: str
    # False when this message was delivered to this address before: nothing
    # new started.
    started: bool


async def submit_notice(
    client: Client,
    blobs: BlobStore,
    raw: bytes,
    *,
    recipients: list[str],
    source: NoticeSource,
    task_queue: str,
) -> list[NoticeSubmission]:
    """Store the raw message, then start one ingestion per recipient.

    Each (message, recipient) pair is ingested once, however often it is
    delivered. A message that names no recipient is still ingested, and
    flagged.
    """
    digest = blobs.put(raw)
    received_at = datetime.now(UTC)
    addresses = sorted({recipient.lower() for recipient in recipients}) or [""]
    return [
        await _start_ingestion(
            client,
            NoticeIngestionRequest(
                raw_sha256=digest,
                recipient=address,
                source=source,
                received_at=received_at,
            ),
            task_queue,
        )
        for address in addresses
    ]


async def _start_ingestion(
    client: Client, request: NoticeIngestionRequest, task_queue: str
) -> NoticeSubmission:
    workflow_id = notice_workflow_id(request.notice_id)
    try:
        await client.start_workflow(
            NoticeIngestionWorkflow.run,
            request,
            id=workflow_id,
            task_queue=task_queue,
            # The id names this message and recipient: any earlier run,
            # finished or not, already ingests it.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=f"Notice to {request.recipient or 'no recipient'}",
        )
        started = True
    except WorkflowAlreadyStartedError:
        started = False
    return NoticeSubmission(
        workflow_id,
        request.notice_id,
        request.raw_sha256,
        request.recipient,
        started,
    )


def recipients_of(raw: bytes) -> list[str]:
    """Read the recipients a stored file was delivered to, for backfill."""
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    for name in ("Delivered-To", "X-Original-To", "Envelope-To"):
        values = headers.get_all(name) or []
        found = [address for _, address in getaddresses(values) if address]
        if found:
            return found
    values = (headers.get_all("To") or []) + (headers.get_all("Cc") or [])
    return [address for _, address in getaddresses(values) if address]


def iter_message_files(path: Path) -> Iterator[tuple[str, bytes]]:
    """Yield (name, raw bytes) for an .eml file, a folder of them, or a maildir."""
    if path.is_file():
        yield str(path), path.read_bytes()
    elif (path / "cur").is_dir() and (path / "new").is_dir():
        box = mailbox.Maildir(path, factory=None, create=False)
        for key in sorted(box.keys()):
            yield f"{path}/{key}", box.get_bytes(key)
    elif path.is_dir():
        children = [child for child in path.iterdir() if child.is_file()]
        for child in sorted(children):
            if child.suffix.lower() == ".eml":
                yield str(child), child.read_bytes()
    else:
        raise FileNotFoundError(f"{path} is not an .eml file, folder or maildir")
