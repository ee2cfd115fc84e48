"""Support tasks in the real Temporal Web UI, driven by Chromium through Playwright.

The dev server runs with its Web UI and the codec server, and the client and
worker encrypt every payload, so the UI shows inputs and current details only
by decrypting them through the codec server. Each test saves a screenshot per
step, into pytest's temporary folder, or into docs/screenshots/ (which
docs/support-guide.md shows) when COURT_NOTICES_WRITE_SCREENSHOTS=1.
"""

import asyncio
import json
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip(
    "playwright.async_api",
    reason="playwright is not installed; run pip install -e '.[dev]'",
)

from playwright.async_api import Locator, Page, async_playwright, expect
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from activities.dependencies import ActivityDependencies
from court_notices.codec import EncryptionCodec, data_converter
from court_notices.codec_server import create_codec_app
from court_notices.messages import ActivationSnapshot, ActivationStatus
from court_notices.search_attributes import ALL_KEYS
from court_notices.vault import CredentialSecret, Keyring, KeyringSource
from starter.activations import ActivationClient
from starter.records import RecordStore
from tests.support.courtsim_server import CourtSimulator
from tests.support.scenario import activation_request, new_account, new_firm
from tests.support.stack import BIN
from tests.support.web_ui import (
    CHROMIUM,
    WebUi,
    free_port,
    launch_chromium,
    serve_in_thread,
)
from worker import build_worker

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing; install Debian's chromium package",
)

S = ActivationStatus
DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# The screenshots hold random ids, so a plain test run must not rewrite the
# committed ones.
SCREENSHOTS = (
    DOCS_SCREENSHOTS
    if os.environ.get("COURT_NOTICES_WRITE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="web-ui-screenshots-"))
)
STATUS_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class WebUiStack:
    ui_url: str
    activations: ActivationClient


@pytest.fixture(scope="module")
async def web_ui_stack(
    records: RecordStore,
    dependencies: ActivityDependencies,
    activity_executor: ThreadPoolExecutor,
) -> AsyncIterator[WebUiStack]:
    """Dev server with Web UI and codec server, and a worker, all with one key."""
    keys_json = Keyring.generate().to_json()
    ui_port = free_port()
    codec_app = create_codec_app(
        EncryptionCodec(KeyringSource(keys_json=keys_json)),
        allowed_origins=[f"http://127.0.0.1:{ui_port}", f"http://localhost:{ui_port}"],
        bearer_token=None,
    )
    with serve_in_thread(codec_app, "codec server") as codec_url:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(BIN / "temporal"),
            ui=True,
            ui_port=ui_port,
            search_attributes=ALL_KEYS,
            data_converter=data_converter(KeyringSource(keys_json=keys_json)),
            dev_server_log_level="error",
            dev_server_extra_args=[
                "--ui-codec-endpoint",
                codec_url,
                # Without it the UI requests its newsfeed (temporal CLI 1.9.1 help).
                "--ui-disable-news-fetch",
            ],
        )
        try:
            task_queue = f"web-ui-{uuid.uuid4()}"
            worker = build_worker(
                env.client,
                dependencies,
                task_queue=task_queue,
                executor=activity_executor,
            )
            async with worker:
                activations = ActivationClient(
                    env.client, records, task_queue=task_queue
                )
                yield WebUiStack(f"http://127.0.0.1:{ui_port}", activations)
        finally:
            await env.shutdown()


@pytest.fixture
async def web_ui(web_ui_stack: WebUiStack, tmp_path: Path) -> AsyncIterator[WebUi]:
    async with (
        async_playwright() as playwright,
        launch_chromium(playwright, tmp_path / "chromium-profile") as context,
    ):
        page = await context.new_page()
        yield WebUi(page, web_ui_stack.ui_url)


async def save_screenshot(target: Page | Locator, name: str) -> None:
    """Save a screenshot of the page, or of one element, for the support guide."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await target.screenshot(path=SCREENSHOTS / name)


async def start_canb_activation(
    stack: WebUiStack, records: RecordStore, simulator: CourtSimulator
) -> str:
    """Start an activation at canb, which waits for the court's help desk."""
    firm = new_firm(records)
    account = new_account(records, simulator, firm, "canb")
    started = await stack.activations.start(
        activation_request(firm, "canb", account.credential_id)
    )
    await stack.activations.wait_for_status(
        started.workflow_id,
        {S.ADDITIONAL_ACTION_NEEDED},
        timeout=STATUS_TIMEOUT_SECONDS,
    )
    return started.workflow_id


async def wait_for_rejections(
    activations: ActivationClient, workflow_id: str, count: int
) -> ActivationSnapshot:
    """Poll the status query until the workflow has recorded ``count`` rejections."""
    async with asyncio.timeout(STATUS_TIMEOUT_SECONDS):
        while True:
            snapshot = await activations.status(workflow_id)
            if len(snapshot.rejected_inputs) >= count:
                return snapshot
            await asyncio.sleep(0.2)


async def test_help_desk_signals_activate(
    web_ui_stack: WebUiStack,
    web_ui: WebUi,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    activations = web_ui_stack.activations
    workflow_id = await start_canb_activation(web_ui_stack, records, court_simulator)
    page = web_ui.page

    await web_ui.search_workflows(
        'ActivationStatus = "ADDITIONAL_ACTION_NEEDED"', workflow_id
    )
    await save_screenshot(page, "01-additional-action-list.png")
    await page.get_by_role("link", name=workflow_id, exact=True).click()
    await expect(page.get_by_role("heading", level=1, name=workflow_id)).to_be_visible()
    details = await web_ui.read_current_details(workflow_id, "ADDITIONAL_ACTION_NEEDED")
    await save_screenshot(page, "02-current-details.png")

    assert "help desk" in details
    assert "additional_action_completed" in details

    dialog = await web_ui.open_action_dialog(
        workflow_id, "Send a Signal", "additional_action_completed"
    )
    await dialog.enter_input('{"actor": "sam"}')
    await save_screenshot(dialog.locator, "03-send-signal.png")
    await dialog.submit()
    pending = await activations.wait_for_status(
        workflow_id, {S.PENDING_ACTIVATION}, timeout=STATUS_TIMEOUT_SECONDS
    )

    assert pending.transitions[-1].actor == "sam"

    details = await web_ui.read_current_details(workflow_id, "PENDING_ACTIVATION")
    await save_screenshot(web_ui.current_details_panel(), "04-pending-activation.png")

    assert "court_confirmed" in details

    dialog = await web_ui.open_action_dialog(
        workflow_id, "Send a Signal", "court_confirmed"
    )
    await dialog.enter_input('{"actor": "sam", "evidence": "help desk ticket 7"}')
    await save_screenshot(dialog.locator, "05-court-confirmed-signal.png")
    await dialog.submit()
    async with asyncio.timeout(STATUS_TIMEOUT_SECONDS):
        final = await activations.handle(workflow_id).result()

    assert final.status == S.ACTIVE
    assert final.evidence == "help desk ticket 7"
    assert final.transitions[-1].actor == "sam"
    assert final.rejected_inputs == []

    details = await web_ui.read_current_details(workflow_id, "ACTIVE")
    await save_screenshot(web_ui.current_details_panel(), "06-active.png")

    assert "Active since" in details


async def test_invalid_signal_input_rejected(
    web_ui_stack: WebUiStack,
    web_ui: WebUi,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    activations = web_ui_stack.activations
    workflow_id = await start_canb_activation(web_ui_stack, records, court_simulator)
    page = web_ui.page
    signal_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            signal_requests.append(request.url) if "/signal/" in request.url else None
        ),
    )

    # The UI checks the JSON itself: it marks the input invalid and, on
    # Submit, shows an error and sends nothing, so the workflow never receives it.
    dialog = await web_ui.open_action_dialog(
        workflow_id, "Send a Signal", "additional_action_completed"
    )
    await dialog.enter_input('{"actor": "sam", "note": help desk ticket 7}')
    await dialog.locator.get_by_role("button", name="Submit").click()
    invalid = dialog.locator.get_by_text("Input must be valid JSON")
    await expect(invalid).to_be_visible()
    failed = dialog.locator.get_by_text("An unknown error occurred.")
    await expect(failed).to_be_visible()
    await save_screenshot(dialog.locator, "07-malformed-json.png")
    await dialog.close()
    snapshot = await activations.status(workflow_id)

    assert signal_requests == []
    assert snapshot.status == S.ADDITIONAL_ACTION_NEEDED
    assert snapshot.rejected_inputs == []

    # Valid JSON with wrong fields reaches the workflow, which records it.
    unknown_field = '{"actor": "sam", "ticket": 7}'
    missing_actor = '{"note": "help desk ticket 7"}'
    dialog = await web_ui.open_action_dialog(
        workflow_id, "Send a Signal", "additional_action_completed"
    )
    await dialog.enter_input(unknown_field)
    await save_screenshot(dialog.locator, "08-unknown-field-signal.png")
    await dialog.submit()
    dialog = await web_ui.open_action_dialog(
        workflow_id, "Send a Signal", "additional_action_completed"
    )
    await dialog.enter_input(missing_actor)
    await dialog.submit()
    cases = [
        (unknown_field, "unknown field 'ticket'"),
        (missing_actor, "field 'actor': Field required"),
    ]
    snapshot = await wait_for_rejections(activations, workflow_id, len(cases))
    description = await activations.handle(workflow_id).describe()

    assert description.status == WorkflowExecutionStatus.RUNNING
    assert snapshot.status == S.ADDITIONAL_ACTION_NEEDED
    assert len(signal_requests) == len(cases)
    for rejected, (text, error) in zip(snapshot.rejected_inputs, cases, strict=True):
        assert rejected.handler == "additional_action_completed"
        assert error in rejected.error
        assert json.loads(rejected.received) == json.loads(text)

    details = await web_ui.read_current_details(workflow_id, "ADDITIONAL_ACTION_NEEDED")
    await save_screenshot(
        web_ui.current_details_panel(), "09-rejected-input-details.png"
    )

    # The UI's Markdown renderer turns straight quotes into typographic ones.
    assert "Last rejected input (additional_action_completed" in details
    assert "field \u2018actor\u2019: Field required" in details


async def test_modify_credentials_update(
    web_ui_stack: WebUiStack,
    web_ui: WebUi,
    records: RecordStore,
    court_simulator: CourtSimulator,
) -> None:
    activations = web_ui_stack.activations
    firm = new_firm(records)
    account = new_account(
        records, court_simulator, firm, "txsb", stored_password="wrong"
    )
    started = await activations.start(
        activation_request(firm, "txsb", account.credential_id)
    )
    workflow_id = started.workflow_id
    await activations.wait_for_status(
        workflow_id, {S.NEEDS_CREDENTIALS}, timeout=STATUS_TIMEOUT_SECONDS
    )
    correct = records.add_credential(
        attorney_id=firm.attorney_id,
        court_id="txsb",
        secret=CredentialSecret(login_id=account.login_id, password=account.password),
    )

    details = await web_ui.read_current_details(workflow_id, "NEEDS_CREDENTIALS")
    await save_screenshot(web_ui.current_details_panel(), "10-needs-credentials.png")

    assert "modify_credentials" in details

    dialog = await web_ui.open_action_dialog(
        workflow_id, "Send an Update", "modify_credentials"
    )
    await dialog.enter_input(
        json.dumps({"actor": "sam", "credential_id": account.credential_id})
    )
    response = await dialog.send()
    # The validator's failure comes back as the update's outcome, not as an
    # HTTP error, and the dialog shows its message with the stack trace.
    rejection = dialog.locator.get_by_text(
        f"PACER already rejected credential {account.credential_id}."
    )
    await expect(rejection).to_be_visible()
    await save_screenshot(dialog.locator, "11-rejected-update.png")
    await dialog.close()
    snapshot = await activations.status(workflow_id)

    assert response.ok
    assert snapshot.status == S.NEEDS_CREDENTIALS
    assert snapshot.credential_id == account.credential_id

    dialog = await web_ui.open_action_dialog(
        workflow_id, "Send an Update", "modify_credentials"
    )
    await dialog.enter_input(json.dumps({"actor": "sam", "credential_id": correct.id}))
    await save_screenshot(dialog.locator, "12-modify-credentials-update.png")
    await dialog.submit()
    snapshot = await activations.wait_for_status(
        workflow_id, {S.PENDING_ACTIVATION}, timeout=STATUS_TIMEOUT_SECONDS
    )

    assert snapshot.credential_id == correct.id
    assert snapshot.transitions[-1].to_status == S.PENDING_ACTIVATION

    details = await web_ui.read_current_details(workflow_id, "PENDING_ACTIVATION")
    await save_screenshot(web_ui.current_details_panel(), "13-pending-after-update.png")

    assert "court_confirmed" in details
