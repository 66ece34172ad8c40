"""Turning the attachment ids a message cites into checked metadata (seed 002: at most 5 a message).

The ticket routes call `resolve_attachment_refs` before they send the message to the workflow, so
a bad reference is a 422 before anything enters history; they bind the files with
`store.attachments.bind_to_ticket` once the ticket exists, and map a lost race there with
`attachment_refs_problem`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from api.problems import Problem
from store.attachments import AttachmentRefError, check_refs
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
