"""Ticket action routes from a table: one entry (path, update, command class, body schema) per action.

Why: each action's route was the same dozen lines (read the body, build the command with the actor
and the idempotency key, send it, render the snapshot). With the table, adding an action touches
the command, its transition rule, the workflow update and one entry here, nothing else.
The body's fields are the command's fields by name; the actor and request id are added.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.context import ContextDep
from api.headers import IdempotencyKey
from api.schemas.tickets import TicketOut
from api.ticket_views import ticket_answer
from services.commands import TicketRef, act, actor_of, request_key
from services.context import Context

# A service-level check before the command is sent; it may return fields the command gets besides
# the body's (e.g. the group a transfer resolves to).
Check = Callable[[Context, int, Any], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class TicketAction:
    """One `POST /v1/tickets/{ticket_id}/<path>` route."""

    name: str  # the route's (and operationId's) name
    path: str
    update: Callable[..., Any]  # the TicketWorkflow update
    command: type  # domain/ticket/commands.py: (actor, <body fields>, request_id)
    summary: str
    body: type[BaseModel] | None = None
    body_required: bool = False
    description: str | None = None
    check: Check | None = None  # a service-level check before the command is sent


def add_action_routes(router: APIRouter, actions: list[TicketAction]) -> None:
    for action in actions:
        router.add_api_route(
            f"/{{ticket_id}}/{action.path}",
            _endpoint(action),
            methods=["POST"],
            response_model=TicketOut,
            summary=action.summary,
            description=action.description or "",
            name=action.name,
        )


def _endpoint(action: TicketAction) -> Callable[..., Awaitable[TicketOut]]:
    async def endpoint(
        ticket_id: int, context: Any, idempotency_key: str | None = None, body: BaseModel | None = None
    ) -> TicketOut:
        fields = {name: getattr(body, name) for name in type(body).model_fields} if body else {}
        if action.check is not None:
            fields.update(await action.check(context, ticket_id, body) or {})
        principal = context.principal
        command = action.command(
            actor=actor_of(principal), request_id=request_key(principal, idempotency_key), **fields
        )
        snapshot = await act(context, TicketRef(ticket_id), action.update, command)
        return await ticket_answer(context, snapshot)

    endpoint.__name__ = action.name
    endpoint.__signature__ = _signature(action)  # type: ignore[attr-defined]
    return endpoint


def _signature(action: TicketAction) -> inspect.Signature:
    """What FastAPI reads to build the route: the path id, the body (if any), the caller, the key."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("ticket_id", keyword, annotation=int)]
    if action.body is not None and action.body_required:
        params.append(inspect.Parameter("body", keyword, annotation=action.body))
    params.append(inspect.Parameter("context", keyword, annotation=ContextDep))
    if action.body is not None and not action.body_required:
        params.append(inspect.Parameter("body", keyword, annotation=action.body | None, default=None))
    params.append(inspect.Parameter("idempotency_key", keyword, annotation=IdempotencyKey, default=None))
    return inspect.Signature(params, return_annotation=TicketOut)
