"""Delivers the notification outbox by e-mail, beside the workflows.

Workflows only record that a notification is owed (a fast insert keyed by ticket, event and kind);
this loop composes and sends it, retrying with backoff while the mail server is away, and marks it
sent. A ticket's own flow never waits for SMTP, and nothing is sent twice: Message-IDs are
deterministic, so even a crash between sending and marking yields a duplicate receivers drop.

Every row ends in exactly one of three ways: `sent_at` (mails went out), `skipped_at` with
`skip_reason` (the event owed nobody a mail, and the renderer said why), or `failed_at` with
`last_error` (the mail server refused for good, or no renderer knows the kind: a bug to fix).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from infra.log import get_logger
from integrations.mail.composer import NoRenderer, compose
from integrations.mail.links import LinkMaker
from integrations.mail.occasion import Composed, Notification
from integrations.mail.smtp import MailRejectedError, MailRetryableError, MailSettings, send
from integrations.mail.templates import KbSuggestion
from store.tables import notifications, users

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
        key: OutboxKey = (row["ticket_id"], row["source"], row["seq"], row["kind"])
        try:
            composed = await self._compose(row)
        except NoRenderer as exc:
            await self._mark(key, failed_at=datetime.now(UTC), last_error=str(exc)[:500])
            log.error("notification kind has no renderer", ticket_id=key[0], kind=key[3], source=key[1])
            return 0
        if not composed.mails:
            await self._mark(key, skipped_at=datetime.now(UTC), skip_reason=composed.reason[:500])
            log.info("notification owes no mail", ticket_id=key[0], kind=key[3], reason=composed.reason)
            return 0
        try:
            for mail in composed.mails:
                await send(mail, self._settings)
        except MailRetryableError as exc:
            await self._postpone(key, row["attempts"] + 1, str(exc))
            return 0
        except MailRejectedError as exc:
            await self._mark(key, failed_at=datetime.now(UTC), last_error=str(exc)[:500])
            log.warning(
                "notification refused by the mail server", ticket_id=key[0], kind=key[3], error=str(exc)
            )
            return 0
        await self._mark(key, sent_at=datetime.now(UTC), attempts=row["attempts"] + 1)
        return 1

    async def _compose(self, row: dict[str, Any]) -> Composed:
        links = LinkMaker(self._base_url, self._link_key, datetime.now(UTC))
        async with self._engine.connect() as conn:
            data = await _with_names(conn, row["data"])
            note = Notification(row["ticket_id"], row["source"], row["seq"], row["kind"], data)
            suggestions = await _suggestions(conn, row["kind"], data)
            return await compose(conn, self._settings, links, note, suggestions)

    async def _postpone(self, key: OutboxKey, attempts: int, error: str) -> None:
        delay = min(MAX_BACKOFF, timedelta(seconds=2 ** min(attempts, 10)))
        await self._mark(
            key, attempts=attempts, next_attempt_at=datetime.now(UTC) + delay, last_error=error[:500]
        )

    async def _mark(self, key: OutboxKey, **values: Any) -> None:
        ticket_id, source, seq, kind = key
        async with self._engine.begin() as conn:
            await conn.execute(
                update(notifications)
                .where(
                    notifications.c.ticket_id == ticket_id,
                    notifications.c.source == source,
                    notifications.c.seq == seq,
                    notifications.c.kind == kind,
                )
                .values(**values)
            )


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
