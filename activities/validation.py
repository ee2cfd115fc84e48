"""validate_activation: the checks that need the catalog and the database."""

from sqlmodel import Session, select
from temporalio import activity

from activities.dependencies import ActivityDependencies
from court_notices.activity_models import (
    VALIDATE_ACTIVATION,
    ValidationOutcome,
    ValidationResult,
)
from court_notices.catalog import UnknownCourtError, get_court
from court_notices.db import Credential, Firm, User, UserRole, new_session
from court_notices.messages import ActivationRequest

# The reason Court Notices is not offered, for each court where it is not.
UNSUPPORTED_REASONS = {
    "caeb": "the court runs its own eFiling system instead of CM/ECF noticing",
}


class ValidationActivities:
    def __init__(self, dependencies: ActivityDependencies) -> None:
        self._database_url = dependencies.database_url

    @activity.defn(name=VALIDATE_ACTIVATION)
    def validate_activation(self, request: ActivationRequest) -> ValidationResult:
        try:
            court = get_court(request.court_id)
        except UnknownCourtError as error:
            return ValidationResult(
                outcome=ValidationOutcome.UNSUPPORTED_JURISDICTION, reason=str(error)
            )

        if not court.court_notices_supported:
            reason = UNSUPPORTED_REASONS.get(
                court.court_id, "the court does not offer it"
            )
            return ValidationResult(
                outcome=ValidationOutcome.UNSUPPORTED_JURISDICTION,
                reason=f"Court Notices is not available at {court.full_name} "
                f"({court.court_id}): {reason}.",
                court_name=court.full_name,
            )

        with new_session(self._database_url) as session:
            problem = _membership_problem(session, request)
            if problem:
                return ValidationResult(
                    outcome=ValidationOutcome.NO_ATTORNEY_USER, reason=problem
                )
            problem = _credential_problem(session, request)
            if problem:
                return ValidationResult(
                    outcome=ValidationOutcome.MISSING_CREDENTIAL, reason=problem
                )

        if court.requires_free_look_acknowledgement and not (
            request.free_look_acknowledged
        ):
            return ValidationResult(
                outcome=ValidationOutcome.FREE_LOOK_ACKNOWLEDGEMENT_REQUIRED,
                reason=f"{court.full_name} gives one free look per filing for the "
                "whole CM/ECF account, so the service's download uses up the "
                "attorney's own free look. The requester must acknowledge this: "
                'send additional_action_completed with "free_look_acknowledged": '
                "true.",
                court_name=court.full_name,
                activation_mode=court.activation_mode,
            )

        return ValidationResult(
            outcome=ValidationOutcome.VALID,
            reason="Court, attorney user and credential found.",
            court_name=court.full_name,
            activation_mode=court.activation_mode,
        )


def _membership_problem(session: Session, request: ActivationRequest) -> str | None:
    if session.get(Firm, request.firm_id) is None:
        return f"Firm {request.firm_id} not found. Add the firm before activating."

    user = session.get(User, request.attorney_id)
    if user is None or user.firm_id != request.firm_id:
        return (
            f"User {request.attorney_id} is not a member of firm {request.firm_id}. "
            "Add the attorney to the firm, then start the activation again."
        )
    if user.role != UserRole.ATTORNEY:
        return (
            f"User {request.attorney_id} is {user.role} staff, not an attorney user; "
            "CM/ECF noticing is activated for attorneys only."
        )
    return None


def _credential_problem(session: Session, request: ActivationRequest) -> str | None:
    credential = session.exec(
        select(Credential).where(Credential.id == request.credential_id)
    ).first()
    if credential is None:
        return (
            f"Credential {request.credential_id} not found. Store the attorney's "
            f"CM/ECF login for {request.court_id}, then send modify_credentials "
            "with its id."
        )
    if (credential.attorney_id, credential.court_id) != (
        request.attorney_id,
        request.court_id,
    ):
        return (
            f"Credential {request.credential_id} belongs to "
            f"{credential.attorney_id} at {credential.court_id}, not to "
            f"{request.attorney_id} at {request.court_id}. Send modify_credentials "
            "with the right credential id."
        )
    return None
