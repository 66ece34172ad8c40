"""Groups, routing, transfers, queue counts, the queue filters and sorts, and the group's notices,
over HTTP against the real dev server, worker and Postgres."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.mail_sink import MailSink
from infra.settings import Settings, link_key
from integrations.mail.outbox import MailOutbox
from integrations.mail.smtp import MailSettings
from store.queue_tables import groups
from store.tables import users
from tests.support.identities import Member, Org, make_staff
from tests.support.pages import all_items
from tests.support.ports import free_port


def unique(word: str) -> str:
    return f"{word} {uuid.uuid4().hex[:8]}"


async def new_group(http: httpx.AsyncClient, admin: Member, tier: str = "L1", **extra) -> dict:
    r = await http.post(
        "/v1/admin/groups", json={"name": unique("Group"), "tier": tier, **extra}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    return r.json()


async def new_rule(http: httpx.AsyncClient, admin: Member, group_id: str, **conditions) -> dict:
    r = await http.post(
        "/v1/admin/routing-rules", json={"group_id": group_id, **conditions}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    return r.json()


async def open_ticket(http: httpx.AsyncClient, who: Member, **extra) -> dict:
    body = {"subject": unique("Export stops"), "description": "x", "allow_duplicate": True, **extra}
    r = await http.post("/v1/tickets", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def listed(http: httpx.AsyncClient, who: Member, **params) -> list[int]:
    """Every page of the list, following the cursors; the ids in the order served."""
    ids: list[int] = []
    cursor = None
    for _ in range(20):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await http.get("/v1/tickets", params=query, headers=who.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        ids += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("the cursors never ended")


@pytest_asyncio.fixture
async def default_group(http: httpx.AsyncClient, staff: Org, engine: AsyncEngine) -> AsyncIterator[dict]:
    """A default group for one test; the role is taken back after it (the database is shared)."""
    group = await new_group(http, staff["admin"], default=True)
    yield group
    async with engine.begin() as conn:
        await conn.execute(update(groups).where(groups.c.id == group["id"]).values(is_default=False))


# --- routing -------------------------------------------------------------------------------------


async def test_first_matching_rule_wins_in_order_and_reorder_changes_it(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    admin, product = staff["admin"], unique("omni").replace(" ", "-")
    by_product, by_org = await new_group(http, admin), await new_group(http, admin)
    specific = await new_rule(http, admin, by_product["id"], product=product, org_id=org.id)
    broad = await new_rule(http, admin, by_org["id"], org_id=org.id)
    assert (await open_ticket(http, org["customer"], product=product))["group_id"] == by_product["id"]
    assert (await open_ticket(http, org["customer"], product="other"))["group_id"] == by_org["id"]

    rules = await all_items(http, "/v1/admin/routing-rules", admin.headers, {"tier": "L1"})
    order = [r["id"] for r in rules if r["id"] not in (specific["id"], broad["id"])]
    r = await http.put(
        "/v1/admin/routing-rules/order",
        json={"ids": [broad["id"], specific["id"], *order]},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    assert (await open_ticket(http, org["customer"], product=product))["group_id"] == by_org["id"]
    partial = await http.put(
        "/v1/admin/routing-rules/order", json={"ids": [broad["id"]]}, headers=admin.headers
    )
    assert partial.status_code == 422 and partial.json()["errors"][0]["field"] == "ids"
    for rule in (specific, broad):
        assert (
            await http.delete(f"/v1/admin/routing-rules/{rule['id']}", headers=admin.headers)
        ).status_code == 204


async def test_no_rule_matches_goes_to_the_default_group(
    http: httpx.AsyncClient, org: Org, default_group: dict
) -> None:
    assert (await open_ticket(http, org["customer"]))["group_id"] == default_group["id"]


async def test_a_rule_or_member_naming_what_does_not_exist_is_a_422_with_the_field(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    admin = staff["admin"]
    r = await http.post(
        "/v1/admin/routing-rules", json={"group_id": str(uuid.uuid4())}, headers=admin.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "group_id"
    group = await new_group(http, admin)
    r = await http.post(
        f"/v1/admin/groups/{group['id']}/members", json={"user_id": org["customer"].id}, headers=admin.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "user_id"
    assert (await http.get("/v1/admin/groups", headers=staff["agent"].headers)).status_code == 403


# --- transfers -----------------------------------------------------------------------------------


async def test_transfer_to_l2_goes_to_the_product_owners_group_or_the_one_named(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    admin, agent, product = staff["admin"], staff["agent"], unique("nfse").replace(" ", "-")
    owner = await new_group(http, admin, tier="L2")
    await new_rule(http, admin, owner["id"], tier="L2", product=product)
    ticket = await open_ticket(http, org["customer"], product=product)
    url = f"/v1/tickets/{ticket['id']}/transfer"
    moved = await http.post(url, json={"tier": "L2", "reason": "PO"}, headers=agent.headers)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["tier"], moved.json()["group_id"]) == ("L2", owner["id"])

    billing = await new_group(http, admin, tier="L1")
    back = await http.post(url, json={"group_id": billing["id"]}, headers=agent.headers)
    assert (back.json()["tier"], back.json()["group_id"]) == ("L1", billing["id"])
    unknown = await http.post(url, json={"group_id": str(uuid.uuid4())}, headers=agent.headers)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "group_id"
    timeline = (await http.get(f"/v1/tickets/{ticket['id']}", headers=agent.headers)).json()["timeline"]
    transfers = [e["data"] for e in timeline if e["type"] == "transferred"]
    assert [(t["group_from"], t["group_to"]) for t in transfers] == [
        (ticket["group_id"], owner["id"]), (owner["id"], billing["id"])
    ]  # fmt: skip


# --- queues, filters, sorts ----------------------------------------------------------------------


@pytest_asyncio.fixture
async def queue(http: httpx.AsyncClient, org: Org, staff: Org) -> dict:
    """A group that receives every ticket of `org`."""
    group = await new_group(http, staff["admin"])
    await new_rule(http, staff["admin"], group["id"], org_id=org.id)
    return group


async def test_counts_per_queue(http: httpx.AsyncClient, org: Org, staff: Org, queue: dict) -> None:
    agent = staff["agent"]
    waiting, held, _fresh = [await open_ticket(http, org["customer"], severity=s) for s in (3, 2, 1)]
    await http.post(f"/v1/tickets/{held['id']}/assign", json={"assignee_id": agent.id}, headers=agent.headers)
    await http.post(
        f"/v1/tickets/{waiting['id']}/replies",
        json={"body": "Which file?", "await_customer": True},
        headers=agent.headers,
    )
    closed = await open_ticket(http, org["customer"])
    await http.post(f"/v1/tickets/{closed['id']}/close", headers=org["customer"].headers)
    r = await http.get("/v1/queues", headers=agent.headers)
    assert r.status_code == 200, r.text
    row = next(q for q in r.json() if q["id"] == queue["id"])
    assert {k: row[k] for k in ("open", "pending", "escalated", "unassigned", "breached")} == {
        "open": 2, "pending": 1, "escalated": 0, "unassigned": 2, "breached": 0
    }  # fmt: skip
    assert row["next_deadline"] is not None
    assert (await http.get("/v1/queues", headers=org["customer"].headers)).status_code == 403


async def test_sla_sort_pages_in_deadline_order(
    http: httpx.AsyncClient, org: Org, staff: Org, queue: dict
) -> None:
    created = [await open_ticket(http, org["customer"], severity=s) for s in (4, 3, 2, 1)]
    by_deadline = [t["id"] for t in reversed(created)]  # Sev1's first response is due first
    agent = staff["agent"]
    assert await listed(http, agent, group=queue["id"], limit=3) == by_deadline  # sla: the staff default
    assert await listed(http, agent, group=queue["id"], sort="sla", limit=1) == by_deadline
    assert (
        await listed(http, agent, group=queue["id"], sort="created", limit=3)
        == [t["id"] for t in reversed(created)][::-1][::-1]
    )
    stale = await http.get(
        "/v1/tickets",
        params={"group": queue["id"], "sort": "activity", "cursor": (await http.get(
            "/v1/tickets", params={"group": queue["id"], "limit": 1}, headers=agent.headers)).json()["next_cursor"]},
        headers=agent.headers,
    )  # fmt: skip
    assert stale.status_code == 400, "a cursor of another sort is refused, not misread"


async def test_activity_sort_follows_the_last_change_across_pages(
    http: httpx.AsyncClient, org: Org, staff: Org, queue: dict
) -> None:
    agent = staff["agent"]
    tickets = [await open_ticket(http, org["customer"]) for _ in range(4)]
    touched = [tickets[2], tickets[0], tickets[3], tickets[1]]
    for t in touched:
        r = await http.post(f"/v1/tickets/{t['id']}/tags", json={"add": ["seen"]}, headers=agent.headers)
        assert r.status_code == 200, r.text
    latest_first = [t["id"] for t in reversed(touched)]
    assert await listed(http, agent, group=queue["id"], sort="activity", limit=1) == latest_first
    assert await listed(http, agent, group=queue["id"], sort="activity", limit=3) == latest_first


async def test_group_tier_unassigned_me_and_tag_filters(
    http: httpx.AsyncClient, org: Org, staff: Org, queue: dict
) -> None:
    agent, marker = staff["agent"], uuid.uuid4().hex[:8]
    mine, tagged, moved = [await open_ticket(http, org["customer"]) for _ in range(3)]
    await http.post(f"/v1/tickets/{mine['id']}/assign", json={"assignee_id": agent.id}, headers=agent.headers)
    await http.post(
        f"/v1/tickets/{tagged['id']}/tags", json={"add": [f"vip-{marker}"]}, headers=agent.headers
    )
    await http.post(f"/v1/tickets/{moved['id']}/transfer", json={"tier": "L2"}, headers=agent.headers)
    g = {"group": queue["id"], "sort": "created"}
    assert set(await listed(http, agent, **g)) == {mine["id"], tagged["id"], moved["id"]}
    assert await listed(http, agent, **g, assignee="me") == [mine["id"]]
    assert set(await listed(http, agent, **g, unassigned=True)) == {tagged["id"], moved["id"]}
    assert await listed(http, agent, tag=f"VIP-{marker}") == [tagged["id"]]
    assert await listed(http, agent, **g, tier="L2") == [moved["id"]]


# --- tags ----------------------------------------------------------------------------------------


async def test_tags_are_added_removed_listed_and_checked(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    agent, marker = staff["agent"], uuid.uuid4().hex[:8]
    ticket = await open_ticket(http, org["customer"])
    url = f"/v1/tickets/{ticket['id']}/tags"
    r = await http.post(url, json={"add": [f"NFe-{marker}", "urgent"]}, headers=agent.headers)
    assert r.json()["tags"] == [f"nfe-{marker}", "urgent"]
    r = await http.post(url, json={"remove": ["urgent"]}, headers=agent.headers)
    assert r.json()["tags"] == [f"nfe-{marker}"]
    shown = await http.get("/v1/tickets", params={"tag": f"nfe-{marker}"}, headers=agent.headers)
    assert [t["tags"] for t in shown.json()["items"]] == [[f"nfe-{marker}"]]
    bad = await http.post(url, json={"add": ["two words"]}, headers=agent.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "add"
    customer = await http.post(url, json={"add": ["mine"]}, headers=org["customer"].headers)
    assert customer.status_code == 409 and "tag" not in customer.json()["allowed_actions"]
    types = [
        e["type"]
        for e in (await http.get(f"/v1/tickets/{ticket['id']}", headers=agent.headers)).json()["timeline"]
    ]
    assert types.count("tags_changed") == 2


# --- the group hears of unassigned tickets -------------------------------------------------------


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(directory=tmp_path / "mail", port=free_port()) as running:
        yield running


async def test_an_unassigned_tickets_agent_notice_goes_to_its_groups_members(
    http: httpx.AsyncClient, org: Org, staff: Org, engine: AsyncEngine, sink: MailSink, settings: Settings
) -> None:
    team = await make_staff(engine)
    group = await new_group(http, staff["admin"])
    for member in (team["agent"], team["engineer"]):
        r = await http.post(
            f"/v1/admin/groups/{group['id']}/members",
            json={"user_id": member.id},
            headers=staff["admin"].headers,
        )
        assert r.status_code == 200, r.text
    await new_rule(http, staff["admin"], group["id"], org_id=org.id)
    ticket = await open_ticket(http, org["customer"])
    r = await http.post(
        f"/v1/tickets/{ticket['id']}/replies", json={"body": "Any news?"}, headers=org["customer"].headers
    )
    assert r.status_code == 200, r.text
    outbox = MailOutbox(
        engine, MailSettings(smtp_port=sink.port), "http://127.0.0.1:8000", link_key(settings)
    )
    async with engine.connect() as conn:
        found = await conn.execute(
            select(users.c.email).where(users.c.id.in_([team["agent"].id, team["engineer"].id]))
        )
        wanted = sorted(found.scalars())
    notices: list = []
    for _ in range(50):
        await outbox.deliver_due()
        notices = [
            m
            for m in sink.messages
            if f"[#{ticket['id']}]" in str(m["Subject"]) and "Any news?" in m.get_content()
        ]
        if len(notices) >= 2:
            break
        await asyncio.sleep(0.1)
    assert sorted(str(m["To"]) for m in notices) == wanted, "the group's members, and nobody else"
