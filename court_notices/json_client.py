"""The HTTP client that the PACER client and the court adapter share."""

from types import TracebackType
from typing import Self

import httpx

__all__ = ["JsonHttpClient"]


class JsonHttpClient:
    """An owned httpx.AsyncClient for a JSON API under ``base_url``.

    ``timeout`` is in seconds and applies to connecting, sending and reading.
    Use it as an async context manager, or call ``aclose()``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json"},
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
