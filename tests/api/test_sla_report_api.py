"""`GET /v1/reports/sla` over real tickets: access, the period limit, group_by=group, JSON and CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.support.identities import Org

NOW = datetime.now(UTC)
PERIOD = {"from": (NOW - timedelta(hours=1)).isoformat(), "to": (NOW + timedelta(days=1)).isoformat()}


async def test_staff_only_and_the_limits(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    for who in (org["customer"], org["org_admin"]):
        assert (await http.get("/v1/reports/sla", params=PERIOD, headers=who.headers)).status_code == 403
    agent = staff["agent"].headers
    long = {"from": "2025-01-01T00:00:00Z", "to": "2026-01-02T00:00:01Z"}
    r = await http.get("/v1/reports/sla", params=long, headers=agent)
    assert r.status_code == 422 and "366 days" in r.json()["detail"]
    r = await http.get("/v1/reports/sla", params={**PERIOD, "group_by": "group"}, headers=agent)
    assert r.status_code == 200 and r.json()["group_by"] == "group"  # tickets have groups (routing)
    r = await http.get("/v1/reports/sla", params={**PERIOD, "group_by": "moon"}, headers=agent)
    assert r.status_code == 422


async def test_report_by_org_from_real_tickets(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    customer, agent = org["customer"], staff["agent"]
    body = {"subject": "SLA report ticket", "description": "d", "severity": 4, "allow_duplicate": True}
    answered = (await http.post("/v1/tickets", json=body, headers=customer.headers)).json()
    waiting = (await http.post("/v1/tickets", json=body, headers=customer.headers)).json()
    await http.post(f"/v1/tickets/{answered['id']}/replies", json={"body": "hello"}, headers=agent.headers)
    await http.post(f"/v1/tickets/{answered['id']}/resolve", headers=agent.headers)
    assert waiting["status"] == "open"

    r = await http.get("/v1/reports/sla", params={**PERIOD, "group_by": "org"}, headers=agent.headers)
    assert r.status_code == 200, r.text
    assert r.json()["group_by"] == "org" and "from" in r.json()
    [row] = [g for g in r.json()["groups"] if g["key"] == org.id]
    # Two tickets; the answered one met both clocks (Sev4: 16 h / 56 h, just now); the other runs on.
    assert row["tickets"] == 2
    assert (
        row["first_response"]["met"],
        row["first_response"]["breached"],
        row["first_response"]["met_pct"],
    ) == (1, 0, 100.0)
    assert (row["resolution"]["met"], row["resolution"]["breached"]) == (1, 0)
    assert row["first_response"]["median_seconds"] is not None and row["breaches"] == []

    csv = await http.get(
        "/v1/reports/sla", params={**PERIOD, "group_by": "org", "format": "csv"}, headers=agent.headers
    )
    assert csv.headers["content-type"].startswith("text/csv")
    [line] = [ln for ln in csv.text.splitlines() if f",{org.id}," in ln]
    assert line.startswith(f"org,{org.id},2,1,0,100.0,")
