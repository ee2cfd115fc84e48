"""Client API and CLI for backend services and operators (python -m starter)."""

from starter.activations import ActivationClient, StartResult
from starter.records import InputError, RecordStore

__all__ = ["ActivationClient", "InputError", "RecordStore", "StartResult"]
