"""The conversation over HTTP: duplicates and merge, satisfaction, attachments on messages."""

from __future__ import annotations

import uuid

import httpx

from tests.support.identities import Org

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


async def open_ticket(http: httpx.AsyncClient, who, subject: str, **extra) -> httpx.Response:
    return await http.post(
        "/v1/tickets", json={"subject": subject, "description": "details", **extra}, headers=who.headers
    )


async def test_duplicate_refused_then_allowed_then_merged(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    tag = uuid.uuid4().hex[:6]
    first = await open_ticket(http, org["customer"], f"Boleto {tag} generation fails for March invoices")
    assert first.status_code == 201
    again = await open_ticket(http, org["customer2"], f"Boleto {tag} generation fails for march invoice")
    assert again.status_code == 409
    problem = again.json()
    assert problem["type"] == "/problems/possible-duplicate"
    # A colleague's ticket is counted but not shown: customer2 may not otherwise see it (issue #15).
    assert problem["similar"] == [] and problem["similar_count"] == 1
    assert f"#{first.json()['id']}" not in problem["detail"]
    admin = await open_ticket(http, org["org_admin"], f"Boleto {tag} generation fails for march invoice")
    assert admin.status_code == 409 and admin.json()["similar"][0]["id"] == first.json()["id"]
    forced = await open_ticket(
        http, org["customer2"], f"Boleto {tag} generation fails for march invoice", allow_duplicate=True
    )
    assert forced.status_code == 201
    dup, target = forced.json(), first.json()

    agent = staff["agent"]
    clocks_before = (await http.get(f"/v1/tickets/{target['id']}", headers=agent.headers)).json()["sla"]
    r = await http.post(f"/v1/tickets/{dup['id']}/merge", json={"into": target["id"]}, headers=agent.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["merged_into"] == target["id"]
    merged = (await http.get(f"/v1/tickets/{target['id']}", headers=agent.headers)).json()
    assert org["customer2"].id in merged["cc"]
    absorbed = next(e for e in merged["timeline"] if e["type"] == "merged_from")
    assert absorbed["data"]["source_id"] == dup["id"] and absorbed["data"]["messages"]
    after = merged["sla"]
    for before_clock, after_clock in zip(clocks_before["clocks"], after["clocks"], strict=True):
        assert before_clock["target_seconds"] == after_clock["target_seconds"]
        assert before_clock["due"] == after_clock["due"], "the target's clocks did not move"
    # The requester of the duplicate now sees the target as a participant.
    assert (
        await http.get(f"/v1/tickets/{target['id']}", headers=org["customer2"].headers)
    ).status_code == 200


async def test_satisfaction_only_by_requester_and_once(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    ticket = (await open_ticket(http, org["customer"], f"Survey {uuid.uuid4().hex}")).json()
    url = f"/v1/tickets/{ticket['id']}"
    r = await http.post(f"{url}/feedback", json={"satisfied": True}, headers=org["customer"].headers)
    assert r.status_code == 409  # not resolved yet
    await http.post(f"{url}/resolve", headers=staff["agent"].headers)
    r = await http.post(f"{url}/feedback", json={"satisfied": True}, headers=org["org_admin"].headers)
    assert r.status_code == 409  # only the requester
    r = await http.post(
        f"{url}/feedback", json={"satisfied": False, "comment": "slow"}, headers=org["customer"].headers
    )
    assert r.status_code == 200 and r.json()["satisfaction"]["satisfied"] is False
    r = await http.post(f"{url}/feedback", json={"satisfied": True}, headers=org["customer"].headers)
    assert r.status_code == 409  # once per resolution
    report = await http.get(
        "/v1/reports/satisfaction", params={"org_id": org.id}, headers=staff["agent"].headers
    )
    assert report.json() == [
        {"org_id": org.id, "agent_id": None, "answers": 1, "satisfied": 0, "satisfaction_rate": 0.0}
    ]
    mine = await http.get("/v1/reports/satisfaction", headers=org["org_admin"].headers)
    assert [row["org_id"] for row in mine.json()] == [org.id]
    assert (await http.get("/v1/reports/satisfaction", headers=org["customer"].headers)).status_code == 403


async def test_attachments_on_ticket_and_reply(
    http: httpx.AsyncClient, org: Org, staff: Org, other_org: Org
) -> None:
    customer = org["customer"]
    up = await http.post(
        "/v1/attachments", files={"file": ("screen.png", PNG, "image/png")}, headers=customer.headers
    )
    assert up.status_code == 201, up.text
    ticket = await open_ticket(
        http, customer, f"Screenshot {uuid.uuid4().hex}", attachments=[up.json()["id"]]
    )
    assert ticket.status_code == 201
    tid = ticket.json()["id"]
    detail = (await http.get(f"/v1/tickets/{tid}", headers=staff["agent"].headers)).json()
    assert [a["filename"] for a in detail["attachments"]] == ["screen.png"]
    content = await http.get(f"/v1/attachments/{up.json()['id']}/content", headers=staff["agent"].headers)
    assert content.status_code == 200 and content.content == PNG
    stranger = await http.get(
        f"/v1/attachments/{up.json()['id']}/content", headers=other_org["customer"].headers
    )
    assert stranger.status_code == 404
    six = [up.json()["id"]] * 6
    r = await http.post(
        f"/v1/tickets/{tid}/replies", json={"body": "more", "attachments": six}, headers=customer.headers
    )
    assert r.status_code == 422
    other = await http.post(
        "/v1/attachments", files={"file": ("b.png", PNG, "image/png")}, headers=customer.headers
    )
    r = await http.post(
        f"/v1/tickets/{tid}/replies",
        json={"body": "one more", "attachments": [other.json()["id"]]},
        headers=customer.headers,
    )
    assert r.status_code == 200
    detail = (await http.get(f"/v1/tickets/{tid}", headers=customer.headers)).json()
    assert len(detail["attachments"]) == 2
    reply = [e for e in detail["timeline"] if e["type"] == "reply_added"][-1]
    assert reply["data"]["attachments"] == [other.json()["id"]]
