"""Jira's error body, `ErrorCollection`: {"errorMessages": [...], "errors": {field: message}}."""

from __future__ import annotations

from typing import Any


class JiraHTTPError(Exception):
    """Raised by the store and handlers; rendered as Jira renders errors."""

    def __init__(
        self,
        status: int,
        messages: list[str] | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, messages, errors)
        self.status = status
        self.messages = messages or []
        self.errors = errors or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}


def not_found_issue() -> JiraHTTPError:
    return JiraHTTPError(404, ["Issue does not exist or you do not have permission to see it."])


def bad_request(field: str, message: str) -> JiraHTTPError:
    return JiraHTTPError(400, [], {field: message})
