"""An escalation test bed: the API served over real HTTP (JIRA's webhooks must reach it), a worker
with JIRA configured, and the JIRA-compatible test server sending signed webhooks to the API."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
import uvicorn
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.app import create_app
from infra.settings import Settings
from integrations.jira.settings import JiraSettings
from tests.jira_server import JiraServer
from tests.support.identities import Org, make_org, make_staff
from tests.support.ports import free_port

WEBHOOK_SECRET = "escalation-webhook-secret"


@dataclass
class Bed:
    api: str
    http: httpx.AsyncClient
    jira: JiraServer
    settings: Settings
    jira_settings: JiraSettings


@pytest.fixture(scope="session")
def api_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def jira_site(api_port: int) -> Iterator[JiraServer]:
    server = JiraServer(
        webhook_url=f"http://127.0.0.1:{api_port}/v1/webhooks/jira", webhook_secret=WEBHOOK_SECRET
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def jira_settings(jira_site: JiraServer) -> JiraSettings:
    return JiraSettings(
        base_url=jira_site.base_url,
        email=jira_site.email,
        api_token=SecretStr(jira_site.api_token),
        webhook_secret=SecretStr(WEBHOOK_SECRET),
        project="ESC",
        issue_type="Task",
        timeout_seconds=3,
    )


@pytest_asyncio.fixture(scope="session")
async def bed(
    settings: Settings, engine: AsyncEngine, client: Client, jira_site: JiraServer, jira_settings: JiraSettings,
    api_port: int,
) -> AsyncIterator[Bed]:  # fmt: skip
    from entrypoints.worker import build_worker

    esc_settings = settings.model_copy(
        update={
            "temporal_task_queue": f"escalations-{uuid.uuid4().hex[:6]}",
            "escalation_reconcile_seconds": 2,
            "public_base_url": f"http://127.0.0.1:{api_port}",
        }
    )
    app = create_app(esc_settings, engine=engine, temporal=client, jira=jira_settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=api_port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{api_port}"
    async with (
        build_worker(client, esc_settings, jira_settings),
        httpx.AsyncClient(base_url=base, timeout=20) as http,
    ):
        yield Bed(base, http, jira_site, esc_settings, jira_settings)
    server.should_exit = True
    await serving


@pytest.fixture
def site(bed: Bed) -> Iterator[JiraServer]:
    bed.jira.reset()
    bed.jira.search_lag = 0.0
    bed.jira.configure_webhooks(
        url=f"{bed.api}/v1/webhooks/jira", secret=WEBHOOK_SECRET, max_retries=2, retry_delay=0.05,
        emit_for_api_changes=True, events={"jira:issue_updated", "comment_created"},
    )  # fmt: skip
    yield bed.jira
    assert [str(v) for v in bed.jira.contract_violations] == []


@pytest_asyncio.fixture
async def org(engine: AsyncEngine) -> Org:
    return await make_org(engine, roles=("customer", "org_admin"))


@pytest_asyncio.fixture(scope="session")
async def staff(engine: AsyncEngine) -> Org:
    return await make_staff(engine)
