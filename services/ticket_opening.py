"""Opening a ticket, for every way in (API, web form, inbound e-mail).

The id is allocated (and bound to the Idempotency-Key) before the workflow starts. The start and
the `opened` update go to Temporal as one update-with-start, so the run's first workflow task
records the ticket, projects it and answers (issue #14: start-then-update took two workflow tasks).
Both halves are idempotent: the start by its workflow id (`ticket-<id>`, use-existing: a retried
create joins the running ticket) and the update by its id (`opened`: a repeat answers the first
result), so a crash or a retry in between can neither lose nor duplicate a ticket.

Throughput, not settled: on the SQLite-file dev server the bare pair (bench/bare_temporal.py) ran
update-with-start at about half the rate of start-then-update under 50 clients (BENCHMARKS.md, and
again at 4.4 vs 9.4/s on a loaded machine when this changed; at 1 client 5.5 vs 5.2/s, less CPU).
Re-measure with bench/tickets.py, where the second workflow task is part of the cost.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.service import RPCError

from domain.actors import Role, is_staff
from domain.routing import TicketFacts
from domain.ticket.lifecycle import LifecycleSettings
from domain.ticket.snapshot import json_ready, snapshot_from_wire
from domain.ticket.state import Channel, Conference, Environment, Kind, NewTicket, TicketStatus
from infra.settings import Settings
from services.attachment_refs import bind_attachments, resolve_attachment_refs
from services.context import Context
from services.problems import Problem, unavailable
from services.routing import group_for_new_ticket
from services.workflow_updates import update_name
from store import identities
from store.idempotency import IdempotencyConflict, claim, request_hash
from store.scope import Scope
from store.sla_store import policy_for_ticket
from store.ticket_queries import get_ticket_row, next_ticket_id, similar_open_tickets
from workflows import search_attributes as sa
from workflows.escalation_input import EscalationSettings
from workflows.ticket import TicketWorkflow
from workflows.ticket_input import TicketWorkflowInput, ticket_workflow_id

OPEN_ENDPOINT = "POST /v1/tickets"


@dataclass(frozen=True)
class TicketDraft:
    """What a person asks for when opening a ticket, already validated by the transport's form."""

    subject: str
    description: str
    channel: Channel = Channel.WEB
    kind: Kind = Kind.QUESTION
    severity: int = 3
    environment: Environment = Environment.PRODUCTION
    product: str | None = None
    module: str | None = None
    impact: str | None = None
    cc: list[str] = field(default_factory=list)
    requester_id: str | None = None
    follow_up_of: int | None = None
    attachments: list[str] = field(default_factory=list)
    allow_duplicate: bool = False
    transcript: list[dict[str, Any]] = field(default_factory=list)
    conference: Conference | None = None


async def open_ticket(
    context: Context, draft: TicketDraft, idempotency_key: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Open (or, for a repeated Idempotency-Key, find) the ticket; its id and snapshot."""
    requester_id, org_id = await _requester_for(context, draft)
    _check_conference_link(draft)
    await _check_cc(context, org_id, draft.cc)
    draft = replace(draft, transcript=_transcript_as(context, draft.transcript))
    refs = await resolve_attachment_refs(context.engine, context.principal, draft.attachments)
    ticket_id = await _allocate_id(context, draft, idempotency_key)
    structlog.contextvars.bind_contextvars(ticket_id=ticket_id, workflow_id=ticket_workflow_id(ticket_id))
    async with context.engine.connect() as conn:
        existing = await get_ticket_row(conn, context.scope, ticket_id)
        if existing is not None:
            return ticket_id, existing
        if not draft.allow_duplicate:
            await _refuse_duplicates(conn, context.scope, org_id, draft.subject)
        policy = await policy_for_ticket(conn, org_id, draft.product)
        group_id = await group_for_new_ticket(conn, _facts(draft, org_id))
    ids = [r["id"] for r in refs]
    new = _new_ticket(draft, ticket_id, org_id, requester_id, policy, ids)
    new.group_id = group_id
    snapshot = await _start_ticket(await context.client(), context.settings, new)
    await bind_attachments(context.engine, ids, ticket_id, context.principal)
    return ticket_id, snapshot


async def _allocate_id(context: Context, draft: TicketDraft, idempotency_key: str | None) -> int:
    """A fresh number, or the one an earlier request with the same key got."""
    async with context.engine.begin() as conn:
        ticket_id = await next_ticket_id(conn)
        if not idempotency_key:
            return ticket_id
        try:
            claimed = await claim(
                conn,
                context.principal.user_id,
                idempotency_key,
                OPEN_ENDPOINT,
                request_hash(OPEN_ENDPOINT, json_ready(asdict(draft))),
                str(ticket_id),
            )
        except IdempotencyConflict as exc:
            raise Problem(
                422,
                "Idempotency-Key was already used with a different request",
                type_="/problems/idempotency-conflict",
            ) from exc
    return int(claimed.resource_id)


def _new_ticket(
    draft: TicketDraft, ticket_id: int, org_id: str, requester_id: str, policy: Any, attachment_ids: list[str]
) -> NewTicket:
    return NewTicket(
        id=ticket_id,
        org_id=org_id,
        requester_id=requester_id,
        subject=draft.subject,
        description=draft.description,
        channel=draft.channel,
        kind=draft.kind,
        severity=draft.severity,
        environment=draft.environment,
        product=draft.product,
        module=draft.module,
        impact=draft.impact,
        cc=draft.cc,
        follow_up_of=draft.follow_up_of,
        sla_policy=policy,
        attachments=attachment_ids,
        transcript=draft.transcript,
        conference=draft.conference,
    )


def _facts(draft: TicketDraft, org_id: str) -> TicketFacts:
    """What the routing rules look at."""
    return TicketFacts(draft.product, draft.module, draft.kind.value, org_id, draft.channel.value)


async def _requester_for(context: Context, draft: TicketDraft) -> tuple[str, str]:
    """Who the ticket is for: the caller, or (staff, org admins) a customer they may see."""
    principal = context.principal
    if draft.requester_id is None or draft.requester_id == principal.user_id:
        if is_staff(principal.role):
            raise Problem(
                422,
                "requester_id: staff open tickets on behalf of a customer",
                errors=[{"field": "requester_id", "message": "required for staff"}],
            )
        return principal.user_id, principal.org_id
    if principal.role is Role.CUSTOMER:
        raise Problem(
            422,
            "requester_id: customers open tickets for themselves",
            errors=[{"field": "requester_id", "message": "not allowed for customers"}],
        )
    async with context.engine.connect() as conn:
        user = await identities.get_user(conn, context.scope, draft.requester_id)
    if user is None or is_staff(Role(user["role"])):
        raise Problem(
            422, "requester_id: no such customer", errors=[{"field": "requester_id", "message": "unknown"}]
        )
    return str(user["id"]), str(user["org_id"])


async def _check_cc(context: Context, org_id: str, cc: list[str]) -> None:
    """Extra participants are customers of the ticket's organisation: a cc sees the ticket and hears
    of its replies, so any other user id (another organisation, staff) is refused, alike."""
    if not cc:
        return
    async with context.engine.connect() as conn:
        customers = await identities.customers_of(conn, org_id, cc)
    unknown = [user_id for user_id in cc if user_id not in customers]
    if unknown:
        message = "not a customer of the ticket's organisation"
        raise Problem(
            422,
            f"cc: {unknown[0]} is {message}",
            errors=[{"field": "cc", "message": message}],
        )


def _check_conference_link(draft: TicketDraft) -> None:
    """The meeting link is opened from mails and pages: https only (the API's schema says so too)."""
    link = draft.conference.link if draft.conference else ""
    if link and not link.lower().startswith("https://"):
        message = "an https:// link"
        raise Problem(
            422, f"conference.link: {message}", errors=[{"field": "conference.link", "message": message}]
        )


def _transcript_as(context: Context, transcript: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A customer's transcript is the customer's word: lines they send are marked as theirs, so
    nobody can put words in the agent's mouth. Staff's transcripts keep both sides."""
    if is_staff(context.principal.role) and not context.principal.acting_agent_id:
        return transcript
    return [{**line, "author": "customer"} for line in transcript]


async def _refuse_duplicates(conn: AsyncConnection, scope: Scope, org_id: str, subject: str) -> None:
    """One ticket per subject (seed 001): answer with the similar open tickets unless the caller insists.

    The organisation's tickets decide the refusal, but `similar` lists only those the caller may see
    (a customer does not see a colleague's ticket); `similar_count` how many there are in all (up to 5)."""
    every = await similar_open_tickets(conn, org_id, subject)
    if not every:
        return
    similar = await similar_open_tickets(conn, org_id, subject, scope=scope)
    which = f" (#{similar[0]['id']})" if similar else " in your organisation"
    raise Problem(
        409,
        f"a similar ticket is already open{which}; send allow_duplicate: true to open anyway",
        type_="/problems/possible-duplicate",
        similar=similar,
        similar_count=len(every),
    )


def _workflow_input(settings: Settings, new: NewTicket) -> TicketWorkflowInput:
    lifecycle = LifecycleSettings(
        settings.auto_resolve_after_seconds,
        settings.auto_close_after_seconds,
        feedback_after_close_seconds=settings.feedback_after_close_seconds,
    )
    escalation = EscalationSettings(
        verification_reminder_business_days=settings.verification_reminder_business_days,
        verification_timeout_days=settings.verification_timeout_days,
        reconcile_seconds=settings.escalation_reconcile_seconds,
        public_base_url=settings.public_base_url,
    )
    return TicketWorkflowInput(new=new, lifecycle=lifecycle, escalation=escalation)


async def _start_ticket(client: Client, settings: Settings, new: NewTicket) -> dict[str, Any]:
    start = WithStartWorkflowOperation(
        TicketWorkflow.run,
        _workflow_input(settings, new),
        id=ticket_workflow_id(new.id),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.TICKET_STATUS, TicketStatus.OPEN.value),
                SearchAttributePair(sa.TICKET_SEVERITY, new.severity),
                SearchAttributePair(sa.TICKET_ORG, new.org_id),
                SearchAttributePair(sa.TICKET_TIER, "L1"),
                *([SearchAttributePair(sa.TICKET_GROUP, new.group_id)] if new.group_id else []),
            ]
        ),
        static_summary=f"#{new.id} Sev{new.severity} {new.subject}"[:200],
    )
    try:
        async with asyncio.timeout(settings.api_update_timeout_seconds):
            state: dict[str, Any] = await client.execute_update_with_start_workflow(
                update_name(TicketWorkflow.opened), id="opened", start_workflow_operation=start
            )
    except (TimeoutError, RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        raise unavailable("temporal", retry_after=2) from exc
    return snapshot_from_wire(state)
