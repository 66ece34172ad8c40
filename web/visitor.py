"""Who is looking at a page: their session (if signed in), their language and their forms' CSRF token.

Computed once per request by the `visitor` dependency (every portal route has it), kept on
`request.state.visitor` for `render` and the error pages.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from store.identities import Principal
from store.web_sessions import WebSession, live_session
from web.i18n import EN, from_accept_language, supported_locale
from web.settings import CSRF_COOKIE, LOCALE_COOKIE, SESSION_COOKIE
from web.state import engine_of, web_settings_of


@dataclass
class Visitor:
    """The page's reader. `new_csrf_cookie` / `stale_session` tell `render` which cookies to (re)set."""

    session: WebSession | None
    session_id: str | None
    locale: str
    csrf_token: str
    new_csrf_cookie: bool = False
    stale_session: bool = False

    @property
    def principal(self) -> Principal | None:
        return self.session.principal if self.session else None


def choose_locale(request: Request, session: WebSession | None) -> str:
    """The switch's choice, else the user's own locale, else the browser's language, else English."""
    if session is not None:
        return supported_locale(session.locale) or supported_locale(session.principal.locale) or EN
    return (
        supported_locale(request.cookies.get(LOCALE_COOKIE))
        or from_accept_language(request.headers.get("accept-language"))
        or EN
    )


async def _session(request: Request, session_id: str | None) -> WebSession | None:
    if not session_id:
        return None
    idle = web_settings_of(request).session_idle
    async with engine_of(request).begin() as conn:
        return await live_session(conn, session_id, datetime.now(UTC), idle)


async def visitor(request: Request) -> Visitor:
    """The request's `Visitor` (signed in or not); never raises for a missing or expired session."""
    known: Visitor | None = getattr(request.state, "visitor", None)
    if known is not None:
        return known
    session_id = request.cookies.get(SESSION_COOKIE)
    session = await _session(request, session_id)
    anonymous_csrf = request.cookies.get(CSRF_COOKIE)
    found = Visitor(
        session=session,
        session_id=session_id if session else None,
        locale=choose_locale(request, session),
        csrf_token=session.csrf_token if session else (anonymous_csrf or secrets.token_urlsafe(32)),
        new_csrf_cookie=session is None and not anonymous_csrf,
        stale_session=bool(session_id) and session is None,
    )
    request.state.visitor = found
    return found


VisitorDep = Annotated[Visitor, Depends(visitor)]
