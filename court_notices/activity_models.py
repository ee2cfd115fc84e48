"""Inputs and results of the activation activities."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from court_notices.catalog import ActivationMode
from court_notices.messages import ActivationStatus, Transition

__all__ = [
    "AddressRelease",
    "AddressRequest",
    "NoticingAddress",
    "ReminderNotice",
    "SubmissionOutcome",
    "SubmissionRequest",
    "SubmissionResult",
    "TransitionRecord",
    "ValidationOutcome",
    "ValidationResult",
    "VerificationRequest",
    "VerificationResult",
]

# ApplicationError types raised by activities; the workflow branches on them.
INVALID_CREDENTIALS = "InvalidCredentials"
LOGIN_REJECTED = "LoginRejected"
CREDENTIAL_NOT_FOUND = "CredentialNotFound"
SECONDARY_ADDRESS_LIMIT = "SecondaryAddressLimit"


class ValidationOutcome(StrEnum):
    VALID = "valid"
    UNSUPPORTED_JURISDICTION = "unsupported_jurisdiction"
    NO_ATTORNEY_USER = "no_attorney_user"
    MISSING_CREDENTIAL = "missing_credential"
    FREE_LOOK_ACKNOWLEDGEMENT_REQUIRED = "free_look_acknowledgement_required"


class ValidationResult(BaseModel):
    outcome: ValidationOutcome
    reason: str
    court_name: str = ""
    activation_mode: ActivationMode | None = None


class VerificationRequest(BaseModel):
    credential_id: str
    attorney_id: str
    court_id: str


class VerificationResult(BaseModel):
    # PACER's errorDescription on a successful login, such as a missing
    # client code; the login still counts as verified.
    warning: str | None = None
    mfa_used: bool = False


class AddressRequest(BaseModel):
    workflow_id: str
    firm_id: str
    attorney_id: str
    court_id: str


class NoticingAddress(BaseModel):
    address: str


class SubmissionOutcome(StrEnum):
    ADDED = "added"
    COURT_CONTACT_REQUIRED = "court_contact_required"


class SubmissionRequest(BaseModel):
    workflow_id: str
    court_id: str
    credential_id: str
    address: str


class SubmissionResult(BaseModel):
    outcome: SubmissionOutcome
    instructions: str | None = None


class AddressRelease(BaseModel):
    workflow_id: str
    court_id: str
    credential_id: str
    address: str


class TransitionRecord(BaseModel):
    workflow_id: str
    run_id: str
    firm_id: str
    attorney_id: str
    court_id: str
    credential_id: str
    sequence: int
    transition: Transition
    details: str
    noticing_address: str | None = None


class ReminderNotice(BaseModel):
    workflow_id: str
    court_id: str
    status: ActivationStatus
    waiting_since: datetime
    reminder_number: int
    details: str


# Activity names, shared by the activity definitions and the workflow, which
# must call them by name.
VALIDATE_ACTIVATION = "validate_activation"
VERIFY_CREDENTIALS = "verify_credentials"
PROVISION_NOTICING_ADDRESS = "provision_noticing_address"
SUBMIT_NOTICING_ADDRESS = "submit_noticing_address"
RELEASE_NOTICING_ADDRESS = "release_noticing_address"
RECORD_TRANSITION = "record_activation_transition"
RECORD_ACTIVATION_REMINDER = "record_activation_reminder"
