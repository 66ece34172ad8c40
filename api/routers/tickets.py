"""Ticket endpoints: open, list, read, reply, merge, and the actions of `api.ticket_actions`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.action_routes import add_action_routes
from api.context import ContextDep
from api.headers import IdempotencyKey
from api.schemas.tickets import (
    AttachmentRef,
    MergeIn,
    ReplyIn,
    TicketCreate,
    TicketDetail,
    TicketOut,
    TicketPage,
    TicketSort,
)
from api.ticket_actions import ACTIONS
from api.ticket_views import event_out, ticket_answer, ticket_out
from domain.ticket.state import Channel, Conference, Kind, TicketStatus, Tier
from domain.ticket.tags import normal_tag
from services import tickets
from services.problems import Problem

router = APIRouter(prefix="/v1/tickets", tags=["tickets"])


@router.post("", status_code=201, response_model=TicketOut, summary="Open a ticket", name="create")
async def create_ticket(
    body: TicketCreate, context: ContextDep, response: Response, idempotency_key: IdempotencyKey = None
) -> TicketOut:
    """See `open_ticket`: crash-safe, idempotent, one ticket per subject unless insisted."""
    ticket_id, snapshot = await tickets.open_ticket(context, ticket_draft(body), idempotency_key)
    response.headers["Location"] = f"/v1/tickets/{ticket_id}"
    return await ticket_answer(context, snapshot)


def ticket_draft(body: TicketCreate) -> tickets.TicketDraft:
    """The service's draft from the validated body (channel details as the domain has them)."""
    conference = body.conference
    return tickets.TicketDraft(
        **body.model_dump(exclude={"transcript", "conference"}),
        transcript=[line.model_dump(mode="json", exclude_none=True) for line in body.transcript],
        conference=(
            Conference(conference.scheduled_at, conference.minutes, conference.link, conference.code)
            if conference
            else None
        ),
    )


@router.get("", response_model=TicketPage, summary="List tickets", name="list")
async def list_all(
    context: ContextDep,
    status: Annotated[list[TicketStatus] | None, Query(max_length=5)] = None,
    severity: Annotated[list[int] | None, Query(max_length=4)] = None,
    channel: Channel | None = None,
    kind: Kind | None = None,
    product: Annotated[str | None, Query(max_length=100)] = None,
    requester_id: Annotated[str | None, Query(max_length=36)] = None,
    assignee_id: Annotated[str | None, Query(max_length=36)] = None,
    org_id: Annotated[str | None, Query(max_length=36)] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="full-text search in subject, description and messages (staff: also internal "
            "notes); results ranked best first",
        ),
    ] = None,
    breached: Annotated[
        bool | None, Query(description="only tickets with (or without) a breached SLA")
    ] = None,
    due_before: Annotated[
        datetime | None, Query(description="tickets whose next SLA breach is due before")
    ] = None,
    group: Annotated[str | None, Query(max_length=36, description="a group (queue) id")] = None,
    tier: Tier | None = None,
    unassigned: Annotated[bool | None, Query(description="only tickets nobody (or somebody) holds")] = None,
    assignee: Annotated[
        str | None, Query(max_length=36, description='"me", or a staff user id (as assignee_id)')
    ] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    sort: Annotated[
        TicketSort | None,
        Query(
            description="sla: next SLA deadline first (staff default); activity: last activity first; "
            "created: newest first (customers' default)"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=120)] = None,
) -> TicketPage:
    if severity and any(s not in (1, 2, 3, 4) for s in severity):
        raise Problem(422, "severity: must be 1, 2, 3 or 4", errors=[{"field": "severity"}])
    filters = tickets.TicketFilter(
        org_id=org_id,
        requester_id=requester_id,
        status=[s.value for s in status] if status else None,
        severity=severity,
        channel=channel.value if channel else None,
        kind=kind.value if kind else None,
        product=product,
        assignee_id=assignee_id,
        created_from=created_from,
        created_to=created_to,
        q=q,
        breached=breached,
        due_before=due_before,
        group_id=group,
        tier=tier.value if tier else None,
        unassigned=unassigned,
        tag=normal_tag(tag) if tag else None,
    )
    if assignee is not None:
        filters.assignee_id = context.principal.user_id if assignee == "me" else assignee
    if q is not None and q.strip():
        page = await tickets.search_tickets(context, filters, q, limit, cursor)
    else:
        page = await tickets.list_tickets(context, filters, limit, cursor, sort.value if sort else None)
    return TicketPage(
        items=[ticket_out(r, context.principal, page.people) for r in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{ticket_id}", response_model=TicketDetail, summary="A ticket with its timeline", name="get")
async def get_one(ticket_id: int, context: ContextDep) -> TicketDetail:
    view = await tickets.get_ticket(context, ticket_id)
    return TicketDetail(
        **ticket_out(view.snapshot, context.principal, view.people).model_dump(),
        timeline=[event_out(e, view.people) for e in view.timeline],
        attachments=[AttachmentRef.model_validate(f) for f in view.attachments],
    )


@router.post(
    "/{ticket_id}/replies", response_model=TicketOut, summary="Reply (customer) or reply / note (staff)"
)
async def reply(
    ticket_id: int, body: ReplyIn, context: ContextDep, idempotency_key: IdempotencyKey = None
) -> TicketOut:
    draft = tickets.ReplyDraft(
        body=body.body,
        internal=body.internal,
        await_customer=body.await_customer,
        attachments=body.attachments,
        resources=[r.model_dump() for r in body.resources],
    )
    snapshot = await tickets.reply(context, ticket_id, draft, idempotency_key)
    return await ticket_answer(context, snapshot)


@router.post(
    "/{ticket_id}/merge", response_model=TicketOut, summary="Merge this duplicate into another ticket"
)
async def merge(
    ticket_id: int, body: MergeIn, context: ContextDep, idempotency_key: IdempotencyKey = None
) -> TicketOut:
    """The target receives the duplicate's messages and participants first (its SLA clocks unchanged),
    then the duplicate closes with a link; a retry with the same Idempotency-Key repeats neither."""
    snapshot = await tickets.merge(context, ticket_id, body.into, idempotency_key)
    return await ticket_answer(context, snapshot)


add_action_routes(router, ACTIONS)
