"""Guards every handler of the activation workflow against extra arguments.

Each signal and update takes exactly one JSON object. The SDK would call a
handler with every argument a sender attaches, and the resulting TypeError
fails the workflow task on every retry, wedging the workflow. This interceptor
turns extra arguments into a recorded rejection instead.
"""

from typing import Any

from temporalio import workflow
from temporalio.worker import (
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from workflows.inputs import InvalidInput


def _too_many(name: str, count: int) -> str:
    return (
        f"{name} takes one JSON object but {count} inputs were sent. Send a "
        "single JSON object."
    )


class _SingleArgumentInbound(WorkflowInboundInterceptor):
    async def handle_signal(self, input: HandleSignalInput) -> None:
        if len(input.args) > 1:
            reject = getattr(workflow.instance(), "record_rejection", None)
            if reject is not None:
                reject(input.signal, _too_many(input.signal, len(input.args)), "")
            return
        await super().handle_signal(input)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        if len(input.args) > 1:
            raise InvalidInput(_too_many(input.update, len(input.args)))
        super().handle_update_validator(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        if len(input.args) > 1:
            raise InvalidInput(_too_many(input.update, len(input.args)))
        return await super().handle_update_handler(input)


class SingleArgumentInterceptor(Interceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return _SingleArgumentInbound
