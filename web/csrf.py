"""CSRF protection of every state-changing portal request.

Signed-in forms carry their session's token (stored with the session); signed-out forms (sign-in,
language) carry the visitor's CSRF cookie value (double submit). The check runs as a dependency of
the portal router itself, so a new POST route cannot forget it. htmx requests may send the token in
an `X-CSRF-Token` header instead (base.html sets it for every htmx request).
"""

from __future__ import annotations

import secrets

from fastapi import Request

from web.errors import CsrfRefused, SignInRequired
from web.settings import SESSION_COOKIE
from web.visitor import VisitorDep

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def submitted_token(request: Request) -> str:
    """The token the request carries (header first, then the form field); empty when none."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return ""
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


async def csrf_guard(request: Request, visitor: VisitorDep) -> None:
    """Refuse (403) an unsafe request whose token is not the visitor's; safe methods pass.

    A request whose session has ended is sent to sign in instead: its token belonged to that session.
    """
    if request.method in SAFE_METHODS:
        return
    if visitor.session is None and request.cookies.get(SESSION_COOKIE):
        raise SignInRequired("")
    token = await submitted_token(request)
    if not token or not secrets.compare_digest(token.encode(), visitor.csrf_token.encode()):
        raise CsrfRefused()
