"""Rendering pages: one Jinja2 environment, and `render(request, "pages/x.html", {...})` for routes.

Every template sees `visitor`, `principal` (None when signed out), `locale`, `csrf_token`, the
gettext function `_` (and `{% trans %}`), `static_url(name)` and the `localtime` filter. Responses
carry the headers every page needs: no caching of personal pages, no referrer (sign-in links carry
a token), no framing, and a CSP that allows only our own scripts and styles.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from web.i18n import LANGUAGE_NAMES, N_, translate, translate_plural
from web.links import STATIC
from web.settings import CSRF_COOKIE, SESSION_COOKIE, secure_cookies
from web.state import settings_of
from web.timefmt import time_tag
from web.visitor import Visitor

TEMPLATES = Path(__file__).with_name("templates")
HTMX = "htmx-2.0.11.min.js"  # web/static/README.md says where it comes from

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Vary": "Cookie, HX-Request",
}


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translate(context["locale"], message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translate_plural(context["locale"], singular, plural, n)


@pass_context
def _localtime(context: Context, value: Any) -> Markup:
    return time_tag(value, context["locale"])


@pass_context
def _csrf_field(context: Context) -> Markup:
    """`{{ csrf_field() }}` inside every POST form: the hidden field csrf_guard checks."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(context["csrf_token"])


def static_url(name: str) -> str:
    """Where a file of web/static/ is served."""
    return f"{STATIC}/{name}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        N_=N_, static_url=static_url, csrf_field=_csrf_field, htmx_file=HTMX, languages=LANGUAGE_NAMES
    )
    env.filters["localtime"] = _localtime
    return env


templates = _environment()


def is_htmx(request: Request) -> bool:
    """True for requests htmx makes to swap a piece of the page (not for boosted full navigation)."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    partial: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page `template`, or only `partial` when htmx asked for a piece of it.

    The route must have run the `visitor` dependency (every portal route does, through its router).
    """
    visitor: Visitor = request.state.visitor
    full = {
        "request": request,
        "visitor": visitor,
        "principal": visitor.principal,
        "locale": visitor.locale,
        "csrf_token": visitor.csrf_token,
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **(context or {}),
    }
    name = partial if partial is not None and is_htmx(request) else template
    html = templates.get_template(name).render(full)
    response = HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
    _visitor_cookies(request, visitor, response)
    return response


def _visitor_cookies(request: Request, visitor: Visitor, response: HTMLResponse) -> None:
    """Give a signed-out visitor their forms' CSRF cookie; drop a session cookie that no longer works."""
    secure = secure_cookies(settings_of(request).public_base_url)
    if visitor.new_csrf_cookie:
        response.set_cookie(
            CSRF_COOKIE, visitor.csrf_token, httponly=True, samesite="lax", secure=secure, path="/"
        )
    if visitor.stale_session:
        response.delete_cookie(SESSION_COOKIE, path="/")
