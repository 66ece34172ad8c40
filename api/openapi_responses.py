"""The problem+json answers of every operation, declared in the OpenAPI document.

Why: clients (and the schemathesis run in the tests) read the document to learn what can come back.
FastAPI only declares the success answer and its own validation error (as `application/json`, in a
shape we never send), so every 401, 404, 409, 429, … would be undocumented. This adds them from what
an operation is (secured, has a path id, has a body, writes) plus a short table of route-specific
answers, all pointing at one `Problem` schema.

Use `problem_responses(409, 422)` in a route's `responses=` for anything route-specific, or call
`document_problems(app)` once after the routers are included to derive them for every route.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from api.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; some problems carry more members (errors, allowed_actions, …)",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# Answers that depend on what a route does rather than on its shape: (method, path prefix) → statuses.
ROUTE_PROBLEMS: dict[tuple[str, str], frozenset[int]] = {
    ("post", "/v1/tickets"): frozenset({409}),  # a similar ticket is open
    # the ticket's rules refuse the action now (409), or never for this caller (403: support access
    # attesting for the customer, a cc closing)
    ("post", "/v1/tickets/{ticket_id}/"): frozenset({403, 409}),
    ("post", "/v1/escalations/{escalation_id}/"): frozenset({403, 409}),
    ("put", "/v1/escalations/{escalation_id}/"): frozenset({409}),
    ("delete", "/v1/escalations/{escalation_id}/"): frozenset({409}),
    ("post", "/v1/escalations/{escalation_id}/cards"): frozenset({502}),  # JIRA answered badly
    ("post", "/v1/attachments"): frozenset({415}),
    ("post", "/v1/webhooks/jira"): frozenset({400, 401}),  # unsigned, or signed but not a JSON object
    ("get", "/v1/reports/satisfaction"): frozenset({403}),
    ("get", "/v1/users"): frozenset({403}),  # the directory is for staff
    ("get", "/v1/orgs"): frozenset({403}),
    ("get", "/v1/queues"): frozenset({403}),  # queues are for staff
    ("get", "/v1/macros"): frozenset({403}),
    ("get", "/v1/reports/sla"): frozenset({403}),
    ("post", "/v1/tickets/{ticket_id}/macros/"): frozenset({403, 404}),
    ("get", "/v1/me/support-access"): frozenset({404}),
    ("put", "/v1/me/support-access"): frozenset({403}),
    ("delete", "/v1/me/support-access"): frozenset({404}),
    ("get", "/v1/support-access"): frozenset({403}),
    ("post", "/v1/support-access/"): frozenset({403}),
    ("get", "/v1/admin/"): frozenset({403}),
    ("post", "/v1/admin/"): frozenset({403, 409}),
    ("put", "/v1/admin/"): frozenset({403, 409}),
    ("patch", "/v1/admin/"): frozenset({403}),
    ("delete", "/v1/admin/"): frozenset({403}),
    ("get", "/v1/suspended-mail"): frozenset({400, 403}),  # customers; a cursor this API did not issue
    ("get", "/v1/suspended-mail/"): frozenset({403}),
    ("post", "/v1/suspended-mail/"): frozenset({403, 409}),  # decided the other way already; closed ticket
}
NEVER_UNAVAILABLE = frozenset({"/healthz"})


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """For a route's `responses=`: each status answered with a problem+json body."""
    return {
        status: {"description": HTTPStatus(status).phrase, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}
        for status in statuses
    }


def _route_specific(method: str, path: str) -> set[int]:
    found: set[int] = set()
    for (route_method, prefix), statuses in ROUTE_PROBLEMS.items():
        if route_method == method and (path == prefix or (prefix.endswith("/") and path.startswith(prefix))):
            found |= statuses
    return found


def statuses_for(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    """What this operation can answer with a problem, from its shape and the table above."""
    params = operation.get("parameters", [])
    has_body = "requestBody" in operation
    statuses = _route_specific(method, path)
    if path not in NEVER_UNAVAILABLE:
        statuses.add(503)  # Postgres or Temporal away: retry later
    if operation.get("security"):
        statuses.add(401)
    if params or has_body:
        statuses.add(422)
    if any(p.get("name") == "cursor" and p.get("in") == "query" for p in params):
        statuses.add(400)  # a cursor this API did not issue
    if any(p.get("in") == "path" for p in params):
        statuses.add(404)
    if has_body:
        statuses |= {400, 413}
    if path.startswith("/v1/"):
        statuses.add(429)  # api/rate_limit.py: every request under /v1, by address and by principal
    return statuses


def add_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Declare the problems of every operation in an OpenAPI document (in place), replacing FastAPI's 422."""
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                declared = problem_responses(*sorted(statuses_for(method, path, operation)))
                operation["responses"].update({str(status): answer for status, answer in declared.items()})
    return document


def document_problems(app: FastAPI) -> None:
    """Wrap `app.openapi` so the served document (built once, then cached) declares the problems."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()  # FastAPI's own, cached after the first call
        if "Problem" not in document.get("components", {}).get("schemas", {}):
            add_problems(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
