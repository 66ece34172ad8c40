"""The query parameters every list takes: `limit` and `cursor` (see `services.pagination`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_LIMIT = 100

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many items")]
Cursor = Annotated[
    str | None,
    Query(min_length=1, max_length=200, description="`next_cursor` of the previous page; absent: the first"),
]
