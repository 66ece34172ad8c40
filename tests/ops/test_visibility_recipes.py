"""The README's `temporal workflow list --query` recipes, run against the dev server's visibility."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from temporalio.client import Client

from tests.support.identities import Org

ALWAYS = {"timezone": "UTC", "weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]}


def recipes(org_id: str, now: datetime) -> dict[str, str]:
    """The same queries as the README's ops section (the CLI takes them verbatim with --query)."""
    within_hour = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "sev1_breaching_next_hour": (
            f"TicketSeverity = 1 AND SlaNextDeadline < '{within_hour}' AND ExecutionStatus = 'Running'"
        ),
        "tickets_of_org": f"TicketOrg = '{org_id}'",
        "open_tickets": "TicketStatus = 'open'",
        "escalations_verifying": "EscalationStage = 'verifying'",
    }


async def ids_for(client: Client, query: str, want: set[str], seconds: float = 15) -> set[str]:
    """Visibility is eventually consistent: poll until the expected workflows show up."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        found = {wf.id async for wf in client.list_workflows(query)}
        if want <= found or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.3)


async def test_recipes_find_the_right_tickets(
    api_http: httpx.AsyncClient, client: Client, org: Org, staff: Org
) -> None:
    http = api_http
    admin = staff["admin"].headers
    name, product = f"ops-{uuid.uuid4().hex[:6]}", f"ops-{uuid.uuid4().hex[:6]}"
    await http.put(f"/v1/admin/calendars/{name}", json=ALWAYS, headers=admin)
    rules = [{"severity": s, "first_response_minutes": 30, "resolution_minutes": 600} for s in (1, 2, 3, 4)]
    await http.put(
        f"/v1/admin/sla-policies/{name}",
        json={"calendar": name, "rules": rules, "products": [product]},
        headers=admin,
    )
    tag = uuid.uuid4().hex[:6]
    urgent = (
        await http.post(
            "/v1/tickets",
            json={"subject": f"Checkout down {tag}", "description": "x", "severity": 1, "product": product},
            headers=org["customer"].headers,
        )
    ).json()
    calm = (
        await http.post(
            "/v1/tickets",
            json={"subject": f"Typo on invoice {tag}", "description": "x", "severity": 4, "product": product},
            headers=org["customer"].headers,
        )
    ).json()
    urgent_id, calm_id = f"ticket-{urgent['id']}", f"ticket-{calm['id']}"
    queries = recipes(org.id, datetime.now(UTC))

    sev1 = await ids_for(client, queries["sev1_breaching_next_hour"], {urgent_id})
    assert urgent_id in sev1 and calm_id not in sev1
    mine = await ids_for(client, queries["tickets_of_org"], {urgent_id, calm_id})
    assert {urgent_id, calm_id} <= mine
    description = await client.get_workflow_handle(urgent_id).describe()
    assert await description.static_summary() == f"#{urgent['id']} Sev1 Checkout down {tag}"


async def test_the_group_and_tier_recipe_follows_a_transfer(
    api_http: httpx.AsyncClient, client: Client, org: Org, staff: Org
) -> None:
    """`TicketGroup` / `TicketTier` (README): kept current by the workflow as the ticket moves."""
    http, admin = api_http, staff["admin"].headers
    l1 = (
        await http.post("/v1/admin/groups", json={"name": f"L1 {uuid.uuid4().hex[:6]}"}, headers=admin)
    ).json()
    po = (
        await http.post(
            "/v1/admin/groups", json={"name": f"PO {uuid.uuid4().hex[:6]}", "tier": "L2"}, headers=admin
        )
    ).json()
    await http.post("/v1/admin/routing-rules", json={"group_id": l1["id"], "org_id": org.id}, headers=admin)
    ticket = (
        await http.post("/v1/tickets", json={"subject": "Nota", "description": "x", "allow_duplicate": True},
                        headers=org["customer"].headers)
    ).json()  # fmt: skip
    wid = f"ticket-{ticket['id']}"
    assert wid in await ids_for(client, f"TicketGroup = '{l1['id']}' AND TicketTier = 'L1'", {wid})
    moved = await http.post(
        f"/v1/tickets/{ticket['id']}/transfer", json={"group_id": po["id"]}, headers=staff["agent"].headers
    )
    assert moved.status_code == 200, moved.text
    query = f"TicketTier = 'L2' AND TicketGroup = '{po['id']}' AND ExecutionStatus = 'Running'"
    assert wid in await ids_for(client, query, {wid})
    assert wid not in await ids_for(client, f"TicketGroup = '{l1['id']}'", set(), seconds=0)
