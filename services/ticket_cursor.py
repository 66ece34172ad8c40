"""Cursors of the ticket list: opaque to clients, a keyset (sort, key, id) to us.

A `created` page's cursor is the last id, as it always was (clients holding one keep working);
`sla` and `activity` cursors carry the sort and the last row's key too, so a page continues in
the order it was asked for, and a cursor from another sort is refused rather than misread.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from services.problems import Problem
from store.ticket_order import SORTS, Keyset


def encode_keyset(position: Keyset) -> str:
    if position.sort == "created":
        plain = str(position.id)
    else:
        plain = f"{position.sort}|{position.key.isoformat() if position.key else ''}|{position.id}"
    return base64.urlsafe_b64encode(plain.encode()).decode().rstrip("=")


def decode_keyset(cursor: str | None, sort: str) -> Keyset | None:
    """Where the page continues; 400 for anything this service did not hand out for this sort."""
    if cursor is None:
        return None
    try:
        plain = base64.urlsafe_b64decode(cursor.encode() + b"==").decode()
        position = _parse(plain)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise bad_cursor() from exc
    if position.sort != sort or position.id < 1:
        raise bad_cursor()
    return position


def _parse(plain: str) -> Keyset:
    if "|" not in plain:
        return Keyset("created", None, int(plain))
    sort, key, ticket_id = plain.split("|")
    if sort not in SORTS or (sort == "activity" and not key):
        raise ValueError(sort)
    at = datetime.fromisoformat(key) if key else None
    if at is not None and at.tzinfo is None:
        raise ValueError(key)
    return Keyset(sort, at, int(ticket_id))


def bad_cursor() -> Problem:
    return Problem(400, "cursor: not a cursor this API returned", errors=[{"field": "cursor"}])
