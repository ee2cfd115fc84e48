"""Connections and settings the activities use, built once per worker."""

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import httpx

from court_notices.blobs import BlobStore
from court_notices.court_adapter import CourtAdapter, SimulatorCourtAdapter
from court_notices.settings import Settings
from court_notices.vault import Vault, vault_from_settings


@dataclass(frozen=True)
class ActivityDependencies:
    database_url: str
    vault: Vault
    pacer_base_url: str
    noticing_domain: str
    # A fresh adapter per call: each one owns an HTTP client that the call
    # closes when it is done.
    court_adapter: Callable[[], AbstractAsyncContextManager[CourtAdapter]]
    blobs: BlobStore
    # Hosts besides *.uscourts.gov whose doc1 links may be fetched.
    doc1_extra_hosts: tuple[str, ...] = ()
    max_document_bytes: int = 50 * 1024 * 1024
    # httpx transports by URL pattern for doc1 downloads; tests mount a stand-in
    # for *.uscourts.gov because the real courts are out of reach there.
    http_mounts: Mapping[str, httpx.AsyncBaseTransport] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> "ActivityDependencies":
        simulator_url = settings.court_simulator_url
        return cls(
            database_url=settings.resolved_database_url,
            vault=vault_from_settings(settings),
            pacer_base_url=settings.pacer_base_url,
            noticing_domain=settings.noticing_domain,
            court_adapter=lambda: SimulatorCourtAdapter(simulator_url),
            blobs=BlobStore(settings.blob_dir),
            doc1_extra_hosts=(settings.simulator_host,),
            max_document_bytes=settings.max_document_bytes,
        )
