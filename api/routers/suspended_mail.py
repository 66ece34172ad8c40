"""The suspended-mail queue for support staff: list, read, accept or reject held inbound mail.

Customers get 403 (the queue is staff's, whichever organisation a message claims); staff read it,
agents and admins decide. Accept and reject are idempotent: a repeat answers with the same row.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.auth import require_roles
from api.context import ContextDep
from api.schemas.suspended_mail import Status, SuspendedMailDetailOut, SuspendedMailOut, SuspendedMailPage
from domain.actors import STAFF_ROLES
from services import suspended_mail
from services.suspended_mail import DECIDERS

router = APIRouter(
    prefix="/v1/suspended-mail", tags=["suspended mail"], dependencies=[require_roles(*STAFF_ROLES)]
)


@router.get("", response_model=SuspendedMailPage, summary="Held inbound mail, newest first")
async def list_suspended(
    context: ContextDep,
    status: Status = "waiting",
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> SuspendedMailPage:
    page = await suspended_mail.list_suspended(context, status, cursor, limit)
    return SuspendedMailPage(
        items=[SuspendedMailOut.model_validate(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.get("/{mail_id}", response_model=SuspendedMailDetailOut, summary="One held message in full")
async def get_suspended(mail_id: str, context: ContextDep) -> SuspendedMailDetailOut:
    return _detail(await suspended_mail.get_suspended(context, mail_id))


@router.post(
    "/{mail_id}/accept",
    response_model=SuspendedMailOut,
    summary="Accept: the sender's reply or new ticket",
    dependencies=[require_roles(*DECIDERS)],
)
async def accept(mail_id: str, context: ContextDep) -> SuspendedMailOut:
    """As the sender's user, through the inbound path (a closed ticket gets a follow-up); 422 when the
    sender is not a customer or the ticket refuses the message; 409 once rejected; accepting again
    answers the same."""
    return SuspendedMailOut.model_validate(await suspended_mail.accept(context, mail_id))


@router.post(
    "/{mail_id}/reject",
    response_model=SuspendedMailOut,
    summary="Reject: drop it for good",
    dependencies=[require_roles(*DECIDERS)],
)
async def reject(mail_id: str, context: ContextDep) -> SuspendedMailOut:
    return SuspendedMailOut.model_validate(await suspended_mail.reject(context, mail_id))


def _detail(row: dict[str, Any]) -> SuspendedMailDetailOut:
    raw = bytes(row["raw"]).decode("utf-8", errors="replace")
    return SuspendedMailDetailOut.model_validate({**row, "raw": raw})
