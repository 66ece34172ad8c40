"""Writing a workflow's numbered events into its read-model table, the workflow being the authority.

A projection runs as a local activity inside a workflow task. If the worker dies before that task
completes, the task runs again from the last completed one and may number *different* events with
the same seqs (another update got in first, a timer fired meanwhile). So a projection overwrites the
events it carries rather than keeping what is there, and drops any event numbered beyond the version
it projects: those belong to a task that never happened as far as Temporal is concerned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Delete, Table, delete, literal_column, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert


def upsert_events(table: Table, owner: str, rows: Sequence[Mapping[str, Any]]) -> ReturningInsert[Any]:
    """Insert the events, replacing any stored at the same (owner, seq) with different content.

    Returns the statement with RETURNING (type, data, seq, inserted): it yields the rows inserted or
    replaced, not those a retry re-sends unchanged, so callers can count new events exactly once;
    `inserted` is false for a seq that held a different event (a lost workflow task's), whose unsent
    outbox rows must go (store/outbox_repair.py).
    """
    statement = insert(table).values(list(rows))
    content = [name for name in rows[0] if name not in (owner, "seq")]
    stored = tuple_(*(table.c[name] for name in content))
    incoming = tuple_(*(statement.excluded[name] for name in content))
    return statement.on_conflict_do_update(
        index_elements=[table.c[owner], table.c.seq],
        set_={name: statement.excluded[name] for name in content},
        where=stored.is_distinct_from(incoming),
    ).returning(
        table.c.type,
        table.c.data,
        table.c.seq,
        literal_column("xmax = 0").label("inserted"),  # xmax is 0 only on a freshly inserted row
    )


def forget_events_after(
    table: Table, owner: str, owner_id: object, version: int, rows: Sequence[Mapping[str, Any]] = ()
) -> Delete:
    """Events numbered beyond the projected version (and the events carried) came from a workflow
    task that was lost."""
    last = max([version, *(int(row["seq"]) for row in rows)])
    return delete(table).where(table.c[owner] == owner_id, table.c.seq > last)
