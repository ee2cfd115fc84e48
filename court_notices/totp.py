"""Time-based one-time passcodes (RFC 6238) as PACER multi-factor login uses them.

PACER accepts codes from standard authenticator apps: HMAC-SHA1, 6 digits and a
30-second time step. Secrets travel as base32 text, the form those apps import.
"""

import base64
import binascii
import os
import time

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP

__all__ = [
    "CODE_DIGITS",
    "SECRET_BYTES",
    "TIME_STEP_SECONDS",
    "new_totp_secret",
    "one_time_code",
    "verify_one_time_code",
]

CODE_DIGITS = 6
TIME_STEP_SECONDS = 30
# RFC 4226 recommends a 160-bit key, the output size of SHA1.
SECRET_BYTES = 20


def new_totp_secret() -> str:
    """Generate a random 160-bit secret and return it as unpadded base32."""
    return base64.b32encode(os.urandom(SECRET_BYTES)).decode("ascii")


def one_time_code(secret_base32: str, *, at: float | None = None) -> str:
    """Return the 6-digit code for Unix time ``at`` (default: now).

    Raises ValueError when the secret is not valid base32.
    """
    totp = _totp_for(secret_base32)
    moment = time.time() if at is None else at
    return totp.generate(moment).decode("ascii")


def verify_one_time_code(
    secret_base32: str,
    code: str,
    *,
    at: float | None = None,
    window: int = 1,
) -> bool:
    """Check ``code`` against the time step of ``at`` and ``window`` steps each side.

    The window absorbs clock drift between the server and the authenticator app.
    Spaces inside the code are ignored, because apps often show "123 456".
    Raises ValueError when the secret is not valid base32 or ``window`` is negative.
    """
    if window < 0:
        raise ValueError(f"window must be 0 or more time steps, got {window}")

    totp = _totp_for(secret_base32)
    candidate = "".join(code.split())
    if len(candidate) != CODE_DIGITS or not candidate.isdigit():
        return False

    moment = time.time() if at is None else at
    for step in range(-window, window + 1):
        try:
            totp.verify(
                candidate.encode("ascii"), int(moment) + step * TIME_STEP_SECONDS
            )
        except InvalidToken:
            continue
        return True
    return False


def _totp_for(secret_base32: str) -> TOTP:
    # The issuer, not this code, chooses the secret length. The check is off so
    # that secrets shorter than the 128 bits cryptography requires still work.
    return TOTP(
        _decode_secret(secret_base32),
        CODE_DIGITS,
        SHA1(),
        TIME_STEP_SECONDS,
        enforce_key_length=False,
    )


def _decode_secret(secret_base32: str) -> bytes:
    """Decode base32 written in any case, with spaces and without padding."""
    compact = "".join(secret_base32.split()).upper().rstrip("=")
    padded = compact + "=" * (-len(compact) % 8)
    try:
        key = base64.b32decode(padded)
    except binascii.Error:
        # The secret stays out of the message and the exception chain.
        raise ValueError(
            "TOTP secret is not valid base32: use only the letters A-Z and the "
            "digits 2-7, as the authenticator setup page shows it"
        ) from None

    if not key:
        raise ValueError("TOTP secret is not valid base32: it is empty")
    return key
