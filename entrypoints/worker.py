"""The worker process: runs ticket and escalation workflows and their activities.

`python worker.py` (or `python -m entrypoints.worker`), settings from the environment (infra/settings.py).
"""

from __future__ import annotations

import asyncio
import compileall
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from entrypoints.registry import WORKFLOWS, activities_for, sandbox_runner
from entrypoints.webhook_delivery import start_webhook_delivery
from infra.log import configure_logging, get_logger
from infra.settings import Settings, get_settings, link_key
from infra.worker_telemetry import connect_with_telemetry
from integrations.jira.cards import load_jira_settings
from integrations.jira.settings import JiraSettings
from integrations.mail.outbox import MailOutbox
from integrations.mail.smtp import MailSettings
from store.db import create_engine

log = get_logger(__name__)


def build_worker(client: Client, settings: Settings, jira: JiraSettings | None = None) -> Worker:
    """A worker sized for a small machine; tests build theirs the same way."""
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=list(WORKFLOWS),
        activities=activities_for(engine, jira),
        workflow_runner=sandbox_runner(checked=settings.worker_checked_sandbox),
        **worker_tuning(settings),
    )


def worker_tuning(settings: Settings) -> dict[str, Any]:
    """Cache and slot sizes from the settings; the benchmarks' bare worker uses the same ones, so
    that a baseline differs from Escalator only in the work it does."""
    return {
        "max_cached_workflows": settings.worker_max_cached_workflows,
        "max_concurrent_workflow_tasks": settings.worker_max_workflow_tasks,
        "max_concurrent_activities": settings.worker_max_activities,
        "max_concurrent_local_activities": settings.worker_max_local_activities,
        "graceful_shutdown_timeout": timedelta(seconds=10),
    }


def mail_outbox(settings: Settings) -> MailOutbox | None:
    """E-mail delivery runs beside the worker when an SMTP server is configured (SMTP_HOST), unless
    WORKER_SENDS_MAIL=false hands it to `entrypoints/mailer.py` (as `make dev` and docker-compose do)."""
    if not settings.worker_sends_mail:
        log.info("WORKER_SENDS_MAIL=false: entrypoints.mailer delivers the outbox")
        return None
    if not os.environ.get("SMTP_HOST"):
        log.info("SMTP_HOST not set: notifications are recorded but not e-mailed")
        return None
    key = link_key(settings)  # fails here, at start, when LINK_SIGNING_KEY is missing
    engine = create_engine(settings.database_url, pool_size=2)
    return MailOutbox(engine, MailSettings(), settings.public_base_url, key)


def write_bytecode() -> None:
    """Compile the project's modules once, so the sandbox's per-run imports read bytecode.

    The workflow sandbox re-imports a workflow's module for every new run and every replay after
    a cache eviction. Where PYTHONDONTWRITEBYTECODE is set (our Dockerfile, many CI and dev
    machines) nothing is ever cached, and each of those imports compiled the source again: half
    of the import's ~12 ms. A read-only tree (the image compiles at build time) is left as it is.
    """
    root = Path(__file__).resolve().parents[1]
    for package in ("workflows", "domain", "activities", "integrations", "store"):
        compileall.compile_dir(root / package, quiet=2)


async def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    write_bytecode()
    client = await connect_with_telemetry(settings)  # metrics endpoints, tracing; see worker_telemetry
    worker = build_worker(client, settings, load_jira_settings())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started", task_queue=settings.temporal_task_queue, address=settings.temporal_address)
    outbox = mail_outbox(settings)
    delivering = asyncio.create_task(outbox.run(stop)) if outbox else None
    webhooks = start_webhook_delivery(settings, stop) if settings.worker_sends_mail else None
    async with worker:
        await stop.wait()
        log.info("worker draining in-flight work")
    if delivering is not None:
        await delivering
    if webhooks is not None:
        await webhooks
    log.info("worker stopped")


def run() -> None:
    """Run until SIGINT/SIGTERM, then leave without the interpreter's finalisation."""
    asyncio.run(main())
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the SDK sometimes aborts during interpreter finalisation (sdk-python#300)


if __name__ == "__main__":
    run()
