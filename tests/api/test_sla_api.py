"""SLA administration over HTTP and the clocks tickets carry."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.support.identities import Org

ALWAYS = {"timezone": "UTC", "weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]}


def fast_policy(calendar: str, first: int, product: str) -> dict:
    return {
        "calendar": calendar,
        "rules": [
            {"severity": s, "first_response_minutes": first * s, "resolution_minutes": 60 * s}
            for s in (1, 2, 3, 4)
        ],
        "warning_ratio": 0.5,
        "products": [product],
    }


async def test_default_policy_is_the_seed_matrix(http: httpx.AsyncClient, staff: Org) -> None:
    r = await http.get("/v1/admin/sla-policies/default", headers=staff["admin"].headers)
    assert r.status_code == 200
    rules = {x["severity"]: (x["first_response_minutes"], x["resolution_minutes"]) for x in r.json()["rules"]}
    assert rules == {1: (120, 240), 2: (180, 720), 3: (480, 2400), 4: (960, 3360)}
    cal = (await http.get("/v1/admin/calendars/business-hours-br", headers=staff["admin"].headers)).json()
    assert cal["timezone"] == "America/Sao_Paulo" and cal["holiday_country"] == "BR"


async def test_invalid_calendars_and_policies_are_refused(http: httpx.AsyncClient, staff: Org) -> None:
    admin = staff["admin"].headers
    overlapping = {
        "timezone": "UTC",
        "weekly": [
            {"weekday": 0, "start": "09:00", "end": "12:00"},
            {"weekday": 0, "start": "11:00", "end": "13:00"},
        ],
    }
    r = await http.put("/v1/admin/calendars/bad", json=overlapping, headers=admin)
    assert r.status_code == 422 and "overlap" in r.json()["detail"]
    r = await http.put("/v1/admin/calendars/bad", json={**ALWAYS, "timezone": "Mars/Olympus"}, headers=admin)
    assert r.status_code == 422 and "Mars/Olympus" in r.json()["detail"]
    r = await http.put("/v1/admin/calendars/bad", json={**ALWAYS, "holiday_country": "XX"}, headers=admin)
    assert r.status_code == 422
    missing_sev = fast_policy("business-hours-br", 5, "x")
    missing_sev["rules"] = [*missing_sev["rules"][:3], {**missing_sev["rules"][0], "product": "p"}]
    r = await http.put("/v1/admin/sla-policies/broken", json=missing_sev, headers=admin)
    assert r.status_code == 422 and "severity 4" in r.json()["detail"]
    r = await http.put(
        "/v1/admin/sla-policies/broken", json=fast_policy("no-such-calendar", 5, "x"), headers=admin
    )
    assert r.status_code == 422
    r = await http.put("/v1/admin/calendars/x", json=ALWAYS, headers=staff["agent"].headers)
    assert r.status_code == 403


async def test_product_policy_applies_and_changes_retarget_open_tickets(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    admin = staff["admin"].headers
    name, product = f"fast-{uuid.uuid4().hex[:6]}", f"prod-{uuid.uuid4().hex[:6]}"
    cal = await http.put(f"/v1/admin/calendars/{name}", json=ALWAYS, headers=admin)
    assert cal.status_code == 200 and cal.json()["version"] == 1
    r = await http.put(f"/v1/admin/sla-policies/{name}", json=fast_policy(name, 30, product), headers=admin)
    assert r.status_code == 202 and r.json()["version"] == 1
    body = {"subject": "Slow dashboard", "description": "x", "severity": 1, "product": product}
    ticket = (await http.post("/v1/tickets", json=body, headers=org["customer"].headers)).json()
    assert ticket["sla"]["policy"] == name and ticket["sla"]["policy_version"] == 1
    first = next(c for c in ticket["sla"]["clocks"] if c["name"] == "first_response")
    assert first["status"] == "running" and first["target_seconds"] == 1800
    assert 1790 <= first["remaining_seconds"] <= 1800

    listed = await http.get(
        "/v1/tickets", params={"product": product, "due_before": "2999-01-01T00:00:00Z"}, headers=admin
    )
    assert [t["id"] for t in listed.json()["items"]] == [ticket["id"]]
    none_due = await http.get(
        "/v1/tickets", params={"product": product, "due_before": "2000-01-01T00:00:00Z"}, headers=admin
    )
    assert none_due.json()["items"] == []
    not_breached = await http.get(
        "/v1/tickets", params={"product": product, "breached": False}, headers=admin
    )
    assert len(not_breached.json()["items"]) == 1

    r = await http.put(f"/v1/admin/sla-policies/{name}", json=fast_policy(name, 90, product), headers=admin)
    assert r.status_code == 202 and r.json()["version"] == 2
    assert (
        r.headers["location"]
        == r.json()["rollout_url"]
        == f"/v1/admin/sla-policies/{name}/versions/2/rollout"
    )
    assert r.json()["rollout_workflow_id"] == f"sla-policy-rollout-{name}-v2"
    for _ in range(100):
        rollout = (await http.get(r.json()["rollout_url"], headers=admin)).json()
        if rollout["done"]:
            break
        await asyncio.sleep(0.1)
    assert rollout == {
        "workflow_id": f"sla-policy-rollout-{name}-v2",
        "policy": name,
        "version": 2,
        "total": 1,
        "applied": 1,
        "failed": 0,
        "done": True,
    }
    missing = await http.get(f"/v1/admin/sla-policies/{name}/versions/9/rollout", headers=admin)
    assert missing.status_code == 404
    for _ in range(50):
        seen = (await http.get(f"/v1/tickets/{ticket['id']}", headers=admin)).json()
        if seen["sla"]["policy_version"] == 2:
            break
        await asyncio.sleep(0.1)
    assert seen["sla"]["policy_version"] == 2
    first = next(c for c in seen["sla"]["clocks"] if c["name"] == "first_response")
    assert first["target_seconds"] == 90 * 60
    assert "sla_policy_changed" in [e["type"] for e in seen["timeline"]]


async def test_organisation_policy_wins(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    admin = staff["admin"].headers
    name = f"vip-{uuid.uuid4().hex[:6]}"
    await http.put(f"/v1/admin/calendars/{name}", json=ALWAYS, headers=admin)
    await http.put(f"/v1/admin/sla-policies/{name}", json=fast_policy(name, 10, "none"), headers=admin)
    r = await http.patch(f"/v1/admin/orgs/{org.id}", json={"sla_policy": name}, headers=admin)
    assert r.status_code == 200 and r.json()["sla_policy"] == name
    body = {"subject": "VIP issue", "description": "x", "severity": 2}
    ticket = (await http.post("/v1/tickets", json=body, headers=org["customer"].headers)).json()
    assert ticket["sla"]["policy"] == name
    r = await http.patch(f"/v1/admin/orgs/{org.id}", json={"sla_policy": "nope"}, headers=admin)
    assert r.status_code == 422
