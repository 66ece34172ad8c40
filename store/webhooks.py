"""Webhook endpoints and their outbox: registration, the projection's enqueue, the deliverer's claims.

The enqueue runs inside the projection's transaction, so an event and its deliveries commit together
(a durable outbox: nothing is published that did not happen, nothing that happened is lost). It
costs nothing for events no endpoint could want (`may_publish`), and one INSERT … SELECT joining the
active endpoints otherwise: no endpoint subscribed, no row.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    String,
    Text,
    and_,
    any_,
    column,
    delete,
    func,
    select,
    update,
    values,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.webhooks.events import WebhookEvent, may_publish, webhook_event
from store.tables import ticket_events
from store.webhook_tables import webhook_endpoints, webhook_outbox

PUBLIC_COLUMNS = tuple(c for c in webhook_endpoints.c if c.name != "secret")
CLAIM_LEASE_SECONDS = 60


def new_secret() -> str:
    """Shown once at registration; 32 random bytes."""
    return "whsec_" + secrets.token_urlsafe(32)


async def create_endpoint(
    conn: AsyncConnection,
    url: str,
    events: Sequence[str],
    description: str,
    created_by: str,
    endpoint_id: str | None = None,
) -> dict[str, Any]:
    """The new endpoint with its secret (the only time the secret is returned)."""
    row = {
        "id": endpoint_id or str(uuid.uuid4()),
        "url": url,
        "events": sorted(set(events)),
        "description": description,
        "secret": new_secret(),
        "created_by": created_by,
    }
    created = await conn.execute(webhook_endpoints.insert().values(row).returning(*webhook_endpoints.c))
    return dict(created.mappings().one())


async def list_endpoints(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every endpoint with its status and last error, never its secret."""
    query = select(*PUBLIC_COLUMNS).order_by(webhook_endpoints.c.created_at, webhook_endpoints.c.id)
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def get_endpoint(
    conn: AsyncConnection, endpoint_id: str, with_secret: bool = False
) -> dict[str, Any] | None:
    """`with_secret` only for answering a retried registration (same Idempotency-Key) as the first."""
    columns = webhook_endpoints.c if with_secret else PUBLIC_COLUMNS
    query = select(*columns).where(webhook_endpoints.c.id == endpoint_id)
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row else None


async def set_status(conn: AsyncConnection, endpoint_id: str, status: str) -> dict[str, Any] | None:
    """Re-enabling clears the failure streak, so a day of new failures is needed to disable it again."""
    changes: dict[str, Any] = {"status": status}
    if status == "active":
        changes.update(failing_since=None, disabled_at=None)
    statement = (
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(**changes)
        .returning(*PUBLIC_COLUMNS)
    )
    row = (await conn.execute(statement)).mappings().first()
    return dict(row) if row else None


async def delete_endpoint(conn: AsyncConnection, endpoint_id: str) -> bool:
    """Its undelivered outbox rows go with it (ON DELETE CASCADE)."""
    result = await conn.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))
    return bool(result.rowcount)


async def enqueue_for_events(
    conn: AsyncConnection, ticket: dict[str, Any], events: Sequence[dict[str, Any]]
) -> int:
    """Outbox rows for the subscribed endpoints of these projected events; returns the rows written."""
    candidates = [e for e in events if may_publish(str(e["type"]))]
    if not candidates:
        return 0
    published = await _published(conn, ticket, candidates)
    if not published:
        return 0
    return await _insert_for_subscribers(conn, published)


async def _published(
    conn: AsyncConnection, ticket: dict[str, Any], events: Sequence[dict[str, Any]]
) -> list[WebhookEvent]:
    """Escalation updates publish only a stage change, which needs the stage before (one query, rarely)."""
    stage = None
    ordered = sorted(events, key=lambda e: int(e["seq"]))
    if any(e["type"] == "escalation_updated" for e in ordered):
        stage = await _stage_before(conn, int(ticket["id"]), int(ordered[0]["seq"]))
    published = []
    for event in ordered:
        found = webhook_event(ticket, event, stage)
        if event["type"] == "escalated":
            stage = "submitted"
        elif event["type"] == "escalation_updated":
            stage = event["data"].get("stage")
        if found is not None:
            published.append(found)
    return published


async def _stage_before(conn: AsyncConnection, ticket_id: int, seq: int) -> str | None:
    e = ticket_events.c
    query = (
        select(e.type, e.data["stage"].as_string().label("stage"))
        .where(e.ticket_id == ticket_id, e.seq < seq, e.type.in_(("escalated", "escalation_updated")))
        .order_by(e.seq.desc())
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return "submitted" if row.type == "escalated" else row.stage


async def _insert_for_subscribers(conn: AsyncConnection, published: Sequence[WebhookEvent]) -> int:
    incoming = values(
        column("event_id", String),
        column("event_type", String),
        column("ticket_id", String),
        column("payload", JSONB),
        name="incoming",
    ).data([(p.id, p.type, str(p.ticket_id), p.payload) for p in published])
    endpoints = webhook_endpoints.c
    rows = select(
        endpoints.id,
        incoming.c.event_id,
        incoming.c.event_type,
        incoming.c.ticket_id.cast(webhook_outbox.c.ticket_id.type),
        incoming.c.payload,
    ).where(
        endpoints.status == "active",
        incoming.c.event_type == any_(endpoints.events.cast(ARRAY(Text))),
    )
    statement = (
        insert(webhook_outbox)
        .from_select(["endpoint_id", "event_id", "event_type", "ticket_id", "payload"], rows)
        .on_conflict_do_nothing()
    )
    result = await conn.execute(statement)
    return int(result.rowcount or 0)


@dataclass(frozen=True)
class Delivery:
    """A claimed outbox row with what is needed to send it."""

    endpoint_id: str
    event_id: str
    event_type: str
    payload: dict[str, Any]
    attempts: int
    url: str
    secret: str


async def claim_due(
    conn: AsyncConnection, now: datetime, lease_until: datetime, limit: int
) -> list[Delivery]:
    """Due rows of active endpoints, leased to this deliverer (SKIP LOCKED: another never gets the same)."""
    o, e = webhook_outbox.c, webhook_endpoints.c
    due = (
        select(o.endpoint_id, o.event_id)
        .join(webhook_endpoints, e.id == o.endpoint_id)
        .where(o.delivered_at.is_(None), o.next_attempt_at <= now, e.status == "active")
        .order_by(o.next_attempt_at, o.created_at)
        .limit(limit)
        .with_for_update(of=webhook_outbox, skip_locked=True)
        .cte("due")
    )
    claimed = (
        update(webhook_outbox)
        .where(and_(o.endpoint_id == due.c.endpoint_id, o.event_id == due.c.event_id))
        .values(next_attempt_at=lease_until)
        .returning(o.endpoint_id, o.event_id, o.event_type, o.payload, o.attempts, o.created_at, o.ticket_id)
    )
    rows = (await conn.execute(claimed)).all()
    if not rows:
        return []
    ids = {r.endpoint_id for r in rows}
    found = await conn.execute(select(e.id, e.url, e.secret).where(e.id.in_(ids)))
    endpoints = {r.id: (r.url, r.secret) for r in found}
    return [
        Delivery(r.endpoint_id, r.event_id, r.event_type, r.payload, r.attempts, *endpoints[r.endpoint_id])
        for r in sorted(rows, key=_delivery_order)
    ]


def _delivery_order(row: Any) -> tuple[str, datetime, int, int]:
    """Grouped by endpoint, then in the order the events happened (ids end with the timeline seq)."""
    return row.endpoint_id, row.created_at, row.ticket_id, int(row.event_id.rsplit("_", 1)[-1])


async def mark_delivered(conn: AsyncConnection, delivery: Delivery, now: datetime) -> None:
    """The row is done and the endpoint's failure streak, if any, is over."""
    o, e = webhook_outbox.c, webhook_endpoints.c
    await conn.execute(
        update(webhook_outbox)
        .where(o.endpoint_id == delivery.endpoint_id, o.event_id == delivery.event_id)
        .values(delivered_at=now, attempts=delivery.attempts + 1, last_error=None)
    )
    await conn.execute(
        update(webhook_endpoints)
        .where(e.id == delivery.endpoint_id)
        .values(last_success_at=now, failing_since=None)
    )


async def mark_failed(
    conn: AsyncConnection, delivery: Delivery, now: datetime, retry_at: datetime, error: str
) -> datetime:
    """Postpone the row; start (or continue) the endpoint's failure streak; returns when it began."""
    o, e = webhook_outbox.c, webhook_endpoints.c
    await conn.execute(
        update(webhook_outbox)
        .where(o.endpoint_id == delivery.endpoint_id, o.event_id == delivery.event_id)
        .values(attempts=delivery.attempts + 1, next_attempt_at=retry_at, last_error=error[:500])
    )
    statement = (
        update(webhook_endpoints)
        .where(e.id == delivery.endpoint_id)
        .values(
            last_error=error[:500],
            last_failure_at=now,
            failing_since=func.coalesce(e.failing_since, now),
        )
        .returning(e.failing_since)
    )
    failing_since: datetime = (await conn.execute(statement)).scalar_one()
    return failing_since


async def disable(conn: AsyncConnection, endpoint_id: str, now: datetime) -> None:
    """Switched off by the deliverer after a day of failures; the last error stays visible."""
    await conn.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.status == "active")
        .values(status="disabled", disabled_at=now)
    )


async def outbox_rows(conn: AsyncConnection, endpoint_id: str) -> list[dict[str, Any]]:
    """An endpoint's deliveries, for its admin view and for tests."""
    o = webhook_outbox.c
    query = select(webhook_outbox).where(o.endpoint_id == endpoint_id).order_by(o.created_at, o.event_id)
    return [dict(r) for r in (await conn.execute(query)).mappings()]
