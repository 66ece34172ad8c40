"""Staff look people and organisations up: by name or e-mail, best match first, a page at a time.

Who may: staff (agents, engineers, admins), who serve every organisation, so their scope
(`services.access.scope_for`) admits customers of any organisation and other staff. Customers and
org admins never search the directory (403): they pick people from their own tickets instead, and a
search would tell them who else has an account.
"""

from __future__ import annotations

from typing import Any

from domain.actors import is_staff
from services.context import Context
from services.pagination import Page, decode_cursor, page_of
from services.problems import forbidden
from store import directory
from store.directory import UserQuery

__all__ = ["UserQuery", "find_orgs", "find_users"]

CURSOR_SHAPE = (int, str, str)


def _staff_only(context: Context) -> None:
    if not is_staff(context.principal.role):
        raise forbidden("only staff search the directory")


async def find_users(
    context: Context, query: UserQuery, limit: int, cursor: str | None = None
) -> Page[dict[str, Any]]:
    """Users matching `query.q` in their name or e-mail: the exact address, then prefixes, then the rest."""
    _staff_only(context)
    after = decode_cursor(cursor, CURSOR_SHAPE)
    async with context.engine.connect() as conn:
        rows = await directory.find_users(conn, context.scope, query, limit + 1, after)
    return page_of(rows, limit, directory.sort_key)


async def find_orgs(
    context: Context, q: str | None, limit: int, cursor: str | None = None
) -> Page[dict[str, Any]]:
    """Organisations matching `q` in their name or slug, the exact slug first."""
    _staff_only(context)
    after = decode_cursor(cursor, CURSOR_SHAPE)
    async with context.engine.connect() as conn:
        rows = await directory.find_orgs(conn, context.scope, q, limit + 1, after)
    return page_of(rows, limit, directory.sort_key)
