"""Activity calls of the activation workflow, with their timeouts and retries.

Activities are referenced by name because their modules import httpx and
cryptography, which the workflow sandbox must not load.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from court_notices import activity_models as am
    from court_notices.messages import ActivationRequest, ActivationSnapshot

# Database writes retry until the database is back, because a lost transition
# record would leave the projection wrong for good.
_DATABASE_TIMEOUT = timedelta(seconds=30)
_DATABASE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
)

# PACER suspends clients that authenticate excessively, so outages are retried
# a few times with long backoff, never in a tight loop. Wrong passwords raise
# non-retryable errors and are never sent twice.
_PACER_TIMEOUT = timedelta(seconds=60)
_PACER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=3.0,
    maximum_interval=timedelta(minutes=15),
    maximum_attempts=5,
)

# Errors that mean PACER itself turned the login down.
PACER_REJECTIONS = frozenset({am.INVALID_CREDENTIALS, am.LOGIN_REJECTED})
CREDENTIAL_ERRORS = PACER_REJECTIONS | {am.CREDENTIAL_NOT_FOUND}


def error_type(error: ActivityError) -> str | None:
    cause = error.cause
    return cause.type if isinstance(cause, ApplicationError) else None


def failure_reason(error: ActivityError) -> str:
    """Return the activity's own message, or a note that retries ran out."""
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.non_retryable:
        return cause.message
    return (
        f"PACER could not be reached after several attempts ({cause}). Send "
        "modify_credentials with the same credential id to try again."
    )


def submission_instructions(error: ActivityError, address: str) -> str:
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type == am.SECONDARY_ADDRESS_LIMIT:
        return (
            f"{cause.message} Remove a secondary address in the attorney's CM/ECF "
            f"account, then send additional_action_completed to add {address}."
        )
    return (
        f"The court's CM/ECF did not accept {address} ({cause}). Send "
        "additional_action_completed to try again, or add it by hand first."
    )


async def validate(request: ActivationRequest) -> am.ValidationResult:
    return await workflow.execute_activity(
        am.VALIDATE_ACTIVATION,
        request,
        result_type=am.ValidationResult,
        start_to_close_timeout=_DATABASE_TIMEOUT,
        retry_policy=_DATABASE_RETRY,
    )


async def verify(
    request: ActivationRequest, credential_id: str
) -> am.VerificationResult:
    return await workflow.execute_activity(
        am.VERIFY_CREDENTIALS,
        am.VerificationRequest(
            credential_id=credential_id,
            attorney_id=request.attorney_id,
            court_id=request.court_id,
        ),
        result_type=am.VerificationResult,
        start_to_close_timeout=_PACER_TIMEOUT,
        retry_policy=_PACER_RETRY,
    )


async def provision_address(request: ActivationRequest) -> str:
    result = await workflow.execute_activity(
        am.PROVISION_NOTICING_ADDRESS,
        am.AddressRequest(
            workflow_id=workflow.info().workflow_id,
            firm_id=request.firm_id,
            attorney_id=request.attorney_id,
            court_id=request.court_id,
        ),
        result_type=am.NoticingAddress,
        start_to_close_timeout=_DATABASE_TIMEOUT,
        retry_policy=_DATABASE_RETRY,
    )
    return result.address


async def submit(
    request: ActivationRequest, credential_id: str, address: str
) -> am.SubmissionResult:
    return await workflow.execute_activity(
        am.SUBMIT_NOTICING_ADDRESS,
        am.SubmissionRequest(
            workflow_id=workflow.info().workflow_id,
            court_id=request.court_id,
            credential_id=credential_id,
            address=address,
        ),
        result_type=am.SubmissionResult,
        start_to_close_timeout=_PACER_TIMEOUT,
        retry_policy=_PACER_RETRY,
    )


async def release_address(
    request: ActivationRequest, credential_id: str, address: str
) -> None:
    await workflow.execute_activity(
        am.RELEASE_NOTICING_ADDRESS,
        am.AddressRelease(
            workflow_id=workflow.info().workflow_id,
            court_id=request.court_id,
            credential_id=credential_id,
            address=address,
        ),
        start_to_close_timeout=_DATABASE_TIMEOUT,
        retry_policy=_DATABASE_RETRY,
    )


async def record_transition(record: am.TransitionRecord) -> None:
    await workflow.execute_activity(
        am.RECORD_TRANSITION,
        record,
        start_to_close_timeout=_DATABASE_TIMEOUT,
        retry_policy=_DATABASE_RETRY,
    )


async def record_reminder(
    request: ActivationRequest, snapshot: ActivationSnapshot, number: int
) -> None:
    await workflow.execute_activity(
        am.RECORD_ACTIVATION_REMINDER,
        am.ReminderNotice(
            workflow_id=snapshot.workflow_id,
            court_id=request.court_id,
            status=snapshot.status,
            waiting_since=snapshot.status_since,
            reminder_number=number,
            details=snapshot.details,
        ),
        start_to_close_timeout=_DATABASE_TIMEOUT,
        retry_policy=_DATABASE_RETRY,
    )
