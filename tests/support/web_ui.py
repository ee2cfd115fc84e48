"""Helpers for browser tests against the Temporal Web UI.

The Web UI comes with the dev server of the ``temporal`` CLI in the virtualenv
(CLI 1.9.1 ships UI 2.54). It decrypts payloads through the codec server, which
runs here in a uvicorn thread. The browser is Debian's Chromium, driven by
Playwright. Selectors use roles and visible text where the UI has them, and the
UI's ``data-testid`` attributes where a control has no accessible name.
"""

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import uvicorn
from playwright.async_api import (
    BrowserContext,
    Locator,
    Page,
    Playwright,
    Response,
    Route,
    ViewportSize,
    expect,
)
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from starlette.types import ASGIApp

CHROMIUM = Path("/usr/bin/chromium")
# Chromium does not start as root without --no-sandbox, and test containers
# often run as root. The other flags keep the browser from calling Google.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = ViewportSize(width=1280, height=800)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
STARTUP_TIMEOUT_SECONDS = 10.0
ACTION_TIMEOUT_MS = 15_000
# Assertions wait as long as actions: on a loaded 2-core machine a page load
# can take longer than Playwright's default of 5 s.
expect.set_options(timeout=ACTION_TIMEOUT_MS)
# The workflow list reads the visibility store, which can lag behind search
# attribute upserts.
LIST_ATTEMPTS = 10


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that was free a moment ago.

    NOTE: another process may take the port before the caller binds it. Use
    this only for servers that take a port number as an argument, such as
    the dev server's Web UI.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_in_thread(app: ASGIApp, name: str) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port of 127.0.0.1 and yield its URL."""
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    # Binding before the thread starts gives a free port without a race.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name=name, daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(
                    f"{name} did not start on 127.0.0.1:{port} within "
                    f"{STARTUP_TIMEOUT_SECONDS:g} s; see the uvicorn log"
                )
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
        listener.close()


@asynccontextmanager
async def launch_chromium(
    playwright: Playwright, user_data_dir: Path
) -> AsyncIterator[BrowserContext]:
    """Start headless Chromium with a fresh profile that reaches only 127.0.0.1."""
    context = await playwright.chromium.launch_persistent_context(
        user_data_dir,
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=VIEWPORT,
    )
    try:
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        await context.route("**/*", _continue_if_local)
        yield context
    finally:
        await context.close()


async def _continue_if_local(route: Route) -> None:
    if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
        await route.continue_()
    else:
        await route.abort("blockedbyclient")


class WebUi:
    """The Web UI pages and dialogs that support staff use, for one namespace."""

    def __init__(self, page: Page, base_url: str, namespace: str = "default"):
        self.page = page
        self.base_url = base_url
        self.namespace = namespace

    async def search_workflows(self, query: str, workflow_id: str) -> None:
        """Type ``query`` into the workflow list's raw query box and run it.

        Searches again until ``workflow_id`` is listed, because the list is
        eventually consistent.
        """
        page = self.page
        await page.goto(f"{self.base_url}/namespaces/{self.namespace}/workflows")
        # The "</>" button that shows the raw query box has no accessible name.
        await page.get_by_test_id("toggle-manual-query").click()
        await page.get_by_placeholder("Enter a query").fill(query)
        link = page.get_by_role("link", name=workflow_id, exact=True)
        for _ in range(LIST_ATTEMPTS):
            await page.get_by_role("button", name="Search", exact=True).click()
            try:
                await link.wait_for(timeout=1_000)
                return
            except PlaywrightTimeoutError:
                continue
        raise AssertionError(
            f"{workflow_id} is not listed for {query!r} after {LIST_ATTEMPTS} searches"
        )

    async def open_workflow(self, workflow_id: str) -> None:
        """Load the workflow page anew, so that no tab shows stale data."""
        url = f"{self.base_url}/namespaces/{self.namespace}/workflows/"
        await self.page.goto(url + quote(workflow_id, safe=""))
        # The heading's accessible name is "Copy <workflow id>", from its button.
        heading = self.page.get_by_role("heading", level=1, name=workflow_id)
        await expect(heading).to_be_visible()

    def current_details_panel(self) -> Locator:
        """The iframe in which the UI renders the current details as Markdown."""
        return self.page.locator("iframe#user-metadata-current-details")

    async def read_current_details(self, workflow_id: str, status: str) -> str:
        """Reload the workflow, open User Metadata and return the current details.

        Waits until the details show ``status``, which the workflow writes in
        bold as their first line.
        """
        await self.open_workflow(workflow_id)
        await self.page.get_by_role("tab", name="User Metadata").click()
        frame = self.current_details_panel().content_frame
        await expect(frame.get_by_text(status, exact=True)).to_be_visible()
        return await frame.locator("body").inner_text()

    async def open_action_dialog(
        self, workflow_id: str, action: str, handler: str
    ) -> "ActionDialog":
        """Reload the workflow, open "Send a Signal" or "Send an Update" and
        choose ``handler``.

        ``action`` is the menu item text, which is also the dialog's title. The
        reload matters: a second dialog opened on the same page load can keep
        its Submit button spinning after the UI has sent the request.
        """
        await self.open_workflow(workflow_id)
        page = self.page
        await page.get_by_role("button", name="More Actions").click()
        await page.get_by_role("menuitem", name=action).click()
        kind = "signal" if action == "Send a Signal" else "update"
        dialog = ActionDialog(page, page.get_by_role("dialog", name=action), kind)
        # The handler picker is a button whose label points at a hidden input,
        # so it has no accessible name.
        await dialog.locator.get_by_test_id(f"{kind}-select-button").click()
        name = page.get_by_text(handler, exact=True)
        await dialog.locator.get_by_role("option").filter(has=name).click()
        return dialog


class ActionDialog:
    """An open "Send a Signal" or "Send an Update" dialog.

    ``kind`` is "signal" or "update", the path segment of the UI's API call.
    """

    def __init__(self, page: Page, locator: Locator, kind: str):
        self.page = page
        self.locator = locator
        self.kind = kind

    async def enter_input(self, text: str) -> None:
        """Replace the JSON input with ``text``.

        The editor reformats valid JSON when it loses focus, and the dialog
        grows. Blurring here keeps a later click from landing on a button that
        has moved.
        """
        editor = self.locator.get_by_role("textbox", name="Data")
        await editor.fill(text)
        await editor.blur()

    async def send(self) -> Response:
        """Click Submit and return the response to the UI's signal or update call."""
        marker = f"/{self.kind}/"
        async with self.page.expect_response(
            lambda response: (
                response.request.method == "POST" and marker in response.url
            )
        ) as response_info:
            await self.locator.get_by_role("button", name="Submit").click()
        return await response_info.value

    async def submit(self) -> None:
        """Submit, check the UI's call succeeded and wait for the dialog to close.

        Raises AssertionError if the call failed.
        """
        response = await self.send()
        if not response.ok:
            raise AssertionError(
                f"The Web UI's {self.kind} call failed with HTTP "
                f"{response.status}: {await response.text()}"
            )
        await expect(self.locator).to_be_hidden()

    async def close(self) -> None:
        """Close the dialog without sending anything."""
        # The close icon and the Cancel button are both named "Cancel".
        cancel = self.locator.get_by_role("button", name="Cancel", exact=True)
        await cancel.first.click()
        await expect(self.locator).to_be_hidden()
