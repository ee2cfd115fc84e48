"""Audit tools: replay reports, the timeline and the ``audit`` commands.

The replay-only workflow classes below run unsandboxed because the sandbox
would re-import this module, and with it the worker's activity modules, which
it rejects. Determinism is checked by the SDK core, so replay still catches
command mismatches without the sandbox.
"""

import asyncio
import base64
import copy
import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from temporalio import workflow
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from court_notices.codec import PAYLOAD_KEYS_ENV_VAR
from court_notices.codec import data_converter as encrypting_converter
from court_notices.messages import ActivationRequest, ActivationSnapshot
from court_notices.settings import get_settings
from court_notices.vault import Keyring, KeyringSource
from starter.audit import (
    ReplayProblem,
    TimelineEvent,
    describe_report,
    export_history,
    load_history_file,
    mask_secrets,
    parse_replay_failure,
    replay_histories,
    timeline,
    timeline_csv,
    timeline_json,
    timeline_text,
)
from starter.cli import cli
from workflows.activation import JurisdictionActivationWorkflow

HISTORIES = Path(__file__).parent / "histories"
HISTORY_FILES = sorted(HISTORIES.glob("*.json"))
NYSB = HISTORIES / "demo-nysb.json"
TXSB = HISTORIES / "demo-txsb.json"
STAFF = "staff5c4ca467b1"
SYSTEM = "court-notices"


@workflow.defn(name="JurisdictionActivationWorkflow", sandboxed=False)
class TimerFirstActivation(JurisdictionActivationWorkflow):
    """Starts a timer before anything else, which old histories do not contain."""

    @workflow.run
    async def run(self, request: ActivationRequest) -> ActivationSnapshot:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(request)


@workflow.defn(name="JurisdictionActivationWorkflow", sandboxed=False)
class PatchedTimerActivation(JurisdictionActivationWorkflow):
    """The same change as TimerFirstActivation, behind workflow.patched."""

    @workflow.run
    async def run(self, request: ActivationRequest) -> ActivationSnapshot:
        if workflow.patched("audit-test-timer-first"):
            await workflow.sleep(timedelta(seconds=1))
        return await super().run(request)


def _history_data(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


def _encode_json_payload(text: str) -> dict[str, Any]:
    return {
        "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
        "data": base64.b64encode(text.encode()).decode(),
    }


def _with_signal_input(path: Path, text: str) -> WorkflowHistory:
    """Return the history at ``path`` with its first signal's input replaced."""
    data = copy.deepcopy(_history_data(path))
    for event in data["events"]:
        attributes = event.get("workflowExecutionSignaledEventAttributes")
        if attributes is not None:
            attributes["input"]["payloads"] = [_encode_json_payload(text)]
            break
    return WorkflowHistory.from_json(path.stem, data)


async def _timeline_of(path: Path) -> list[TimelineEvent]:
    history = load_history_file(path)
    return await timeline(history, data_converter=pydantic_data_converter)


# Replay


async def test_replay_committed_histories_ok() -> None:
    reports = await replay_histories(
        HISTORY_FILES, data_converter=pydantic_data_converter
    )

    assert len(reports) == len(HISTORY_FILES)
    for report in reports:
        assert report.ok, describe_report(report)
        assert report.problem is None
        assert report.workflow_id


async def test_replay_timer_first_non_deterministic() -> None:
    expected_id = _history_data(NYSB)["events"][0][
        "workflowExecutionStartedEventAttributes"
    ]["workflowId"]

    [report] = await replay_histories(
        [NYSB], data_converter=pydantic_data_converter, workflows=[TimerFirstActivation]
    )

    assert not report.ok
    assert report.problem is ReplayProblem.NON_DETERMINISTIC
    assert report.workflow_id == expected_id
    # Event 5 is the first search attribute upsert, where the changed code now
    # starts a timer.
    assert report.event_id == 5
    assert "Timer" in report.cause
    assert "UpsertWorkflowSearchAttributes" in report.cause
    assert "Failure {" not in report.cause
    line = describe_report(report)
    assert line.startswith(f"NON-DETERMINISTIC {expected_id} event 5: ")


async def test_replay_patched_change_ok() -> None:
    [report] = await replay_histories(
        [NYSB],
        data_converter=pydantic_data_converter,
        workflows=[PatchedTimerActivation],
    )

    assert report.ok, describe_report(report)


async def test_replay_truncated_file_invalid(tmp_path: Path) -> None:
    cut = tmp_path / "cut.json"
    cut.write_text(NYSB.read_text()[:3000])

    [report] = await replay_histories([cut], data_converter=pydantic_data_converter)

    assert not report.ok
    assert report.problem is ReplayProblem.INVALID
    assert report.workflow_id is None
    assert "invalid JSON" in report.cause
    assert "cut short" in report.cause
    assert describe_report(report).startswith(f"INVALID {cut}: ")


async def test_replay_non_history_files_invalid(tmp_path: Path) -> None:
    cases = {
        "object.json": ({"foo": 1}, "not a workflow history"),
        "list.json": ([1, 2], "not a workflow history"),
        "empty.json": ({"events": []}, "contains no events"),
        "missing-start.json": (
            {"events": _history_data(NYSB)["events"][1:]},
            "first event is workflow task scheduled",
        ),
    }
    paths = [_write_json(tmp_path / name, data) for name, (data, _) in cases.items()]
    paths.append(tmp_path / "absent.json")

    reports = await replay_histories(paths, data_converter=pydantic_data_converter)

    for report, (_, expected) in zip(reports, cases.values(), strict=False):
        assert report.problem is ReplayProblem.INVALID, report.path
        assert expected in report.cause, report.cause
    assert reports[-1].problem is ReplayProblem.INVALID
    assert "could not read the file" in reports[-1].cause


async def test_replay_foreign_history_reported(tmp_path: Path) -> None:
    data = _history_data(NYSB)
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    started["workflowType"]["name"] = "InvoiceApprovalWorkflow"
    foreign = _write_json(tmp_path / "foreign.json", data)

    [report] = await replay_histories([foreign], data_converter=pydantic_data_converter)

    assert not report.ok
    assert report.problem is ReplayProblem.FOREIGN
    assert "foreign history" in report.cause
    assert "'InvoiceApprovalWorkflow'" in report.cause
    assert "JurisdictionActivationWorkflow" in report.cause


def test_parse_failure_without_event_id() -> None:
    cause, event_id = parse_replay_failure(
        'Failure { failure: Some(Failure { message: "[TMPRL1100] Nondeterminism '
        "error: Activity type of scheduled event 'a' does not match activity "
        'type of activity command \'b\'", source: "" }) }'
    )

    assert cause.startswith("Activity type of scheduled event 'a'")
    assert event_id is None


# Timeline


async def test_timeline_txsb_transitions_in_order() -> None:
    events = await _timeline_of(TXSB)

    transitions = [
        (event.name, event.actor) for event in events if event.kind == "transition"
    ]
    assert transitions == [
        ("- -> VALIDATING", STAFF),
        ("VALIDATING -> VERIFYING_CREDENTIALS", SYSTEM),
        ("VERIFYING_CREDENTIALS -> NEEDS_CREDENTIALS", SYSTEM),
        ("NEEDS_CREDENTIALS -> VERIFYING_CREDENTIALS", STAFF),
        ("VERIFYING_CREDENTIALS -> SUBMITTING", SYSTEM),
        ("SUBMITTING -> PENDING_ACTIVATION", SYSTEM),
        ("PENDING_ACTIVATION -> ACTIVE", STAFF),
    ]


async def test_timeline_txsb_start_and_end() -> None:
    events = await _timeline_of(TXSB)

    first, last = events[0], events[-1]
    assert first.kind == "workflow"
    assert first.name == "JurisdictionActivationWorkflow"
    assert first.actor == STAFF
    assert first.identity == "14112@vm"
    assert last.kind == "workflow"
    assert last.detail == "completed in status ACTIVE"


async def test_timeline_txsb_update_and_signal() -> None:
    events = await _timeline_of(TXSB)

    updates = [event for event in events if event.kind == "update"]
    assert [event.name for event in updates] == ["modify_credentials"] * 2
    assert [event.actor for event in updates] == [STAFF, STAFF]
    assert [event.identity for event in updates] == ["14112@vm", "14112@vm"]
    assert updates[0].detail.startswith("accepted")
    assert updates[1].detail == "completed; status PENDING_ACTIVATION"
    [signal] = [event for event in events if event.kind == "signal"]
    assert signal.name == "court_confirmed"
    assert signal.identity == "14112@vm"
    assert signal.actor == STAFF
    assert signal.detail == "evidence: court e-mail confirmation"


async def test_timeline_txsb_activity_outcomes() -> None:
    events = await _timeline_of(TXSB)

    activities = [event for event in events if event.kind == "activity"]
    verifications = [e for e in activities if e.name == "verify_credentials"]
    assert len(verifications) == 2
    assert verifications[0].detail.startswith("failed on attempt 1: ")
    assert "PACER rejected credential" in verifications[0].detail
    assert "retry state: non retryable failure" in verifications[0].detail
    assert verifications[1].detail == "completed on attempt 1"
    names = {event.name for event in activities}
    assert "submit_noticing_address" in names
    assert "record_activation_transition" in names


async def test_timeline_txsb_timers_and_utc_order() -> None:
    events = await _timeline_of(TXSB)

    timers = [(event.name, event.detail) for event in events if event.kind == "timer"]
    assert [name for name, _ in timers] == ["1", "1", "2", "2"]
    assert timers[0][1].startswith("started; fires at 2026-12-07 ")
    assert timers[1][1] == "canceled"
    for event in events:
        assert event.at.tzinfo is UTC
    times = [event.at for event in events]
    assert times == sorted(times)


async def test_timeline_malformed_signal_input() -> None:
    history = _with_signal_input(NYSB, '{"actor": "clerk"')

    events = await timeline(history, data_converter=pydantic_data_converter)

    [signal] = [event for event in events if event.kind == "signal"]
    assert signal.actor is None
    assert signal.detail == "malformed input: not valid JSON"


async def test_timeline_signal_list_input() -> None:
    history = _with_signal_input(NYSB, '["clerk"]')

    events = await timeline(history, data_converter=pydantic_data_converter)

    [signal] = [event for event in events if event.kind == "signal"]
    assert signal.actor is None
    assert signal.detail == "malformed input: a JSON list, not an object"


async def test_timeline_hides_unknown_fields() -> None:
    history = _with_signal_input(
        NYSB, '{"actor": "clerk", "password": "hunter2", "note": "token=abc123"}'
    )

    events = await timeline(history, data_converter=pydantic_data_converter)

    [signal] = [event for event in events if event.kind == "signal"]
    assert signal.actor == "clerk"
    assert "hunter2" not in signal.detail
    assert "abc123" not in signal.detail
    assert "other fields: password" in signal.detail


def test_mask_secrets_pairs() -> None:
    masked = mask_secrets('login failed: password=hunter2, "totp_secret": "JBSW"')

    assert "hunter2" not in masked
    assert "JBSW" not in masked
    assert masked.startswith("login failed: password=***")


async def test_timeline_notice_signal_sent() -> None:
    events = await _timeline_of(HISTORIES / "notice-nef.json")

    [sent] = [event for event in events if event.name == "court_confirmed"]
    assert sent.kind == "signal sent"
    assert sent.actor == "court-notice"
    assert sent.detail.startswith("to activation-")


async def test_timeline_writers_parse_back() -> None:
    events = await _timeline_of(TXSB)

    from_json = json.loads(timeline_json(events))
    from_csv = list(csv.DictReader(io.StringIO(timeline_csv(events))))
    text_lines = timeline_text(events).splitlines()

    assert len(from_json) == len(events)
    assert len(from_csv) == len(events)
    assert len(text_lines) == len(events) + 1
    assert from_json[0]["at"].endswith("+00:00")
    assert from_json[0]["actor"] == STAFF
    assert from_csv[0]["actor"] == STAFF
    assert from_csv[1]["identity"] == ""
    assert from_csv[-1]["detail"] == "completed in status ACTIVE"
    assert [row["name"] for row in from_csv] == [row["name"] for row in from_json]


# Export, against a local dev server


@pytest.fixture
def payload_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Set a fresh payload keyring for the CLI, which reads it from settings."""
    keys_json = Keyring.generate().to_json()
    monkeypatch.setenv(PAYLOAD_KEYS_ENV_VAR, keys_json)
    get_settings.cache_clear()
    yield keys_json
    get_settings.cache_clear()


@workflow.defn(sandboxed=False)
class AuditProbeWorkflow:
    def __init__(self) -> None:
        self._approver: str | None = None

    @workflow.run
    async def run(self, subject: str) -> str:
        await workflow.wait_condition(lambda: self._approver is not None)
        return f"{subject} approved by {self._approver}"

    @workflow.signal
    def approve(self, input: dict[str, str]) -> None:
        self._approver = input["actor"]


async def _run_probe(client: Client, workflow_id: str) -> None:
    task_queue = f"audit-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[AuditProbeWorkflow]):
        handle = await client.start_workflow(
            AuditProbeWorkflow.run, "notice", id=workflow_id, task_queue=task_queue
        )
        await handle.signal(AuditProbeWorkflow.approve, {"actor": "clerk"})
        await handle.result()


async def test_export_encrypted_round_trip(
    dev_env: WorkflowEnvironment, tmp_path: Path, payload_keys: str
) -> None:
    converter = encrypting_converter(KeyringSource(keys_json=payload_keys))
    config = dev_env.client.config()
    config["data_converter"] = converter
    client = Client(**config)
    workflow_id = f"audit-probe-{uuid.uuid4()}"
    await _run_probe(client, workflow_id)

    exported = tmp_path / "probe.json"
    exported.write_text(await export_history(client, workflow_id))
    [report] = await replay_histories(
        [exported],
        data_converter=converter,
        workflows=[AuditProbeWorkflow],
        interceptors=[],
    )
    history = load_history_file(exported)
    decoded = await timeline(history, data_converter=converter)
    undecoded = await timeline(history, data_converter=pydantic_data_converter)
    # The CLI calls asyncio.run, which cannot run inside this test's event loop.
    command = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["audit", "timeline", str(exported), "--format", "json"],
    )

    assert report.ok, describe_report(report)
    assert report.workflow_id == workflow_id
    [signal] = [event for event in decoded if event.kind == "signal"]
    assert signal.actor == "clerk"
    assert signal.identity == client.identity
    [hidden] = [event for event in undecoded if event.kind == "signal"]
    assert hidden.actor is None
    assert "encoding binary/encrypted is not JSON" in hidden.detail
    assert command.exit_code == 0, command.output
    cli_signal = [row for row in json.loads(command.stdout) if row["kind"] == "signal"]
    assert cli_signal[0]["actor"] == "clerk"


# Command line


def test_cli_replay_committed_exit_zero(payload_keys: str) -> None:
    result = CliRunner().invoke(cli, ["audit", "replay", str(HISTORIES)])

    assert result.exit_code == 0, result.output
    assert result.stdout.count("ok ") == len(HISTORY_FILES)


def test_cli_replay_truncated_exit_one(tmp_path: Path, payload_keys: str) -> None:
    cut = tmp_path / "cut.json"
    cut.write_text(TXSB.read_text()[:5000])

    result = CliRunner().invoke(cli, ["audit", "replay", str(NYSB), str(cut)])

    assert result.exit_code == 1, result.output
    assert f"ok {NYSB}" in result.stdout
    assert f"INVALID {cut}: invalid JSON" in result.stdout


def test_cli_replay_empty_folder_fails(tmp_path: Path, payload_keys: str) -> None:
    result = CliRunner().invoke(cli, ["audit", "replay", str(tmp_path)])

    assert result.exit_code == 1
    assert "No *.json history files" in result.output


def test_cli_timeline_csv(payload_keys: str) -> None:
    result = CliRunner().invoke(
        cli, ["audit", "timeline", str(TXSB), "--format", "csv"]
    )

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    transitions = [row for row in rows if row["kind"] == "transition"]
    assert transitions[-1]["name"] == "PENDING_ACTIVATION -> ACTIVE"
    assert transitions[-1]["actor"] == STAFF


def test_cli_timeline_output_file(tmp_path: Path, payload_keys: str) -> None:
    output = tmp_path / "timeline.json"

    result = CliRunner().invoke(
        cli,
        ["audit", "timeline", str(TXSB), "--format", "json", "--output", str(output)],
    )

    assert result.exit_code == 0, result.output
    rows = json.loads(output.read_text())
    assert rows[0]["kind"] == "workflow"


def test_cli_timeline_truncated_file(tmp_path: Path, payload_keys: str) -> None:
    cut = tmp_path / "cut.json"
    cut.write_text(TXSB.read_text()[:5000])

    result = CliRunner().invoke(cli, ["audit", "timeline", str(cut)])

    assert result.exit_code == 1
    assert f"Invalid history file {cut}: invalid JSON" in result.output
    assert "Traceback" not in result.output


def test_cli_timeline_server_unreachable(
    payload_keys: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 1 normally has no listener, so the id lookup fails to connect.
    monkeypatch.setenv("COURT_NOTICES_TEMPORAL_ADDRESS", "127.0.0.1:1")
    get_settings.cache_clear()

    result = CliRunner().invoke(cli, ["audit", "timeline", "activation-unknown"])

    assert result.exit_code == 1
    assert "Could not connect to Temporal at 127.0.0.1:1" in result.output
    assert "Traceback" not in result.output
