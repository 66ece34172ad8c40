"""The reply box of the ticket page: "Your reply" with "Attachments", button "Send reply" (seed 002).

A plain multipart POST that redirects (303) back to the ticket, so it works without JavaScript; a
refused reply renders the ticket page again (422) with the text kept and the message by its field.
The form carries a one-time key, sent as the service's idempotency key: a double click or a
resubmitted form adds the message once.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.status import HTTP_303_SEE_OTHER

from services import tickets
from services.problems import Problem
from web.context import PortalContext
from web.error_pages import problem_page
from web.forms import FormState
from web.i18n import N_
from web.routes.ticket_page import ticket_page_values
from web.templating import render
from web.uploads import FIELD, check_files, chosen_files, store_files

router = APIRouter()

MAX_BODY = 20_000


@router.post("/tickets/{ticket_id:int}/replies", response_model=None)
async def send_reply(request: Request, context: PortalContext, ticket_id: int) -> Response:
    """Check the text and the files, store the files, add the reply; back to the conversation."""
    submitted = await request.form()
    form = FormState.from_form(submitted, "body", "request_key")
    form.require("body", N_("Write your reply."))
    if len(form.value("body")) > MAX_BODY:
        form.refuse("body", N_("Your reply is too long: at most 20,000 characters."))
    files = await chosen_files(submitted)
    check_files(form, files, request.state.visitor.locale)
    if form.ok:
        try:
            ids = await store_files(context, files)
            draft = tickets.ReplyDraft(body=form.value("body"), attachments=ids)
            await tickets.reply(context, ticket_id, draft, form.value("request_key") or None)
        except Problem as problem:
            if problem.status != 422:
                return await problem_page(request, problem)
            form.refuse("body" if not _about_files(problem) else FIELD, N_("The reply could not be added."))
    if not form.ok:
        form.values["request_key"] = uuid.uuid4().hex  # a corrected reply is a new request
        values = await ticket_page_values(request, context, ticket_id, form)
        return render(request, "pages/ticket.html", values, status_code=422)
    return RedirectResponse(f"/portal/tickets/{ticket_id}#conversation-end", status_code=HTTP_303_SEE_OTHER)


def _about_files(problem: Problem) -> bool:
    return any(str(e.get("field", "")).startswith(FIELD) for e in problem.field_errors)
