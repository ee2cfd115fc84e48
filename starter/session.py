"""Connections a client process needs: Temporal and the record store."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from court_notices.db import migrate
from court_notices.settings import Settings
from court_notices.vault import vault_from_settings
from starter.activations import ActivationClient
from starter.records import RecordStore


class TemporalUnavailableError(ConnectionError):
    pass


async def connect_client(settings: Settings) -> Client:
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=pydantic_data_converter,
        )
    except RuntimeError as error:
        raise TemporalUnavailableError(
            f"Could not connect to Temporal at {settings.temporal_address} "
            f"({error}). Start the stack with `make run`, or set "
            "COURT_NOTICES_TEMPORAL_ADDRESS."
        ) from None


async def connect_activations(settings: Settings) -> ActivationClient:
    records = open_records(settings)
    return ActivationClient(
        await connect_client(settings),
        records,
        task_queue=settings.task_queue,
        reminder_interval=settings.reminder_interval,
        activation_expiry=settings.activation_expiry,
    )


def open_records(settings: Settings) -> RecordStore:
    url = settings.resolved_database_url
    migrate(url)
    return RecordStore(url, vault_from_settings(settings))
