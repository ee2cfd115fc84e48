"""In-memory state of the court simulator: accounts, sessions, secondary
addresses, doc1 free-look links, fault rules and request counts."""

import dataclasses
import hmac
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from court_notices.catalog import FREE_LOOK_DAYS
from court_notices.totp import verify_one_time_code

__all__ = [
    "MAX_SECONDARY_EMAILS",
    "Doc1Access",
    "Doc1Link",
    "FaultRule",
    "SecondaryEmailLimitError",
    "SimulatedAccount",
    "SimulatorState",
]

# innb allows at most five secondary addresses per account (see
# court_notices.catalog). The simulator applies that maximum to every court.
MAX_SECONDARY_EMAILS = 5
# Tokens are 64 random bytes, written as 128 hex characters.
TOKEN_BYTES = 64

LOGIN_OK = "0"
LOGIN_LOCKED = "7"
LOGIN_INVALID_CREDENTIALS = "13"
INVALID_CREDENTIALS_MESSAGE = "Invalid username, password, or one-time passcode"
LOCKED_MESSAGE = "Account is locked. Contact the PACER Service Center to unlock it."
CLIENT_CODE_WARNING = "Client code required for search privileges"


@dataclass
class SimulatedAccount:
    """A PACER account. ``totp_secret`` is base32 and turns on multi-factor login."""

    login_id: str
    password: str = field(repr=False)
    totp_secret: str | None = field(default=None, repr=False)
    client_code_required: bool = False
    locked: bool = False


@dataclass
class FaultRule:
    """A failure for the next ``remaining`` requests whose path has the prefix.

    The simulator waits ``delay_seconds``, then replies with ``status``, or with
    the normal reply when ``status`` is 0.
    """

    path_prefix: str
    status: int
    remaining: int
    delay_seconds: float = 0.0


@dataclass
class Doc1Link:
    """A free-look link ``/doc1/<doc_id>?magic_num=<magic_num>`` of one court.

    ``size_bytes`` pads the PDF to at least that many bytes. ``used`` turns
    true on the first successful GET.
    """

    court_id: str
    doc_id: str
    magic_num: str = field(repr=False)
    issued_at: datetime
    sealed: bool = False
    size_bytes: int = 0
    used: bool = False


class Doc1Access(StrEnum):
    """Reply to a GET of a doc1 link."""

    PDF = "pdf"
    FREE_LOOK_USED = "free_look_used"
    LINK_EXPIRED = "link_expired"
    SEALED = "sealed"
    NOT_FOUND = "not_found"


class SecondaryEmailLimitError(Exception):
    """The account already has MAX_SECONDARY_EMAILS secondary addresses."""


class SimulatorState:
    """Accounts, sessions, addresses, doc1 links, fault rules and request counts.

    A lock guards every method, because uvicorn serves requests while tests read
    and change the state from another thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, SimulatedAccount] = {}
        self._sessions: dict[str, str] = {}  # token -> login ID
        self._issued_tokens: list[str] = []
        self._secondary_emails: dict[tuple[str, str], list[str]] = {}
        self._faults: list[FaultRule] = []
        self._request_counts: Counter[str] = Counter()
        # (court ID, doc ID, magic number) -> link
        self._doc1_links: dict[tuple[str, str, str], Doc1Link] = {}

    def reset(self) -> None:
        with self._lock:
            self._doc1_links.clear()
            self._accounts.clear()
            self._sessions.clear()
            self._issued_tokens.clear()
            self._secondary_emails.clear()
            self._faults.clear()
            self._request_counts.clear()

    def put_account(self, account: SimulatedAccount) -> None:
        """Create the account or replace the one with the same login ID."""
        with self._lock:
            self._accounts[account.login_id] = account

    def log_in(
        self,
        login_id: str,
        password: str,
        *,
        otp_code: str | None = None,
        client_code: str | None = None,
    ) -> dict[str, str]:
        """Check the credentials and return the cso-auth reply body.

        Credentials are checked before the lock flag, so that a caller without
        the password cannot learn that an account is locked.
        """
        with self._lock:
            account = self._accounts.get(login_id)
            if account is None or not _credentials_match(account, password, otp_code):
                return _login_reply(
                    LOGIN_INVALID_CREDENTIALS, INVALID_CREDENTIALS_MESSAGE
                )
            if account.locked:
                return _login_reply(LOGIN_LOCKED, LOCKED_MESSAGE)

            token = secrets.token_hex(TOKEN_BYTES)
            self._sessions[token] = login_id
            self._issued_tokens.append(token)

        warning = ""
        if account.client_code_required and not client_code:
            warning = CLIENT_CODE_WARNING
        return _login_reply(LOGIN_OK, warning, token)

    def log_out(self, token: str) -> bool:
        """End the session and return whether it was live."""
        with self._lock:
            return self._sessions.pop(token, None) is not None

    def login_id_for(self, token: str) -> str | None:
        """Return the login ID of a live session, or None."""
        with self._lock:
            return self._sessions.get(token)

    def issued_tokens(self) -> list[str]:
        """Return every token issued since the last reset, live or not."""
        with self._lock:
            return list(self._issued_tokens)

    def secondary_emails(self, court_id: str, login_id: str) -> list[str]:
        with self._lock:
            return list(self._secondary_emails.get((court_id, login_id), []))

    def add_secondary_email(
        self, court_id: str, login_id: str, address: str
    ) -> list[str]:
        """Add the address unless present and return the addresses.

        Addresses compare case-insensitively. Raises SecondaryEmailLimitError when
        a new address would exceed MAX_SECONDARY_EMAILS.
        """
        with self._lock:
            addresses = self._secondary_emails.setdefault((court_id, login_id), [])
            if not _contains_address(addresses, address):
                if len(addresses) >= MAX_SECONDARY_EMAILS:
                    raise SecondaryEmailLimitError(
                        f"account {login_id} at court {court_id} already has the "
                        f"maximum of {MAX_SECONDARY_EMAILS} secondary addresses"
                    )
                addresses.append(address)
            return list(addresses)

    def remove_secondary_email(
        self, court_id: str, login_id: str, address: str
    ) -> list[str]:
        """Remove the address if present and return the remaining addresses."""
        with self._lock:
            key = (court_id, login_id)
            remaining = [
                existing
                for existing in self._secondary_emails.get(key, [])
                if existing.casefold() != address.casefold()
            ]
            self._secondary_emails[key] = remaining
            return list(remaining)

    def add_fault(self, rule: FaultRule) -> None:
        with self._lock:
            self._faults.append(rule)

    def clear_faults(self) -> int:
        """Remove every fault rule and return how many there were."""
        with self._lock:
            cleared = len(self._faults)
            self._faults.clear()
            return cleared

    def take_fault(self, path: str) -> FaultRule | None:
        """Use up one request of the first rule matching ``path``, if any."""
        with self._lock:
            for rule in self._faults:
                if path.startswith(rule.path_prefix):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._faults.remove(rule)
                    return rule
            return None

    def put_doc1_link(self, link: Doc1Link) -> None:
        """Register the link, replacing one with the same doc id and magic number."""
        with self._lock:
            key = (link.court_id, link.doc_id, link.magic_num)
            self._doc1_links[key] = dataclasses.replace(link)

    def doc1_links(self) -> list[Doc1Link]:
        """Return copies of every registered link, in registration order."""
        with self._lock:
            return [dataclasses.replace(link) for link in self._doc1_links.values()]

    def open_doc1_link(
        self,
        court_id: str,
        doc_id: str,
        magic_num: str,
        *,
        now: datetime | None = None,
    ) -> tuple[Doc1Access, Doc1Link | None]:
        """Decide what a GET of the link returns and use up its free look.

        Checks run in this order: unknown link, sealed document, free look
        already used, link older than FREE_LOOK_DAYS. Only a PDF reply marks
        the link used. The returned link is a copy, or None when not found.
        """
        current_time = now if now is not None else datetime.now(UTC)
        with self._lock:
            link = self._doc1_links.get((court_id, doc_id, magic_num))
            if link is None:
                return Doc1Access.NOT_FOUND, None
            if link.sealed:
                access = Doc1Access.SEALED
            elif link.used:
                access = Doc1Access.FREE_LOOK_USED
            elif current_time - link.issued_at > timedelta(days=FREE_LOOK_DAYS):
                access = Doc1Access.LINK_EXPIRED
            else:
                access = Doc1Access.PDF
                link.used = True
            return access, dataclasses.replace(link)

    def count_request(self, path: str) -> None:
        with self._lock:
            self._request_counts[path] += 1

    def request_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._request_counts)


def _credentials_match(
    account: SimulatedAccount, password: str, otp_code: str | None
) -> bool:
    if not hmac.compare_digest(account.password.encode(), password.encode()):
        return False
    if account.totp_secret is None:
        return True
    return otp_code is not None and verify_one_time_code(account.totp_secret, otp_code)


def _login_reply(
    login_result: str, description: str, token: str = ""
) -> dict[str, str]:
    return {
        "nextGenCSO": token,
        "loginResult": login_result,
        "errorDescription": description,
    }


def _contains_address(addresses: list[str], address: str) -> bool:
    folded = address.casefold()
    return any(existing.casefold() == folded for existing in addresses)
