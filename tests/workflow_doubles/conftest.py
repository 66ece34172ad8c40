"""A worker on the time-skipping server whose activities are test doubles (no PostgreSQL, no JIRA)."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, _workflow_instance

from domain.ticket.lifecycle import LifecycleSettings
from domain.ticket.state import NewTicket
from entrypoints.registry import WORKFLOWS, sandbox_runner
from tests.workflow_doubles.activity_doubles import ActivityDoubles
from workflows.ticket import TicketWorkflow
from workflows.ticket_input import TicketWorkflowInput, ticket_workflow_id


@dataclass
class DoublesWorld:
    """The time-skipping environment, the doubles' task queue and what the doubles saw."""

    env: WorkflowEnvironment
    queue: str
    doubles: ActivityDoubles

    @property
    def client(self) -> Client:
        return self.env.client

    async def start_ticket(
        self, *, task_queue: str | None = None, **fields: object
    ) -> tuple[WorkflowHandle, NewTicket]:
        """A ticket with an id no other test uses (no Postgres sequence here), on the doubles'
        queue unless a test runs its own worker."""
        new = NewTicket(
            id=random.randrange(10**9, 2 * 10**9),
            org_id=str(uuid.uuid4()),
            requester_id=str(uuid.uuid4()),
            subject="Invoice export fails",
            description="The CSV export stops at 500 rows.",
            **fields,  # type: ignore[arg-type]
        )
        handle = await self.client.start_workflow(
            TicketWorkflow.run,
            TicketWorkflowInput(new=new, lifecycle=LifecycleSettings(), publish_search_attributes=False),
            id=ticket_workflow_id(new.id),
            task_queue=task_queue or self.queue,
        )
        return handle, new


def doubles_worker(world: DoublesWorld, queue: str, **options: Any) -> Worker:
    """Another worker with the doubles' activities, on a queue of a test's own (stopped and started
    by the test, e.g. to let a timer fire while no worker runs)."""
    return Worker(
        world.client,
        task_queue=queue,
        workflows=list(WORKFLOWS),
        activities=world.doubles.activities(),
        workflow_runner=sandbox_runner(checked=True),
        **options,
    )


@pytest_asyncio.fixture(scope="session")
async def world(time_env: WorkflowEnvironment) -> AsyncIterator[DoublesWorld]:
    """Session-wide, like tests/workflow's worker: the test server cannot skip time while a workflow
    task waits for a worker that has gone away."""
    world = DoublesWorld(time_env, f"doubles-{uuid.uuid4().hex[:8]}", ActivityDoubles())
    async with doubles_worker(world, world.queue):
        yield world


@pytest_asyncio.fixture(scope="session")
async def dev_world(temporal_env: WorkflowEnvironment) -> AsyncIterator[DoublesWorld]:
    """The doubles on the dev server: for tests that need registered search attributes, or that
    must not run on the time-skipping server (a failed child start there can stall its clock)."""
    world = DoublesWorld(temporal_env, f"doubles-dev-{uuid.uuid4().hex[:8]}", ActivityDoubles())
    async with doubles_worker(world, world.queue):
        yield world


class SuggestContinueAsNew:
    """The server's continue-as-new suggestion, for the runs a test names.

    The time-skipping server has no `limit.historyCount.suggestContinueAsNew`; this stands in for it
    by answering the flag a workflow task's activation carries (`workflow.info()
    .is_continue_as_new_suggested()`), for the named run ids only. The workflow code, and so the
    commands it issues, is the production code: only the server's hint is faked, as the dev server's
    low threshold does in tests/workflow. A run continued from a named one is not named.
    """

    def __init__(self) -> None:
        self.runs: set[str] = set()

    def __call__(self, instance: Any) -> bool:
        return instance._info.run_id in self.runs or bool(instance._continue_as_new_suggested)


@pytest.fixture
def suggest_continue_as_new(monkeypatch: pytest.MonkeyPatch) -> SuggestContinueAsNew:
    suggest = SuggestContinueAsNew()

    def suggested(instance: Any) -> bool:  # a plain function: bound to the workflow instance
        return suggest(instance)

    monkeypatch.setattr(
        _workflow_instance._WorkflowInstanceImpl, "workflow_is_continue_as_new_suggested", suggested
    )
    return suggest
