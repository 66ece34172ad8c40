"""The ticket page (seed 002): facts, the SLA promise, the public conversation, the escalation's
progress, the reply box and the Close button.

Reads through services (the person's scope decides what exists: another organisation's ticket is
a 404 page); the escalation panel is also served alone so htmx can refresh it while it moves.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services import escalations, tickets
from services.context import Context
from services.problems import Problem
from services.sla_view import answer_due
from services.ticket_people import names_on_ticket
from web.context import PortalContext
from web.conversation import conversation
from web.escalation_progress import escalation_panel
from web.forms import FormState
from web.subjects import shown_subject
from web.templating import render
from web.ticket_labels import LABELS
from web.ticket_permissions import may_close, may_reply
from web.timefmt import date_text

router = APIRouter()


async def ticket_page_values(
    request: Request, context: Context, ticket_id: int, reply_form: FormState | None = None
) -> dict[str, Any]:
    """Everything pages/ticket.html shows; `reply_form` carries a refused reply back to its box."""
    view = await tickets.get_ticket(context, ticket_id)
    ticket, principal = view.snapshot, context.principal
    names = await names_on_ticket(context, ticket, view.timeline)
    locale = request.state.visitor.locale
    return {
        "ticket": ticket,
        "subject": shown_subject(ticket, names.get(ticket["requester_id"], ""), locale),
        "names": names,
        "answer_due": answer_due(ticket),
        "messages": conversation(view.timeline, view.attachments),
        "escalation": await _escalation(context, ticket, locale),
        "may_reply": may_reply(principal, ticket),
        "may_close": may_close(principal, ticket),
        "reply_form": reply_form or FormState(values={"request_key": uuid.uuid4().hex}),
        **LABELS,
    }


async def _escalation(context: Context, ticket: dict[str, Any], locale: str) -> dict[str, Any] | None:
    linked = ticket.get("escalation")
    if not linked:
        return None
    try:
        view = await escalations.get_escalation(context, linked["id"])
    except Problem as problem:  # its projection may trail the ticket's by a moment
        if problem.status != 404:
            raise
        return None
    panel = escalation_panel(view.snapshot, view.timeline)
    panel["eta_text"] = date_text(panel["eta"], locale)
    panel["ticket_id"] = ticket["id"]
    return panel


@router.get("/tickets/{ticket_id:int}")
async def ticket_page(request: Request, context: PortalContext, ticket_id: int) -> HTMLResponse:
    """The whole page; a ticket the person may not see answers the 404 page."""
    return render(request, "pages/ticket.html", await ticket_page_values(request, context, ticket_id))


@router.get("/tickets/{ticket_id:int}/escalation")
async def escalation_piece(request: Request, context: PortalContext, ticket_id: int) -> HTMLResponse:
    """The escalation panel alone (htmx refreshes it), or the whole page without JavaScript."""
    values = await ticket_page_values(request, context, ticket_id)
    return render(request, "pages/ticket.html", values, partial="partials/escalation_panel.html")
