"""Support-access rules on the time-skipping server with activity doubles: the durable expiry and an
audit trail that continues the earlier runs' numbering."""

from __future__ import annotations

import uuid

from domain.actors import Actor, Role
from domain.support_access.grant import GrantRequest, GrantStatus
from tests.workflow.test_sla_clocks import close_to
from tests.workflow_doubles.conftest import DoublesWorld
from workflows.support_access import SupportAccessInput, SupportAccessWorkflow, support_access_workflow_id


async def test_a_grant_expires_on_its_own_and_continues_the_trail(world: DoublesWorld) -> None:
    user = Actor(str(uuid.uuid4()), Role.CUSTOMER, "Carla")
    world.doubles.trail_start[user.user_id] = 4  # an earlier run ended at seq 4
    handle = await world.client.start_workflow(
        SupportAccessWorkflow.run,
        SupportAccessInput(user_id=user.user_id, org_id="org-1"),
        id=support_access_workflow_id(user.user_id),
        task_queue=world.queue,
    )
    granted = await handle.execute_update(SupportAccessWorkflow.grant, GrantRequest(hours=2, actor=user))
    assert granted.status is GrantStatus.ACTIVE and granted.expires_at is not None
    final = await handle.result()  # time skips to the expiry
    assert final.status is GrantStatus.EXPIRED
    assert final.updated_at is not None and close_to(final.updated_at, granted.expires_at)
    trail = world.doubles.timelines[("support_access", user.user_id)]
    assert [(seq, trail[seq]["type"]) for seq in sorted(trail)] == [(5, "granted"), (6, "expired")]
    assert trail[5]["actor_id"] == user.user_id and trail[6]["actor_id"] is None  # the system is anonymous
    assert world.doubles.rows[("support_access", user.user_id)]["status"] == "expired"


async def test_a_retried_grant_is_applied_once(world: DoublesWorld) -> None:
    user = Actor(str(uuid.uuid4()), Role.CUSTOMER, "Carla")
    handle = await world.client.start_workflow(
        SupportAccessWorkflow.run,
        SupportAccessInput(user_id=user.user_id, org_id="org-1"),
        id=support_access_workflow_id(user.user_id),
        task_queue=world.queue,
    )
    request = GrantRequest(hours=24, actor=user, request_id="grant-1")
    first = await handle.execute_update(SupportAccessWorkflow.grant, request)
    again = await handle.execute_update(SupportAccessWorkflow.grant, request)
    assert again.version == first.version == 1
    await handle.execute_update(SupportAccessWorkflow.revoke, user)
    assert (await handle.result()).status is GrantStatus.REVOKED
    assert world.doubles.timeline("support_access", user.user_id) == [(1, "granted"), (2, "revoked")]
