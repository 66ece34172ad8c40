"""Projection of support-access grants into Postgres: the grant row, its audit trail, ended tokens.

Idempotent like the ticket projection: events are keyed by (user id, seq) and overwritten by what
the workflow sends (store/event_log.py); the grant row never moves back. When a batch ends
the grant (revoked, expired), the user's tokens are cut off at that instant, so that a later grant
never revives a token issued under an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from temporalio import activity

from domain.support_access.grant import ENDED, GrantEvent, GrantStatus, SupportAccessState
from store.event_log import upsert_events
from store.storable import storable
from store.support_access_tables import support_access_events, support_access_grants, support_access_tokens


@dataclass
class SupportAccessProjection:
    """The state to upsert and the events new since the last projection."""

    state: SupportAccessState
    events: list[GrantEvent] = field(default_factory=list)


def grant_row(state: SupportAccessState) -> dict[str, Any]:
    return {
        "user_id": state.user_id,
        "org_id": state.org_id,
        "status": state.status.value,
        "granted_at": state.granted_at,
        "expires_at": state.expires_at,
        "revoked_at": state.revoked_at,
        "version": state.version,
        "updated_at": state.updated_at,
    }


def event_row(user_id: str, event: GrantEvent) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "seq": event.seq,
        "type": event.type,
        "at": event.at,
        "actor_id": event.actor_id,
        "data": event.data,
    }


def ends(event: GrantEvent) -> bool:
    return event.type in {status.value for status in ENDED}


class SupportAccessActivities:
    """Holds the engine so that activities share one connection pool per worker."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="project_support_access")
    async def project_support_access(self, projection: SupportAccessProjection) -> int:
        """Write the grant row, the new events and any token cut-offs in one transaction."""
        state = projection.state
        if state.status is GrantStatus.NONE:
            return state.version
        row = storable(grant_row(state))
        upsert = insert(support_access_grants).values(row)
        upsert = upsert.on_conflict_do_update(
            index_elements=[support_access_grants.c.user_id],
            set_={k: upsert.excluded[k] for k in row if k != "user_id"},
            where=support_access_grants.c.version <= upsert.excluded.version,
        )
        async with self._engine.begin() as conn:
            # The row is updated first: a token being issued holds it FOR SHARE, so the cut-off
            # below runs after that token is committed and sees it.
            await conn.execute(upsert)
            if projection.events:
                rows = [storable(event_row(state.user_id, e)) for e in projection.events]
                await conn.execute(upsert_events(support_access_events, "user_id", rows))
            for event in projection.events:
                if ends(event):
                    await end_tokens(conn, state.user_id, event.at)
        return state.version

    @activity.defn(name="support_access_version")
    async def support_access_version(self, user_id: str) -> int:
        """The audit trail's last seq, so that a new run of the user's workflow continues it."""
        async with self._engine.connect() as conn:
            grant = select(support_access_grants.c.version).where(support_access_grants.c.user_id == user_id)
            events = select(func.max(support_access_events.c.seq)).where(
                support_access_events.c.user_id == user_id
            )
            version = (await conn.execute(grant)).scalar_one_or_none() or 0
            last_seq = (await conn.execute(events)).scalar_one_or_none() or 0
        return max(int(version), int(last_seq))


async def end_tokens(conn: AsyncConnection, user_id: str, at: datetime) -> None:
    """Cut the user's tokens off at the grant's end (kept, not deleted: they are part of the audit)."""
    await conn.execute(
        update(support_access_tokens)
        .where(support_access_tokens.c.user_id == user_id, support_access_tokens.c.expires_at > at)
        .values(expires_at=at)
    )
