"""Connections a client process needs: Temporal and the record store."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from court_notices.db import migrate
from court_notices.settings import Settings
from court_notices.vault import vault_from_settings
from starter.records import RecordStore


async def connect_client(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )


def open_records(settings: Settings) -> RecordStore:
    url = settings.resolved_database_url
    migrate(url)
    return RecordStore(url, vault_from_settings(settings))
