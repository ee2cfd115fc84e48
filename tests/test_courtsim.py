import logging
import re
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from court_notices.totp import new_totp_secret, one_time_code
from courtsim.app import create_app
from courtsim.state import (
    CLIENT_CODE_WARNING,
    INVALID_CREDENTIALS_MESSAGE,
    MAX_SECONDARY_EMAILS,
    SimulatedAccount,
    SimulatorState,
)
from tests.support.courtsim_server import CourtSimulator

LOGIN_ID = "jdoe-law"
PASSWORD = "correct horse battery staple"
AUTH_PATH = "/pacer/services/cso-auth"
LOGOUT_PATH = "/pacer/services/cso-logout"
EMAILS_PATH = "/ecf/innb/account/secondary-emails"
ADDRESS = "jdoe.innb@notices.court-notices.test"
TOKEN_PATTERN = re.compile(r"[0-9a-f]{128}")


@pytest.fixture(scope="module")
async def http_client(
    court_simulator: CourtSimulator,
) -> AsyncIterator[httpx.AsyncClient]:
    # One client for the module, because each new client loads the CA bundle.
    async with httpx.AsyncClient(base_url=court_simulator.base_url) as client:
        yield client


@pytest.fixture
async def http(http_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Reset the simulator, add the test account and return the client."""
    response = await http_client.post("/_sim/reset")
    assert response.status_code == 200

    response = await http_client.post(
        "/_sim/accounts", json={"login_id": LOGIN_ID, "password": PASSWORD}
    )
    assert response.status_code == 201
    return http_client


async def log_in(http: httpx.AsyncClient, **extra: str) -> dict[str, str]:
    body = {"loginId": LOGIN_ID, "password": PASSWORD, "redactFlag": "1", **extra}
    response = await http.post(AUTH_PATH, json=body)
    assert response.status_code == 200
    reply: dict[str, str] = response.json()
    return reply


async def session_cookie(http: httpx.AsyncClient) -> dict[str, str]:
    reply = await log_in(http)
    return {"Cookie": f"nextGenCSO={reply['nextGenCSO']}"}


async def test_health_ok(http: httpx.AsyncClient) -> None:
    response = await http.get("/_sim/health")

    assert response.json() == {"status": "ok"}


async def test_auth_success_reply(http: httpx.AsyncClient) -> None:
    reply = await log_in(http)

    assert reply["loginResult"] == "0"
    assert reply["errorDescription"] == ""
    assert TOKEN_PATTERN.fullmatch(reply["nextGenCSO"])


async def test_auth_tokens_are_fresh(http: httpx.AsyncClient) -> None:
    first = await log_in(http)
    second = await log_in(http)

    assert first["nextGenCSO"] != second["nextGenCSO"]


async def test_auth_tokens_listed_as_issued(http: httpx.AsyncClient) -> None:
    first = await log_in(http)
    second = await log_in(http)

    response = await http.get("/_sim/issued-tokens")

    assert response.json() == {"tokens": [first["nextGenCSO"], second["nextGenCSO"]]}


@pytest.mark.parametrize(
    ("login_id", "password"),
    [(LOGIN_ID, "wrong password"), ("nobody", PASSWORD)],
)
async def test_auth_invalid_credentials_reply(
    http: httpx.AsyncClient, login_id: str, password: str
) -> None:
    response = await http.post(
        AUTH_PATH, json={"loginId": login_id, "password": password}
    )

    assert response.status_code == 200
    assert response.json() == {
        "nextGenCSO": "",
        "loginResult": "13",
        "errorDescription": INVALID_CREDENTIALS_MESSAGE,
    }


async def test_auth_otp_required(http: httpx.AsyncClient) -> None:
    secret = new_totp_secret()
    await http.post(
        "/_sim/accounts",
        json={"login_id": LOGIN_ID, "password": PASSWORD, "totp_secret": secret},
    )

    missing = await log_in(http)
    wrong = await log_in(http, otpCode=one_time_code(secret, at=0))
    valid = await log_in(http, otpCode=one_time_code(secret))

    assert missing["loginResult"] == "13"
    assert wrong["loginResult"] == "13"
    assert valid["loginResult"] == "0"


async def test_auth_locked_reply(http: httpx.AsyncClient) -> None:
    await http.post(
        "/_sim/accounts",
        json={"login_id": LOGIN_ID, "password": PASSWORD, "locked": True},
    )

    reply = await log_in(http)

    assert reply["loginResult"] == "7"
    assert "locked" in reply["errorDescription"]
    assert reply["nextGenCSO"] == ""


async def test_auth_locked_hidden_without_password(http: httpx.AsyncClient) -> None:
    await http.post(
        "/_sim/accounts",
        json={"login_id": LOGIN_ID, "password": PASSWORD, "locked": True},
    )

    response = await http.post(
        AUTH_PATH, json={"loginId": LOGIN_ID, "password": "wrong password"}
    )

    assert response.json()["loginResult"] == "13"


async def test_auth_client_code_warning(http: httpx.AsyncClient) -> None:
    await http.post(
        "/_sim/accounts",
        json={
            "login_id": LOGIN_ID,
            "password": PASSWORD,
            "client_code_required": True,
        },
    )

    without_code = await log_in(http)
    with_code = await log_in(http, clientCode="matter-42")

    assert without_code["loginResult"] == "0"
    assert without_code["errorDescription"] == CLIENT_CODE_WARNING
    assert TOKEN_PATTERN.fullmatch(without_code["nextGenCSO"])
    assert with_code["errorDescription"] == ""


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"loginId": "jdoe-law"}', b'{"password": "x"}'],
)
async def test_auth_malformed_request_400(
    http: httpx.AsyncClient, content: bytes
) -> None:
    response = await http.post(
        AUTH_PATH, content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert "error" in response.json()


async def test_logout_ends_session(http: httpx.AsyncClient) -> None:
    cookie = await session_cookie(http)
    token = cookie["Cookie"].removeprefix("nextGenCSO=")

    logout = await http.post(LOGOUT_PATH, json={"nextGenCSO": token})
    after = await http.get(EMAILS_PATH, headers=cookie)

    assert logout.json() == {"loginResult": "0"}
    assert after.status_code == 401


async def test_logout_missing_token_400(http: httpx.AsyncClient) -> None:
    response = await http.post(LOGOUT_PATH, json={})

    assert response.status_code == 400


async def test_emails_without_cookie_401(http: httpx.AsyncClient) -> None:
    response = await http.get(EMAILS_PATH)

    assert response.status_code == 401
    assert "error" in response.json()


async def test_emails_with_unknown_token_401(http: httpx.AsyncClient) -> None:
    response = await http.get(EMAILS_PATH, headers={"Cookie": "nextGenCSO=abc"})

    assert response.status_code == 401


async def test_emails_add_list_delete(http: httpx.AsyncClient) -> None:
    cookie = await session_cookie(http)

    added = await http.post(EMAILS_PATH, json={"address": ADDRESS}, headers=cookie)
    listed = await http.get(EMAILS_PATH, headers=cookie)
    deleted = await http.delete(f"{EMAILS_PATH}/{ADDRESS}", headers=cookie)

    expected = {"court_id": "innb", "secondary_emails": [ADDRESS]}
    assert added.json() == expected
    assert listed.json() == expected
    assert deleted.json() == {"court_id": "innb", "secondary_emails": []}


@pytest.mark.parametrize("body", [{}, {"address": "no-at-sign"}, {"address": 7}])
async def test_emails_invalid_address_400(
    http: httpx.AsyncClient, body: dict[str, object]
) -> None:
    cookie = await session_cookie(http)

    response = await http.post(EMAILS_PATH, json=body, headers=cookie)

    assert response.status_code == 400


async def test_emails_limit_409(http: httpx.AsyncClient) -> None:
    cookie = await session_cookie(http)
    for index in range(MAX_SECONDARY_EMAILS):
        address = f"notice{index}@example.com"
        response = await http.post(
            EMAILS_PATH, json={"address": address}, headers=cookie
        )
        assert response.status_code == 200

    response = await http.post(EMAILS_PATH, json={"address": ADDRESS}, headers=cookie)

    assert response.status_code == 409
    assert "maximum" in response.json()["error"]


async def test_control_secondary_emails(http: httpx.AsyncClient) -> None:
    cookie = await session_cookie(http)
    await http.post(EMAILS_PATH, json={"address": ADDRESS}, headers=cookie)

    response = await http.get(
        "/_sim/secondary-emails", params={"court_id": "innb", "login_id": LOGIN_ID}
    )

    assert response.json() == {
        "court_id": "innb",
        "login_id": LOGIN_ID,
        "secondary_emails": [ADDRESS],
    }


async def test_control_secondary_emails_needs_query(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/_sim/secondary-emails", params={"court_id": "innb"})

    assert response.status_code == 400


async def test_control_account_invalid_totp_400(http: httpx.AsyncClient) -> None:
    secret = "not-base32-secret!"
    response = await http.post(
        "/_sim/accounts",
        json={"login_id": LOGIN_ID, "password": PASSWORD, "totp_secret": secret},
    )

    assert response.status_code == 400
    assert secret not in response.text


@pytest.mark.parametrize(
    "body",
    [
        {"login_id": LOGIN_ID},
        {"password": PASSWORD},
        {"login_id": LOGIN_ID, "password": PASSWORD, "locked": "yes"},
    ],
)
async def test_control_account_invalid_400(
    http: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await http.post("/_sim/accounts", json=body)

    assert response.status_code == 400


async def test_fault_fails_count_requests(http: httpx.AsyncClient) -> None:
    await http.post(
        "/_sim/faults", json={"path_prefix": AUTH_PATH, "status": 503, "count": 2}
    )
    body = {"loginId": LOGIN_ID, "password": PASSWORD}

    statuses = [(await http.post(AUTH_PATH, json=body)).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


async def test_fault_matches_prefix_only(http: httpx.AsyncClient) -> None:
    await http.post("/_sim/faults", json={"path_prefix": "/ecf/", "status": 500})

    response = await http.post(
        AUTH_PATH, json={"loginId": LOGIN_ID, "password": PASSWORD}
    )

    assert response.status_code == 200


async def test_fault_delay_replies_normally(http: httpx.AsyncClient) -> None:
    await http.post(
        "/_sim/faults",
        json={"path_prefix": AUTH_PATH, "status": 0, "delay_seconds": 0.3},
    )

    started = time.monotonic()
    reply = await log_in(http)
    elapsed = time.monotonic() - started

    assert reply["loginResult"] == "0"
    assert elapsed >= 0.3


async def test_faults_cleared(http: httpx.AsyncClient) -> None:
    await http.post("/_sim/faults", json={"path_prefix": "/pacer/", "status": 503})
    await http.post("/_sim/faults", json={"path_prefix": "/ecf/", "status": 503})

    cleared = await http.delete("/_sim/faults")
    reply = await log_in(http)

    assert cleared.json() == {"cleared": 2}
    assert reply["loginResult"] == "0"


@pytest.mark.parametrize(
    "body",
    [
        {"path_prefix": "pacer", "status": 503},
        {"path_prefix": "/_sim/health", "status": 503},
        {"path_prefix": "/pacer/", "status": 200},
        {"path_prefix": "/pacer/", "status": 503, "count": 0},
        {"path_prefix": "/pacer/", "status": 0, "delay_seconds": -1},
    ],
)
async def test_fault_invalid_rule_400(
    http: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await http.post("/_sim/faults", json=body)

    assert response.status_code == 400


async def test_requests_counted_per_path(http: httpx.AsyncClient) -> None:
    await log_in(http)
    await log_in(http)
    await http.get(EMAILS_PATH)

    response = await http.get("/_sim/requests")

    assert response.json() == {"requests": {AUTH_PATH: 2, EMAILS_PATH: 1}}


async def test_reset_removes_accounts(http: httpx.AsyncClient) -> None:
    await http.post("/_sim/reset")

    response = await http.post(
        AUTH_PATH, json={"loginId": LOGIN_ID, "password": PASSWORD}
    )

    assert response.json()["loginResult"] == "13"


async def test_request_log_hides_secrets(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="courtsim"):
        reply = await log_in(http)
        await http.get(
            EMAILS_PATH, headers={"Cookie": f"nextGenCSO={reply['nextGenCSO']}"}
        )

    assert f"POST {AUTH_PATH} -> 200" in caplog.text
    assert PASSWORD not in caplog.text
    assert reply["nextGenCSO"] not in caplog.text


def test_account_repr_hides_secrets() -> None:
    account = SimulatedAccount(LOGIN_ID, PASSWORD, totp_secret="JBSWY3DPEHPK3PXP")

    assert PASSWORD not in repr(account)
    assert "JBSWY3DPEHPK3PXP" not in repr(account)


def test_create_app_makes_own_state() -> None:
    app = create_app()

    assert isinstance(app.state.simulator, SimulatorState)
