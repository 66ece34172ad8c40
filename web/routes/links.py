"""One-click answers from e-mail (`/portal/links/{token}`): a confirmation page, then one POST.

Mail scanners open links, so the GET only shows the question (or says the link is spent or out
of time, with a sign-in offer); the answer is recorded by the form's POST, CSRF-checked like every
portal form, with the token in the form. `view` links only lead to the ticket, through sign-in.
The rules (who answers, single use, the race of two clicks) live in services.link_answers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.status import HTTP_303_SEE_OTHER

from domain.signed_links import LinkPurpose
from services.context import lazy_client
from services.link_answers import LinkResources, LinkUnusable, OpenedLink, answer_link, open_link
from services.problems import Problem
from web.error_pages import error_page, problem_page
from web.forms import FormState
from web.i18n import N_
from web.links import PORTAL, SIGN_IN
from web.state import engine_of, settings_of
from web.templating import render
from web.ticket_labels import STATUS_LABELS
from web.visitor import VisitorDep

router = APIRouter()

MAX_TOKEN = 400
MAX_COMMENT = 4000
# Per purpose: the page's question and its one button (the accessible names tests rely on).
QUESTIONS = {
    LinkPurpose.SURVEY_YES: (N_("Are you satisfied with how we handled your ticket?"), N_("Yes")),
    LinkPurpose.SURVEY_NO: (N_("Are you satisfied with how we handled your ticket?"), N_("No")),
    LinkPurpose.VERIFY_FIXED: (N_("Is the problem fixed for you?"), N_("It works")),
    LinkPurpose.VERIFY_NOT_FIXED: (N_("Is the problem fixed for you?"), N_("It still happens")),
}
THANKS = {
    LinkPurpose.SURVEY_YES: N_("Thank you: your answer was recorded."),
    LinkPurpose.SURVEY_NO: N_("Thank you: your answer was recorded. We will learn from it."),
    LinkPurpose.VERIFY_FIXED: N_("Thank you: we have recorded that the fix works."),
    LinkPurpose.VERIFY_NOT_FIXED: N_("Thank you: the problem went back to our engineers."),
}
Token = Annotated[str, Path(max_length=MAX_TOKEN)]


def ticket_path(ticket_id: int) -> str:
    return f"{PORTAL}/tickets/{ticket_id}"


def _resources(request: Request) -> LinkResources:
    return LinkResources(engine_of(request), settings_of(request), lazy_client(request.app.state))


@router.get("/links/{token}", response_model=None)
async def link_page(request: Request, visitor: VisitorDep, token: Token) -> Response:
    """The question and its one button; nothing is recorded by opening the link."""
    try:
        opened = await open_link(_resources(request), token, datetime.now(UTC))
    except Problem as problem:
        return await _link_problem(request, problem)
    if opened.claims.purpose is LinkPurpose.VIEW:
        return _to_ticket(visitor, opened)
    if not opened.usable:
        return _refused(request, opened)
    question, button = QUESTIONS[opened.claims.purpose]
    values = {"token": token, "ticket": opened.ticket, "question": question, "button": button}
    return render(request, "pages/link_confirm.html", {**values, "form": FormState({"comment": ""})})


@router.post("/links", response_model=None)
async def answer(
    request: Request,
    token: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
    comment: Annotated[str, Form(max_length=MAX_COMMENT)] = "",
) -> Response:
    """Record the answer as the link's recipient, once; then the thank-you page (303)."""
    try:
        await answer_link(_resources(request), token, comment, datetime.now(UTC))
    except LinkUnusable as exc:
        return _refused(request, exc.opened)
    except Problem as problem:
        return await _link_problem(request, problem)
    return RedirectResponse(f"{PORTAL}/links/{token}/answered", status_code=HTTP_303_SEE_OTHER)


@router.get("/links/{token}/answered", response_model=None)
async def answered(request: Request, token: Token) -> Response:
    """Thanks, and the ticket's status as it stands now (a verified fix resolves it)."""
    try:
        opened = await open_link(_resources(request), token, datetime.now(UTC))
    except Problem as problem:
        return await _link_problem(request, problem)
    if not opened.used or opened.claims.purpose is LinkPurpose.VIEW:
        return RedirectResponse(f"{PORTAL}/links/{token}", status_code=HTTP_303_SEE_OTHER)
    context = {
        "ticket": opened.ticket,
        "thanks": THANKS[opened.claims.purpose],
        "status_labels": STATUS_LABELS,
        "ticket_path": ticket_path(opened.claims.ticket_id),
    }
    return render(request, "pages/link_answered.html", context)


def _to_ticket(visitor: VisitorDep, opened: OpenedLink) -> RedirectResponse:
    """A view link: the ticket page, through sign-in unless its recipient is signed in already."""
    target = ticket_path(opened.claims.ticket_id)
    principal = visitor.principal
    if principal is None or principal.user_id != opened.claims.recipient_id:
        target = f"{SIGN_IN}?next={target}"
    return RedirectResponse(target, status_code=HTTP_303_SEE_OTHER)


def _refused(request: Request, opened: OpenedLink) -> Response:
    """Spent or out of time (410): say which, and offer a sign-in link to the recipient's address."""
    context = {
        "used": opened.used,
        "form": FormState({"email": opened.context.principal.email}),
        "next": ticket_path(opened.claims.ticket_id),
        "ticket": opened.ticket,
    }
    return render(request, "pages/link_refused.html", context, status_code=410)


async def _link_problem(request: Request, problem: Problem) -> Response:
    """A forged link or a ticket its recipient no longer sees: 404 alike; other refusals as they are."""
    if problem.status == 404:
        explanation = N_("The link is not valid, or the ticket it points to is no longer yours to see.")
        return await error_page(request, 404, N_("This link cannot be opened"), explanation)
    return await problem_page(request, problem)
