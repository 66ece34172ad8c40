"""Histories that need time to pass (timers firing) or JIRA, recorded on the time-skipping test server
with the workflow doubles' activities (tests/workflow_doubles): no PostgreSQL, no JIRA, no waiting.

`make histories` runs it after record.py. Each scenario names the paths it puts on record:
- ticket_breached_policy_changed_auto_resolved: a policy change received, SLA warnings and breaches
  fired by their timers, the pending → auto-resolved timer, auto-close;
- escalation_card_withdrawn_with_ticket: a JIRA card created, a reconcile beside the loop, the
  ticket closed by the requester ending its escalation (withdrawn, dev cards told);
- escalation_outlived_its_ticket: an escalation whose ticket's workflow had completed withdraws itself;
- policy_rollout_continued: a policy rollout that continued as new (its first and its last run);
- ticket_timer_kept_across_writes: writes that do not move the next deadline keep its timer
  ("deadline-timer-kept"), the kept timer fires, a write that removes the deadline cancels it;
- ticket_escalate_refused_then_started: an escalate whose child cannot start is refused, the next
  one starts its child before it is recorded ("escalate-starts-child-first"); closing withdraws it;
- ticket_continued_at_its_bound: a ticket whose run reached MAX_RUN_EVENTS continued as new (the
  first run and the next, which answers a repeated request and records another note).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.escalation.commands import CreateCard, MoveStage
from domain.escalation.state import NewEscalation, Target
from domain.sla import default_policy
from domain.sla_rollout import PolicyRolloutInput, rollout_workflow_id
from domain.ticket.commands import Close, Escalate, Reply, Tag
from infra.binaries import temporal_test_server
from tests.support.tickets import AGENT, customer
from tests.workflow.test_sla_clocks import advance_to
from tests.workflow_doubles.activity_doubles import ActivityDoubles
from tests.workflow_doubles.conftest import DoublesWorld, doubles_worker
from tests.workflow_doubles.test_escalation_rules import ENGINEER, escalated
from workflows.escalation import EscalationWorkflow
from workflows.escalation_input import EscalationInput, EscalationSettings, escalation_workflow_id
from workflows.policy_rollout import PolicyRolloutWorkflow
from workflows.ticket import TicketWorkflow
from workflows.ticket_input import TicketWorkflowInput

HERE = Path(__file__).parent
Scenario = Callable[[DoublesWorld], Awaitable[list[WorkflowHandle]]]


async def ticket_breached_policy_changed_auto_resolved(world: DoublesWorld) -> list[WorkflowHandle]:
    await advance_to(world.env, 0, 10, 0)  # a Monday, 10:00 in São Paulo
    ticket, _ = await world.start_ticket(severity=1, sla_policy=default_policy())
    await ticket.execute_update(TicketWorkflow.opened)
    await ticket.signal(TicketWorkflow.policy_changed, replace(default_policy(), version=2))
    await world.env.sleep(timedelta(days=1))  # first response and resolution breached by their timers
    await ticket.execute_update(
        TicketWorkflow.reply, Reply(actor=AGENT, body="Could you send the log?", await_customer=True)
    )
    await world.env.sleep(timedelta(days=15))  # reminded, auto-resolved after 10 days, closed 4 days later
    await ticket.result()
    return [ticket]


async def escalation_card_withdrawn_with_ticket(world: DoublesWorld) -> list[WorkflowHandle]:
    ticket, escalation, _, _ = await escalated(world)
    await escalation.execute_update(EscalationWorkflow.create_card, CreateCard(ENGINEER))
    while not (await escalation.query(EscalationWorkflow.state)).cards:
        await asyncio.sleep(0.05)
    await escalation.execute_update(
        EscalationWorkflow.move_stage, MoveStage(ENGINEER, "engineering", "on it")
    )
    await world.env.sleep(timedelta(seconds=1000))  # a reconcile (every 900 s) beside the loop
    requester = customer((await ticket.query(TicketWorkflow.state)).requester_id)
    await ticket.execute_update(TicketWorkflow.close, Close(actor=requester))
    await escalation.result()
    await ticket.result()
    return [ticket, escalation]


async def escalation_outlived_its_ticket(world: DoublesWorld) -> list[WorkflowHandle]:
    ticket, new = await world.start_ticket()
    await ticket.execute_update(TicketWorkflow.close, Close(actor=customer(new.requester_id)))
    await ticket.result()
    orphan = NewEscalation(
        f"CP-H{uuid.uuid4().hex[:6]}", new.id, new.org_id, new.requester_id, Target.ENGINEERING, "s", "d", "a"
    )
    escalation = await world.client.start_workflow(
        EscalationWorkflow.run,
        EscalationInput(new=orphan, settings=EscalationSettings(publish_search_attributes=False)),
        id=escalation_workflow_id(orphan.id),
        task_queue=world.queue,
    )
    await escalation.result()
    return [escalation]


async def policy_rollout_continued(world: DoublesWorld) -> list[WorkflowHandle]:
    policy = replace(default_policy(), name=f"h-{uuid.uuid4().hex[:6]}", version=2)
    ticket, _ = await world.start_ticket(sla_policy=replace(policy, version=1))
    await ticket.execute_update(TicketWorkflow.opened)
    ticket_id = int(ticket.id.split("-")[-1])
    world.doubles.policy_tickets[policy.name] = [ticket_id, ticket_id + 1]
    rollout = await world.client.start_workflow(
        PolicyRolloutWorkflow.run,
        PolicyRolloutInput(policy, page_size=1, pages_per_run=1),
        id=rollout_workflow_id(policy.name, policy.version),
        task_queue=world.queue,
    )
    progress = await rollout.result()
    assert (progress.applied, progress.failed, progress.done) == (1, 1, True), progress
    await ticket.terminate("recorded")
    first = world.client.get_workflow_handle(rollout.id, run_id=rollout.first_execution_run_id)
    return [first, rollout]


async def ticket_timer_kept_across_writes(world: DoublesWorld) -> list[WorkflowHandle]:
    ticket, new = await world.start_ticket()
    await ticket.execute_update(TicketWorkflow.opened)
    await ticket.execute_update(
        TicketWorkflow.reply, Reply(actor=AGENT, body="Which version?", await_customer=True)
    )
    await ticket.execute_update(TicketWorkflow.reply, Reply(actor=AGENT, body="Checking", internal=True))
    await ticket.execute_update(TicketWorkflow.tag, Tag(actor=AGENT, add=["billing"]))
    await world.env.sleep(timedelta(days=7, minutes=1))  # the kept timer fires: the pending reminder
    requester = customer(new.requester_id)
    await ticket.execute_update(TicketWorkflow.reply, Reply(actor=requester, body="Version 2"))
    await ticket.execute_update(TicketWorkflow.close, Close(actor=requester))
    await ticket.result()
    return [ticket]


async def ticket_escalate_refused_then_started(world: DoublesWorld) -> list[WorkflowHandle]:
    ticket, new = await world.start_ticket()
    await ticket.execute_update(TicketWorkflow.opened)
    taken = f"CP-H{uuid.uuid4().hex[:6]}"
    squatter = await world.client.start_workflow(
        TicketWorkflow.run,
        TicketWorkflowInput(new=replace(new, id=new.id + 1), publish_search_attributes=False),
        id=escalation_workflow_id(taken),
        task_queue=world.queue,
    )
    with contextlib.suppress(WorkflowUpdateFailedError):  # refused: its child cannot start
        await ticket.execute_update(TicketWorkflow.escalate, Escalate(AGENT, taken, "engineering", "Dupes"))
    await squatter.terminate("recorded")
    fresh = f"CP-H{uuid.uuid4().hex[:6]}"
    await ticket.execute_update(TicketWorkflow.escalate, Escalate(AGENT, fresh, "engineering", "Dupes"))
    escalation = world.client.get_workflow_handle_for(EscalationWorkflow.run, escalation_workflow_id(fresh))
    await escalation.execute_update(EscalationWorkflow.opened)
    await ticket.execute_update(TicketWorkflow.close, Close(actor=customer(new.requester_id)))
    await escalation.result()
    await ticket.result()
    return [ticket, escalation]


async def ticket_continued_at_its_bound(world: DoublesWorld) -> list[WorkflowHandle]:
    ticket, _ = await world.start_ticket(severity=3, sla_policy=default_policy())
    await ticket.execute_update(TicketWorkflow.opened)
    first_run = (await ticket.describe()).run_id
    latest = world.client.get_workflow_handle_for(TicketWorkflow.run, ticket.id)
    notes = 0
    while (await latest.describe()).run_id == first_run:
        notes += 1
        note = Reply(actor=AGENT, body=f"note {notes}", internal=True, request_id=f"note-{notes}")
        await latest.execute_update(TicketWorkflow.reply, note)
        await world.env.sleep(timedelta(milliseconds=100))
    again = Reply(actor=AGENT, body="note 1", internal=True, request_id="note-1")
    await latest.execute_update(TicketWorkflow.reply, again)
    await latest.execute_update(TicketWorkflow.reply, Reply(actor=AGENT, body="after", internal=True))
    await latest.terminate("recorded")
    return [world.client.get_workflow_handle(ticket.id, run_id=first_run), latest]


SCENARIOS: dict[str, Scenario] = {
    "ticket_breached_policy_changed_auto_resolved": ticket_breached_policy_changed_auto_resolved,
    "escalation_card_withdrawn_with_ticket": escalation_card_withdrawn_with_ticket,
    "escalation_outlived_its_ticket": escalation_outlived_its_ticket,
    "policy_rollout_continued": policy_rollout_continued,
    "ticket_timer_kept_across_writes": ticket_timer_kept_across_writes,
    "ticket_escalate_refused_then_started": ticket_escalate_refused_then_started,
    "ticket_continued_at_its_bound": ticket_continued_at_its_bound,
    # Recorded again after workflows/patches.py: one consolidated patch marker per run.
    "consolidated_ticket_breached_auto_resolved": ticket_breached_policy_changed_auto_resolved,
    "consolidated_escalation_card_withdrawn_with_ticket": escalation_card_withdrawn_with_ticket,
    "consolidated_ticket_continued_at_its_bound": ticket_continued_at_its_bound,
}


async def record(only: set[str] | None = None) -> None:
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=temporal_test_server())
    world = DoublesWorld(env, f"histories-{uuid.uuid4().hex[:6]}", ActivityDoubles())
    try:
        async with doubles_worker(world, world.queue):
            for name, scenario in SCENARIOS.items():
                if only and name not in only:
                    continue
                for n, handle in enumerate(await scenario(world)):
                    history = await handle.fetch_history()
                    kind = handle.id.split("-")[0]
                    if kind == "sla":  # the rollout's first run and its last (started by continue-as-new)
                        kind = "rollout_first" if n == 0 else "rollout_last"
                    if name.endswith("ticket_continued_at_its_bound"):
                        kind = "ticket_first" if n == 0 else "ticket_next"
                    (HERE / f"{name}.{kind}.json").write_text(history.to_json())
                    print(f"recorded {name} ({kind}): {len(history.events)} events")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record(set(sys.argv[1:]) or None))
    sys.stdout.flush()
    os._exit(0)
