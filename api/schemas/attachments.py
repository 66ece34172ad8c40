"""Bodies of the attachment endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AttachmentOut(BaseModel):
    """What a message cites: the id, and enough to show the file without downloading it."""

    id: str
    filename: str
    content_type: str
    size: int
    sha256: str


class AttachmentDetail(AttachmentOut):
    ticket_id: int | None
    uploader_id: str
    created_at: datetime
