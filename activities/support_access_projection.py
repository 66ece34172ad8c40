"""Projection of support-access grants into Postgres: the grant row, its audit trail, ended tokens.

Idempotent like the ticket projection: events are keyed by (user id, seq) and overwritten by what
the workflow sends (store/event_log.py); the grant row never moves back. When a batch ends
the grant (revoked, expired), the user's tokens are cut off at that instant, so that a later grant
never revives a token issued under an earlier one. The rows are plain JSON built in the workflow
(domain/support_access/read_model_rows.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from temporalio import activity

from activities.projection import with_instants
from domain.projection_rows import EVENT_INSTANTS, ProjectionRows
from domain.support_access.grant import ENDED, GrantStatus
from domain.support_access.read_model_rows import GRANT_INSTANTS
from store.event_log import upsert_events
from store.storable import storable
from store.support_access_tables import support_access_events, support_access_grants, support_access_tokens


def ends(event: dict[str, Any]) -> bool:
    return event["type"] in {status.value for status in ENDED}


class SupportAccessActivities:
    """Holds the engine so that activities share one connection pool per worker."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="project_support_access")
    async def project_support_access(self, projection: ProjectionRows) -> int:
        """Write the grant row, the new events and any token cut-offs in one transaction."""
        if projection.row["status"] == GrantStatus.NONE.value:
            return projection.version
        row = storable(with_instants(projection.row, GRANT_INSTANTS))
        user_id = row["user_id"]
        events = [storable(with_instants(e, EVENT_INSTANTS)) for e in projection.events]
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
            if events:
                await conn.execute(upsert_events(support_access_events, "user_id", events))
            for event in events:
                if ends(event):
                    await end_tokens(conn, user_id, event["at"])
        return projection.version

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
