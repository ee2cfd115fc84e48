"""The database projection of activations: transitions and reminders."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from temporalio import activity

from activities.dependencies import ActivityDependencies
from court_notices.activity_models import (
    RECORD_ACTIVATION_REMINDER,
    RECORD_TRANSITION,
    ReminderNotice,
    TransitionRecord,
)
from court_notices.db import Activation, ActivationTransition, new_session, utcnow


class RecordActivities:
    def __init__(self, dependencies: ActivityDependencies) -> None:
        self._database_url = dependencies.database_url

    @activity.defn(name=RECORD_TRANSITION)
    def record_activation_transition(self, record: TransitionRecord) -> None:
        transition = record.transition
        with new_session(self._database_url) as session:
            activation = session.get(Activation, record.workflow_id)
            if activation is None:
                activation = Activation(
                    workflow_id=record.workflow_id,
                    run_id=record.run_id,
                    firm_id=record.firm_id,
                    attorney_id=record.attorney_id,
                    court_id=record.court_id,
                    credential_id=record.credential_id,
                    status=transition.to_status,
                    details=record.details,
                )
            elif activation.run_id != record.run_id:
                # A re-activation is a new run: its reminders count afresh.
                activation.run_id = record.run_id
                activation.reminders_sent = 0
                activation.last_reminder_at = None
            activation.status = transition.to_status
            activation.details = record.details
            activation.credential_id = record.credential_id
            activation.noticing_address = record.noticing_address
            activation.updated_at = utcnow()
            session.add(activation)

            exists = session.exec(
                select(ActivationTransition.id).where(
                    ActivationTransition.run_id == record.run_id,
                    ActivationTransition.sequence == record.sequence,
                )
            ).first()
            if exists is None:
                session.add(
                    ActivationTransition(
                        workflow_id=record.workflow_id,
                        run_id=record.run_id,
                        sequence=record.sequence,
                        at=transition.at,
                        from_status=transition.from_status,
                        to_status=transition.to_status,
                        actor=transition.actor,
                        reason=transition.reason,
                    )
                )
            try:
                session.commit()
            except IntegrityError:
                # Another attempt of this activity committed first; retrying
                # reads its row and finds nothing left to do.
                session.rollback()
                raise

    @activity.defn(name=RECORD_ACTIVATION_REMINDER)
    def record_activation_reminder(self, notice: ReminderNotice) -> None:
        # NOTE: reminders reach people through the Web UI's current details and
        # this projection only; no e-mail is sent yet.
        activity.logger.info(
            "Reminder %d for %s: waiting in %s since %s",
            notice.reminder_number,
            notice.workflow_id,
            notice.status,
            notice.waiting_since.isoformat(),
        )
        with new_session(self._database_url) as session:
            activation = session.get(Activation, notice.workflow_id)
            if activation is None:
                return
            activation.reminders_sent = notice.reminder_number
            activation.last_reminder_at = utcnow()
            activation.details = notice.details
            session.add(activation)
            session.commit()
