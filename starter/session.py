"""Connections a client process needs: Temporal and the record store."""

from temporalio.client import Client
from temporalio.converter import DataConverter

from court_notices.codec import data_converter, payload_keyring_source
from court_notices.db import migrate
from court_notices.settings import Settings
from court_notices.vault import vault_from_settings
from starter.activations import ActivationClient
from starter.records import RecordStore


class TemporalUnavailableError(ConnectionError):
    pass


def payload_converter(settings: Settings) -> DataConverter:
    """Return the pydantic data converter that encrypts every payload."""
    return data_converter(payload_keyring_source(settings))


async def connect_client(settings: Settings) -> Client:
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=payload_converter(settings),
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
