"""The error every service raises: a status, a title and field errors, in no transport's terms.

The API renders it as RFC 9457 problem+json (api/problems.py), the web pages as a page with the
form's fields marked, inbound mail as an SMTP reply; the service code stays the same for all three.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class Problem(Exception):
    """Raised by services to refuse a request; `extensions` carry details (errors, allowed_actions)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.type = type_
        self.headers = headers or {}
        self.extensions = extensions

    @property
    def field_errors(self) -> list[dict[str, Any]]:
        """The request fields at fault ({field, message}), for a form to mark them."""
        errors: list[dict[str, Any]] = self.extensions.get("errors", [])
        return errors


def not_found(what: str = "ticket") -> Problem:
    """Absent and invisible read alike, so ids never leak."""
    return Problem(404, f"{what} not found", type_="/problems/not-found")


def unavailable(dependency: str, retry_after: int = 5) -> Problem:
    return Problem(
        503,
        f"{dependency} is unavailable; the request can be retried",
        type_="/problems/unavailable",
        headers={"Retry-After": str(retry_after)},
        dependency=dependency,
    )


def forbidden(detail: str) -> Problem:
    """The caller is known but their role may not do this (visibility is 404, never this)."""
    return Problem(403, detail, type_="/problems/forbidden")
