"""The satisfaction answer through the API after the ticket closed (seed 002: "Deixar feedback" on a
closed ticket): the requester (customer or org admin) answers once, cc and others may not, other
changes stay refused, and the report counts the late answer once."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.identities import Org


async def closed_ticket(http: httpx.AsyncClient, requester: Any, staff: Org, cc: list[str]) -> str:
    body = {"subject": f"Late survey {uuid.uuid4().hex}", "description": "d", "cc": cc}
    created = await http.post("/v1/tickets", json=body, headers=requester.headers)
    assert created.status_code == 201, created.text
    url = f"/v1/tickets/{created.json()['id']}"
    assert (await http.post(f"{url}/resolve", headers=staff["agent"].headers)).status_code == 200
    closed = await http.post(f"{url}/close", headers=requester.headers)
    assert closed.json()["status"] == "closed"
    return url


async def test_the_requester_rates_a_closed_ticket_once(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    url = await closed_ticket(http, org["customer"], staff, cc=[org["customer2"].id])

    by_cc = await http.post(f"{url}/feedback", json={"satisfied": True}, headers=org["customer2"].headers)
    assert by_cc.status_code == 409, by_cc.text  # a participant is not the requester
    rated = await http.post(
        f"{url}/feedback",
        json={"satisfied": True, "comment": "late but happy"},
        headers=org["customer"].headers,
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "closed" and rated.json()["satisfaction"]["satisfied"] is True
    again = await http.post(f"{url}/feedback", json={"satisfied": False}, headers=org["customer"].headers)
    assert again.status_code == 409  # once per resolution, and the run has ended with the answer
    reply = await http.post(f"{url}/replies", json={"body": "and one more"}, headers=org["customer"].headers)
    assert reply.status_code == 409 and reply.json()["current_status"] == "closed"

    report = await http.get(
        "/v1/reports/satisfaction", params={"org_id": org.id}, headers=staff["agent"].headers
    )
    assert [(row["answers"], row["satisfied"]) for row in report.json()] == [(1, 1)]


async def test_an_org_admin_who_is_the_requester_rates_their_closed_ticket(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    url = await closed_ticket(http, org["org_admin"], staff, cc=[])
    other = await http.post(f"{url}/feedback", json={"satisfied": True}, headers=org["customer"].headers)
    assert other.status_code in (404, 409)  # not theirs to answer (and maybe not theirs to see)
    rated = await http.post(f"{url}/feedback", json={"satisfied": False}, headers=org["org_admin"].headers)
    assert rated.status_code == 200, rated.text
    assert rated.json()["satisfaction"]["satisfied"] is False
