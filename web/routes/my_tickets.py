"""The portal's landing page: "My tickets" (seed 002), and for org admins their organisation's tickets.

Lists through services.tickets with the person's scope (services.access), exactly as GET /v1/tickets
does; the filters here (status, kind, who created it, a number or words) only narrow it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from domain.actors import Role
from services import tickets
from services.context import Context
from services.ticket_people import requester_names
from services.tickets import TicketFilter
from store import identities
from web.context import PortalContext
from web.i18n import N_
from web.subjects import shown_subject
from web.templating import render
from web.ticket_labels import KIND_LABELS, LABELS

router = APIRouter()

PAGE_SIZE = 25
STATUS_FILTERS: dict[str, list[str] | None] = {
    "all": None,
    "open": ["open", "pending", "escalated"],
    "pending": ["pending"],
    "escalated": ["escalated"],
    "closed": ["resolved", "closed"],
}
STATUS_CHOICES = [
    ("all", N_("All tickets")),
    ("open", N_("Open tickets")),
    ("pending", N_("Waiting for you")),
    ("escalated", N_("Escalated")),
    ("closed", N_("Closed tickets")),
]
TICKET_NUMBER = re.compile(r"^#?\s*(\d{1,18})$")


@dataclass(frozen=True)
class ListQuery:
    """What the filter form asked for, made safe: unknown values fall back to "any"."""

    status: str
    kind: str
    scope: str
    created_by: str
    q: str

    def params(self, **extra: str) -> str:
        """The query string of this list (for pagination links), empty values left out."""
        values = {"status": self.status, "kind": self.kind, "scope": "org" if self.scope == "org" else ""}
        values |= {"created_by": self.created_by, "q": self.q, **extra}
        return urlencode({k: v for k, v in values.items() if v and v != "all"})


def ticket_filter(context: Context, query: ListQuery) -> TicketFilter:
    """Narrow the person's scope; "me" and a colleague's id filter on who opened the ticket."""
    principal = context.principal
    requester = principal.user_id if query.created_by == "me" or query.scope == "mine" else None
    if query.scope == "org" and query.created_by not in ("", "me"):
        requester = query.created_by
    if principal.role is Role.CUSTOMER:  # a customer's scope is already theirs (and cc'd tickets)
        requester = principal.user_id if query.created_by == "me" else None
    number = TICKET_NUMBER.match(query.q)
    return TicketFilter(
        requester_id=requester,
        status=STATUS_FILTERS.get(query.status),
        kind=query.kind or None,
        ticket_id=int(number.group(1)) if number else None,
        q=None if number or not query.q else query.q,
    )


def list_query(
    principal_role: Role, status: str, kind: str, scope: str, created_by: str, q: str
) -> ListQuery:
    org_admin = principal_role is Role.ORG_ADMIN
    return ListQuery(
        status=status if status in STATUS_FILTERS else "all",
        kind=kind if kind in KIND_LABELS else "",
        scope="org" if scope == "org" and org_admin else "mine",
        created_by=created_by if created_by == "me" or (org_admin and scope == "org") else "",
        q=q.strip(),
    )


@router.get("")
async def my_tickets(
    request: Request,
    context: PortalContext,
    status: Annotated[str, Query(max_length=10)] = "all",
    kind: Annotated[str, Query(max_length=12)] = "",
    scope: Annotated[str, Query(max_length=10)] = "mine",
    created_by: Annotated[str, Query(max_length=36)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """The ticket table, newest first; htmx swaps only the table when a filter changes."""
    principal = context.principal
    query = list_query(principal.role, status, kind, scope, created_by, q)
    page = await tickets.list_tickets(context, ticket_filter(context, query), PAGE_SIZE, cursor)
    names = await requester_names(context, page.items)
    locale = request.state.visitor.locale
    rows = [
        {**t, "shown_subject": shown_subject(t, names.get(t["requester_id"], ""), locale)} for t in page.items
    ]
    values: dict[str, Any] = {
        "tickets": rows,
        "older_url": f"/portal?{query.params(cursor=page.next_cursor)}" if page.next_cursor else None,
        "first_url": f"/portal?{query.params()}" if cursor else None,
        "query": query,
        "scope": query.scope,
        "requesters": names,
        "colleagues": await _colleagues(context) if query.scope == "org" else [],
        "status_choices": STATUS_CHOICES,
        "is_org_admin": principal.role is Role.ORG_ADMIN,
        **LABELS,
    }
    response = render(request, "pages/my_tickets.html", values, partial="partials/ticket_table.html")
    # The address htmx puts in the bar: the filters that narrow, not every empty field of the form.
    params = query.params(cursor=cursor or "")
    response.headers["HX-Push-Url"] = f"/portal?{params}" if params else "/portal"
    return response


async def _colleagues(context: Context) -> list[tuple[str, str]]:
    """(id, name) of the org admin's organisation, for the "Created by" filter."""
    async with context.engine.connect() as conn:
        users = await identities.list_users(conn, context.scope, context.principal.org_id)
    return [
        (str(user["id"]), str(user["name"])) for user in users if user["role"] in ("customer", "org_admin")
    ]
