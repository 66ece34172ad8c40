"""A database, a worker and a JIRA of its own, on the session's Postgres server and Temporal dev server.

Why: fuzzing writes whatever the schema allows (organisations, users, knowledge-base articles,
calendars, SLA policies, tickets); in the shared database that would change what other tests see.
A fresh database (migrated) with a worker on its own task queue keeps all of it apart; the imitation
JIRA lets card requests get JIRA's real answers instead of "no JIRA configured".
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.app import create_app
from infra.settings import Settings
from integrations.jira.settings import JiraSettings
from store.db import create_engine, normalise_url
from store.migrate import upgrade
from tests.jira_server import JiraServer
from tests.reliability.world import Side, build_side
from tests.support.identities import Org, make_staff


@dataclass
class Stack:
    settings: Settings
    jira: JiraSettings
    side: Side  # an organisation with a ticket, an escalation, an attachment, … (see world.build_side)
    staff: Org


async def _create_database(engine: AsyncEngine, name: str) -> None:
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f'CREATE DATABASE "{name}"'))


async def _move_sequences_apart(url: str) -> None:
    """Workflow ids are made of ticket and escalation numbers, and Temporal is shared: numbers from
    another range keep this database's workflows from meeting (and reusing) the shared database's."""
    offset = 10_000_000 + uuid.uuid4().int % 1_000_000 * 100
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"ALTER SEQUENCE ticket_id_seq RESTART WITH {offset}"))
            await conn.execute(text(f"ALTER SEQUENCE escalation_number_seq RESTART WITH {offset}"))
    finally:
        await engine.dispose()


async def _drop_database(engine: AsyncEngine, name: str) -> None:
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _jira_settings(site: JiraServer) -> JiraSettings:
    return JiraSettings(
        base_url=site.base_url,
        email=site.email,
        api_token=SecretStr(site.api_token),
        webhook_secret=SecretStr(f"fuzz-{uuid.uuid4().hex}"),
        timeout_seconds=3,
    )


async def _seed(settings: Settings, engine: AsyncEngine, client: Client, staff: Org) -> Side:
    """Real resources, made through an app on this loop, so fuzzed requests can name existing ids."""
    app = create_app(settings, engine=engine, temporal=client, jira=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://seed") as http:
        return await build_side(http, engine, staff)


@asynccontextmanager
async def isolated_stack(settings: Settings, engine: AsyncEngine, client: Client) -> AsyncIterator[Stack]:
    """Settings pointing at the new database and task queue (and at the session's Temporal server)."""
    from entrypoints.worker import build_worker

    name = f"fuzz_{uuid.uuid4().hex[:10]}"
    await _create_database(engine, name)
    url = make_url(normalise_url(settings.database_url)).set(database=name)
    database_url = url.render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, database_url)
    await _move_sequences_apart(database_url)
    own = settings.model_copy(
        update={
            "database_url": database_url,
            "temporal_task_queue": f"fuzz-{uuid.uuid4().hex[:8]}",
            "temporal_address": client.service_client.config.target_host,
            "database_pool_size": 4,
        }
    )
    seeding = create_engine(database_url, pool_size=2)
    site = JiraServer().start()
    jira = _jira_settings(site)
    try:
        async with build_worker(client, own, jira):
            staff = await make_staff(seeding)
            yield Stack(own, jira, await _seed(own, seeding, client, staff), staff)
    finally:
        site.stop()
        await seeding.dispose()
        await _drop_database(engine, name)
