"""Provisioning and releasing noticing addresses, and the court-side submission."""

import asyncio

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.credentials import load_secret, pacer_session
from activities.dependencies import ActivityDependencies
from court_notices.activity_models import (
    PROVISION_NOTICING_ADDRESS,
    RELEASE_NOTICING_ADDRESS,
    SECONDARY_ADDRESS_LIMIT,
    SUBMIT_NOTICING_ADDRESS,
    AddressRelease,
    AddressRequest,
    NoticingAddress,
    SubmissionOutcome,
    SubmissionRequest,
    SubmissionResult,
)
from court_notices.addresses import noticing_address
from court_notices.catalog import ActivationMode, get_court
from court_notices.court_adapter import CourtAdapterError, SecondaryAddressLimitError
from court_notices.db import AddressStatus, NoticingAddressRow, new_session, utcnow
from court_notices.pacer import PacerError


class AddressActivities:
    def __init__(self, dependencies: ActivityDependencies) -> None:
        self._dependencies = dependencies

    @activity.defn(name=PROVISION_NOTICING_ADDRESS)
    def provision_noticing_address(self, request: AddressRequest) -> NoticingAddress:
        address = noticing_address(
            workflow_id=request.workflow_id,
            court_id=request.court_id,
            domain=self._dependencies.noticing_domain,
        )
        with new_session(self._dependencies.database_url) as session:
            row = session.get(NoticingAddressRow, address)
            if row is None:
                row = NoticingAddressRow(
                    address=address,
                    workflow_id=request.workflow_id,
                    firm_id=request.firm_id,
                    attorney_id=request.attorney_id,
                    court_id=request.court_id,
                )
            # A re-activation takes back the address an earlier run released.
            row.status = AddressStatus.PROVISIONED
            row.released_at = None
            session.add(row)
            session.commit()

        activity.logger.info("Provisioned %s for %s", address, request.workflow_id)
        return NoticingAddress(address=address)

    @activity.defn(name=SUBMIT_NOTICING_ADDRESS)
    async def submit_noticing_address(
        self, request: SubmissionRequest
    ) -> SubmissionResult:
        court = get_court(request.court_id)
        if court.activation_mode is ActivationMode.COURT_CONTACT:
            return SubmissionResult(
                outcome=SubmissionOutcome.COURT_CONTACT_REQUIRED,
                instructions=(
                    f"{court.full_name} adds secondary noticing addresses only "
                    "through its CM/ECF help desk. Ask the attorney to contact the "
                    f"help desk and request {request.address} as a secondary "
                    "noticing email on their CM/ECF account (credential "
                    f"{request.credential_id})."
                ),
            )

        secret, _ = await asyncio.to_thread(
            load_secret, self._dependencies, request.credential_id
        )
        async with pacer_session(
            self._dependencies.pacer_base_url, request.credential_id, secret
        ) as login:
            try:
                async with self._dependencies.court_adapter() as adapter:
                    await adapter.add_secondary_address(
                        court_id=court.court_id, login=login, address=request.address
                    )
            except SecondaryAddressLimitError as error:
                raise ApplicationError(
                    str(error), type=SECONDARY_ADDRESS_LIMIT, non_retryable=True
                ) from None

        activity.logger.info(
            "Added %s to the CM/ECF account for %s",
            request.address,
            request.workflow_id,
        )
        return SubmissionResult(outcome=SubmissionOutcome.ADDED)

    @activity.defn(name=RELEASE_NOTICING_ADDRESS)
    async def release_noticing_address(self, request: AddressRelease) -> None:
        await asyncio.to_thread(self._mark_released, request.address)
        court = get_court(request.court_id)
        if court.activation_mode is ActivationMode.SELF_SERVICE:
            await self._remove_from_court(request)

    def _mark_released(self, address: str) -> None:
        with new_session(self._dependencies.database_url) as session:
            row = session.get(NoticingAddressRow, address)
            if row is None or row.status is AddressStatus.RELEASED:
                return
            row.status = AddressStatus.RELEASED
            row.released_at = utcnow()
            session.add(row)
            session.commit()

    async def _remove_from_court(self, request: AddressRelease) -> None:
        # Best effort: the address is already released on our side, so mail
        # the court still sends to it is rejected at intake either way.
        try:
            secret, _ = await asyncio.to_thread(
                load_secret, self._dependencies, request.credential_id
            )
            async with (
                pacer_session(
                    self._dependencies.pacer_base_url, request.credential_id, secret
                ) as login,
                self._dependencies.court_adapter() as adapter,
            ):
                await adapter.remove_secondary_address(
                    court_id=request.court_id, login=login, address=request.address
                )
        except (ApplicationError, PacerError, CourtAdapterError) as error:
            activity.logger.warning(
                "Released %s but could not remove it from the CM/ECF account for "
                "%s: %s",
                request.address,
                request.workflow_id,
                error,
            )
