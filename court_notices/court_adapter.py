"""Secondary noticing addresses on an attorney's CM/ECF account.

``CourtAdapter`` is the interface the activities call. ``SimulatorCourtAdapter``
implements it against the local court simulator (``courtsim``). A client for the
real CM/ECF account pages would implement the same protocol.
"""

from typing import Any, Protocol
from urllib.parse import quote

import httpx

from court_notices.json_client import JsonHttpClient
from court_notices.pacer import PacerLogin

__all__ = [
    "CourtAdapter",
    "CourtAdapterError",
    "CourtSessionError",
    "CourtUnavailableError",
    "SecondaryAddressLimitError",
    "SimulatorCourtAdapter",
]


class CourtAdapterError(Exception):
    """Base class for failures to change an account's secondary addresses."""


class SecondaryAddressLimitError(CourtAdapterError):
    """The account already has the court's maximum number of secondary addresses."""


class CourtSessionError(CourtAdapterError):
    """The court did not accept the nextGenCSO session, so log in to PACER again."""


class CourtUnavailableError(CourtAdapterError):
    """The court returned no usable reply: HTTP 5xx or 429, a timeout or a bad body.

    These failures are transient, so a caller may retry after a delay.
    """


class CourtAdapter(Protocol):
    """Changes the secondary noticing addresses of the logged-in CM/ECF account.

    Both methods are idempotent and return the account's secondary addresses
    after the change.
    """

    async def add_secondary_address(
        self, *, court_id: str, login: PacerLogin, address: str
    ) -> list[str]:
        """Add ``address``. Adding an address already on the account changes nothing."""
        ...

    async def remove_secondary_address(
        self, *, court_id: str, login: PacerLogin, address: str
    ) -> list[str]:
        """Remove ``address``. Removing an address not on the account succeeds."""
        ...


class SimulatorCourtAdapter(JsonHttpClient, CourtAdapter):
    """CourtAdapter for the court simulator's ``/ecf/{court_id}`` endpoints.

    ``timeout`` is in seconds. Use the adapter as an async context manager, or
    call ``aclose()``.
    """

    async def add_secondary_address(
        self, *, court_id: str, login: PacerLogin, address: str
    ) -> list[str]:
        path = _secondary_emails_path(court_id)
        return await self._send(
            "POST", path, court_id=court_id, login=login, json={"address": address}
        )

    async def remove_secondary_address(
        self, *, court_id: str, login: PacerLogin, address: str
    ) -> list[str]:
        path = f"{_secondary_emails_path(court_id)}/{quote(address, safe='@')}"
        return await self._send("DELETE", path, court_id=court_id, login=login)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        court_id: str,
        login: PacerLogin,
        json: dict[str, str] | None = None,
    ) -> list[str]:
        # The cookie goes in a header because httpx deprecates per-request
        # cookies, and a client-wide jar would mix the sessions of attorneys.
        headers = {"Cookie": f"nextGenCSO={login.next_gen_cso}"}
        try:
            response = await self._http.request(
                method, path, headers=headers, json=json
            )
        except httpx.TimeoutException as exc:
            raise CourtUnavailableError(
                f"court {court_id}: {method} {path} timed out after "
                f"{self._timeout} s; retry later"
            ) from exc
        except httpx.TransportError as exc:
            raise CourtUnavailableError(
                f"court {court_id}: {method} {path} failed "
                f"({type(exc).__name__}); retry later"
            ) from exc

        _raise_for_status(court_id, f"{method} {path}", response)
        return _secondary_emails_from(court_id, response)


def _secondary_emails_path(court_id: str) -> str:
    return f"/ecf/{quote(court_id, safe='')}/account/secondary-emails"


def _raise_for_status(court_id: str, request: str, response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return

    detail = _error_detail(response)
    if status == httpx.codes.UNAUTHORIZED:
        raise CourtSessionError(
            f"court {court_id} did not accept the nextGenCSO session for {request} "
            "(HTTP 401); log in to PACER again"
        )
    if status == httpx.codes.CONFLICT:
        raise SecondaryAddressLimitError(
            f"court {court_id}: {request} failed with HTTP 409: {detail}. Remove a "
            "secondary address from the CM/ECF account before adding another."
        )
    if status >= 500 or status == httpx.codes.TOO_MANY_REQUESTS:
        raise CourtUnavailableError(
            f"court {court_id}: {request} returned HTTP {status}; retry later"
        )
    raise CourtAdapterError(
        f"court {court_id}: {request} was rejected with HTTP {status}: {detail}"
    )


def _error_detail(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return "no error message in the reply"
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return "no error message in the reply"


def _secondary_emails_from(court_id: str, response: httpx.Response) -> list[str]:
    try:
        body: Any = response.json()
    except ValueError:
        body = None

    addresses = body.get("secondary_emails") if isinstance(body, dict) else None
    if not isinstance(addresses, list) or not all(
        isinstance(address, str) for address in addresses
    ):
        raise CourtUnavailableError(
            f"court {court_id} returned HTTP {response.status_code} without a "
            "secondary_emails list; retry later"
        )
    return addresses
