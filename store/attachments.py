"""Attachment rows: stored on upload, bound to a ticket when a message cites them.

Uploading and citing are two steps so that a message stays a small JSON command (ids, not bytes)
while the files themselves never pass through Temporal's history.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from store.attachment_tables import attachments
from store.scope import Scope, ticket_of_row_visible
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


def _internal_admitted(scope: Scope) -> ColumnElement[bool]:
    return true() if scope.internal else attachments.c.internal.is_(False)


def _readable(scope: Scope) -> ColumnElement[bool]:
    """The uploader always; others through a ticket in scope (internal-note files: if it admits those)."""
    through_ticket = and_(
        attachments.c.ticket_id.is_not(None),
        _internal_admitted(scope),
        ticket_of_row_visible(scope, attachments.c.ticket_id),
    )
    return or_(attachments.c.uploader_id == scope.viewer_id, through_ticket)


async def get_attachment(conn: AsyncConnection, scope: Scope, attachment_id: str) -> dict[str, Any] | None:
    """Metadata without the bytes, or None when the file does not exist or the scope does not reach it."""
    query = select(*METADATA).where(attachments.c.id == attachment_id, _readable(scope))
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row else None


async def get_attachment_data(conn: AsyncConnection, scope: Scope, attachment_id: str) -> bytes | None:
    query = select(attachments.c.data).where(attachments.c.id == attachment_id, _readable(scope))
    data = await conn.scalar(query)
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


async def list_for_ticket(conn: AsyncConnection, scope: Scope, ticket_id: int) -> list[dict[str, Any]]:
    """The files bound to a ticket the scope admits, oldest first (internal-note files if it admits those)."""
    query = select(*METADATA).where(
        attachments.c.ticket_id == ticket_id,
        _internal_admitted(scope),
        ticket_of_row_visible(scope, attachments.c.ticket_id),
    )
    rows = await conn.execute(query.order_by(attachments.c.created_at, attachments.c.id))
    return [dict(row) for row in rows.mappings()]
