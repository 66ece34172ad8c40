"""Macros: admins define them (checked then: placeholders, groups, users, tags); agents apply one to a
ticket in a single workflow update, or preview what it would do.

The reply is rendered here (the values live in Postgres: the requester's name, the group's name) and
the workflow decides the rest with the ticket's ordinary rules, so a macro can do nothing an agent
could not do by hand, and a refused step refuses the whole macro.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import InvalidCommand
from domain.placeholders import render
from domain.ticket.commands import ApplyMacro
from domain.ticket.macros import ME, MacroActions, check_macro
from domain.ticket.state import Tier
from domain.ticket.transitions import RULES
from services.commands import TicketRef, act, actor_of, closed_problem, request_key, visible
from services.context import Context
from services.problems import Problem, forbidden, not_found
from services.queues import check_staff_user, existing_group
from services.workflow_updates import send_workflow_query
from store import groups as group_store
from store import identities
from store import macros as macro_store
from workflows.ticket import TicketWorkflow


def invalid(exc: InvalidCommand) -> Problem:
    return Problem(422, str(exc), errors=[{"field": exc.field, "message": exc.reason}])


async def define(
    context: Context,
    name: str,
    group_id: str | None,
    reply: str | None,
    internal: bool,
    actions: MacroActions,
) -> dict[str, Any]:
    """A new macro, refused with the field at fault when it could never be applied as written."""
    try:
        actions = check_macro(reply, internal, actions)
    except InvalidCommand as exc:
        raise invalid(exc) from None
    try:
        async with context.engine.begin() as conn:
            await _check_references(conn, context, group_id, actions)
            return await macro_store.create_macro(conn, name, group_id, reply, internal, asdict(actions))
    except IntegrityError as exc:
        raise Problem(409, f"a macro named {name!r} exists", type_="/problems/conflict") from exc


async def _check_references(
    conn: AsyncConnection, context: Context, group_id: str | None, actions: MacroActions
) -> None:
    if group_id is not None:
        await existing_group(conn, group_id, "group_id")
    if actions.group_id is not None:
        await existing_group(conn, actions.group_id, "actions.group_id")
    if actions.assignee_id is not None and actions.assignee_id != ME:
        await check_staff_user(conn, context, actions.assignee_id, "actions.assignee_id")


async def list_macros(context: Context, group_id: str | None = None) -> list[dict[str, Any]]:
    async with context.engine.connect() as conn:
        return await macro_store.list_macros(conn, group_id)


async def delete(context: Context, macro_id: str) -> None:
    async with context.engine.begin() as conn:
        if not await macro_store.delete_macro(conn, macro_id):
            raise not_found("macro")


async def apply(
    context: Context, ticket_id: int, macro_id: str, idempotency_key: str | None = None
) -> dict[str, Any]:
    """The ticket's snapshot after the macro: its reply, its actions and one `macro_applied` entry."""
    command = await _command(context, ticket_id, macro_id, idempotency_key)
    return await act(context, TicketRef(ticket_id), TicketWorkflow.apply_macro, command)


async def preview(context: Context, ticket_id: int, macro_id: str) -> dict[str, Any]:
    """The rendered reply and the events the macro would record now; a refusal reads as on apply."""
    command = await _command(context, ticket_id, macro_id, None)
    client = await context.client()
    answer = await send_workflow_query(
        client,
        TicketRef(ticket_id).workflow_id,
        TicketWorkflow.preview_macro,
        command,
        context.settings.api_update_timeout_seconds,
    )
    refusal = answer.get("refusal")
    if refusal:
        raise _refused(refusal)
    return {
        "macro_id": command.macro_id,
        "name": command.name,
        "reply": command.reply,
        "changes": answer["changes"],
    }


def _refused(refusal: dict[str, Any]) -> Problem:
    if refusal["type"] == "TransitionRejected":
        allowed = refusal["allowed"]
        return Problem(
            409,
            f"{refusal['reason']}; allowed now: {', '.join(allowed) or 'nothing'}",
            type_="/problems/transition-rejected",
            current_status=refusal["status"],
            allowed_actions=allowed,
        )
    return Problem(
        422,
        f"{refusal['field']}: {refusal['reason']}",
        type_="/problems/invalid-request",
        errors=[{"field": refusal["field"], "message": refusal["reason"]}],
    )


async def _command(
    context: Context, ticket_id: int, macro_id: str, idempotency_key: str | None
) -> ApplyMacro:
    if context.principal.role not in RULES["macro"].roles:  # before any look-up: no macro id probing
        raise forbidden(f"a {context.principal.role} cannot apply macros")
    snapshot = await visible(context, TicketRef(ticket_id))
    if TicketRef(ticket_id).read_only(snapshot, "apply_macro"):
        raise closed_problem()
    async with context.engine.connect() as conn:
        macro = await macro_store.get_macro(conn, macro_id)
        if macro is None:
            raise not_found("macro")
        actions = MacroActions(**macro["actions"])
        target = await group_store.get_group(conn, actions.group_id) if actions.group_id else None
        reply = await _rendered(conn, context, snapshot, macro["reply"])
    return ApplyMacro(
        actor=actor_of(context.principal),
        macro_id=macro["id"],
        name=macro["name"],
        reply=reply,
        internal=macro["internal"],
        actions=actions,
        group_tier=Tier(target["tier"]) if target else None,
        request_id=request_key(context.principal, idempotency_key),
    )


async def _rendered(
    conn: AsyncConnection, context: Context, snapshot: dict[str, Any], reply: str | None
) -> str | None:
    if not reply:
        return None
    try:
        return render(reply, await _values(conn, context, snapshot))
    except InvalidCommand as exc:
        raise invalid(exc) from None


async def _values(conn: AsyncConnection, context: Context, snapshot: dict[str, Any]) -> dict[str, str]:
    """What the placeholders stand for on this ticket, for this agent."""
    requester = await identities.get_user(conn, context.scope, snapshot["requester_id"]) or {}
    group = await group_store.get_group(conn, snapshot["group_id"]) if snapshot.get("group_id") else None
    agent = context.principal
    return {
        "requester.name": str(requester.get("name", "")),
        "requester.email": str(requester.get("email", "")),
        "ticket.id": str(snapshot["id"]),
        "ticket.subject": str(snapshot["subject"]),
        "ticket.status": str(snapshot["status"]),
        "ticket.severity": str(snapshot["severity"]),
        "ticket.product": str(snapshot.get("product") or ""),
        "agent.name": agent.name,
        "agent.email": agent.email,
        "group.name": str(group["name"]) if group else "",
    }
