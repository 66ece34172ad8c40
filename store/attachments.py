"""Attachment rows: stored on upload, bound to a ticket when a message cites them.

Uploading and citing are two steps so that a message stays a small JSON command (ids, not bytes)
while the files themselves never pass through Temporal's history.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from store.attachment_tables import attachments
from store.tables import users

PUBLIC = (
    attachments.c.id,
    attachments.c.filename,
    attachments.c.content_type,
    attachments.c.size,
    attachments.c.sha256,
)
METADATA = (
    *PUBLIC,
    attachments.c.org_id,
    attachments.c.uploader_id,
    attachments.c.ticket_id,
    attachments.c.internal,
    attachments.c.created_at,
)
PUBLIC_KEYS = tuple(column.key for column in PUBLIC)


class AttachmentRefError(Exception):
    """Some cited ids cannot be attached; `problems` maps each such id to why."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{ref}: {why}" for ref, why in problems.items()))
        self.problems = problems


async def insert_attachment(
    conn: AsyncConnection, *, org_id: str, uploader_id: str, filename: str, content_type: str, data: bytes
) -> dict[str, Any]:
    """Store an upload (already classified) and return its public metadata."""
    row = {
        "id": str(uuid.uuid4()),
        "filename": filename,
        "content_type": content_type,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    await conn.execute(insert(attachments).values(**row, org_id=org_id, uploader_id=uploader_id, data=data))
    return row


async def get_attachment(conn: AsyncConnection, attachment_id: str) -> dict[str, Any] | None:
    """Metadata without the bytes: enough to decide who may see it."""
    row = (await conn.execute(select(*METADATA).where(attachments.c.id == attachment_id))).mappings().first()
    return dict(row) if row else None


async def get_attachment_data(conn: AsyncConnection, attachment_id: str) -> bytes | None:
    data = await conn.scalar(select(attachments.c.data).where(attachments.c.id == attachment_id))
    return bytes(data) if data is not None else None


def _owned_by(user_id: str) -> ColumnElement[bool]:
    """Uploaded by this user or by someone of their organisation (an org admin citing a colleague's file)."""
    org_of_user = select(users.c.org_id).where(users.c.id == user_id).scalar_subquery()
    return or_(attachments.c.uploader_id == user_id, attachments.c.org_id == org_of_user)


async def check_refs(
    conn: AsyncConnection,
    ids: Sequence[str],
    user_id: str,
    ticket_id: int | None = None,
    *,
    lock: bool = False,
) -> list[dict[str, Any]]:
    """Public metadata of the cited files, in the order given (repeats dropped).

    Raises AttachmentRefError for an id that does not exist or is not the user's (both read as
    "unknown" so ids of others do not leak) and for one already bound to a ticket other than
    `ticket_id` (binding again to the same ticket is a harmless retry).
    """
    wanted = list(dict.fromkeys(ids))
    query = select(*PUBLIC, attachments.c.ticket_id, _owned_by(user_id).label("owned")).where(
        attachments.c.id.in_(wanted)
    )
    if lock:
        query = query.with_for_update(of=attachments)
    found = {row.id: row for row in (await conn.execute(query))}
    problems: dict[str, str] = {}
    for ref in wanted:
        row = found.get(ref)
        if row is None or not row.owned:
            problems[ref] = "unknown attachment"
        elif row.ticket_id is not None and row.ticket_id != ticket_id:
            problems[ref] = "already attached to another ticket"
    if problems:
        raise AttachmentRefError(problems)
    return [{key: found[ref]._mapping[key] for key in PUBLIC_KEYS} for ref in wanted]


async def bind_to_ticket(
    conn: AsyncConnection,
    ids: Sequence[str],
    ticket_id: int,
    uploader_id: str,
    *,
    internal: bool = False,
) -> list[dict[str, Any]]:
    """Attach the files to the ticket (all or none; rows are locked while checked).

    `internal` marks files of an internal note: only staff and the uploader may read them.
    Returns their public metadata; raises AttachmentRefError as `check_refs` does.
    """
    refs = await check_refs(conn, ids, uploader_id, ticket_id, lock=True)
    await conn.execute(
        update(attachments)
        .where(attachments.c.id.in_([ref["id"] for ref in refs]), attachments.c.ticket_id.is_(None))
        .values(ticket_id=ticket_id, internal=internal)
    )
    return refs


async def list_for_ticket(
    conn: AsyncConnection, ticket_id: int, include_internal: bool = True
) -> list[dict[str, Any]]:
    """The files bound to a ticket, oldest first; customers' views pass include_internal=False."""
    query = select(*METADATA).where(attachments.c.ticket_id == ticket_id)
    if not include_internal:
        query = query.where(attachments.c.internal.is_(False))
    rows = await conn.execute(query.order_by(attachments.c.created_at, attachments.c.id))
    return [dict(row) for row in rows.mappings()]
