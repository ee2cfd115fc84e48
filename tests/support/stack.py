"""Session fixtures for real components: Temporal servers, database, vault.

Both Temporal servers come from PyPI binaries in the virtualenv's bin folder:
`temporal` (dev server) and `temporal-test-server` (time-skipping server).
"""

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.dependencies import ActivityDependencies
from court_notices.blobs import BlobStore
from court_notices.court_adapter import SimulatorCourtAdapter
from court_notices.db import build_engine, migrate
from court_notices.search_attributes import ALL_KEYS
from court_notices.vault import Keyring, KeyringSource, Vault
from starter.records import RecordStore
from tests.support.courtsim_server import CourtSimulator

BIN = Path(sys.executable).parent
NOTICING_DOMAIN = "notices.test.example"


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    # The time-skipping server hangs on search attributes it does not know.
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
                for key in ALL_KEYS
            },
        )
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=ALL_KEYS,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'court_notices.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated schema of its own in the PostgreSQL at DATABASE_URL."""
    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        pytest.skip("DATABASE_URL is not set; PostgreSQL tests run in CI")
    schema = f"court_notices_test_{uuid.uuid4().hex[:12]}"
    admin = build_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    url = f"{base_url}{separator}options=-csearch_path%3D{schema}"
    try:
        migrate(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each database test runs on SQLite, and on PostgreSQL when configured."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(scope="session")
def vault() -> Vault:
    return Vault(KeyringSource(keys_json=Keyring.generate().to_json()))


@pytest.fixture(scope="session")
def records(sqlite_url: str, vault: Vault) -> RecordStore:
    return RecordStore(sqlite_url, vault)


@pytest.fixture(scope="session")
def dependencies(
    sqlite_url: str,
    vault: Vault,
    court_simulator: CourtSimulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> ActivityDependencies:
    return ActivityDependencies(
        database_url=sqlite_url,
        vault=vault,
        pacer_base_url=court_simulator.pacer_base_url,
        noticing_domain=NOTICING_DOMAIN,
        court_adapter=lambda: SimulatorCourtAdapter(court_simulator.base_url),
        blobs=BlobStore(tmp_path_factory.mktemp("blobs")),
        doc1_extra_hosts=(urlsplit(court_simulator.base_url).netloc,),
        max_document_bytes=1024 * 1024,
        http_mounts={"all://*.uscourts.gov": httpx.MockTransport(stand_in_court)},
    )


def stand_in_court(request: httpx.Request) -> httpx.Response:
    """Serve doc1 links of real courts, which tests must never reach.

    A link with a magic number gets a small PDF, as a first free look would.
    """
    if "/doc1/" in request.url.path and request.url.params.get("magic_num"):
        body = b"%PDF-1.4\n% stand-in court document\n%%EOF\n"
        return httpx.Response(
            200, content=body, headers={"content-type": "application/pdf"}
        )
    return httpx.Response(404, text="Not found")


@pytest.fixture(scope="session")
def activity_executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor
