"""Starlette app that simulates PACER login and CM/ECF secondary noticing addresses.

Routes:
- ``/pacer/services/cso-auth`` and ``/pacer/services/cso-logout`` follow the
  PACER Authentication API: JSON in, JSON out, the outcome in ``loginResult``.
- ``/ecf/{court_id}/account/secondary-emails`` changes an account's secondary
  addresses and needs the cookie ``nextGenCSO=<token of a live session>``.
- ``/ecf/{court_id}/doc1/{doc_id}`` serves free-look links (see courtsim.doc1).
- ``/_sim/...`` is the control API for tests and the demo. It has no
  authentication, so serve the simulator on 127.0.0.1 only.

All state is in memory and lost when the process exits.
"""

import asyncio
import logging
import re
import time
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from court_notices.totp import one_time_code
from courtsim.doc1 import doc1_link_from, get_doc1
from courtsim.nef_sender import (
    DEFAULT_SMTP_HOST,
    DEFAULT_SMTP_PORT,
    deliver_nef,
    nef_request_from,
)
from courtsim.state import (
    LOGIN_OK,
    MAX_SECONDARY_EMAILS,
    FaultRule,
    SecondaryEmailLimitError,
    SimulatedAccount,
    SimulatorState,
)

__all__ = [
    "MAX_SECONDARY_EMAILS",
    "FaultRule",
    "SecondaryEmailLimitError",
    "SimulatedAccount",
    "SimulatorState",
    "create_app",
]

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_sim/"
# A practical check, not RFC 5322: one @, no spaces, a dot in the domain.
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL_LENGTH = 254
MAX_FAULT_DELAY_SECONDS = 300.0


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


async def control_put_document(request: Request) -> Response:
    body = await _json_object(request)
    if body is None:
        return _error(request, 400, "request body must be a JSON object")

    link = doc1_link_from(body)
    if isinstance(link, str):
        return _error(request, 400, link)
    _state(request).put_doc1_link(link)
    return JSONResponse(
        {"court_id": link.court_id, "doc_id": link.doc_id}, status_code=201
    )


async def control_send_nef(request: Request) -> Response:
    """Register documents, send an NEF by SMTP and reply 202 once it is accepted.

    The reply names each document without its magic number.
    """
    body = await _json_object(request)
    if body is None:
        return _error(request, 400, "request body must be a JSON object")

    nef = nef_request_from(
        body,
        smtp_host=request.app.state.smtp_host,
        smtp_port=request.app.state.smtp_port,
    )
    if isinstance(nef, str):
        return _error(request, 400, nef)

    base_url = str(request.base_url).rstrip("/")
    try:
        message, documents = await deliver_nef(
            nef, state=_state(request), base_url=base_url
        )
    except OSError as exc:
        return _error(
            request,
            502,
            f"sending the NEF to SMTP server {nef.smtp_host}:{nef.smtp_port} "
            f"failed: {exc}. Start the intake server or pass smtp_host and "
            "smtp_port.",
        )

    reply_documents = [
        {
            "doc_id": document.doc_id,
            "url_without_magic": document.url_without_magic(base_url),
        }
        for document in documents
    ]
    return JSONResponse(
        {"message_id": message["Message-ID"], "documents": reply_documents},
        status_code=202,
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
    Route("/ecf/{court_id}/doc1/{doc_id}", get_doc1, methods=["GET"]),
    Route("/_sim/accounts", control_put_account, methods=["POST"]),
    Route("/_sim/faults", control_add_fault, methods=["POST"]),
    Route("/_sim/faults", control_clear_faults, methods=["DELETE"]),
    Route("/_sim/issued-tokens", control_issued_tokens, methods=["GET"]),
    Route("/_sim/requests", control_request_counts, methods=["GET"]),
    Route("/_sim/secondary-emails", control_secondary_emails, methods=["GET"]),
    Route("/_sim/reset", control_reset, methods=["POST"]),
    Route("/_sim/health", control_health, methods=["GET"]),
    Route("/_sim/documents", control_put_document, methods=["POST"]),
    Route("/_sim/nefs", control_send_nef, methods=["POST"]),
]


def create_app(
    state: SimulatorState | None = None,
    *,
    smtp_host: str = DEFAULT_SMTP_HOST,
    smtp_port: int = DEFAULT_SMTP_PORT,
) -> Starlette:
    """Build the simulator app around ``state``, or around a new empty state.

    ``POST /_sim/nefs`` sends to smtp_host:smtp_port unless its body names
    another server.
    """
    simulator_state = state if state is not None else SimulatorState()
    app = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(RequestLogMiddleware),
            Middleware(FaultInjectionMiddleware, state=simulator_state),
        ],
    )
    app.state.simulator = simulator_state
    app.state.smtp_host = smtp_host
    app.state.smtp_port = smtp_port
    return app
