"""Download a free-look document from a CM/ECF doc1 link into the BlobStore.

A doc1 link carries a ``magic_num`` query parameter that works once and
expires after ``catalog.FREE_LOOK_DAYS`` (15) days. The magic number is a
credential, so details and log lines name a link by scheme, host and path,
without its query string.

Nothing here uses Temporal, so an activity can wrap ``capture_document`` and
decide about retries from the outcome.
"""

import ipaddress
import logging
import re
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

import httpx

from court_notices.blobs import BlobStore, BlobTooLargeError

__all__ = [
    "FREE_LOOK_USED_PHRASE",
    "LINK_EXPIRED_PHRASE",
    "MAX_REDIRECTS",
    "SEALED_PHRASE",
    "CaptureOutcome",
    "CaptureResult",
    "MagicNumberRedactor",
    "capture_document",
    "is_allowed_host",
]

logger = logging.getLogger(__name__)

COURT_DOMAIN = "uscourts.gov"
MAX_REDIRECTS = 3
# CM/ECF gives 4-digit doc ids (such as 0280) to documents that cannot be
# viewed, so such a link is not worth a request.
SHORT_DOC_ID_LENGTH = 4
PDF_HEADER = b"%PDF-"
# HTML replies are read up to this size to look for the phrases below.
MAX_PAGE_BYTES = 64 * 1024
MAX_DETAIL_URL_LENGTH = 200

# Phrases of the HTML pages that the court simulator serves in place of a PDF.
# They are compared case-insensitively, with runs of whitespace as one space.
# NOTE: these are the simulator's phrases. The wording of PACER's own pages has
# not been checked, so a real page may still come back as NOT_A_PDF.
FREE_LOOK_USED_PHRASE = "free look at this document has already been used"
LINK_EXPIRED_PHRASE = "free look link has expired"
SEALED_PHRASE = "document is sealed or restricted"

# A host name in lower case: dot-separated labels of letters, digits and
# inner hyphens. It rejects IP literals in brackets, percent escapes and a
# trailing dot.
HOSTNAME_PATTERN = re.compile(
    r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
)
DEFAULT_PORTS = {"http": 80, "https": 443}
MAGIC_NUM_QUERY = re.compile(r"(magic_num=)[^&#\s\"']+", re.IGNORECASE)


class MagicNumberRedactor(logging.Filter):
    """Log filter that replaces ``magic_num=`` values with ``[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = MAGIC_NUM_QUERY.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


# httpx 0.29 logs every request URL, query included, at INFO on the "httpx"
# logger, which would put magic numbers into the worker's log.
logging.getLogger("httpx").addFilter(MagicNumberRedactor())


class CaptureOutcome(StrEnum):
    CAPTURED = "captured"
    FREE_LOOK_USED = "free_look_used"
    LINK_EXPIRED = "link_expired"
    SEALED_OR_UNAVAILABLE = "sealed_or_unavailable"
    REJECTED_HOST = "rejected_host"
    NOT_A_PDF = "not_a_pdf"
    TOO_LARGE = "too_large"
    # A transport error, a timeout, HTTP 5xx or another unexpected status.
    FAILED = "failed"


@dataclass(frozen=True)
class CaptureResult:
    """Outcome of one capture. ``sha256`` and ``size`` are set when CAPTURED.

    ``detail`` names the link without its query string, so it never contains
    the magic number.
    """

    outcome: CaptureOutcome
    sha256: str | None
    size: int | None
    detail: str


# --- Host allow-list ---------------------------------------------------------


def is_allowed_host(url: str, *, extra_hosts: Collection[str]) -> bool:
    """Return whether ``url`` may be fetched as a court document link.

    Allowed are https URLs on ``uscourts.gov`` or a subdomain of it, on the
    default port, and http or https URLs whose host, or ``host:port``, is in
    ``extra_hosts`` (such as the court simulator's ``127.0.0.1:8088``). URLs
    with user info, backslashes, whitespace, control or non-ASCII characters
    are rejected, as is any URL that httpx and urllib parse to different hosts.
    """
    if not url.isascii() or "\\" in url:
        return False
    if any(char.isspace() or not char.isprintable() for char in url):
        return False

    try:
        parsed = httpx.URL(url)
        split = urlsplit(url)
        split_port = split.port
    except (httpx.InvalidURL, ValueError):
        return False

    if parsed.userinfo or "@" in split.netloc:
        return False
    if not parsed.host or parsed.host != split.hostname:
        return False
    # httpx drops a default port that urllib keeps, so compare effective ports.
    default_port = DEFAULT_PORTS.get(parsed.scheme)
    if (parsed.port or default_port) != (split_port or default_port):
        return False

    if _is_extra_host(parsed, extra_hosts):
        return parsed.scheme in DEFAULT_PORTS
    if parsed.scheme != "https" or parsed.port is not None:
        return False
    return _is_court_host(parsed.host)


def _is_extra_host(parsed: httpx.URL, extra_hosts: Collection[str]) -> bool:
    scheme_port = DEFAULT_PORTS.get(parsed.scheme)
    if scheme_port is None:
        return False
    host = parsed.host
    port = parsed.port if parsed.port is not None else scheme_port
    bracketed = f"[{host}]" if ":" in host else host
    allowed = {entry.strip().lower() for entry in extra_hosts}
    return host in allowed or bracketed in allowed or f"{bracketed}:{port}" in allowed


def _is_court_host(host: str) -> bool:
    if HOSTNAME_PATTERN.fullmatch(host) is None:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return False
    return host == COURT_DOMAIN or host.endswith("." + COURT_DOMAIN)


# --- Capture -----------------------------------------------------------------


async def capture_document(
    url: str,
    *,
    pacer_doc_id: str | None,
    store: BlobStore,
    client: httpx.AsyncClient,
    extra_hosts: Collection[str] = (),
    max_bytes: int,
) -> CaptureResult:
    """Download the PDF behind a doc1 link into ``store``.

    Makes no request for a 4-digit ``pacer_doc_id`` or a link that fails
    ``is_allowed_host``. Follows at most MAX_REDIRECTS redirects, each of which
    must pass the same check. Nothing is stored unless the outcome is CAPTURED.
    Transport errors, HTTP 5xx and other unexpected statuses return FAILED, and
    the caller decides whether to retry. Errors of the store itself, such as
    OSError, are raised.
    """
    doc_label = pacer_doc_id if pacer_doc_id is not None else "(no doc id)"
    if pacer_doc_id is not None and len(pacer_doc_id) == SHORT_DOC_ID_LENGTH:
        result = _result(
            CaptureOutcome.SEALED_OR_UNAVAILABLE,
            f"doc id {pacer_doc_id} has {SHORT_DOC_ID_LENGTH} digits, which "
            "CM/ECF uses for documents that cannot be viewed, so it was not fetched",
        )
    elif not is_allowed_host(url, extra_hosts=extra_hosts):
        result = _result(
            CaptureOutcome.REJECTED_HOST,
            f"{_describe_url(url)} is not an https URL on {COURT_DOMAIN} or an "
            "allowed extra host, so it was not fetched",
        )
    else:
        result = await _fetch(url, client, extra_hosts, store, max_bytes)

    _log_result(result, doc_label, url)
    return result


async def _fetch(
    url: str,
    client: httpx.AsyncClient,
    extra_hosts: Collection[str],
    store: BlobStore,
    max_bytes: int,
) -> CaptureResult:
    """Request ``url`` and follow allowed redirects by hand."""
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            async with client.stream("GET", current, follow_redirects=False) as reply:
                if not reply.is_redirect:
                    return await _read_reply(reply, current, store, max_bytes)
                target = str(reply.url.join(reply.headers["location"]))

            if not is_allowed_host(target, extra_hosts=extra_hosts):
                return _result(
                    CaptureOutcome.REJECTED_HOST,
                    f"{_describe_url(current)} redirected to {_describe_url(target)}, "
                    "which is not an allowed host, so the redirect was not followed",
                )
            current = target
    except httpx.InvalidURL:
        return _result(
            CaptureOutcome.REJECTED_HOST,
            f"{_describe_url(current)} redirected to an invalid Location",
        )
    except httpx.HTTPError as exc:
        return _result(
            CaptureOutcome.FAILED,
            f"GET {_describe_url(current)} failed: {type(exc).__name__}: "
            f"{_strip_url(str(exc), current)}",
        )

    return _result(
        CaptureOutcome.FAILED,
        f"{_describe_url(url)} redirected more than {MAX_REDIRECTS} times",
    )


async def _read_reply(
    reply: httpx.Response, url: str, store: BlobStore, max_bytes: int
) -> CaptureResult:
    name = _describe_url(url)
    status_outcome = _status_outcome(reply.status_code)
    if status_outcome is not None:
        return _result(status_outcome, f"HTTP {reply.status_code} from {name}")

    declared_length = reply.headers.get("content-length", "")
    if declared_length.isdigit() and int(declared_length) > max_bytes:
        return _too_large(name, max_bytes)

    chunks = reply.aiter_bytes()
    head = await _read_head(chunks, len(PDF_HEADER))
    if not head.startswith(PDF_HEADER):
        page = head + await _read_head(chunks, MAX_PAGE_BYTES - len(head))
        return _classify_page(page, reply.headers.get("content-type", ""), name)

    counter = _ByteCounter(head, chunks)
    try:
        sha256 = await store.put_stream(counter.chunks(), limit=max_bytes)
    except BlobTooLargeError:
        return _too_large(name, max_bytes)
    return CaptureResult(
        CaptureOutcome.CAPTURED,
        sha256,
        counter.size,
        f"stored {counter.size} bytes from {name}",
    )


def _status_outcome(status: int) -> CaptureOutcome | None:
    """Return the outcome an HTTP status decides, or None for 2xx."""
    if 200 <= status < 300:
        return None
    # A reply of not found, forbidden or gone means no document at this link.
    if status in (403, 404, 410):
        return CaptureOutcome.SEALED_OR_UNAVAILABLE
    return CaptureOutcome.FAILED


async def _read_head(chunks: AsyncIterator[bytes], size: int) -> bytes:
    """Read at least ``size`` bytes of the body, or all of a shorter one."""
    head = b""
    while len(head) < size:
        try:
            head += await anext(chunks)
        except StopAsyncIteration:
            break
    return head


class _ByteCounter:
    """Byte stream of the already-read head and then the rest, with a byte count."""

    def __init__(self, head: bytes, rest: AsyncIterator[bytes]) -> None:
        self.head = head
        self.rest = rest
        self.size = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        self.size = len(self.head)
        yield self.head
        async for chunk in self.rest:
            self.size += len(chunk)
            yield chunk


def _classify_page(page: bytes, content_type: str, name: str) -> CaptureResult:
    text = " ".join(page.decode("utf-8", errors="replace").split()).lower()
    for phrase, outcome in (
        (SEALED_PHRASE, CaptureOutcome.SEALED_OR_UNAVAILABLE),
        (FREE_LOOK_USED_PHRASE, CaptureOutcome.FREE_LOOK_USED),
        (LINK_EXPIRED_PHRASE, CaptureOutcome.LINK_EXPIRED),
    ):
        if phrase in text:
            return _result(outcome, f"{name} returned a page saying {phrase!r}")

    type_name = content_type or "no Content-Type"
    return _result(
        CaptureOutcome.NOT_A_PDF,
        f"{name} returned {type_name} that does not start with %PDF-",
    )


def _too_large(name: str, max_bytes: int) -> CaptureResult:
    return _result(
        CaptureOutcome.TOO_LARGE,
        f"{name} is larger than the limit of {max_bytes} bytes, so nothing was stored",
    )


def _result(outcome: CaptureOutcome, detail: str) -> CaptureResult:
    return CaptureResult(outcome, None, None, detail)


# --- Naming links without their magic number ---------------------------------


def _describe_url(url: str) -> str:
    """Return scheme, host, port and path of ``url``, without user info or query.

    Control and non-ASCII characters are escaped, so a hostile link cannot
    forge log lines.
    """
    try:
        split = urlsplit(url)
        host = split.hostname or ""
        port = f":{split.port}" if split.port is not None else ""
    except ValueError:
        return "an unparsable URL"
    without_query = f"{split.scheme}://{host}{port}{split.path}"
    escaped = without_query.encode("ascii", "backslashreplace").decode("ascii")
    escaped = "".join(
        char if char.isprintable() else f"\\x{ord(char):02x}" for char in escaped
    )
    if len(escaped) > MAX_DETAIL_URL_LENGTH:
        escaped = escaped[:MAX_DETAIL_URL_LENGTH] + "..."
    return escaped


def _strip_url(message: str, url: str) -> str:
    """Replace ``url`` in an exception message with its form without query."""
    return message.replace(url, _describe_url(url))


def _log_result(result: CaptureResult, doc_label: str, url: str) -> None:
    host = _describe_host(url)
    if result.outcome is CaptureOutcome.CAPTURED:
        logger.info(
            "Captured doc %s from %s: %s bytes, sha256 %s",
            doc_label,
            host,
            result.size,
            result.sha256,
        )
    elif result.outcome in (CaptureOutcome.FAILED, CaptureOutcome.REJECTED_HOST):
        logger.warning("Capture of doc %s from %s: %s", doc_label, host, result.outcome)
    else:
        logger.info("Capture of doc %s from %s: %s", doc_label, host, result.outcome)


def _describe_host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or "(no host)"
    except ValueError:
        return "(unparsable URL)"
    return ascii(host)[1:-1]
