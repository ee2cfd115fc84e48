"""Async client for the PACER Authentication API (central sign-on).

A login returns a nextGenCSO token, which CM/ECF accepts as the ``nextGenCSO``
cookie. The token, the password and the one-time passcode are secrets: they stay
out of exception messages, reprs and log lines.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from court_notices.json_client import JsonHttpClient

__all__ = [
    "InvalidCredentialsError",
    "LoginRejectedError",
    "PacerAuthClient",
    "PacerError",
    "PacerLogin",
    "PacerUnavailableError",
]

logger = logging.getLogger(__name__)

LOGIN_PATH = "/services/cso-auth"
LOGOUT_PATH = "/services/cso-logout"
LOGIN_OK = "0"
LOGIN_INVALID_CREDENTIALS = "13"


class PacerError(Exception):
    """Base class for failures of the PACER Authentication API."""


class InvalidCredentialsError(PacerError):
    """PACER rejected the login ID, password or one-time passcode (loginResult 13).

    Callers must not retry with the same credentials, because PACER locks an
    account after repeated failed logins.
    """


class LoginRejectedError(PacerError):
    """PACER rejected the login with a non-zero loginResult other than 13."""

    def __init__(self, login_result: str, description: str) -> None:
        super().__init__(
            f"PACER rejected the login with loginResult {login_result}: "
            f"{description or 'no errorDescription given'}"
        )
        self.login_result = login_result
        self.description = description


class PacerUnavailableError(PacerError):
    """PACER returned no usable reply: HTTP 5xx or 429, a timeout or a bad body.

    These failures are transient, so a caller may retry after a delay.
    """


@dataclass(frozen=True)
class PacerLogin:
    """A live PACER session.

    ``warning`` is PACER's errorDescription from a successful login, such as a
    missing client code, which limits search privileges but not the login.
    """

    next_gen_cso: str = field(repr=False)
    warning: str | None = None


class PacerAuthClient(JsonHttpClient):
    """Client for the PACER login and logout endpoints under ``base_url``.

    ``timeout`` is in seconds and applies to connecting, sending and reading.
    Use the client as an async context manager, or call ``aclose()``.
    """

    async def login(
        self,
        *,
        login_id: str,
        password: str,
        client_code: str | None = None,
        otp_code: str | None = None,
    ) -> PacerLogin:
        """Log in and return the session token with PACER's warning, if any.

        Raises InvalidCredentialsError (never retry it), LoginRejectedError or
        PacerUnavailableError.
        """
        payload = {"loginId": login_id, "password": password, "redactFlag": "1"}
        if client_code:
            payload["clientCode"] = client_code
        if otp_code:
            payload["otpCode"] = otp_code

        reply = await self._post_json(LOGIN_PATH, payload)
        return _login_from_reply(reply, login_id)

    async def logout(self, login: PacerLogin) -> None:
        """End the session. A failure is logged and not raised.

        A session that is not logged out expires on PACER's side, so a failed
        logout must not fail the work that used the session.
        """
        try:
            reply = await self._post_json(
                LOGOUT_PATH, {"nextGenCSO": login.next_gen_cso}
            )
        except PacerError as exc:
            logger.warning(
                "PACER logout failed, so the session stays open until it expires: %s",
                exc,
            )
            return

        login_result = str(reply.get("loginResult", LOGIN_OK))
        if login_result != LOGIN_OK:
            logger.warning(
                "PACER logout returned loginResult %s: %s",
                login_result,
                reply.get("errorDescription") or "no errorDescription given",
            )

    @asynccontextmanager
    async def session(
        self,
        *,
        login_id: str,
        password: str,
        client_code: str | None = None,
        otp_code: str | None = None,
    ) -> AsyncIterator[PacerLogin]:
        """Log in, yield the login, and log out when the block exits, even on error."""
        login = await self.login(
            login_id=login_id,
            password=password,
            client_code=client_code,
            otp_code=otp_code,
        )
        try:
            yield login
        finally:
            await self.logout(login)

    async def _post_json(self, path: str, payload: dict[str, str]) -> dict[str, Any]:
        """POST ``payload`` and return the JSON object of a 2xx reply."""
        try:
            response = await self._http.post(path, json=payload)
        except httpx.TimeoutException as exc:
            raise PacerUnavailableError(
                f"PACER {path} timed out after {self._timeout} s; retry later"
            ) from exc
        except httpx.TransportError as exc:
            raise PacerUnavailableError(
                f"PACER {path} could not be reached ({type(exc).__name__}); retry later"
            ) from exc

        _raise_for_status(path, response)
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise PacerUnavailableError(
                f"PACER {path} returned HTTP {response.status_code} without a JSON "
                "object; retry later"
            )
        return reply


def _raise_for_status(path: str, response: httpx.Response) -> None:
    status = response.status_code
    if status >= 500 or status == httpx.codes.TOO_MANY_REQUESTS:
        raise PacerUnavailableError(f"PACER {path} returned HTTP {status}; retry later")
    if status >= 400:
        # Other 4xx replies mean the request itself is wrong, so a retry would
        # fail the same way.
        raise PacerError(f"PACER {path} rejected the request with HTTP {status}")


def _login_from_reply(reply: dict[str, Any], login_id: str) -> PacerLogin:
    login_result = str(reply.get("loginResult", ""))
    description = str(reply.get("errorDescription") or "")

    if login_result == LOGIN_INVALID_CREDENTIALS:
        raise InvalidCredentialsError(
            f"PACER rejected the credentials of login ID {login_id!r} "
            "(loginResult 13). Check the password and one-time passcode before "
            "trying again, because PACER locks accounts after repeated failures."
        )
    if login_result != LOGIN_OK:
        if not login_result:
            raise PacerUnavailableError(
                f"PACER {LOGIN_PATH} replied without a loginResult; retry later"
            )
        raise LoginRejectedError(login_result, description)

    token = reply.get("nextGenCSO")
    if not isinstance(token, str) or not token:
        raise PacerUnavailableError(
            f"PACER {LOGIN_PATH} reported success without a nextGenCSO token; "
            "retry later"
        )
    # PACER sets errorDescription on some successful logins, for example when
    # the client code is missing. The login still counts.
    return PacerLogin(next_gen_cso=token, warning=description or None)
