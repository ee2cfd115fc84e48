"""Audit tools for recorded workflow histories: export, replay and timeline.

Replay runs a history against the current workflow code and reports, per file,
whether the code still produces the recorded commands. The timeline turns a
history into rows for support staff: who started the workflow, every status
transition, signal, update, activity outcome and timer, all in UTC.

Only a few known input fields are printed, and text that looks like a
``password=...`` or ``"token": ...`` pair is masked, so secrets that reached a
history by mistake stay out of the output.
"""

import csv
import io
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import temporalio.workflow
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType, RetryState, WorkflowTaskFailedCause
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Interceptor, Replayer
from temporalio.workflow import NondeterminismError

from court_notices.activity_models import RECORD_TRANSITION, TransitionRecord
from worker import INTERCEPTORS, WORKFLOWS

__all__ = [
    "HistoryFileError",
    "ReplayProblem",
    "ReplayReport",
    "TimelineEvent",
    "collect_history_files",
    "describe_report",
    "export_history",
    "fetch_history",
    "load_history_file",
    "replay_histories",
    "timeline",
    "timeline_csv",
    "timeline_json",
    "timeline_text",
]


# Export


async def fetch_history(
    client: Client, workflow_id: str, run_id: str | None = None
) -> WorkflowHistory:
    """Fetch the full history of a run, the latest run if ``run_id`` is None."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    return await handle.fetch_history()


async def export_history(
    client: Client, workflow_id: str, run_id: str | None = None
) -> str:
    """Fetch a run's history as JSON, which ``load_history_file`` reads back."""
    history = await fetch_history(client, workflow_id, run_id)
    return history.to_json()


# Loading history files


class HistoryFileError(ValueError):
    """A file that cannot be read as a workflow history."""


def load_history_file(path: Path) -> WorkflowHistory:
    """Read a history JSON file, or raise HistoryFileError naming the problem.

    The replayer's core panics on a history whose first event is not
    WorkflowExecutionStarted, so this checks that before anything replays it.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise HistoryFileError(f"could not read the file ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise HistoryFileError(
            f"invalid JSON at line {error.lineno} column {error.colno} "
            f"({error.msg}); the file may be cut short"
        ) from None
    try:
        history = WorkflowHistory.from_json(path.stem, data)
    except (ValueError, TypeError, AttributeError) as error:
        raise HistoryFileError(f"not a workflow history ({error})") from None

    if not history.events:
        raise HistoryFileError("not a workflow history (it contains no events)")
    first = history.events[0]
    if not first.HasField("workflow_execution_started_event_attributes"):
        raise HistoryFileError(
            "not a complete workflow history (the first event is "
            f"{_event_type_label(first)}, not WorkflowExecutionStarted)"
        )
    started = first.workflow_execution_started_event_attributes
    if not started.original_execution_run_id:
        raise HistoryFileError("the WorkflowExecutionStarted event has no run id")
    if started.workflow_id:
        history = WorkflowHistory(started.workflow_id, history.events)
    return history


def collect_history_files(paths: Iterable[Path]) -> list[Path]:
    """Expand each folder to its sorted ``*.json`` files and keep other paths as is."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.json")))
        else:
            files.append(path)
    return files


# Replay


class ReplayProblem(StrEnum):
    NON_DETERMINISTIC = "non-deterministic"
    # Unreadable file, cut JSON, or JSON that is not a history.
    INVALID = "invalid"
    # A history of a workflow type that the replayed code does not define.
    FOREIGN = "foreign"
    # Replay failed for another reason, such as an exception in workflow code.
    FAILED = "failed"


@dataclass(frozen=True)
class ReplayReport:
    """Outcome of replaying one history file."""

    path: Path
    workflow_id: str | None
    ok: bool
    # The history event the workflow code disagreed with, when the SDK names it.
    event_id: int | None
    cause: str
    problem: ReplayProblem | None = None


def describe_report(report: ReplayReport) -> str:
    """Format a report as one line for the terminal."""
    if report.ok:
        return f"ok {report.path}"
    if report.problem is ReplayProblem.NON_DETERMINISTIC:
        where = f"event {report.event_id}" if report.event_id else "(event unknown)"
        return f"NON-DETERMINISTIC {report.workflow_id} {where}: {report.cause}"
    if report.problem is ReplayProblem.FAILED:
        return f"FAILED {report.workflow_id} ({report.path}): {report.cause}"
    return f"INVALID {report.path}: {report.cause}"


async def replay_histories(
    paths: Sequence[Path],
    *,
    data_converter: DataConverter,
    workflows: Sequence[type] | None = None,
    interceptors: Sequence[Interceptor] | None = None,
) -> list[ReplayReport]:
    """Replay each history file against the workflow code, one report per file.

    ``workflows`` and ``interceptors`` default to the worker's, so the replay
    matches what production runs.
    """
    workflow_classes = list(WORKFLOWS if workflows is None else workflows)
    known_types = _workflow_type_names(workflow_classes)
    with ThreadPoolExecutor() as executor:
        replayer = Replayer(
            workflows=workflow_classes,
            interceptors=list(INTERCEPTORS if interceptors is None else interceptors),
            data_converter=data_converter,
            workflow_task_executor=executor,
        )
        return [await _replay_file(replayer, path, known_types) for path in paths]


def _workflow_type_names(workflows: Sequence[type]) -> set[str] | None:
    """Return the registered workflow type names, or None if one is dynamic."""
    names: set[str] = set()
    for cls in workflows:
        # NOTE: _Definition is private SDK API (temporalio 1.35), but it is the
        # only way to read the name that @workflow.defn(name=...) registered.
        name = temporalio.workflow._Definition.must_from_class(cls).name
        if name is None:
            return None
        names.add(name)
    return names


async def _replay_file(
    replayer: Replayer, path: Path, known_types: set[str] | None
) -> ReplayReport:
    try:
        history = load_history_file(path)
    except HistoryFileError as error:
        return ReplayReport(path, None, False, None, str(error), ReplayProblem.INVALID)

    workflow_type = history.events[0].workflow_execution_started_event_attributes
    type_name = workflow_type.workflow_type.name
    if known_types is not None and type_name not in known_types:
        cause = (
            f"foreign history: workflow type {type_name!r} is not defined here "
            f"(known types: {', '.join(sorted(known_types))})"
        )
        return ReplayReport(
            path, history.workflow_id, False, None, cause, ReplayProblem.FOREIGN
        )

    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    failure = result.replay_failure
    if failure is None:
        return ReplayReport(path, history.workflow_id, True, None, "")
    problem = (
        ReplayProblem.NON_DETERMINISTIC
        if isinstance(failure, NondeterminismError)
        else ReplayProblem.FAILED
    )
    cause, event_id = parse_replay_failure(str(failure))
    return ReplayReport(path, history.workflow_id, False, event_id, cause, problem)


# The core SDK wraps the reason in a Rust debug dump, such as: Failure { failure:
# Some(Failure { message: "[TMPRL1100] Nondeterminism error: Timer machine does
# not handle this event: HistoryEvent(id: 5, UpsertWorkflowSearchAttributes)", ...
_CORE_MESSAGE = re.compile(r'message: "(?P<text>(?:[^"\\]|\\.)*)"')
_ERROR_CODE = re.compile(r"^\[TMPRL\d+\]\s*(Nondeterminism error:\s*)?")
_EVENT_ID_PATTERNS = (
    re.compile(r"HistoryEvent\(id: (\d+)"),
    re.compile(r"\bevent(?: id)? (\d+)\b", re.IGNORECASE),
)


def parse_replay_failure(message: str) -> tuple[str, int | None]:
    """Return the readable cause in a replay failure and its event id, if named.

    The patterns match the messages of temporalio 1.35. When a message does not
    match, the whole message is the cause and the event id is None.
    """
    match = _CORE_MESSAGE.search(message)
    cause = match.group("text").replace('\\"', '"') if match else message
    cause = _ERROR_CODE.sub("", cause).strip()
    for pattern in _EVENT_ID_PATTERNS:
        event_match = pattern.search(cause)
        if event_match:
            return cause, int(event_match.group(1))
    return cause, None


# Timeline


@dataclass(frozen=True)
class TimelineEvent:
    """One row of a workflow's audit timeline."""

    at: datetime
    # workflow, transition, signal, signal sent, update, activity, timer or
    # workflow task.
    kind: str
    name: str
    # The person or service that the input names as acting.
    actor: str | None
    # The client or worker identity that Temporal recorded for the event.
    identity: str | None
    detail: str
    event_id: int | None = None


TIMELINE_FIELDS = ["at", "event_id", "kind", "name", "actor", "identity", "detail"]

# Input fields whose values the timeline shows. Other fields appear by name
# only, so an unexpected secret in a signal stays out of the output.
_SHOWN_FIELDS = (
    "evidence",
    "reason",
    "instructions",
    "note",
    "credential_id",
    "free_look_acknowledged",
)
_SECRET_PAIR = re.compile(
    r"(?P<key>\b\w*(?:password|passwd|secret|token|totp)\w*\b[\"']?\s*[:=]\s*)"
    r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;}]+)",
    re.IGNORECASE,
)
_JSON_ENCODING = b"json/plain"


def mask_secrets(text: str) -> str:
    """Replace the value of every ``password: value``-like pair with ***."""
    return _SECRET_PAIR.sub(lambda match: match.group("key") + "***", text)


async def timeline(
    history: WorkflowHistory, *, data_converter: DataConverter
) -> list[TimelineEvent]:
    """Build the audit timeline of a history, one row per relevant event.

    Async because payloads go through the converter's payload codec, if any.
    """
    builder = _TimelineBuilder(data_converter)
    for event in history.events:
        await builder.add(event)
    return builder.rows


_Handler = Callable[["_TimelineBuilder", HistoryEvent], Awaitable[None]]


@dataclass
class _ScheduledActivity:
    name: str
    attempt: int = 1
    last_failure: str | None = None


@dataclass
class _AcceptedUpdate:
    name: str
    actor: str | None
    identity: str | None


@dataclass
class _TimelineBuilder:
    converter: DataConverter
    rows: list[TimelineEvent] = field(default_factory=list)
    activities: dict[int, _ScheduledActivity] = field(default_factory=dict)
    updates: dict[str, _AcceptedUpdate] = field(default_factory=dict)

    async def add(self, event: HistoryEvent) -> None:
        handler = _HANDLERS.get(event.event_type)
        if handler is not None:
            await handler(self, event)

    def emit(
        self,
        event: HistoryEvent,
        kind: str,
        name: str,
        detail: str,
        *,
        actor: str | None = None,
        identity: str | None = None,
    ) -> None:
        self.rows.append(
            TimelineEvent(
                at=event.event_time.ToDatetime(tzinfo=UTC),
                kind=kind,
                name=name,
                actor=actor,
                identity=identity or None,
                detail=mask_secrets(detail),
                event_id=event.event_id,
            )
        )

    # Payload decoding

    async def decode_payloads(self, payloads: Payloads) -> list[Payload]:
        items = list(payloads.payloads)
        if self.converter.payload_codec is not None and items:
            items = await self.converter.payload_codec.decode(items)
        return items

    async def failure_message(self, failure: Failure) -> str:
        if not failure.ByteSize():
            return "no failure details"
        try:
            error = await self.converter.decode_failure(failure)
        except ValueError as decode_error:
            # Payload codec errors, such as a missing payload key, land here.
            return f"{failure.message} (details could not be decoded: {decode_error})"
        return str(error) or type(error).__name__

    async def json_object(self, payloads: Payloads) -> tuple[dict[str, Any], str]:
        """Decode a handler's single JSON object input.

        Returns the object, empty if there is none, and a description of what
        was wrong with the input, empty if nothing was.
        """
        try:
            items = await self.decode_payloads(payloads)
        except ValueError as error:
            return {}, f"input could not be decoded ({error})"
        if not items:
            return {}, "no input was sent"
        extra = f"; {len(items)} inputs were sent" if len(items) > 1 else ""
        payload = items[0]
        encoding = payload.metadata.get("encoding", b"")
        if encoding == b"binary/null":
            return {}, f"the input is null{extra}"
        if encoding != _JSON_ENCODING:
            label = encoding.decode(errors="replace") or "none"
            return {}, f"malformed input: encoding {label} is not JSON{extra}"
        try:
            value = json.loads(payload.data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}, f"malformed input: not valid JSON{extra}"
        if not isinstance(value, dict):
            kind = type(value).__name__
            return {}, f"malformed input: a JSON {kind}, not an object{extra}"
        return value, extra.removeprefix("; ")


def _actor_of(value: dict[str, Any]) -> str | None:
    actor = value.get("actor")
    return actor if isinstance(actor, str) and actor else None


def _describe_input(value: dict[str, Any], problem: str) -> str:
    """Summarize a handler input: the known fields, then the names of others."""
    parts = []
    for name in _SHOWN_FIELDS:
        if value.get(name) not in (None, ""):
            parts.append(f"{name}: {value[name]}")
    others = sorted(set(value) - set(_SHOWN_FIELDS) - {"actor"})
    if others:
        parts.append(f"other fields: {', '.join(others)}")
    if not problem and "actor" not in value:
        parts.append("no actor stated")
    if problem:
        parts.append(problem)
    return "; ".join(parts)


def _event_type_label(event: HistoryEvent) -> str:
    name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
    return name.replace("_", " ").lower()


def _enum_label(name: str, prefix: str) -> str:
    return name.removeprefix(prefix).replace("_", " ").lower()


# Workflow events


async def _on_workflow_started(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_started_event_attributes
    requested_by: str | None = None
    if attrs.HasField("input"):
        value, _ = await builder.json_object(attrs.input)
        requested = value.get("requested_by")
        requested_by = requested if isinstance(requested, str) else None
    detail = f"started {attrs.workflow_id or 'workflow'} on {attrs.task_queue.name}"
    if attrs.attempt > 1:
        detail += f" (attempt {attrs.attempt})"
    builder.emit(
        event,
        "workflow",
        attrs.workflow_type.name,
        detail,
        actor=requested_by,
        identity=attrs.identity,
    )


async def _on_workflow_completed(
    builder: _TimelineBuilder, event: HistoryEvent
) -> None:
    attrs = event.workflow_execution_completed_event_attributes
    value, _ = await builder.json_object(attrs.result)
    status = value.get("status")
    detail = f"completed in status {status}" if isinstance(status, str) else "completed"
    builder.emit(event, "workflow", "completed", detail)


async def _on_workflow_failed(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_failed_event_attributes
    message = await builder.failure_message(attrs.failure)
    builder.emit(event, "workflow", "failed", f"failed: {message}")


async def _on_workflow_ended(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    """Record a timeout, cancellation or continue-as-new, which carry no actor."""
    label = _event_type_label(event).removeprefix("workflow execution ")
    builder.emit(event, "workflow", label, label)


async def _on_workflow_terminated(
    builder: _TimelineBuilder, event: HistoryEvent
) -> None:
    attrs = event.workflow_execution_terminated_event_attributes
    detail = f"terminated: {attrs.reason}" if attrs.reason else "terminated"
    builder.emit(event, "workflow", "terminated", detail, identity=attrs.identity)


async def _on_cancel_requested(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_cancel_requested_event_attributes
    detail = f"cancel requested: {attrs.cause}" if attrs.cause else "cancel requested"
    builder.emit(event, "workflow", "cancel requested", detail, identity=attrs.identity)


async def _on_workflow_task_failed(
    builder: _TimelineBuilder, event: HistoryEvent
) -> None:
    attrs = event.workflow_task_failed_event_attributes
    cause = _enum_label(
        WorkflowTaskFailedCause.Name(attrs.cause), "WORKFLOW_TASK_FAILED_CAUSE_"
    )
    message = await builder.failure_message(attrs.failure)
    builder.emit(
        event, "workflow task", "failed", f"{cause}: {message}", identity=attrs.identity
    )


# Activities and transitions


async def _on_activity_scheduled(
    builder: _TimelineBuilder, event: HistoryEvent
) -> None:
    attrs = event.activity_task_scheduled_event_attributes
    name = attrs.activity_type.name
    builder.activities[event.event_id] = _ScheduledActivity(name)
    if name == RECORD_TRANSITION:
        await _emit_transition(builder, event, attrs.input)


async def _emit_transition(
    builder: _TimelineBuilder, event: HistoryEvent, payloads: Payloads
) -> None:
    try:
        items = await builder.decode_payloads(payloads)
        record = builder.converter.payload_converter.from_payload(
            items[0], TransitionRecord
        )
    except (IndexError, ValidationError, ValueError, TypeError) as error:
        # Only the error type is shown, because a validation message repeats
        # the record's values.
        detail = f"transition record could not be decoded ({type(error).__name__})"
        builder.emit(event, "transition", "unknown", detail)
        return
    transition = record.transition
    name = f"{transition.from_status or '-'} -> {transition.to_status}"
    builder.emit(event, "transition", name, transition.reason, actor=transition.actor)


async def _on_activity_started(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    # Temporal writes this event once, when the last attempt ends, with that
    # attempt's number and the failure of the attempt before it.
    attrs = event.activity_task_started_event_attributes
    scheduled = builder.activities.get(attrs.scheduled_event_id)
    if scheduled is None:
        return
    scheduled.attempt = attrs.attempt
    if attrs.HasField("last_failure"):
        scheduled.last_failure = await builder.failure_message(attrs.last_failure)


def _activity(builder: _TimelineBuilder, scheduled_event_id: int) -> _ScheduledActivity:
    return builder.activities.get(
        scheduled_event_id, _ScheduledActivity(f"activity {scheduled_event_id}")
    )


def _retry_note(activity: _ScheduledActivity) -> str:
    if activity.attempt <= 1:
        return ""
    note = f"; attempts 1-{activity.attempt - 1} failed"
    if activity.last_failure:
        note += f", last with: {activity.last_failure}"
    return note


async def _on_activity_completed(
    builder: _TimelineBuilder, event: HistoryEvent
) -> None:
    attrs = event.activity_task_completed_event_attributes
    activity = _activity(builder, attrs.scheduled_event_id)
    detail = f"completed on attempt {activity.attempt}{_retry_note(activity)}"
    builder.emit(event, "activity", activity.name, detail, identity=attrs.identity)


async def _on_activity_failed(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.activity_task_failed_event_attributes
    activity = _activity(builder, attrs.scheduled_event_id)
    message = await builder.failure_message(attrs.failure)
    retry = _enum_label(RetryState.Name(attrs.retry_state), "RETRY_STATE_")
    detail = (
        f"failed on attempt {activity.attempt}: {message} (retry state: {retry})"
        f"{_retry_note(activity)}"
    )
    builder.emit(event, "activity", activity.name, detail, identity=attrs.identity)


async def _on_activity_timed_out(
    builder: _TimelineBuilder, event: HistoryEvent
) -> None:
    attrs = event.activity_task_timed_out_event_attributes
    activity = _activity(builder, attrs.scheduled_event_id)
    message = await builder.failure_message(attrs.failure)
    retry = _enum_label(RetryState.Name(attrs.retry_state), "RETRY_STATE_")
    detail = (
        f"timed out on attempt {activity.attempt}: {message} (retry state: {retry})"
    )
    builder.emit(event, "activity", activity.name, detail)


async def _on_activity_canceled(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.activity_task_canceled_event_attributes
    activity = _activity(builder, attrs.scheduled_event_id)
    builder.emit(event, "activity", activity.name, "canceled", identity=attrs.identity)


# Signals and updates


async def _on_signaled(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_signaled_event_attributes
    value, problem = await builder.json_object(attrs.input)
    builder.emit(
        event,
        "signal",
        attrs.signal_name,
        _describe_input(value, problem),
        actor=_actor_of(value),
        identity=attrs.identity,
    )


async def _on_signal_sent(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.signal_external_workflow_execution_initiated_event_attributes
    value, problem = await builder.json_object(attrs.input)
    target = attrs.workflow_execution.workflow_id
    detail = f"to {target}; {_describe_input(value, problem)}".rstrip("; ")
    builder.emit(
        event, "signal sent", attrs.signal_name, detail, actor=_actor_of(value)
    )


async def _on_external_signaled(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.external_workflow_execution_signaled_event_attributes
    detail = f"delivered to {attrs.workflow_execution.workflow_id}"
    builder.emit(event, "signal sent", "delivered", detail)


async def _on_signal_send_failed(
    builder: _TimelineBuilder, event: HistoryEvent
) -> None:
    attrs = event.signal_external_workflow_execution_failed_event_attributes
    detail = f"could not signal {attrs.workflow_execution.workflow_id}: {attrs.cause}"
    builder.emit(event, "signal sent", "failed", detail)


async def _on_update_accepted(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_update_accepted_event_attributes
    request = attrs.accepted_request
    value, problem = await builder.json_object(request.input.args)
    update = _AcceptedUpdate(
        request.input.name, _actor_of(value), request.meta.identity or None
    )
    builder.updates[request.meta.update_id or attrs.protocol_instance_id] = update
    detail = "; ".join(
        part for part in ("accepted", _describe_input(value, problem)) if part
    )
    builder.emit(
        event,
        "update",
        update.name,
        detail,
        actor=update.actor,
        identity=update.identity,
    )


async def _on_update_rejected(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_update_rejected_event_attributes
    request = attrs.rejected_request
    value, _ = await builder.json_object(request.input.args)
    message = await builder.failure_message(attrs.failure)
    builder.emit(
        event,
        "update",
        request.input.name,
        f"rejected: {message}",
        actor=_actor_of(value),
        identity=request.meta.identity,
    )


async def _on_update_completed(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_update_completed_event_attributes
    update = builder.updates.get(
        attrs.meta.update_id, _AcceptedUpdate(attrs.meta.update_id, None, None)
    )
    if attrs.outcome.HasField("failure"):
        # A validator rejects before acceptance and leaves no event, so a
        # failure here means the workflow rejected the action after accepting it.
        message = await builder.failure_message(attrs.outcome.failure)
        detail = f"rejected after acceptance: {message}"
    else:
        value, _ = await builder.json_object(attrs.outcome.success)
        status = value.get("status")
        detail = (
            f"completed; status {status}" if isinstance(status, str) else "completed"
        )
    builder.emit(
        event,
        "update",
        update.name,
        detail,
        actor=update.actor,
        identity=attrs.meta.identity or update.identity,
    )


# Timers


async def _on_timer_started(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.timer_started_event_attributes
    started = event.event_time.ToDatetime(tzinfo=UTC)
    fires_at = started + attrs.start_to_fire_timeout.ToTimedelta()
    detail = f"started; fires at {fires_at:%Y-%m-%d %H:%M:%S} UTC"
    builder.emit(event, "timer", attrs.timer_id, detail)


async def _on_timer_fired(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    builder.emit(event, "timer", event.timer_fired_event_attributes.timer_id, "fired")


async def _on_timer_canceled(builder: _TimelineBuilder, event: HistoryEvent) -> None:
    attrs = event.timer_canceled_event_attributes
    builder.emit(event, "timer", attrs.timer_id, "canceled")


_HANDLERS: dict[int, _Handler] = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: _on_workflow_started,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: _on_workflow_completed,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: _on_workflow_failed,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: _on_workflow_ended,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: _on_workflow_ended,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: _on_workflow_ended,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: _on_workflow_terminated,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED: _on_cancel_requested,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED: _on_workflow_task_failed,
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: _on_activity_scheduled,
    EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: _on_activity_started,
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: _on_activity_completed,
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: _on_activity_failed,
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: _on_activity_timed_out,
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: _on_activity_canceled,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: _on_signaled,
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: _on_signal_sent,
    EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED: _on_external_signaled,
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: (
        _on_signal_send_failed
    ),
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: _on_update_accepted,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED: _on_update_rejected,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: _on_update_completed,
    EventType.EVENT_TYPE_TIMER_STARTED: _on_timer_started,
    EventType.EVENT_TYPE_TIMER_FIRED: _on_timer_fired,
    EventType.EVENT_TYPE_TIMER_CANCELED: _on_timer_canceled,
}


# Writers


def _row(event: TimelineEvent) -> dict[str, Any]:
    row = asdict(event)
    row["at"] = event.at.isoformat()
    return {name: row[name] for name in TIMELINE_FIELDS}


def timeline_json(events: Sequence[TimelineEvent]) -> str:
    """Format the timeline as a JSON array with ISO 8601 UTC times."""
    return json.dumps([_row(event) for event in events], indent=2)


def timeline_csv(events: Sequence[TimelineEvent]) -> str:
    """Format the timeline as CSV with a header row. None becomes an empty cell."""
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=TIMELINE_FIELDS, lineterminator="\n")
    writer.writeheader()
    for event in events:
        writer.writerow(_row(event))
    return output.getvalue()


def timeline_text(events: Sequence[TimelineEvent]) -> str:
    """Format the timeline as an aligned table. The detail column is not cut."""
    header = ["time (UTC)", "event", "kind", "name", "actor", "identity", "detail"]
    rows = [
        [
            f"{event.at:%Y-%m-%d %H:%M:%S.%f}"[:-3],
            str(event.event_id or ""),
            event.kind,
            event.name,
            event.actor or "-",
            event.identity or "-",
            event.detail,
        ]
        for event in events
    ]
    widths = [
        max(len(row[column]) for row in [header, *rows])
        for column in range(len(header) - 1)
    ]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)
