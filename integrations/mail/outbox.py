"""Delivers the notification outbox by e-mail, beside the workflows.

Workflows only record that a notification is owed (a fast insert keyed by ticket, event and kind);
this loop composes and sends it, retrying with backoff while the mail server is away, and marks it
sent. A ticket's own flow never waits for SMTP, and nothing is sent twice: Message-IDs are
deterministic, so even a crash between sending and marking yields a duplicate receivers drop.

Every row ends in exactly one of three ways: `sent_at` (mails went out), `skipped_at` with
`skip_reason` (the event owed nobody a mail, and the renderer said why; or the event is not the one
in the timeline, see `MailOutbox._deliver`), or `failed_at` with `last_error` (the mail server refused
for good, or no renderer knows the kind: a bug to fix). A row may also vanish unsent: a projection
withdraws the rows of a lost workflow task's events (store/outbox_repair.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.mail_threading import TICKET_SOURCE
from infra.log import get_logger
from integrations.mail.composer import NoRenderer, compose
from integrations.mail.links import LinkMaker
from integrations.mail.occasion import Composed, Notification
from integrations.mail.smtp import MailRejectedError, MailRetryableError, MailSettings, send
from integrations.mail.templates import KbSuggestion
from store.tables import escalation_events, notifications, ticket_events, users

log = get_logger(__name__)
MAX_BACKOFF = timedelta(minutes=10)
# (ticket id, source, seq, kind): the outbox row's primary key.
OutboxKey = tuple[int, str, int, str]


class MailOutbox:
    def __init__(
        self, engine: AsyncEngine, settings: MailSettings, public_base_url: str, link_key: bytes
    ) -> None:
        """`link_key` signs the one-click links (infra.settings.link_key: LINK_SIGNING_KEY)."""
        self._engine = engine
        self._settings = settings
        self._base_url = public_base_url
        self._link_key = link_key

    async def run(self, stop: asyncio.Event, interval: float = 1.0, batch: int = 50) -> None:
        """Deliver until `stop` is set; one failing row never blocks the others.

        A full batch means more is owed (a breach storm queues thousands at once): the next batch
        goes at once instead of after `interval`, which would cap delivery at `batch` mails a second.
        """
        while not stop.is_set():
            full = False
            try:
                handled, _ = await self._deliver_batch(batch)
                full = handled == batch
            except Exception as exc:  # the database may be down: try again next round
                log.warning("mail outbox round failed", error=str(exc))
            if full:
                await asyncio.sleep(0)  # let `stop` and other tasks in between batches
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    async def deliver_due(self, limit: int = 50) -> int:
        """Send what is owed and due now; returns how many notifications were delivered."""
        _, delivered = await self._deliver_batch(limit)
        return delivered

    async def deliver_all_due(self, batch: int = 50) -> int:
        """Deliver until nothing due is left; returns how many were sent. A batch whose rows were all
        skipped or postponed still means more may be owed behind it (unlike `deliver_due`'s count)."""
        sent = 0
        while True:
            handled, delivered = await self._deliver_batch(batch)
            sent += delivered
            if handled < batch:
                return sent

    async def _deliver_batch(self, limit: int) -> tuple[int, int]:
        """Up to `limit` owed rows: how many were handled (sent, skipped, failed or postponed) and sent."""
        rows = await self._due(limit)
        delivered = 0
        for row in rows:
            delivered += await self._deliver(dict(row))
        return len(rows), delivered

    async def _due(self, limit: int) -> list[Any]:
        now = datetime.now(UTC)
        async with self._engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(notifications)
                        .where(
                            notifications.c.sent_at.is_(None),
                            notifications.c.failed_at.is_(None),
                            notifications.c.skipped_at.is_(None),
                        )
                        .where(
                            or_(
                                notifications.c.next_attempt_at.is_(None),
                                notifications.c.next_attempt_at <= now,
                            )
                        )
                        .order_by(notifications.c.created_at)
                        .limit(limit)
                    )
                )
                .mappings()
                .all()
            )
        return list(rows)

    async def _deliver(self, row: dict[str, Any]) -> int:
        """Send one row, if it is still owed and its event is still the one Temporal recorded.

        The rule (the outbox's side of "Postgres never shows an event Temporal did not record"): a
        row is sent only while its event is in the timeline (`ticket_events`, or `escalation_events`
        for an escalation's rows) under the row's seq, of the row's kind and with the row's data (the
        row carries the event's data, plus `actor_id` when the projection wrote it). A row whose event
        was rewritten or dropped (a workflow task projected it and was lost, and its retry numbered
        the events differently) is skipped with that reason, never sent.

        Checked under the row's lock, in the transaction that marks it: a projection withdrawing the
        row (store/outbox_repair.py) either went first (the row is gone, nothing to do) or waits for
        the mark. What no check can undo: a row sent while the lost task's event was still in the
        timeline, before the retried task's projection replaced it.
        """
        key: OutboxKey = (row["ticket_id"], row["source"], row["seq"], row["kind"])
        async with self._engine.begin() as conn:
            owed = (await conn.execute(_still_owed(key))).mappings().first()
            if owed is None:  # withdrawn by a projection, or done meanwhile
                return 0
            if not owed["recorded"]:
                reason = f"event {key[2]} is not {key[3]!r} in the timeline: a lost workflow task's"
                await _mark(conn, key, skipped_at=datetime.now(UTC), skip_reason=reason)
                log.warning("notification of an unrecorded event", ticket_id=key[0], kind=key[3], seq=key[2])
                return 0
            return await self._send(conn, key, dict(owed))

    async def _send(self, conn: AsyncConnection, key: OutboxKey, row: dict[str, Any]) -> int:
        try:
            composed = await self._compose(conn, row)
        except NoRenderer as exc:
            await _mark(conn, key, failed_at=datetime.now(UTC), last_error=str(exc)[:500])
            log.error("notification kind has no renderer", ticket_id=key[0], kind=key[3], source=key[1])
            return 0
        if not composed.mails:
            await _mark(conn, key, skipped_at=datetime.now(UTC), skip_reason=composed.reason[:500])
            log.info("notification owes no mail", ticket_id=key[0], kind=key[3], reason=composed.reason)
            return 0
        try:
            for mail in composed.mails:
                await send(mail, self._settings)
        except MailRetryableError as exc:
            await _postpone(conn, key, row["attempts"] + 1, str(exc))
            return 0
        except MailRejectedError as exc:
            await _mark(conn, key, failed_at=datetime.now(UTC), last_error=str(exc)[:500])
            log.warning(
                "notification refused by the mail server", ticket_id=key[0], kind=key[3], error=str(exc)
            )
            return 0
        await _mark(conn, key, sent_at=datetime.now(UTC), attempts=row["attempts"] + 1)
        return 1

    async def _compose(self, conn: AsyncConnection, row: dict[str, Any]) -> Composed:
        links = LinkMaker(self._base_url, self._link_key, datetime.now(UTC))
        data = await _with_names(conn, row["data"])
        note = Notification(row["ticket_id"], row["source"], row["seq"], row["kind"], data)
        suggestions = await _suggestions(conn, row["kind"], data)
        return await compose(conn, self._settings, links, note, suggestions)


def _key_is(key: OutboxKey) -> ColumnElement[bool]:
    ticket_id, source, seq, kind = key
    n = notifications.c
    return and_(n.ticket_id == ticket_id, n.source == source, n.seq == seq, n.kind == kind)


def _still_owed(key: OutboxKey) -> Select[Any]:
    """The row, locked, if nothing has been done with it yet, with `recorded`: whether its event is
    in the timeline under its seq, of its kind and with its data (MailOutbox._deliver's rule)."""
    n = notifications.c
    events, owner = (
        (ticket_events, ticket_events.c.ticket_id == n.ticket_id)
        if key[1] == TICKET_SOURCE
        else (escalation_events, escalation_events.c.escalation_id == n.source)
    )
    e = events.c
    with_actor = e.data.op("||", return_type=JSONB)(
        func.jsonb_build_object("actor_id", e.actor_id, type_=JSONB)
    )
    recorded = (
        select(literal(1))
        .select_from(events)
        .where(owner, e.seq == n.seq, e.type == n.kind, or_(n.data == e.data, n.data == with_actor))
        .exists()
    )
    return (
        select(notifications, recorded.label("recorded"))
        .where(_key_is(key), n.sent_at.is_(None), n.failed_at.is_(None), n.skipped_at.is_(None))
        .with_for_update(of=notifications)
    )


async def _postpone(conn: AsyncConnection, key: OutboxKey, attempts: int, error: str) -> None:
    delay = min(MAX_BACKOFF, timedelta(seconds=2 ** min(attempts, 10)))
    retry_at = datetime.now(UTC) + delay
    await _mark(conn, key, attempts=attempts, next_attempt_at=retry_at, last_error=error[:500])


async def _mark(conn: AsyncConnection, key: OutboxKey, **values: Any) -> None:
    await conn.execute(update(notifications).where(_key_is(key)).values(**values))


async def _with_names(conn: AsyncConnection, data: dict[str, Any]) -> dict[str, Any]:
    """The event's data plus `actor_name`: who replied or assigned, as readers know them."""
    actor = data.get("actor_id")
    if not actor:
        return data
    name = (await conn.execute(select(users.c.name).where(users.c.id == actor))).scalar()
    return {**data, "actor_name": name} if name else data


async def _suggestions(conn: AsyncConnection, kind: str, data: dict[str, Any]) -> list[KbSuggestion]:
    """Up to three knowledge-base articles for a new ticket's acknowledgement (none without a KB)."""
    subject = str(data.get("subject", ""))
    if kind != "ticket_created" or len(subject) < 2:
        return []
    try:
        from store.kb import suggest
    except ImportError:
        return []
    found = await suggest(conn, subject[:200], None, None, 3)
    return [KbSuggestion(title=a["title"], url=a["url"]) for a in found]
