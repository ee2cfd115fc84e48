"""Run the SMTP intake: python -m intake [--host H] [--port P]."""

import argparse
import asyncio
import logging
import signal

from court_notices.blobs import BlobStore
from court_notices.notice_models import NoticeSource
from court_notices.settings import get_settings
from intake.server import (
    NoticeIntakeController,
    NoticeIntakeHandler,
    address_checker,
)
from starter.notices import submit_notice
from starter.session import connect_client

logger = logging.getLogger("court_notices.intake")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    settings = get_settings()
    parser.add_argument("--host", default=settings.smtp_host, help="Address to bind.")
    parser.add_argument("--port", type=int, default=settings.smtp_port, help="Port.")
    arguments = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    client = await connect_client(settings)
    blobs = BlobStore(settings.blob_dir)

    async def submit(raw: bytes, recipients: list[str]) -> object:
        return await submit_notice(
            client,
            blobs,
            raw,
            recipients=recipients,
            source=NoticeSource.SMTP,
            task_queue=settings.task_queue,
        )

    handler = NoticeIntakeHandler(
        blobs=blobs,
        is_known_address=address_checker(settings.resolved_database_url),
        submit=submit,
    )
    controller = NoticeIntakeController(
        handler,
        hostname=arguments.host,
        port=arguments.port,
        data_size_limit=settings.max_message_bytes,
        server_hostname=settings.noticing_domain,
    )
    controller.start()
    logger.info("SMTP intake on %s:%d", arguments.host, arguments.port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    await stop.wait()
    controller.stop()
    logger.info("SMTP intake stopped")


if __name__ == "__main__":
    asyncio.run(main())
