"""The mail process: delivers the notification outbox by e-mail (`python -m entrypoints.mailer`).

Why a process of its own: composing a notification (names, knowledge-base suggestions) and talking
SMTP took about 7 % of the worker's CPU and shared its GIL with workflow tasks and SLA timers, which
made breaches fire later under load (BENCHMARKS.md). And the outbox must have exactly one deliverer,
while workers are what one scales out. The worker still delivers when WORKER_SENDS_MAIL is true
(its default, for a single-process setup); `make dev` and docker-compose run this process instead.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from entrypoints.webhook_delivery import start_webhook_delivery
from infra.log import configure_logging, get_logger
from infra.settings import get_settings, link_key
from integrations.mail.outbox import MailOutbox
from integrations.mail.smtp import MailSettings
from store.db import create_engine

log = get_logger(__name__)


async def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    if not os.environ.get("SMTP_HOST"):
        log.error("SMTP_HOST is not set: there is no mail server to deliver to")
        raise SystemExit(2)
    if settings.link_signing_key is None:
        log.error("LINK_SIGNING_KEY is not set: mails that ask something could carry no signed links")
        raise SystemExit(2)
    engine = create_engine(settings.database_url, pool_size=2)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("mailer started", smtp_host=os.environ["SMTP_HOST"])
    webhooks = start_webhook_delivery(settings, stop)
    try:
        outbox = MailOutbox(engine, MailSettings(), settings.public_base_url, link_key(settings))
        await outbox.run(stop)
    finally:
        await engine.dispose()
        await webhooks
    log.info("mailer stopped")


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    sys.stderr.flush()
