"""Losing a workflow task for real, after its projection (a local activity) has committed.

A worker whose projection has written to Postgres fails its workflow task instead of completing it,
as a worker killed at that instant would; Temporal then retries the task from the last completed
one, and the retried task may number events differently (something else arrived meanwhile). Used by
the tests of what the read model and the outboxes show after such a task.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    Worker,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from activities.projection import ProjectionActivities
from domain.projection_rows import ProjectionRows
from entrypoints.registry import WORKFLOWS, sandbox_runner


@dataclass
class LostTask:
    """Loses the workflow task of one update: once its projection has committed (and the test has
    had its say), the task fails instead of completing, as if the worker died there."""

    update_id: str = ""
    written: asyncio.Event = field(default_factory=asyncio.Event)  # the lost projection committed
    carry_on: asyncio.Event = field(default_factory=asyncio.Event)  # let the lost task end now
    lost: bool = False


class LoseOneTask(Interceptor):
    """A test-only workflow interceptor: after the chosen update's handler has returned (so after
    its projection), the workflow task fails, once; Temporal then retries the task."""

    def __init__(self, plan: LostTask) -> None:
        self._plan = plan

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        plan = self._plan

        class Inbound(WorkflowInboundInterceptor):
            async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
                result = await super().handle_update_handler(input)
                if input.id == plan.update_id and not plan.lost:
                    plan.lost = True
                    raise RuntimeError("the worker died before this workflow task completed")
                return result

        return Inbound


@asynccontextmanager
async def losing_worker(client: Client, engine: AsyncEngine) -> AsyncIterator[tuple[str, LostTask]]:
    """A worker on its own task queue with the production workflows and projection, which loses
    the planned task after that task's projection has committed."""
    plan = LostTask()
    projection = ProjectionActivities(engine).project_ticket

    @activity.defn(name="project_ticket")
    async def project_ticket(rows: ProjectionRows) -> int:
        version = await projection(rows)
        if plan.update_id and not plan.written.is_set() and version > 1:
            plan.written.set()
            await plan.carry_on.wait()
        return version

    queue = f"lost-task-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=list(WORKFLOWS),
        activities=[project_ticket],
        workflow_runner=sandbox_runner(),
        interceptors=[LoseOneTask(plan)],
    ):
        yield queue, plan


async def lose_update_task(
    handle: WorkflowHandle[Any, Any],
    plan: LostTask,
    update: Any,
    argument: Any,
    update_id: str,
    meanwhile: Callable[[], Awaitable[None]],
) -> Any:
    """Run the update, lose its workflow task once its projection has committed (after `meanwhile`
    has run: read what the lost task wrote, send a signal), and return the retried task's answer."""
    plan.update_id = update_id
    answer = asyncio.create_task(handle.execute_update(update, argument, id=update_id))
    await asyncio.wait_for(plan.written.wait(), 10)
    await meanwhile()
    plan.carry_on.set()
    return await asyncio.wait_for(answer, 20)
