"""New ticket (seed 003): product and module, kind, environment, severity saying what answer time it
implies, subject with knowledge-base suggestions while typing, description, up to five files, and
the "one ticket per subject" warning (seed 001) with the similar tickets and a way to open anyway.

A plain multipart POST that redirects to the new ticket, so it works without JavaScript; htmx only
adds the suggestions and refreshes the severity promise when product or kind change.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.status import HTTP_303_SEE_OTHER

from domain.ticket.state import Environment, Kind
from services import kb, tickets
from services.attachment_refs import MAX_ATTACHMENTS_PER_MESSAGE
from services.context import Context
from services.problems import Problem
from services.sla_view import severity_targets
from web.context import PortalContext
from web.error_pages import problem_page
from web.forms import FormState
from web.i18n import N_
from web.sla_text import severity_options
from web.templating import render
from web.ticket_labels import ENVIRONMENT_LABELS, KIND_LABELS
from web.uploads import FIELD, check_files, chosen_files, store_files

router = APIRouter()

TEXT_FIELDS = ("product", "module", "kind", "environment", "severity", "subject", "description")
HIDDEN_FIELDS = ("request_key", "kept_files", "allow_duplicate")
MAX_SUBJECT, MAX_DESCRIPTION, MAX_NAME = 200, 64_000, 100
DEFAULTS = {"kind": "question", "environment": "production", "severity": "3"}


async def form_values(
    request: Request, context: Context, form: FormState, similar: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """What pages/new_ticket.html needs, with the severity texts for the typed product and kind."""
    targets = await severity_targets(context, form.value("product"), form.value("kind"))
    return {
        "form": form,
        "severity_options": severity_options(targets, request.state.visitor.locale),
        "kind_options": list(KIND_LABELS.items()),
        "environment_options": list(ENVIRONMENT_LABELS.items()),
        "similar": similar or [],
        "max_files": MAX_ATTACHMENTS_PER_MESSAGE,
    }


@router.get("/tickets/new")
async def new_ticket_page(request: Request, context: PortalContext) -> HTMLResponse:
    form = FormState(values={**DEFAULTS, "request_key": uuid.uuid4().hex})
    return render(request, "pages/new_ticket.html", await form_values(request, context, form))


@router.get("/tickets/new/severity")
async def severity_field(
    request: Request,
    context: PortalContext,
    product: Annotated[str, Query(max_length=MAX_NAME)] = "",
    kind: Annotated[str, Query(max_length=20)] = "",
    severity: Annotated[str, Query(max_length=2)] = "3",
) -> HTMLResponse:
    """The Severity field again, its promises recomputed for the product and kind chosen (htmx)."""
    form = FormState(values={"product": product.strip(), "kind": kind, "severity": severity})
    values = await form_values(request, context, form)
    return render(request, "pages/new_ticket.html", values, partial="partials/severity_field.html")


@router.get("/tickets/new/suggestions")
async def suggestions(
    request: Request,
    context: PortalContext,
    subject: Annotated[str, Query(max_length=MAX_SUBJECT)] = "",
    product: Annotated[str, Query(max_length=MAX_NAME)] = "",
) -> HTMLResponse:
    """Articles for the subject typed so far (debounced by htmx), from the same store as the API."""
    found = await kb.suggest(context, subject, product.strip() or None)
    values = {"suggestions": found, "typed": subject.strip()}
    return render(request, "partials/kb_suggestions.html", values, partial="partials/kb_suggestions.html")


@router.post("/tickets/new", response_model=None)
async def open_ticket(request: Request, context: PortalContext) -> Response:
    """Validate, check the files, store them, open the ticket; the similar tickets when it looks repeated."""
    submitted = await request.form()
    form = FormState.from_form(submitted, *TEXT_FIELDS, *HIDDEN_FIELDS)
    validate(form)
    kept = [i for i in form.value("kept_files").split(",") if i][:MAX_ATTACHMENTS_PER_MESSAGE]
    files = await chosen_files(submitted)
    check_files(form, files, request.state.visitor.locale)
    if form.ok and len(kept) + len(files) > MAX_ATTACHMENTS_PER_MESSAGE:
        form.refuse(FIELD, N_("Attach at most 5 files to one message."))
    if not form.ok:
        return await _again(request, context, form)
    ids = kept + await store_files(context, files)
    try:
        ticket_id, _ = await tickets.open_ticket(context, draft(form, ids), form.value("request_key") or None)
    except Problem as problem:
        if problem.status == 409 and "similar" in problem.extensions:
            form.values["kept_files"] = ",".join(ids)
            form.values["request_key"] = uuid.uuid4().hex
            values = await form_values(request, context, form, problem.extensions["similar"])
            return render(request, "pages/new_ticket.html", values, status_code=409)
        return await problem_page(request, problem)
    return RedirectResponse(f"/portal/tickets/{ticket_id}", status_code=HTTP_303_SEE_OTHER)


def validate(form: FormState) -> None:
    """Each problem next to its field; what was typed stays."""
    form.require("subject", N_("Enter a subject: a few words that say what happens."))
    if form.value("subject") and len(form.value("subject")) < 3:
        form.refuse("subject", N_("The subject needs at least 3 characters."))
    if len(form.value("subject")) > MAX_SUBJECT:
        form.refuse("subject", N_("The subject can have at most 200 characters."))
    form.require("description", N_("Describe the problem: what you did, what happened, what you expected."))
    if len(form.value("description")) > MAX_DESCRIPTION:
        form.refuse("description", N_("The description is too long."))
    for name in ("product", "module"):
        if len(form.value(name)) > MAX_NAME:
            form.refuse(name, N_("At most 100 characters."))
    if form.value("kind") not in {k.value for k in Kind}:
        form.refuse("kind", N_("Choose a kind."))
    if form.value("environment") not in {e.value for e in Environment}:
        form.refuse("environment", N_("Choose an environment."))
    if form.value("severity") not in ("1", "2", "3", "4"):
        form.refuse("severity", N_("Choose a severity."))


def draft(form: FormState, attachment_ids: list[str]) -> tickets.TicketDraft:
    return tickets.TicketDraft(
        subject=form.value("subject"),
        description=form.value("description"),
        kind=Kind(form.value("kind")),
        severity=int(form.value("severity")),
        environment=Environment(form.value("environment")),
        product=form.value("product") or None,
        module=form.value("module") or None,
        attachments=attachment_ids,
        allow_duplicate=form.value("allow_duplicate") == "yes",
    )


async def _again(request: Request, context: Context, form: FormState) -> HTMLResponse:
    """The form once more (422), with every message by its field and the text as typed."""
    form.values["request_key"] = uuid.uuid4().hex
    values = await form_values(request, context, form)
    return render(request, "pages/new_ticket.html", values, status_code=422)
