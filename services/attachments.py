"""Files for a caller: store an upload, read its metadata or bytes when the caller may.

Until a file is cited by a message only its uploader reads it; then whoever sees the ticket does
(internal-note files: staff). The store enforces that from the caller's scope; others get 404.
"""

from __future__ import annotations

from typing import Any

from domain.attachment_names import clean_filename
from domain.attachment_types import AttachmentRejected, classify
from services.context import Context
from services.problems import not_found
from store.attachments import get_attachment, get_attachment_data, insert_attachment

__all__ = ["AttachmentRejected", "check", "download", "read_metadata", "upload"]


def check(filename: str, data: bytes) -> None:
    """Raise AttachmentRejected (with the status to answer) unless the content is an allowed type."""
    classify(clean_filename(filename), data)


async def upload(context: Context, filename: str, data: bytes) -> dict[str, Any]:
    """Classify by content (raises AttachmentRejected with the status to answer) and store it, under
    the name cleaned as every door cleans it (inbound mail's names arrive here raw)."""
    filename = clean_filename(filename)
    kind = classify(filename, data)
    async with context.engine.begin() as conn:
        return await insert_attachment(
            conn,
            org_id=context.principal.org_id,
            uploader_id=context.principal.user_id,
            filename=filename,
            content_type=kind.content_type,
            data=data,
        )


async def read_metadata(context: Context, attachment_id: str) -> dict[str, Any]:
    async with context.engine.connect() as conn:
        meta = await get_attachment(conn, context.scope, attachment_id)
    if meta is None:
        raise not_found("attachment")
    return meta


async def download(context: Context, attachment_id: str) -> tuple[dict[str, Any], bytes]:
    """Metadata and bytes, read under the same scope."""
    async with context.engine.connect() as conn:
        meta = await get_attachment(conn, context.scope, attachment_id)
        data = await get_attachment_data(conn, context.scope, attachment_id) if meta else None
    if meta is None or data is None:
        raise not_found("attachment")
    return meta, data
