"""Tickets for a caller: open, list, read one with its timeline and files, reply, merge.

The API routes and the web pages call these with a `Context`; what the caller may see comes from
`services.access` through the context's scope, and every change goes through `services.commands.act`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.actors import Role, is_staff
from domain.ticket.commands import AbsorbMerge, MergeInto, Reply
from domain.ticket.state import TicketStatus
from domain.ticket.transitions import RULES
from services.attachment_refs import bind_attachments, resolve_attachment_refs
from services.commands import TicketRef, act, actor_of, request_key, visible
from services.context import Context
from services.people import NOBODY, People, event_people, people_for, people_named, ticket_people
from services.problems import Problem
from services.search_cursor import decode_search_cursor, encode_search_cursor
from services.ticket_cursor import decode_keyset, encode_keyset
from services.ticket_opening import TicketDraft, open_ticket
from store import identities
from store.attachments import list_for_ticket
from store.ticket_order import list_ordered
from store.ticket_queries import TicketFilter, get_timeline, public_messages
from store.ticket_search import search_tickets as search_documents
from workflows.ticket import TicketWorkflow

__all__ = [
    "ReplyDraft",
    "TicketDraft",
    "TicketFilter",
    "TicketPage",
    "TicketView",
    "allowed_actions",
    "check_assignee",
    "get_ticket",
    "list_tickets",
    "merge",
    "open_ticket",
    "people_of",
    "reply",
]


@dataclass(frozen=True)
class TicketPage:
    """Snapshots newest first, and the cursor of the next page (None on the last)."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    people: People = NOBODY  # the names of everyone the page names


@dataclass(frozen=True)
class TicketView:
    """One ticket as the caller may see it: snapshot, timeline and files (internal ones for staff),
    and the names of everyone they name."""

    snapshot: dict[str, Any]
    timeline: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    people: People = NOBODY


@dataclass(frozen=True)
class ReplyDraft:
    """A message on a ticket; the caller's role makes it a customer reply, an agent reply or a note."""

    body: str
    internal: bool = False
    await_customer: bool = False
    attachments: list[str] = field(default_factory=list)
    resources: list[dict[str, str]] = field(default_factory=list)


def allowed_actions(snapshot: dict[str, Any], role: Role) -> list[str]:
    """Actions the caller may take now; mirrors the workflow's validators (which stay authoritative)."""
    current = TicketStatus(snapshot["status"])
    return [name for name, rule in RULES.items() if current in rule.statuses and role in rule.roles]


async def list_tickets(
    context: Context,
    filters: TicketFilter,
    limit: int = 25,
    cursor: str | None = None,
    sort: str | None = None,
) -> TicketPage:
    """The caller's tickets matching the filters (which narrow the scope, never widen it), in `sort`'s
    order: by default the next SLA deadline first for staff (a queue), newest first for customers."""
    sort = sort or ("sla" if is_staff(context.principal.role) else "created")
    async with context.engine.connect() as conn:
        rows = await list_ordered(conn, context.scope, filters, sort, limit + 1, decode_keyset(cursor, sort))
        page, more = rows[:limit], len(rows) > limit
        snapshots = [snapshot for snapshot, _ in page]
        people = await people_named(conn, set().union(*map(ticket_people, snapshots)))
    next_cursor = encode_keyset(page[-1][1]) if more else None
    return TicketPage(items=snapshots, next_cursor=next_cursor, people=people)


async def search_tickets(
    context: Context, filters: TicketFilter, q: str, limit: int = 25, cursor: str | None = None
) -> TicketPage:
    """Ranked full-text search within the caller's scope (store/ticket_search.py); internal notes
    match for staff only."""
    async with context.engine.connect() as conn:
        found = await search_documents(
            conn, context.scope, filters, q, context.scope.internal, limit, decode_search_cursor(cursor)
        )
        people = await people_named(conn, set().union(*map(ticket_people, found.rows)))
    next_cursor = encode_search_cursor(found.next_cursor) if found.next_cursor else None
    return TicketPage(items=found.rows, next_cursor=next_cursor, people=people)


async def get_ticket(context: Context, ticket_id: int) -> TicketView:
    """404 alike for a ticket that does not exist and one the caller may not see."""
    snapshot = await visible(context, TicketRef(ticket_id))
    async with context.engine.connect() as conn:
        events = await get_timeline(conn, context.scope, ticket_id)
        files = await list_for_ticket(conn, context.scope, ticket_id)
        people = await people_named(conn, ticket_people(snapshot).union(*map(event_people, events)))
    return TicketView(snapshot=snapshot, timeline=events, attachments=files, people=people)


async def people_of(context: Context, snapshots: list[dict[str, Any]]) -> People:
    """The names a ticket answer shows (after a write: the snapshot the workflow returned)."""
    return await people_for(context, set().union(*map(ticket_people, snapshots)))


async def reply(
    context: Context, ticket_id: int, draft: ReplyDraft, idempotency_key: str | None = None
) -> dict[str, Any]:
    """Add the message (attachments checked first, bound after) and return the ticket's snapshot."""
    principal = context.principal
    refs = await resolve_attachment_refs(context.engine, principal, draft.attachments, ticket_id=ticket_id)
    ids = [r["id"] for r in refs]
    if draft.resources and not is_staff(principal.role):
        raise Problem(422, "resources: only staff share articles and links", errors=[{"field": "resources"}])
    command = Reply(
        actor=actor_of(principal),
        body=draft.body,
        internal=draft.internal,
        await_customer=draft.await_customer,
        attachments=ids,
        resources=draft.resources,
        request_id=request_key(principal, idempotency_key),
    )
    snapshot = await act(context, TicketRef(ticket_id), TicketWorkflow.reply, command)
    await bind_attachments(context.engine, ids, ticket_id, principal, internal=draft.internal)
    return snapshot


async def merge(
    context: Context, ticket_id: int, into: int, idempotency_key: str | None = None
) -> dict[str, Any]:
    """The target receives the duplicate's messages and participants first (its SLA clocks unchanged),
    then the duplicate closes with a link; a retry with the same Idempotency-Key repeats neither."""
    source = await visible(context, TicketRef(ticket_id))
    target = await visible(context, TicketRef(into))
    if target["org_id"] != source["org_id"]:
        raise Problem(
            422, "into: tickets of different organisations cannot be merged", errors=[{"field": "into"}]
        )
    if target["status"] == TicketStatus.CLOSED.value:
        raise Problem(409, f"#{into} is closed", current_status="closed", allowed_actions=[])
    key = request_key(context.principal, idempotency_key) or f"merge:{ticket_id}:{into}"
    async with context.engine.connect() as conn:
        messages = await public_messages(conn, context.scope, ticket_id)
    actor = actor_of(context.principal)
    cc = list(source.get("cc", []))
    absorb = AbsorbMerge(actor, ticket_id, source["requester_id"], cc, messages, f"{key}:in")
    await act(context, TicketRef(into), TicketWorkflow.absorb_merge, absorb)
    command = MergeInto(actor, into, f"{key}:out")
    return await act(context, TicketRef(ticket_id), TicketWorkflow.merge_into, command)


async def check_assignee(context: Context, ticket_id: int, assignee_id: str | None) -> None:
    """422 unless the assignee is a staff member (after the ticket's 404, so ids do not leak)."""
    if assignee_id is None:
        return
    async with context.engine.connect() as conn:
        user = await identities.get_user(conn, context.scope, assignee_id)
    if user is None or not is_staff(Role(user["role"])):
        await visible(context, TicketRef(ticket_id))
        raise Problem(
            422,
            "assignee_id: not a staff member",
            errors=[{"field": "assignee_id", "message": "unknown staff user"}],
        )
