"""Attachment endpoints: upload a file, read its metadata, download it.

A file is uploaded on its own and cited by id in a ticket or reply. Until then only its uploader
can read it; once bound to a ticket, whoever may see the ticket may (internal-note files: staff).
Everyone else gets 404, so ids never leak.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile
from starlette.types import Message, Receive

from api.context import ContextDep
from api.schemas.attachments import AttachmentDetail, AttachmentOut
from domain.attachment_names import clean_filename as clean_name
from domain.attachment_types import (
    CONTENT_TYPES,
    MAX_ATTACHMENT_BYTES,
    AttachmentRejected,
    allowed_extensions,
)
from services import attachments
from services.problems import Problem

router = APIRouter(prefix="/v1/attachments", tags=["attachments"])

# The file may be 500 KB; the multipart envelope adds a few hundred bytes. Anything beyond this
# is refused before it is read, so a client cannot make the API buffer an arbitrary body.
MAX_BODY_BYTES = 600 * 1024
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


@router.post(
    "",
    status_code=201,
    response_model=AttachmentOut,
    summary="Upload an attachment",
    name="upload",
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload_attachment(request: Request, context: ContextDep, response: Response) -> AttachmentOut:
    """Multipart field `file`, at most 500 KB, of an allowed type proven by its content.

    413 too large, 415 type not allowed or content contradicting the name, 422 empty or missing.
    """
    upload = await _read_upload(request)
    filename = clean_filename(upload.filename)
    data = await upload.read()
    try:
        row = await attachments.upload(context, filename, data)
    except AttachmentRejected as exc:
        raise _rejection(exc.status, exc.reason) from exc
    response.headers["Location"] = f"/v1/attachments/{row['id']}"
    return AttachmentOut(**row)


@router.get(
    "/{attachment_id}", response_model=AttachmentDetail, summary="An attachment's metadata", name="get"
)
async def read_attachment(attachment_id: str, context: ContextDep) -> AttachmentDetail:
    return AttachmentDetail(**await attachments.read_metadata(context, attachment_id))


# What a download can be served as: each allowed type (text ones carry a charset parameter).
DOWNLOAD_TYPES = {
    content_type: {"schema": {"type": "string", "format": "binary"}}
    for content_type in sorted(set(CONTENT_TYPES.values()))
}


@router.get(
    "/{attachment_id}/content",
    response_class=Response,
    summary="Download an attachment",
    name="download",
    responses={200: {"description": "The file, as the type proven at upload", "content": DOWNLOAD_TYPES}},
)
async def download_attachment(attachment_id: str, context: ContextDep) -> Response:
    """Always as a download with the type checked at upload, never sniffed or rendered inline, so
    an uploaded file cannot run as a page of ours."""
    meta, data = await attachments.download(context, attachment_id)
    headers = {
        "Content-Disposition": content_disposition(meta["filename"]),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-cache",
    }
    return Response(content=data, media_type=meta["content_type"], headers=headers)


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
    """`domain.attachment_names.clean_filename` (shared with inbound mail), after undoing multipart's
    form encoding: browsers and httpx send a `"` in a file name as `%22`."""
    try:
        return clean_name((raw or "").replace("%22", '"'))
    except AttachmentRejected as exc:
        raise _rejection(exc.status, exc.reason) from exc


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback for old clients, and the exact name in `filename*` (RFC 8187)."""
    fallback = "".join(ch if " " <= ch <= "~" and ch not in '"\\%' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
