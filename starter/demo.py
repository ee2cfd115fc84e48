"""The demo: one firm activates one attorney in six real courts.

- nysb: self-service, pending, then the court confirms: ACTIVE.
- canb: court contact, ADDITIONAL_ACTION_NEEDED, completed, confirmed: ACTIVE.
- caeb: UNSUPPORTED_JURISDICTION, with the reason.
- txsb: a wrong password gives NEEDS_CREDENTIALS; modify_credentials with the
  right one leads to ACTIVE.
- flmb: a login enrolled in MFA: ACTIVE.
- ganb: started, then cancelled: CANCELLED.

The last line printed is a JSON object mapping each court ID to its status.
"""

import asyncio
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlmodel import select

from court_notices.calendar import build_calendar
from court_notices.db import Notice, UserRole, new_session
from court_notices.messages import (
    ActivationRequest,
    ActivationStatus,
    AdditionalActionCompletion,
    CancelRequest,
    CourtConfirmation,
    CredentialChange,
)
from court_notices.settings import Settings
from court_notices.totp import new_totp_secret
from court_notices.vault import CredentialSecret
from starter.activations import ActivationClient
from starter.records import RecordStore
from starter.reports import load_firm_claims, load_firm_deadlines, load_firm_documents
from starter.session import connect_activations, open_records

S = ActivationStatus
COURTS = ["nysb", "canb", "caeb", "txsb", "flmb", "ganb"]


# The order matters: the first NEF confirms the pending nysb activation.
NOTICE_TEMPLATES = ["nef", "multi_case", "claims", "meeting_341", "minute_entry"]


@dataclass(frozen=True)
class DemoFirm:
    firm_id: str
    attorney_id: str
    staff_id: str


class SimulatorControl:
    """The court simulator's control API, used to open CM/ECF accounts."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url.rstrip("/")

    async def open_account(self, *, mfa: bool = False) -> CredentialSecret:
        secret = CredentialSecret(
            login_id=f"demo{secrets.token_hex(5)}",
            password=secrets.token_urlsafe(18),
            totp_secret=new_totp_secret() if mfa else None,
        )
        body = {"login_id": secret.login_id, "password": secret.password}
        if secret.totp_secret:
            body["totp_secret"] = secret.totp_secret
        await self._post("/_sim/accounts", body)
        return secret

    async def send_nef(self, *, to: str, court_id: str, template: str) -> str:
        """Have the court send an NEF of ``template`` to ``to``; return its id."""
        body = {"to": to, "court_id": court_id, "template": template}
        reply = await self._post("/_sim/nefs", body)
        return str(reply.get("message_id", ""))

    async def _post(self, path: str, body: Mapping[str, object]) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self._base_url, timeout=30) as http:
            response = await http.post(path, json=body)
            response.raise_for_status()
            return dict(response.json())


def create_firm(records: RecordStore, suffix: str) -> DemoFirm:
    firm = DemoFirm(f"demo{suffix}", f"attorney{suffix}", f"staff{suffix}")
    records.add_firm(firm.firm_id, "Demo & Partners LLP")
    records.add_user(
        firm.attorney_id,
        firm_id=firm.firm_id,
        name="Dana Attorney",
        email="dana@demo-partners.example",
        role=UserRole.ATTORNEY,
    )
    records.add_user(
        firm.staff_id,
        firm_id=firm.firm_id,
        name="Sol Support",
        email="sol@demo-partners.example",
        role=UserRole.STAFF,
    )
    return firm


async def run_scenario(
    activations: ActivationClient,
    records: RecordStore,
    simulator: SimulatorControl,
    *,
    say: Callable[[str], None] = print,
    suffix: str | None = None,
    send_notices: bool = True,
) -> "DemoResult":
    """Play the six courts and return each court's final status.

    With ``send_notices`` the court simulator mails NEFs to the nysb address
    through the SMTP intake. The first confirms the pending activation. The
    rest are a multi-case NEF, a claims NEF, a 341 meeting notice and a minute
    entry without a document.
    """
    suffix = suffix or datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    firm = create_firm(records, suffix)
    say(f"Firm {firm.firm_id}: attorney {firm.attorney_id}, staff {firm.staff_id}")

    # Accounts and stored credentials; txsb stores a wrong password first.
    accounts = {
        court: await simulator.open_account(mfa=court == "flmb") for court in COURTS
    }
    credential_ids = {}
    for court, secret in accounts.items():
        stored = secret
        if court == "txsb":
            stored = CredentialSecret(
                login_id=secret.login_id, password="wrong-" + suffix
            )
        credential_ids[court] = records.add_credential(
            attorney_id=firm.attorney_id, court_id=court, secret=stored
        ).id

    # Start all six
    workflow_ids = {}
    for court in COURTS:
        result = await activations.start(
            ActivationRequest(
                firm_id=firm.firm_id,
                attorney_id=firm.attorney_id,
                court_id=court,
                credential_id=credential_ids[court],
                requested_by=firm.staff_id,
            )
        )
        workflow_ids[court] = result.workflow_id
        say(f"{court}: started {result.workflow_id}")

    nysb_step = (
        _confirm_by_notice(activations, simulator, workflow_ids["nysb"], say)
        if send_notices
        else _confirm_when_pending(activations, workflow_ids["nysb"], firm, say)
    )
    steps = [
        nysb_step,
        _court_contact(activations, workflow_ids["canb"], firm, say),
        _wrong_password(
            activations, records, workflow_ids["txsb"], firm, accounts["txsb"], say
        ),
        _confirm_when_pending(activations, workflow_ids["flmb"], firm, say),
        _cancel_when_pending(activations, workflow_ids["ganb"], firm, say),
    ]
    await asyncio.gather(*steps)

    final = {}
    for court in COURTS:
        snapshot = await activations.result(workflow_ids[court])
        final[court] = str(snapshot.status)
        say(f"{court}: {snapshot.status} - {snapshot.transitions[-1].reason}")

    if send_notices:
        nysb = await activations.status(workflow_ids["nysb"])
        assert nysb.noticing_address is not None
        for template in NOTICE_TEMPLATES[1:]:
            await simulator.send_nef(
                to=nysb.noticing_address, court_id="nysb", template=template
            )
            say(f"nysb: the court sent a {template} NEF to {nysb.noticing_address}")
    return DemoResult(firm=firm, final=final, workflow_ids=workflow_ids)


@dataclass(frozen=True)
class DemoResult:
    firm: DemoFirm
    final: dict[str, str]
    workflow_ids: dict[str, str]


async def _confirm_by_notice(
    activations: ActivationClient,
    simulator: SimulatorControl,
    workflow_id: str,
    say: Callable[[str], None],
) -> None:
    await _wait(activations, workflow_id, S.PENDING_ACTIVATION)
    snapshot = await activations.status(workflow_id)
    assert snapshot.noticing_address is not None
    say(f"nysb: pending at {snapshot.noticing_address}; the court sends its first NEF")
    await simulator.send_nef(
        to=snapshot.noticing_address, court_id="nysb", template=NOTICE_TEMPLATES[0]
    )
    await _wait(activations, workflow_id, S.ACTIVE)


async def _wait(
    activations: ActivationClient, workflow_id: str, status: ActivationStatus
) -> None:
    await activations.wait_for_status(workflow_id, {status}, timeout=120)


async def _confirm_when_pending(
    activations: ActivationClient,
    workflow_id: str,
    firm: DemoFirm,
    say: Callable[[str], None],
) -> None:
    await _wait(activations, workflow_id, S.PENDING_ACTIVATION)
    snapshot = await activations.status(workflow_id)
    say(f"{snapshot.court_id}: pending at {snapshot.noticing_address}")
    await activations.signal(
        workflow_id,
        "court_confirmed",
        CourtConfirmation(actor=firm.staff_id, evidence="court e-mail confirmation"),
    )


async def _court_contact(
    activations: ActivationClient,
    workflow_id: str,
    firm: DemoFirm,
    say: Callable[[str], None],
) -> None:
    await _wait(activations, workflow_id, S.ADDITIONAL_ACTION_NEEDED)
    snapshot = await activations.status(workflow_id)
    say(f"{snapshot.court_id}: additional action needed: {snapshot.instructions}")
    await activations.signal(
        workflow_id,
        "additional_action_completed",
        AdditionalActionCompletion(actor=firm.attorney_id, note="help desk emailed"),
    )
    await _confirm_when_pending(activations, workflow_id, firm, say)


async def _wrong_password(
    activations: ActivationClient,
    records: RecordStore,
    workflow_id: str,
    firm: DemoFirm,
    right: CredentialSecret,
    say: Callable[[str], None],
) -> None:
    await _wait(activations, workflow_id, S.NEEDS_CREDENTIALS)
    say("txsb: needs credentials; storing the right password")
    credential = records.add_credential(
        attorney_id=firm.attorney_id, court_id="txsb", secret=right
    )
    snapshot = await activations.update(
        workflow_id,
        "modify_credentials",
        CredentialChange(actor=firm.staff_id, credential_id=credential.id),
    )
    say(f"txsb: modify_credentials answered {snapshot.status}")
    await _confirm_when_pending(activations, workflow_id, firm, say)


async def _cancel_when_pending(
    activations: ActivationClient,
    workflow_id: str,
    firm: DemoFirm,
    say: Callable[[str], None],
) -> None:
    await _wait(activations, workflow_id, S.PENDING_ACTIVATION)
    await activations.signal(
        workflow_id,
        "cancel",
        CancelRequest(actor=firm.staff_id, reason="Firm withdrew the request."),
    )


async def run_demo(settings: Settings) -> None:
    activations = await connect_activations(settings)
    records = open_records(settings)
    result = await run_scenario(
        activations, records, SimulatorControl(settings.court_simulator_url)
    )
    url = settings.resolved_database_url
    await wait_for_notices(url, result.firm.firm_id, count=len(NOTICE_TEMPLATES))

    for document in load_firm_documents(url, result.firm.firm_id):
        size = (
            f", {document.size} bytes, sha256 {document.sha256}"
            if document.sha256
            else ""
        )
        print(
            f"Document {document.court_id} {document.pacer_doc_id} "
            f"({document.docket_number}): {document.outcome}{size}"
        )
    for claim in load_firm_claims(url, result.firm.firm_id):
        print(
            f"Claim {claim.claim_number} in {claim.docket_number}: {claim.creditor}, "
            f"amount claimed {claim.amount_claimed}"
        )
    deadlines = load_firm_deadlines(url, result.firm.firm_id)
    for deadline in deadlines:
        when = str(deadline.date)
        if deadline.time is not None:
            when += f" {deadline.time:%H:%M} ({deadline.timezone})"
        print(f"Deadline {when}: {deadline.title} ({deadline.docket_number})")

    calendar_path = settings.data_dir / f"{result.firm.firm_id}.ics"
    calendar_path.write_bytes(
        build_calendar(
            deadlines, calendar_name=f"Court deadlines: {result.firm.firm_id}"
        )
    )
    print(f"Wrote {len(deadlines)} deadlines to {calendar_path}")
    print('Filter in the Web UI: ActivationStatus = "ACTIVE" (http://127.0.0.1:8233)')
    print(json.dumps(result.final))


async def wait_for_notices(
    database_url: str, firm_id: str, *, count: int, timeout: float = 120
) -> None:
    """Wait until ``count`` notices of the firm are stored and captured."""

    def done() -> bool:
        with new_session(database_url) as session:
            notices = session.exec(select(Notice.id).where(Notice.firm_id == firm_id))
            stored = len(notices.all())
        pending = [
            document
            for document in load_firm_documents(database_url, firm_id)
            if document.outcome is None
        ]
        return stored >= count and not pending

    async with asyncio.timeout(timeout):
        while not await asyncio.to_thread(done):
            await asyncio.sleep(0.5)
