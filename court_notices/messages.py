"""Inputs and results of the activation workflow, its handlers and activities.

Every Temporal call takes one of these models. None of them carries a password,
TOTP secret or nextGenCSO token: credentials travel as credential ids.
"""

import re
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "ACTIVATION_ID_PATTERN",
    "TERMINAL_STATUSES",
    "WAITING_STATUSES",
    "ActivationRequest",
    "ActivationSnapshot",
    "ActivationStatus",
    "AdditionalActionCompletion",
    "AdditionalActionRequest",
    "CancelRequest",
    "CourtConfirmation",
    "CourtRejection",
    "CredentialChange",
    "RejectedInput",
    "Transition",
    "activation_workflow_id",
]

# Firm and attorney ids become part of the workflow id, so they stay in a
# character set that needs no quoting in the UI, the CLI or visibility queries.
ACTIVATION_ID_PATTERN = r"^[a-z0-9][a-z0-9_.]{0,62}$"
_ID_RE = re.compile(ACTIVATION_ID_PATTERN)


class ActivationStatus(StrEnum):
    VALIDATING = "VALIDATING"
    VERIFYING_CREDENTIALS = "VERIFYING_CREDENTIALS"
    NEEDS_CREDENTIALS = "NEEDS_CREDENTIALS"
    SUBMITTING = "SUBMITTING"
    PENDING_ACTIVATION = "PENDING_ACTIVATION"
    ADDITIONAL_ACTION_NEEDED = "ADDITIONAL_ACTION_NEEDED"
    ACTIVE = "ACTIVE"
    REJECTED = "REJECTED"
    UNSUPPORTED_JURISDICTION = "UNSUPPORTED_JURISDICTION"
    NO_ATTORNEY_USER = "NO_ATTORNEY_USER"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


TERMINAL_STATUSES = frozenset(
    {
        ActivationStatus.ACTIVE,
        ActivationStatus.REJECTED,
        ActivationStatus.UNSUPPORTED_JURISDICTION,
        ActivationStatus.NO_ATTORNEY_USER,
        ActivationStatus.EXPIRED,
        ActivationStatus.CANCELLED,
    }
)

# Statuses in which the workflow waits for a person or the court, and so sends
# reminders and can expire.
WAITING_STATUSES = frozenset(
    {
        ActivationStatus.NEEDS_CREDENTIALS,
        ActivationStatus.PENDING_ACTIVATION,
        ActivationStatus.ADDITIONAL_ACTION_NEEDED,
    }
)


def activation_workflow_id(firm_id: str, attorney_id: str, court_id: str) -> str:
    return f"activation-{firm_id}-{attorney_id}-{court_id}"


def _check_id(value: str) -> str:
    if not _ID_RE.fullmatch(value):
        raise ValueError(
            "must be 1-63 lowercase letters, digits, '_' or '.', starting with a "
            "letter or digit"
        )
    return value


class ActivationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    firm_id: str
    attorney_id: str
    court_id: str
    credential_id: str = Field(min_length=1)
    requested_by: str = Field(min_length=1)
    free_look_acknowledged: bool = False
    # None means the worker's settings decide.
    reminder_interval: timedelta | None = Field(default=None, gt=timedelta(0))
    expire_after: timedelta | None = Field(default=None, gt=timedelta(0))

    @field_validator("firm_id", "attorney_id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return _check_id(value)

    @property
    def workflow_id(self) -> str:
        return activation_workflow_id(self.firm_id, self.attorney_id, self.court_id)


class Transition(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    at: datetime
    from_status: ActivationStatus | None = Field(alias="from")
    to_status: ActivationStatus = Field(alias="to")
    actor: str
    reason: str


class RejectedInput(BaseModel):
    at: datetime
    handler: str
    error: str
    # The raw input as received, cut to a few hundred characters, so support
    # staff can see what they sent.
    received: str


class _HandlerInput(BaseModel):
    # Unknown fields are rejected so a misspelt field name in the UI's JSON is
    # reported instead of silently ignored.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    actor: str = Field(min_length=1, max_length=200)


class CourtConfirmation(_HandlerInput):
    # A notice id, a help-desk ticket or a note on how the court confirmed.
    evidence: str | None = Field(default=None, max_length=500)


class CourtRejection(_HandlerInput):
    reason: str = Field(min_length=1, max_length=2000)


class AdditionalActionRequest(_HandlerInput):
    instructions: str = Field(min_length=1, max_length=2000)


class AdditionalActionCompletion(_HandlerInput):
    note: str | None = Field(default=None, max_length=2000)
    # Required when the court gives one free look per account (kyeb): the
    # requester accepts that the service's download uses it up.
    free_look_acknowledged: bool = False


class CancelRequest(_HandlerInput):
    reason: str = Field(min_length=1, max_length=2000)


class CredentialChange(_HandlerInput):
    credential_id: str = Field(min_length=1, max_length=64)


class ActivationSnapshot(BaseModel):
    workflow_id: str
    firm_id: str
    attorney_id: str
    court_id: str
    status: ActivationStatus
    status_since: datetime
    details: str
    credential_id: str
    noticing_address: str | None = None
    instructions: str | None = None
    evidence: str | None = None
    next_reminder_at: datetime | None = None
    expires_at: datetime
    reminders_sent: int = 0
    transitions: list[Transition] = Field(default_factory=list)
    rejected_inputs: list[RejectedInput] = Field(default_factory=list)
