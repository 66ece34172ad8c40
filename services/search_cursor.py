"""The cursor of a ranked ticket search: the last row's score and id, and the window's anchor.

Opaque to clients like the list's cursor (URL-safe base64, within the same 40 characters), but of its
own shape, so a list cursor given to a search is refused rather than misread. The score is packed as
the 4-byte float Postgres ranks with (`real`), so it compares exactly on the next page.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct

from services.problems import Problem
from store.ticket_search import SearchCursor

_VERSION = 1
_LAYOUT = struct.Struct(">Bfqq")  # version, score (float32), last id, anchor id


def encode_search_cursor(cursor: SearchCursor) -> str:
    packed = _LAYOUT.pack(_VERSION, cursor.score, cursor.ticket_id, cursor.anchor)
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_search_cursor(value: str | None) -> SearchCursor | None:
    if value is None:
        return None
    try:
        version, score, ticket_id, anchor = _LAYOUT.unpack(base64.urlsafe_b64decode(value.encode() + b"=="))
    except (ValueError, binascii.Error, struct.error) as exc:
        raise _refused() from exc
    if version != _VERSION or not math.isfinite(score) or min(ticket_id, anchor) < 1:
        raise _refused()
    return SearchCursor(score, ticket_id, anchor)


def _refused() -> Problem:
    return Problem(400, "cursor: not a cursor this search returned", errors=[{"field": "cursor"}])
