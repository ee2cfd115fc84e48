"""Rules of the activation lifecycle that need no Temporal: which action each
status accepts, and the support note shown as the workflow's current details.
"""

from datetime import datetime
from enum import StrEnum

from court_notices.messages import (
    TERMINAL_STATUSES,
    ActivationSnapshot,
    ActivationStatus,
)

__all__ = ["Action", "describe", "rejection_for"]

S = ActivationStatus


class Action(StrEnum):
    """Actions people and services take on an activation, by handler name."""

    COURT_CONFIRMED = "court_confirmed"
    COURT_REJECTED = "court_rejected"
    ADDITIONAL_ACTION_REQUIRED = "additional_action_required"
    ADDITIONAL_ACTION_COMPLETED = "additional_action_completed"
    CANCEL = "cancel"
    MODIFY_CREDENTIALS = "modify_credentials"


_COURT_WAITING = frozenset({S.PENDING_ACTIVATION, S.ADDITIONAL_ACTION_NEEDED})

ACCEPTED_IN: dict[Action, frozenset[ActivationStatus]] = {
    # The first NEF at the address proves the court added it, so confirmation
    # is accepted even while the workflow still waits for the extra step.
    Action.COURT_CONFIRMED: _COURT_WAITING,
    Action.COURT_REJECTED: _COURT_WAITING,
    Action.ADDITIONAL_ACTION_REQUIRED: _COURT_WAITING,
    Action.ADDITIONAL_ACTION_COMPLETED: frozenset({S.ADDITIONAL_ACTION_NEEDED}),
    Action.CANCEL: frozenset(set(S) - TERMINAL_STATUSES),
    Action.MODIFY_CREDENTIALS: frozenset({S.NEEDS_CREDENTIALS}),
}


def rejection_for(action: Action, status: ActivationStatus) -> str | None:
    """Return why ``action`` is not accepted in ``status``, or None if it is."""
    accepted = ACCEPTED_IN[action]
    if status in accepted:
        return None
    if status in TERMINAL_STATUSES:
        return (
            f"{action} is not accepted: the activation already ended as {status}. "
            "Start a new activation to change it."
        )
    expected = " or ".join(sorted(accepted))
    return (
        f"{action} is not accepted while the activation is {status}; "
        f"it is accepted in {expected}."
    )


def _format_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _summary(snapshot: ActivationSnapshot) -> str:
    court = snapshot.court_id
    address = snapshot.noticing_address or "the noticing address"
    since = _format_time(snapshot.status_since)
    last_reason = snapshot.transitions[-1].reason if snapshot.transitions else ""
    summaries = {
        S.VALIDATING: f"Checking {court}, the firm's attorney user and the "
        "stored credential.",
        S.VERIFYING_CREDENTIALS: f"Signing in to PACER with credential "
        f"{snapshot.credential_id} to verify the CM/ECF login for {court}.",
        S.NEEDS_CREDENTIALS: f"Waiting since {since} for new credentials: "
        f"{last_reason} Next step: store a new credential for {court} and send "
        "the modify_credentials update with its id.",
        S.SUBMITTING: f"Adding {address} to the attorney's CM/ECF account at {court}.",
        S.PENDING_ACTIVATION: f"Waiting since {since} for {court} to confirm "
        f"{address}. Next step: send court_confirmed when the court confirms; "
        "the first NEF delivered to the address also confirms it.",
        S.ADDITIONAL_ACTION_NEEDED: f"Waiting since {since} for: "
        f"{snapshot.instructions or last_reason} Next step: send "
        "additional_action_completed once this is done.",
        S.ACTIVE: f"Active since {since}: {court} sends NEFs to {address}.",
    }
    return summaries.get(
        snapshot.status, f"{snapshot.status} since {since}: {last_reason}"
    )


def describe(snapshot: ActivationSnapshot) -> str:
    """Write the support note that the Web UI shows as current details."""
    lines = [f"**{snapshot.status}**", _summary(snapshot)]
    if snapshot.next_reminder_at is not None:
        lines.append(f"Next reminder: {_format_time(snapshot.next_reminder_at)}.")
    if snapshot.status not in TERMINAL_STATUSES:
        lines.append(f"Expires: {_format_time(snapshot.expires_at)}.")
    if snapshot.rejected_inputs:
        last = snapshot.rejected_inputs[-1]
        lines.append(
            f"Last rejected input ({last.handler}, {_format_time(last.at)}): "
            f"{last.error}"
        )
    return "\n\n".join(lines)
