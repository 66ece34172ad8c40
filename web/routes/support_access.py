"""Support access ("proxy login", seed 002) for the signed-in person: grant for some hours, revoke,
see until when it runs and what support did with it.

The page calls services.support_access, like `PUT/GET/DELETE /v1/me/support-access`; the grant's
expiry timer and audit live in the person's SupportAccessWorkflow.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.status import HTTP_303_SEE_OTHER

from domain.support_access.grant import GrantStatus
from services import support_access as grants
from services.context import Context
from services.problems import Problem
from web.context import PortalContext
from web.error_pages import problem_page
from web.forms import FormState
from web.i18n import N_
from web.links import PORTAL
from web.templating import render

router = APIRouter()

PAGE = f"{PORTAL}/support-access"
MAX_HOURS = 168  # 7 days, as the API allows
DEFAULT_HOURS = "24"
NOTICES = {"granted": N_("Support access granted."), "revoked": N_("Support access revoked.")}
# English msgids for the trail's rows; ticket changes not named here read "Changed the ticket".
TRAIL_LABELS = {
    "granted": N_("You granted access"),
    "replaced": N_("You changed the grant"),
    "revoked": N_("You revoked access"),
    "expired": N_("The access expired"),
    "token_issued": N_("Support signed in as you"),
    "reply_added": N_("Replied on the ticket"),
    "status_changed": N_("Changed the ticket's status"),
    "feedback_given": N_("Answered the survey"),
}
TICKET_CHANGE = N_("Changed the ticket")


@router.get("/support-access")
async def support_access_page(
    request: Request, context: PortalContext, done: Annotated[str, Query(max_length=10)] = ""
) -> Response:
    """The grant as it stands, the form to grant (or replace) it, and the trail."""
    return await _page(request, context, FormState({"hours": DEFAULT_HOURS}), NOTICES.get(done))


@router.post("/support-access", response_model=None)
async def grant(
    request: Request, context: PortalContext, hours: Annotated[str, Form(max_length=10)] = ""
) -> Response:
    """Grant for `hours` from now (1 to 168); a grant while one runs replaces it."""
    form = FormState({"hours": hours.strip()})
    form.require("hours", N_("Enter for how many hours support may act for you."))
    if form.ok and not (form.value("hours").isdigit() and 1 <= int(form.value("hours")) <= MAX_HOURS):
        form.refuse("hours", N_("Enter a whole number of hours from 1 to 168 (7 days)."))
    if not form.ok:
        return await _page(request, context, form, None, status_code=422)
    try:
        await grants.grant(context, int(form.value("hours")))
    except Problem as problem:
        return await problem_page(request, problem)
    return RedirectResponse(f"{PAGE}?done=granted", status_code=HTTP_303_SEE_OTHER)


@router.post("/support-access/revoke", response_model=None)
async def revoke(request: Request, context: PortalContext) -> Response:
    """End the grant now; support's tokens stop working as this returns."""
    try:
        await grants.revoke(context)
    except Problem as problem:
        return await problem_page(request, problem)
    return RedirectResponse(f"{PAGE}?done=revoked", status_code=HTTP_303_SEE_OTHER)


async def _page(
    request: Request, context: Context, form: FormState, notice: str | None, status_code: int = 200
) -> Response:
    values: dict[str, Any] = {
        "form": form,
        "grant": await _current(context),
        "trail": await grants.trail(context),
        "trail_labels": TRAIL_LABELS,
        "ticket_change": TICKET_CHANGE,
        "notice": notice,
        "max_hours": MAX_HOURS,
    }
    return render(request, "pages/support_access.html", values, status_code=status_code)


async def _current(context: Context) -> dict[str, Any] | None:
    """The active grant, or None (never granted, revoked or expired alike)."""
    try:
        row = await grants.current_grant(context)
    except Problem:
        return None
    return row if row["status"] == GrantStatus.ACTIVE.value else None
