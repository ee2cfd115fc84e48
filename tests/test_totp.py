import base64

import pytest

from court_notices.totp import (
    SECRET_BYTES,
    TIME_STEP_SECONDS,
    new_totp_secret,
    one_time_code,
    verify_one_time_code,
)

# RFC 6238 appendix B: the SHA1 key is the ASCII string "12345678901234567890".
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "287082"),
    (1111111109, "081804"),
    (1234567890, "005924"),
    (2000000000, "279037"),
]
NOW = 1_700_000_000.0


def test_new_secret_is_base32_of_20_bytes() -> None:
    secret = new_totp_secret()

    assert len(base64.b32decode(secret)) == SECRET_BYTES
    assert "=" not in secret


def test_new_secret_is_random() -> None:
    assert new_totp_secret() != new_totp_secret()


@pytest.mark.parametrize(("at", "expected"), RFC_VECTORS)
def test_code_matches_rfc_vectors(at: float, expected: str) -> None:
    assert one_time_code(RFC_SECRET, at=at) == expected


def test_code_defaults_to_now() -> None:
    secret = new_totp_secret()

    assert verify_one_time_code(secret, one_time_code(secret))


def test_code_accepts_lowercase_and_spaces() -> None:
    spaced = " ".join(RFC_SECRET[i : i + 4] for i in range(0, len(RFC_SECRET), 4))

    assert one_time_code(spaced.lower(), at=59) == "287082"


def test_code_accepts_missing_padding() -> None:
    padded = base64.b32encode(b"sixteen byte key").decode()

    assert padded.endswith("=")
    assert one_time_code(padded.rstrip("="), at=NOW) == one_time_code(padded, at=NOW)


def test_code_accepts_80_bit_secret() -> None:
    secret = base64.b32encode(b"ten bytes!").decode()

    assert len(one_time_code(secret, at=NOW)) == 6


@pytest.mark.parametrize("secret", ["not base32!", "ABC1DEFG", "QQQQQQQQQ"])
def test_invalid_secret_raises_without_echo(secret: str) -> None:
    with pytest.raises(ValueError, match="TOTP secret is not valid base32") as caught:
        one_time_code(secret, at=NOW)

    assert secret not in str(caught.value)
    assert caught.value.__cause__ is None


def test_empty_secret_raises() -> None:
    with pytest.raises(ValueError, match="it is empty"):
        one_time_code("  ", at=NOW)


def test_verify_accepts_current_code() -> None:
    code = one_time_code(RFC_SECRET, at=NOW)

    assert verify_one_time_code(RFC_SECRET, code, at=NOW)


@pytest.mark.parametrize("steps", [-1, 1])
def test_verify_accepts_adjacent_step(steps: int) -> None:
    code = one_time_code(RFC_SECRET, at=NOW + steps * TIME_STEP_SECONDS)

    assert verify_one_time_code(RFC_SECRET, code, at=NOW)


@pytest.mark.parametrize("steps", [-2, 2])
def test_verify_rejects_two_steps_away(steps: int) -> None:
    code = one_time_code(RFC_SECRET, at=NOW + steps * TIME_STEP_SECONDS)

    assert not verify_one_time_code(RFC_SECRET, code, at=NOW)


def test_verify_window_zero_rejects_drift() -> None:
    code = one_time_code(RFC_SECRET, at=NOW + TIME_STEP_SECONDS)

    assert not verify_one_time_code(RFC_SECRET, code, at=NOW, window=0)


def test_verify_wider_window_accepts_drift() -> None:
    code = one_time_code(RFC_SECRET, at=NOW - 2 * TIME_STEP_SECONDS)

    assert verify_one_time_code(RFC_SECRET, code, at=NOW, window=2)


def test_verify_ignores_spaces_in_code() -> None:
    code = one_time_code(RFC_SECRET, at=NOW)

    assert verify_one_time_code(RFC_SECRET, f"{code[:3]} {code[3:]}", at=NOW)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_verify_rejects_malformed_code(code: str) -> None:
    assert not verify_one_time_code(RFC_SECRET, code, at=NOW)


def test_verify_rejects_wrong_code() -> None:
    code = one_time_code(RFC_SECRET, at=NOW)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    assert not verify_one_time_code(RFC_SECRET, wrong, at=NOW)


def test_verify_negative_window_raises() -> None:
    with pytest.raises(ValueError, match="window must be 0 or more"):
        verify_one_time_code(RFC_SECRET, "123456", at=NOW, window=-1)


def test_verify_invalid_secret_raises() -> None:
    with pytest.raises(ValueError, match="TOTP secret is not valid base32"):
        verify_one_time_code("not base32!", "123456", at=NOW)
