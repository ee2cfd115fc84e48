"""Starlette app that simulates PACER login and CM/ECF secondary noticing addresses.

Routes:
- ``/pacer/services/cso-auth`` and ``/pacer/services/cso-logout`` follow the
  PACER Authentication API: JSON in, JSON out, the outcome in ``loginResult``.
- ``/ecf/{court_id}/account/secondary-emails`` changes an account's secondary
  addresses and needs the cookie ``nextGenCSO=<token of a live session>``.
- ``/_sim/...`` is the control API for tests and the demo. It has no
  authentication, so serve the simulator on 127.0.0.1 only.

All state is in memory and lost when the process exits.
"""

import asyncio
import hmac
import logging
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from court_notices.totp import one_time_code, verify_one_time_code

__all__ = [
    "MAX_SECONDARY_EMAILS",
    "FaultRule",
    "SecondaryEmailLimitError",
    "SimulatedAccount",
    "SimulatorState",
    "create_app",
]

logger = logging.getLogger(__name__)

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

CONTROL_PREFIX = "/_sim/"
# A practical check, not RFC 5322: one @, no spaces, a dot in the domain.
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL_LENGTH = 254
MAX_FAULT_DELAY_SECONDS = 300.0


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


class SecondaryEmailLimitError(Exception):
    """The account already has MAX_SECONDARY_EMAILS secondary addresses."""


class SimulatorState:
    """Accounts, sessions, secondary addresses, fault rules and request counts.

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

    def reset(self) -> None:
        with self._lock:
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


# --- Request helpers ---------------------------------------------------------


def _state(request: Request) -> SimulatorState:
    state: SimulatorState = request.app.state.simulator
    return state


def _error(request: Request, status: int, message: str) -> JSONResponse:
    """Log why the request failed and return the JSON error reply."""
    logger.info(
        "%s %s failed with HTTP %d: %s",
        request.method,
        request.url.path,
        status,
        message,
    )
    return JSONResponse({"error": message}, status_code=status)


async def _json_object(request: Request) -> dict[str, Any] | None:
    """Return the request body as a JSON object, or None if it is not one."""
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and value else None


def _is_valid_email(address: str) -> bool:
    return (
        len(address) <= MAX_EMAIL_LENGTH
        and EMAIL_PATTERN.fullmatch(address) is not None
    )


# --- PACER Authentication API ------------------------------------------------


async def cso_auth(request: Request) -> Response:
    body = await _json_object(request)
    if body is None:
        return _error(request, 400, "request body must be a JSON object")

    login_id = _optional_str(body, "loginId")
    password = _optional_str(body, "password")
    if login_id is None or password is None:
        return _error(
            request, 400, "loginId and password are required non-empty strings"
        )

    reply = _state(request).log_in(
        login_id,
        password,
        otp_code=_optional_str(body, "otpCode"),
        client_code=_optional_str(body, "clientCode"),
    )
    return JSONResponse(reply)


async def cso_logout(request: Request) -> Response:
    body = await _json_object(request)
    token = _optional_str(body, "nextGenCSO") if body is not None else None
    if token is None:
        return _error(request, 400, "nextGenCSO is a required non-empty string")

    # Ending an unknown or ended session succeeds, as a repeated logout should.
    _state(request).log_out(token)
    return JSONResponse({"loginResult": LOGIN_OK})


# --- CM/ECF account: secondary noticing addresses ----------------------------


def _session_login_id(request: Request) -> str | None:
    token = request.cookies.get("nextGenCSO")
    return _state(request).login_id_for(token) if token else None


def _no_session(request: Request) -> JSONResponse:
    return _error(request, 401, "nextGenCSO cookie is missing or its session has ended")


def _secondary_emails_reply(court_id: str, addresses: list[str]) -> JSONResponse:
    return JSONResponse({"court_id": court_id, "secondary_emails": addresses})


async def list_secondary_emails(request: Request) -> Response:
    login_id = _session_login_id(request)
    if login_id is None:
        return _no_session(request)

    court_id = request.path_params["court_id"]
    addresses = _state(request).secondary_emails(court_id, login_id)
    return _secondary_emails_reply(court_id, addresses)


async def add_secondary_email(request: Request) -> Response:
    login_id = _session_login_id(request)
    if login_id is None:
        return _no_session(request)

    body = await _json_object(request)
    address = _optional_str(body, "address") if body is not None else None
    if address is None or not _is_valid_email(address):
        return _error(
            request, 400, "address must be an email address such as name@example.com"
        )

    court_id = request.path_params["court_id"]
    try:
        addresses = _state(request).add_secondary_email(court_id, login_id, address)
    except SecondaryEmailLimitError as exc:
        return _error(request, 409, str(exc))
    return _secondary_emails_reply(court_id, addresses)


async def remove_secondary_email(request: Request) -> Response:
    login_id = _session_login_id(request)
    if login_id is None:
        return _no_session(request)

    court_id = request.path_params["court_id"]
    address = request.path_params["address"]
    addresses = _state(request).remove_secondary_email(court_id, login_id, address)
    return _secondary_emails_reply(court_id, addresses)


# --- Control API ---------------------------------------------------------------


async def control_put_account(request: Request) -> Response:
    body = await _json_object(request)
    if body is None:
        return _error(request, 400, "request body must be a JSON object")

    login_id = _optional_str(body, "login_id")
    password = _optional_str(body, "password")
    if login_id is None or password is None:
        return _error(
            request, 400, "login_id and password are required non-empty strings"
        )

    totp_secret = body.get("totp_secret")
    if totp_secret is not None:
        if not isinstance(totp_secret, str):
            return _error(request, 400, "totp_secret must be a base32 string")
        try:
            one_time_code(totp_secret)
        except ValueError as exc:
            return _error(request, 400, f"totp_secret: {exc}")

    flags = {name: body.get(name, False) for name in ("client_code_required", "locked")}
    for name, value in flags.items():
        if not isinstance(value, bool):
            return _error(request, 400, f"{name} must be true or false")

    account = SimulatedAccount(login_id, password, totp_secret, **flags)
    _state(request).put_account(account)
    return JSONResponse({"login_id": login_id}, status_code=201)


def _fault_rule_from(body: dict[str, Any]) -> FaultRule | str:
    """Return the rule described by ``body``, or an error message."""
    path_prefix = body.get("path_prefix")
    status = body.get("status")
    count = body.get("count", 1)
    delay = body.get("delay_seconds", 0)

    if not isinstance(path_prefix, str) or not path_prefix.startswith("/"):
        return "path_prefix must be a path starting with /"
    if path_prefix.startswith(CONTROL_PREFIX):
        return f"path_prefix must not be under {CONTROL_PREFIX}, which never fails"
    if type(status) is not int or not (status == 0 or 400 <= status <= 599):
        return "status must be 0 (delay only) or an HTTP status from 400 to 599"
    if type(count) is not int or count < 1:
        return "count must be a whole number of requests, 1 or more"
    if type(delay) not in (int, float) or not 0 <= delay <= MAX_FAULT_DELAY_SECONDS:
        return f"delay_seconds must be a number from 0 to {MAX_FAULT_DELAY_SECONDS:g}"
    return FaultRule(path_prefix, status, count, float(delay))


async def control_add_fault(request: Request) -> Response:
    body = await _json_object(request)
    if body is None:
        return _error(request, 400, "request body must be a JSON object")

    rule = _fault_rule_from(body)
    if isinstance(rule, str):
        return _error(request, 400, rule)
    _state(request).add_fault(rule)
    return JSONResponse({"path_prefix": rule.path_prefix}, status_code=201)


async def control_clear_faults(request: Request) -> Response:
    return JSONResponse({"cleared": _state(request).clear_faults()})


async def control_issued_tokens(request: Request) -> Response:
    return JSONResponse({"tokens": _state(request).issued_tokens()})


async def control_request_counts(request: Request) -> Response:
    """Return the number of requests per path, not counting the control API."""
    return JSONResponse({"requests": _state(request).request_counts()})


async def control_secondary_emails(request: Request) -> Response:
    court_id = request.query_params.get("court_id")
    login_id = request.query_params.get("login_id")
    if not court_id or not login_id:
        return _error(
            request, 400, "query parameters court_id and login_id are required"
        )

    addresses = _state(request).secondary_emails(court_id, login_id)
    return JSONResponse(
        {"court_id": court_id, "login_id": login_id, "secondary_emails": addresses}
    )


async def control_reset(request: Request) -> Response:
    _state(request).reset()
    return JSONResponse({"reset": True})


async def control_health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


# --- Middleware and app ------------------------------------------------------


class RequestLogMiddleware:
    """Log one INFO line per request: method, path, status and duration.

    Query strings and bodies stay out of the log, because bodies carry
    passwords, passcodes and tokens.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        status = 500

        async def send_and_record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record_status)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info(
                "%s %s -> %d in %.1f ms",
                scope["method"],
                scope["path"],
                status,
                elapsed_ms,
            )


class FaultInjectionMiddleware:
    """Count requests per path and apply the fault rules.

    Control API requests are neither counted nor failed, so tests can always
    reach it.
    """

    def __init__(self, app: ASGIApp, state: SimulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return

        self.state.count_request(path)
        rule = self.state.take_fault(path)
        if rule is not None and rule.delay_seconds > 0:
            await asyncio.sleep(rule.delay_seconds)
        if rule is not None and rule.status:
            logger.info(
                "%s %s: simulated HTTP %d fault", scope["method"], path, rule.status
            )
            response = JSONResponse(
                {"error": f"simulated HTTP {rule.status} fault"},
                status_code=rule.status,
            )
            await response(scope, receive, send)
            return

        await self.app(scope, receive, send)


ROUTES = [
    Route("/pacer/services/cso-auth", cso_auth, methods=["POST"]),
    Route("/pacer/services/cso-logout", cso_logout, methods=["POST"]),
    Route(
        "/ecf/{court_id}/account/secondary-emails",
        list_secondary_emails,
        methods=["GET"],
    ),
    Route(
        "/ecf/{court_id}/account/secondary-emails",
        add_secondary_email,
        methods=["POST"],
    ),
    Route(
        # The path converter keeps a "/" in the local part, which ASGI servers
        # decode from %2F before routing.
        "/ecf/{court_id}/account/secondary-emails/{address:path}",
        remove_secondary_email,
        methods=["DELETE"],
    ),
    Route("/_sim/accounts", control_put_account, methods=["POST"]),
    Route("/_sim/faults", control_add_fault, methods=["POST"]),
    Route("/_sim/faults", control_clear_faults, methods=["DELETE"]),
    Route("/_sim/issued-tokens", control_issued_tokens, methods=["GET"]),
    Route("/_sim/requests", control_request_counts, methods=["GET"]),
    Route("/_sim/secondary-emails", control_secondary_emails, methods=["GET"]),
    Route("/_sim/reset", control_reset, methods=["POST"]),
    Route("/_sim/health", control_health, methods=["GET"]),
]


def create_app(state: SimulatorState | None = None) -> Starlette:
    """Build the simulator app around ``state``, or around a new empty state."""
    simulator_state = state if state is not None else SimulatorState()
    app = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(RequestLogMiddleware),
            Middleware(FaultInjectionMiddleware, state=simulator_state),
        ],
    )
    app.state.simulator = simulator_state
    return app
