"""Macros: admins define them; agents apply one to a ticket (one update) or preview it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import require_roles
from api.context import ContextDep
from api.headers import IdempotencyKey
from api.pagination import Cursor, Limit
from api.schemas.macros import MacroIn, MacroOut, MacroPreviewOut
from api.schemas.pages import Page
from api.schemas.tickets import TicketOut
from api.ticket_views import ticket_answer
from domain.actors import STAFF_ROLES, Role
from domain.ticket.macros import MacroActions
from services import macros
from services.pagination import page_of_listed

router = APIRouter(prefix="/v1/tickets", tags=["tickets"])
admin_router = APIRouter(prefix="/v1/admin/macros", tags=["admin"], dependencies=[require_roles(Role.ADMIN)])
staff_router = APIRouter(prefix="/v1/macros", tags=["macros"], dependencies=[require_roles(*STAFF_ROLES)])


@router.post("/{ticket_id}/macros/{macro_id}", response_model=TicketOut, summary="Apply a macro (agents)")
async def apply_macro(
    ticket_id: int, macro_id: str, context: ContextDep, idempotency_key: IdempotencyKey = None
) -> TicketOut:
    """Reply and actions in one update with one `macro_applied` entry; a step the ticket's state
    refuses refuses the whole macro (409 with the allowed actions) and nothing changes."""
    snapshot = await macros.apply(context, ticket_id, macro_id, idempotency_key)
    return await ticket_answer(context, snapshot)


@router.post(
    "/{ticket_id}/macros/{macro_id}/preview", response_model=MacroPreviewOut, summary="Preview a macro"
)
async def preview_macro(ticket_id: int, macro_id: str, context: ContextDep) -> MacroPreviewOut:
    """The rendered reply and the changes applying it now would make; nothing is applied."""
    return MacroPreviewOut.model_validate(await macros.preview(context, ticket_id, macro_id))


class MacroPage(Page[MacroOut]):
    """Macros, in the order admins defined them."""


@staff_router.get("", response_model=MacroPage, summary="Macros (for a group: its own and the global)")
async def list_for_staff(
    context: ContextDep,
    group: Annotated[str | None, Query(max_length=36)] = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> MacroPage:
    page = page_of_listed(await macros.list_macros(context, group), limit, cursor)
    return MacroPage(items=[MacroOut.model_validate(m) for m in page.items], next_cursor=page.next_cursor)


@admin_router.post("", status_code=201, response_model=MacroOut, summary="Define a macro")
async def create_macro(body: MacroIn, context: ContextDep) -> MacroOut:
    """422 with the field for an unknown placeholder, group, user or a malformed tag."""
    actions = MacroActions(**body.actions.model_dump())
    macro = await macros.define(context, body.name, body.group_id, body.reply, body.internal, actions)
    return MacroOut.model_validate(macro)


@admin_router.get("", response_model=MacroPage, summary="List macros")
async def list_macros(context: ContextDep, limit: Limit = 25, cursor: Cursor = None) -> MacroPage:
    page = page_of_listed(await macros.list_macros(context), limit, cursor)
    return MacroPage(items=[MacroOut.model_validate(m) for m in page.items], next_cursor=page.next_cursor)


@admin_router.delete("/{macro_id}", status_code=204, summary="Delete a macro")
async def delete_macro(macro_id: str, context: ContextDep) -> Response:
    await macros.delete(context, macro_id)
    return Response(status_code=204)
