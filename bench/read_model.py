"""The read model at 100,000 tickets: the common list queries and the ticket detail, p50/p99 and plans.

    python bench/read_model.py --size 100000 [--database-url URL] [--iterations 300]

Starts an embedded Postgres in a temporary directory (unless `--database-url`), runs the migrations
(`store.migrate.upgrade`), and loads `--size` tickets with COPY: rows and JSON snapshots made by the
projection's own `domain.ticket.read_model_rows.ticket_row` from real `TicketState`s (a few hundred templates
varied per row: id, organisation, requester, assignee, subject, times, status, breach), 120 organisations
of very different sizes (the largest holds a fifth of all tickets), and 3–7 timeline events per ticket.

Each query is measured two ways, interleaved round-robin so that noise hits all of them alike:

  * through `store.ticket_queries` (`list_tickets`, `get_ticket_row` + `get_timeline` +
    `store.attachments.list_for_ticket`), on the engine the API uses (`store.db.create_engine`);
  * through the API app in-process (httpx ASGITransport over `api.app.create_app(settings,
    engine=engine, temporal=None)`), as an admin with an API key made by `store.identities`.

The portal (bench/portal_cases.py): an org admin of the largest organisation reads its ticket list
and a ticket's page as rendered HTML with a web session, beside `GET /v1/tickets` and
`GET /v1/tickets/{id}` with their own API key, round-robin in the same loop; goal: page p50 within
1.5x of the API's.

Queries: by status (open), by organisation and status (the largest organisation, open + pending),
breached, the subject-only `q` (ILIKE, what `GET /v1/tickets?q=` did before full-text search: a common
and a rare word), the full-text search that `?q=` now runs (`store.ticket_search.search_tickets`: a
common word that most timelines contain, a rare one, two words, an org admin's scope without notes,
the second page through the cursor), one search document rebuilt as the projection does it
(`ticket_search_refresh`, the cost a text-bearing projection pays), the ticket detail, and the create path's
duplicate check (`similar_open_tickets`) for the largest organisation and for a mid-sized one (the
11th of 120: the plan depends on the organisation's size). Baselines in the same run: a
primary-key read of one snapshot through the same engine (the floor of any query) and `GET /healthz`
through the same app (the floor of any request). Ratios (higher is better): floor p99 / query p99,
and store p99 / API p99 (what the API layer keeps). Then EXPLAIN (ANALYZE, BUFFERS) of every SQL
statement each function sends (captured from the engine), with the plan's top nodes and indexes.
The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import logging
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench._common import emit, percentile  # noqa: E402

GOAL_P99_MS = 20.0
STATUS_MIX = (("open", 0.18), ("pending", 0.10), ("escalated", 0.04), ("resolved", 0.13), ("closed", 0.55))
WORDS = [
    "export",
    "import",
    "report",
    "invoice",
    "payment",
    "login",
    "password",
    "sso",
    "saml",
    "dashboard",
    "chart",
    "filter",
    "search",
    "timeout",
    "error",
    "crash",
    "slow",
    "latency",
    "sync",
    "webhook",
    "api",
    "token",
    "upload",
    "attachment",
    "download",
    "csv",
    "pdf",
    "email",
    "notification",
    "mobile",
    "android",
    "ios",
    "browser",
    "firefox",
    "chrome",
    "safari",
    "printer",
    "label",
    "barcode",
    "inventory",
    "stock",
    "order",
    "shipment",
    "tracking",
    "refund",
    "discount",
    "coupon",
    "tax",
    "currency",
    "language",
    "locale",
    "calendar",
    "schedule",
    "recurring",
    "reminder",
    "permission",
    "role",
    "user",
    "group",
    "team",
    "project",
    "workflow",
    "approval",
]
RARE_WORD = "kaleidoscope"  # in about 0.1 % of subjects
COMMON_WORD = "export"
TWO_WORDS = "export invoice"
SEARCH_GOAL_RATIO = 1.5  # search p50 within 1.5x of the list p50 measured beside it


def search_vs_list(results: dict[str, Any]) -> None:
    """Search p50 against the lists of the same run: the subject-only `q` it replaced and by-status.

    Ratios here are search / list (lower is better, goal <= 1.5); `search_page2` is two searches.
    """
    baselines = {"q_common": "store_q_common_p50_ms", "by_status": "store_by_status_p50_ms"}
    for case in ("search_common", "search_rare", "search_two_words", "search_org_admin"):
        for name, key in baselines.items():
            results[f"store_{case}_p50_vs_{name}"] = round(results[f"store_{case}_p50_ms"] / results[key], 2)
        results["goals"][f"store_{case}_p50_within_1.5x_q_common"] = (
            results[f"store_{case}_p50_vs_q_common"] <= SEARCH_GOAL_RATIO
        )
    for case in ("search_common", "search_rare", "search_two_words"):
        ratio = round(results[f"api_{case}_p50_ms"] / results["api_by_status_p50_ms"], 2)
        results[f"api_{case}_p50_vs_by_status"] = ratio
        results["goals"][f"api_{case}_p50_within_1.5x_list"] = ratio <= SEARCH_GOAL_RATIO


def pick_status(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for status, share in STATUS_MIX:
        acc += share
        if x < acc:
            return status
    return "closed"


def templates(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Rows exactly as the projection writes them, from real states in varied statuses."""
    from activities.projection import with_instants
    from domain.sla import SlaPolicy, default_policy
    from domain.ticket.read_model_rows import TICKET_INSTANTS, ticket_row
    from domain.ticket.state import Channel, Kind, NewTicket, TicketState, TicketStatus
    from store.sla_store import builtin_calendar_doc, resolve_calendar

    base = default_policy()
    policy = SlaPolicy(
        "default", 1, "business-hours-br", resolve_calendar(builtin_calendar_doc()), base.rules
    )
    rows = []
    now = datetime.now(UTC)
    for i in range(count):
        status = STATUS_MIX[i % len(STATUS_MIX)][0]
        created = now - timedelta(minutes=rng.randrange(1, 180 * 24 * 60))
        new = NewTicket(
            id=i + 1,
            org_id="template",
            requester_id="template",
            subject="template",
            description=" ".join(rng.choices(WORDS, k=rng.randrange(10, 60))),
            channel=rng.choice([Channel.WEB, Channel.EMAIL, Channel.PHONE]),
            kind=rng.choice(list(Kind)),
            severity=1 + i % 4,
            product=rng.choice([None, "erp", "pos", "mobile"]),
            sla_policy=policy,
        )
        state = TicketState.opened(new, created)
        state.status = TicketStatus(status)
        state.version = rng.randrange(1, 12)
        state.updated_at = created + timedelta(hours=rng.randrange(0, 200))
        breached = i % 3 == 0 and state.sla is not None
        if state.sla is not None:
            for clock in state.sla.clocks:
                if breached:
                    clock.breached = True
                    clock.warned = True
                    clock.breached_at = created + timedelta(seconds=clock.target_seconds * 2)
                if status in ("resolved", "closed"):
                    clock.used_seconds = float(clock.target_seconds // 2)
                    clock.running_since = None
                    clock.stopped = True
                elif status == "pending" and clock.name == "resolution":
                    clock.used_seconds = float(clock.target_seconds // 3)
                    clock.running_since = None
        rows.append(with_instants(ticket_row(state), TICKET_INSTANTS))
    return rows


def copy_tickets(
    url: str, size: int, orgs: list[str], requesters: dict[str, list[str]], agents: list[str], seed: int
) -> dict[str, Any]:
    """COPY `size` tickets and their timelines; returns facts the queries need."""
    import psycopg
    from psycopg.types.json import Jsonb

    from store.db import normalise_url

    rng = random.Random(seed)
    bases = templates(400, rng)
    by_status: dict[str, list[dict[str, Any]]] = {}
    for row in bases:
        by_status.setdefault(row["status"], []).append(row)
    weights = [20.0] + [1.0 / (k + 1) for k in range(len(orgs) - 1)]
    scale = 0.8 / sum(weights[1:])
    weights = [0.2] + [w * scale for w in weights[1:]]
    columns = list(bases[0].keys())
    event_columns = ["ticket_id", "seq", "type", "at", "actor_id", "actor_role", "on_behalf_of", "data"]
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / size
    facts: dict[str, Any] = {"largest_org": orgs[0], "ids": []}
    sa_url = normalise_url(url).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(sa_url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY tickets ({', '.join(columns)}) FROM STDIN") as tickets_copy:
            events: list[tuple[Any, ...]] = []
            for n in range(size):
                ticket_id = 1000 + n
                status = pick_status(rng)
                template = rng.choice(by_status[status])
                org = rng.choices(orgs, weights)[0]
                requester = rng.choice(requesters[org])
                words = rng.sample(WORDS, rng.randrange(3, 8))
                if rng.random() < 0.001:
                    words.insert(rng.randrange(len(words)), RARE_WORD)
                subject = " ".join(words).capitalize() + f" ({rng.randrange(10, 9999)})"
                created = start + step * n
                updated = created + (template["updated_at"] - template["created_at"])
                assignee = rng.choice(agents) if status != "open" or rng.random() < 0.5 else None
                snapshot = copy.copy(template["snapshot"])
                snapshot.update(
                    id=ticket_id,
                    org_id=org,
                    requester_id=requester,
                    assignee_id=assignee,
                    subject=subject,
                    created_at=created.isoformat(),
                    updated_at=updated.isoformat(),
                )
                row = dict(template)
                row.update(
                    id=ticket_id,
                    org_id=org,
                    requester_id=requester,
                    assignee_id=assignee,
                    subject=subject,
                    created_at=created,
                    updated_at=updated,
                    snapshot=Jsonb(snapshot),
                )
                if row["sla_next_due"] is not None:
                    row["sla_next_due"] = created + (row["sla_next_due"] - template["created_at"])
                tickets_copy.write_row([row[c] for c in columns])
                events.extend(timeline(ticket_id, status, requester, assignee, subject, created, rng))
                if n % 5000 == 0:
                    facts["ids"].append(ticket_id)
            facts["ids"].append(1000 + size - 1)
        with cur.copy(f"COPY ticket_events ({', '.join(event_columns)}) FROM STDIN") as events_copy:
            for e in events:
                events_copy.write_row([*e[:-1], Jsonb(e[-1])])
        facts["events"] = len(events)
        cur.execute("SELECT setval('ticket_id_seq', %s)", (1000 + size,))
        conn.commit()
        started = time.perf_counter()
        cur.execute(
            "SELECT ticket_search_refresh(ARRAY(SELECT id FROM tickets))"
        )  # as migration 0012's backfill
        conn.commit()
        facts["search_build_seconds"] = round(time.perf_counter() - started, 1)
    with psycopg.connect(sa_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE tickets")
        conn.execute("VACUUM ANALYZE ticket_events")
        conn.execute("VACUUM ANALYZE ticket_search")
    facts["first_id"], facts["last_id"] = 1000, 1000 + size - 1
    return facts


def timeline(
    ticket_id: int,
    status: str,
    requester: str,
    assignee: str | None,
    subject: str,
    created: datetime,
    rng: random.Random,
) -> list[tuple[Any, ...]]:
    agent = assignee or "agent"
    items: list[tuple[str, str, str, dict[str, Any]]] = [
        ("ticket_created", requester, "customer", {"subject": subject, "description": "Since Monday " * 8})
    ]
    for k in range(rng.randrange(1, 5)):
        who, role = (agent, "agent") if k % 2 == 0 else (requester, "customer")
        body = " ".join(rng.choices(WORDS, k=rng.randrange(8, 40)))
        items.append(
            ("reply_added", who, role, {"body": body, "internal": False, "author": role, "attachments": []})
        )
    if rng.random() < 0.3:
        items.append(
            (
                "note_added",
                agent,
                "agent",
                {"body": "internal", "internal": True, "author": "agent", "attachments": []},
            )
        )
    if status != "open":
        items.append(("status_changed", agent, "agent", {"from": "open", "to": status, "reason": None}))
    return [
        (ticket_id, seq, kind, created + timedelta(minutes=17 * seq), who, role, None, data)
        for seq, (kind, who, role, data) in enumerate(items, start=1)
    ]


async def make_identities(engine: Any, orgs: int) -> tuple[list[str], dict[str, list[str]], list[str], str]:
    from store import identities

    org_ids: list[str] = []
    requesters: dict[str, list[str]] = {}
    async with engine.begin() as conn:
        staff_org = await identities.create_org(
            conn, "Bench Support", f"bench-support-{uuid.uuid4().hex[:6]}"
        )
        admin = await identities.create_user(
            conn, staff_org["id"], "Bench Admin", f"admin-{uuid.uuid4().hex[:6]}@bench.example", "admin"
        )
        agents = [
            (
                await identities.create_user(
                    conn,
                    staff_org["id"],
                    f"Agent {k}",
                    f"agent{k}-{uuid.uuid4().hex[:6]}@bench.example",
                    "agent",
                )
            )["id"]
            for k in range(10)
        ]
        key, _ = await identities.issue_key(conn, admin["id"], "read-model bench")
        for k in range(orgs):
            org = await identities.create_org(conn, f"Customer {k}", f"customer-{k}-{uuid.uuid4().hex[:6]}")
            org_ids.append(org["id"])
            # Requester ids only (the read model stores ids; users rows are not needed for reads).
            requesters[org["id"]] = [str(uuid.uuid4()) for _ in range(max(2, 40 // (k + 1)))]
    return org_ids, requesters, agents, key


class Capture:
    """Collects the SQL statements (and parameters) the engine sends while enabled."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.on = False
        self.statements: list[tuple[str, Any]] = []

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _capture(
            conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
        ) -> None:
            if self.on:
                self.statements.append((statement, parameters))


def plan_nodes(plan: dict[str, Any]) -> list[str]:
    """Every node of a JSON plan, depth first: 'Index Scan Backward ix_tickets_status_id'."""
    label = plan["Node Type"]
    if plan.get("Scan Direction") == "Backward":
        label += " Backward"
    if plan.get("Index Name"):
        label += f" {plan['Index Name']}"
    elif plan.get("Relation Name"):
        label += f" {plan['Relation Name']}"
    nodes = [label]
    for child in plan.get("Plans", []):
        nodes.extend(plan_nodes(child))
    return nodes


async def explain(engine: Any, statements: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    out = []
    async with engine.connect() as conn:
        for statement, params in statements:
            result = await conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params
            )
            doc = result.scalar_one()
            doc = doc[0] if isinstance(doc, list) else json.loads(doc)[0]
            plan = doc["Plan"]
            nodes = plan_nodes(plan)
            shared = (plan.get("Shared Hit Blocks", 0), plan.get("Shared Read Blocks", 0))
            out.append(
                {
                    "sql": " ".join(statement.split())[:160],
                    "top": " → ".join(nodes[:4]),
                    "indexes": sorted({n.split(" ")[-1] for n in nodes if "Index" in n or "Bitmap" in n}),
                    "seq_scan": any(n.startswith("Seq Scan") for n in nodes),
                    "execution_ms": round(doc.get("Execution Time", 0.0), 3),
                    "planning_ms": round(doc.get("Planning Time", 0.0), 3),
                    "buffers_hit_read": list(shared),
                }
            )
    return out


async def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    import httpx

    from api.app import create_app
    from infra.log import configure_logging
    from infra.settings import Settings
    from store.attachments import list_for_ticket
    from store.db import create_engine
    from store.migrate import upgrade
    from store.scope import Scope
    from store.ticket_queries import (
        TicketFilter,
        get_ticket_row,
        get_timeline,
        list_tickets,
        similar_open_tickets,
    )
    from store.ticket_search import refresh_search, search_tickets

    t0 = time.perf_counter()
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url, pool_size=10)
    results: dict[str, Any] = {"size": args.size, "iterations": args.iterations, "cpus": os.cpu_count()}
    try:
        orgs, requesters, agents, key = await make_identities(engine, 120)
        print(f"loading {args.size} tickets with COPY …", flush=True)
        t1 = time.perf_counter()
        facts = await asyncio.to_thread(copy_tickets, url, args.size, orgs, requesters, agents, args.seed)
        results["load_seconds"] = round(time.perf_counter() - t1, 1)
        results["events"] = facts["events"]
        results["search_build_seconds"] = facts["search_build_seconds"]
        big = facts["largest_org"]
        mid = orgs[10]  # about 1.5 % of the tickets: where a table-wide trigram scan loses to the org index
        async with engine.connect() as conn:
            counts = dict(
                (
                    await conn.exec_driver_sql(
                        "SELECT 'tickets', count(*) FROM tickets UNION ALL "
                        "SELECT 'largest_org', count(*) FROM tickets WHERE org_id = %(o)s UNION ALL "
                        "SELECT 'largest_org_open', count(*) FROM tickets WHERE org_id = %(o)s AND status IN ('open','pending','escalated') UNION ALL "
                        "SELECT 'mid_org_open', count(*) FROM tickets WHERE org_id = %(m)s AND status IN ('open','pending','escalated') UNION ALL "
                        "SELECT 'breached', count(*) FROM tickets WHERE sla_breached UNION ALL "
                        "SELECT 'open', count(*) FROM tickets WHERE status = 'open' UNION ALL "
                        "SELECT 'q_common', count(*) FROM tickets WHERE subject ILIKE %(c)s UNION ALL "
                        "SELECT 'q_rare', count(*) FROM tickets WHERE subject ILIKE %(r)s UNION ALL "
                        "SELECT 'search_common', count(*) FROM ticket_search WHERE coalesce(staff_doc, public_doc) @@ ticket_search_query(%(cw)s) UNION ALL "
                        "SELECT 'search_rare', count(*) FROM ticket_search WHERE coalesce(staff_doc, public_doc) @@ ticket_search_query(%(rw)s)",
                        {
                            "o": big,
                            "m": mid,
                            "c": f"%{COMMON_WORD}%",
                            "r": f"%{RARE_WORD}%",
                            "cw": COMMON_WORD,
                            "rw": RARE_WORD,
                        },
                    )
                ).all()
            )
        results["rows"] = counts
        print(f"loaded in {results['load_seconds']} s: {counts}, {facts['events']} events", flush=True)
        rng = random.Random(args.seed + 1)
        first, last = facts["first_id"], facts["last_id"]
        similar_subject = "Export report timeout on dashboard chart (77)"

        def searcher(
            q: str, f: Callable[[], TicketFilter], staff: bool = True
        ) -> Callable[[], Awaitable[Any]]:
            async def call() -> Any:
                async with engine.connect() as conn:
                    return await search_tickets(conn, f(), q, staff, 25)

            return call

        async def search_page2() -> Any:
            async with engine.connect() as conn:
                first_page = await search_tickets(conn, TicketFilter(), COMMON_WORD, True, 25)
                return await search_tickets(
                    conn, TicketFilter(), COMMON_WORD, True, 25, first_page.next_cursor
                )

        async def search_refresh() -> Any:
            async with engine.begin() as conn:  # as the projection does for a reply or a note
                await refresh_search(conn, [rng.randint(first, last)])

        def lister(f: Callable[[], TicketFilter]) -> Callable[[], Awaitable[Any]]:
            async def call() -> Any:
                async with engine.connect() as conn:
                    return await list_tickets(conn, Scope.everything(), f(), 26, None)

            return call

        async def detail() -> Any:
            ticket_id = rng.randint(first, last)
            async with engine.connect() as conn:
                row = await get_ticket_row(conn, Scope.everything(), ticket_id)
            async with engine.connect() as conn:  # as services.tickets.get_ticket does
                events = await get_timeline(conn, Scope.everything(), ticket_id)
                files = await list_for_ticket(conn, Scope.everything(), ticket_id)
            return row, events, files

        async def similar() -> Any:
            async with engine.connect() as conn:
                return await similar_open_tickets(conn, big, similar_subject)

        async def similar_mid() -> Any:
            async with engine.connect() as conn:
                return await similar_open_tickets(conn, mid, similar_subject)

        def pk_read(on: Any) -> Callable[[], Awaitable[Any]]:
            """One ticket's snapshot by primary key: the floor every query is compared with."""

            async def read() -> Any:
                from sqlalchemy import select

                from store.tables import tickets

                async with on.connect() as conn:
                    picked = select(tickets.c.snapshot).where(tickets.c.id == rng.randint(first, last))
                    return (await conn.execute(picked)).first()

            return read

        pk_floor = pk_read(engine)

        from sqlalchemy.ext.asyncio import create_async_engine

        from store.db import normalise_url

        # The same floor on an engine without pool_pre_ping (store/db.py pings on every checkout).
        no_ping = create_async_engine(normalise_url(url), pool_size=10, max_overflow=10, pool_pre_ping=False)

        pk_floor_no_ping = pk_read(no_ping)

        store_calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "by_status": lister(lambda: TicketFilter(status=["open"])),
            "by_org_status": lister(lambda: TicketFilter(org_id=big, status=["open", "pending"])),
            "breached": lister(lambda: TicketFilter(breached=True)),
            "q_common": lister(lambda: TicketFilter(q=COMMON_WORD)),
            "q_rare": lister(lambda: TicketFilter(q=RARE_WORD)),
            "search_common": searcher(COMMON_WORD, TicketFilter),
            "search_rare": searcher(RARE_WORD, TicketFilter),
            "search_two_words": searcher(TWO_WORDS, TicketFilter),
            "search_org_admin": searcher(COMMON_WORD, lambda: TicketFilter(org_id=big), staff=False),
            "search_page2": search_page2,
            "search_refresh": search_refresh,
            "detail": detail,
            "duplicate_check": similar,
            "duplicate_check_mid_org": similar_mid,
            "floor_pk_read": pk_floor,
            "floor_pk_read_no_preping": pk_floor_no_ping,
        }
        # The access log (one JSON line per request) is left out: WARNING level, as the API's own
        # configure_logging would do with LOG_LEVEL=WARNING; httpx's request log likewise.
        settings = Settings(database_url=url, log_level="WARNING")
        configure_logging(settings)
        logging.getLogger("httpx").setLevel(logging.WARNING)
        app = create_app(settings, engine=engine, temporal=None, jira=None)
        headers = {"Authorization": f"Bearer {key}"}
        transport = httpx.ASGITransport(app=app)
        http = httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers)

        def getter(path: str, params: Any = None) -> Callable[[], Awaitable[Any]]:
            async def call() -> Any:
                r = await http.get(path, params=params)
                r.raise_for_status()
                return r

            return call

        async def api_search_page2() -> Any:
            first_page = await http.get("/v1/tickets", params={"q": COMMON_WORD})
            r = await http.get(
                "/v1/tickets", params={"q": COMMON_WORD, "cursor": first_page.json()["next_cursor"]}
            )
            r.raise_for_status()
            return r

        async def api_detail() -> Any:
            r = await http.get(f"/v1/tickets/{rng.randint(first, last)}")
            r.raise_for_status()
            return r

        api_calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "by_status": getter("/v1/tickets", {"status": "open"}),
            "by_org_status": getter(
                "/v1/tickets", [("org_id", big), ("status", "open"), ("status", "pending")]
            ),
            "breached": getter("/v1/tickets", {"breached": "true"}),
            "search_common": getter("/v1/tickets", {"q": COMMON_WORD}),
            "search_rare": getter("/v1/tickets", {"q": RARE_WORD}),
            "search_two_words": getter("/v1/tickets", {"q": TWO_WORDS}),
            "search_page2": api_search_page2,
            "detail": api_detail,
            "floor_healthz": getter("/healthz"),
        }
        from bench.portal_cases import portal_calls, ratios

        page_calls, close_pages = await portal_calls(app, engine, big, random.Random(args.seed + 2))
        calls = (
            {f"store_{k}": v for k, v in store_calls.items()}
            | {f"api_{k}": v for k, v in api_calls.items()}
            | page_calls
        )
        for call in calls.values():  # warm-up: plans, pools, imports
            for _ in range(10):
                await call()
        latencies: dict[str, list[float]] = {name: [] for name in calls}
        print(f"measuring {len(calls)} calls × {args.iterations}, round-robin …", flush=True)
        for _ in range(args.iterations):
            for name, call in calls.items():
                started = time.perf_counter()
                await call()
                latencies[name].append(time.perf_counter() - started)
        for name, values in latencies.items():
            results[f"{name}_p50_ms"] = round(percentile(values, 50) * 1000, 2)
            results[f"{name}_p99_ms"] = round(percentile(values, 99) * 1000, 2)
        goals: dict[str, bool] = {}
        for name in store_calls:
            if name.startswith("floor"):
                continue
            s99 = results[f"store_{name}_p99_ms"]
            results[f"store_{name}_p99_ratio"] = round(results["store_floor_pk_read_p99_ms"] / s99, 3)
            goals[f"store_{name}_p99_under_20ms"] = s99 < GOAL_P99_MS
            if name in api_calls:
                a99 = results[f"api_{name}_p99_ms"]
                results[f"api_{name}_p99_ratio"] = round(results["api_floor_healthz_p99_ms"] / a99, 3)
                results[f"api_{name}_vs_store_p99_ratio"] = round(s99 / a99, 3)
                goals[f"api_{name}_p99_under_20ms"] = a99 < GOAL_P99_MS
        page_figures = ratios(results)
        results.update(page_figures)
        goals |= {k: v for k, v in page_figures.items() if isinstance(v, bool)}
        results["goals"] = goals
        search_vs_list(results)
        if args.profile:
            from bench._common import PySpy, summarise_profile

            folder = Path(
                args.profile_dir
                or f"/tmp/escalator-bench-profiles/read-model-{time.strftime('%Y%m%d-%H%M%S')}"
            )
            print(f"profiling the in-process API's list and detail calls with py-spy → {folder}", flush=True)
            with PySpy(folder, {"read_api": os.getpid()}):
                for _ in range(max(50, args.iterations // 2)):
                    for name in ("by_status", "by_org_status", "breached", "search_common", "detail"):
                        await api_calls[name]()
            results["profile_read_api"] = summarise_profile(folder / "read_api.txt")
            results["profile_dir"] = str(folder)
        await http.aclose()
        await close_pages()
        await no_ping.dispose()

        # EXPLAIN (ANALYZE, BUFFERS) of exactly what each store function sends.
        capture = Capture(engine)
        plans: dict[str, list[dict[str, Any]]] = {}
        for name, call in store_calls.items():
            capture.statements.clear()
            capture.on = True
            await call()
            capture.on = False
            plans[name] = await explain(engine, list(capture.statements))
        results["plans"] = plans
    finally:
        await engine.dispose()
    print_report(results, store_calls, api_calls)
    results["seconds"] = round(time.perf_counter() - t0, 1)
    return results


def print_report(results: dict[str, Any], store_calls: dict[str, Any], api_calls: dict[str, Any]) -> None:
    print(
        f"\n{'query':<18} {'store p50':>10} {'store p99':>10} {'API p50':>9} {'API p99':>9}   (ms; goal p99 < 20)"
    )
    for name in store_calls:
        api50 = results.get(f"api_{name}_p50_ms", "-")
        api99 = results.get(f"api_{name}_p99_ms", "-")
        print(
            f"{name:<18} {results[f'store_{name}_p50_ms']:>10} {results[f'store_{name}_p99_ms']:>10} {api50:>9} {api99:>9}"
        )
    print(
        f"{'floor_healthz':<18} {'':>10} {'':>10} {results['api_floor_healthz_p50_ms']:>9} {results['api_floor_healthz_p99_ms']:>9}"
    )
    print(f"\nsearch documents built for every ticket in {results.get('search_build_seconds')} s")
    print("search p50 / list p50 in this run (goal <= 1.5):")
    for key, value in results.items():
        if "_p50_vs_" in key:
            print(f"  {key:<48} {value}")
    print("\nEXPLAIN (ANALYZE, BUFFERS), per statement: top nodes | indexes | execution ms")
    for name, plans in results["plans"].items():
        for p in plans:
            print(f"  {name:<16} {p['top']}")
            print(
                f"  {'':<16} indexes {p['indexes'] or 'none'}{' SEQ SCAN' if p['seq_scan'] else ''}, {p['execution_ms']} ms, buffers hit/read {p['buffers_hit_read']}"
            )
    print(f"\n{'portal (org admin, largest org)':<34} {'p50':>8} {'p99':>8}   (ms)")
    for name in ("portal_list", "portal_api_list", "portal_ticket", "portal_api_ticket"):
        print(f"  {name:<32} {results[f'{name}_p50_ms']:>8} {results[f'{name}_p99_ms']:>8}")
    for name in ("portal_list", "portal_ticket"):
        print(f"  {name} p50 / API p50 = {results[f'{name}_vs_api_p50_ratio']} (goal <= 1.5)")
    prof = results.get("profile_read_api")
    if prof:
        print(f"\nin-process API reads, {prof.get('samples', 0)} py-spy samples (GIL-holding)")
        print(
            "  self by area: "
            + ", ".join(f"{k} {v}%" for k, v in list(prof.get("self_by_area_pct", {}).items())[:12])
        )
        for frame, pct in prof.get("top_project_inclusive_pct", [])[:15]:
            print(f"  {pct:5.1f}%  {frame}")
        for frame, pct in prof.get("top_library_inclusive_pct", [])[:15]:
            print(f"  {pct:5.1f}%  {frame}")
    print("\ngoals:", json.dumps(results["goals"]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000, help="tickets in the read model")
    parser.add_argument("--iterations", type=int, default=300, help="timed calls per query and path")
    parser.add_argument("--database-url", help="an existing, empty database (default: embedded Postgres)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="py-spy the in-process API's read calls")
    parser.add_argument("--profile-dir", help="where py-spy writes (implies nothing without --profile)")
    args = parser.parse_args()
    if args.database_url:
        results = asyncio.run(run(args, args.database_url))
    else:
        from infra.embedded_postgres import start_embedded_postgres

        with tempfile.TemporaryDirectory(prefix="read-model-bench-") as tmp:
            pg = start_embedded_postgres(Path(tmp) / "postgres")
            try:
                results = asyncio.run(run(args, pg.url))
            finally:
                pg.stop()
    emit(results)


if __name__ == "__main__":
    main()
