"""The duplicate check on create (`similar_open_tickets`) against real Postgres: same answers as the
plain similarity filter, served by the trigram index over open tickets, and its migration reversible."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from alembic import command
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from store.migrate import alembic_config
from store.tables import tickets
from store.ticket_queries import similar_open_tickets

SUBJECTS = [
    "Boleto generation fails for March invoices",
    "Boleto generation fails for march invoice",
    "Boleto generation failing",
    "Invoice export to CSV is empty",
    "Cannot log in after password reset",
    "Login fails after resetting my password",
    "Dashboard chart timeout",
    "Export report timeout on dashboard chart",
]
STATUSES = ["open", "pending", "escalated", "resolved", "closed", "open", "pending", "open"]


async def add_tickets(engine: AsyncEngine, org_id: str) -> None:
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        for n, (subject, status) in enumerate(zip(SUBJECTS * 3, STATUSES * 3, strict=True)):
            ticket_id = (await conn.execute(text("SELECT nextval('ticket_id_seq')"))).scalar_one()
            await conn.execute(
                tickets.insert().values(
                    id=ticket_id,
                    org_id=org_id,
                    requester_id="requester",
                    status=status,
                    severity=3,
                    tier="L1",
                    channel="web",
                    kind="incident",
                    environment="production",
                    subject=f"{subject} {n}" if n >= len(SUBJECTS) else subject,
                    created_at=now,
                    updated_at=now,
                    version=1,
                    snapshot={},
                )
            )


async def plain_filter(engine: AsyncEngine, org_id: str, subject: str, threshold: float) -> list[tuple]:
    """What the check answered before it used the index: the similarity compared row by row."""
    score = func.similarity(tickets.c.subject, subject)
    query = (
        select(tickets.c.id, tickets.c.status, score)
        .where(tickets.c.org_id == org_id, tickets.c.status.in_(("open", "pending", "escalated")))
        .where(score >= threshold)
    )
    async with engine.connect() as conn:
        return sorted((i, status, round(float(sim), 2)) for i, status, sim in await conn.execute(query))


async def test_same_answers_as_the_plain_similarity_filter(engine: AsyncEngine) -> None:
    org_id, other_org = str(uuid.uuid4()), str(uuid.uuid4())
    await add_tickets(engine, org_id)
    await add_tickets(engine, other_org)
    probes = [*SUBJECTS, "boleto", "Password reset", "completely unrelated words", "x"]
    found_any = False
    for probe in probes:
        for threshold in (0.45, 0.3):
            async with engine.connect() as conn:
                similar = await similar_open_tickets(conn, org_id, probe, threshold, limit=100)
            got = sorted((r["id"], r["status"], r["similarity"]) for r in similar)
            assert got == await plain_filter(engine, org_id, probe, threshold), probe
            assert [r["similarity"] for r in similar] == sorted(
                (r["similarity"] for r in similar), reverse=True
            )
            found_any = found_any or bool(similar)
    assert found_any


async def test_the_threshold_is_set_for_the_transaction_only(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        before = (await conn.execute(text("SHOW pg_trgm.similarity_threshold"))).scalar_one()
        await similar_open_tickets(conn, str(uuid.uuid4()), "anything", threshold=0.9)
        assert (await conn.execute(text("SHOW pg_trgm.similarity_threshold"))).scalar_one() == "0.9"
        await conn.rollback()
        assert (await conn.execute(text("SHOW pg_trgm.similarity_threshold"))).scalar_one() == before


async def test_the_open_tickets_trigram_index_serves_the_check(engine: AsyncEngine) -> None:
    org_id = str(uuid.uuid4())
    await add_tickets(engine, org_id)
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        sent.append((statement, parameters))

    async with engine.connect() as conn:
        await conn.execute(text("SET LOCAL enable_seqscan = off"))  # a test table is small
        event.listen(conn.sync_connection, "before_cursor_execute", capture)
        await similar_open_tickets(conn, org_id, SUBJECTS[0])
        event.remove(conn.sync_connection, "before_cursor_execute", capture)
        query, parameters = sent[-1]
        assert "'open', 'pending', 'escalated'" in query  # literal, so that generic plans match the index
        plan = (await conn.exec_driver_sql("EXPLAIN " + query, parameters)).all()
    assert "ix_tickets_open_org_subject_trgm" in "\n".join(r[0] for r in plan)


async def test_migration_downgrades_and_upgrades_cleanly(pg_url: str) -> None:
    name = f"dup_index_migration_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(urlsplit(pg_url)._replace(path=f"/{name}"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    present = (
        "SELECT (SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_tickets_open_org_subject_trgm')"
        " + (SELECT count(*) FROM pg_extension WHERE extname = 'btree_gist')"
    )
    try:
        config = alembic_config(url)
        await asyncio.to_thread(command.upgrade, config, "0008")
        with psycopg.connect(url) as conn:
            assert conn.execute(present).fetchone() == (2,)
        await asyncio.to_thread(command.downgrade, config, "0007")
        with psycopg.connect(url) as conn:
            assert conn.execute(present).fetchone() == (0,)
        await asyncio.to_thread(command.upgrade, config, "0008")
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
