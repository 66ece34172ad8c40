"""Support access endpoints: a user grants and revokes; staff list grants and obtain tokens.

Grants go through the user's SupportAccessWorkflow (update-with-start: the first grant starts a
run, a later one reaches the running one), which owns the expiry timer and the audit trail. Tokens
are issued here, against the projected grant, and checked on every request by `api.auth`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.auth import CurrentUser, require_roles
from api.deps import EngineDep, SettingsDep, TemporalDep
from api.schemas.support_access import ActiveGrantList, ActiveGrantOut, GrantIn, GrantOut, TokenOut
from domain.actors import Role
from domain.support_access.grant import GrantRequest, GrantStatus, SupportAccessState
from infra.settings import Settings
from services.commands import actor_of
from services.problems import Problem, not_found, unavailable
from store import support_access as store
from store.identities import Principal
from workflows.support_access import SupportAccessInput, SupportAccessWorkflow, support_access_workflow_id

router = APIRouter(tags=["support access"])

Granting = Annotated[Principal, require_roles(Role.CUSTOMER, Role.ORG_ADMIN)]
Minting = Annotated[Principal, require_roles(Role.AGENT, Role.ADMIN)]
Staff = Annotated[Principal, require_roles(Role.AGENT, Role.ENGINEER, Role.ADMIN)]
NO_GRANT = "support access"


def no_active_grant() -> Problem:
    return not_found(NO_GRANT)


def grant_out(state: SupportAccessState) -> GrantOut:
    return GrantOut(
        user_id=state.user_id,
        status=state.status.value,
        granted_at=state.granted_at,
        expires_at=state.expires_at,
        revoked_at=state.revoked_at,
    )


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


@router.put("/v1/me/support-access", response_model=GrantOut, summary="Grant support staff access to me")
async def grant(body: GrantIn, principal: Granting, settings: SettingsDep, client: TemporalDep) -> GrantOut:
    """Staff may act as you for `hours` (1 to 168) from now; a grant while one is active replaces it."""
    refuse_proxy(principal)
    return grant_out(await _grant(client, settings, principal, body.hours))


@router.get("/v1/me/support-access", response_model=GrantOut, summary="My support-access grant")
async def my_grant(principal: CurrentUser, engine: EngineDep) -> GrantOut:
    async with engine.connect() as conn:
        row = await store.get_grant(conn, principal.user_id)
    if row is None:
        raise no_active_grant()
    return GrantOut.model_validate(row)


@router.delete("/v1/me/support-access", status_code=204, summary="Revoke support staff access to me")
async def revoke(
    principal: CurrentUser, engine: EngineDep, settings: SettingsDep, client: TemporalDep
) -> Response:
    """Tokens issued under the grant are refused as soon as this answers."""
    async with engine.connect() as conn:
        row = await store.get_grant(conn, principal.user_id)
    if row is None or row["status"] != GrantStatus.ACTIVE.value:
        raise no_active_grant()
    await _revoke(client, settings, principal)
    return Response(status_code=204)


@router.post(
    "/v1/support-access/{user_id}/tokens",
    status_code=201,
    response_model=TokenOut,
    summary="Obtain a token to act as a user who granted access (agents, admins)",
)
async def issue_token(
    user_id: Annotated[str, Path(max_length=36)], principal: Minting, engine: EngineDep, response: Response
) -> TokenOut:
    """404 alike for an unknown user and for one without a valid grant: ids must not leak."""
    async with engine.begin() as conn:
        issued = await store.issue_token(conn, user_id, principal.user_id)
    if issued is None:
        raise no_active_grant()
    response.headers["Cache-Control"] = "no-store"
    return TokenOut(token=issued.token, expires_at=issued.expires_at, user_id=issued.user_id)


@router.get("/v1/support-access", response_model=ActiveGrantList, summary="Valid grants (staff)")
async def active_grants(
    principal: Staff, engine: EngineDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> ActiveGrantList:
    async with engine.connect() as conn:
        rows = await store.list_active_grants(conn, limit)
    return ActiveGrantList(items=[ActiveGrantOut.model_validate(r) for r in rows])
