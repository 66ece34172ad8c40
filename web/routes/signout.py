"""Sign-out: the session's row is deleted, so the cookie (and any copy of it) stops working at once."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.status import HTTP_303_SEE_OTHER

from store.web_sessions import end_session
from web.auth import SignedIn
from web.links import SIGN_IN
from web.settings import SESSION_COOKIE
from web.state import engine_of
from web.visitor import VisitorDep

router = APIRouter()


@router.post("/sign-out")
async def sign_out(request: Request, principal: SignedIn, visitor: VisitorDep) -> RedirectResponse:
    """End the session and go to the sign-in page, which says the person has signed out."""
    if visitor.session_id:
        async with engine_of(request).begin() as conn:
            await end_session(conn, visitor.session_id)
    response = RedirectResponse(f"{SIGN_IN}?signed_out=true", status_code=HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
