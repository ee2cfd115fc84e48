"""Session-scoped pytest fixture that serves the court simulator over real HTTP.

uvicorn runs in a background thread on a free port of 127.0.0.1. Tests talk to
it through ``base_url`` and can read or change ``state`` directly.
"""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from courtsim.app import create_app
from courtsim.state import SimulatorState

STARTUP_TIMEOUT_SECONDS = 10.0
# Requests still sleeping in a delay fault get this long before shutdown cuts them.
SHUTDOWN_GRACE_SECONDS = 2


@dataclass(frozen=True)
class CourtSimulator:
    """A running simulator. ``base_url`` has no trailing slash."""

    base_url: str
    state: SimulatorState

    @property
    def pacer_base_url(self) -> str:
        return f"{self.base_url}/pacer"

    def reset(self) -> None:
        self.state.reset()


@pytest.fixture(scope="session")
def court_simulator() -> Iterator[CourtSimulator]:
    """Serve the simulator for the whole test session and stop it afterwards."""
    state = SimulatorState()
    config = uvicorn.Config(
        create_app(state),
        log_config=None,  # leave logging to pytest
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    server = uvicorn.Server(config)

    # Binding here, before the thread starts, gives a free port without a race.
    # asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP, not 0.
    # Without it, Nagle's algorithm and delayed ACKs add about 40 ms on Linux to
    # each reply on a reused connection.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    # A daemon thread cannot keep pytest from exiting if shutdown hangs.
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [listener]},
        name="courtsim",
        daemon=True,
    )
    thread.start()
    simulator = CourtSimulator(base_url=f"http://127.0.0.1:{port}", state=state)

    try:
        _wait_until_healthy(simulator.base_url, thread)
        yield simulator
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
        listener.close()


def _wait_until_healthy(base_url: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    with httpx.Client(base_url=base_url, timeout=1.0) as client:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                raise RuntimeError(
                    f"court simulator thread exited before {base_url} responded; "
                    "see the uvicorn error in the captured log"
                )
            try:
                if client.get("/_sim/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)

    raise RuntimeError(
        f"court simulator at {base_url} did not respond to /_sim/health within "
        f"{STARTUP_TIMEOUT_SECONDS:g} s"
    )
