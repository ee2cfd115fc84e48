"""The ``audit`` commands: export, replay and timeline of workflow histories."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

import click
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.service import RPCError

from court_notices.settings import Settings, get_settings
from court_notices.vault import VaultError
from starter.audit import (
    HistoryFileError,
    collect_history_files,
    describe_report,
    export_history,
    fetch_history,
    load_history_file,
    replay_histories,
    timeline,
    timeline_csv,
    timeline_json,
    timeline_text,
)
from starter.session import (
    TemporalUnavailableError,
    connect_client,
    payload_converter,
)

T = TypeVar("T")

_WRITERS = {"text": timeline_text, "json": timeline_json, "csv": timeline_csv}


def _settings(context: click.Context) -> Settings:
    """Return the settings the root ``cli`` group loaded, or load them."""
    obj = context.find_root().obj
    if isinstance(obj, dict) and "settings" in obj:
        return obj["settings"]
    return get_settings()


def _json_requested(context: click.Context) -> bool:
    obj = context.find_root().obj
    return isinstance(obj, dict) and bool(obj.get("json"))


def _data_converter(context: click.Context) -> DataConverter:
    """Return the client's encrypting converter, or the plain one without keys.

    Without payload keys, plaintext histories still replay and decode, and the
    warning explains why encrypted payloads do not.
    """
    try:
        return payload_converter(_settings(context))
    except VaultError as error:
        click.echo(
            f"Warning: {error} Encrypted payloads will not be decoded.", err=True
        )
        return pydantic_data_converter


def _run(coroutine_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        try:
            return await coroutine_factory()
        finally:
            # Lets the client's background tasks finish before the loop closes.
            await asyncio.sleep(0.1)

    try:
        return asyncio.run(main())
    except (TemporalUnavailableError, VaultError) as error:
        # connect_client raises VaultError when the payload keys are missing.
        raise click.ClickException(str(error)) from None


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text)
        return
    output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    click.echo(f"Wrote {output}", err=True)


@click.group()
def audit() -> None:
    """Export, replay and explain recorded workflow histories."""


@audit.command("export")
@click.option("--workflow-id", required=True, help="Workflow id to export.")
@click.option("--run-id", default=None, help="Run id. Defaults to the latest run.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the history JSON to this file instead of standard output.",
)
@click.pass_context
def export_command(
    context: click.Context, workflow_id: str, run_id: str | None, output: Path | None
) -> None:
    """Write a workflow's history as JSON, for replay tests or an audit file."""
    settings = _settings(context)

    async def go() -> str:
        client = await connect_client(settings)
        return await export_history(client, workflow_id, run_id)

    try:
        history_json = _run(go)
    except RPCError as error:
        raise click.ClickException(
            f"Could not read the history of {workflow_id}: {error.message}"
        ) from None
    _write(history_json, output)


@audit.command("replay")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def replay_command(context: click.Context, paths: tuple[Path, ...]) -> None:
    """Replay history files, or folders of *.json, against the current code.

    Prints one line per file and exits with status 1 if any file is invalid or
    no longer replays.
    """
    files = collect_history_files(paths)
    if not files:
        raise click.ClickException(
            f"No *.json history files in {', '.join(map(str, paths))}."
        )
    converter = _data_converter(context)
    reports = _run(lambda: replay_histories(files, data_converter=converter))
    if _json_requested(context):
        rows = [{**asdict(report), "path": str(report.path)} for report in reports]
        click.echo(json.dumps(rows, indent=2))
    else:
        for report in reports:
            click.echo(describe_report(report))
    if not all(report.ok for report in reports):
        context.exit(1)


@audit.command("timeline")
@click.argument("source")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(_WRITERS)),
    default="text",
    show_default=True,
    help="Output format: an aligned text table, a JSON array or CSV.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the timeline to this file instead of standard output.",
)
@click.pass_context
def timeline_command(
    context: click.Context, source: str, output_format: str, output: Path | None
) -> None:
    """Show who did what and when in a workflow, in UTC.

    SOURCE is a history JSON file if such a file exists, else a workflow id
    whose latest run is read from the Temporal server.
    """
    history = _load_source(context, source)
    converter = _data_converter(context)
    events = _run(lambda: timeline(history, data_converter=converter))
    _write(_WRITERS[output_format](events), output)


def _load_source(context: click.Context, source: str) -> WorkflowHistory:
    path = Path(source)
    if path.is_file():
        try:
            return load_history_file(path)
        except HistoryFileError as error:
            raise click.ClickException(
                f"Invalid history file {path}: {error}"
            ) from None
    settings = _settings(context)

    async def go() -> WorkflowHistory:
        return await fetch_history(await connect_client(settings), source)

    try:
        return _run(go)
    except RPCError as error:
        raise click.ClickException(
            f"Could not read the history of {source}: {error.message}. Pass a "
            "workflow id or the path of an exported history file."
        ) from None
