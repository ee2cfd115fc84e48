"""JurisdictionActivationWorkflow: one attorney at one court, from request to ACTIVE.

VALIDATING -> VERIFYING_CREDENTIALS -> SUBMITTING -> PENDING_ACTIVATION -> ACTIVE,
with NEEDS_CREDENTIALS and ADDITIONAL_ACTION_NEEDED as the loops that wait for
people, and REJECTED, UNSUPPORTED_JURISDICTION, NO_ATTORNEY_USER, EXPIRED and
CANCELLED as the other endings.

Signals and updates only queue an action; the main loop applies actions one at
a time, so activities never run concurrently for one activation.
"""

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import steps
from workflows.inputs import NO_INPUT, InvalidInput, decode_input, received_text

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from court_notices import activity_models as am
    from court_notices.lifecycle import Action, describe, rejection_for
    from court_notices.messages import (
        TERMINAL_STATUSES,
        WAITING_STATUSES,
        ActivationRequest,
        ActivationSnapshot,
        ActivationStatus,
        AdditionalActionCompletion,
        AdditionalActionRequest,
        CancelRequest,
        CourtConfirmation,
        CourtRejection,
        CredentialChange,
        RejectedInput,
        Transition,
    )
    from court_notices.search_attributes import ACTIVATION_STATUS, COURT_ID, FIRM_ID

S = ActivationStatus

DEFAULT_REMINDER_INTERVAL = timedelta(days=3)
DEFAULT_EXPIRY = timedelta(days=45)
SYSTEM_ACTOR = "court-notices"

# The step that additional_action_completed leads to, chosen by the reason the
# workflow waits.
CompletionStep = Literal["pending", "resubmit", "verify"]


@dataclass
class QueuedAction:
    action: Action
    payload: BaseModel
    is_update: bool
    done: bool = False
    error: str | None = None


@dataclass
class _Waiting:
    on_completion: CompletionStep = "pending"
    instructions: str | None = None
    needs_free_look_acknowledgement: bool = False
    queue: deque[QueuedAction] = field(default_factory=deque)


@workflow.defn
class JurisdictionActivationWorkflow:
    @workflow.init
    def __init__(self, request: ActivationRequest) -> None:
        self._request = request
        self._status = S.VALIDATING
        self._status_since = workflow.now()
        self._credential_id = request.credential_id
        self._rejected_credentials: set[str] = set()
        self._address: str | None = None
        self._evidence: str | None = None
        self._transitions: list[Transition] = []
        self._rejected: list[RejectedInput] = []
        self._reminder_interval = request.reminder_interval or DEFAULT_REMINDER_INTERVAL
        self._expires_at = workflow.now() + (request.expire_after or DEFAULT_EXPIRY)
        self._next_reminder_at: datetime | None = None
        self._reminders_sent = 0
        self._waiting = _Waiting()

    @workflow.run
    async def run(self, request: ActivationRequest) -> ActivationSnapshot:
        workflow.upsert_search_attributes(
            [
                COURT_ID.value_set(request.court_id),
                FIRM_ID.value_set(request.firm_id),
            ]
        )
        await self._enter(
            S.VALIDATING,
            actor=request.requested_by,
            reason="Activation requested.",
        )
        await self._validate()

        while self._status not in TERMINAL_STATUSES:
            await self._wait_for_next_event()

        # Actions queued behind the one that ended the activation are rejected,
        # so no update waits forever.
        while self._waiting.queue:
            await self._apply(self._waiting.queue.popleft())
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._snapshot()

    # Queries

    @workflow.query(description="Current status, transitions and rejected inputs.")
    def status(self) -> ActivationSnapshot:
        return self._snapshot()

    # Signals, usable from the Web UI's "Send a Signal" dialog

    @workflow.signal(
        description='The court confirmed the noticing address. JSON: {"actor": '
        '"your name", "evidence": "notice id or ticket (optional)"}'
    )
    def court_confirmed(self, input: RawValue = NO_INPUT) -> None:
        self._queue_signal(Action.COURT_CONFIRMED, input, CourtConfirmation)

    @workflow.signal(
        description='The court rejected the address. JSON: {"actor": '
        '"your name", "reason": "what the court said"}'
    )
    def court_rejected(self, input: RawValue = NO_INPUT) -> None:
        self._queue_signal(Action.COURT_REJECTED, input, CourtRejection)

    @workflow.signal(
        description="The court asked for another step. JSON: "
        '{"actor": "your name", "instructions": "what must be done"}'
    )
    def additional_action_required(self, input: RawValue = NO_INPUT) -> None:
        self._queue_signal(
            Action.ADDITIONAL_ACTION_REQUIRED, input, AdditionalActionRequest
        )

    @workflow.signal(
        description="The extra step is done. JSON: "
        '{"actor": "your name", "note": "optional"}; add '
        '"free_look_acknowledged": true when asked to acknowledge free-look use'
    )
    def additional_action_completed(self, input: RawValue = NO_INPUT) -> None:
        self._queue_signal(
            Action.ADDITIONAL_ACTION_COMPLETED, input, AdditionalActionCompletion
        )

    @workflow.signal(
        description='Stop the activation and release its address. JSON: {"actor": '
        '"your name", "reason": "why"}'
    )
    def cancel(self, input: RawValue = NO_INPUT) -> None:
        self._queue_signal(Action.CANCEL, input, CancelRequest)

    # Updates: the same actions with a synchronous result, validated before
    # they are accepted.

    @workflow.update(
        description="Verify a new stored credential. JSON: "
        '{"actor": "your name", "credential_id": "id from credentials add"}'
    )
    async def modify_credentials(
        self, input: RawValue = NO_INPUT
    ) -> ActivationSnapshot:
        return await self._run_update(Action.MODIFY_CREDENTIALS, input)

    @modify_credentials.validator
    def validate_modify_credentials(self, input: RawValue = NO_INPUT) -> None:
        self._validate_update(Action.MODIFY_CREDENTIALS, input)

    @workflow.update(
        description="Same as the court_confirmed signal, and returns the new status."
    )
    async def confirm_activation(
        self, input: RawValue = NO_INPUT
    ) -> ActivationSnapshot:
        return await self._run_update(Action.COURT_CONFIRMED, input)

    @confirm_activation.validator
    def validate_confirm_activation(self, input: RawValue = NO_INPUT) -> None:
        self._validate_update(Action.COURT_CONFIRMED, input)

    @workflow.update(
        description="Same as the court_rejected signal, and returns the new status."
    )
    async def reject_activation(self, input: RawValue = NO_INPUT) -> ActivationSnapshot:
        return await self._run_update(Action.COURT_REJECTED, input)

    @reject_activation.validator
    def validate_reject_activation(self, input: RawValue = NO_INPUT) -> None:
        self._validate_update(Action.COURT_REJECTED, input)

    @workflow.update(
        description="Same as the additional_action_required signal, and "
        "returns the new status."
    )
    async def require_additional_action(
        self, input: RawValue = NO_INPUT
    ) -> ActivationSnapshot:
        return await self._run_update(Action.ADDITIONAL_ACTION_REQUIRED, input)

    @require_additional_action.validator
    def validate_require_additional_action(self, input: RawValue = NO_INPUT) -> None:
        self._validate_update(Action.ADDITIONAL_ACTION_REQUIRED, input)

    @workflow.update(
        description="Same as the additional_action_completed signal, and "
        "returns the new status."
    )
    async def complete_additional_action(
        self, input: RawValue = NO_INPUT
    ) -> ActivationSnapshot:
        return await self._run_update(Action.ADDITIONAL_ACTION_COMPLETED, input)

    @complete_additional_action.validator
    def validate_complete_additional_action(self, input: RawValue = NO_INPUT) -> None:
        self._validate_update(Action.ADDITIONAL_ACTION_COMPLETED, input)

    @workflow.update(
        description="Same as the cancel signal, and returns the new status."
    )
    async def cancel_activation(self, input: RawValue = NO_INPUT) -> ActivationSnapshot:
        return await self._run_update(Action.CANCEL, input)

    @cancel_activation.validator
    def validate_cancel_activation(self, input: RawValue = NO_INPUT) -> None:
        self._validate_update(Action.CANCEL, input)

    # Handler plumbing

    def _queue_signal(
        self, action: Action, raw: RawValue, model: type[BaseModel]
    ) -> None:
        try:
            payload = decode_input(raw, model)
        except InvalidInput as error:
            self.record_rejection(action, str(error), received_text(raw))
            return
        self._waiting.queue.append(QueuedAction(action, payload, is_update=False))

    def _validate_update(self, action: Action, raw: RawValue) -> None:
        payload = decode_input(raw, INPUT_MODELS[action])
        error = rejection_for(action, self._status)
        if error:
            raise InvalidInput(error)
        if (
            isinstance(payload, CredentialChange)
            and payload.credential_id in self._rejected_credentials
        ):
            # PACER locks accounts after repeated failures, so a password it
            # rejected is never sent again.
            raise InvalidInput(
                f"PACER already rejected credential {payload.credential_id}. Store "
                "the correct login as a new credential and send its id."
            )

    async def _run_update(self, action: Action, raw: RawValue) -> ActivationSnapshot:
        queued = QueuedAction(
            action, decode_input(raw, INPUT_MODELS[action]), is_update=True
        )
        self._waiting.queue.append(queued)
        await workflow.wait_condition(lambda: queued.done)
        if queued.error:
            raise ApplicationError(queued.error, type="ActionRejected")
        return self._snapshot()

    def record_rejection(self, handler: str, error: str, received: str) -> None:
        """Keep rejected input for the status query and the current details.

        SingleArgumentInterceptor calls this too, for signals sent with
        several inputs.
        """
        workflow.logger.warning(
            "Rejected %s input for %s: %s", handler, workflow.info().workflow_id, error
        )
        self._rejected.append(
            RejectedInput(
                at=workflow.now(), handler=handler, error=error, received=received
            )
        )
        workflow.set_current_details(describe(self._snapshot()))

    # Lifecycle steps

    async def _validate(self) -> None:
        result = await steps.validate(self._request)
        outcome = am.ValidationOutcome(result.outcome)
        if outcome is am.ValidationOutcome.VALID:
            await self._verify_and_submit(actor=SYSTEM_ACTOR)
        elif outcome is am.ValidationOutcome.UNSUPPORTED_JURISDICTION:
            await self._enter(S.UNSUPPORTED_JURISDICTION, reason=result.reason)
        elif outcome is am.ValidationOutcome.NO_ATTORNEY_USER:
            await self._enter(S.NO_ATTORNEY_USER, reason=result.reason)
        elif outcome is am.ValidationOutcome.MISSING_CREDENTIAL:
            await self._enter(S.NEEDS_CREDENTIALS, reason=result.reason)
        else:
            self._waiting.needs_free_look_acknowledgement = True
            await self._wait_for_action(result.reason, on_completion="verify")

    async def _verify_and_submit(self, *, actor: str) -> None:
        await self._enter(
            S.VERIFYING_CREDENTIALS,
            actor=actor,
            reason=f"Verifying credential {self._credential_id} with PACER.",
        )
        try:
            verification = await steps.verify(self._request, self._credential_id)
        except ActivityError as error:
            if steps.error_type(error) in steps.PACER_REJECTIONS:
                self._rejected_credentials.add(self._credential_id)
            await self._enter(S.NEEDS_CREDENTIALS, reason=steps.failure_reason(error))
            return

        reason = "PACER accepted the CM/ECF login."
        if verification.warning:
            reason += f" PACER noted: {verification.warning}"
        if self._address is None:
            self._address = await steps.provision_address(self._request)
        await self._submit(reason)

    async def _submit(self, reason: str) -> None:
        assert self._address is not None
        await self._enter(S.SUBMITTING, reason=reason)
        try:
            result = await steps.submit(
                self._request, self._credential_id, self._address
            )
        except ActivityError as error:
            if steps.error_type(error) in steps.CREDENTIAL_ERRORS:
                await self._enter(
                    S.NEEDS_CREDENTIALS, reason=steps.failure_reason(error)
                )
            else:
                await self._wait_for_action(
                    steps.submission_instructions(error, self._address),
                    on_completion="resubmit",
                )
            return

        if result.outcome == am.SubmissionOutcome.COURT_CONTACT_REQUIRED:
            await self._wait_for_action(
                result.instructions or "Ask the court to add the address.",
                on_completion="pending",
            )
        else:
            await self._enter(
                S.PENDING_ACTIVATION,
                reason=f"{self._address} added to the CM/ECF account as a "
                "secondary noticing email.",
            )

    async def _wait_for_action(
        self, instructions: str, *, on_completion: CompletionStep, actor: str = ""
    ) -> None:
        self._waiting.instructions = instructions
        self._waiting.on_completion = on_completion
        await self._enter(
            S.ADDITIONAL_ACTION_NEEDED,
            actor=actor or SYSTEM_ACTOR,
            reason=instructions,
        )

    async def _wait_for_next_event(self) -> None:
        timeout = self._time_to_next_timer()
        try:
            await workflow.wait_condition(
                lambda: bool(self._waiting.queue),
                timeout=timeout,
                timeout_summary="reminder or expiry",
            )
        except TimeoutError:
            await self._on_timer()
            return
        await self._apply(self._waiting.queue.popleft())

    def _time_to_next_timer(self) -> timedelta:
        moments = [self._expires_at]
        if self._next_reminder_at is not None:
            moments.append(self._next_reminder_at)
        # A zero timeout would skip the timer, so the minimum is one second.
        return max(min(moments) - workflow.now(), timedelta(seconds=1))

    async def _on_timer(self) -> None:
        now = workflow.now()
        if now >= self._expires_at:
            await self._release_address()
            await self._enter(
                S.EXPIRED,
                reason=f"No activation within the limit; expired after waiting "
                f"in {self._status} since {self._status_since:%Y-%m-%d}.",
            )
            return

        if self._next_reminder_at is not None and now >= self._next_reminder_at:
            self._reminders_sent += 1
            self._next_reminder_at = now + self._reminder_interval
            workflow.set_current_details(describe(self._snapshot()))
            await steps.record_reminder(
                self._request, self._snapshot(), self._reminders_sent
            )

    async def _apply(self, queued: QueuedAction) -> None:
        error = rejection_for(queued.action, self._status)
        if error is None:
            error = await self._perform(queued.action, queued.payload)
        if error:
            queued.error = error
            if not queued.is_update:
                received = queued.payload.model_dump_json()
                self.record_rejection(queued.action, error, received)
        queued.done = True

    async def _perform(self, action: Action, payload: BaseModel) -> str | None:
        """Apply an action the current status accepts. Return the reason if it fails."""
        actor = getattr(payload, "actor", SYSTEM_ACTOR)
        if isinstance(payload, CourtConfirmation):
            self._evidence = payload.evidence
            evidence = f" Evidence: {payload.evidence}." if payload.evidence else ""
            await self._enter(
                S.ACTIVE, actor=actor, reason=f"The court confirmed.{evidence}"
            )
        elif isinstance(payload, CourtRejection):
            await self._release_address()
            await self._enter(S.REJECTED, actor=actor, reason=payload.reason)
        elif isinstance(payload, AdditionalActionRequest):
            await self._wait_for_action(
                payload.instructions, on_completion="pending", actor=actor
            )
        elif isinstance(payload, AdditionalActionCompletion):
            return await self._complete_action(payload)
        elif isinstance(payload, CancelRequest):
            await self._release_address()
            await self._enter(S.CANCELLED, actor=actor, reason=payload.reason)
        elif isinstance(payload, CredentialChange):
            self._credential_id = payload.credential_id
            await self._verify_and_submit(actor=actor)
        return None

    async def _complete_action(self, payload: AdditionalActionCompletion) -> str | None:
        if self._waiting.needs_free_look_acknowledgement:
            if not payload.free_look_acknowledged:
                return (
                    "This court gives one free look per CM/ECF account, so the "
                    'requester must acknowledge it: send "free_look_acknowledged": '
                    "true with additional_action_completed."
                )
            self._waiting.needs_free_look_acknowledgement = False

        note = f" {payload.note}" if payload.note else ""
        step = self._waiting.on_completion
        self._waiting.instructions = None
        if step == "verify":
            await self._verify_and_submit(actor=payload.actor)
        elif step == "resubmit":
            await self._submit(f"Additional action completed.{note}")
        else:
            await self._enter(
                S.PENDING_ACTIVATION,
                actor=payload.actor,
                reason=f"Additional action completed.{note}",
            )
        return None

    async def _release_address(self) -> None:
        if self._address is not None:
            await steps.release_address(
                self._request, self._credential_id, self._address
            )

    async def _enter(
        self, status: ActivationStatus, *, reason: str, actor: str = SYSTEM_ACTOR
    ) -> None:
        """Move to ``status`` and record it in the search attribute, the current
        details, the transition list and the database."""
        now = workflow.now()
        transition = Transition(
            at=now,
            from_status=self._status if self._transitions else None,
            to_status=status,
            actor=actor,
            reason=reason,
        )
        workflow.logger.info(
            "Activation %s: %s -> %s by %s",
            workflow.info().workflow_id,
            transition.from_status,
            status,
            actor,
        )
        self._status = status
        self._status_since = now
        self._transitions.append(transition)
        if status is not S.ADDITIONAL_ACTION_NEEDED:
            self._waiting.instructions = None
        self._next_reminder_at = (
            now + self._reminder_interval if status in WAITING_STATUSES else None
        )

        details = describe(self._snapshot())
        workflow.upsert_search_attributes([ACTIVATION_STATUS.value_set(status)])
        workflow.set_current_details(details)
        await steps.record_transition(
            am.TransitionRecord(
                workflow_id=workflow.info().workflow_id,
                run_id=workflow.info().run_id,
                firm_id=self._request.firm_id,
                attorney_id=self._request.attorney_id,
                court_id=self._request.court_id,
                credential_id=self._credential_id,
                sequence=len(self._transitions),
                transition=transition,
                details=details,
                noticing_address=self._address,
            ),
        )

    def _snapshot(self) -> ActivationSnapshot:
        snapshot = ActivationSnapshot(
            workflow_id=workflow.info().workflow_id,
            firm_id=self._request.firm_id,
            attorney_id=self._request.attorney_id,
            court_id=self._request.court_id,
            status=self._status,
            status_since=self._status_since,
            details="",
            credential_id=self._credential_id,
            noticing_address=self._address,
            instructions=self._waiting.instructions,
            evidence=self._evidence,
            next_reminder_at=self._next_reminder_at,
            expires_at=self._expires_at,
            reminders_sent=self._reminders_sent,
            transitions=list(self._transitions),
            rejected_inputs=list(self._rejected),
        )
        snapshot.details = describe(snapshot)
        return snapshot


INPUT_MODELS: dict[Action, type[BaseModel]] = {
    Action.COURT_CONFIRMED: CourtConfirmation,
    Action.COURT_REJECTED: CourtRejection,
    Action.ADDITIONAL_ACTION_REQUIRED: AdditionalActionRequest,
    Action.ADDITIONAL_ACTION_COMPLETED: AdditionalActionCompletion,
    Action.CANCEL: CancelRequest,
    Action.MODIFY_CREDENTIALS: CredentialChange,
}
