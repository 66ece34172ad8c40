"""Keyset pagination as SQL: order by a list's sort key and continue after a given key.

Why: OFFSET pages re-read every skipped row and shift when rows are added; a row-value comparison
on the sort key (`(a, b) > (:a, :b)`) reads only the page, from an index when one matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, tuple_


def keyset(
    query: Select[Any],
    columns: Sequence[ColumnElement[Any]],
    after: Sequence[Any] | None,
    limit: int,
    descending: bool = False,
) -> Select[Any]:
    """`query` ordered by `columns` (all in one direction), rows after `after`, at most `limit`."""
    if after is not None:
        row, key = tuple_(*columns), tuple_(*after)
        query = query.where(row < key if descending else row > key)
    order = [c.desc() for c in columns] if descending else list(columns)
    return query.order_by(*order).limit(limit)
