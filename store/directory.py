"""Finding people and organisations by name or e-mail, best match first, a page at a time.

Why a ranking rather than a plain filter: staff type a fragment ("carla", "acme", "carla@acme") and
expect the exact address first, then names or addresses that start with it, then any that contain
it. The rank is a small integer, so it can be part of the keyset the pages continue after
(rank, lower(name), id); without `q` every row ranks 0 and the list is alphabetical.
Rows are limited by the caller's `Scope` (users as `store.identities` admits them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from store.identities import user_visible
from store.keyset import keyset
from store.scope import Scope
from store.tables import organisations, users

EXACT, PREFIX, CONTAINS = 0, 1, 2


@dataclass(frozen=True)
class UserQuery:
    """What narrows a user search; None means any."""

    q: str | None = None
    org_id: str | None = None
    roles: tuple[str, ...] | None = None


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


Texts = Sequence[ColumnElement[Any]]


def _rank(q: str | None, exact: ColumnElement[Any], texts: Texts) -> ColumnElement[int]:
    """EXACT for the exact `exact` (e.g. the e-mail), PREFIX when a text or one of its words starts
    with `q`, CONTAINS otherwise (rows that do not contain `q` at all are filtered out)."""
    if not q:
        return literal(EXACT)
    pattern = _like(q.strip())
    starts = [t.ilike(f"{pattern}%", escape="\\") for t in texts]
    words = [t.ilike(f"% {pattern}%", escape="\\") for t in texts]
    return case(
        (func.lower(exact) == q.strip().lower(), EXACT), (or_(*starts, *words), PREFIX), else_=CONTAINS
    )


def _contains(q: str | None, texts: Texts) -> ColumnElement[bool]:
    if not q:
        return true()
    pattern = f"%{_like(q.strip())}%"
    return or_(*(t.ilike(pattern, escape="\\") for t in texts))


async def find_users(
    conn: AsyncConnection, scope: Scope, query: UserQuery, limit: int, after: tuple[Any, ...] | None
) -> list[dict[str, Any]]:
    """Users the scope admits matching `query`, best first; each row carries its `rank`."""
    texts = [users.c.name, users.c.email]
    rank = _rank(query.q, users.c.email, texts).label("rank")
    conditions = [user_visible(scope), _contains(query.q, texts)]
    if query.org_id is not None:
        conditions.append(users.c.org_id == query.org_id)
    if query.roles:
        conditions.append(users.c.role.in_(query.roles))
    sort_name = func.lower(users.c.name).label("sort_name")
    statement = select(users, rank, sort_name).where(and_(*conditions))
    statement = keyset(statement, (rank, sort_name, users.c.id), after, limit)
    return [dict(r) for r in (await conn.execute(statement)).mappings()]


def org_visible(scope: Scope) -> ColumnElement[bool]:
    """Staff see every organisation; everyone else only their own."""
    return true() if scope.org_id is None else organisations.c.id == scope.org_id


async def find_orgs(
    conn: AsyncConnection, scope: Scope, q: str | None, limit: int, after: tuple[Any, ...] | None
) -> list[dict[str, Any]]:
    """Organisations the scope admits whose name or slug matches `q`, best first (exact slug first)."""
    texts = [organisations.c.name, organisations.c.slug]
    rank = _rank(q, organisations.c.slug, texts).label("rank")
    sort_name = func.lower(organisations.c.name).label("sort_name")
    statement = select(organisations, rank, sort_name).where(org_visible(scope), _contains(q, texts))
    statement = keyset(statement, (rank, sort_name, organisations.c.id), after, limit)
    return [dict(r) for r in (await conn.execute(statement)).mappings()]


def sort_key(row: dict[str, Any]) -> tuple[int, str, str]:
    """The keyset of a row these searches returned (what a cursor carries), as the database sorts it."""
    return int(row["rank"]), str(row["sort_name"]), str(row["id"])


async def display_names(conn: AsyncConnection, ids: set[str]) -> dict[str, str]:
    """The names of these users, in one query (ids of no user are simply absent)."""
    if not ids:
        return {}
    rows = await conn.execute(select(users.c.id, users.c.name).where(users.c.id.in_(sorted(ids))))
    return {row.id: row.name for row in rows}
