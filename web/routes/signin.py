"""Sign-in by e-mail link: ask for a link, open it, confirm, get a session cookie.

The link opens a confirmation page and only its POST spends the token: a GET never changes state,
and mail scanners that follow links must not use up the single use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.status import HTTP_303_SEE_OTHER

from store.signin_tokens import consume_signin_token
from store.web_sessions import create_session, end_session
from web.forms import EMAIL, FormState
from web.i18n import N_
from web.links import PORTAL, local_path
from web.settings import SESSION_COOKIE, secure_cookies
from web.signin_mail import SigninMailer
from web.state import engine_of, mail_settings_of, settings_of, web_settings_of
from web.templating import render
from web.visitor import VisitorDep

router = APIRouter()

MAX_EMAIL = 320
MAX_TOKEN = 100


@router.get("/sign-in", response_model=None)
async def sign_in_page(
    request: Request,
    visitor: VisitorDep,
    next: Annotated[str, Query(max_length=500)] = "",
    signed_out: Annotated[bool, Query()] = False,
) -> Response:
    """The e-mail form; someone already signed in goes straight on."""
    if visitor.principal is not None:
        return RedirectResponse(local_path(next), status_code=HTTP_303_SEE_OTHER)
    context = {"form": FormState(values={"email": ""}), "next": local_path(next), "signed_out": signed_out}
    return render(request, "pages/sign_in.html", context)


@router.post("/sign-in")
async def send_sign_in_link(
    request: Request,
    tasks: BackgroundTasks,
    email: Annotated[str, Form(max_length=MAX_EMAIL)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """The same answer whether or not the address is registered; the mail is sent after the response."""
    form = FormState(values={"email": email.strip()})
    form.require("email", N_("Enter your e-mail address."))
    if form.ok and not EMAIL.match(form.value("email")):
        form.refuse("email", N_("Enter an e-mail address like name@example.com."))
    if not form.ok:
        context = {"form": form, "next": local_path(next), "signed_out": False}
        return render(request, "pages/sign_in.html", context, status_code=422)
    tasks.add_task(_mailer(request).send_link, form.value("email"))
    context = {"email": form.value("email"), "minutes": web_settings_of(request).signin_link_minutes}
    return render(request, "pages/sign_in_sent.html", context)


@router.get("/sign-in/confirm")
async def confirm_page(
    request: Request, token: Annotated[str, Query(max_length=MAX_TOKEN)] = ""
) -> HTMLResponse:
    """The page behind the e-mailed link: one button that signs in (the token is spent only then)."""
    return render(request, "pages/sign_in_confirm.html", {"token": token})


@router.post("/sign-in/confirm", response_model=None)
async def sign_in(
    request: Request, visitor: VisitorDep, token: Annotated[str, Form(max_length=MAX_TOKEN)] = ""
) -> Response:
    """Spend the token and start a session; an unknown, used or expired token gets a page that says so."""
    now = datetime.now(UTC)
    web = web_settings_of(request)
    async with engine_of(request).begin() as conn:
        user_id = await consume_signin_token(conn, token, now) if token else None
        if user_id is None:
            return render(request, "pages/sign_in_refused.html", status_code=400)
        if visitor.session_id:
            await end_session(conn, visitor.session_id)  # a new identity never inherits an old session
        session_id = await create_session(conn, user_id, now, web.session_lifetime)
    response = RedirectResponse(PORTAL, status_code=HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(web.session_lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings_of(request).public_base_url),
        path="/",
    )
    return response


def _mailer(request: Request) -> SigninMailer:
    return SigninMailer(
        engine=engine_of(request),
        mail=mail_settings_of(request),
        web=web_settings_of(request),
        public_base_url=settings_of(request).public_base_url,
    )
