"""Delivers the webhook outbox: signed POSTs, retried with backoff, an endpoint disabled after a day failing.

One loop per deployment (it runs in the mailer process, beside the mail outbox). Rows are claimed with
a lease (SKIP LOCKED), so even a second deliverer by mistake would not send a row twice at once; a
crash between sending and marking re-sends after the lease, with the same `Escalator-Event-Id`, which
receivers use to drop the duplicate. Endpoints are served concurrently, each one's rows in order, so
one slow receiver does not hold up the others. Time comes from `clock`, so tests can live through a
day of failures without waiting for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import groupby

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.webhooks.retry import next_attempt, should_disable
from domain.webhooks.signature import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, sign
from infra.log import get_logger
from integrations.webhooks.settings import WebhookSettings
from integrations.webhooks.url_policy import UrlRefused, check_url
from store import webhooks
from store.webhooks import CLAIM_LEASE_SECONDS, Delivery

log = get_logger(__name__)
USER_AGENT = "Escalator-Webhooks/1"


def utc_now() -> datetime:
    return datetime.now(UTC)


class WebhookDeliverer:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: WebhookSettings,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._clock = clock

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Deliver until `stop` is set; a failing round (database away) is retried next round."""
        async with self._client() as client:
            while not stop.is_set():
                try:
                    await self.deliver_due(client)
                except Exception as exc:
                    log.warning("webhook round failed", error=str(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval)

    def _client(self) -> httpx.AsyncClient:
        """No redirects: a 30x could point into the private network the URL check keeps us out of."""
        context = ssl.create_default_context()
        if self._settings.ca_file:
            context.load_verify_locations(self._settings.ca_file)
        return httpx.AsyncClient(
            verify=context,
            timeout=self._settings.timeout_seconds,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )

    async def deliver_due(self, client: httpx.AsyncClient | None = None) -> int:
        """One round: claim what is due, send it; returns how many deliveries succeeded."""
        if client is None:
            async with self._client() as own:
                return await self.deliver_due(own)
        now = self._clock()
        lease = now + timedelta(seconds=CLAIM_LEASE_SECONDS)
        async with self._engine.begin() as conn:
            claimed = await webhooks.claim_due(conn, now, lease, self._settings.batch_size)
        by_endpoint = [list(rows) for _, rows in groupby(claimed, key=lambda d: d.endpoint_id)]
        results = await asyncio.gather(*(self._deliver_in_order(client, rows) for rows in by_endpoint))
        return sum(results)

    async def _deliver_in_order(self, client: httpx.AsyncClient, rows: list[Delivery]) -> int:
        delivered = 0
        for delivery in rows:
            delivered += await self._deliver(client, delivery)
        return delivered

    async def _deliver(self, client: httpx.AsyncClient, delivery: Delivery) -> int:
        error = await self._send(client, delivery)
        now = self._clock()
        async with self._engine.begin() as conn:
            if error is None:
                await webhooks.mark_delivered(conn, delivery, now)
                return 1
            retry_at = next_attempt(delivery.attempts + 1, now)
            failing_since = await webhooks.mark_failed(conn, delivery, now, retry_at, error)
            if should_disable(failing_since, now):
                await webhooks.disable(conn, delivery.endpoint_id, now)
                log.warning("webhook endpoint disabled", endpoint_id=delivery.endpoint_id, error=error)
        return 0

    async def _send(self, client: httpx.AsyncClient, delivery: Delivery) -> str | None:
        """None when the receiver accepted it (2xx), else what went wrong, for the endpoint's status."""
        try:
            await check_url(delivery.url, self._settings.allow_private)
        except UrlRefused as exc:
            return str(exc)
        body = orjson.dumps(delivery.payload)
        timestamp = int(self._clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            EVENT_ID_HEADER: delivery.event_id,
            EVENT_TYPE_HEADER: delivery.event_type,
            SIGNATURE_HEADER: sign(delivery.secret, timestamp, body),
        }
        try:
            response = await client.post(delivery.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"
