"""People's names beside their ids, for every response that names someone.

Why a batch: a page of 25 tickets names up to ~100 people (requesters, assignees, cc); looking each
up would be a query per person. The ids of a whole response are collected first and resolved in one
query, so a list costs its own query plus one.

Why no scope check of its own: the ids come from rows the caller's scope (`services.access`)
already admitted — the requester, assignee, cc and actors of a ticket the caller may read are part
of that ticket — so their names are visible with it. Nothing here lists people: finding people
is `services.directory`, which staff alone may use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.context import Context
from store.directory import display_names


def non_user_name(actor_id: str) -> str | None:
    """Actors that are not users: the system's own clocks, and JIRA (`jira:<source>`)."""
    if actor_id == "system":
        return "Escalator"
    return "JIRA" if actor_id.startswith("jira:") else None


@dataclass(frozen=True)
class People:
    """Names by user id for one response; `ref` is what the API shows beside an id."""

    names: Mapping[str, str] = field(default_factory=dict)

    def ref(self, user_id: str | None) -> dict[str, Any] | None:
        if user_id is None:
            return None
        return {"id": user_id, "name": self.names.get(user_id) or non_user_name(user_id)}

    def refs(self, user_ids: Iterable[str]) -> list[dict[str, Any]]:
        return [{"id": user_id, "name": self.names.get(user_id)} for user_id in user_ids]


NOBODY = People()


def ticket_people(snapshot: Mapping[str, Any]) -> set[str]:
    """Whom a ticket names: requester, assignee and cc."""
    found = {snapshot.get("requester_id"), snapshot.get("assignee_id"), *snapshot.get("cc", [])}
    return {str(i) for i in found if i}


def event_people(event: Mapping[str, Any]) -> set[str]:
    """Whom a timeline event names: its actor and, through support access, the agent behind them."""
    found = {event.get("actor_id"), event.get("on_behalf_of")}
    return {str(i) for i in found if i and non_user_name(str(i)) is None}


async def people_named(conn: AsyncConnection, ids: Iterable[str]) -> People:
    """One query for every id of a response."""
    return People(await display_names(conn, set(ids)))


async def people_for(context: Context, ids: Iterable[str]) -> People:
    """The same, on a connection of its own (for answers built outside a read's connection)."""
    async with context.engine.connect() as conn:
        return await people_named(conn, ids)
