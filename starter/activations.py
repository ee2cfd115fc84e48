"""Starting, reading and steering activations through Temporal."""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from court_notices.catalog import get_court
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
from court_notices.search_attributes import ACTIVATION_STATUS, COURT_ID, FIRM_ID
from starter.records import InputError, RecordStore, check_id
from workflows.activation import JurisdictionActivationWorkflow

__all__ = ["SIGNAL_INPUTS", "UPDATE_INPUTS", "ActivationClient", "StartResult"]

SIGNAL_INPUTS: dict[str, type[BaseModel]] = {
    "court_confirmed": CourtConfirmation,
    "court_rejected": CourtRejection,
    "additional_action_required": AdditionalActionRequest,
    "additional_action_completed": AdditionalActionCompletion,
    "cancel": CancelRequest,
}

UPDATE_INPUTS: dict[str, type[BaseModel]] = {
    "modify_credentials": CredentialChange,
    "confirm_activation": CourtConfirmation,
    "reject_activation": CourtRejection,
    "require_additional_action": AdditionalActionRequest,
    "complete_additional_action": AdditionalActionCompletion,
    "cancel_activation": CancelRequest,
}


@dataclass(frozen=True)
class StartResult:
    workflow_id: str
    run_id: str | None
    # False when an activation with this id was already running (or had
    # already ended and no re-activation was asked for): nothing new started.
    started: bool
    message: str


@dataclass(frozen=True)
class ActivationListing:
    workflow_id: str
    run_id: str
    status: str | None
    court_id: str | None
    firm_id: str | None
    start_time: datetime
    execution_status: str


class ActivationClient:
    def __init__(
        self,
        client: Client,
        records: RecordStore,
        *,
        task_queue: str,
        reminder_interval: timedelta | None = None,
        activation_expiry: timedelta | None = None,
    ) -> None:
        self._client = client
        self._records = records
        self._task_queue = task_queue
        # Used for requests that leave these unset; None keeps the workflow's
        # own defaults.
        self._timing = {
            "reminder_interval": reminder_interval,
            "expire_after": activation_expiry,
        }

    async def start(
        self, request: ActivationRequest, *, reactivate: bool = False
    ) -> StartResult:
        """Start an activation. Starting the same one twice yields one run.

        A running activation is returned as it is. One that has ended is left
        alone unless ``reactivate`` is set, for example after a password
        change. Then a new run starts under the same id, and auditors see both.
        """
        court_id = self._records.check_activation_input(
            firm_id=request.firm_id,
            attorney_id=request.attorney_id,
            court_id=request.court_id,
            credential_id=request.credential_id,
        )
        updates: dict[str, Any] = {"court_id": court_id}
        for name, default in self._timing.items():
            if getattr(request, name) is None and default is not None:
                updates[name] = default
        request = request.model_copy(update=updates)

        existing = await self._describe(request.workflow_id)
        if existing is not None and existing.status == WorkflowExecutionStatus.RUNNING:
            return StartResult(
                request.workflow_id, existing.run_id, False, "Already running."
            )
        if existing is not None and not reactivate:
            return _ended_result(request.workflow_id, existing)

        reuse = (
            WorkflowIDReusePolicy.ALLOW_DUPLICATE
            if reactivate
            else WorkflowIDReusePolicy.REJECT_DUPLICATE
        )
        try:
            handle = await self._client.start_workflow(
                JurisdictionActivationWorkflow.run,
                request,
                id=request.workflow_id,
                task_queue=self._task_queue,
                id_reuse_policy=reuse,
                # Two concurrent starts of one activation share one run.
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(COURT_ID, court_id),
                        SearchAttributePair(FIRM_ID, request.firm_id),
                        SearchAttributePair(
                            ACTIVATION_STATUS, ActivationStatus.VALIDATING.value
                        ),
                    ]
                ),
                static_summary=_summary(request),
                static_details=_details(request),
            )
        except WorkflowAlreadyStartedError:
            ended = await self._describe(request.workflow_id)
            assert ended is not None
            return _ended_result(request.workflow_id, ended)
        return StartResult(handle.id, handle.result_run_id, True, "Started.")

    async def _describe(self, workflow_id: str) -> WorkflowExecutionDescription | None:
        try:
            return await self.handle(workflow_id).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise

    def handle(self, workflow_id: str) -> WorkflowHandle[Any, ActivationSnapshot]:
        return self._client.get_workflow_handle_for(
            JurisdictionActivationWorkflow.run, workflow_id
        )

    async def result(self, workflow_id: str) -> ActivationSnapshot:
        """Wait for the activation's current run to end and return its snapshot."""
        return await self.handle(workflow_id).result()

    async def status(self, workflow_id: str) -> ActivationSnapshot:
        return await self.handle(workflow_id).query(
            JurisdictionActivationWorkflow.status
        )

    async def signal(self, workflow_id: str, name: str, payload: BaseModel) -> None:
        _check_input(name, payload, SIGNAL_INPUTS, "signal")
        await self.handle(workflow_id).signal(name, payload)

    async def update(
        self, workflow_id: str, name: str, payload: BaseModel
    ) -> ActivationSnapshot:
        _check_input(name, payload, UPDATE_INPUTS, "update")
        return await self.handle(workflow_id).execute_update(
            name, payload, result_type=ActivationSnapshot
        )

    async def list(
        self,
        *,
        status: ActivationStatus | None = None,
        court_id: str | None = None,
        firm_id: str | None = None,
        limit: int = 200,
    ) -> list[ActivationListing]:
        clauses = ["WorkflowType = 'JurisdictionActivationWorkflow'"]
        if status:
            clauses.append(f"ActivationStatus = '{ActivationStatus(status)}'")
        if court_id:
            clauses.append(f"CourtId = '{get_court(court_id).court_id}'")
        if firm_id:
            clauses.append(f"FirmId = '{check_id('firm', firm_id)}'")

        # Visibility lists every run; keep the newest run of each activation.
        latest: dict[str, ActivationListing] = {}
        async for execution in self._client.list_workflows(
            " AND ".join(clauses), limit=limit
        ):
            attributes = execution.typed_search_attributes
            known = latest.get(execution.id)
            if known is not None and known.start_time >= execution.start_time:
                continue
            latest[execution.id] = ActivationListing(
                workflow_id=execution.id,
                run_id=execution.run_id,
                status=attributes.get(ACTIVATION_STATUS),
                court_id=attributes.get(COURT_ID),
                firm_id=attributes.get(FIRM_ID),
                start_time=execution.start_time,
                execution_status=(
                    execution.status or WorkflowExecutionStatus.RUNNING
                ).name,
            )
        return sorted(latest.values(), key=lambda item: item.start_time)

    async def wait_for_status(
        self,
        workflow_id: str,
        statuses: set[ActivationStatus],
        *,
        timeout: float = 60.0,
        poll_interval: float = 0.2,
    ) -> ActivationSnapshot:
        """Poll the status query until the activation reaches one of ``statuses``."""
        async with asyncio.timeout(timeout):
            while True:
                try:
                    snapshot = await self.status(workflow_id)
                except RPCError:
                    snapshot = None
                if snapshot is not None and snapshot.status in statuses:
                    return snapshot
                await asyncio.sleep(poll_interval)


def _check_input(
    name: str,
    payload: BaseModel,
    inputs: dict[str, type[BaseModel]],
    kind: str,
) -> None:
    expected = inputs.get(name)
    if expected is None:
        raise InputError(
            f"Unknown {kind} {name!r}; use one of {', '.join(sorted(inputs))}."
        )
    if not isinstance(payload, expected):
        raise InputError(f"The {kind} {name} takes {expected.__name__} input.")


def _ended_result(workflow_id: str, ended: WorkflowExecutionDescription) -> StartResult:
    status = ended.status.name if ended.status else "UNKNOWN"
    return StartResult(
        workflow_id,
        ended.run_id,
        False,
        f"{workflow_id} already ended ({status}); pass --reactivate to start a new "
        "run under the same id.",
    )


def _summary(request: ActivationRequest) -> str:
    return f"CM/ECF activation: {request.attorney_id} ({request.firm_id}) at " + (
        request.court_id
    )


def _details(request: ActivationRequest) -> str:
    court = get_court(request.court_id)
    return (
        f"**Firm:** {request.firm_id}\n\n"
        f"**Attorney:** {request.attorney_id}\n\n"
        f"**Court:** {court.full_name} ({court.court_id}), "
        f"{court.activation_mode.replace('_', ' ')}\n\n"
        f"**Requested by:** {request.requested_by}"
    )
