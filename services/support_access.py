"""Support access ("proxy login", seed 002) for a caller: grant, revoke, read the grant, mint a token.

Grants go through the user's SupportAccessWorkflow (update-with-start: the first grant starts a
run, a later one reaches the running one), which owns the expiry timer and the audit trail. Tokens
are issued against the projected grant and checked on every request at authentication.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.support_access.grant import GrantRequest, GrantStatus, SupportAccessState
from infra.settings import Settings
from services.commands import actor_of
from services.context import Context
from services.problems import Problem, not_found, unavailable
from store import support_access as store
from store.identities import Principal
from workflows.support_access import SupportAccessInput, SupportAccessWorkflow, support_access_workflow_id

NO_GRANT = "support access"


def no_active_grant() -> Problem:
    return not_found(NO_GRANT)


def update_problem(exc: WorkflowUpdateFailedError) -> Problem:
    """422 for a request the rules refuse; 404 when there is no grant to act on."""
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.type == "InvalidCommand" and cause.details:
        details = cause.details[0]
        return Problem(
            422,
            cause.message,
            type_="/problems/invalid-request",
            errors=[{"field": details["field"], "message": details["reason"]}],
        )
    if isinstance(cause, ApplicationError) and cause.type == "TransitionRejected":
        return no_active_grant()
    return Problem(500, "support access could not be changed", type_="/problems/internal")


async def _grant(client: Client, settings: Settings, principal: Principal, hours: int) -> SupportAccessState:
    operation = WithStartWorkflowOperation(
        SupportAccessWorkflow.run,
        SupportAccessInput(user_id=principal.user_id, org_id=principal.org_id),
        id=support_access_workflow_id(principal.user_id),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        static_summary=f"support access for {principal.name}"[:200],
    )
    try:
        async with asyncio.timeout(settings.api_update_timeout_seconds):
            state: SupportAccessState = await client.execute_update_with_start_workflow(
                SupportAccessWorkflow.grant,
                GrantRequest(hours=hours, actor=actor_of(principal)),
                start_workflow_operation=operation,
            )
    except WorkflowUpdateFailedError as exc:
        raise update_problem(exc) from exc
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as exc:
        raise unavailable("temporal", retry_after=2) from exc
    return state


async def _revoke(client: Client, settings: Settings, principal: Principal) -> None:
    handle = client.get_workflow_handle_for(
        SupportAccessWorkflow.run, support_access_workflow_id(principal.user_id)
    )
    try:
        async with asyncio.timeout(settings.api_update_timeout_seconds):
            await handle.execute_update(SupportAccessWorkflow.revoke, actor_of(principal))
    except WorkflowUpdateFailedError as exc:
        raise update_problem(exc) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # the run has already ended (expired meanwhile)
            raise no_active_grant() from exc
        raise unavailable("temporal", retry_after=2) from exc
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        raise unavailable("temporal", retry_after=2) from exc


def refuse_proxy(principal: Principal) -> None:
    """An agent acting through a grant must not lengthen it: only the user decides."""
    if principal.acting_agent_id:
        raise Problem(
            403,
            "support access is granted by the user themselves, not through it",
            type_="/problems/forbidden",
        )


async def grant(context: Context, hours: int) -> SupportAccessState:
    """Let staff act as the caller for `hours` from now (a grant while one is active replaces it)."""
    refuse_proxy(context.principal)
    return await _grant(await context.client(), context.settings, context.principal, hours)


async def current_grant(context: Context) -> dict[str, Any]:
    """The caller's own grant row (active or not); 404 when they never granted access."""
    async with context.engine.connect() as conn:
        row = await store.get_grant(conn, context.principal.user_id)
    if row is None:
        raise no_active_grant()
    return row


async def revoke(context: Context) -> None:
    """End the caller's grant; tokens issued under it are refused as soon as this returns."""
    row = await current_grant(context)
    if row["status"] != GrantStatus.ACTIVE.value:
        raise no_active_grant()
    await _revoke(await context.client(), context.settings, context.principal)


async def trail(context: Context, limit: int = 50) -> list[dict[str, Any]]:
    """What support did with the caller's access (and the grant's own history), newest first."""
    async with context.engine.connect() as conn:
        return await store.audit_trail(conn, context.principal.user_id, limit)
