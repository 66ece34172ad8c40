"""The one command path: every change to a ticket or an escalation, from any transport, goes here.

`act` checks that the caller sees the entity (404 otherwise), refuses a read-only (closed) ticket
with 409 (but for the satisfaction answer, which a closed ticket's workflow takes for a while),
sends the workflow update with the command's idempotency key and the caller as actor, maps
refusals (409 with the allowed actions, 422 with the field, 503 on timeout) and returns the
entity's snapshot as the workflow left it (projection included, so a read right after sees it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.actors import Actor
from domain.ticket.snapshot import json_ready, snapshot_from_wire
from domain.ticket.state import TicketStatus
from services.context import Context
from services.problems import Problem, not_found
from services.workflow_updates import send_workflow_update, update_name
from store.escalation_queries import get_escalation
from store.identities import Principal
from store.scope import Scope
from store.ticket_queries import get_ticket_row
from workflows.escalation_input import escalation_workflow_id
from workflows.ticket_input import ticket_workflow_id

MAX_TICKET_ID = 2**62
# Ticket updates a closed ticket may still receive (seed 002: "Deixar feedback" after the close).
OPEN_AFTER_CLOSE = frozenset({"feedback"})


class Entity(Protocol):
    """A workflow-backed thing a command is sent to."""

    @property
    def what(self) -> str: ...

    @property
    def workflow_id(self) -> str: ...

    async def read(self, conn: AsyncConnection, scope: Scope) -> dict[str, Any] | None: ...

    def read_only(self, snapshot: dict[str, Any], update: Any) -> bool: ...

    def wire_update(self, update: Any) -> Any: ...

    def decode(self, state: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TicketRef:
    """A ticket by number; its updates go by name so the result stays the payload's JSON (cheaper)."""

    id: int
    what: ClassVar[str] = "ticket"

    @property
    def workflow_id(self) -> str:
        return ticket_workflow_id(self.id)

    async def read(self, conn: AsyncConnection, scope: Scope) -> dict[str, Any] | None:
        if not 1 <= self.id <= MAX_TICKET_ID:
            return None
        structlog.contextvars.bind_contextvars(ticket_id=self.id, workflow_id=self.workflow_id)
        return await get_ticket_row(conn, scope, self.id)

    def read_only(self, snapshot: dict[str, Any], update: Any) -> bool:
        """Closed is read-only, but for `feedback`: the workflow decides whether its window is open."""
        closed = snapshot["status"] == TicketStatus.CLOSED.value
        return closed and update_name(update) not in OPEN_AFTER_CLOSE

    def wire_update(self, update: Any) -> Any:
        return update_name(update)

    def decode(self, state: Any) -> dict[str, Any]:
        return snapshot_from_wire(state)


@dataclass(frozen=True)
class EscalationRef:
    """An escalation by id (`CP-12`); visible to whoever sees its ticket."""

    id: str
    what: ClassVar[str] = "escalation"

    @property
    def workflow_id(self) -> str:
        return escalation_workflow_id(self.id)

    async def read(self, conn: AsyncConnection, scope: Scope) -> dict[str, Any] | None:
        return await get_escalation(conn, scope, self.id)

    def read_only(self, snapshot: dict[str, Any], update: Any) -> bool:
        return False  # a finished escalation's workflow answers NOT_FOUND, mapped to 409 below

    def wire_update(self, update: Any) -> Any:
        return update

    def decode(self, state: Any) -> dict[str, Any]:
        decoded: dict[str, Any] = json_ready(state)
        return decoded


async def visible(context: Context, entity: Entity) -> dict[str, Any]:
    """The entity's snapshot if the caller sees it; 404 alike for absent and invisible."""
    async with context.engine.connect() as conn:
        snapshot = await entity.read(conn, context.scope)
    if snapshot is None:
        raise not_found(entity.what)
    return snapshot


async def act(context: Context, entity: Entity, update: Any, command: Any) -> dict[str, Any]:
    """Send `command` to the entity's workflow `update` on behalf of the caller; the new snapshot."""
    snapshot = await visible(context, entity)
    if entity.read_only(snapshot, update):
        raise closed_problem(entity.what)
    return await send(context, entity, update, command)


async def send(context: Context, entity: Entity, update: Any, command: Any) -> dict[str, Any]:
    """The update alone, for a caller that has just checked visibility itself (no second read)."""
    state = await send_workflow_update(
        await context.client(),
        entity.workflow_id,
        entity.wire_update(update),
        command,
        context.settings.api_update_timeout_seconds,
        getattr(command, "request_id", None),
        entity.what,
    )
    return entity.decode(state)


def closed_problem(what: str = "ticket") -> Problem:
    return Problem(
        409,
        f"the {what} is closed and read-only; open a follow-up ticket instead",
        type_="/problems/transition-rejected",
        current_status="closed",
        allowed_actions=[],
    )


def actor_of(principal: Principal) -> Actor:
    """Who acts; with a support-access token, the user's identity plus the agent acting for them."""
    if principal.acting_agent_id:
        name = f"{principal.acting_agent_name or principal.acting_agent_id} on behalf of {principal.name}"
        return Actor(principal.user_id, principal.role, name, on_behalf_of=principal.acting_agent_id)
    return Actor(user_id=principal.user_id, role=principal.role, name=principal.name)


def request_key(principal: Principal, key: str | None) -> str | None:
    """A client's Idempotency-Key, per caller, as the workflow update id (a retry repeats nothing)."""
    return f"{principal.user_id}:{key}" if key else None
