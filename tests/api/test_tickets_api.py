"""The ticket API over HTTP against the real dev server, worker and Postgres."""

from __future__ import annotations

import uuid

import httpx

from tests.support.identities import Org

TICKET = {
    "subject": "Export to CSV stops at 500 rows",
    "description": "Since Monday the export is cut.",
    "severity": 2,
}


async def open_ticket(http: httpx.AsyncClient, who, **extra) -> dict:
    response = await http.post("/v1/tickets", json={**TICKET, **extra}, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_then_get_sees_it(http: httpx.AsyncClient, org: Org) -> None:
    created = await open_ticket(http, org["customer"])
    assert created["status"] == "open"
    assert created["requester_id"] == org["customer"].id
    assert "close" in created["allowed_actions"] and "resolve" not in created["allowed_actions"]
    detail = (await http.get(f"/v1/tickets/{created['id']}", headers=org["customer"].headers)).json()
    assert detail["subject"] == TICKET["subject"]
    assert [e["type"] for e in detail["timeline"]] == ["ticket_created"]


async def test_idempotent_create(http: httpx.AsyncClient, org: Org) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    headers = {**org["customer"].headers, **key}
    first = await http.post("/v1/tickets", json=TICKET, headers=headers)
    second = await http.post("/v1/tickets", json=TICKET, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    changed = await http.post("/v1/tickets", json={**TICKET, "subject": "Other thing"}, headers=headers)
    assert changed.status_code == 422
    assert changed.headers["content-type"].startswith("application/problem+json")


async def test_walk_through_a_ticket_life(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    customer, agent = org["customer"], staff["agent"]
    ticket = await open_ticket(http, customer)
    url = f"/v1/tickets/{ticket['id']}"
    r = await http.post(f"{url}/assign", json={"assignee_id": agent.id}, headers=agent.headers)
    assert r.json()["assignee_id"] == agent.id
    r = await http.post(
        f"{url}/replies", json={"body": "Which browser?", "await_customer": True}, headers=agent.headers
    )
    assert r.json()["status"] == "pending"
    assert (await http.get(url, headers=customer.headers)).json()["status"] == "pending"
    r = await http.post(f"{url}/replies", json={"body": "Firefox"}, headers=customer.headers)
    assert r.json()["status"] == "open"
    r = await http.post(
        f"{url}/replies", json={"body": "db is slow", "internal": True}, headers=agent.headers
    )
    assert r.status_code == 200
    r = await http.post(
        f"{url}/reclassify", json={"severity": 1, "impact": "all exports"}, headers=agent.headers
    )
    assert r.json()["severity"] == 1
    r = await http.post(
        f"{url}/transfer", json={"tier": "L2", "reason": "needs a DBA"}, headers=agent.headers
    )
    assert r.json()["tier"] == "L2"
    r = await http.post(f"{url}/resolve", json={"comment": "index added"}, headers=agent.headers)
    assert r.json()["status"] == "resolved"
    r = await http.post(f"{url}/reopen", json={"reason": "still slow"}, headers=customer.headers)
    assert r.json()["status"] == "open"
    await http.post(f"{url}/resolve", headers=agent.headers)
    r = await http.post(f"{url}/close", headers=customer.headers)
    assert r.json()["status"] == "closed"
    customer_view = (await http.get(url, headers=customer.headers)).json()
    staff_view = (await http.get(url, headers=agent.headers)).json()
    assert "note_added" not in [e["type"] for e in customer_view["timeline"]]
    assert "note_added" in [e["type"] for e in staff_view["timeline"]]
    seqs = [e["seq"] for e in staff_view["timeline"]]
    assert seqs == list(range(1, len(seqs) + 1))
    # A closed ticket is read-only.
    r = await http.post(f"{url}/replies", json={"body": "one more thing"}, headers=customer.headers)
    assert r.status_code == 409
    assert r.json()["current_status"] == "closed"


async def test_rejected_transition_is_409_with_allowed_actions(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    ticket = await open_ticket(http, org["customer"])
    r = await http.post(f"/v1/tickets/{ticket['id']}/reopen", headers=staff["agent"].headers)
    assert r.status_code == 409
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["current_status"] == "open"
    assert "resolve" in body["allowed_actions"]
    r = await http.post(f"/v1/tickets/{ticket['id']}/resolve", headers=org["customer"].headers)
    assert r.status_code == 409
    assert "resolve" not in r.json()["allowed_actions"]


async def test_other_org_gets_404(http: httpx.AsyncClient, org: Org, other_org: Org) -> None:
    ticket = await open_ticket(http, org["customer"])
    for member in (other_org["customer"], other_org["org_admin"], org["customer2"]):
        r = await http.get(f"/v1/tickets/{ticket['id']}", headers=member.headers)
        assert r.status_code == 404, member.role
        r = await http.post(
            f"/v1/tickets/{ticket['id']}/replies", json={"body": "hi"}, headers=member.headers
        )
        assert r.status_code == 404
    assert (
        await http.get(f"/v1/tickets/{ticket['id']}", headers=org["org_admin"].headers)
    ).status_code == 200


async def test_list_scopes_and_filters(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    tag = uuid.uuid4().hex[:6]
    a = await open_ticket(http, org["customer"], subject=f"Printer {tag} jammed", severity=1)
    b = await open_ticket(http, org["customer2"], subject=f"Login {tag} loop", severity=3)
    mine = (await http.get("/v1/tickets", params={"q": tag}, headers=org["customer"].headers)).json()
    assert [t["id"] for t in mine["items"]] == [a["id"]]
    admin_view = (await http.get("/v1/tickets", params={"q": tag}, headers=org["org_admin"].headers)).json()
    assert [t["id"] for t in admin_view["items"]] == [b["id"], a["id"]]
    sev1 = (
        await http.get("/v1/tickets", params={"q": tag, "severity": 1}, headers=staff["agent"].headers)
    ).json()
    assert [t["id"] for t in sev1["items"]] == [a["id"]]
    page1 = (
        await http.get(
            "/v1/tickets", params={"q": tag, "limit": 1, "sort": "created"}, headers=staff["agent"].headers
        )
    ).json()
    assert page1["items"][0]["id"] == b["id"] and page1["next_cursor"]
    page2 = (
        await http.get(
            "/v1/tickets",
            params={"q": tag, "limit": 1, "sort": "created", "cursor": page1["next_cursor"]},
            headers=staff["agent"].headers,
        )
    ).json()
    assert [t["id"] for t in page2["items"]] == [a["id"]] and page2["next_cursor"] is None


async def test_errors_are_problem_json(http: httpx.AsyncClient, org: Org) -> None:
    r = await http.get("/v1/tickets")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    r = await http.get("/v1/tickets", headers={"Authorization": "Bearer esc_nope"})
    assert r.status_code == 401
    r = await http.post(
        "/v1/tickets",
        content=b"{not json",
        headers={**org["customer"].headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    r = await http.post("/v1/tickets", json={**TICKET, "severity": 9}, headers=org["customer"].headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "severity"
    r = await http.get("/v1/tickets", params={"limit": 1000}, headers=org["customer"].headers)
    assert r.status_code == 422
    r = await http.get("/v1/tickets", params={"cursor": "!!!"}, headers=org["customer"].headers)
    assert r.status_code == 400
    r = await http.get("/v1/tickets/999999999", headers=org["customer"].headers)
    assert r.status_code == 404


async def test_me_and_admin(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    me = (await http.get("/v1/me", headers=org["org_admin"].headers)).json()
    assert me["role"] == "org_admin" and me["organisation"]["id"] == org.id
    admin = staff["admin"].headers
    slug = f"acme-{uuid.uuid4().hex[:6]}"
    new_org = (await http.post("/v1/admin/orgs", json={"name": "Acme", "slug": slug}, headers=admin)).json()
    user = (
        await http.post(
            f"/v1/admin/orgs/{new_org['id']}/users",
            json={"name": "Rita", "email": f"rita-{slug}@example.test", "role": "customer"},
            headers=admin,
        )
    ).json()
    key = (await http.post(f"/v1/admin/users/{user['id']}/keys", json={"name": "cli"}, headers=admin)).json()
    assert key["key"].startswith("esc_")
    bearer = {"Authorization": f"Bearer {key['key']}"}
    assert (await http.get("/v1/me", headers=bearer)).json()["id"] == user["id"]
    assert (await http.delete(f"/v1/admin/keys/{key['id']}", headers=admin)).status_code == 204
    assert (await http.get("/v1/me", headers=bearer)).status_code == 401
    assert (
        await http.post("/v1/admin/orgs", json={"name": "X", "slug": slug}, headers=admin)
    ).status_code == 409
    assert (await http.get("/v1/admin/orgs", headers=org["org_admin"].headers)).status_code == 403
