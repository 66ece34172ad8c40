"""One page of any list, and the opaque cursor that continues it.

Why one module: every list of the API pages the same way (`limit`, `cursor` → `{items, next_cursor}`),
keyset-paginated on the list's own sort key so that deep pages cost what the first does and rows
written meanwhile neither repeat nor vanish. A cursor is the sort key of the last row handed out,
as base64url JSON; anything this API did not hand out is a 400, never a 500 or a silent first page.
(Tickets keep their older cursor, the bare id: see `services.tickets`.)
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from services.problems import Problem

T = TypeVar("T")
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Page(Generic[T]):
    """Rows in the list's order, and the cursor of the next page (None on the last)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(key: Sequence[Any]) -> str:
    """The sort key of the last row of a page, datetimes as ISO 8601."""
    values = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, shape: Sequence[type]) -> Key | None:
    """The key a page continues after, each value checked against `shape`; 400 for a foreign cursor."""
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=="))
        if not isinstance(values, list) or len(values) != len(shape):
            raise ValueError("wrong length")
        return tuple(_typed(value, kind) for value, kind in zip(values, shape, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise bad_cursor() from exc


def _typed(value: Any, kind: type) -> Any:
    if kind is datetime:
        instant = datetime.fromisoformat(value)
        if instant.tzinfo is None:
            raise ValueError("naive instant")
        return instant
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"expected {kind.__name__}")
    return value


def page_of(rows: Sequence[T], limit: int, key: Callable[[T], Sequence[Any]]) -> Page[T]:
    """`rows` were fetched with `limit + 1`: the extra row only says that another page exists."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(key(items[-1])) if more and items else None)


def page_of_listed(rows: Sequence[dict[str, Any]], limit: int, cursor: str | None) -> Page[dict[str, Any]]:
    """A page of a configuration list read whole, in its own order (groups, routing rules, macros,
    webhook endpoints: tens of rows an admin keeps): the cursor is the position after the last row
    handed out, so the list answers in the API's one shape without a keyset of its own."""
    after = decode_cursor(cursor, (int,))
    start = after[0] if after else 0
    if start < 0:
        raise bad_cursor()
    items = list(rows[start : start + limit])
    more = start + limit < len(rows)
    return Page(items=items, next_cursor=encode_cursor((start + limit,)) if more else None)


def bad_cursor() -> Problem:
    return Problem(400, "cursor: not a cursor this API returned", errors=[{"field": "cursor"}])
