"""`make histories`: run each workflow type through its main paths on a real dev server and store the
histories here, so the replay test catches non-deterministic changes to workflow code."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from domain.escalation.commands import MoveStage, SetEta, Verify
from domain.sla import default_policy
from domain.ticket.commands import (
    ApplyMacro,
    Assign,
    Close,
    Escalate,
    Feedback,
    Reclassify,
    Reopen,
    Reply,
    Resolve,
    Tag,
    Transfer,
)
from domain.ticket.lifecycle import LifecycleSettings
from domain.ticket.macros import MacroActions
from domain.ticket.state import NewTicket, Tier
from infra.binaries import temporal_cli
from infra.embedded_postgres import start_embedded_postgres
from infra.settings import Settings
from store.db import create_engine
from store.migrate import upgrade
from tests.support.tickets import AGENT, customer, next_ticket_id, start_ticket
from workflows import search_attributes as sa
from workflows.escalation import EscalationWorkflow
from workflows.escalation_input import escalation_workflow_id
from workflows.search_attributes import ALL_KEYS
from workflows.ticket import TicketWorkflow
from workflows.ticket_input import TicketWorkflowInput, ticket_workflow_id

HERE = Path(__file__).parent


async def ticket_full_life(client: Client, engine: object, queue: str) -> WorkflowHandle:
    """Every everyday action; no feedback window (0), so the run completes at the close."""
    no_window = LifecycleSettings(feedback_after_close_seconds=0)
    handle, new = await start_ticket(client, engine, queue, no_window)  # type: ignore[arg-type]
    requester = customer(new.requester_id)
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(TicketWorkflow.assign, Assign(actor=AGENT, assignee_id=AGENT.user_id))
    await handle.execute_update(
        TicketWorkflow.reply, Reply(actor=AGENT, body="Which version?", await_customer=True)
    )
    await handle.execute_update(TicketWorkflow.reply, Reply(actor=requester, body="2.3", request_id="r1"))
    await handle.execute_update(TicketWorkflow.reply, Reply(actor=AGENT, body="note", internal=True))
    await handle.execute_update(TicketWorkflow.reclassify, Reclassify(actor=AGENT, severity=1, impact="all"))
    await handle.execute_update(TicketWorkflow.transfer, Transfer(actor=AGENT, tier=Tier.L2))
    await handle.execute_update(TicketWorkflow.resolve, Resolve(actor=AGENT, comment="fixed"))
    await handle.execute_update(TicketWorkflow.reopen, Reopen(actor=requester, reason="again"))
    await handle.execute_update(TicketWorkflow.resolve, Resolve(actor=AGENT))
    await handle.execute_update(TicketWorkflow.close, Close(actor=requester))
    await handle.result()
    return handle


async def ticket_escalated_and_verified(client: Client, engine: object, queue: str) -> list[WorkflowHandle]:
    """A ticket with an SLA policy escalated to engineering, verified by the customer, resolved, closed."""
    handle, new = await start_ticket(client, engine, queue, severity=2, sla_policy=default_policy())  # type: ignore[arg-type]
    requester = customer(new.requester_id)
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(TicketWorkflow.reply, Reply(actor=AGENT, body="Looking into it"))
    escalation_id = f"CP-H{uuid.uuid4().hex[:6]}"
    await handle.execute_update(
        TicketWorkflow.escalate, Escalate(AGENT, escalation_id, "engineering", "Importer bug")
    )
    escalation = client.get_workflow_handle_for(EscalationWorkflow.run, escalation_workflow_id(escalation_id))
    await escalation.execute_update(EscalationWorkflow.opened)
    engineer = Actor("eng-1", Role.ENGINEER, "Enzo")
    await escalation.execute_update(
        EscalationWorkflow.move_stage, MoveStage(engineer, "engineering", "on it")
    )
    await escalation.execute_update(EscalationWorkflow.set_eta, SetEta(engineer, "2099-01-31"))
    await escalation.execute_update(
        EscalationWorkflow.move_stage, MoveStage(engineer, "verifying", "deployed")
    )
    await escalation.execute_update(EscalationWorkflow.verify, Verify(requester, False, "still broken"))
    await escalation.execute_update(
        EscalationWorkflow.move_stage, MoveStage(engineer, "verifying", "fixed again")
    )
    await escalation.execute_update(EscalationWorkflow.verify, Verify(requester, True, None))
    await escalation.result()
    for _ in range(100):
        if (await handle.query(TicketWorkflow.state)).status.value == "resolved":
            break
        await asyncio.sleep(0.1)
    await handle.execute_update(TicketWorkflow.feedback, Feedback(requester, True, "thanks"))
    await handle.execute_update(TicketWorkflow.close, Close(actor=requester))
    await handle.result()
    return [handle, escalation]


async def ticket_routed_tagged_and_macro(client: Client, engine: object, queue: str) -> WorkflowHandle:
    """Routed to a group at creation, tagged, moved by a macro (reply, tags, group, assignee, resolve),
    transferred to L2's group, closed: the 'ticket-group-search-attributes' path."""
    handle, new = await start_ticket(client, engine, queue, group_id="group-l1", sla_policy=default_policy())  # type: ignore[arg-type]
    requester = customer(new.requester_id)
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(TicketWorkflow.tag, Tag(actor=AGENT, add=["nfe", "vip"]))
    actions = MacroActions(status="pending", group_id="group-billing", assignee_id="me", tags_add=["asked"])
    macro = ApplyMacro(AGENT, "macro-1", "Ask for the file", reply="Could you send the XML?", actions=actions)
    await handle.execute_update(TicketWorkflow.apply_macro, macro)
    await handle.execute_update(TicketWorkflow.reply, Reply(actor=requester, body="attached"))
    await handle.execute_update(
        TicketWorkflow.transfer, Transfer(actor=AGENT, tier=Tier.L2, reason="PO", group_id="group-po-omni")
    )
    await handle.execute_update(TicketWorkflow.resolve, Resolve(actor=AGENT))
    await handle.execute_update(TicketWorkflow.close, Close(actor=requester))
    await handle.result()
    return handle


async def ticket_closed_then_rated(client: Client, engine: object, queue: str) -> WorkflowHandle:
    """Resolved, closed by the requester, then rated inside the feedback window ('feedback-after-close')."""
    handle, new = await start_ticket(client, engine, queue)  # type: ignore[arg-type]
    requester = customer(new.requester_id)
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(TicketWorkflow.resolve, Resolve(actor=AGENT, comment="fixed"))
    await handle.execute_update(TicketWorkflow.close, Close(actor=requester))
    await handle.execute_update(TicketWorkflow.feedback, Feedback(requester, True, "after the close"))
    await handle.result()
    return handle


async def support_access_granted_and_revoked(
    client: Client, engine: object, queue: str
) -> list[WorkflowHandle]:
    from domain.support_access.grant import GrantRequest
    from workflows.support_access import SupportAccessInput, SupportAccessWorkflow, support_access_workflow_id

    user = Actor(f"user-{uuid.uuid4().hex[:6]}", Role.CUSTOMER, "Carla")
    handle = await client.start_workflow(
        SupportAccessWorkflow.run,
        SupportAccessInput(user_id=user.user_id, org_id=f"org-{uuid.uuid4().hex[:6]}"),
        id=support_access_workflow_id(user.user_id),
        task_queue=queue,
    )
    await handle.execute_update(SupportAccessWorkflow.grant, GrantRequest(hours=24, actor=user))
    await handle.execute_update(SupportAccessWorkflow.grant, GrantRequest(hours=48, actor=user))
    await handle.execute_update(SupportAccessWorkflow.revoke, user)
    await handle.result()
    return [handle]


async def ticket_published_from_start(client: Client, engine: object, queue: str) -> list[WorkflowHandle]:
    """Started as services/ticket_opening.py starts one, search attributes included: the first
    projection upserts only what the start did not set ("ticket-search-attributes-seeded-from-start");
    its escalation upserts only what changed ("escalation-upserts-changes-only"); closing withdraws it."""
    new = NewTicket(
        await next_ticket_id(engine),  # type: ignore[arg-type]
        str(uuid.uuid4()),
        str(uuid.uuid4()),
        "Export fails",
        "At 500 rows.",
        group_id="g1",
    )
    handle = await client.start_workflow(
        TicketWorkflow.run,
        TicketWorkflowInput(new=new, lifecycle=LifecycleSettings(feedback_after_close_seconds=0)),
        id=ticket_workflow_id(new.id),
        task_queue=queue,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.TICKET_STATUS, "open"),
                SearchAttributePair(sa.TICKET_SEVERITY, new.severity),
                SearchAttributePair(sa.TICKET_ORG, new.org_id),
                SearchAttributePair(sa.TICKET_TIER, "L1"),
                SearchAttributePair(sa.TICKET_GROUP, "g1"),
            ]
        ),
    )
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(TicketWorkflow.assign, Assign(actor=AGENT, assignee_id=AGENT.user_id))
    escalation_id = f"CP-{new.id}"
    await handle.execute_update(
        TicketWorkflow.escalate, Escalate(AGENT, escalation_id, "engineering", "Dupes")
    )
    escalation = client.get_workflow_handle_for(EscalationWorkflow.run, escalation_workflow_id(escalation_id))
    await escalation.execute_update(EscalationWorkflow.opened)
    engineer = Actor("eng-1", Role.ENGINEER, "Enzo")
    await escalation.execute_update(EscalationWorkflow.set_eta, SetEta(engineer, "2030-01-31"))
    await escalation.execute_update(
        EscalationWorkflow.move_stage, MoveStage(engineer, "engineering", "on it")
    )
    await handle.execute_update(TicketWorkflow.close, Close(actor=customer(new.requester_id)))
    await escalation.result()
    await handle.result()
    return [handle, escalation]


SCENARIOS: dict[str, Callable[[Client, object, str], Awaitable[list[WorkflowHandle]]]] = {
    "ticket_full_life": lambda c, e, q: _one(ticket_full_life(c, e, q)),
    "ticket_escalated_and_verified": ticket_escalated_and_verified,
    "ticket_closed_then_rated": lambda c, e, q: _one(ticket_closed_then_rated(c, e, q)),
    "support_access_granted_and_revoked": support_access_granted_and_revoked,
    "ticket_routed_tagged_and_macro": lambda c, e, q: _one(ticket_routed_tagged_and_macro(c, e, q)),
    "ticket_published_from_start": ticket_published_from_start,
}


async def _one(handle: Awaitable[WorkflowHandle]) -> list[WorkflowHandle]:
    return [await handle]


async def record(only: set[str] | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pg = start_embedded_postgres(Path(tmp) / "pg")
        upgrade(pg.url)
        engine = create_engine(pg.url)
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli(), search_attributes=ALL_KEYS
        )
        from entrypoints.worker import build_worker

        settings = Settings(database_url=pg.url, temporal_task_queue=f"histories-{uuid.uuid4().hex[:6]}")
        try:
            async with build_worker(env.client, settings):
                for name, scenario in SCENARIOS.items():
                    if only and name not in only:
                        continue
                    handles = await scenario(env.client, engine, settings.temporal_task_queue)
                    for handle in handles:
                        history = await handle.fetch_history()
                        kind = handle.id.split("-")[0]
                        (HERE / f"{name}.{kind}.json").write_text(history.to_json())
                        print(f"recorded {name} ({kind}): {len(history.events)} events")
        finally:
            await env.shutdown()
            await engine.dispose()
            pg.stop()


if __name__ == "__main__":
    asyncio.run(record(set(sys.argv[1:]) or None))
    sys.stdout.flush()
    os._exit(0)
