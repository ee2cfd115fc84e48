"""Decoding of handler input that arrives as raw payloads.

Signals take their input as a RawValue because the SDK drops a signal whose
input it cannot decode, and support staff would never learn why. Decoding here
turns malformed JSON, missing fields and unknown fields into an InvalidInput
that names the problem, which the workflow records instead of failing.
"""

from typing import TypeVar

from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ValidationError

__all__ = ["NO_INPUT", "InvalidInput", "decode_input", "received_text"]

Model = TypeVar("Model", bound=BaseModel)

# Default for handlers called with no argument at all.
NO_INPUT = RawValue(Payload())

_RECEIVED_LIMIT = 300


class InvalidInput(ValueError):
    pass


def example_json(model: type[BaseModel]) -> str:
    fields = [
        f'"{name}": "..."'
        for name, field in model.model_fields.items()
        if field.is_required()
    ]
    return "{" + ", ".join(fields) + "}"


def _describe_errors(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in item["loc"])
        if item["type"] == "json_invalid":
            problems.append("the input is not valid JSON")
        elif item["type"] == "extra_forbidden":
            problems.append(f"unknown field '{location}'")
        elif location:
            problems.append(f"field '{location}': {item['msg']}")
        else:
            problems.append(item["msg"])
    return "; ".join(problems)


def _encoding(raw: RawValue) -> str:
    return raw.payload.metadata.get("encoding", b"none").decode(errors="replace")


def decode_input(raw: RawValue, model: type[Model]) -> Model:
    """Decode a handler's raw payload into ``model`` or raise InvalidInput."""
    # Backticks keep the Web UI's Markdown from curling the quotes.
    expected = f"Send a JSON object such as `{example_json(model)}`."
    if not raw.payload.metadata and not raw.payload.data:
        raise InvalidInput(f"No input was sent. {expected}")

    try:
        value = workflow.payload_converter().from_payload(raw.payload, model)
    except ValidationError as error:
        raise InvalidInput(
            f"Invalid input: {_describe_errors(error)}. {expected}"
        ) from None
    except Exception as error:
        raise InvalidInput(
            "Invalid input: it could not be decoded as JSON (encoding "
            f"{_encoding(raw)}, "
            f"{type(error).__name__}). {expected}"
        ) from None

    # Encodings such as binary/plain decode to bytes without any validation.
    if not isinstance(value, model):
        raise InvalidInput(
            f"Invalid input: encoding {_encoding(raw)} is not JSON. {expected}"
        )
    return value


def received_text(raw: RawValue) -> str:
    text = raw.payload.data.decode("utf-8", errors="replace")
    if len(text) > _RECEIVED_LIMIT:
        return text[:_RECEIVED_LIMIT] + "..."
    return text
