"""The pages shown for web/errors.py's exceptions: a redirect to sign in, or a 403 page that says why."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.status import HTTP_303_SEE_OTHER

from services.problems import Problem
from web.errors import CsrfRefused, PageForbidden, SignInRequired
from web.i18n import N_, translate
from web.links import PORTAL, SIGN_IN
from web.settings import SESSION_COOKIE
from web.templating import is_htmx, render
from web.visitor import visitor

CSRF_EXPLANATION = N_(
    "The form was missing its security token, or the token belonged to another session. "
    "Nothing was changed. Go back, reload the page and try again."
)


def sign_in_redirect(request: Request, next_path: str) -> Response:
    """303 to the sign-in page (htmx: `HX-Redirect`, so the whole page changes, not a fragment)."""
    target = f"{SIGN_IN}?next={quote(next_path, safe='/')}" if next_path else SIGN_IN
    response: Response
    if is_htmx(request):
        response = Response(status_code=204, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def error_page(request: Request, status: int, title: str, explanation: str) -> Response:
    """A page in the site's layout that says what went wrong and what to do."""
    locale = (await visitor(request)).locale  # texts may hold "%": translated here, printed as they are
    context = {"title": translate(locale, title), "explanation": translate(locale, explanation)}
    return render(request, "pages/error.html", context, status_code=status)


async def problem_page(request: Request, problem: Problem) -> Response:
    """A service's refusal (services.problems.Problem: 404, 409, 503…) as a page, for routes that catch it.

    The app's own handler answers Problems as problem+json, which suits the API, not a person.
    """
    return await error_page(request, problem.status, problem.title, problem.detail)


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return sign_in_redirect(request, exc.next_path)


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    return await error_page(request, 403, N_("This form could not be accepted"), CSRF_EXPLANATION)


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageForbidden)
    return await error_page(request, 403, N_("Not available here"), exc.reason)


# Why these texts: a person reached a portal address that is not there, or typed one by hand.
NOT_FOUND_TITLE = N_("Page not found")
NOT_FOUND_EXPLANATION = N_(
    "There is no such page, or it is not yours to see. Check the address, or start from your tickets."
)
BAD_ADDRESS_EXPLANATION = N_("This address is not one the portal understands. Start from your tickets.")


def is_portal(request: Request) -> bool:
    """Requests for the people's pages (and only those) are answered with pages."""
    path = request.url.path
    return path == PORTAL or path.startswith(f"{PORTAL}/")


async def _portal_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    if exc.status == 404:
        return await error_page(request, 404, NOT_FOUND_TITLE, NOT_FOUND_EXPLANATION)
    return await problem_page(request, exc)


async def _portal_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return await error_page(request, 404, NOT_FOUND_TITLE, NOT_FOUND_EXPLANATION)
    return await error_page(
        request, exc.status_code, N_("This request could not be answered"), str(exc.detail)
    )


async def _portal_invalid(request: Request, exc: Exception) -> Response:
    """A malformed address (a ticket number that is not a number, an over-long filter)."""
    return await error_page(request, 404, NOT_FOUND_TITLE, BAD_ADDRESS_EXPLANATION)


PageHandler = Callable[[Request, Exception], Awaitable[Response]]


def _pages_first(app: FastAPI, exc_class: type[Exception], page: PageHandler) -> None:
    """Answer `exc_class` with a page under /portal, and as before (problem+json) everywhere else."""
    api_handler = app.exception_handlers.get(exc_class)

    async def dispatch(request: Request, exc: Exception) -> Response:
        if is_portal(request) or api_handler is None:
            return await page(request, exc)
        answer = api_handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(exc_class, dispatch)


def install_error_pages(app: FastAPI) -> None:
    """Register the pages' exception handlers on `app` (after the API's, which they wrap)."""
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(PageForbidden, _forbidden)
    _pages_first(app, Problem, _portal_problem)
    _pages_first(app, StarletteHTTPException, _portal_http)
    _pages_first(app, RequestValidationError, _portal_invalid)
