"""Read queries over escalations, and the card → escalation index webhooks route by."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Select, delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from store.keyset import keyset
from store.scope import Scope, ticket_of_row_visible, ticket_visible
from store.tables import escalation_cards, escalation_events, escalations, tickets, webhook_deliveries


async def next_escalation_id(conn: AsyncConnection) -> str:
    number = int((await conn.execute(text("SELECT nextval('escalation_number_seq')"))).scalar_one())
    return f"CP-{number}"


def _visible_escalations(scope: Scope) -> Select[Any]:
    """Escalations whose ticket the scope admits: whoever sees a ticket sees its escalations."""
    return (
        select(escalations.c.snapshot)
        .select_from(escalations.join(tickets, tickets.c.id == escalations.c.ticket_id))
        .where(ticket_visible(scope))
    )


async def get_escalation(conn: AsyncConnection, scope: Scope, escalation_id: str) -> dict[str, Any] | None:
    """The escalation's snapshot, or None when it does not exist or its ticket is out of scope."""
    row = (await conn.execute(_visible_escalations(scope).where(escalations.c.id == escalation_id))).first()
    return dict(row.snapshot) if row else None


async def escalation_timeline(
    conn: AsyncConnection, scope: Scope, escalation_id: str
) -> list[dict[str, Any]]:
    owner = select(escalations.c.ticket_id).where(escalations.c.id == escalation_id).scalar_subquery()
    query = (
        select(escalation_events)
        .where(escalation_events.c.escalation_id == escalation_id, ticket_of_row_visible(scope, owner))
        .order_by(escalation_events.c.seq)
    )
    return [dict(r) for r in (await conn.execute(query)).mappings()]


def _listing(
    scope: Scope, stage: str | None, org_id: str | None, card: str | None, limit: int, after: Any
) -> Select[Any]:
    """Newest first: the scope joins the tickets, the filters narrow it; `after` is the
    (created_at, id) of the last row of the previous page."""
    listing = _visible_escalations(scope).add_columns(escalations.c.created_at, escalations.c.id)
    sort_key = (escalations.c.created_at, escalations.c.id)
    query = keyset(listing, sort_key, after, limit, descending=True)
    if stage:
        query = query.where(escalations.c.stage == stage)
    if org_id:
        query = query.where(escalations.c.org_id == org_id)
    if card:
        linked = select(escalation_cards.c.escalation_id).where(escalation_cards.c.card_key == card.upper())
        query = query.where(escalations.c.id.in_(linked))
    return query


async def list_escalations(
    conn: AsyncConnection,
    scope: Scope,
    stage: str | None,
    org_id: str | None,
    card: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Newest first, in one query."""
    rows = await conn.execute(_listing(scope, stage, org_id, card, limit, None))
    return [dict(r.snapshot) for r in rows]


async def page_escalations(
    conn: AsyncConnection,
    scope: Scope,
    stage: str | None,
    org_id: str | None,
    card: str | None,
    limit: int,
    after: tuple[Any, ...] | None,
) -> list[tuple[dict[str, Any], tuple[Any, ...]]]:
    """A page of the same list: each snapshot with its sort key (from the columns, not the snapshot)."""
    rows = await conn.execute(_listing(scope, stage, org_id, card, limit, after))
    return [(dict(r.snapshot), (r.created_at, r.id)) for r in rows]


async def escalations_for_card(conn: AsyncConnection, card_key: str) -> list[str]:
    """Active escalations a card is linked to (several escalations may share one card)."""
    query = select(escalation_cards.c.escalation_id).where(
        escalation_cards.c.card_key == card_key.upper(), escalation_cards.c.active.is_(True)
    )
    return list((await conn.execute(query)).scalars())


def delivery_key(body: bytes) -> str:
    """What makes a webhook delivery the same one: its signed body (Jira's retries and duplicates
    resend the same bytes). Not `X-Atlassian-Webhook-Identifier`: no signature covers that header, so
    a captured body replayed under a fresh identifier would pass, and a forged identifier could mask
    a real delivery."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


async def claim_delivery(conn: AsyncConnection, key: str) -> bool:
    """Insert first: True for the one request that recorded `key`, False for every concurrent or later
    copy (the primary key decides, so two copies arriving together cannot both pass a seen-check)."""
    claimed = await conn.execute(
        insert(webhook_deliveries)
        .values(identifier=key)
        .on_conflict_do_nothing()
        .returning(webhook_deliveries.c.identifier)
    )
    return claimed.first() is not None


async def release_delivery(conn: AsyncConnection, key: str) -> None:
    """Forget a claim whose routing failed, so Jira's redelivery is handled rather than dropped."""
    await conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.identifier == key))
