"""Ticket endpoints: open, list, read, and every action of a ticket's life."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query, Request, Response

from api.attachment_refs import resolve_attachment_refs
from api.auth import CurrentUser, ensure_visible, is_staff, role_of
from api.deps import EngineDep, SettingsDep, TemporalDep
from api.problems import Problem, not_found
from api.schemas import (
    AcceptConferenceIn,
    AssignIn,
    AttachmentRef,
    FeedbackIn,
    MergeIn,
    ReasonIn,
    ReclassifyIn,
    ReplyIn,
    ResolveIn,
    TicketCreate,
    TicketDetail,
    TicketOut,
    TicketPage,
    TimelineEvent,
    TransferIn,
)
from api.search_cursor import decode_search_cursor, encode_search_cursor
from api.ticket_opening import IdempotencyKey, actor_of, bind_attachments, open_ticket, request_key
from api.ticket_updates import send_update
from api.ticket_views import ticket_out
from domain.actors import STAFF_ROLES, Role
from domain.ticket.commands import (
    AbsorbMerge,
    AcceptConference,
    Assign,
    Close,
    ConvertChat,
    Feedback,
    MergeInto,
    Reclassify,
    Reopen,
    Reply,
    Resolve,
    Transfer,
)
from domain.ticket.state import Channel, Kind, TicketStatus
from store import identities
from store.attachments import list_for_ticket
from store.identities import Principal
from store.ticket_queries import (
    TicketFilter,
    get_ticket_row,
    get_timeline,
    list_tickets,
    public_messages,
)
from store.ticket_search import search_tickets
from workflows.ticket import TicketWorkflow
from workflows.ticket_input import ticket_workflow_id

router = APIRouter(prefix="/v1/tickets", tags=["tickets"])


@router.post("", status_code=201, response_model=TicketOut, summary="Open a ticket")
async def create_ticket(
    body: TicketCreate,
    principal: CurrentUser,
    engine: EngineDep,
    client: TemporalDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    """See `open_ticket`: crash-safe, idempotent, one ticket per subject unless insisted."""
    ticket_id, snapshot = await open_ticket(engine, client, settings, principal, body, idempotency_key)
    response.headers["Location"] = f"/v1/tickets/{ticket_id}"
    return ticket_out(snapshot, principal)


def _decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Problem(400, "cursor: not a cursor this API returned", errors=[{"field": "cursor"}]) from exc
    if value < 1:
        raise Problem(400, "cursor: not a cursor this API returned", errors=[{"field": "cursor"}])
    return value


def _encode_cursor(ticket_id: int) -> str:
    return base64.urlsafe_b64encode(str(ticket_id).encode()).decode().rstrip("=")


def _scope(principal: Principal, f: TicketFilter) -> TicketFilter:
    """Org admins see their organisation, customers their own tickets, staff everything."""
    role = role_of(principal)
    if role is Role.ORG_ADMIN:
        f.org_id = principal.org_id
    elif role is Role.CUSTOMER:
        f.org_id = principal.org_id
        f.requester_id = principal.user_id
    return f


@router.get("", response_model=TicketPage, summary="List tickets")
async def list_all(
    principal: CurrentUser,
    engine: EngineDep,
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
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> TicketPage:
    if severity and any(s not in (1, 2, 3, 4) for s in severity):
        raise Problem(422, "severity: must be 1, 2, 3 or 4", errors=[{"field": "severity"}])
    f = TicketFilter(
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
    )
    if q is not None and q.strip():
        return await _search_page(engine, principal, _scope(principal, f), q, limit, cursor)
    async with engine.connect() as conn:
        rows = await list_tickets(conn, _scope(principal, f), limit + 1, _decode_cursor(cursor))
    page, more = rows[:limit], len(rows) > limit
    return TicketPage(
        items=[ticket_out(r, principal) for r in page],
        next_cursor=_encode_cursor(page[-1]["id"]) if more else None,
    )


async def _search_page(
    engine: Any, principal: Principal, f: TicketFilter, q: str, limit: int, cursor: str | None
) -> TicketPage:
    """`q` given: ranked full-text search (store/ticket_search.py); internal notes match for staff only."""
    async with engine.connect() as conn:
        found = await search_tickets(conn, f, q, is_staff(principal), limit, decode_search_cursor(cursor))
    next_cursor = encode_search_cursor(found.next_cursor) if found.next_cursor else None
    return TicketPage(items=[ticket_out(r, principal) for r in found.rows], next_cursor=next_cursor)


async def _visible(engine: Any, principal: Principal, ticket_id: int) -> dict[str, Any]:
    if ticket_id < 1 or ticket_id > 2**62:
        raise not_found()
    structlog.contextvars.bind_contextvars(ticket_id=ticket_id, workflow_id=ticket_workflow_id(ticket_id))
    async with engine.connect() as conn:
        return ensure_visible(principal, await get_ticket_row(conn, ticket_id))


@router.get("/{ticket_id}", response_model=TicketDetail, summary="A ticket with its timeline")
async def get_one(ticket_id: int, principal: CurrentUser, engine: EngineDep) -> TicketDetail:
    snapshot = await _visible(engine, principal, ticket_id)
    async with engine.connect() as conn:
        events = await get_timeline(conn, ticket_id, include_internal=is_staff(principal))
        files = await list_for_ticket(conn, ticket_id, include_internal=is_staff(principal))
    out = ticket_out(snapshot, principal)
    return TicketDetail(
        **out.model_dump(),
        timeline=[TimelineEvent.model_validate(e) for e in events],
        attachments=[AttachmentRef.model_validate(f) for f in files],
    )


async def _act(
    request: Request,
    principal: Principal,
    ticket_id: int,
    update: Any,
    command: Any,
) -> TicketOut:
    app = request.app.state
    snapshot = await _visible(app.engine, principal, ticket_id)
    if snapshot["status"] == TicketStatus.CLOSED.value:
        raise Problem(
            409,
            "the ticket is closed and read-only; open a follow-up ticket instead",
            type_="/problems/transition-rejected",
            current_status="closed",
            allowed_actions=[],
        )
    from api.deps import get_temporal

    client = await get_temporal(request)
    snapshot = await send_update(
        client,
        ticket_id,
        update,
        command,
        deadline_seconds=app.settings.api_update_timeout_seconds,
        update_id=command.request_id,
    )
    return ticket_out(snapshot, principal)


@router.post(
    "/{ticket_id}/replies", response_model=TicketOut, summary="Reply (customer) or reply / note (staff)"
)
async def reply(
    ticket_id: int,
    body: ReplyIn,
    principal: CurrentUser,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    refs = await resolve_attachment_refs(
        request.app.state.engine, principal, body.attachments, ticket_id=ticket_id
    )
    ids = [r["id"] for r in refs]
    if body.resources and not is_staff(principal):
        raise Problem(422, "resources: only staff share articles and links", errors=[{"field": "resources"}])
    command = Reply(
        actor=actor_of(principal),
        body=body.body,
        internal=body.internal,
        await_customer=body.await_customer,
        attachments=ids,
        resources=[r.model_dump() for r in body.resources],
        request_id=request_key(principal, idempotency_key),
    )
    out = await _act(request, principal, ticket_id, TicketWorkflow.reply, command)
    await bind_attachments(request.app.state.engine, ids, ticket_id, principal, internal=body.internal)
    return out


@router.post(
    "/{ticket_id}/convert", response_model=TicketOut, summary="Turn a chat into a regular ticket (agents)"
)
async def convert_chat(
    ticket_id: int, principal: CurrentUser, request: Request, idempotency_key: IdempotencyKey = None
) -> TicketOut:
    """The SLA clocks of a chat start when an agent makes it a regular ticket."""
    command = ConvertChat(actor_of(principal), request_key(principal, idempotency_key))
    return await _act(request, principal, ticket_id, TicketWorkflow.convert_chat, command)


@router.post(
    "/{ticket_id}/conference/accept", response_model=TicketOut, summary="Confirm the conference call (staff)"
)
async def accept_conference(
    ticket_id: int,
    principal: CurrentUser,
    request: Request,
    body: AcceptConferenceIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    """The participants get the confirmation by e-mail; a reminder goes out before the call."""
    link, code = (body.link, body.code) if body else (None, None)
    command = AcceptConference(actor_of(principal), link, code, request_key(principal, idempotency_key))
    return await _act(request, principal, ticket_id, TicketWorkflow.accept_conference, command)


@router.post(
    "/{ticket_id}/feedback", response_model=TicketOut, summary="Satisfaction survey (requester only)"
)
async def feedback(
    ticket_id: int,
    body: FeedbackIn,
    principal: CurrentUser,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    command = Feedback(
        actor_of(principal), body.satisfied, body.comment, request_key(principal, idempotency_key)
    )
    return await _act(request, principal, ticket_id, TicketWorkflow.feedback, command)


@router.post(
    "/{ticket_id}/merge", response_model=TicketOut, summary="Merge this duplicate into another ticket"
)
async def merge(
    ticket_id: int,
    body: MergeIn,
    principal: CurrentUser,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    """The target receives the duplicate's messages and participants first (its SLA clocks unchanged),
    then the duplicate closes with a link; a retry with the same Idempotency-Key repeats neither."""
    engine = request.app.state.engine
    source = await _visible(engine, principal, ticket_id)
    target = await _visible(engine, principal, body.into)
    if target["org_id"] != source["org_id"]:
        raise Problem(
            422, "into: tickets of different organisations cannot be merged", errors=[{"field": "into"}]
        )
    if target["status"] == TicketStatus.CLOSED.value:
        raise Problem(409, f"#{body.into} is closed", current_status="closed", allowed_actions=[])
    key = request_key(principal, idempotency_key) or f"merge:{ticket_id}:{body.into}"
    async with engine.connect() as conn:
        messages = await public_messages(conn, ticket_id)
    absorb = AbsorbMerge(
        actor_of(principal),
        ticket_id,
        source["requester_id"],
        list(source.get("cc", [])),
        messages,
        f"{key}:in",
    )
    await _act(request, principal, body.into, TicketWorkflow.absorb_merge, absorb)
    command = MergeInto(actor_of(principal), body.into, f"{key}:out")
    return await _act(request, principal, ticket_id, TicketWorkflow.merge_into, command)


@router.post("/{ticket_id}/resolve", response_model=TicketOut, summary="Resolve (staff)")
async def resolve(
    ticket_id: int,
    principal: CurrentUser,
    request: Request,
    body: ResolveIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    command = Resolve(
        actor=actor_of(principal),
        comment=body.comment if body else None,
        request_id=request_key(principal, idempotency_key),
    )
    return await _act(request, principal, ticket_id, TicketWorkflow.resolve, command)


@router.post("/{ticket_id}/reopen", response_model=TicketOut, summary="Reopen a resolved ticket")
async def reopen(
    ticket_id: int,
    principal: CurrentUser,
    request: Request,
    body: ReasonIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    command = Reopen(
        actor=actor_of(principal),
        reason=body.reason if body else None,
        request_id=request_key(principal, idempotency_key),
    )
    return await _act(request, principal, ticket_id, TicketWorkflow.reopen, command)


@router.post("/{ticket_id}/close", response_model=TicketOut, summary="Close (requester or org admin)")
async def close(
    ticket_id: int,
    principal: CurrentUser,
    request: Request,
    body: ReasonIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    command = Close(
        actor=actor_of(principal),
        reason=body.reason if body else None,
        request_id=request_key(principal, idempotency_key),
    )
    return await _act(request, principal, ticket_id, TicketWorkflow.close, command)


@router.post("/{ticket_id}/assign", response_model=TicketOut, summary="Assign to a staff member (staff)")
async def assign(
    ticket_id: int,
    body: AssignIn,
    principal: CurrentUser,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    if body.assignee_id is not None:
        async with request.app.state.engine.connect() as conn:
            user = await identities.get_user(conn, body.assignee_id)
        if user is None or Role(user["role"]) not in STAFF_ROLES:
            await _visible(request.app.state.engine, principal, ticket_id)
            raise Problem(
                422,
                "assignee_id: not a staff member",
                errors=[{"field": "assignee_id", "message": "unknown staff user"}],
            )
    command = Assign(
        actor=actor_of(principal),
        assignee_id=body.assignee_id,
        request_id=request_key(principal, idempotency_key),
    )
    return await _act(request, principal, ticket_id, TicketWorkflow.assign, command)


@router.post("/{ticket_id}/reclassify", response_model=TicketOut, summary="Change severity / impact (staff)")
async def reclassify(
    ticket_id: int,
    body: ReclassifyIn,
    principal: CurrentUser,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    command = Reclassify(
        actor=actor_of(principal),
        severity=body.severity,
        impact=body.impact,
        request_id=request_key(principal, idempotency_key),
    )
    return await _act(request, principal, ticket_id, TicketWorkflow.reclassify, command)


@router.post("/{ticket_id}/transfer", response_model=TicketOut, summary="Transfer to another tier (agents)")
async def transfer(
    ticket_id: int,
    body: TransferIn,
    principal: CurrentUser,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    command = Transfer(
        actor=actor_of(principal),
        tier=body.tier,
        reason=body.reason,
        request_id=request_key(principal, idempotency_key),
    )
    return await _act(request, principal, ticket_id, TicketWorkflow.transfer, command)
