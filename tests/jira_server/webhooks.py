"""Delivery of signed webhooks to the configured URL, with Jira's retry policy and test-controlled mishaps.

Headers as Jira sends them: `X-Atlassian-Webhook-Identifier` (stable across retries and duplicates),
`X-Atlassian-Webhook-Flow: Primary`, `X-Atlassian-Webhook-Retry: n` on redeliveries, and
`X-Hub-Signature: sha256=<hex HMAC of the raw body>` when a secret is configured. Redelivery happens
on 408/409/425/429/5xx, timeouts and connection failures (contract §7.6), `max_retries` times.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from domain.webhook_signature import sign

REDELIVER_STATUSES = frozenset({408, 409, 425, 429})


class Delivery(StrEnum):
    NORMAL = "normal"
    LOST = "lost"  # never sent (Jira gave up, or the network ate it)
    DUPLICATE = "duplicate"  # sent twice with the same identifier
    LATE = "late"  # sent after `delay` seconds, so later events can overtake it


@dataclass
class WebhookConfig:
    url: str | None = None
    secret: str | None = None
    max_retries: int = 2
    retry_delay: float = 0.2
    timeout: float = 5.0
    events: set[str] = field(default_factory=lambda: {"jira:issue_updated", "comment_created"})
    emit_for_api_changes: bool = True


@dataclass
class WebhookDispatch:
    """One webhook event and what became of it; `attempts` lists response codes or error names."""

    identifier: str
    event: str
    payload: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    delivery: Delivery
    url: str | None
    attempts: list[str] = field(default_factory=list)
    future: concurrent.futures.Future[list[str]] = field(default_factory=concurrent.futures.Future)

    def wait(self, seconds: float = 10.0) -> list[str]:
        """Block until delivery finished (from a thread that is not the server's loop)."""
        return self.future.result(seconds)

    async def delivered(self, seconds: float = 10.0) -> list[str]:
        """Await the end of delivery from any event loop."""
        return await asyncio.wait_for(asyncio.wrap_future(self.future), seconds)

    def summary(self) -> dict[str, Any]:
        return {"identifier": self.identifier, "event": self.event, "delivery": self.delivery.value,
                "url": self.url, "attempts": list(self.attempts), "headers": self.headers,
                "payload": self.payload}  # fmt: skip


class WebhookSender:
    """Builds, signs and delivers webhooks on the server's event loop."""

    def __init__(self, config: WebhookConfig, loop: Callable[[], asyncio.AbstractEventLoop | None]) -> None:
        self.config = config
        self._loop = loop
        self._lock = threading.Lock()
        self._dispatches: list[WebhookDispatch] = []
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.config.timeout, trust_env=False)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    @property
    def dispatches(self) -> list[WebhookDispatch]:
        with self._lock:
            return list(self._dispatches)

    def clear(self) -> None:
        with self._lock:
            self._dispatches.clear()

    def send(
        self, payload: dict[str, Any], delivery: Delivery = Delivery.NORMAL, delay: float = 0.0
    ) -> WebhookDispatch:
        """Sign and schedule `payload`; returns at once, the dispatch's future completes after delivery."""
        dispatch = self._build(payload, Delivery(delivery))
        with self._lock:
            self._dispatches.append(dispatch)
        loop = self._loop()
        if dispatch.url is None or dispatch.delivery is Delivery.LOST or loop is None:
            dispatch.future.set_result([])
            return dispatch
        scheduled = asyncio.run_coroutine_threadsafe(self._deliver(dispatch, delay), loop)
        scheduled.add_done_callback(lambda done: _copy_outcome(done, dispatch))
        return dispatch

    def wants(self, event: str) -> bool:
        return event in self.config.events

    def _build(self, payload: dict[str, Any], delivery: Delivery) -> WebhookDispatch:
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Atlassian Webhook HTTP Client",
            "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
            "X-Atlassian-Webhook-Flow": "Primary",
        }
        if self.config.secret:
            headers["X-Hub-Signature"] = sign(self.config.secret, body)
        return WebhookDispatch(
            identifier=headers["X-Atlassian-Webhook-Identifier"],
            event=str(payload.get("webhookEvent")),
            payload=payload,
            body=body,
            headers=headers,
            delivery=delivery,
            url=self.config.url,
        )

    async def _deliver(self, dispatch: WebhookDispatch, delay: float) -> list[str]:
        if dispatch.delivery is Delivery.LATE and delay > 0:
            await asyncio.sleep(delay)
        await self._deliver_with_retries(dispatch)
        if dispatch.delivery is Delivery.DUPLICATE:
            await self._post(dispatch, retry=1)
        return list(dispatch.attempts)

    async def _deliver_with_retries(self, dispatch: WebhookDispatch) -> None:
        for attempt in range(self.config.max_retries + 1):
            if attempt:
                await asyncio.sleep(self.config.retry_delay * attempt)
            if await self._post(dispatch, retry=attempt):
                return

    async def _post(self, dispatch: WebhookDispatch, retry: int) -> bool:
        """One POST; True if the receiver accepted it (no redelivery needed)."""
        assert self._client is not None and dispatch.url is not None
        headers = dict(dispatch.headers)
        if retry:
            headers["X-Atlassian-Webhook-Retry"] = str(retry)
        try:
            response = await self._client.post(dispatch.url, content=dispatch.body, headers=headers)
        except httpx.HTTPError as error:
            dispatch.attempts.append(type(error).__name__)
            return False
        dispatch.attempts.append(str(response.status_code))
        return not (response.status_code >= 500 or response.status_code in REDELIVER_STATUSES)


def _copy_outcome(done: concurrent.futures.Future[list[str]], dispatch: WebhookDispatch) -> None:
    if dispatch.future.done():
        return
    error = done.exception()
    if error is not None:
        dispatch.future.set_exception(error)
    else:
        dispatch.future.set_result(done.result())
