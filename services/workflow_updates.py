"""Sending an update to an entity's workflow, with a deadline, and mapping refusals to Problems.

409 with the allowed actions when the state forbids the command, 422 with the field when the
command makes no sense, 503 when Temporal does not answer in time (the update, once accepted, is
in history: a retry with the same update id finds it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from infra.log import get_logger
from services.problems import Problem, forbidden, unavailable

log = get_logger(__name__)


def refusal_problem(exc: WorkflowUpdateFailedError) -> Problem:
    """409 when the ticket's state forbids the action, 403 when the caller may never take it (support
    access attesting for the customer), 422 when the request makes no sense for it."""
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.details:
        details = cause.details[0]
        if cause.type == "TransitionRejected":
            return Problem(
                409,
                f"{cause.message}; allowed now: {', '.join(details['allowed']) or 'nothing'}",
                type_="/problems/transition-rejected",
                current_status=details["status"],
                allowed_actions=details["allowed"],
            )
        if cause.type == "ActionForbidden":
            return forbidden(cause.message)
        if cause.type == "InvalidCommand":
            return Problem(
                422,
                cause.message,
                type_="/problems/invalid-request",
                errors=[{"field": details["field"], "message": details["reason"]}],
            )
    log.error("ticket update failed unexpectedly", error=str(exc))
    return Problem(500, "the ticket could not be updated", type_="/problems/internal")


def update_name(update: Callable[..., Any] | str) -> str:
    """The name Temporal knows an update by: our updates are registered under their method's name."""
    return update if isinstance(update, str) else update.__name__


async def send_workflow_update(
    client: Client,
    workflow_id: str,
    update: Any,
    command: Any,
    deadline_seconds: float,
    update_id: str | None = None,
    what: str = "ticket",
) -> Any:
    """Run the update with a deadline; the change is in history once accepted, so a 503 loses nothing."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        async with asyncio.timeout(deadline_seconds):
            args = [] if command is None else [command]
            return await handle.execute_update(update, args=args, id=update_id)
    except WorkflowUpdateFailedError as exc:
        raise refusal_problem(exc) from exc
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        raise unavailable("temporal", retry_after=2) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Problem(
                409,
                f"the {what} is finished and read-only",
                type_="/problems/transition-rejected",
                current_status="closed",
                allowed_actions=[],
            ) from exc
        raise unavailable("temporal") from exc


async def send_workflow_query(
    client: Client, workflow_id: str, query: Callable[..., Any] | str, argument: Any, deadline_seconds: float
) -> Any:
    """A query's answer as plain JSON (a preview: nothing changes); 503 when Temporal does not answer."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        async with asyncio.timeout(deadline_seconds):
            return await handle.query(update_name(query), argument)
    except (TimeoutError, RPCError, WorkflowQueryFailedError) as exc:
        log.error("workflow query failed", error=str(exc))
        raise unavailable("temporal", retry_after=2) from exc
