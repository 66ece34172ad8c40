"""Macros over HTTP against the real dev server, worker and Postgres: defined with checks, applied in
one update with one timeline entry, previewed without change, refused as a whole."""

from __future__ import annotations

import uuid

import httpx

from tests.support.identities import Member, Org
from tests.support.pages import all_items


async def define(http: httpx.AsyncClient, admin: Member, **body) -> httpx.Response:
    return await http.post(
        "/v1/admin/macros", json={"name": f"Macro {uuid.uuid4().hex[:8]}", **body}, headers=admin.headers
    )


async def macro(http: httpx.AsyncClient, admin: Member, **body) -> dict:
    r = await define(http, admin, **body)
    assert r.status_code == 201, r.text
    return r.json()


async def open_ticket(http: httpx.AsyncClient, who: Member) -> dict:
    body = {"subject": f"Boleto {uuid.uuid4().hex[:8]}", "description": "x", "severity": 3}
    r = await http.post("/v1/tickets", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def timeline(http: httpx.AsyncClient, ticket_id: int, who: Member) -> list[dict]:
    return (await http.get(f"/v1/tickets/{ticket_id}", headers=who.headers)).json()["timeline"]


async def group(http: httpx.AsyncClient, admin: Member, tier: str) -> dict:
    r = await http.post(
        "/v1/admin/groups", json={"name": f"G {uuid.uuid4().hex[:8]}", "tier": tier}, headers=admin.headers
    )
    return r.json()


async def test_apply_is_one_update_with_one_entry_and_the_state_expected(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    admin, agent = staff["admin"], staff["agent"]
    l2 = await group(http, admin, "L2")
    m = await macro(
        http,
        admin,
        reply="Olá {{requester.name}}, o chamado #{{ticket.id}} ({{ticket.subject}}) foi corrigido. — {{agent.name}}",
        actions={
            "status": "resolved",
            "assignee_id": "me",
            "tags_add": ["Fixed"],
            "severity": 2,
            "group_id": l2["id"],
        },
    )
    ticket = await open_ticket(http, org["customer"])
    r = await http.post(f"/v1/tickets/{ticket['id']}/macros/{m['id']}", headers=agent.headers)
    assert r.status_code == 200, r.text
    after = r.json()
    assert (after["status"], after["assignee_id"], after["tags"], after["severity"]) == (
        "resolved", agent.id, ["fixed"], 2
    )  # fmt: skip
    assert (after["group_id"], after["tier"]) == (l2["id"], "L2")
    events = await timeline(http, ticket["id"], agent)
    types = [e["type"] for e in events]
    assert types.count("macro_applied") == 1
    at = types.index("macro_applied")
    assert types[at:] == ["macro_applied", "reply_added", "tags_changed", "assigned", "transferred",
                          "reclassified", "status_changed"]  # fmt: skip
    assert len({e["at"] for e in events[at:]}) == 1, "one update: every entry at the same instant"
    applied = events[at]["data"]
    assert (applied["macro_id"], applied["name"]) == (m["id"], m["name"]) and len(applied["did"]) == 6
    reply = events[at + 1]["data"]["body"]
    assert f"#{ticket['id']} ({ticket['subject']})" in reply and "{{" not in reply
    assert reply.startswith("Olá customer ")


async def test_preview_renders_and_shows_changes_without_applying(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    agent = staff["agent"]
    m = await macro(http, staff["admin"], reply="Ticket {{ticket.id}}", actions={"status": "pending"})
    ticket = await open_ticket(http, org["customer"])
    r = await http.post(f"/v1/tickets/{ticket['id']}/macros/{m['id']}/preview", headers=agent.headers)
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["reply"] == f"Ticket {ticket['id']}"
    assert [c["type"] for c in shown["changes"]] == ["macro_applied", "reply_added", "status_changed"]
    now = (await http.get(f"/v1/tickets/{ticket['id']}", headers=agent.headers)).json()
    assert (now["status"], now["version"]) == ("open", ticket["version"])


async def test_an_impossible_macro_is_refused_whole_and_changes_nothing(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    agent = staff["agent"]
    m = await macro(
        http, staff["admin"], reply="Can you check?", actions={"status": "pending", "tags_add": ["asked"]}
    )
    ticket = await open_ticket(http, org["customer"])
    resolved = (await http.post(f"/v1/tickets/{ticket['id']}/resolve", headers=agent.headers)).json()
    preview = await http.post(f"/v1/tickets/{ticket['id']}/macros/{m['id']}/preview", headers=agent.headers)
    assert preview.status_code == 409
    r = await http.post(f"/v1/tickets/{ticket['id']}/macros/{m['id']}", headers=agent.headers)
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["current_status"] == "resolved" and "reopen" in problem["allowed_actions"]
    now = (await http.get(f"/v1/tickets/{ticket['id']}", headers=agent.headers)).json()
    assert (now["version"], now["tags"], now["status"]) == (resolved["version"], [], "resolved")
    assert "macro_applied" not in [e["type"] for e in now["timeline"]]


async def test_a_customer_cannot_apply_a_macro(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    m = await macro(http, staff["admin"], actions={"tags_add": ["x"]})
    ticket = await open_ticket(http, org["customer"])
    # 403 before the macro is looked up: a real id and an unknown one answer alike (no id probing)
    for macro_id in (m["id"], str(uuid.uuid4())):
        for path in ("", "/preview"):
            url = f"/v1/tickets/{ticket['id']}/macros/{macro_id}{path}"
            r = await http.post(url, headers=org["customer"].headers)
            assert r.status_code == 403 and r.json()["type"] == "/problems/forbidden", r.text


async def test_unknown_group_user_tag_or_placeholder_is_a_422_with_the_field(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    admin, nobody = staff["admin"], str(uuid.uuid4())
    cases = [
        ({"group_id": nobody, "reply": "x"}, "group_id"),
        ({"actions": {"group_id": nobody}}, "actions.group_id"),
        ({"actions": {"assignee_id": nobody}}, "actions.assignee_id"),
        ({"actions": {"assignee_id": org["customer"].id}}, "actions.assignee_id"),
        ({"actions": {"tags_add": ["not a tag"]}}, "actions.tags_add"),
        ({"reply": "Hi {{customer.name}}"}, "reply"),
        ({"reply": "x", "internal": True, "actions": {"status": "pending"}}, "actions.status"),
    ]
    for body, field in cases:
        r = await define(http, admin, **body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["errors"][0]["field"] == field, body
    listed = await all_items(http, "/v1/admin/macros", admin.headers)
    assert all("customer.name" not in (m["reply"] or "") for m in listed)
    assert (await define(http, staff["agent"], reply="x")).status_code == 403


async def test_macros_offered_for_a_group_are_its_own_and_the_global_ones(
    http: httpx.AsyncClient, staff: Org
) -> None:
    admin = staff["admin"]
    mine, other = await group(http, admin, "L1"), await group(http, admin, "L1")
    own = await macro(http, admin, group_id=mine["id"], reply="a")
    elsewhere = await macro(http, admin, group_id=other["id"], reply="b")
    everyone = await macro(http, admin, reply="c")
    offered = {
        m["id"] for m in await all_items(http, "/v1/macros", staff["agent"].headers, {"group": mine["id"]})
    }
    assert {own["id"], everyone["id"]} <= offered and elsewhere["id"] not in offered
    assert (await http.delete(f"/v1/admin/macros/{own['id']}", headers=admin.headers)).status_code == 204
