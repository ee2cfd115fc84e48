"""An SMTP intake on a free port of 127.0.0.1, wired like `python -m intake`."""

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

from temporalio.client import Client

from court_notices.blobs import BlobStore
from court_notices.notice_models import NoticeSource
from intake.server import (
    NoticeIntakeController,
    NoticeIntakeHandler,
    address_checker,
)
from starter.notices import NoticeSubmission, submit_notice


@dataclass
class RunningIntake:
    host: str
    port: int
    submissions: list[NoticeSubmission]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run_intake(
    *,
    client: Client,
    blobs: BlobStore,
    database_url: str,
    task_queue: str,
    data_size_limit: int = 1024 * 1024,
) -> AsyncIterator[RunningIntake]:
    running = RunningIntake("127.0.0.1", free_port(), [])

    async def submit(raw: bytes, recipients: list[str]) -> object:
        # aiosmtpd runs its own event loop in a thread; the Temporal client
        # belongs to the test's loop, so the start runs there. Tests must not
        # block that loop (send SMTP with asyncio.to_thread).
        future = asyncio.run_coroutine_threadsafe(
            submit_notice(
                client,
                blobs,
                raw,
                recipients=recipients,
                source=NoticeSource.SMTP,
                task_queue=task_queue,
            ),
            test_loop,
        )
        submissions = await asyncio.wrap_future(future)
        running.submissions.extend(submissions)
        return submissions

    test_loop = asyncio.get_running_loop()
    handler = NoticeIntakeHandler(
        blobs=blobs, is_known_address=address_checker(database_url), submit=submit
    )
    controller = NoticeIntakeController(
        handler,
        hostname=running.host,
        port=running.port,
        data_size_limit=data_size_limit,
    )
    controller.start()
    try:
        yield running
    finally:
        controller.stop()
