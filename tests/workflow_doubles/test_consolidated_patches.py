"""A new run records one patch marker, not one per behaviour change (workflows/patches.py).

Every patch a run asks costs a marker and a `TemporalChangeVersion` upsert in its history, two commands
the SDK core keeps for the run's life. A run started now asks `CONSOLIDATED` once and has every patch of
`CONSOLIDATED_PATCHES`; histories recorded before it (tests/histories/) still replay patch by patch
(tests/test_replay.py), and `consolidated_*` histories hold the new shape.
"""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from domain.sla import default_policy
from domain.ticket.commands import Assign, Reply
from tests.support.tickets import AGENT
from tests.workflow_doubles.conftest import DoublesWorld
from tests.workflow_doubles.history import events_of
from workflows.patches import CONSOLIDATED
from workflows.ticket import TicketWorkflow


async def patch_markers(handle: WorkflowHandle) -> list[str]:
    """The patch ids of the run's core_patch markers, in history order."""
    ids = []
    for event in await events_of(handle):
        if event.event_type is not EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        attributes = event.marker_recorded_event_attributes
        if attributes.marker_name != "core_patch":
            continue
        ids.append(json.loads(attributes.details["patch-data"].payloads[0].data)["id"])
    return ids


async def test_a_new_ticket_records_one_patch_marker_for_every_behaviour_change(world: DoublesWorld) -> None:
    handle, _ = await world.start_ticket(severity=2, sla_policy=default_policy())
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(TicketWorkflow.assign, Assign(actor=AGENT, assignee_id="agent-1"))
    await handle.execute_update(TicketWorkflow.reply, Reply(actor=AGENT, body="On it.", await_customer=True))

    assert await patch_markers(handle) == [CONSOLIDATED]
    state = await handle.query(TicketWorkflow.state)
    assert state.status.value == "pending" and state.assignee_id == "agent-1"
    await handle.terminate("test over")
