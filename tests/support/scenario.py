"""Builders for firms, attorneys and CM/ECF accounts used by the tests."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from court_notices.db import UserRole
from court_notices.messages import ActivationRequest
from court_notices.totp import new_totp_secret
from court_notices.vault import CredentialSecret
from courtsim.state import SimulatedAccount
from starter.records import RecordStore
from tests.support.courtsim_server import CourtSimulator


@dataclass(frozen=True)
class Account:
    """A CM/ECF account on the simulator and its stored credential."""

    credential_id: str
    login_id: str
    password: str
    totp_secret: str | None


@dataclass(frozen=True)
class Firm:
    firm_id: str
    attorney_id: str
    staff_id: str


def new_firm(records: RecordStore) -> Firm:
    suffix = uuid.uuid4().hex[:8]
    firm = Firm(f"firm{suffix}", f"atty{suffix}", f"staff{suffix}")
    records.add_firm(firm.firm_id, "Example Law LLP")
    records.add_user(
        firm.attorney_id,
        firm_id=firm.firm_id,
        name="Avery Attorney",
        email="avery@law.example",
        role=UserRole.ATTORNEY,
    )
    records.add_user(
        firm.staff_id,
        firm_id=firm.firm_id,
        name="Sam Staff",
        email="sam@law.example",
        role=UserRole.STAFF,
    )
    return firm


def new_account(
    records: RecordStore,
    simulator: CourtSimulator,
    firm: Firm,
    court_id: str,
    *,
    mfa: bool = False,
    stored_password: str | None = None,
) -> Account:
    """Register an account on the simulator and store a credential for it.

    ``stored_password`` stores a different password than the simulator's, to
    play a wrong password.
    """
    login_id = f"login{uuid.uuid4().hex[:10]}"
    password = secrets.token_urlsafe(16)
    totp_secret = new_totp_secret() if mfa else None
    simulator.state.put_account(
        SimulatedAccount(login_id=login_id, password=password, totp_secret=totp_secret)
    )
    credential = records.add_credential(
        attorney_id=firm.attorney_id,
        court_id=court_id,
        secret=CredentialSecret(
            login_id=login_id,
            password=stored_password or password,
            totp_secret=totp_secret,
        ),
    )
    return Account(credential.id, login_id, password, totp_secret)


def activation_request(
    firm: Firm,
    court_id: str,
    credential_id: str,
    *,
    reminder_interval: timedelta | None = None,
    expire_after: timedelta | None = None,
    free_look_acknowledged: bool = False,
) -> ActivationRequest:
    return ActivationRequest(
        firm_id=firm.firm_id,
        attorney_id=firm.attorney_id,
        court_id=court_id,
        credential_id=credential_id,
        requested_by=firm.staff_id,
        reminder_interval=reminder_interval,
        expire_after=expire_after,
        free_look_acknowledged=free_look_acknowledged,
    )
