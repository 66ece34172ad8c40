"""Downloading a ticket's file from the portal, under the reader's scope (404 page otherwise).

Always as an attachment with the type proven at upload, never rendered inline, so an uploaded file
cannot run as a page of ours (the same headers as the API's download).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from services import attachments
from web.context import PortalContext

router = APIRouter()


@router.get("/files/{attachment_id}")
async def download(context: PortalContext, attachment_id: str) -> Response:
    meta, data = await attachments.download(context, attachment_id[:64])
    headers = {
        "Content-Disposition": content_disposition(meta["filename"]),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-cache",
    }
    return Response(content=data, media_type=meta["content_type"], headers=headers)


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback for old clients, and the exact name in `filename*` (RFC 8187)."""
    fallback = "".join(ch if " " <= ch <= "~" and ch not in '"\\%' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
