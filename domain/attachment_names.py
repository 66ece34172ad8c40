"""How an attachment's file name is cleaned, wherever the file comes from (API upload, inbound mail).

Why one function: a name is shown to staff and customers and offered back on download; a control or
invisible formatting character (U+202E, the right-to-left override, makes `exe.pdf` read as
`fdp.exe`) or a path must never survive, whichever door the file came in by.
"""

from __future__ import annotations

from domain.attachment_types import AttachmentRejected

MAX_FILENAME_CHARS = 255


def clean_filename(raw: str | None) -> str:
    """The last path component, without control or invisible formatting characters, at most 255
    characters with the extension kept; AttachmentRejected(422) when nothing is left."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if not name:
        raise AttachmentRejected(422, "the file needs a name")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        keep = MAX_FILENAME_CHARS - len(ext) - 1
        name = stem[:keep] + dot + ext if dot and keep > 0 else name[:MAX_FILENAME_CHARS]
    return name
