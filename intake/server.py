"""The SMTP intake: accepts mail for provisioned noticing addresses only.

Each message is stored content-addressed before the server replies 250, then
a NoticeIngestionWorkflow with the content hash as its id ingests it, so a
duplicate delivery starts nothing new.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from court_notices.blobs import BlobStore
from court_notices.db import NoticingAddressRow, new_session

__all__ = ["NoticeIntakeController", "NoticeIntakeHandler", "address_checker"]

logger = logging.getLogger(__name__)

# Returns True when the address was ever provisioned by an activation.
AddressCheck = Callable[[str], Awaitable[bool]]
# Starts ingestion of stored bytes for the given recipients.
Submit = Callable[[bytes, list[str]], Awaitable[object]]


class NoticeIntakeHandler:
    def __init__(
        self, *, blobs: BlobStore, is_known_address: AddressCheck, submit: Submit
    ) -> None:
        self._blobs = blobs
        self._is_known_address = is_known_address
        self._submit = submit

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not await self._is_known_address(address.lower()):
            logger.info("Rejected recipient %s: not a noticing address", address)
            return "550 5.1.1 No such noticing address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        digest = self._blobs.put(raw)
        try:
            await self._submit(raw, list(envelope.rcpt_tos))
        except Exception:
            # The message is stored; a temporary failure makes the sender
            # retry, and the retry finds the same content hash.
            logger.exception("Could not start ingestion of message %s", digest)
            return "451 4.3.0 Stored, but ingestion could not start; try again later"
        logger.info(
            "Accepted message %s (%d bytes) for %s",
            digest,
            len(raw),
            ", ".join(envelope.rcpt_tos),
        )
        return "250 OK message stored as " + digest


class _NoticeSMTP(SMTP):
    # RFC 5321 allows 1000-octet lines, but court notices relayed by mail
    # services arrive with longer ones (several test fixtures have lines over
    # 998 characters), and a notice must not be refused for its formatting.
    line_length_limit = 64 * 1024


class NoticeIntakeController(Controller):
    """An aiosmtpd Controller whose server accepts long lines."""

    def factory(self) -> SMTP:
        return _NoticeSMTP(self.handler, **self.SMTP_kwargs)


def address_checker(database_url: str) -> AddressCheck:
    """Build the recipient check: addresses any activation ever provisioned.

    Released addresses still take mail, because such notices are kept and
    flagged rather than bounced.
    """

    def is_known(address: str) -> bool:
        with new_session(database_url) as session:
            return session.get(NoticingAddressRow, address) is not None

    async def check(address: str) -> bool:
        return await asyncio.to_thread(is_known, address)

    return check
