"""The language switch on every page: kept in the session when signed in, in a cookie otherwise."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.status import HTTP_303_SEE_OTHER

from store.web_sessions import set_session_locale
from web.i18n import EN, supported_locale
from web.links import local_path
from web.settings import LOCALE_COOKIE, secure_cookies
from web.state import engine_of, settings_of
from web.visitor import VisitorDep

router = APIRouter()

ONE_YEAR = 365 * 86_400


@router.post("/language")
async def switch_language(
    request: Request,
    visitor: VisitorDep,
    locale: Annotated[str, Form(max_length=16)] = EN,
    next: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    """Remember the chosen language and go back to the page the switch was on."""
    chosen = supported_locale(locale) or EN
    response = RedirectResponse(local_path(next), status_code=HTTP_303_SEE_OTHER)
    if visitor.session_id:
        async with engine_of(request).begin() as conn:
            await set_session_locale(conn, visitor.session_id, chosen)
    else:
        response.set_cookie(
            LOCALE_COOKIE,
            chosen,
            max_age=ONE_YEAR,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(settings_of(request).public_base_url),
            path="/",
        )
    return response
