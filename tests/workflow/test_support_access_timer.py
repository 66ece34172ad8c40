"""SupportAccessWorkflow on the time-skipping server: the durable expiry, replacement, revocation, new runs."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from domain.support_access.grant import GrantRequest, GrantStatus, SupportAccessState
from store.support_access_tables import support_access_events, support_access_grants
from workflows.support_access import SupportAccessInput, SupportAccessWorkflow, support_access_workflow_id


def user() -> Actor:
    return Actor(str(uuid.uuid4()), Role.CUSTOMER, "Carla Customer")


async def grant(client: Client, queue: str, who: Actor, hours: int) -> SupportAccessState:
    """As the API does it: update-with-start, joining a running grant or starting a new run."""
    operation = WithStartWorkflowOperation(
        SupportAccessWorkflow.run,
        SupportAccessInput(user_id=who.user_id, org_id="org-1"),
        id=support_access_workflow_id(who.user_id),
        task_queue=queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    return await client.execute_update_with_start_workflow(
        SupportAccessWorkflow.grant, GrantRequest(hours, who), start_workflow_operation=operation
    )


def handle_of(client: Client, who: Actor) -> WorkflowHandle:
    return client.get_workflow_handle_for(SupportAccessWorkflow.run, support_access_workflow_id(who.user_id))


async def grant_row(engine: AsyncEngine, user_id: str) -> dict:
    async with engine.connect() as conn:
        query = select(support_access_grants).where(support_access_grants.c.user_id == user_id)
        return dict((await conn.execute(query)).mappings().one())


async def trail(engine: AsyncEngine, user_id: str) -> list[tuple[int, str]]:
    async with engine.connect() as conn:
        query = (
            select(support_access_events.c.seq, support_access_events.c.type)
            .where(support_access_events.c.user_id == user_id)
            .order_by(support_access_events.c.seq)
        )
        return [(r.seq, r.type) for r in await conn.execute(query)]


async def test_grant_expires_on_its_own_durable_timer(
    time_env: WorkflowEnvironment, engine: AsyncEngine, skipping_worker: str
) -> None:
    who = user()
    state = await grant(time_env.client, skipping_worker, who, 2)
    assert state.status is GrantStatus.ACTIVE
    assert (await grant_row(engine, who.user_id))["status"] == "active"

    await time_env.sleep(timedelta(hours=1, minutes=59))
    handle = handle_of(time_env.client, who)
    assert (await handle.query(SupportAccessWorkflow.state)).status is GrantStatus.ACTIVE
    assert (await grant_row(engine, who.user_id))["status"] == "active"

    await time_env.sleep(timedelta(minutes=2))
    final = await handle.result()
    assert final.status is GrantStatus.EXPIRED
    row = await grant_row(engine, who.user_id)
    assert row["status"] == "expired" and row["version"] == 2
    assert await trail(engine, who.user_id) == [(1, "granted"), (2, "expired")]


async def test_replacement_replans_the_timer_and_a_later_run_continues_the_trail(
    time_env: WorkflowEnvironment, engine: AsyncEngine, skipping_worker: str
) -> None:
    who = user()
    first = await grant(time_env.client, skipping_worker, who, 2)
    await time_env.sleep(timedelta(hours=1))
    replaced = await grant(time_env.client, skipping_worker, who, 3)
    assert first.expires_at is not None and replaced.expires_at is not None
    assert replaced.expires_at > first.expires_at + timedelta(minutes=59)
    assert replaced.granted_at == first.granted_at

    await time_env.sleep(timedelta(hours=1, minutes=30))  # past the first expiry, before the new one
    handle = handle_of(time_env.client, who)
    assert (await handle.query(SupportAccessWorkflow.state)).status is GrantStatus.ACTIVE

    revoked = await handle.execute_update(SupportAccessWorkflow.revoke, who)
    assert revoked.status is GrantStatus.REVOKED
    assert (await handle.result()).status is GrantStatus.REVOKED
    assert (await grant_row(engine, who.user_id))["status"] == "revoked"

    again = await grant(time_env.client, skipping_worker, who, 1)  # a new run of the same id
    assert again.status is GrantStatus.ACTIVE and again.version == 4
    assert await trail(engine, who.user_id) == [
        (1, "granted"),
        (2, "replaced"),
        (3, "revoked"),
        (4, "granted"),
    ]
    await handle_of(time_env.client, who).execute_update(SupportAccessWorkflow.revoke, who)


async def test_validators_refuse_before_history(
    time_env: WorkflowEnvironment, engine: AsyncEngine, skipping_worker: str
) -> None:
    who = user()
    await grant(time_env.client, skipping_worker, who, 1)
    handle = handle_of(time_env.client, who)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(SupportAccessWorkflow.grant, GrantRequest(169, who))
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidCommand"
    await handle.execute_update(SupportAccessWorkflow.revoke, who)
    assert (await handle.result()).version == 2  # the refused grant left nothing in the trail
    # The run has completed: revoking again reaches no workflow (the API answers 404 before this).
    with pytest.raises(RPCError) as gone:
        await handle.execute_update(SupportAccessWorkflow.revoke, who)
    assert gone.value.status is RPCStatusCode.NOT_FOUND
