"""The portal's landing page: "My tickets" (seed 002), and for org admins their organisation's tickets.

Lists through services.tickets with the person's scope (services.access), exactly as GET /v1/tickets
does; the filters here only narrow it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from domain.actors import Role
from services import tickets
from services.context import Context
from services.tickets import TicketFilter
from store import identities
from store.identities import Principal
from web.context import PortalContext
from web.i18n import N_
from web.templating import render

router = APIRouter()

PAGE_SIZE = 25
STATUS_FILTERS: dict[str, list[str] | None] = {
    "all": None,
    "open": ["open", "pending", "escalated"],
    "closed": ["resolved", "closed"],
}
# English msgids; templates translate them with _().
STATUS_LABELS = {
    "open": N_("Open"),
    "pending": N_("Waiting for you"),
    "escalated": N_("Escalated"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
}


def ticket_filter(principal: Principal, scope: str, status: str) -> TicketFilter:
    """Narrow the person's scope: an org admin may choose only their own tickets; a status group."""
    mine = scope == "mine" and principal.role is Role.ORG_ADMIN
    return TicketFilter(requester_id=principal.user_id if mine else None, status=STATUS_FILTERS.get(status))


@router.get("")
async def my_tickets(
    request: Request,
    context: PortalContext,
    status: Annotated[str, Query(max_length=10)] = "all",
    scope: Annotated[str, Query(max_length=10)] = "mine",
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """The ticket table, newest first; htmx swaps only the table when the filter changes."""
    principal = context.principal
    status = status if status in STATUS_FILTERS else "all"
    scope = "org" if scope == "org" and principal.role is Role.ORG_ADMIN else "mine"
    page = await tickets.list_tickets(context, ticket_filter(principal, scope, status), PAGE_SIZE, cursor)
    requesters = await _requester_names(context) if scope == "org" else {}
    values: dict[str, Any] = {
        "tickets": page.items,
        "older": page.next_cursor,
        "status": status,
        "scope": scope,
        "requesters": requesters,
        "status_labels": STATUS_LABELS,
        "is_org_admin": principal.role is Role.ORG_ADMIN,
    }
    return render(request, "pages/my_tickets.html", values, partial="partials/ticket_table.html")


async def _requester_names(context: Context) -> dict[str, str]:
    """Names for the "Requester" column of an org admin's view (people of their own organisation)."""
    async with context.engine.connect() as conn:
        users = await identities.list_users(conn, context.scope, context.principal.org_id)
    return {user["id"]: user["name"] for user in users}
