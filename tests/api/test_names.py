"""Names beside ids: tickets (lists and details), timelines and escalation timelines name people,
resolved in one batched lookup per response — the statement count does not grow with the people."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.actors import Role
from infra.settings import Settings
from services import tickets
from services.context import Context
from store.identities import Principal
from tests.support.identities import Member, Org


async def _name(http: httpx.AsyncClient, who: Member) -> str:
    return str((await http.get("/v1/me", headers=who.headers)).json()["name"])


async def _open(http: httpx.AsyncClient, org: Org, subject: str) -> dict[str, Any]:
    body = {"subject": subject, "description": "x", "cc": [org["customer2"].id], "allow_duplicate": True}
    response = await http.post("/v1/tickets", json=body, headers=org["customer"].headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_tickets_and_timelines_name_people(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    agent, customer = staff["agent"], org["customer"]
    names = {m.id: await _name(http, m) for m in (agent, customer, org["customer2"])}
    subject = f"Named {uuid.uuid4().hex}"
    created = await _open(http, org, subject)
    assert created["requester"] == {"id": customer.id, "name": names[customer.id]}
    url = f"/v1/tickets/{created['id']}"
    assigned = await http.post(f"{url}/assign", json={"assignee_id": agent.id}, headers=agent.headers)
    assert assigned.json()["assignee"] == {"id": agent.id, "name": names[agent.id]}
    await http.post(f"{url}/replies", json={"body": "On it"}, headers=agent.headers)

    listed = (await http.get("/v1/tickets", params={"q": subject}, headers=customer.headers)).json()["items"]
    assert [t["cc_users"] for t in listed] == [
        [{"id": org["customer2"].id, "name": names[org["customer2"].id]}]
    ]
    assert listed[0]["assignee"]["name"] == names[agent.id] and listed[0]["requester_id"] == customer.id

    detail = (await http.get(url, headers=customer.headers)).json()
    actors = [(e["type"], e["actor"]) for e in detail["timeline"]]
    assert actors[0] == ("ticket_created", {"id": customer.id, "name": names[customer.id]})
    assert ("reply_added", {"id": agent.id, "name": names[agent.id]}) in actors

    escalated = await http.post(f"{url}/escalations", json={"summary": "Look"}, headers=agent.headers)
    escalation = (
        await http.get(f"/v1/escalations/{escalated.json()['id']}", headers=customer.headers)
    ).json()
    assert escalation["timeline"][0]["actor"] == {"id": agent.id, "name": names[agent.id]}


@pytest_asyncio.fixture
async def statements(engine: AsyncEngine) -> AsyncIterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", count)


def _reader(engine: AsyncEngine, settings: Settings, member: Member) -> Context:
    async def no_temporal() -> Any:
        raise AssertionError("a read asked for Temporal")

    principal = Principal(member.id, member.org_id, Role(member.role), "reader", "r@x.test")
    return Context(principal, engine, settings, no_temporal)


async def test_a_page_names_everyone_with_one_more_query(
    http: httpx.AsyncClient,
    engine: AsyncEngine,
    settings: Settings,
    org: Org,
    staff: Org,
    statements: list[str],
) -> None:
    """However many tickets and people a page holds: the page's query, then one for the names."""
    subject = f"Counted {uuid.uuid4().hex}"
    for _ in range(3):
        await _open(http, org, subject)
    context = _reader(engine, settings, staff["agent"])
    for limit in (1, 3):
        statements.clear()
        page = await tickets.list_tickets(context, tickets.TicketFilter(q=subject), limit)
        assert len(page.items) == limit
        assert len(statements) == 2
        assert set(page.people.names) == {org["customer"].id, org["customer2"].id}


async def test_a_detail_costs_the_same_with_more_events_and_people(
    http: httpx.AsyncClient,
    engine: AsyncEngine,
    settings: Settings,
    org: Org,
    staff: Org,
    statements: list[str],
) -> None:
    ticket = await _open(http, org, f"Detail {uuid.uuid4().hex}")
    context = _reader(engine, settings, staff["agent"])
    statements.clear()
    await tickets.get_ticket(context, ticket["id"])
    before = len(statements)
    for member in (staff["agent"], staff["engineer"], staff["admin"]):
        reply = await http.post(
            f"/v1/tickets/{ticket['id']}/replies", json={"body": "hi"}, headers=member.headers
        )
        assert reply.status_code == 200, reply.text
    statements.clear()
    view = await tickets.get_ticket(context, ticket["id"])
    assert len(view.timeline) == 4 and len(view.people.names) == 5
    assert len(statements) == before
