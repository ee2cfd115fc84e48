"""Notice ingestion end to end on the dev server: the court simulator mails
NEFs over real SMTP to the intake, and the worker stores, routes and captures.
"""

import asyncio
import dataclasses
import os
import smtplib
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from activities.dependencies import ActivityDependencies
from court_notices.calendar import build_calendar
from court_notices.db import DocumentRow, Notice, new_session
from court_notices.freelook import CaptureOutcome
from court_notices.messages import ActivationStatus
from court_notices.notice_models import (
    NoticeIngestionResult,
    NoticeSource,
    notice_workflow_id,
)
from courtsim.nef_sender import new_documents, render_nef
from starter.activations import ActivationClient
from starter.notices import submit_notice
from starter.records import RecordStore
from starter.reports import load_firm_deadlines
from tests.support.courtsim_server import CourtSimulator
from tests.support.intake import RunningIntake, run_intake
from tests.support.scenario import activation_request, new_account, new_firm
from worker import build_worker
from workflows.notice_ingestion import NoticeIngestionWorkflow

FIXTURES = Path(__file__).parent / "fixtures" / "nef"
HISTORIES = Path(__file__).parent / "histories"
S = ActivationStatus


class Stack:
    def __init__(
        self,
        env: WorkflowEnvironment,
        activations: ActivationClient,
        intake: RunningIntake,
        dependencies: ActivityDependencies,
        task_queue: str,
    ) -> None:
        self.env = env
        self.activations = activations
        self.intake = intake
        self.dependencies = dependencies
        self.task_queue = task_queue

    async def result(self, notice_id: str) -> NoticeIngestionResult:
        handle = self.env.client.get_workflow_handle_for(
            NoticeIngestionWorkflow.run, notice_workflow_id(notice_id)
        )
        return await handle.result()


@pytest.fixture(scope="module")
async def stack(
    dev_env: WorkflowEnvironment,
    dependencies: ActivityDependencies,
    records: RecordStore,
    activity_executor: ThreadPoolExecutor,
) -> AsyncIterator[Stack]:
    task_queue = f"notices-{uuid.uuid4()}"
    worker = build_worker(
        dev_env.client, dependencies, task_queue=task_queue, executor=activity_executor
    )
    activations = ActivationClient(dev_env.client, records, task_queue=task_queue)
    async with worker:
        async for intake in run_intake(
            client=dev_env.client,
            blobs=dependencies.blobs,
            database_url=dependencies.database_url,
            task_queue=task_queue,
            data_size_limit=256 * 1024,
        ):
            yield Stack(dev_env, activations, intake, dependencies, task_queue)


async def pending_nysb(
    stack: Stack, records: RecordStore, court_simulator: CourtSimulator
) -> tuple[str, str]:
    """Start an nysb activation and return its workflow id and address."""
    firm = new_firm(records)
    account = new_account(records, court_simulator, firm, "nysb")
    started = await stack.activations.start(
        activation_request(firm, "nysb", account.credential_id)
    )
    pending = await stack.activations.wait_for_status(
        started.workflow_id, {S.PENDING_ACTIVATION}
    )
    assert pending.noticing_address is not None
    return started.workflow_id, pending.noticing_address


async def send_nef(
    simulator: CourtSimulator, stack: Stack, to: str, template: str
) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=simulator.base_url, timeout=30) as http:
        response = await http.post(
            "/_sim/nefs",
            json={
                "to": to,
                "court_id": "nysb",
                "template": template,
                "smtp_host": stack.intake.host,
                "smtp_port": stack.intake.port,
            },
        )
    assert response.status_code == 202, response.text
    return dict(response.json())


def smtp_send(stack: Stack, raw: bytes, recipients: list[str]) -> None:
    with smtplib.SMTP(stack.intake.host, stack.intake.port, timeout=10) as smtp:
        smtp.sendmail("court@nysb.uscourts.gov", recipients, raw)


def notice_rows(database_url: str, notice_id: str) -> Notice:
    with new_session(database_url) as session:
        notice = session.get(Notice, notice_id)
    assert notice is not None
    return notice


def documents_of(database_url: str, notice_id: str) -> list[DocumentRow]:
    with new_session(database_url) as session:
        return list(
            session.exec(
                select(DocumentRow).where(DocumentRow.notice_id == notice_id)
            ).all()
        )


async def test_first_nef_confirms_activation(
    stack: Stack, records: RecordStore, court_simulator: CourtSimulator
) -> None:
    workflow_id, address = await pending_nysb(stack, records, court_simulator)

    await send_nef(court_simulator, stack, address, "nef")
    active = await stack.activations.wait_for_status(workflow_id, {S.ACTIVE})
    submission = stack.intake.submissions[-1]
    result = await stack.result(submission.notice_id)

    assert active.transitions[-1].actor == "court-notice"
    assert active.evidence == submission.notice_id
    assert result.confirmed_activations == [workflow_id]
    assert [capture.outcome for capture in result.captures] == [CaptureOutcome.CAPTURED]
    sha256 = result.captures[0].sha256
    assert sha256 is not None
    assert stack.dependencies.blobs.get(sha256).startswith(b"%PDF-")

    # Refreshes the committed history that tests/test_replay.py replays.
    if os.environ.get("COURT_NOTICES_WRITE_HISTORIES") == "1":
        handle = stack.env.client.get_workflow_handle(submission.workflow_id)
        history = await handle.fetch_history()
        (HISTORIES / "notice-nef.json").write_text(history.to_json())


async def test_duplicate_delivery_starts_nothing(
    stack: Stack, records: RecordStore, court_simulator: CourtSimulator
) -> None:
    _, address = await pending_nysb(stack, records, court_simulator)
    raw = (FIXTURES / "nceb_1.eml").read_bytes()

    await asyncio.to_thread(smtp_send, stack, raw, [address])
    await asyncio.to_thread(smtp_send, stack, raw, [address])
    first, second = stack.intake.submissions[-2:]

    assert first.raw_sha256 == second.raw_sha256
    assert first.started
    assert not second.started


async def test_regenerated_nef_is_deduplicated(
    stack: Stack, records: RecordStore, court_simulator: CourtSimulator
) -> None:
    _, address = await pending_nysb(stack, records, court_simulator)
    raw = (FIXTURES / "ndb_1.eml").read_bytes()
    regenerated = raw.replace(b"Message-Id:", b"X-Old-Message-Id:", 1)
    regenerated = b"Message-Id: <regenerated@example.net>\r\n" + regenerated

    await asyncio.to_thread(smtp_send, stack, raw, [address])
    await asyncio.to_thread(smtp_send, stack, regenerated, [address])
    first, second = stack.intake.submissions[-2:]
    await stack.result(first.notice_id)
    second_result = await stack.result(second.notice_id)

    assert first.raw_sha256 != second.raw_sha256
    assert second_result.notice.duplicate_of == first.notice_id
    assert second_result.captures == []


async def test_unknown_recipient_gets_550(stack: Stack) -> None:
    raw = (FIXTURES / "nceb_1.eml").read_bytes()

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await asyncio.to_thread(smtp_send, stack, raw, ["nobody@notices.test.example"])

    code, _ = refused.value.recipients["nobody@notices.test.example"]
    assert code == 550


async def test_oversized_message_gets_552(
    stack: Stack, records: RecordStore, court_simulator: CourtSimulator
) -> None:
    _, address = await pending_nysb(stack, records, court_simulator)
    message = EmailMessage()
    message["Subject"] = "huge attachment"
    message.set_content("see attachment")
    message.add_attachment(b"x" * (400 * 1024), "application", "octet-stream")

    with pytest.raises(smtplib.SMTPResponseException) as rejected:
        await asyncio.to_thread(smtp_send, stack, message.as_bytes(), [address])

    assert rejected.value.smtp_code == 552


async def test_multi_case_document_captured_once(
    stack: Stack, records: RecordStore, court_simulator: CourtSimulator
) -> None:
    _, address = await pending_nysb(stack, records, court_simulator)

    await send_nef(court_simulator, stack, address, "multi_case")
    submission = stack.intake.submissions[-1]
    result = await stack.result(submission.notice_id)
    documents = documents_of(stack.dependencies.database_url, submission.notice_id)

    assert result.notice.entries == 2
    assert len(documents) == 1
    assert documents[0].outcome == CaptureOutcome.CAPTURED
    assert documents[0].document_url is not None
    assert "magic_num" not in documents[0].document_url


async def test_claims_and_deadlines_recorded(
    stack: Stack, records: RecordStore, court_simulator: CourtSimulator
) -> None:
    _, address = await pending_nysb(stack, records, court_simulator)

    await send_nef(court_simulator, stack, address, "claims")
    claims = await stack.result(stack.intake.submissions[-1].notice_id)
    await send_nef(court_simulator, stack, address, "meeting_341")
    meeting = await stack.result(stack.intake.submissions[-1].notice_id)
    await send_nef(court_simulator, stack, address, "minute_entry")
    minute = await stack.result(stack.intake.submissions[-1].notice_id)

    assert claims.notice.kind == "claims_nef"
    assert claims.notice.claims == 1
    assert meeting.notice.deadlines >= 1
    assert minute.notice.entries == 1
    assert minute.captures == []


async def test_backfill_for_unknown_address_is_flagged(stack: Stack) -> None:
    raw = (FIXTURES / "cob_1.eml").read_bytes() + b"\r\n"

    [submission] = await submit_notice(
        stack.env.client,
        stack.dependencies.blobs,
        raw,
        recipients=["stranger@example.org"],
        source=NoticeSource.BACKFILL,
        task_queue=stack.task_queue,
    )
    result = await stack.result(submission.notice_id)
    notice = notice_rows(stack.dependencies.database_url, submission.notice_id)

    assert result.notice.flag is not None
    assert "not a provisioned noticing address" in result.notice.flag
    assert notice.kind == "nef"
    assert result.notice.entries == 1
    # No firm got it, so no free look is spent and no link is kept.
    assert result.captures == []
    assert documents_of(stack.dependencies.database_url, submission.notice_id) == []


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"\x00\xff garbage that is not MIME", "not_a_notice"),
        (b"Subject: lunch?\r\n\r\nPizza at noon.", "not_a_notice"),
        (
            b"Subject: x\r\nContent-Type: text/html; charset=x-unknown\r\n\r\n"
            b"<p>\xfe\xfe</p><script>location='https://evil.example/'</script>",
            "not_a_notice",
        ),
    ],
)
async def test_bad_mail_is_kept_and_flagged(
    stack: Stack, raw: bytes, kind: str
) -> None:
    [submission] = await submit_notice(
        stack.env.client,
        stack.dependencies.blobs,
        raw + uuid.uuid4().hex.encode(),
        recipients=["stranger@example.org"],
        source=NoticeSource.BACKFILL,
        task_queue=stack.task_queue,
    )
    result = await stack.result(submission.notice_id)

    assert result.notice.kind == kind
    assert result.notice.flag is not None
    assert stack.dependencies.blobs.exists(submission.raw_sha256)


async def test_histories_hold_no_magic_number(
    stack: Stack, records: RecordStore, court_simulator: CourtSimulator
) -> None:
    _, address = await pending_nysb(stack, records, court_simulator)
    await send_nef(court_simulator, stack, address, "nef")
    await send_nef(court_simulator, stack, address, "claims")
    for submission in stack.intake.submissions[-2:]:
        await stack.result(submission.notice_id)
    magic_numbers = [link.magic_num for link in court_simulator.state.doc1_links()]

    assert magic_numbers
    for submission in stack.intake.submissions:
        handle = stack.env.client.get_workflow_handle(
            notice_workflow_id(submission.notice_id)
        )
        history = (await handle.fetch_history()).to_json()
        for magic in magic_numbers:
            assert magic not in history


def rendered_nef(
    simulator: CourtSimulator,
    to: str,
    *,
    base_url: str | None = None,
    issued_days_ago: int = 0,
    used: bool = False,
    sealed: bool = False,
) -> bytes:
    """Render an NEF whose one document link is registered as asked."""
    documents = new_documents("nef", "nysb")
    issued_at = datetime.now(UTC) - timedelta(days=issued_days_ago)
    for document in documents:
        link = document.to_link(issued_at)
        simulator.state.put_doc1_link(dataclasses.replace(link, sealed=sealed))
        if used:
            simulator.state.open_doc1_link("nysb", document.doc_id, document.magic_num)
    message = render_nef(
        "nef",
        court_id="nysb",
        to=to,
        base_url=base_url or simulator.base_url,
        documents=documents,
    )
    return message.as_bytes()


@pytest.mark.parametrize(
    ("options", "outcome"),
    [
        ({"used": True}, CaptureOutcome.FREE_LOOK_USED),
        ({"issued_days_ago": 16}, CaptureOutcome.LINK_EXPIRED),
        ({"sealed": True}, CaptureOutcome.SEALED_OR_UNAVAILABLE),
        (
            {"base_url": "https://ecf.nysb.uscourts.gov.evil.example"},
            CaptureOutcome.REJECTED_HOST,
        ),
    ],
)
async def test_capture_outcome_recorded_once(
    stack: Stack,
    records: RecordStore,
    court_simulator: CourtSimulator,
    options: dict[str, Any],
    outcome: CaptureOutcome,
) -> None:
    _, address = await pending_nysb(stack, records, court_simulator)
    raw = rendered_nef(court_simulator, address, **options)
    requests_before = sum(court_simulator.state.request_counts().values())

    await asyncio.to_thread(smtp_send, stack, raw, [address])
    submission = stack.intake.submissions[-1]
    result = await stack.result(submission.notice_id)
    handle = stack.env.client.get_workflow_handle(
        notice_workflow_id(submission.notice_id)
    )
    history = await handle.fetch_history()
    capture_attempts = [
        event
        for event in history.events
        if event.HasField("activity_task_started_event_attributes")
        and event.activity_task_started_event_attributes.attempt > 1
    ]
    requests_after = sum(court_simulator.state.request_counts().values())

    assert [capture.outcome for capture in result.captures] == [outcome]
    assert result.captures[0].sha256 is None
    assert capture_attempts == []
    if outcome is CaptureOutcome.REJECTED_HOST:
        assert requests_after == requests_before


async def test_calendar_feed_lists_meeting(
    stack: Stack, records: RecordStore, court_simulator: CourtSimulator
) -> None:
    _, address = await pending_nysb(stack, records, court_simulator)
    await send_nef(court_simulator, stack, address, "meeting_341")
    result = await stack.result(stack.intake.submissions[-1].notice_id)
    firm_id = notice_rows(
        stack.dependencies.database_url, result.notice.notice_id
    ).firm_id
    assert firm_id is not None

    deadlines = load_firm_deadlines(stack.dependencies.database_url, firm_id)
    feed = Calendar.from_ical(build_calendar(deadlines, calendar_name="test"))
    events = [component for component in feed.walk("VEVENT")]

    assert len(events) == len(deadlines)
    assert any("341 meeting" in str(event["SUMMARY"]) for event in events)


async def test_same_nef_reaches_two_firms(
    stack: Stack, records: RecordStore, court_simulator: CourtSimulator
) -> None:
    _, first_address = await pending_nysb(stack, records, court_simulator)
    _, second_address = await pending_nysb(stack, records, court_simulator)
    raw = (FIXTURES / "dcb_1.eml").read_bytes()

    await asyncio.to_thread(smtp_send, stack, raw, [first_address])
    await asyncio.to_thread(smtp_send, stack, raw, [second_address])
    first, second = stack.intake.submissions[-2:]
    first_result = await stack.result(first.notice_id)
    second_result = await stack.result(second.notice_id)

    assert first.raw_sha256 == second.raw_sha256
    assert first.notice_id != second.notice_id
    assert second.started
    assert second_result.notice.duplicate_of is None
    assert first_result.notice.deadlines >= 1
    assert second_result.notice.deadlines == first_result.notice.deadlines


async def test_one_message_two_recipients(
    stack: Stack, records: RecordStore, court_simulator: CourtSimulator
) -> None:
    _, first_address = await pending_nysb(stack, records, court_simulator)
    _, second_address = await pending_nysb(stack, records, court_simulator)
    raw = (FIXTURES / "okeb_1.eml").read_bytes()

    await asyncio.to_thread(smtp_send, stack, raw, [first_address, second_address])
    submissions = stack.intake.submissions[-2:]
    results = [await stack.result(item.notice_id) for item in submissions]

    assert sorted(item.recipient for item in submissions) == sorted(
        [first_address, second_address]
    )
    assert all(result.notice.flag is None for result in results)
