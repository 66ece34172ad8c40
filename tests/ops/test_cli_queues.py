"""`escalator tickets tag`, `escalator tickets macro` and `escalator queue` against the real API."""

from __future__ import annotations

import json
import uuid

import httpx

from tests.ops.conftest import RunCli
from tests.support.identities import Member, Org


async def open_ticket(http: httpx.AsyncClient, customer: Member, severity: int = 3) -> dict:
    body = {"subject": f"Boleto {uuid.uuid4().hex[:8]}", "description": "x", "severity": severity}
    response = await http.post("/v1/tickets", json=body, headers=customer.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def admin_post(http: httpx.AsyncClient, admin: Member, path: str, body: dict) -> dict:
    response = await http.post(path, json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_tag_adds_and_removes_and_a_bad_tag_exits_1(
    run_cli: RunCli, api_http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    agent, tid = staff["agent"], str((await open_ticket(api_http, org["customer"]))["id"])
    added = await run_cli("tickets", "tag", tid, "--add", "VIP", "--add", "nfe", "--json", key=agent.key)
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["tags"] == ["vip", "nfe"]
    removed = await run_cli("tickets", "tag", tid, "--remove", "vip", "--json", key=agent.key)
    assert json.loads(removed.stdout)["tags"] == ["nfe"]
    bad = await run_cli("tickets", "tag", tid, "--add", "two words", key=agent.key)
    assert bad.exit_code == 1 and "422" in bad.stderr


async def test_macro_preview_then_apply(
    run_cli: RunCli, api_http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    agent = staff["agent"]
    macro = await admin_post(
        api_http,
        staff["admin"],
        "/v1/admin/macros",
        {
            "name": f"Solved {uuid.uuid4().hex[:6]}",
            "reply": "Fixed, {{requester.name}}",
            "actions": {"status": "resolved"},
        },
    )
    tid = str((await open_ticket(api_http, org["customer"]))["id"])
    shown = await run_cli("tickets", "macro", tid, macro["id"], "--preview", key=agent.key)
    assert shown.exit_code == 0, shown.output
    assert "Fixed, customer" in shown.stdout and "macro_applied" in shown.stdout
    assert (
        json.loads((await run_cli("tickets", "show", tid, "--json", key=agent.key)).stdout)["status"]
        == "open"
    )
    applied = await run_cli("tickets", "macro", tid, macro["id"], "--json", key=agent.key)
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout)["status"] == "resolved"
    ask = await admin_post(
        api_http,
        staff["admin"],
        "/v1/admin/macros",
        {"name": f"Ask {uuid.uuid4().hex[:6]}", "reply": "Which file?", "actions": {"status": "pending"}},
    )
    refused = await run_cli("tickets", "macro", tid, ask["id"], key=agent.key)
    assert refused.exit_code == 1 and "409" in refused.stderr and "reopen" in refused.stderr


async def test_queue_counts_and_one_queue_by_deadline(
    run_cli: RunCli, api_http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    group = await admin_post(
        api_http, staff["admin"], "/v1/admin/groups", {"name": f"Q {uuid.uuid4().hex[:8]}"}
    )
    await admin_post(
        api_http, staff["admin"], "/v1/admin/routing-rules", {"group_id": group["id"], "org_id": org.id}
    )
    late, urgent = (
        await open_ticket(api_http, org["customer"], 4),
        await open_ticket(api_http, org["customer"], 1),
    )
    counts = await run_cli("queue", key=staff["agent"].key)
    assert counts.exit_code == 0, counts.output
    assert group["name"] in counts.stdout
    raw = json.loads((await run_cli("queue", "--json", key=staff["agent"].key)).stdout)
    assert next(q for q in raw if q["id"] == group["id"])["open"] == 2
    listed = await run_cli("queue", "--group", group["id"], "--json", key=staff["agent"].key)
    assert [t["id"] for t in json.loads(listed.stdout)["items"]] == [urgent["id"], late["id"]]
    table = await run_cli("queue", "--group", group["id"], key=staff["agent"].key)
    assert table.stdout.index(f"#{urgent['id']}") < table.stdout.index(f"#{late['id']}")
