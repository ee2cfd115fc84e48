"""Remote codec server for the Temporal Web UI and CLI, so they can show payloads.

It implements Temporal's remote codec protocol: ``POST /encode`` and
``POST /decode`` take a proto3 JSON ``Payloads`` message, ``{"payloads": [...]}``,
and reply with the same shape. Query strings such as ``?preserveStorageRefs=true``
are accepted and ignored, because this codec never fetches externally stored
payloads.

Browsers may call it only from the configured Web UI origins. Requests without an
``Origin`` header (the CLI, scripts) are not browser requests and pass the origin
check. With a bearer token set, every encode and decode request needs it too.

Run it with ``python -m court_notices.codec_server --host 127.0.0.1 --port 8081``,
then set the Web UI's codec endpoint to ``http://127.0.0.1:8081``.
"""

import argparse
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from google.protobuf import json_format
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from court_notices.codec import (
    EncryptionCodec,
    PayloadDecryptionError,
    payload_keyring_source,
)
from court_notices.settings import get_settings
from court_notices.vault import VaultError

__all__ = ["create_codec_app", "main", "parse_origins"]

logger = logging.getLogger(__name__)

ALLOWED_METHODS = "POST, OPTIONS"
# The Web UI sends X-Namespace always, and Authorization when it passes its
# access token to the codec server.
ALLOWED_HEADERS = "content-type, x-namespace, authorization"
PREFLIGHT_MAX_AGE_SECONDS = 600
# protobuf's JSON parser skips characters outside the base64 alphabet instead of
# rejecting them, so each bytes field is checked before parsing.
BASE64_PATTERN = re.compile(r"[A-Za-z0-9+/_-]*={0,2}")
PAYLOAD_COUNT_STATE_KEY = "codec_payload_count"

CodecOperation = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


class BadRequestError(ValueError):
    """The request body is not a valid proto3 JSON Payloads message."""


def create_codec_app(
    codec: PayloadCodec,
    *,
    allowed_origins: Collection[str],
    bearer_token: str | None,
) -> Starlette:
    """Build the codec server's ASGI app.

    ``allowed_origins`` are exact origins such as ``http://localhost:8233``. With
    ``bearer_token`` set, encode and decode requests need ``Authorization: Bearer
    <token>``. Raises ValueError for an invalid origin or an empty token.
    """
    if bearer_token == "":
        raise ValueError("bearer_token is empty. Pass a token, or None for no token.")

    endpoints = _CodecEndpoints(
        codec,
        origins=frozenset(_normalize_origins(allowed_origins)),
        token=bearer_token,
    )
    methods = ["POST", "OPTIONS"]
    return Starlette(
        routes=[
            Route("/encode", endpoints.encode, methods=methods),
            Route("/decode", endpoints.decode, methods=methods),
        ],
        middleware=[Middleware(_AccessLogMiddleware)],
    )


def parse_origins(value: str) -> list[str]:
    """Split a comma-separated origin list, such as ``codec_origins``, into origins."""
    return [origin.strip() for origin in value.split(",") if origin.strip()]


def _normalize_origins(origins: Collection[str]) -> list[str]:
    normalized = []
    for origin in origins:
        # Browsers send the origin without a trailing slash and in lower case.
        candidate = origin.strip().rstrip("/").lower()
        parts = urlsplit(candidate)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path
            or parts.query
            or parts.fragment
        ):
            raise ValueError(
                f"Allowed origin {origin!r} is invalid. Pass scheme, host and port "
                "only, such as http://localhost:8233."
            )
        normalized.append(candidate)
    return normalized


class _CodecEndpoints:
    def __init__(
        self, codec: PayloadCodec, *, origins: frozenset[str], token: str | None
    ) -> None:
        self._codec = codec
        self._origins = origins
        self._token = token.encode("utf-8") if token is not None else None

    async def encode(self, request: Request) -> Response:
        return await self._handle(request, self._codec.encode)

    async def decode(self, request: Request) -> Response:
        return await self._handle(request, self._codec.decode)

    async def _handle(self, request: Request, operation: CodecOperation) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and origin.lower() not in self._origins:
            return _error_response(
                403,
                f"Origin {origin!r} is not allowed to call the codec server. Add it "
                "to COURT_NOTICES_CODEC_ORIGINS.",
                {"Vary": "Origin"},
            )

        cors = _cors_headers(origin)
        if request.method == "OPTIONS":
            return _preflight_response(cors)

        if not self._has_token(request):
            return _error_response(
                401,
                "Missing or wrong bearer token. Send 'Authorization: Bearer <token>' "
                "with the token from COURT_NOTICES_CODEC_TOKEN.",
                {**cors, "WWW-Authenticate": "Bearer"},
            )

        try:
            payloads = _parse_payloads(await request.body())
        except BadRequestError as exc:
            return _error_response(400, str(exc), cors)

        request.state.codec_payload_count = len(payloads.payloads)
        return await self._run(operation, payloads, cors)

    async def _run(
        self, operation: CodecOperation, payloads: Payloads, cors: dict[str, str]
    ) -> Response:
        try:
            result = await operation(payloads.payloads)
        except PayloadDecryptionError as exc:
            # The message names the key id and never the payload contents.
            logger.warning("Payload decryption failed: %s", exc)
            return _error_response(400, str(exc), cors, key_id=exc.key_id)
        except VaultError as exc:
            # The keyring could not be reloaded, which is a server fault.
            logger.error("Payload keyring failed to load: %s", exc)
            return _error_response(500, f"Payload keyring failed to load: {exc}", cors)

        document = json_format.MessageToDict(Payloads(payloads=result))
        # MessageToDict leaves out an empty repeated field.
        document.setdefault("payloads", [])
        return JSONResponse(document, headers=cors)

    def _has_token(self, request: Request) -> bool:
        if self._token is None:
            return True

        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        # Starlette decodes header values as Latin-1, so this restores the bytes.
        presented = credentials.strip().encode("latin-1")
        return hmac.compare_digest(presented, self._token)


def _cors_headers(origin: str | None) -> dict[str, str]:
    if origin is None:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _preflight_response(cors: dict[str, str]) -> Response:
    headers = {
        **cors,
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS),
    }
    return Response(status_code=204, headers=headers)


def _error_response(
    status: int, message: str, headers: dict[str, str], *, key_id: str | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": message}
    if key_id is not None:
        body["keyId"] = key_id
    return JSONResponse(body, status_code=status, headers=headers)


def _parse_payloads(body: bytes) -> Payloads:
    try:
        document = json.loads(body)
    except ValueError:
        raise BadRequestError(
            'Request body is not valid JSON. Send {"payloads": [...]} in proto3 JSON.'
        ) from None

    if not isinstance(document, dict) or "payloads" not in document:
        raise BadRequestError(
            'Request body has no "payloads" field. Send {"payloads": [...]} in '
            "proto3 JSON."
        )
    items = document["payloads"]
    if not isinstance(items, list):
        raise BadRequestError('"payloads" is not an array of payloads.')
    for index, item in enumerate(items):
        _check_payload_json(item, f"payloads[{index}]")

    try:
        return json_format.ParseDict(document, Payloads())
    except json_format.ParseError as exc:
        raise BadRequestError(
            f"Request body is not a valid Payloads message: {exc}"
        ) from None


def _check_payload_json(item: object, where: str) -> None:
    if not isinstance(item, dict):
        raise BadRequestError(f"{where} is not a JSON object.")

    data = item.get("data", "")
    if not isinstance(data, str) or not _is_base64(data):
        raise BadRequestError(f"{where}.data is not a base64 string.")

    metadata = item.get("metadata", {})
    if not isinstance(metadata, dict):
        raise BadRequestError(f"{where}.metadata is not a JSON object.")
    for name, value in metadata.items():
        if not isinstance(value, str) or not _is_base64(value):
            raise BadRequestError(f"{where}.metadata[{name!r}] is not a base64 string.")


def _is_base64(value: str) -> bool:
    # A final group of one character cannot encode a whole byte.
    return bool(BASE64_PATTERN.fullmatch(value)) and len(value.rstrip("=")) % 4 != 1


class _AccessLogMiddleware:
    """Logs one line per request: method, path, status, payload count, origin, time.

    The query string and the bodies are left out, so no payload reaches the log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        started = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_and_record)
        finally:
            # Request.state stores its attributes in scope["state"].
            count = scope.get("state", {}).get(PAYLOAD_COUNT_STATE_KEY, "-")
            origin = Headers(scope=scope).get("origin", "-")
            logger.info(
                "%s %s %d payloads=%s origin=%s %.1f ms",
                scope["method"],
                scope["path"],
                status,
                count,
                origin,
                (time.perf_counter() - started) * 1000,
            )


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the codec with uvicorn until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m court_notices.codec_server",
        description="Serve Temporal's remote codec protocol for the Web UI.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=int,
        help="TCP port to listen on (default: COURT_NOTICES_CODEC_PORT or 8081)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    settings = get_settings()
    try:
        codec = EncryptionCodec(payload_keyring_source(settings))
    except VaultError as exc:
        raise SystemExit(f"Codec server not started: {exc}") from None

    origins = parse_origins(settings.codec_origins)
    token = settings.codec_token or None
    app = create_codec_app(codec, allowed_origins=origins, bearer_token=token)
    port = args.port if args.port is not None else settings.codec_port

    logger.info(
        "Codec server on http://%s:%d with payload key %s, origins %s, %s",
        args.host,
        port,
        codec.active_key_id,
        ", ".join(origins) or "none",
        "bearer token required" if token else "no bearer token",
    )
    if token is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning(
            "Codec server listens on %s without a bearer token, so any host that "
            "reaches it can decrypt payloads. Set COURT_NOTICES_CODEC_TOKEN.",
            args.host,
        )
    uvicorn.run(app, host=args.host, port=port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
