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
    raw_sha256: str
    # False when the same bytes were submitted before: nothing new started.
    started: bool


async def submit_notice(
    client: Client,
    blobs: BlobStore,
    raw: bytes,
    *,
    recipients: list[str],
    source: NoticeSource,
    task_queue: str,
) -> NoticeSubmission:
    """Store the raw message, then start its ingestion once per content."""
    digest = blobs.put(raw)
    workflow_id = notice_workflow_id(digest)
    request = NoticeIngestionRequest(
        raw_sha256=digest,
        recipients=[recipient.lower() for recipient in recipients],
        source=source,
        received_at=datetime.now(UTC),
    )
    try:
        await client.start_workflow(
            NoticeIngestionWorkflow.run,
            request,
            id=workflow_id,
            task_queue=task_queue,
            # The id is the content hash: any earlier run, finished or not,
            # already ingests these bytes.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=f"Notice to {', '.join(request.recipients)[:200]}",
        )
    except WorkflowAlreadyStartedError:
        return NoticeSubmission(workflow_id, digest, started=False)
    return NoticeSubmission(workflow_id, digest, started=True)


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
        for child in sorted(path.glob("*.eml")):
            yield str(child), child.read_bytes()
    else:
        raise FileNotFoundError(f"{path} is not an .eml file, folder or maildir")
