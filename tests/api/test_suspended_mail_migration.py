"""Migration 0016 (the suspended-mail queue) goes down and up again on a database of its own."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
from alembic import command

from store.migrate import alembic_config


async def test_migration_downgrades_and_upgrades_cleanly(pg_url: str) -> None:
    """Only this revision ("-1", whatever it is chained after); the shared database keeps its table."""
    name = f"suspended_migration_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(urlsplit(pg_url)._replace(path=f"/{name}"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        config = alembic_config(url)
        await asyncio.to_thread(command.upgrade, config, "0016")
        await asyncio.to_thread(command.downgrade, config, "-1")
        with psycopg.connect(url) as conn:
            left = conn.execute(
                "SELECT count(*) FROM pg_class WHERE relname LIKE '%suspended_mail%'"
            ).fetchone()
        assert left == (0,)
        await asyncio.to_thread(command.upgrade, config, "0016")
        with psycopg.connect(url) as conn:
            back = conn.execute(
                "SELECT count(*) FROM pg_class WHERE relname LIKE '%suspended_mail%'"
            ).fetchone()
        assert back == (4,)  # the table, its primary key, its status index and its Message-ID index
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
