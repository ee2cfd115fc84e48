"""Activities run one by one in ActivityEnvironment, against the real
database and the court simulator: retries must not duplicate anything."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.addresses import AddressActivities
from activities.credentials import CredentialActivities
from activities.dependencies import ActivityDependencies
from activities.records import RecordActivities
from court_notices.activity_models import (
    INVALID_CREDENTIALS,
    AddressRelease,
    AddressRequest,
    SubmissionOutcome,
    SubmissionRequest,
    TransitionRecord,
    VerificationRequest,
)
from court_notices.db import (
    Activation,
    ActivationTransition,
    AddressStatus,
    NoticingAddressRow,
    new_session,
)
from court_notices.messages import ActivationStatus, Transition
from starter.records import RecordStore
from tests.support.courtsim_server import CourtSimulator
from tests.support.scenario import new_account, new_firm


def address_request(court_id: str = "nysb") -> AddressRequest:
    suffix = uuid.uuid4().hex[:8]
    return AddressRequest(
        workflow_id=f"activation-firm{suffix}-atty{suffix}-{court_id}",
        firm_id=f"firm{suffix}",
        attorney_id=f"atty{suffix}",
        court_id=court_id,
    )


def test_provision_twice_gives_one_address(
    dependencies: ActivityDependencies,
) -> None:
    activities = AddressActivities(dependencies)
    request = address_request()
    env = ActivityEnvironment()

    first = env.run(activities.provision_noticing_address, request)
    second = env.run(activities.provision_noticing_address, request)
    with new_session(dependencies.database_url) as session:
        rows = session.exec(
            select(NoticingAddressRow).where(
                NoticingAddressRow.workflow_id == request.workflow_id
            )
        ).all()

    assert first.address == second.address
    assert first.address.startswith("nysb-")
    assert first.address.endswith("@" + dependencies.noticing_domain)
    assert len(rows) == 1
    assert rows[0].status == AddressStatus.PROVISIONED


async def test_release_then_provision_reuses_address(
    dependencies: ActivityDependencies,
) -> None:
    activities = AddressActivities(dependencies)
    request = address_request("canb")
    env = ActivityEnvironment()
    address = (env.run(activities.provision_noticing_address, request)).address
    release = AddressRelease(
        workflow_id=request.workflow_id,
        court_id="canb",
        credential_id="cred_unused",
        address=address,
    )

    await env.run(activities.release_noticing_address, release)
    await env.run(activities.release_noticing_address, release)
    with new_session(dependencies.database_url) as session:
        released = session.get(NoticingAddressRow, address)
    again = env.run(activities.provision_noticing_address, request)
    with new_session(dependencies.database_url) as session:
        reprovisioned = session.get(NoticingAddressRow, address)

    assert released is not None
    assert released.status == AddressStatus.RELEASED
    assert released.released_at is not None
    assert again.address == address
    assert reprovisioned is not None
    assert reprovisioned.status == AddressStatus.PROVISIONED


def test_record_transition_twice_writes_once(
    dependencies: ActivityDependencies,
) -> None:
    activities = RecordActivities(dependencies)
    request = address_request()
    record = TransitionRecord(
        workflow_id=request.workflow_id,
        run_id=str(uuid.uuid4()),
        firm_id=request.firm_id,
        attorney_id=request.attorney_id,
        court_id="nysb",
        credential_id="cred_x",
        sequence=1,
        transition=Transition(
            at=datetime.now(UTC),
            from_status=None,
            to_status=ActivationStatus.VALIDATING,
            actor="staff",
            reason="Activation requested.",
        ),
        details="**VALIDATING**",
    )
    env = ActivityEnvironment()

    env.run(activities.record_activation_transition, record)
    env.run(activities.record_activation_transition, record)
    with new_session(dependencies.database_url) as session:
        transitions = session.exec(
            select(ActivationTransition).where(
                ActivationTransition.run_id == record.run_id
            )
        ).all()
        activation = session.get(Activation, record.workflow_id)

    assert len(transitions) == 1
    assert activation is not None
    assert activation.status == ActivationStatus.VALIDATING
    assert activation.run_id == record.run_id


async def test_verify_wrong_password_is_non_retryable(
    dependencies: ActivityDependencies,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(
        records, court_simulator, firm, "txsb", stored_password="not-the-password"
    )
    activities = CredentialActivities(dependencies)
    request = VerificationRequest(
        credential_id=account.credential_id,
        attorney_id=firm.attorney_id,
        court_id="txsb",
    )

    with pytest.raises(ApplicationError) as failure:
        await ActivityEnvironment().run(activities.verify_credentials, request)

    assert failure.value.non_retryable
    assert failure.value.type == INVALID_CREDENTIALS
    assert account.credential_id in failure.value.message
    assert "not-the-password" not in str(failure.value)


async def test_verify_mfa_login_uses_one_time_code(
    dependencies: ActivityDependencies,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(records, court_simulator, firm, "flmb", mfa=True)
    activities = CredentialActivities(dependencies)
    request = VerificationRequest(
        credential_id=account.credential_id,
        attorney_id=firm.attorney_id,
        court_id="flmb",
    )

    result = await ActivityEnvironment().run(activities.verify_credentials, request)

    assert result.mfa_used


async def test_submit_self_service_adds_address(
    dependencies: ActivityDependencies,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    firm = new_firm(records)
    account = new_account(records, court_simulator, firm, "nysb")
    activities = AddressActivities(dependencies)
    request = SubmissionRequest(
        workflow_id="activation-x-y-nysb",
        court_id="nysb",
        credential_id=account.credential_id,
        address="nysb-test@notices.test.example",
    )
    env = ActivityEnvironment()

    first = await env.run(activities.submit_noticing_address, request)
    second = await env.run(activities.submit_noticing_address, request)

    assert first.outcome == SubmissionOutcome.ADDED
    assert second.outcome == SubmissionOutcome.ADDED
    assert court_simulator.state.secondary_emails("nysb", account.login_id) == [
        "nysb-test@notices.test.example"
    ]
