"""The access module against real Postgres: each kind of caller sees exactly its tickets, and the
store enforces it for tickets, timelines, escalations, files, users and reports alike.

The rows are written straight into the read model (no workflow needed to test who reads them):
ticket A is requested by `customer` with `customer2` cc'd, ticket B is `customer2`'s own, and
ticket C belongs to another organisation.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from temporalio.client import Client

from domain.actors import Role
from infra.settings import Settings
from services import escalations, tickets
from services.access import scope_for
from services.context import Context
from services.problems import Problem
from store.attachment_tables import attachments
from store.attachments import get_attachment, get_attachment_data, insert_attachment, list_for_ticket
from store.escalation_queries import escalation_timeline, get_escalation, list_escalations
from store.identities import Principal, get_user, list_users
from store.reports import satisfaction
from store.scope import Scope
from store.tables import escalation_events, ticket_events
from store.tables import escalations as escalation_rows
from store.tables import tickets as ticket_rows
from store.ticket_queries import TicketFilter, get_ticket_row, get_timeline, list_tickets, next_ticket_id
from tests.support.identities import Member, Org
from tests.support.snapshots import escalation_snapshot, ticket_snapshot


def principal(member: Member, acting_agent_id: str | None = None) -> Principal:
    role = Role("customer" if member.role.startswith("customer") else member.role)
    return Principal(
        member.id, member.org_id, role, member.role, f"{member.id}@x.test", acting_agent_id=acting_agent_id
    )


@dataclass
class World:
    org: Org
    other_org: Org
    staff: Org
    subject: str  # shared by the three tickets, to find exactly them in lists
    a: int
    b: int
    c: int
    escalation: str
    public_file: str
    internal_file: str
    unbound_file: str

    def scope(self, who: str) -> Scope:
        return scope_for(self.principal(who))

    def principal(self, who: str) -> Principal:
        owner, _, role = who.partition(".")
        org = {"org": self.org, "other": self.other_org, "staff": self.staff}[owner]
        return principal(org[role])


async def add_ticket(
    conn: AsyncConnection, org_id: str, requester_id: str, subject: str, cc: list[str] | None = None
) -> int:
    ticket_id = await next_ticket_id(conn)
    now = datetime.now(UTC)
    snapshot = ticket_snapshot(ticket_id, org_id, requester_id, subject, now, cc)
    await conn.execute(
        insert(ticket_rows).values(
            id=ticket_id,
            org_id=org_id,
            requester_id=requester_id,
            status="open",
            severity=3,
            tier="L1",
            channel="web",
            kind="question",
            environment="production",
            subject=subject,
            created_at=now,
            updated_at=now,
            version=1,
            snapshot=snapshot,
        )
    )
    events = [
        ("ticket_created", {}),
        ("note_added", {"body": "internal"}),
        ("feedback_given", {"satisfied": True}),
    ]
    for seq, (kind, data) in enumerate(events, start=1):
        await conn.execute(
            insert(ticket_events).values(
                ticket_id=ticket_id, seq=seq, type=kind, at=now, actor_id=requester_id, data=data
            )
        )
    return ticket_id


async def add_escalation(conn: AsyncConnection, ticket_id: int, org_id: str) -> str:
    escalation_id = f"CP-T{uuid.uuid4().hex[:12]}"
    now = datetime.now(UTC)
    requester = (
        await conn.execute(select(ticket_rows.c.requester_id).where(ticket_rows.c.id == ticket_id))
    ).scalar_one()
    snapshot = escalation_snapshot(escalation_id, ticket_id, org_id, requester, now)
    await conn.execute(
        insert(escalation_rows).values(
            id=escalation_id,
            ticket_id=ticket_id,
            org_id=org_id,
            stage="submitted",
            target="engineering",
            created_at=now,
            updated_at=now,
            version=1,
            snapshot=snapshot,
        )
    )
    await conn.execute(
        insert(escalation_events).values(escalation_id=escalation_id, seq=1, type="opened", at=now, data={})
    )
    return escalation_id


async def add_file(
    conn: AsyncConnection, uploader: Member, ticket_id: int | None, internal: bool = False
) -> str:
    row = await insert_attachment(
        conn,
        org_id=uploader.org_id,
        uploader_id=uploader.id,
        filename="a.txt",
        content_type="text/plain",
        data=b"x",
    )
    if ticket_id is not None:
        await conn.execute(
            update(attachments)
            .where(attachments.c.id == row["id"])
            .values(ticket_id=ticket_id, internal=internal)
        )
    return str(row["id"])


@pytest_asyncio.fixture
async def world(engine: AsyncEngine, org: Org, other_org: Org, staff: Org) -> World:
    subject = f"access {uuid.uuid4().hex}"
    async with engine.begin() as conn:
        a = await add_ticket(conn, org.id, org["customer"].id, subject, cc=[org["customer2"].id])
        b = await add_ticket(conn, org.id, org["customer2"].id, subject)
        c = await add_ticket(conn, other_org.id, other_org["customer"].id, subject)
        return World(
            org=org,
            other_org=other_org,
            staff=staff,
            subject=subject,
            a=a,
            b=b,
            c=c,
            escalation=await add_escalation(conn, a, org.id),
            public_file=await add_file(conn, org["customer"], a),
            internal_file=await add_file(conn, staff["agent"], a, internal=True),
            unbound_file=await add_file(conn, org["customer"], None),
        )


# who → the tickets (of A, B, C) they see
SEES = {
    "org.customer": {"a"},
    "org.customer2": {"a", "b"},  # cc'd on A, requester of B
    "org.org_admin": {"a", "b"},
    "other.customer": {"c"},
    "other.org_admin": {"c"},
    "staff.agent": {"a", "b", "c"},
    "staff.engineer": {"a", "b", "c"},
    "staff.admin": {"a", "b", "c"},
}


@pytest.mark.parametrize("who", sorted(SEES))
async def test_each_caller_reads_and_lists_exactly_their_tickets(
    engine: AsyncEngine, world: World, who: str
) -> None:
    scope = world.scope(who)
    ids = {"a": world.a, "b": world.b, "c": world.c}
    async with engine.connect() as conn:
        readable = {name for name, ticket_id in ids.items() if await get_ticket_row(conn, scope, ticket_id)}
        listed = await list_tickets(conn, scope, TicketFilter(q=world.subject), 10, None)
    assert readable == SEES[who]
    assert {row["id"] for row in listed} == {ids[name] for name in SEES[who]}


@pytest.mark.parametrize("who", sorted(SEES))
async def test_escalations_follow_their_ticket(engine: AsyncEngine, world: World, who: str) -> None:
    scope = world.scope(who)
    expected = "a" in SEES[who]
    async with engine.connect() as conn:
        found = await get_escalation(conn, scope, world.escalation)
        listed = await list_escalations(conn, scope, "submitted", None, None, 10_000)
        timeline = await escalation_timeline(conn, scope, world.escalation)
    assert (found is not None) is expected
    assert (world.escalation in {row["id"] for row in listed}) is expected
    assert bool(timeline) is expected


@pytest.mark.parametrize(
    ("who", "notes"), [("org.customer", False), ("org.org_admin", False), ("staff.agent", True)]
)
async def test_internal_notes_only_for_staff(
    engine: AsyncEngine, world: World, who: str, notes: bool
) -> None:
    async with engine.connect() as conn:
        timeline = await get_timeline(conn, world.scope(who), world.a)
        files = await list_for_ticket(conn, world.scope(who), world.a)
    assert ("note_added" in {e["type"] for e in timeline}) is notes
    assert (world.internal_file in {f["id"] for f in files}) is notes
    assert world.public_file in {f["id"] for f in files}


async def test_an_invisible_tickets_timeline_and_files_read_as_empty(
    engine: AsyncEngine, world: World
) -> None:
    async with engine.connect() as conn:
        assert await get_timeline(conn, world.scope("other.org_admin"), world.a) == []
        assert await list_for_ticket(conn, world.scope("other.org_admin"), world.a) == []


@pytest.mark.parametrize(
    ("who", "public", "internal", "unbound"),
    [
        ("org.customer", True, False, True),  # uploader of the public and the unbound file
        ("org.customer2", True, False, False),  # cc'd: through the ticket
        ("org.org_admin", True, False, False),
        ("other.org_admin", False, False, False),
        ("staff.agent", True, True, False),  # uploader of the internal one; nobody else's unbound file
        ("staff.admin", True, True, False),
    ],
)
async def test_files_through_their_ticket_or_their_uploader(
    engine: AsyncEngine, world: World, who: str, public: bool, internal: bool, unbound: bool
) -> None:
    scope = world.scope(who)
    async with engine.connect() as conn:
        seen = {
            name: await get_attachment(conn, scope, file_id) is not None
            for name, file_id in (
                ("public", world.public_file),
                ("internal", world.internal_file),
                ("unbound", world.unbound_file),
            )
        }
        data = await get_attachment_data(conn, scope, world.internal_file)
    assert seen == {"public": public, "internal": internal, "unbound": unbound}
    assert (data is not None) is internal


async def test_users_staff_all_org_admin_their_org_customer_themselves(
    engine: AsyncEngine, world: World
) -> None:
    async with engine.connect() as conn:
        admin_sees = {u["id"] for u in await list_users(conn, world.scope("org.org_admin"))}
        customer_sees = {u["id"] for u in await list_users(conn, world.scope("org.customer"))}
        staff_reads_other = await get_user(conn, world.scope("staff.agent"), world.other_org["customer"].id)
        admin_reads_other = await get_user(conn, world.scope("org.org_admin"), world.other_org["customer"].id)
    assert admin_sees == {m.id for m in world.org.members.values()}
    assert customer_sees == {world.org["customer"].id}
    assert staff_reads_other is not None and admin_reads_other is None


async def test_reports_count_only_tickets_in_scope(engine: AsyncEngine, world: World) -> None:
    async with engine.connect() as conn:
        mine = await satisfaction(conn, world.scope("org.org_admin"), None, None, None, None)
        theirs = await satisfaction(conn, world.scope("other.org_admin"), world.org.id, None, None, None)
        staff = await satisfaction(conn, world.scope("staff.admin"), world.org.id, None, None, None)
    assert [(r["org_id"], r["answers"]) for r in mine] == [(world.org.id, 2)]
    assert theirs == []
    assert [(r["org_id"], r["answers"]) for r in staff] == [(world.org.id, 2)]


def test_a_support_access_proxy_sees_what_the_user_sees(world: World) -> None:
    user = world.org["customer"]
    assert scope_for(principal(user, acting_agent_id=world.staff["agent"].id)) == scope_for(principal(user))


def context_without_temporal(engine: AsyncEngine, settings: Settings, who: Principal) -> Context:
    """Reads must not need Temporal: a provider that fails the test if asked."""

    async def no_temporal() -> Client:
        raise AssertionError("a read asked for Temporal")

    return Context(who, engine, settings, no_temporal)


@pytest_asyncio.fixture
async def statements(engine: AsyncEngine) -> AsyncIterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", count)


@pytest.mark.parametrize("who", ["org.customer2", "org.org_admin", "staff.agent", "other.customer"])
async def test_the_escalation_list_is_one_query(
    engine: AsyncEngine, settings: Settings, world: World, statements: list[str], who: str
) -> None:
    context = context_without_temporal(engine, settings, world.principal(who))
    statements.clear()
    rows = (await escalations.page_escalations(context, None, None, None, 100)).items
    assert len(statements) == 1
    assert (world.escalation in {r["id"] for r in rows}) is ("a" in SEES[who])


async def test_services_answer_404_alike_for_absent_and_invisible(
    engine: AsyncEngine, settings: Settings, world: World
) -> None:
    context = context_without_temporal(engine, settings, world.principal("org.customer"))
    with pytest.raises(Problem) as invisible:
        await tickets.get_ticket(context, world.b)
    with pytest.raises(Problem) as absent:
        await tickets.get_ticket(context, 2**61)
    assert invisible.value.status == absent.value.status == 404
    assert invisible.value.detail == absent.value.detail
    view = await tickets.get_ticket(context, world.a)
    assert view.snapshot["id"] == world.a and "note_added" not in {e["type"] for e in view.timeline}
