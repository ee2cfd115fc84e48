"""The Court Notices worker: registers the workflows and activities.

Run it with `python -m worker`; `make run` starts it beside the dev server.
"""

import asyncio
import logging
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.addresses import AddressActivities
from activities.credentials import CredentialActivities
from activities.dependencies import ActivityDependencies
from activities.notices import NoticeActivities
from activities.records import RecordActivities
from activities.validation import ValidationActivities
from court_notices.settings import get_settings
from starter.session import connect_client
from workflows.activation import JurisdictionActivationWorkflow
from workflows.interceptors import SingleArgumentInterceptor
from workflows.notice_ingestion import NoticeIngestionWorkflow

logger = logging.getLogger("court_notices.worker")

WORKFLOWS = [JurisdictionActivationWorkflow, NoticeIngestionWorkflow]
INTERCEPTORS = [SingleArgumentInterceptor()]


def build_activities(
    dependencies: ActivityDependencies,
) -> list[Callable[..., Any]]:
    validation = ValidationActivities(dependencies)
    credentials = CredentialActivities(dependencies)
    addresses = AddressActivities(dependencies)
    records = RecordActivities(dependencies)
    notices = NoticeActivities(dependencies)
    return [
        validation.validate_activation,
        credentials.verify_credentials,
        addresses.provision_noticing_address,
        addresses.submit_noticing_address,
        addresses.release_noticing_address,
        records.record_activation_transition,
        records.record_activation_reminder,
        notices.store_notice,
        notices.capture_free_look,
    ]


def build_worker(
    client: Client,
    dependencies: ActivityDependencies,
    *,
    task_queue: str,
    executor: ThreadPoolExecutor,
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=build_activities(dependencies),
        interceptors=INTERCEPTORS,
        # Database activities are synchronous and run on these threads.
        activity_executor=executor,
        # Activities are short; a stop waits this long for them to finish.
        graceful_shutdown_timeout=timedelta(seconds=5),
    )


async def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    settings = get_settings()
    client = await connect_client(settings)
    dependencies = ActivityDependencies.from_settings(settings)

    with ThreadPoolExecutor(max_workers=16) as executor:
        worker = build_worker(
            client, dependencies, task_queue=settings.task_queue, executor=executor
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)

        async with worker:
            logger.info(
                "Worker polling task queue %s on %s",
                settings.task_queue,
                settings.temporal_address,
            )
            await stop.wait()
            logger.info("Worker stopping")


if __name__ == "__main__":
    asyncio.run(main())
