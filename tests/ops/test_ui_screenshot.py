"""The Temporal UI as an ops console: tickets listed by a search attribute, seen by a real browser.

Uses Debian's headless Chromium (`make test` installs it on Debian-based machines); skipped with a
clear reason only where Chromium is absent. `UPDATE_SCREENSHOT=1` refreshes docs/temporal-ui-tickets.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import urllib.parse
import uuid
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from infra.binaries import temporal_cli
from infra.settings import Settings
from tests.support.ports import free_port
from tests.support.tickets import start_ticket
from workflows.search_attributes import ALL_KEYS
from workflows.ticket import TicketWorkflow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DOCS = Path(__file__).resolve().parents[2] / "docs"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",
    "--window-size=1400,900",
]


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=90,
        )


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
async def test_ui_lists_open_tickets_by_search_attribute(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    from entrypoints.worker import build_worker

    ui_port = free_port()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(), search_attributes=ALL_KEYS, ui=True, ui_port=ui_port
    )
    try:
        queue = f"ui-{uuid.uuid4().hex[:6]}"
        async with build_worker(env.client, settings.model_copy(update={"temporal_task_queue": queue})):
            handles = []
            for subject in ("Checkout down for all stores", "Invoice PDF shows wrong tax"):
                handle, _ = await start_ticket(env.client, engine, queue, subject=subject, severity=1)
                await handle.execute_update(TicketWorkflow.opened)
                handles.append(handle)
            query = urllib.parse.quote("TicketStatus='open'")
            url = f"http://localhost:{ui_port}/namespaces/default/workflows?query={query}"
            dom = chromium("--dump-dom", url)
            assert all(h.id in dom.stdout for h in handles), dom.stdout[-2000:]
            shot = tmp_path / "ui.png"
            chromium(f"--screenshot={shot}", url)
            assert shot.exists() and shot.stat().st_size > 10_000
            if os.environ.get("UPDATE_SCREENSHOT") == "1":
                DOCS.mkdir(exist_ok=True)
                shutil.copy(shot, DOCS / "temporal-ui-tickets.png")
    finally:
        await env.shutdown()
