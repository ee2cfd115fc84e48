from collections.abc import AsyncIterator

import httpx
import pytest

from court_notices.court_adapter import (
    CourtAdapter,
    CourtAdapterError,
    CourtSessionError,
    CourtUnavailableError,
    SecondaryAddressLimitError,
    SimulatorCourtAdapter,
)
from court_notices.pacer import PacerAuthClient, PacerLogin
from courtsim.state import MAX_SECONDARY_EMAILS, FaultRule, SimulatedAccount
from tests.support.courtsim_server import CourtSimulator

LOGIN_ID = "jdoe-law"
PASSWORD = "correct horse battery staple"
COURT = "innb"
ADDRESS = "jdoe.innb@notices.court-notices.test"


@pytest.fixture(autouse=True)
def reset_simulator(court_simulator: CourtSimulator) -> None:
    court_simulator.reset()
    court_simulator.state.put_account(SimulatedAccount(LOGIN_ID, PASSWORD))


@pytest.fixture
def login(court_simulator: CourtSimulator) -> PacerLogin:
    reply = court_simulator.state.log_in(LOGIN_ID, PASSWORD)
    return PacerLogin(next_gen_cso=reply["nextGenCSO"])


@pytest.fixture
async def adapter(
    court_simulator: CourtSimulator,
) -> AsyncIterator[SimulatorCourtAdapter]:
    async with SimulatorCourtAdapter(court_simulator.base_url, timeout=5.0) as adapter:
        yield adapter


def stored_addresses(
    court_simulator: CourtSimulator, court_id: str = COURT
) -> list[str]:
    return court_simulator.state.secondary_emails(court_id, LOGIN_ID)


async def test_add_returns_addresses(
    adapter: SimulatorCourtAdapter, login: PacerLogin
) -> None:
    addresses = await adapter.add_secondary_address(
        court_id=COURT, login=login, address=ADDRESS
    )

    assert addresses == [ADDRESS]


async def test_add_stores_address(
    adapter: SimulatorCourtAdapter,
    login: PacerLogin,
    court_simulator: CourtSimulator,
) -> None:
    await adapter.add_secondary_address(court_id=COURT, login=login, address=ADDRESS)

    assert stored_addresses(court_simulator) == [ADDRESS]


async def test_add_twice_is_idempotent(
    adapter: SimulatorCourtAdapter, login: PacerLogin
) -> None:
    await adapter.add_secondary_address(court_id=COURT, login=login, address=ADDRESS)

    addresses = await adapter.add_secondary_address(
        court_id=COURT, login=login, address=ADDRESS
    )

    assert addresses == [ADDRESS]


async def test_add_other_case_is_same_address(
    adapter: SimulatorCourtAdapter, login: PacerLogin
) -> None:
    await adapter.add_secondary_address(court_id=COURT, login=login, address=ADDRESS)

    addresses = await adapter.add_secondary_address(
        court_id=COURT, login=login, address=ADDRESS.upper()
    )

    assert addresses == [ADDRESS]


async def test_add_keeps_courts_apart(
    adapter: SimulatorCourtAdapter,
    login: PacerLogin,
    court_simulator: CourtSimulator,
) -> None:
    await adapter.add_secondary_address(court_id=COURT, login=login, address=ADDRESS)

    assert stored_addresses(court_simulator, "nysb") == []


async def test_remove_returns_remaining(
    adapter: SimulatorCourtAdapter, login: PacerLogin
) -> None:
    other = "paralegal@example.com"
    await adapter.add_secondary_address(court_id=COURT, login=login, address=other)
    await adapter.add_secondary_address(court_id=COURT, login=login, address=ADDRESS)

    addresses = await adapter.remove_secondary_address(
        court_id=COURT, login=login, address=ADDRESS
    )

    assert addresses == [other]


async def test_remove_absent_is_idempotent(
    adapter: SimulatorCourtAdapter, login: PacerLogin
) -> None:
    addresses = await adapter.remove_secondary_address(
        court_id=COURT, login=login, address=ADDRESS
    )

    assert addresses == []


async def test_remove_twice_is_idempotent(
    adapter: SimulatorCourtAdapter, login: PacerLogin
) -> None:
    await adapter.add_secondary_address(court_id=COURT, login=login, address=ADDRESS)
    await adapter.remove_secondary_address(court_id=COURT, login=login, address=ADDRESS)

    addresses = await adapter.remove_secondary_address(
        court_id=COURT, login=login, address=ADDRESS
    )

    assert addresses == []


async def test_remove_tagged_address(
    adapter: SimulatorCourtAdapter,
    login: PacerLogin,
    court_simulator: CourtSimulator,
) -> None:
    tagged = "jdoe+innb/ch7@example.com"
    await adapter.add_secondary_address(court_id=COURT, login=login, address=tagged)

    addresses = await adapter.remove_secondary_address(
        court_id=COURT, login=login, address=tagged
    )

    assert addresses == []
    assert stored_addresses(court_simulator) == []


async def test_add_beyond_limit_raises(
    adapter: SimulatorCourtAdapter, login: PacerLogin
) -> None:
    for index in range(MAX_SECONDARY_EMAILS):
        address = f"notice{index}@example.com"
        await adapter.add_secondary_address(
            court_id=COURT, login=login, address=address
        )

    with pytest.raises(SecondaryAddressLimitError, match="HTTP 409") as caught:
        await adapter.add_secondary_address(
            court_id=COURT, login=login, address=ADDRESS
        )

    assert f"maximum of {MAX_SECONDARY_EMAILS}" in str(caught.value)
    assert login.next_gen_cso not in str(caught.value)


async def test_add_existing_at_limit_succeeds(
    adapter: SimulatorCourtAdapter, login: PacerLogin
) -> None:
    addresses = [f"notice{index}@example.com" for index in range(MAX_SECONDARY_EMAILS)]
    for address in addresses:
        await adapter.add_secondary_address(
            court_id=COURT, login=login, address=address
        )

    result = await adapter.add_secondary_address(
        court_id=COURT, login=login, address=addresses[0]
    )

    assert result == addresses


async def test_add_after_logout_raises_session_error(
    adapter: SimulatorCourtAdapter, court_simulator: CourtSimulator
) -> None:
    async with PacerAuthClient(court_simulator.pacer_base_url) as pacer:
        login = await pacer.login(login_id=LOGIN_ID, password=PASSWORD)
        await pacer.logout(login)

    with pytest.raises(CourtSessionError, match="HTTP 401") as caught:
        await adapter.add_secondary_address(
            court_id=COURT, login=login, address=ADDRESS
        )

    assert login.next_gen_cso not in str(caught.value)
    assert login.next_gen_cso not in repr(caught.value)


async def test_remove_unknown_token_raises_session_error(
    adapter: SimulatorCourtAdapter,
) -> None:
    forged = PacerLogin(next_gen_cso="0" * 128)

    with pytest.raises(CourtSessionError):
        await adapter.remove_secondary_address(
            court_id=COURT, login=forged, address=ADDRESS
        )


async def test_add_invalid_address_raises(
    adapter: SimulatorCourtAdapter, login: PacerLogin
) -> None:
    with pytest.raises(CourtAdapterError, match="HTTP 400") as caught:
        await adapter.add_secondary_address(
            court_id=COURT, login=login, address="not an address"
        )

    assert type(caught.value) is CourtAdapterError


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_add_server_error_unavailable(
    adapter: SimulatorCourtAdapter,
    login: PacerLogin,
    court_simulator: CourtSimulator,
    status: int,
) -> None:
    court_simulator.state.add_fault(FaultRule("/ecf/", status, remaining=1))

    with pytest.raises(CourtUnavailableError, match=f"HTTP {status}") as caught:
        await adapter.add_secondary_address(
            court_id=COURT, login=login, address=ADDRESS
        )

    assert login.next_gen_cso not in str(caught.value)


async def test_add_slow_reply_times_out(
    login: PacerLogin, court_simulator: CourtSimulator
) -> None:
    court_simulator.state.add_fault(
        FaultRule("/ecf/", 0, remaining=1, delay_seconds=1.0)
    )

    async with SimulatorCourtAdapter(court_simulator.base_url, timeout=0.2) as adapter:
        with pytest.raises(CourtUnavailableError, match="timed out"):
            await adapter.add_secondary_address(
                court_id=COURT, login=login, address=ADDRESS
            )


async def test_add_transport_error_unavailable(login: PacerLogin) -> None:
    def refuse_connection(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = httpx.MockTransport(refuse_connection)
    async with SimulatorCourtAdapter(
        "http://court.test", transport=transport
    ) as adapter:
        with pytest.raises(CourtUnavailableError, match="ConnectError"):
            await adapter.add_secondary_address(
                court_id=COURT, login=login, address=ADDRESS
            )


async def test_add_reply_without_list_unavailable(login: PacerLogin) -> None:
    def reply_with_html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>Sign in</html>")

    transport = httpx.MockTransport(reply_with_html)
    async with SimulatorCourtAdapter(
        "http://court.test", transport=transport
    ) as adapter:
        with pytest.raises(CourtUnavailableError, match="secondary_emails list"):
            await adapter.add_secondary_address(
                court_id=COURT, login=login, address=ADDRESS
            )


async def test_adapter_sends_session_cookie(login: PacerLogin) -> None:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"court_id": COURT, "secondary_emails": []})

    transport = httpx.MockTransport(record)
    async with SimulatorCourtAdapter(
        "http://court.test", transport=transport
    ) as adapter:
        await adapter.remove_secondary_address(
            court_id=COURT, login=login, address=ADDRESS
        )

    assert requests[0].method == "DELETE"
    assert requests[0].url.path == f"/ecf/{COURT}/account/secondary-emails/{ADDRESS}"
    assert requests[0].headers["cookie"] == f"nextGenCSO={login.next_gen_cso}"


def test_simulator_adapter_is_court_adapter(court_simulator: CourtSimulator) -> None:
    adapter: CourtAdapter = SimulatorCourtAdapter(court_simulator.base_url)

    assert isinstance(adapter, SimulatorCourtAdapter)
