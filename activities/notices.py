"""Activities that store a received NEF in the database and download its
free-look documents."""

import asyncio
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlmodel import Session, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.dependencies import ActivityDependencies
from court_notices.db import (
    Activation,
    AddressStatus,
    ClaimRow,
    DeadlineRow,
    DocketEntryRow,
    DocumentRow,
    Notice,
    NoticingAddressRow,
    new_session,
    utcnow,
)
from court_notices.deadlines import extract_deadlines
from court_notices.freelook import CaptureOutcome, CaptureResult, capture_document
from court_notices.messages import ActivationStatus
from court_notices.nef.models import Docket, DocketEntry, NoticeKind, ParsedNotice
from court_notices.nef.parser import notice_fingerprint, parse_message
from court_notices.notice_models import (
    CAPTURE_FREE_LOOK,
    STORE_NOTICE,
    CaptureRequest,
    CaptureSummary,
    NoticeIngestionRequest,
    StoredNotice,
)

# Attempts at one free look before its failure is recorded for good. The
# link expires after 15 days, so retrying for longer gains nothing.
CAPTURE_ATTEMPTS = 6
DOCKET_KINDS = {NoticeKind.NEF, NoticeKind.APPELLATE}
# Outcome of a document whose notice carried no usable free-look link.
NO_FREE_LOOK = CaptureOutcome.SEALED_OR_UNAVAILABLE


class NoticeActivities:
    def __init__(self, dependencies: ActivityDependencies) -> None:
        self._dependencies = dependencies

    @activity.defn(name=STORE_NOTICE)
    def store_notice(self, request: NoticeIngestionRequest) -> StoredNotice:
        raw = self._dependencies.blobs.get(request.raw_sha256)
        parsed = parse_message(raw)
        with new_session(self._dependencies.database_url) as session:
            notice = session.get(Notice, request.notice_id)
            if notice is None:
                notice = _new_notice(session, request, parsed)
                session.add(notice)
                session.flush()
                counts = _record_contents(session, notice, parsed)
            else:
                # A retried attempt after the commit reports what is stored.
                counts = _stored_counts(session, notice.id)
            pending = _pending_activations(session, notice)
            documents = session.exec(
                select(DocumentRow.id).where(
                    DocumentRow.notice_id == notice.id,
                    DocumentRow.outcome.is_(None),  # type: ignore[union-attr]
                )
            ).all()
            session.commit()

        activity.logger.info(
            "Stored notice %s (%s, %s) for %s%s",
            notice.id,
            notice.kind,
            notice.court_id,
            notice.recipient,
            f"; flagged: {notice.flag}" if notice.flag else "",
        )
        return StoredNotice(
            notice_id=notice.id,
            kind=notice.kind,
            court_id=notice.court_id,
            duplicate_of=notice.duplicate_of,
            flag=notice.flag,
            pending_activations=pending,
            document_ids=[document_id for document_id in documents if document_id],
            **counts,
        )

    @activity.defn(name=CAPTURE_FREE_LOOK)
    async def capture_free_look(self, request: CaptureRequest) -> CaptureSummary:
        document = await _load_document(self._dependencies, request.document_id)
        if document.outcome is not None or document.document_url is None:
            return _summary(document)

        async with httpx.AsyncClient(
            timeout=60,
            follow_redirects=False,
            mounts=dict(self._dependencies.http_mounts),
        ) as client:
            result = await capture_document(
                document.document_url,
                pacer_doc_id=document.pacer_doc_id,
                store=self._dependencies.blobs,
                client=client,
                extra_hosts=self._dependencies.doc1_extra_hosts,
                max_bytes=self._dependencies.max_document_bytes,
            )
        attempt = activity.info().attempt
        if result.outcome is CaptureOutcome.FAILED and attempt < CAPTURE_ATTEMPTS:
            raise ApplicationError(
                f"Free look of document {document.id} failed on attempt "
                f"{attempt}: {result.detail}"
            )

        activity.logger.info(
            "Document %s (%s %s): %s",
            document.id,
            document.court_id,
            document.pacer_doc_id,
            result.outcome,
        )
        return await _record_capture(self._dependencies, request.document_id, result)


def _new_notice(
    session: Session, request: NoticeIngestionRequest, parsed: ParsedNotice
) -> Notice:
    address = session.get(NoticingAddressRow, request.recipient.lower())
    fingerprint = None
    if parsed.kind in DOCKET_KINDS:
        # Per recipient: the same filing noticed to two firms is news to each.
        content = notice_fingerprint(parsed)
        fingerprint = hashlib.sha256(
            f"{content}|{request.recipient}".encode()
        ).hexdigest()
    duplicate_of = None
    if fingerprint:
        duplicate_of = session.exec(
            select(Notice.id).where(Notice.fingerprint == fingerprint)
        ).first()

    return Notice(
        id=request.notice_id,
        raw_sha256=request.raw_sha256,
        fingerprint=fingerprint,
        first_fingerprint=fingerprint if duplicate_of is None else None,
        duplicate_of=duplicate_of,
        kind=parsed.kind,
        court_id=parsed.court_id,
        subject=parsed.subject[:998],
        message_id=parsed.message_id,
        recipient=request.recipient,
        firm_id=address.firm_id if address else None,
        activation_id=address.workflow_id if address else None,
        flag=_flag(address, parsed),
        warnings=json.dumps(parsed.warnings),
        source=request.source,
        received_at=request.received_at,
    )


def _flag(address: NoticingAddressRow | None, parsed: ParsedNotice) -> str | None:
    if address is None:
        return "The recipient is not a provisioned noticing address."
    if address.status == AddressStatus.RELEASED:
        return f"{address.address} was released; its activation is not live."
    if parsed.kind == NoticeKind.NOT_A_NOTICE:
        problems = "; ".join(parsed.warnings) or "no NEF found"
        return f"Kept for review ({problems})."
    if parsed.warnings and parsed.kind not in DOCKET_KINDS:
        # A damaged NEF can look like an announcement; a person should check.
        return f"Read as {parsed.kind} with problems: " + "; ".join(parsed.warnings)
    return None


def _record_contents(
    session: Session, notice: Notice, parsed: ParsedNotice
) -> dict[str, int]:
    counts = {"entries": 0, "claims": 0, "deadlines": 0}
    if notice.duplicate_of is not None:
        return counts

    court_id = parsed.court_id or ""
    # A free look is spent only for a firm whose live address got the notice.
    capture_documents = notice.firm_id is not None and notice.flag is None
    for docket in parsed.dockets:
        for entry in docket.docket_entries:
            session.add(
                DocketEntryRow(
                    notice_id=notice.id,
                    court_id=court_id,
                    docket_number=docket.docket_number,
                    case_name=docket.case_name,
                    pacer_case_id=entry.pacer_case_id,
                    document_number=entry.document_number,
                    date_filed=entry.date_filed,
                    description=entry.description,
                    short_description=entry.short_description,
                    pacer_doc_id=entry.pacer_doc_id,
                    pacer_seq_no=entry.pacer_seq_no,
                )
            )
            counts["entries"] += 1
            if capture_documents:
                _add_documents(session, notice, court_id, docket.docket_number, entry)
            counts["deadlines"] += _add_deadlines(
                session, notice, court_id, docket, entry.description
            )
    counts["claims"] = _add_claims(session, notice, parsed, capture_documents)
    return counts


@dataclass(frozen=True)
class _Link:
    attachment: int
    description: str
    url: str | None
    pacer_doc_id: str | None
    magic_num: str | None


def _links(entry: DocketEntry) -> list[_Link]:
    main = _Link(
        0,
        entry.description,
        entry.document_url,
        entry.pacer_doc_id,
        entry.pacer_magic_num,
    )
    attachments = [
        _Link(
            attachment.number,
            attachment.description,
            attachment.document_url,
            attachment.pacer_doc_id,
            attachment.pacer_magic_num,
        )
        for attachment in entry.attachments
    ]
    return [main, *attachments]


def _add_documents(
    session: Session,
    notice: Notice,
    court_id: str,
    docket_number: str,
    entry: DocketEntry,
) -> None:
    for link in _links(entry):
        _add_document(session, notice, court_id, docket_number, link)


def _add_document(
    session: Session, notice: Notice, court_id: str, docket_number: str, link: _Link
) -> None:
    if not link.pacer_doc_id:
        return
    usable_url = link.url if link.magic_num else None
    # One row per document: a multi-case NEF names the same document in every
    # case, and maybe only one block carries the magic number.
    existing = session.exec(
        select(DocumentRow).where(
            DocumentRow.court_id == court_id,
            DocumentRow.pacer_doc_id == link.pacer_doc_id,
            DocumentRow.attachment == link.attachment,
        )
    ).first()
    if existing is not None:
        if existing.outcome == NO_FREE_LOOK and usable_url:
            existing.document_url = usable_url
            existing.outcome = None
            existing.detail = ""
            session.add(existing)
        return

    session.add(
        DocumentRow(
            notice_id=notice.id,
            court_id=court_id,
            docket_number=docket_number,
            pacer_doc_id=link.pacer_doc_id,
            attachment=link.attachment,
            description=link.description[:500],
            document_url=usable_url,
            outcome=None if usable_url else NO_FREE_LOOK,
            detail="" if usable_url else "The notice carried no magic number.",
        )
    )
    session.flush()


def _add_deadlines(
    session: Session, notice: Notice, court_id: str, docket: Docket, text: str
) -> int:
    added = 0
    found = extract_deadlines(
        text,
        court_id=court_id,
        docket_number=docket.docket_number,
        case_name=docket.case_name,
    )
    for deadline in found:
        exists = session.exec(
            select(DeadlineRow.id).where(
                DeadlineRow.firm_id == notice.firm_id,
                DeadlineRow.court_id == court_id,
                DeadlineRow.docket_number == docket.docket_number,
                DeadlineRow.kind == deadline.kind,
                DeadlineRow.due_date == deadline.date,
                DeadlineRow.due_time == deadline.time,
            )
        ).first()
        if exists is not None:
            continue
        session.add(
            DeadlineRow(
                notice_id=notice.id,
                firm_id=notice.firm_id,
                court_id=court_id,
                docket_number=docket.docket_number,
                case_name=docket.case_name,
                kind=deadline.kind,
                title=deadline.title,
                due_date=deadline.date,
                due_time=deadline.time,
                timezone=deadline.timezone,
                location=deadline.location,
                source_text=deadline.source_text,
            )
        )
        session.flush()
        added += 1
    return added


def _add_claims(
    session: Session, notice: Notice, parsed: ParsedNotice, capture_documents: bool
) -> int:
    added = 0
    for claim in parsed.claims:
        exists = session.exec(
            select(ClaimRow.id).where(
                ClaimRow.firm_id == notice.firm_id,
                ClaimRow.court_id == (parsed.court_id or ""),
                ClaimRow.docket_number == claim.docket_number,
                ClaimRow.claim_number == claim.claim_number,
            )
        ).first()
        if exists is not None:
            continue
        claim_link = _Link(
            0,
            f"Proof of claim {claim.claim_number}",
            claim.document_url,
            claim.pacer_doc_id,
            claim.pacer_magic_num,
        )
        if capture_documents:
            _add_document(
                session, notice, parsed.court_id or "", claim.docket_number, claim_link
            )
        session.add(
            ClaimRow(
                notice_id=notice.id,
                firm_id=notice.firm_id,
                court_id=parsed.court_id or "",
                docket_number=claim.docket_number,
                case_name=claim.case_name,
                creditor=claim.creditor,
                claim_number=claim.claim_number,
                amount_claimed=claim.amount_claimed,
                secured_amount=claim.secured_amount,
                priority_amount=claim.priority_amount,
                date_filed=claim.date_filed,
            )
        )
        session.flush()
        added += 1
    return added


def _stored_counts(session: Session, notice_id: str) -> dict[str, int]:
    def count(table: Any) -> int:
        rows = session.exec(select(table.id).where(table.notice_id == notice_id))
        return len(rows.all())

    return {
        "entries": count(DocketEntryRow),
        "claims": count(ClaimRow),
        "deadlines": count(DeadlineRow),
    }


def _pending_activations(session: Session, notice: Notice) -> list[str]:
    if notice.activation_id is None or notice.flag is not None:
        return []
    if notice.kind not in DOCKET_KINDS and notice.kind != NoticeKind.CLAIMS_NEF:
        return []
    activation = session.get(Activation, notice.activation_id)
    if activation is None or activation.status != ActivationStatus.PENDING_ACTIVATION:
        return []
    return [activation.workflow_id]


async def _load_document(
    dependencies: ActivityDependencies, document_id: int
) -> DocumentRow:
    def load() -> DocumentRow:
        with new_session(dependencies.database_url) as session:
            document = session.get(DocumentRow, document_id)
        if document is None:
            raise ApplicationError(
                f"Document {document_id} not found", non_retryable=True
            )
        return document

    return await asyncio.to_thread(load)


def _without_query(url: str | None) -> str | None:
    # The magic number is spent or useless once the capture is recorded.
    if url is None:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


async def _record_capture(
    dependencies: ActivityDependencies, document_id: int, result: CaptureResult
) -> CaptureSummary:
    def record() -> CaptureSummary:
        with new_session(dependencies.database_url) as session:
            document = session.get(DocumentRow, document_id)
            assert document is not None
            document.outcome = result.outcome
            document.detail = result.detail[:1000]
            document.sha256 = result.sha256
            document.size = result.size
            document.captured_at = utcnow()
            document.document_url = _without_query(document.document_url)
            session.add(document)
            session.commit()
            return _summary(document)

    return await asyncio.to_thread(record)


def _summary(document: DocumentRow) -> CaptureSummary:
    assert document.id is not None
    return CaptureSummary(
        document_id=document.id,
        outcome=document.outcome or "",
        sha256=document.sha256,
        size=document.size,
    )
