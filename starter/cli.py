"""The command line: python -m starter COMMAND [OPTIONS]."""

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import BaseModel, ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from court_notices.blobs import BlobStore
from court_notices.calendar import build_calendar
from court_notices.db import UserRole
from court_notices.lifecycle import Action, rejection_for
from court_notices.messages import (
    ActivationRequest,
    ActivationSnapshot,
    ActivationStatus,
)
from court_notices.nef.parser import parse_html, parse_message
from court_notices.notice_models import NoticeSource
from court_notices.settings import Settings, get_settings
from court_notices.vault import (
    CredentialSecret,
    KeyringSource,
    VaultError,
    vault_from_settings,
)
from starter.activations import SIGNAL_INPUTS, UPDATE_INPUTS, ActivationClient
from starter.audit_cli import audit
from starter.notices import iter_message_files, recipients_of, submit_notice
from starter.records import InputError, RecordStore
from starter.reports import firm_exists, load_firm_deadlines
from starter.session import (
    TemporalUnavailableError,
    connect_activations,
    connect_client,
    open_records,
)

T = TypeVar("T")


def _run(coroutine_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        try:
            return await coroutine_factory()
        finally:
            # Lets the client's background tasks finish before the loop
            # closes; without it the process can abort at exit, on error
            # paths too.
            await asyncio.sleep(0.1)

    try:
        return asyncio.run(main())
    except (TemporalUnavailableError, VaultError) as error:
        raise click.ClickException(str(error)) from None


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if is_dataclass(value) and not isinstance(value, type):
        return json.loads(json.dumps(asdict(value), default=str))
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _emit(context: click.Context, value: Any, text: str) -> None:
    if context.obj["json"]:
        click.echo(json.dumps(_plain(value), indent=2))
    else:
        click.echo(text)


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.group()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def cli(context: click.Context, as_json: bool) -> None:
    """Court Notices: activate CM/ECF noticing court by court."""
    context.obj = {"json": as_json, "settings": get_settings()}


def _records(context: click.Context) -> RecordStore:
    return open_records(context.obj["settings"])


async def _activations(settings: Settings) -> ActivationClient:
    return await connect_activations(settings)


# Records


@cli.group()
def firms() -> None:
    """Law firms."""


@firms.command("add")
@click.argument("firm_id")
@click.option("--name", required=True, help="The firm's name.")
@click.pass_context
def add_firm(context: click.Context, firm_id: str, name: str) -> None:
    """Add or rename a firm."""
    try:
        firm = _records(context).add_firm(firm_id, name)
    except InputError as error:
        _fail(str(error))
    _emit(context, firm, f"Firm {firm.id} saved.")


@cli.group()
def users() -> None:
    """Attorney and staff users of a firm."""


@users.command("add")
@click.argument("user_id")
@click.option("--firm", "firm_id", required=True, help="Firm id.")
@click.option("--name", required=True, help="Full name.")
@click.option("--email", required=True, help="E-mail address.")
@click.option("--role", type=click.Choice([r.value for r in UserRole]), required=True)
@click.pass_context
def add_user(
    context: click.Context, user_id: str, firm_id: str, name: str, email: str, role: str
) -> None:
    """Add or change a user."""
    try:
        user = _records(context).add_user(
            user_id, firm_id=firm_id, name=name, email=email, role=UserRole(role)
        )
    except InputError as error:
        _fail(str(error))
    _emit(context, user, f"User {user.id} ({user.role}) saved in firm {user.firm_id}.")


@cli.group()
def credentials() -> None:
    """CM/ECF logins, stored encrypted."""


def _read_secret(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt(prompt, hide_input=True, default="", show_default=False))


@credentials.command("add")
@click.option("--attorney", "attorney_id", required=True, help="Attorney user id.")
@click.option("--court", "court_id", required=True, help="PACER court id, e.g. nysb.")
@click.option("--login-id", required=True, help="CM/ECF (PACER) login id.")
@click.option("--client-code", default=None, help="PACER client code, if any.")
@click.option("--mfa", is_flag=True, help="Also read the account's TOTP secret.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password (then the TOTP secret with --mfa) from stdin lines "
    "instead of a prompt.",
)
@click.pass_context
def add_credential(
    context: click.Context,
    attorney_id: str,
    court_id: str,
    login_id: str,
    client_code: str | None,
    mfa: bool,
    password_stdin: bool,
) -> None:
    """Store a CM/ECF login; the password never goes on the command line."""
    password = _read_secret("CM/ECF password", password_stdin)
    if not password.strip():
        _fail("The password is empty; enter the CM/ECF password.")
    totp_secret = _read_secret("TOTP secret (base32)", password_stdin) if mfa else None
    if mfa and not (totp_secret or "").strip():
        _fail("--mfa was given but the TOTP secret is empty; enter the base32 secret.")
    try:
        secret = CredentialSecret(
            login_id=login_id,
            password=password,
            totp_secret=totp_secret or None,
            client_code=client_code,
        )
        credential = _records(context).add_credential(
            attorney_id=attorney_id, court_id=court_id, secret=secret
        )
    except (InputError, ValueError) as error:
        _fail(str(error))
    summary = {
        "credential_id": credential.id,
        "attorney_id": credential.attorney_id,
        "court_id": credential.court_id,
        "mfa_enrolled": credential.mfa_enrolled,
        "key_id": credential.key_id,
    }
    _emit(context, summary, credential.id)


@cli.group()
def vault() -> None:
    """Manage the credential encryption keys."""


@vault.command("rotate-key")
@click.pass_context
def rotate_key(context: click.Context) -> None:
    """Add a new active key and re-encrypt every stored credential with it."""
    settings: Settings = context.obj["settings"]
    if settings.vault_keys:
        _fail(
            "Keys come from COURT_NOTICES_VAULT_KEYS; add the new key there and run "
            "this command again to re-encrypt."
        )
    keyring = KeyringSource.add_key(settings.resolved_vault_key_file)
    records = RecordStore(settings.resolved_database_url, vault_from_settings(settings))
    count = records.reencrypt_credentials()
    result = {"active_key_id": keyring.active_key_id, "reencrypted": count}
    _emit(context, result, f"Active key {keyring.active_key_id}; re-encrypted {count}.")


# Activations


@cli.command()
@click.option("--firm", "firm_id", required=True, help="Firm id.")
@click.option("--attorney", "attorney_id", required=True, help="Attorney user id.")
@click.option("--court", "court_id", required=True, help="PACER court id, e.g. nysb.")
@click.option("--credential", "credential_id", required=True, help="Credential id.")
@click.option("--requested-by", required=True, help="Who asks for the activation.")
@click.option(
    "--acknowledge-free-look",
    is_flag=True,
    help="Accept that the service uses the account's one free look (kyeb).",
)
@click.option("--reactivate", is_flag=True, help="Start a new run if one has ended.")
@click.pass_context
def start(
    context: click.Context, reactivate: bool, acknowledge_free_look: bool, **fields: str
) -> None:
    """Start an activation; the same start twice yields one run."""
    settings: Settings = context.obj["settings"]
    try:
        request = ActivationRequest(
            **fields,
            free_look_acknowledged=acknowledge_free_look,
        )
    except ValidationError as error:
        _fail(_validation_message(error))

    # Checked before connecting, so bad input is reported even without a server.
    try:
        _records(context).check_activation_input(
            firm_id=request.firm_id,
            attorney_id=request.attorney_id,
            court_id=request.court_id,
            credential_id=request.credential_id,
        )
    except InputError as error:
        _fail(str(error))

    async def go() -> Any:
        activations = await _activations(settings)
        return await activations.start(request, reactivate=reactivate)

    try:
        result = _run(go)
    except InputError as error:
        _fail(str(error))
    _emit(context, result, f"{result.workflow_id}: {result.message}")


@cli.command()
@click.argument("workflow_id")
@click.pass_context
def status(context: click.Context, workflow_id: str) -> None:
    """Show an activation's status, transitions and rejected inputs."""

    async def go() -> Any:
        return await (await _activations(context.obj["settings"])).status(workflow_id)

    try:
        snapshot = _run(go)
    except RPCError as error:
        _fail(f"Could not read {workflow_id}: {error.message}")
    _emit(context, snapshot, _status_text(snapshot))


def _status_text(snapshot: ActivationSnapshot) -> str:
    lines = [snapshot.details, "", "Transitions:"]
    for transition in snapshot.transitions:
        lines.append(
            f"  {transition.at:%Y-%m-%d %H:%M:%S} {transition.from_status or '-'} -> "
            f"{transition.to_status} by {transition.actor}: {transition.reason}"
        )
    if snapshot.rejected_inputs:
        lines.append("Rejected inputs:")
        for rejected in snapshot.rejected_inputs:
            lines.append(
                f"  {rejected.at:%Y-%m-%d %H:%M:%S} {rejected.handler}: "
                f"{rejected.error} (received {rejected.received!r})"
            )
    return "\n".join(lines)


@cli.command("list")
@click.option(
    "--status",
    "status_filter",
    type=click.Choice([s.value for s in ActivationStatus]),
    help="Only activations in this status.",
)
@click.option("--court", "court_id", help="Only this court.")
@click.option("--firm", "firm_id", help="Only this firm.")
@click.pass_context
def list_activations(
    context: click.Context,
    status_filter: str | None,
    court_id: str | None,
    firm_id: str | None,
) -> None:
    """List activations by status, court or firm (search attributes)."""

    async def go() -> Any:
        activations = await _activations(context.obj["settings"])
        return await activations.list(
            status=ActivationStatus(status_filter) if status_filter else None,
            court_id=court_id,
            firm_id=firm_id,
        )

    try:
        listings = _run(go)
    except (InputError, ValueError) as error:
        _fail(str(error))
    lines = [f"{item.workflow_id}\t{item.status}\t{item.court_id}" for item in listings]
    _emit(context, listings, "\n".join(lines) or "No activations match.")


def _validation_message(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in item['loc']) or 'input'}: {item['msg']}"
        for item in error.errors(include_url=False, include_input=False)
    ]
    return "Invalid input: " + "; ".join(problems)


def _parse_input(name: str, text: str, inputs: dict[str, type[BaseModel]]) -> BaseModel:
    model = inputs.get(name)
    if model is None:
        _fail(f"Unknown name {name!r}; use one of {', '.join(sorted(inputs))}.")
    assert model is not None
    try:
        return model.model_validate_json(text)
    except ValidationError as error:
        _fail(_validation_message(error))
    raise AssertionError("unreachable")


@cli.command("signal")
@click.argument("workflow_id")
@click.argument("name", type=click.Choice(sorted(SIGNAL_INPUTS)))
@click.option("--input", "input_json", required=True, help="The signal's JSON input.")
@click.pass_context
def send_signal(
    context: click.Context, workflow_id: str, name: str, input_json: str
) -> None:
    """Send a signal, such as court_confirmed, after checking its input."""
    payload = _parse_input(name, input_json, SIGNAL_INPUTS)

    async def go() -> None:
        activations = await _activations(context.obj["settings"])
        # The workflow would record the rejection; saying it here spares the
        # sender a look at the status to find out.
        current = await activations.status(workflow_id)
        rejection = rejection_for(Action(name), current.status)
        if rejection:
            raise InputError(rejection)
        await activations.signal(workflow_id, name, payload)

    try:
        _run(go)
    except InputError as error:
        _fail(str(error))
    except RPCError as error:
        _fail(f"Could not signal {workflow_id}: {error.message}")
    _emit(context, {"workflow_id": workflow_id, "signal": name}, f"Sent {name}.")


@cli.command("update")
@click.argument("workflow_id")
@click.argument("name", type=click.Choice(sorted(UPDATE_INPUTS)))
@click.option("--input", "input_json", required=True, help="The update's JSON input.")
@click.pass_context
def send_update(
    context: click.Context, workflow_id: str, name: str, input_json: str
) -> None:
    """Run an update, such as modify_credentials, and print the new status."""
    payload = _parse_input(name, input_json, UPDATE_INPUTS)

    async def go() -> Any:
        activations = await _activations(context.obj["settings"])
        return await activations.update(workflow_id, name, payload)

    try:
        snapshot = _run(go)
    except WorkflowUpdateFailedError as error:
        _fail(f"{name} was rejected: {error.cause}")
    except RPCError as error:
        _fail(f"Could not update {workflow_id}: {error.message}")
    _emit(context, snapshot, snapshot.details)


@cli.command()
@click.pass_context
def demo(context: click.Context) -> None:
    """Play the six-court activation scenario against the running stack."""
    from starter.demo import run_demo

    _run(lambda: run_demo(context.obj["settings"]))


# Notices


@cli.command()
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)
@click.option(
    "--recipient",
    "recipients",
    multiple=True,
    help="Noticing address the files were delivered to. Without it the "
    "Delivered-To, X-Original-To or Envelope-To header is used, else To and Cc "
    "(NEFs often name the firm only in Bcc).",
)
@click.pass_context
def ingest(
    context: click.Context, paths: tuple[Path, ...], recipients: tuple[str, ...]
) -> None:
    """Ingest .eml files, folders of them or maildirs, as the SMTP intake does."""
    settings: Settings = context.obj["settings"]
    blobs = BlobStore(settings.blob_dir)

    async def go() -> list[dict[str, Any]]:
        client = await connect_client(settings)
        results = []
        for path in paths:
            for name, raw in iter_message_files(path):
                if len(raw) > settings.max_message_bytes:
                    # The same limit as the SMTP intake's 552.
                    results.append(
                        {
                            "file": name,
                            "error": f"skipped: {len(raw)} bytes is over the limit "
                            f"of {settings.max_message_bytes} "
                            "(COURT_NOTICES_MAX_MESSAGE_BYTES)",
                        }
                    )
                    continue
                submissions = await submit_notice(
                    client,
                    blobs,
                    raw,
                    recipients=list(recipients) or recipients_of(raw),
                    source=NoticeSource.BACKFILL,
                    task_queue=settings.task_queue,
                )
                results += [
                    {"file": name, **asdict(submission)} for submission in submissions
                ]
        return results

    try:
        results = _run(go)
    except FileNotFoundError as error:
        _fail(str(error))
    lines = [
        f"{item['file']}: {item['error']}"
        if "error" in item
        else f"{item['file']} to {item['recipient'] or '(no recipient)'}: "
        f"{item['workflow_id']}" + ("" if item["started"] else " (already ingested)")
        for item in results
    ]
    _emit(context, results, "\n".join(lines) or "No messages found.")


@cli.command("parse-nef")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--court", "court_id", help="Court id, for a bare HTML body.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--full",
    is_flag=True,
    help="Print every parsed field, not only the PACER field set.",
)
@click.pass_context
def parse_nef(
    context: click.Context, path: Path, court_id: str | None, as_json: bool, full: bool
) -> None:
    """Parse one notice (.eml, or an HTML body) and print it; nothing is stored."""
    if path.suffix.lower() in (".html", ".htm"):
        court = court_id or path.name.split("_", 1)[0]
        notice = parse_html(path.read_text(errors="replace"), court_id=court)
    else:
        notice = parse_message(path.read_bytes(), court_id=court_id)

    data = notice.model_dump(mode="json") if full else notice.to_juriscraper()
    if as_json or context.obj["json"]:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    click.echo(
        f"{notice.kind} from {notice.court_id}: {notice.subject or '(no subject)'}"
    )
    for docket in notice.dockets:
        for entry in docket.docket_entries:
            click.echo(
                f"  {docket.docket_number} {docket.case_name} "
                f"#{entry.document_number or '-'}: {entry.short_description}"
            )
    for warning in notice.warnings:
        click.echo(f"  warning: {warning}")


@cli.command()
@click.option("--firm", "firm_id", required=True, help="Firm id.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the .ics file here instead of standard output.",
)
@click.pass_context
def calendar(context: click.Context, firm_id: str, output: Path | None) -> None:
    """Write the firm's court deadlines and hearings as an iCalendar feed."""
    settings: Settings = context.obj["settings"]
    open_records(settings)
    if not firm_exists(settings.resolved_database_url, firm_id):
        _fail(f"Firm {firm_id} not found; list firms with the ids you added.")
    deadlines = load_firm_deadlines(settings.resolved_database_url, firm_id)
    feed = build_calendar(deadlines, calendar_name=f"Court deadlines: {firm_id}")
    if output is None:
        click.echo(feed.decode(), nl=False)
        return
    try:
        output.write_bytes(feed)
    except OSError as error:
        _fail(f"Could not write {output}: {error.strerror}.")
    click.echo(f"Wrote {len(deadlines)} deadlines to {output}", err=True)


cli.add_command(audit)
