"""Attachment endpoints: upload a file, read its metadata, download it.

A file is uploaded on its own and cited by id in a ticket or reply. Until then only its uploader
can read it; once bound to a ticket, whoever may see the ticket may (internal-note files: staff).
Everyone else gets 404, so ids never leak.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import UploadFile
from starlette.types import Message, Receive

from api.auth import CurrentUser, can_see_ticket, is_staff
from api.deps import EngineDep
from api.problems import Problem, not_found
from domain.attachment_types import (
    CONTENT_TYPES,
    MAX_ATTACHMENT_BYTES,
    AttachmentRejected,
    allowed_extensions,
    classify,
)
from store.attachments import get_attachment, get_attachment_data, insert_attachment
from store.identities import Principal
from store.ticket_queries import get_ticket_row

router = APIRouter(prefix="/v1/attachments", tags=["attachments"])

# The file may be 500 KB; the multipart envelope adds a few hundred bytes. Anything beyond this
# is refused before it is read, so a client cannot make the API buffer an arbitrary body.
MAX_BODY_BYTES = 600 * 1024
MAX_FILENAME_CHARS = 255
PROBLEM_TYPES = {
    413: "/problems/too-large",
    415: "/problems/unsupported-media-type",
    422: "/problems/invalid-request",
}
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    },
}


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


@router.post(
    "",
    status_code=201,
    response_model=AttachmentOut,
    summary="Upload an attachment",
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload_attachment(
    request: Request, principal: CurrentUser, engine: EngineDep, response: Response
) -> AttachmentOut:
    """Multipart field `file`, at most 500 KB, of an allowed type proven by its content.

    413 too large, 415 type not allowed or content contradicting the name, 422 empty or missing.
    """
    upload = await _read_upload(request)
    filename = clean_filename(upload.filename)
    data = await upload.read()
    try:
        kind = classify(filename, data)
    except AttachmentRejected as exc:
        raise _rejection(exc.status, exc.reason) from exc
    async with engine.begin() as conn:
        row = await insert_attachment(
            conn,
            org_id=principal.org_id,
            uploader_id=principal.user_id,
            filename=filename,
            content_type=kind.content_type,
            data=data,
        )
    response.headers["Location"] = f"/v1/attachments/{row['id']}"
    return AttachmentOut(**row)


@router.get("/{attachment_id}", response_model=AttachmentDetail, summary="An attachment's metadata")
async def read_attachment(attachment_id: str, principal: CurrentUser, engine: EngineDep) -> AttachmentDetail:
    async with engine.connect() as conn:
        meta = await _readable(conn, principal, attachment_id)
    return AttachmentDetail(**meta)


# What a download can be served as: each allowed type (text ones carry a charset parameter).
DOWNLOAD_TYPES = {
    content_type: {"schema": {"type": "string", "format": "binary"}}
    for content_type in sorted(set(CONTENT_TYPES.values()))
}


@router.get(
    "/{attachment_id}/content",
    response_class=Response,
    summary="Download an attachment",
    responses={200: {"description": "The file, as the type proven at upload", "content": DOWNLOAD_TYPES}},
)
async def download_attachment(attachment_id: str, principal: CurrentUser, engine: EngineDep) -> Response:
    """Always as a download with the type checked at upload, never sniffed or rendered inline, so
    an uploaded file cannot run as a page of ours."""
    async with engine.connect() as conn:
        meta = await _readable(conn, principal, attachment_id)
        data = await get_attachment_data(conn, attachment_id)
    if data is None:
        raise not_found("attachment")
    headers = {
        "Content-Disposition": content_disposition(meta["filename"]),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-cache",
    }
    return Response(content=data, media_type=meta["content_type"], headers=headers)


async def _readable(conn: AsyncConnection, principal: Principal, attachment_id: str) -> dict[str, Any]:
    meta = await get_attachment(conn, attachment_id)
    if meta is None or not await _may_read(conn, principal, meta):
        raise not_found("attachment")
    return meta


async def _may_read(conn: AsyncConnection, principal: Principal, meta: dict[str, Any]) -> bool:
    """The uploader always; others only through a ticket they may see (internal notes: staff only)."""
    if meta["uploader_id"] == principal.user_id:
        return True
    if meta["ticket_id"] is None or (meta["internal"] and not is_staff(principal)):
        return False
    snapshot = await get_ticket_row(conn, meta["ticket_id"])
    return snapshot is not None and can_see_ticket(principal, snapshot)


async def _read_upload(request: Request) -> UploadFile:
    """The `file` part, parsed from a body that may not exceed MAX_BODY_BYTES.

    Content-Length, when sent, refuses an oversized body at once; a chunked body is counted as it
    arrives and refused at the first byte over the limit.
    """
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise _body_too_large()
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise Problem(
            415,
            "send the file as multipart/form-data, in a field named file",
            type_=PROBLEM_TYPES[415],
        )
    bounded = Request(request.scope, _bounded_receive(request.receive, MAX_BODY_BYTES))
    form = await bounded.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise _rejection(422, "a multipart field named file, holding the file, is required")
    return upload


def _bounded_receive(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def _receive() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _body_too_large()
        return message

    return _receive


def _body_too_large() -> Problem:
    return _rejection(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")


def _rejection(status: int, reason: str) -> Problem:
    extra: dict[str, Any] = {"errors": [{"field": "file", "message": reason}]}
    if status == 413:
        extra["max_bytes"] = MAX_ATTACHMENT_BYTES
    if status == 415:
        extra["allowed_types"] = allowed_extensions()
    return Problem(status, f"file: {reason}", type_=PROBLEM_TYPES[status], **extra)


def clean_filename(raw: str | None) -> str:
    """The last path component, without control or invisible formatting characters (an RTL override
    could make `exe.pdf` read as `fdp.exe`), at most 255 characters with the extension kept.
    Browsers and httpx send a `"` in a multipart file name as `%22` (HTML form encoding): undone here."""
    name = (raw or "").replace("%22", '"').replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if not name:
        raise _rejection(422, "the file needs a name")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        keep = MAX_FILENAME_CHARS - len(ext) - 1
        name = stem[:keep] + dot + ext if dot and keep > 0 else name[:MAX_FILENAME_CHARS]
    return name


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback for old clients, and the exact name in `filename*` (RFC 8187)."""
    fallback = "".join(ch if " " <= ch <= "~" and ch not in '"\\%' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
