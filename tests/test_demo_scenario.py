"""The demo scenario end to end on the Temporal dev server, and what its
histories may contain: no password, TOTP secret or nextGenCSO token."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.dependencies import ActivityDependencies
from court_notices.messages import ActivationStatus
from court_notices.vault import CredentialSecret
from starter.activations import ActivationClient
from starter.demo import COURTS, SimulatorControl, run_scenario
from starter.records import RecordStore
from tests.support.courtsim_server import CourtSimulator
from worker import build_worker

HISTORIES = Path(__file__).parent / "histories"

EXPECTED = {
    "nysb": "ACTIVE",
    "canb": "ACTIVE",
    "caeb": "UNSUPPORTED_JURISDICTION",
    "txsb": "ACTIVE",
    "flmb": "ACTIVE",
    "ganb": "CANCELLED",
}


class RecordingSimulatorControl(SimulatorControl):
    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.secrets: list[CredentialSecret] = []

    async def open_account(self, *, mfa: bool = False) -> CredentialSecret:
        secret = await super().open_account(mfa=mfa)
        self.secrets.append(secret)
        return secret


class DemoRun:
    def __init__(self, final: dict[str, str], suffix: str, histories: dict[str, str]):
        self.final = final
        self.suffix = suffix
        self.histories = histories


@pytest.fixture(scope="module")
async def demo_run(
    dev_env: WorkflowEnvironment,
    dependencies: ActivityDependencies,
    records: RecordStore,
    activity_executor: ThreadPoolExecutor,
    court_simulator: CourtSimulator,
) -> AsyncIterator[tuple[DemoRun, RecordingSimulatorControl, ActivationClient]]:
    task_queue = f"demo-{uuid.uuid4()}"
    worker = build_worker(
        dev_env.client, dependencies, task_queue=task_queue, executor=activity_executor
    )
    control = RecordingSimulatorControl(court_simulator.base_url)
    activations = ActivationClient(dev_env.client, records, task_queue=task_queue)
    suffix = uuid.uuid4().hex[:10]
    async with worker:
        result = await run_scenario(
            activations,
            records,
            control,
            say=lambda _line: None,
            suffix=suffix,
            send_notices=False,
        )
        histories = {}
        for court in COURTS:
            workflow_id = f"activation-demo{suffix}-attorney{suffix}-{court}"
            history = await activations.handle(workflow_id).fetch_history()
            histories[court] = history.to_json()
        yield DemoRun(result.final, suffix, histories), control, activations


async def test_demo_final_statuses(demo_run: tuple[DemoRun, object, object]) -> None:
    run, _, _ = demo_run

    assert run.final == EXPECTED


async def test_demo_histories_hold_no_secret(
    demo_run: tuple[DemoRun, RecordingSimulatorControl, object],
    court_simulator: CourtSimulator,
) -> None:
    run, control, _ = demo_run
    secrets = [s.password for s in control.secrets]
    secrets += [s.totp_secret for s in control.secrets if s.totp_secret]
    secrets.append("wrong-" + run.suffix)
    tokens = court_simulator.state.issued_tokens()

    assert len(control.secrets) == len(COURTS)
    assert any(s.totp_secret for s in control.secrets)
    assert tokens, "the scenario logged in to PACER at least once"
    for court, history in run.histories.items():
        for secret in secrets + tokens:
            assert secret not in history, f"a secret appears in the {court} history"


async def test_demo_listed_by_status(
    demo_run: tuple[DemoRun, object, ActivationClient],
) -> None:
    run, _, activations = demo_run

    # Visibility is eventually consistent on the dev server.
    for _ in range(50):
        listed = await activations.list(
            status=ActivationStatus.ACTIVE, firm_id=f"demo{run.suffix}"
        )
        if len(listed) == 4:
            break
        await asyncio.sleep(0.2)

    assert sorted(item.court_id or "" for item in listed) == [
        "canb",
        "flmb",
        "nysb",
        "txsb",
    ]


def test_demo_histories_exported(demo_run: tuple[DemoRun, object, object]) -> None:
    """Write the histories for the replay tests when asked to refresh them."""
    run, _, _ = demo_run
    if os.environ.get("COURT_NOTICES_WRITE_HISTORIES") != "1":
        pytest.skip("set COURT_NOTICES_WRITE_HISTORIES=1 to refresh tests/histories")
    for court, history in run.histories.items():
        (HISTORIES / f"demo-{court}.json").write_text(history)

    assert sorted(HISTORIES.glob("demo-*.json"))
