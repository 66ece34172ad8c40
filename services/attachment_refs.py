"""Turning the attachment ids a message cites into checked metadata (seed 002: at most 5 a message).

Opening and replying call `resolve_attachment_refs` before they send the message to the workflow,
so a bad reference is a 422 before anything enters history; they bind the files with
`bind_attachments` once the ticket has the message.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.problems import Problem
from store.attachments import AttachmentRefError, bind_to_ticket, check_refs
from store.identities import Principal

MAX_ATTACHMENTS_PER_MESSAGE = 5


async def resolve_attachment_refs(
    engine: AsyncEngine, principal: Principal, ids: list[str], *, ticket_id: int | None = None
) -> list[dict[str, Any]]:
    """Public metadata ({id, filename, content_type, size, sha256}) of the cited files, in order.

    422 for more than five ids, and for ids that are unknown, not the caller's (nor their
    organisation's), or already attached to another ticket. Pass `ticket_id` on a reply so that a
    retried request citing files already bound to that ticket still passes.
    """
    if len(ids) > MAX_ATTACHMENTS_PER_MESSAGE:
        raise Problem(
            422,
            f"attachments: at most {MAX_ATTACHMENTS_PER_MESSAGE} per message",
            type_="/problems/invalid-request",
            errors=[
                {"field": "attachments", "message": f"at most {MAX_ATTACHMENTS_PER_MESSAGE} per message"}
            ],
        )
    if not ids:
        return []
    try:
        async with engine.connect() as conn:
            return await check_refs(conn, ids, principal.user_id, ticket_id)
    except AttachmentRefError as exc:
        raise attachment_refs_problem(exc, ids) from exc


def attachment_refs_problem(exc: AttachmentRefError, ids: list[str]) -> Problem:
    """A 422 naming each offending entry of the request's `attachments` list."""
    errors = [
        {"field": f"attachments.{index}", "message": exc.problems[ref]}
        for index, ref in enumerate(ids)
        if ref in exc.problems
    ]
    first = errors[0]
    return Problem(
        422,
        f"{first['field']}: {first['message']}",
        type_="/problems/invalid-request",
        errors=errors,
    )


async def bind_attachments(
    engine: AsyncEngine, ids: list[str], ticket_id: int, principal: Principal, internal: bool = False
) -> None:
    """Attach the cited files to the ticket (all or none); a lost race maps to the same 422."""
    if not ids:
        return
    try:
        async with engine.begin() as conn:
            await bind_to_ticket(conn, ids, ticket_id, principal.user_id, internal=internal)
    except AttachmentRefError as exc:
        raise attachment_refs_problem(exc, ids) from exc
