"""Escalations for a caller: open one from a ticket, list and read them, and act on them.

Whoever sees a ticket sees its escalations (the store joins the ticket under the caller's scope);
changes go through `services.commands.act` like every ticket action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.actors import Role, is_staff
from domain.escalation.commands import LinkCard, Verify
from domain.escalation.public_view import public_timeline
from domain.escalation.state import ENGINEERING_ROLES
from domain.ticket.commands import Escalate
from integrations.jira.cards import read_card
from integrations.jira.client import JiraError
from integrations.jira.settings import JiraSettings
from services.commands import EscalationRef, TicketRef, act, actor_of, request_key, send, visible
from services.context import Context
from services.pagination import Page, decode_cursor, page_of
from services.people import NOBODY, People, event_people, people_named
from services.problems import Problem, forbidden, not_found
from store import escalation_queries
from store.escalation_queries import escalation_timeline, next_escalation_id
from store.idempotency import IdempotencyConflict, claim, request_hash
from workflows.escalation import EscalationWorkflow
from workflows.ticket import TicketWorkflow


@dataclass(frozen=True)
class EscalationDraft:
    """What an agent asks engineering (or the product owner) for."""

    target: str
    summary: str
    description: str | None = None


@dataclass(frozen=True)
class EscalationView:
    """One escalation with its stage timeline."""

    snapshot: dict[str, Any]
    timeline: list[dict[str, Any]]
    people: People = NOBODY  # the names of the timeline's actors


async def escalate(
    context: Context, ticket_id: int, draft: EscalationDraft, idempotency_key: str | None = None
) -> dict[str, Any]:
    """The ticket's workflow moves to `escalated` and starts the escalation's workflow in one update."""
    escalation_id = await _allocate_id(context, ticket_id, draft, idempotency_key)
    command = Escalate(
        actor=actor_of(context.principal),
        escalation_id=escalation_id,
        target=draft.target,
        summary=draft.summary,
        description=draft.description or "",
        request_id=request_key(context.principal, idempotency_key) or f"escalate:{escalation_id}",
    )
    await send(context, TicketRef(ticket_id), TicketWorkflow.escalate, command)
    return await send(context, EscalationRef(escalation_id), EscalationWorkflow.opened, None)


async def _allocate_id(
    context: Context, ticket_id: int, draft: EscalationDraft, idempotency_key: str | None
) -> str:
    """`CP-<n>`, or the id an earlier request with the same key got; 404 for a ticket out of sight."""
    async with context.engine.begin() as conn:
        if await TicketRef(ticket_id).read(conn, context.scope) is None:
            raise not_found()
        escalation_id = await next_escalation_id(conn)
        if not idempotency_key:
            return escalation_id
        endpoint = f"POST /v1/tickets/{ticket_id}/escalations"
        body = {"target": draft.target, "summary": draft.summary, "description": draft.description}
        try:
            claimed = await claim(
                conn,
                context.principal.user_id,
                idempotency_key,
                endpoint,
                request_hash(endpoint, body),
                escalation_id,
            )
        except IdempotencyConflict as exc:
            raise Problem(422, "Idempotency-Key was already used with a different request") from exc
    return claimed.resource_id


async def page_escalations(
    context: Context,
    stage: str | None,
    org_id: str | None,
    card: str | None,
    limit: int,
    cursor: str | None = None,
) -> Page[dict[str, Any]]:
    """Newest first, one page at a time (keyset on created_at, id), in one query."""
    after = decode_cursor(cursor, (datetime, str))
    async with context.engine.connect() as conn:
        rows = await escalation_queries.page_escalations(
            conn, context.scope, stage, org_id, card, limit + 1, after
        )
    page = page_of(rows, limit, lambda row: row[1])
    return Page(items=[snapshot for snapshot, _ in page.items], next_cursor=page.next_cursor)


async def get_escalation(context: Context, escalation_id: str) -> EscalationView:
    """Staff get the whole timeline; customers its public view (never JIRA's raw errors)."""
    snapshot = await visible(context, EscalationRef(escalation_id))
    async with context.engine.connect() as conn:
        events = await escalation_timeline(conn, context.scope, escalation_id)
        if not is_staff(context.principal.role):
            events = public_timeline(events)
        people = await people_named(conn, set().union(*map(event_people, events)))
    return EscalationView(snapshot=snapshot, timeline=events, people=people)


async def link_card(
    context: Context, escalation_id: str, jira: JiraSettings | None, key: str, request_id: str | None
) -> dict[str, Any]:
    """Link an existing JIRA issue, checked to exist (422 otherwise; 502/503 when JIRA fails).

    The role is checked before JIRA is asked, or a customer could learn which JIRA keys exist."""
    await visible(context, EscalationRef(escalation_id))
    if context.principal.role not in ENGINEERING_ROLES:
        raise forbidden(f"a {context.principal.role} cannot link dev cards")
    if jira is None:
        raise Problem(503, "no JIRA is configured (JIRA_BASE_URL)", type_="/problems/unavailable")
    try:
        card = await read_card(jira, key)
    except JiraError as exc:
        raise Problem(502, f"JIRA did not answer as expected: {exc}", type_="/problems/bad-gateway") from exc
    if card is None:
        raise Problem(
            422, f"key: JIRA has no issue {key}", errors=[{"field": "key", "message": "no such issue"}]
        )
    command = LinkCard(
        actor_of(context.principal), card.key, card.url, card.status, card.progress, request_id
    )
    return await act(context, EscalationRef(escalation_id), EscalationWorkflow.link_card, command)


async def verify(
    context: Context, escalation_id: str, fixed: bool, comment: str | None, idempotency_key: str | None
) -> dict[str, Any]:
    """The requester (or their org admin, or staff) confirms the fix or sends it back to engineering."""
    principal = context.principal
    escalation = await visible(context, EscalationRef(escalation_id))
    if principal.role is Role.CUSTOMER and escalation.get("requester_id") != principal.user_id:
        raise Problem(403, "only the requester or their organisation's admin confirms a fix")
    command = Verify(actor_of(principal), fixed, comment, request_key(principal, idempotency_key))
    return await act(context, EscalationRef(escalation_id), EscalationWorkflow.verify, command)
