"""NoticeIngestionWorkflow: one received message, stored, routed and captured.

The workflow id is ``notice-<sha256 of the raw message>``, so a second
delivery of the same bytes finds the first run and starts nothing.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from court_notices.messages import CourtConfirmation
    from court_notices.notice_models import (
        CAPTURE_FREE_LOOK,
        COURT_NOTICE_ACTOR,
        STORE_NOTICE,
        CaptureRequest,
        CaptureSummary,
        NoticeIngestionRequest,
        NoticeIngestionResult,
        StoredNotice,
    )

# The database write retries until it succeeds, because the raw message is
# already stored and the notice must not be lost.
_STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
# CAPTURE_ATTEMPTS in activities/notices.py records the final failure, so the
# activity itself stops before Temporal would retry again.
_CAPTURE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=30),
    backoff_coefficient=4.0,
    maximum_interval=timedelta(hours=2),
    maximum_attempts=6,
)


@workflow.defn
class NoticeIngestionWorkflow:
    @workflow.run
    async def run(self, request: NoticeIngestionRequest) -> NoticeIngestionResult:
        stored = await workflow.execute_activity(
            STORE_NOTICE,
            request,
            result_type=StoredNotice,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=_STORE_RETRY,
        )
        workflow.logger.info(
            "Notice %s stored: %s at %s, %d documents to capture",
            stored.notice_id,
            stored.kind,
            stored.court_id,
            len(stored.document_ids),
        )

        confirmed = []
        for activation_id in stored.pending_activations:
            if await self._confirm(activation_id, stored.notice_id):
                confirmed.append(activation_id)

        captures = await asyncio.gather(
            *(self._capture(document_id) for document_id in stored.document_ids)
        )
        return NoticeIngestionResult(
            notice=stored, confirmed_activations=confirmed, captures=list(captures)
        )

    async def _confirm(self, activation_id: str, notice_id: str) -> bool:
        """Signal court_confirmed with the notice as evidence."""
        handle = workflow.get_external_workflow_handle(activation_id)
        try:
            await handle.signal(
                "court_confirmed",
                CourtConfirmation(actor=COURT_NOTICE_ACTOR, evidence=notice_id),
            )
        except FailureError as error:
            # The activation ended between the lookup and the signal.
            workflow.logger.warning(
                "Could not confirm %s from notice %s: %s",
                activation_id,
                notice_id,
                error,
            )
            return False
        return True

    async def _capture(self, document_id: int) -> CaptureSummary:
        return await workflow.execute_activity(
            CAPTURE_FREE_LOOK,
            CaptureRequest(document_id=document_id),
            result_type=CaptureSummary,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=_CAPTURE_RETRY,
        )
