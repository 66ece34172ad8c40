"""Closing a ticket (seed 002): the owner or an org admin confirms on a page, then it is closed.

A GET only shows the question (links are followed by mail scanners and prefetchers); the POST sends
the Close command through services.commands.act, and the ticket page then shows the closed banner.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.status import HTTP_303_SEE_OTHER

from domain.ticket.commands import Close
from services.commands import TicketRef, act, actor_of, request_key, visible
from services.problems import Problem
from web.context import PortalContext
from web.error_pages import problem_page
from web.errors import PageForbidden
from web.i18n import N_
from web.templating import render
from web.ticket_permissions import may_close
from workflows.ticket import TicketWorkflow

router = APIRouter()

NOT_OWNER = N_("Only the person who opened this ticket, or an admin of their organisation, can close it.")


@router.get("/tickets/{ticket_id:int}/close")
async def confirm_close(request: Request, context: PortalContext, ticket_id: int) -> HTMLResponse:
    """The confirmation page; a closed ticket simply shows itself again."""
    ticket = await visible(context, TicketRef(ticket_id))
    if ticket["status"] != "closed" and not may_close(context.principal, ticket):
        raise PageForbidden(NOT_OWNER)
    return render(request, "pages/ticket_close.html", {"ticket": ticket})


@router.post("/tickets/{ticket_id:int}/close", response_model=None)
async def close_ticket(request: Request, context: PortalContext, ticket_id: int) -> Response:
    """Close it and go back to the ticket, which now says it is closed."""
    ticket = await visible(context, TicketRef(ticket_id))
    if ticket["status"] != "closed":
        if not may_close(context.principal, ticket):
            raise PageForbidden(NOT_OWNER)
        command = Close(
            actor_of(context.principal), None, request_key(context.principal, f"close:{ticket_id}")
        )
        try:
            await act(context, TicketRef(ticket_id), TicketWorkflow.close, command)
        except Problem as problem:
            return await problem_page(request, problem)
    return RedirectResponse(f"/portal/tickets/{ticket_id}", status_code=HTTP_303_SEE_OTHER)
