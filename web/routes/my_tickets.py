"""The portal's landing page: "My tickets" (seed 002), and for org admins their organisation's tickets.

Reads the read model's existing ticket list. TODO(services): when services.tickets lands, replace
`ticket_filter` + `list_tickets` with its scoped list so the API and the pages share one rule.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from domain.actors import Role
from store.identities import Principal, list_users
from store.ticket_queries import TicketFilter, list_tickets
from web.auth import PortalUser
from web.i18n import N_
from web.state import engine_of
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
    """The same reach as `GET /v1/tickets`: org admins may see the organisation, customers their own."""
    whole_org = scope == "org" and Role(principal.role) is Role.ORG_ADMIN
    return TicketFilter(
        org_id=principal.org_id,
        requester_id=None if whole_org else principal.user_id,
        status=STATUS_FILTERS.get(status),
    )


@router.get("")
async def my_tickets(
    request: Request,
    principal: PortalUser,
    status: Annotated[str, Query(max_length=10)] = "all",
    scope: Annotated[str, Query(max_length=10)] = "mine",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """The ticket table, newest first; htmx swaps only the table when the filter changes."""
    status = status if status in STATUS_FILTERS else "all"
    scope = "org" if scope == "org" and Role(principal.role) is Role.ORG_ADMIN else "mine"
    async with engine_of(request).connect() as conn:
        rows = await list_tickets(conn, ticket_filter(principal, scope, status), PAGE_SIZE + 1, before)
        requesters = await _requester_names(conn, principal) if scope == "org" else {}
    context: dict[str, Any] = {
        "tickets": rows[:PAGE_SIZE],
        "older": rows[PAGE_SIZE - 1]["id"] if len(rows) > PAGE_SIZE else None,
        "status": status,
        "scope": scope,
        "requesters": requesters,
        "status_labels": STATUS_LABELS,
        "is_org_admin": Role(principal.role) is Role.ORG_ADMIN,
    }
    return render(request, "pages/my_tickets.html", context, partial="partials/ticket_table.html")


async def _requester_names(conn: Any, principal: Principal) -> dict[str, str]:
    return {user["id"]: user["name"] for user in await list_users(conn, principal.org_id)}
