"""JurisdictionActivationWorkflow on the time-skipping server, with the real
activities against SQLite and the court simulator over HTTP."""

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.testing import WorkflowEnvironment

from activities.dependencies import ActivityDependencies
from court_notices.db import AddressStatus, NoticingAddressRow, new_session
from court_notices.messages import (
    ActivationRequest,
    ActivationSnapshot,
    ActivationStatus,
    AdditionalActionCompletion,
    AdditionalActionRequest,
    CancelRequest,
    CourtConfirmation,
    CourtRejection,
    CredentialChange,
)
from court_notices.vault import CredentialSecret
from courtsim.state import FaultRule
from starter.activations import ActivationClient, StartResult
from starter.records import RecordStore
from tests.support.courtsim_server import CourtSimulator
from tests.support.scenario import activation_request, new_account, new_firm
from worker import build_worker

S = ActivationStatus


@pytest.fixture
async def activations(
    time_skipping_env: WorkflowEnvironment,
    dependencies: ActivityDependencies,
    records: RecordStore,
    activity_executor: ThreadPoolExecutor,
) -> AsyncIterator[ActivationClient]:
    task_queue = f"activation-{uuid.uuid4()}"
    worker = build_worker(
        time_skipping_env.client,
        dependencies,
        task_queue=task_queue,
        executor=activity_executor,
    )
    client = RecordingActivationClient(
        time_skipping_env.client, records, task_queue=task_queue
    )
    async with worker:
        yield client
        # Timers of workflows left running would fire on later tests' time
        # skips with no worker to take them, which stalls the test server.
        for workflow_id in client.workflow_ids:
            description = await client.handle(workflow_id).describe()
            if description.status == WorkflowExecutionStatus.RUNNING:
                await client.signal(workflow_id, "cancel", END_OF_TEST)
                await client.result(workflow_id)


class RecordingActivationClient(ActivationClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workflow_ids: list[str] = []

    async def start(self, request: ActivationRequest, **options: Any) -> StartResult:
        self.workflow_ids.append(request.workflow_id)
        return await super().start(request, **options)


def statuses(snapshot: ActivationSnapshot) -> list[str]:
    return [t.to_status for t in snapshot.transitions]


END_OF_TEST = CancelRequest(actor="tests", reason="test finished")
CONFIRMATION = CourtConfirmation(actor="clerk@nysb", evidence="ticket 4411")


def json_payload(data: bytes) -> RawValue:
    return RawValue(Payload(metadata={"encoding": b"json/plain"}, data=data))


def address_status(database_url: str, address: str) -> AddressStatus:
    with new_session(database_url) as session:
        row = session.get(NoticingAddressRow, address)
    assert row is not None
    return row.status


async def start_pending(
    activations: ActivationClient,
    records: RecordStore,
    simulator: CourtSimulator,
    court_id: str = "nysb",
    *,
    reminder_interval: timedelta | None = None,
    expire_after: timedelta | None = None,
) -> ActivationSnapshot:
    firm = new_firm(records)
    account = new_account(records, simulator, firm, court_id)
    request = activation_request(
        firm,
        court_id,
        account.credential_id,
        reminder_interval=reminder_interval,
        expire_after=expire_after,
    )
    started = await activations.start(request)
    return await activations.wait_for_status(
        started.workflow_id, {S.PENDING_ACTIVATION}
    )


async def test_self_service_confirmed_becomes_active(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(records, court_simulator, firm, "nysb")
    request = activation_request(firm, "nysb", account.credential_id)

    started = await activations.start(request)
    pending = await activations.wait_for_status(
        started.workflow_id, {S.PENDING_ACTIVATION}
    )
    await activations.signal(started.workflow_id, "court_confirmed", CONFIRMATION)
    result = await activations.result(started.workflow_id)

    assert started.started
    assert pending.noticing_address is not None
    assert "Next step: send court_confirmed" in pending.details
    assert result.status == S.ACTIVE
    assert result.evidence == "ticket 4411"
    assert statuses(result) == [
        S.VALIDATING,
        S.VERIFYING_CREDENTIALS,
        S.SUBMITTING,
        S.PENDING_ACTIVATION,
        S.ACTIVE,
    ]
    assert result.transitions[-1].actor == "clerk@nysb"
    assert court_simulator.state.secondary_emails("nysb", account.login_id) == [
        pending.noticing_address
    ]


async def test_start_twice_yields_one_run(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(records, court_simulator, firm, "nysb")
    request = activation_request(firm, "nysb", account.credential_id)

    first = await activations.start(request)
    second = await activations.start(request)

    assert first.started
    assert not second.started
    assert second.run_id == first.run_id


async def test_court_contact_waits_for_additional_action(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(records, court_simulator, firm, "canb")
    started = await activations.start(
        activation_request(firm, "canb", account.credential_id)
    )
    waiting = await activations.wait_for_status(
        started.workflow_id, {S.ADDITIONAL_ACTION_NEEDED}
    )

    pending = await activations.update(
        started.workflow_id,
        "complete_additional_action",
        AdditionalActionCompletion(actor="avery", note="help desk ticket 77"),
    )
    await activations.signal(started.workflow_id, "court_confirmed", CONFIRMATION)
    result = await activations.result(started.workflow_id)

    assert waiting.instructions is not None
    assert waiting.noticing_address is not None
    assert "help desk" in waiting.instructions
    assert waiting.noticing_address in waiting.instructions
    assert pending.status == S.PENDING_ACTIVATION
    assert result.status == S.ACTIVE
    assert S.ADDITIONAL_ACTION_NEEDED in statuses(result)
    # Nothing was added through the account: canb's help desk does that.
    assert court_simulator.state.secondary_emails("canb", account.login_id) == []


async def test_unsupported_court_ends_with_reason(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(records, court_simulator, firm, "caeb")
    started = await activations.start(
        activation_request(firm, "caeb", account.credential_id)
    )

    result = await activations.result(started.workflow_id)

    assert result.status == S.UNSUPPORTED_JURISDICTION
    assert "eFiling" in result.transitions[-1].reason
    assert result.noticing_address is None


async def test_wrong_password_needs_credentials_then_update(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(
        records, court_simulator, firm, "txsb", stored_password="wrong-password"
    )
    started = await activations.start(
        activation_request(firm, "txsb", account.credential_id)
    )
    needs = await activations.wait_for_status(
        started.workflow_id, {S.NEEDS_CREDENTIALS}
    )
    attempts = court_simulator.state.request_counts().get("/pacer/services/cso-auth", 0)

    fixed = records.add_credential(
        attorney_id=firm.attorney_id,
        court_id="txsb",
        secret=CredentialSecret(login_id=account.login_id, password=account.password),
    )
    after_update = await activations.update(
        started.workflow_id,
        "modify_credentials",
        CredentialChange(actor="avery", credential_id=fixed.id),
    )

    assert "loginResult 13" in needs.transitions[-1].reason
    assert "modify_credentials" in needs.details
    assert attempts >= 1
    assert after_update.status == S.PENDING_ACTIVATION
    assert after_update.credential_id == fixed.id


async def test_wrong_password_is_sent_once(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(
        records, court_simulator, firm, "txsb", stored_password="wrong-password"
    )
    before = court_simulator.state.request_counts().get("/pacer/services/cso-auth", 0)
    started = await activations.start(
        activation_request(firm, "txsb", account.credential_id)
    )
    await activations.wait_for_status(started.workflow_id, {S.NEEDS_CREDENTIALS})
    after = court_simulator.state.request_counts().get("/pacer/services/cso-auth", 0)

    assert after - before == 1


async def test_mfa_login_becomes_pending(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(records, court_simulator, firm, "flmb", mfa=True)
    started = await activations.start(
        activation_request(firm, "flmb", account.credential_id)
    )

    pending = await activations.wait_for_status(
        started.workflow_id, {S.PENDING_ACTIVATION, S.NEEDS_CREDENTIALS}
    )

    assert pending.status == S.PENDING_ACTIVATION


async def test_cancel_releases_address(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
    sqlite_url: str,
) -> None:
    pending = await start_pending(activations, records, court_simulator, "ganb")
    assert pending.noticing_address is not None

    await activations.signal(
        pending.workflow_id, "cancel", CancelRequest(actor="sam", reason="duplicate")
    )
    result = await activations.result(pending.workflow_id)

    assert result.status == S.CANCELLED
    assert result.transitions[-1].reason == "duplicate"
    assert address_status(sqlite_url, pending.noticing_address) == (
        AddressStatus.RELEASED
    )


async def test_court_rejected_ends_rejected(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    pending = await start_pending(activations, records, court_simulator)

    await activations.signal(
        pending.workflow_id,
        "court_rejected",
        CourtRejection(actor="clerk", reason="attorney not admitted"),
    )
    result = await activations.result(pending.workflow_id)

    assert result.status == S.REJECTED
    assert result.transitions[-1].reason == "attorney not admitted"


async def test_additional_action_loop_returns_to_pending(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    pending = await start_pending(activations, records, court_simulator)

    requested = await activations.update(
        pending.workflow_id,
        "require_additional_action",
        AdditionalActionRequest(actor="clerk", instructions="File form B2030."),
    )
    await activations.signal(
        pending.workflow_id,
        "additional_action_completed",
        AdditionalActionCompletion(actor="avery"),
    )
    back = await activations.wait_for_status(
        pending.workflow_id, {S.PENDING_ACTIVATION}
    )

    assert requested.status == S.ADDITIONAL_ACTION_NEEDED
    assert requested.instructions == "File form B2030."
    assert "File form B2030." in requested.details
    assert back.transitions[-1].from_status == S.ADDITIONAL_ACTION_NEEDED


async def test_reminders_then_expiry(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
    sqlite_url: str,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    pending = await start_pending(
        activations,
        records,
        court_simulator,
        reminder_interval=timedelta(days=1),
        expire_after=timedelta(days=3, hours=12),
    )
    assert pending.next_reminder_at is not None
    assert "Next reminder" in pending.details

    # Skips the four days explicitly: waiting on the result alone does not
    # make the time-skipping server (1.40) jump over the reminder timers.
    await time_skipping_env.sleep(timedelta(days=4))
    result = await activations.result(pending.workflow_id)

    assert result.status == S.EXPIRED
    assert result.reminders_sent == 3
    assert pending.noticing_address is not None
    assert address_status(sqlite_url, pending.noticing_address) == (
        AddressStatus.RELEASED
    )


async def test_missing_credential_needs_credentials(
    activations: RecordingActivationClient,
    records: RecordStore,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    firm = new_firm(records)
    request = activation_request(firm, "nysb", "cred_missing")
    handle = await time_skipping_env.client.start_workflow(
        "JurisdictionActivationWorkflow",
        request,
        id=request.workflow_id,
        task_queue=activations._task_queue,
    )
    activations.workflow_ids.append(handle.id)

    needs = await activations.wait_for_status(handle.id, {S.NEEDS_CREDENTIALS})

    assert "cred_missing not found" in needs.transitions[-1].reason


async def test_staff_user_is_no_attorney_user(
    activations: ActivationClient,
    records: RecordStore,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    firm = new_firm(records)
    request = activation_request(firm, "nysb", "cred_any").model_copy(
        update={"attorney_id": firm.staff_id}
    )
    handle = await time_skipping_env.client.start_workflow(
        "JurisdictionActivationWorkflow",
        request,
        id=request.workflow_id,
        task_queue=activations._task_queue,
        result_type=ActivationSnapshot,
    )

    result = await handle.result()

    assert result.status == S.NO_ATTORNEY_USER
    assert "not an attorney user" in result.transitions[-1].reason


async def test_free_look_court_needs_acknowledgement(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(records, court_simulator, firm, "kyeb")
    started = await activations.start(
        activation_request(firm, "kyeb", account.credential_id)
    )
    waiting = await activations.wait_for_status(
        started.workflow_id, {S.ADDITIONAL_ACTION_NEEDED}
    )

    await activations.signal(
        started.workflow_id,
        "additional_action_completed",
        AdditionalActionCompletion(actor="avery"),
    )
    acknowledged = await activations.update(
        started.workflow_id,
        "complete_additional_action",
        AdditionalActionCompletion(actor="avery", free_look_acknowledged=True),
    )

    assert waiting.instructions is not None
    assert "free look" in waiting.instructions
    assert acknowledged.status == S.PENDING_ACTIVATION
    assert len(acknowledged.rejected_inputs) == 1
    assert "free_look_acknowledged" in acknowledged.rejected_inputs[0].error


async def test_pacer_outage_is_retried(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    court_simulator.state.add_fault(
        FaultRule(path_prefix="/pacer/services/cso-auth", status=503, remaining=1)
    )

    pending = await start_pending(activations, records, court_simulator)

    assert pending.status == S.PENDING_ACTIVATION


async def test_address_limit_asks_for_room(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(records, court_simulator, firm, "innb")
    for number in range(5):
        court_simulator.state.add_secondary_email(
            "innb", account.login_id, f"other{number}@law.example"
        )
    started = await activations.start(
        activation_request(firm, "innb", account.credential_id)
    )
    waiting = await activations.wait_for_status(
        started.workflow_id, {S.ADDITIONAL_ACTION_NEEDED}
    )

    court_simulator.state.remove_secondary_email(
        "innb", account.login_id, "other0@law.example"
    )
    pending = await activations.update(
        started.workflow_id,
        "complete_additional_action",
        AdditionalActionCompletion(actor="avery", note="removed an old address"),
    )

    assert waiting.instructions is not None
    assert "Remove a secondary address" in waiting.instructions
    assert pending.status == S.PENDING_ACTIVATION
    assert pending.noticing_address in court_simulator.state.secondary_emails(
        "innb", account.login_id
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b"{}", "field 'actor': Field required"),
        (b'{"actor": "sam", "evidense": "x"}', "unknown field 'evidense'"),
        (b"[1, 2]", "Input should be an object"),
    ],
)
async def test_malformed_signal_is_recorded(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
    data: bytes,
    expected: str,
) -> None:
    pending = await start_pending(activations, records, court_simulator)
    handle = activations.handle(pending.workflow_id)

    await handle.signal("court_confirmed", json_payload(data))
    await activations.signal(pending.workflow_id, "court_confirmed", CONFIRMATION)
    result = await activations.result(pending.workflow_id)

    assert result.status == S.ACTIVE
    assert len(result.rejected_inputs) == 1
    assert expected in result.rejected_inputs[0].error
    assert result.rejected_inputs[0].handler == "court_confirmed"
    assert result.rejected_inputs[0].received == data.decode()


async def test_signal_without_input_is_recorded(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    pending = await start_pending(activations, records, court_simulator)

    await activations.handle(pending.workflow_id).signal("cancel")
    snapshot = await activations.status(pending.workflow_id)
    while not snapshot.rejected_inputs:
        snapshot = await activations.status(pending.workflow_id)

    assert snapshot.status == S.PENDING_ACTIVATION
    assert "No input was sent" in snapshot.rejected_inputs[0].error
    assert "Last rejected input (cancel" in snapshot.details


async def test_signal_in_wrong_status_is_recorded(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    pending = await start_pending(activations, records, court_simulator)

    await activations.signal(
        pending.workflow_id,
        "additional_action_completed",
        AdditionalActionCompletion(actor="avery"),
    )
    await activations.signal(pending.workflow_id, "court_confirmed", CONFIRMATION)
    result = await activations.result(pending.workflow_id)

    assert result.status == S.ACTIVE
    assert "not accepted while the activation is PENDING_ACTIVATION" in (
        result.rejected_inputs[0].error
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"{}", "field 'actor': Field required"),
        (b'{"actor": "sam"}', "field 'credential_id': Field required"),
        (b'{"actor": "sam", "credential_id": ""}', "at least 1 character"),
        (b"oops", "not valid JSON"),
    ],
)
async def test_update_with_bad_input_is_rejected(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
    data: bytes,
    expected: str,
) -> None:
    firm = new_firm(records)
    account = new_account(
        records, court_simulator, firm, "txsb", stored_password="wrong-password"
    )
    started = await activations.start(
        activation_request(firm, "txsb", account.credential_id)
    )
    await activations.wait_for_status(started.workflow_id, {S.NEEDS_CREDENTIALS})
    handle = activations.handle(started.workflow_id)

    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update("modify_credentials", json_payload(data))
    snapshot = await activations.status(started.workflow_id)

    assert expected in str(failure.value.cause)
    assert snapshot.status == S.NEEDS_CREDENTIALS


async def test_update_in_wrong_status_is_rejected(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    pending = await start_pending(activations, records, court_simulator)

    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await activations.update(
            pending.workflow_id,
            "modify_credentials",
            CredentialChange(actor="sam", credential_id="cred_other"),
        )

    assert "accepted in NEEDS_CREDENTIALS" in str(failure.value.cause)


async def test_confirm_while_waiting_for_action(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(records, court_simulator, firm, "mieb")
    started = await activations.start(
        activation_request(firm, "mieb", account.credential_id)
    )
    await activations.wait_for_status(started.workflow_id, {S.ADDITIONAL_ACTION_NEEDED})

    result = await activations.update(
        started.workflow_id, "confirm_activation", CONFIRMATION
    )

    assert result.status == S.ACTIVE
    assert result.transitions[-1].from_status == S.ADDITIONAL_ACTION_NEEDED


async def test_needs_credentials_expires(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    firm = new_firm(records)
    account = new_account(
        records, court_simulator, firm, "txsb", stored_password="wrong-password"
    )
    started = await activations.start(
        activation_request(
            firm, "txsb", account.credential_id, expire_after=timedelta(days=2)
        )
    )
    await activations.wait_for_status(started.workflow_id, {S.NEEDS_CREDENTIALS})

    await time_skipping_env.sleep(timedelta(days=2, hours=1))
    result = await activations.result(started.workflow_id)

    assert result.status == S.EXPIRED
    assert result.noticing_address is None
    assert "NEEDS_CREDENTIALS" in result.transitions[-1].reason


async def test_signal_with_two_inputs_is_recorded(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    pending = await start_pending(activations, records, court_simulator)
    handle = activations.handle(pending.workflow_id)

    await handle.signal("court_confirmed", args=[CONFIRMATION, CONFIRMATION])
    await activations.signal(pending.workflow_id, "court_confirmed", CONFIRMATION)
    result = await activations.result(pending.workflow_id)

    assert result.status == S.ACTIVE
    assert len(result.rejected_inputs) == 1
    assert "2 inputs were sent" in result.rejected_inputs[0].error


async def test_update_with_two_inputs_is_rejected(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    pending = await start_pending(activations, records, court_simulator)
    handle = activations.handle(pending.workflow_id)

    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(
            "confirm_activation", args=[CONFIRMATION, CONFIRMATION]
        )
    snapshot = await activations.status(pending.workflow_id)

    assert "2 inputs were sent" in str(failure.value.cause)
    assert snapshot.status == S.PENDING_ACTIVATION


async def test_binary_signal_input_is_recorded(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    pending = await start_pending(activations, records, court_simulator)
    handle = activations.handle(pending.workflow_id)
    binary = RawValue(
        Payload(metadata={"encoding": b"binary/plain"}, data=b'{"actor": "x"}')
    )

    await handle.signal("cancel", binary)
    await activations.signal(pending.workflow_id, "court_confirmed", CONFIRMATION)
    result = await activations.result(pending.workflow_id)

    assert result.status == S.ACTIVE
    assert "encoding binary/plain is not JSON" in result.rejected_inputs[0].error


async def test_rejected_credential_is_not_resent(
    activations: ActivationClient,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(
        records, court_simulator, firm, "txsb", stored_password="wrong-password"
    )
    started = await activations.start(
        activation_request(firm, "txsb", account.credential_id)
    )
    await activations.wait_for_status(started.workflow_id, {S.NEEDS_CREDENTIALS})
    logins = court_simulator.state.request_counts()["/pacer/services/cso-auth"]

    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await activations.update(
            started.workflow_id,
            "modify_credentials",
            CredentialChange(actor="sam", credential_id=account.credential_id),
        )
    logins_after = court_simulator.state.request_counts()["/pacer/services/cso-auth"]

    assert "already rejected" in str(failure.value.cause)
    assert logins_after == logins
