import json
import logging
import re
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from court_notices.pacer import (
    InvalidCredentialsError,
    LoginRejectedError,
    PacerAuthClient,
    PacerError,
    PacerLogin,
    PacerUnavailableError,
)
from court_notices.totp import TIME_STEP_SECONDS, new_totp_secret, one_time_code
from courtsim.state import CLIENT_CODE_WARNING, FaultRule, SimulatedAccount
from tests.support.courtsim_server import CourtSimulator

LOGIN_ID = "jdoe-law"
PASSWORD = "correct horse battery staple"
AUTH_PATH = "/pacer/services/cso-auth"
LOGOUT_PATH = "/pacer/services/cso-logout"
TOKEN_PATTERN = re.compile(r"[0-9a-f]{128}")


@pytest.fixture(autouse=True)
def reset_simulator(court_simulator: CourtSimulator) -> None:
    court_simulator.reset()
    court_simulator.state.put_account(SimulatedAccount(LOGIN_ID, PASSWORD))


@pytest.fixture
async def client(court_simulator: CourtSimulator) -> AsyncIterator[PacerAuthClient]:
    async with PacerAuthClient(court_simulator.pacer_base_url, timeout=5.0) as client:
        yield client


def assert_no_secrets(error: BaseException, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in str(error)
        assert secret not in repr(error)


async def test_login_returns_token(client: PacerAuthClient) -> None:
    login = await client.login(login_id=LOGIN_ID, password=PASSWORD)

    assert TOKEN_PATTERN.fullmatch(login.next_gen_cso)
    assert login.warning is None


async def test_login_token_is_issued_by_server(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    login = await client.login(login_id=LOGIN_ID, password=PASSWORD)

    assert court_simulator.state.issued_tokens() == [login.next_gen_cso]
    assert court_simulator.state.login_id_for(login.next_gen_cso) == LOGIN_ID


async def test_login_warning_is_success(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    court_simulator.state.put_account(
        SimulatedAccount(LOGIN_ID, PASSWORD, client_code_required=True)
    )

    login = await client.login(login_id=LOGIN_ID, password=PASSWORD)

    assert login.warning == CLIENT_CODE_WARNING
    assert TOKEN_PATTERN.fullmatch(login.next_gen_cso)


async def test_login_client_code_clears_warning(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    court_simulator.state.put_account(
        SimulatedAccount(LOGIN_ID, PASSWORD, client_code_required=True)
    )

    login = await client.login(login_id=LOGIN_ID, password=PASSWORD, client_code="A1")

    assert login.warning is None


async def test_login_wrong_password_raises(client: PacerAuthClient) -> None:
    with pytest.raises(InvalidCredentialsError, match="loginResult 13"):
        await client.login(login_id=LOGIN_ID, password="wrong password")


async def test_login_wrong_password_sent_once(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    with pytest.raises(InvalidCredentialsError):
        await client.login(login_id=LOGIN_ID, password="wrong password")

    assert court_simulator.state.request_counts() == {AUTH_PATH: 1}


async def test_login_unknown_user_raises(client: PacerAuthClient) -> None:
    with pytest.raises(InvalidCredentialsError):
        await client.login(login_id="nobody", password=PASSWORD)


async def test_login_error_hides_password(client: PacerAuthClient) -> None:
    wrong_password = "Tr0ub4dor&3-secret"
    with pytest.raises(InvalidCredentialsError) as caught:
        await client.login(login_id=LOGIN_ID, password=wrong_password)

    assert_no_secrets(caught.value, wrong_password, PASSWORD)


async def test_login_missing_otp_raises(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    secret = new_totp_secret()
    court_simulator.state.put_account(
        SimulatedAccount(LOGIN_ID, PASSWORD, totp_secret=secret)
    )

    with pytest.raises(InvalidCredentialsError):
        await client.login(login_id=LOGIN_ID, password=PASSWORD)


async def test_login_wrong_otp_raises(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    secret = new_totp_secret()
    court_simulator.state.put_account(
        SimulatedAccount(LOGIN_ID, PASSWORD, totp_secret=secret)
    )
    stale_code = one_time_code(secret, at=0)

    with pytest.raises(InvalidCredentialsError) as caught:
        await client.login(login_id=LOGIN_ID, password=PASSWORD, otp_code=stale_code)

    assert_no_secrets(caught.value, PASSWORD, stale_code, secret)


async def test_login_valid_otp_succeeds(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    secret = new_totp_secret()
    court_simulator.state.put_account(
        SimulatedAccount(LOGIN_ID, PASSWORD, totp_secret=secret)
    )

    login = await client.login(
        login_id=LOGIN_ID, password=PASSWORD, otp_code=one_time_code(secret)
    )

    assert TOKEN_PATTERN.fullmatch(login.next_gen_cso)


async def test_login_previous_otp_succeeds(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    secret = new_totp_secret()
    court_simulator.state.put_account(
        SimulatedAccount(LOGIN_ID, PASSWORD, totp_secret=secret)
    )
    previous_code = one_time_code(secret, at=time.time() - TIME_STEP_SECONDS)

    login = await client.login(
        login_id=LOGIN_ID, password=PASSWORD, otp_code=previous_code
    )

    assert login.warning is None


async def test_login_locked_account_rejected(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    court_simulator.state.put_account(SimulatedAccount(LOGIN_ID, PASSWORD, locked=True))

    with pytest.raises(LoginRejectedError) as caught:
        await client.login(login_id=LOGIN_ID, password=PASSWORD)

    assert caught.value.login_result == "7"
    assert "locked" in caught.value.description
    assert "loginResult 7" in str(caught.value)
    assert_no_secrets(caught.value, PASSWORD)


async def test_login_locked_is_not_invalid_credentials(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    court_simulator.state.put_account(SimulatedAccount(LOGIN_ID, PASSWORD, locked=True))

    with pytest.raises(PacerError) as caught:
        await client.login(login_id=LOGIN_ID, password=PASSWORD)

    assert not isinstance(caught.value, InvalidCredentialsError)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_login_server_error_unavailable(
    client: PacerAuthClient, court_simulator: CourtSimulator, status: int
) -> None:
    court_simulator.state.add_fault(FaultRule(AUTH_PATH, status, remaining=1))

    with pytest.raises(PacerUnavailableError, match=f"HTTP {status}") as caught:
        await client.login(login_id=LOGIN_ID, password=PASSWORD)

    assert "/services/cso-auth" in str(caught.value)
    assert_no_secrets(caught.value, PASSWORD)


async def test_login_after_fault_succeeds(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    court_simulator.state.add_fault(FaultRule(AUTH_PATH, 503, remaining=1))
    with pytest.raises(PacerUnavailableError):
        await client.login(login_id=LOGIN_ID, password=PASSWORD)

    login = await client.login(login_id=LOGIN_ID, password=PASSWORD)

    assert TOKEN_PATTERN.fullmatch(login.next_gen_cso)


async def test_login_slow_reply_times_out(court_simulator: CourtSimulator) -> None:
    court_simulator.state.add_fault(
        FaultRule(AUTH_PATH, 0, remaining=1, delay_seconds=1.0)
    )

    async with PacerAuthClient(court_simulator.pacer_base_url, timeout=0.2) as client:
        with pytest.raises(PacerUnavailableError, match="timed out") as caught:
            await client.login(login_id=LOGIN_ID, password=PASSWORD)

    assert_no_secrets(caught.value, PASSWORD)


async def test_login_bad_request_not_unavailable(client: PacerAuthClient) -> None:
    # The simulator returns 400 for an empty password, as for any malformed request.
    with pytest.raises(PacerError, match="HTTP 400") as caught:
        await client.login(login_id=LOGIN_ID, password="")

    assert not isinstance(caught.value, PacerUnavailableError)


async def test_login_non_json_reply_unavailable() -> None:
    def reply_with_html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>Maintenance</html>")

    transport = httpx.MockTransport(reply_with_html)
    async with PacerAuthClient("http://pacer.test", transport=transport) as client:
        with pytest.raises(PacerUnavailableError, match="without a JSON object"):
            await client.login(login_id=LOGIN_ID, password=PASSWORD)


async def test_login_success_without_token_unavailable() -> None:
    def reply_without_token(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"loginResult": "0", "nextGenCSO": ""})

    transport = httpx.MockTransport(reply_without_token)
    async with PacerAuthClient("http://pacer.test", transport=transport) as client:
        with pytest.raises(PacerUnavailableError, match="without a nextGenCSO"):
            await client.login(login_id=LOGIN_ID, password=PASSWORD)


async def test_login_transport_error_unavailable() -> None:
    def refuse_connection(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = httpx.MockTransport(refuse_connection)
    async with PacerAuthClient("http://pacer.test", transport=transport) as client:
        with pytest.raises(PacerUnavailableError, match="ConnectError") as caught:
            await client.login(login_id=LOGIN_ID, password=PASSWORD)

    assert_no_secrets(caught.value, PASSWORD)


async def test_login_request_body_and_headers() -> None:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"loginResult": "0", "nextGenCSO": "t" * 128})

    transport = httpx.MockTransport(record)
    async with PacerAuthClient(
        "http://pacer.test/pacer/", transport=transport
    ) as client:
        await client.login(login_id=LOGIN_ID, password=PASSWORD, otp_code="123456")

    request = requests[0]
    assert request.url == "http://pacer.test/pacer/services/cso-auth"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert json.loads(request.content) == {
        "loginId": LOGIN_ID,
        "password": PASSWORD,
        "otpCode": "123456",
        "redactFlag": "1",
    }


def test_login_repr_hides_token() -> None:
    login = PacerLogin(next_gen_cso="secret-token-value", warning="a warning")

    assert "secret-token-value" not in repr(login)
    assert "a warning" in repr(login)


async def test_logout_ends_session(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    login = await client.login(login_id=LOGIN_ID, password=PASSWORD)

    await client.logout(login)

    assert court_simulator.state.login_id_for(login.next_gen_cso) is None


async def test_logout_failure_logged_not_raised(
    client: PacerAuthClient,
    court_simulator: CourtSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    login = await client.login(login_id=LOGIN_ID, password=PASSWORD)
    court_simulator.state.add_fault(FaultRule(LOGOUT_PATH, 503, remaining=1))

    with caplog.at_level(logging.WARNING, logger="court_notices.pacer"):
        await client.logout(login)

    assert "PACER logout failed" in caplog.text
    assert "HTTP 503" in caplog.text
    assert login.next_gen_cso not in caplog.text


async def test_session_logs_out_after_block(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    async with client.session(login_id=LOGIN_ID, password=PASSWORD) as login:
        assert court_simulator.state.login_id_for(login.next_gen_cso) == LOGIN_ID

    assert court_simulator.state.login_id_for(login.next_gen_cso) is None


async def test_session_logs_out_on_error(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    tokens: list[str] = []

    with pytest.raises(RuntimeError, match="work failed"):
        async with client.session(login_id=LOGIN_ID, password=PASSWORD) as login:
            tokens.append(login.next_gen_cso)
            raise RuntimeError("work failed")

    assert court_simulator.state.login_id_for(tokens[0]) is None


async def test_session_login_failure_skips_logout(
    client: PacerAuthClient, court_simulator: CourtSimulator
) -> None:
    with pytest.raises(InvalidCredentialsError):
        async with client.session(login_id=LOGIN_ID, password="wrong password"):
            pass

    assert LOGOUT_PATH not in court_simulator.state.request_counts()
