"""Which uploads are allowed as ticket attachments, decided by their content (seed 002).

A customer's file name is a claim, not a fact: a PNG renamed `.pdf` or an executable renamed `.txt`
must not be stored and later served under a type it is not. So the declared extension picks the
kind the file says it is, and the bytes must prove it:

- binary kinds (PDF, JPG, PNG, GIF, MP4, MOV) by their signature, via the `filetype` package;
- DOCX / XLSX are ZIP containers holding `word/` resp. `xl/` parts (read with `zipfile`'s directory
  only, nothing is decompressed); DOC is an OLE2 compound file (magic `D0 CF 11 E0 A1 B1 1A E1`;
  OLE2 does not tell a Word document from other Office files without parsing the streams);
- text kinds (CSV, TSV, TXT) decode as UTF-8 (CSV and TXT may fall back to Latin-1, which old
  spreadsheet exports use), contain no NUL byte, hardly any control characters, and do not start
  with the signature of a binary kind;
- HAR is UTF-8 JSON whose top level holds a `log` object.

Pure and deterministic, but it imports `filetype`: only the API uses it, never workflow code, so the
workflow sandbox never sees that import.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

import filetype

MAX_ATTACHMENT_BYTES = 500 * 1024
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
GIF_HEADERS = (b"GIF87a", b"GIF89a")
# Control characters that do not belong in text (tab, line and page breaks do).
CONTROL_BYTES = bytes(b for b in range(0x20) if b not in b"\t\n\x0b\x0c\r") + b"\x7f"
MAX_CONTROL_SHARE = 0.01

CONTENT_TYPES = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "txt": "text/plain",
    "har": "application/json",
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ALIASES = {"jpeg": "jpg"}
TEXT_KINDS = frozenset({"csv", "tsv", "txt"})
LATIN1_FALLBACK = frozenset({"csv", "txt"})
# `filetype` names for the binary kinds we accept; APNG is a PNG, M4V an MP4 with Apple's brand.
FILETYPE_KINDS = {
    "pdf": "pdf",
    "jpg": "jpg",
    "png": "png",
    "apng": "png",
    "gif": "gif",
    "mp4": "mp4",
    "m4v": "mp4",
    "mov": "mov",
}


@dataclass(frozen=True)
class AttachmentKind:
    """What an upload turned out to be: its canonical extension and the content type to store."""

    extension: str
    content_type: str


class AttachmentRejected(Exception):
    """The upload is not acceptable; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def allowed_extensions() -> list[str]:
    return sorted([*CONTENT_TYPES, *ALIASES])


def classify(filename: str, data: bytes) -> AttachmentKind:
    """Accept the file only if its size is within limits and its bytes are what its name claims.

    413: larger than 500 KB; 422: empty; 415: an extension not on the list, or content that
    contradicts the extension.
    """
    if not data:
        raise AttachmentRejected(422, "the file is empty")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected(413, f"the file is larger than {MAX_ATTACHMENT_BYTES} bytes (500 KB)")
    claimed = declared_extension(filename)
    if claimed in TEXT_KINDS:
        return AttachmentKind(claimed, _text_content_type(claimed, data))
    if claimed == "har":
        _check_har(data)
        return AttachmentKind("har", CONTENT_TYPES["har"])
    detected = detect_binary(data)
    if detected != claimed:
        seen = f"looks like {detected.upper()}" if detected else "is not recognisable"
        raise AttachmentRejected(415, f"the file is named .{claimed} but its content {seen}")
    return AttachmentKind(claimed, CONTENT_TYPES[claimed])


def declared_extension(filename: str) -> str:
    """The canonical extension the name claims (case-insensitive, `.jpeg` = `.jpg`); 415 if not allowed."""
    _, dot, ext = filename.rpartition(".")
    ext = ALIASES.get(ext.lower(), ext.lower()) if dot else ""
    if ext not in CONTENT_TYPES:
        allowed = ", ".join(allowed_extensions())
        shown = f".{ext}" if ext else "no extension"
        raise AttachmentRejected(415, f"files with {shown} are not accepted; allowed: {allowed}")
    return ext


def detect_binary(data: bytes) -> str | None:
    """The allowed binary kind these bytes are, whatever their name says; None if none of them."""
    if data.startswith(OLE2_MAGIC):
        return "doc"
    if data.startswith(ZIP_MAGIC):
        return _office_kind(data)
    guessed = filetype.guess(data)
    kind = FILETYPE_KINDS.get(guessed.extension) if guessed else None
    if kind == "gif" and not data.startswith(GIF_HEADERS):
        return None  # `filetype` trusts three letters "GIF"; a text may well start with them.
    return kind


def _office_kind(data: bytes) -> str | None:
    """DOCX and XLSX are ZIPs of XML parts; only the directory is read, so a zip bomb costs nothing."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(name.startswith("word/") for name in names):
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    return None


def _text_content_type(kind: str, data: bytes) -> str:
    """Text must really be text: no NUL, decodable, not a binary file in disguise."""
    if b"\x00" in data:
        raise AttachmentRejected(415, f"the file is named .{kind} but contains binary data (NUL bytes)")
    disguised = detect_binary(data)
    if disguised:
        raise AttachmentRejected(
            415, f"the file is named .{kind} but its content looks like {disguised.upper()}"
        )
    charset = _charset(kind, data)
    if _control_share(data) > MAX_CONTROL_SHARE:
        raise AttachmentRejected(415, f"the file is named .{kind} but contains binary data")
    return f"{CONTENT_TYPES[kind]}; charset={charset}"


def _charset(kind: str, data: bytes) -> str:
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if kind in LATIN1_FALLBACK:
            return "iso-8859-1"  # every byte decodes as Latin-1; the control check guards the rest
        raise AttachmentRejected(415, f"a .{kind} file must be UTF-8 text") from None
    return "utf-8"


def _control_share(data: bytes) -> float:
    controls = len(data) - len(data.translate(None, CONTROL_BYTES))
    return controls / len(data)


def _check_har(data: bytes) -> None:
    """A HAR (HTTP Archive) is JSON with a top-level `log` object (W3C HAR 1.2)."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise AttachmentRejected(415, "the file is named .har but is not UTF-8 JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("log"), dict):
        raise AttachmentRejected(415, 'the file is named .har but has no top-level "log" object')
