"""Where the webhook deliverer runs: beside the mail outbox, so a deployment has exactly one of each.

`entrypoints/mailer.py` runs it (make dev, docker-compose: WORKER_SENDS_MAIL=false); otherwise the
worker does, as it does the mail. Unlike mail it needs no SMTP server, so it runs even without one.
"""

from __future__ import annotations

import asyncio

from infra.log import get_logger
from infra.settings import Settings
from integrations.webhooks.deliverer import WebhookDeliverer
from integrations.webhooks.settings import WebhookSettings
from store.db import create_engine

log = get_logger(__name__)


def start_webhook_delivery(settings: Settings, stop: asyncio.Event) -> asyncio.Task[None]:
    """The delivery loop as a task that ends when `stop` is set (and disposes of its own pool)."""
    engine = create_engine(settings.database_url, pool_size=2)
    deliverer = WebhookDeliverer(engine, WebhookSettings())

    async def deliver() -> None:
        try:
            await deliverer.run(stop)
        finally:
            await engine.dispose()

    log.info("webhook deliverer started")
    return asyncio.create_task(deliver())
