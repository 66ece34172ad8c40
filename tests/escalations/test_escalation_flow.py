"""Escalations end to end over HTTP: JIRA cards created and moved, webhooks, verification, ticket resolved."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.escalations.conftest import Bed
from tests.jira_server import JiraServer
from tests.support.identities import Org


async def eventually(
    probe: Callable[[], Awaitable[Any]], check: Callable[[Any], bool], seconds: float = 15
) -> Any:
    """Webhooks and signals are asynchronous: poll the read model until it shows the expected state."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await probe()
        if check(value):
            return value
        assert asyncio.get_running_loop().time() < deadline, f"never reached; last seen: {value}"
        await asyncio.sleep(0.1)


async def open_ticket(http: httpx.AsyncClient, org: Org) -> dict:
    body = {"subject": "Invoices duplicated after import", "description": "Each invoice twice", "severity": 2}
    r = await http.post("/v1/tickets", json=body, headers=org["customer"].headers)
    assert r.status_code == 201, r.text
    return r.json()


async def escalate(bed: Bed, org: Org, staff: Org) -> tuple[dict, dict]:
    ticket = await open_ticket(bed.http, org)
    r = await bed.http.post(
        f"/v1/tickets/{ticket['id']}/escalations",
        json={"target": "engineering", "summary": "Importer duplicates invoices"},
        headers=staff["agent"].headers,
    )
    assert r.status_code == 201, r.text
    return ticket, r.json()


def escalation(bed: Bed, who, escalation_id: str) -> Callable[[], Awaitable[dict]]:
    async def read() -> dict:
        return (await bed.http.get(f"/v1/escalations/{escalation_id}", headers=who.headers)).json()

    return read


async def test_full_escalation_life(bed: Bed, site: JiraServer, org: Org, staff: Org) -> None:
    ticket, esc = await escalate(bed, org, staff)
    eng, customer = staff["engineer"], org["customer"]
    assert esc["stage"] == "submitted" and esc["id"].startswith("CP-")
    seen = await bed.http.get(f"/v1/tickets/{ticket['id']}", headers=customer.headers)
    assert seen.json()["status"] == "escalated"

    r = await bed.http.post(f"/v1/escalations/{esc['id']}/cards", json={"create": True}, headers=eng.headers)
    assert r.status_code == 202, r.text
    read = escalation(bed, eng, esc["id"])
    state = await eventually(read, lambda e: len(e["cards"]) == 1)
    key = state["cards"][0]["key"]
    issue = site.issue_json(key)
    assert f"esc-{esc['id'].lower()}" in [label.lower() for label in issue["fields"]["labels"]]

    moves = ("In Progress", "In Review", "In Progress", "In Review")
    for status, stage in zip(moves, ["engineering"] * 4, strict=True):
        site.move_card(key, status)
        state = await eventually(read, lambda e, s=status: e["cards"][0]["status"] == s)
        assert state["stage"] == stage
    site.move_card(key, "Done")
    state = await eventually(read, lambda e: e["stage"] == "verifying")
    ticket_now = (await bed.http.get(f"/v1/tickets/{ticket['id']}", headers=customer.headers)).json()
    resolution = next(c for c in ticket_now["sla"]["clocks"] if c["name"] == "resolution")
    await eventually(
        lambda: bed.http.get(f"/v1/tickets/{ticket['id']}", headers=customer.headers),
        lambda r: (
            next(c for c in r.json()["sla"]["clocks"] if c["name"] == "resolution")["status"] == "paused"
        ),
    )
    assert resolution["status"] in ("paused", "running")

    # Only the requester (or their org admin) answers; the customer says it is not fixed.
    r = await bed.http.post(
        f"/v1/escalations/{esc['id']}/verification", json={"fixed": True}, headers=eng.headers
    )
    assert r.status_code == 409
    r = await bed.http.post(
        f"/v1/escalations/{esc['id']}/verification",
        json={"fixed": False, "comment": "still duplicated"},
        headers=customer.headers,
    )
    assert r.status_code == 200 and r.json()["stage"] == "engineering"
    await eventually(lambda: asyncio.sleep(0, site.issue_json(key)), lambda i: "still duplicated" in str(i))

    for status in ("In Progress", "In Review"):
        site.move_card(key, status)
        await eventually(read, lambda e, s=status: e["cards"][0]["status"] == s)
    site.move_card(key, "Done")
    await eventually(read, lambda e: e["stage"] == "verifying")
    r = await bed.http.post(
        f"/v1/escalations/{esc['id']}/verification", json={"fixed": True}, headers=customer.headers
    )
    assert r.json()["stage"] == "resolved"

    final = await eventually(
        lambda: bed.http.get(f"/v1/tickets/{ticket['id']}", headers=customer.headers),
        lambda r: r.json()["status"] == "resolved",
    )
    assert final.json()["escalation"]["stage"] == "resolved"
    timeline = [(e["type"], e["data"].get("to")) for e in (await read())["timeline"]]
    stages = [to for kind, to in timeline if kind == "stage_changed"]
    assert stages == ["engineering", "verifying", "engineering", "verifying", "resolved"]
    assert [kind for kind, _ in timeline].count("card_progress") == 8
    assert ("verification_answered", None) in timeline


async def test_lost_webhook_is_caught_by_reconcile_and_duplicates_change_nothing(
    bed: Bed, site: JiraServer, org: Org, staff: Org
) -> None:
    _, esc = await escalate(bed, org, staff)
    eng = staff["engineer"]
    key = site.create_issue_as_user("ESC", "Existing bug") if hasattr(site, "create_issue_as_user") else None
    if key is None:
        r = await bed.http.post(
            f"/v1/escalations/{esc['id']}/cards", json={"create": True}, headers=eng.headers
        )
        assert r.status_code == 202
    read = escalation(bed, eng, esc["id"])
    state = await eventually(read, lambda e: len(e["cards"]) == 1)
    key = state["cards"][0]["key"]

    site.move_card(key, "In Progress", delivery="lost")
    await eventually(read, lambda e: e["cards"][0]["status"] == "In Progress", seconds=20)
    detail = await read()
    assert [e["data"]["source"] for e in detail["timeline"] if e["type"] == "card_progress"] == ["reconcile"]

    dispatch = site.move_card(key, "In Review", delivery="duplicate")
    await eventually(read, lambda e: e["cards"][0]["status"] == "In Review")
    assert len(await dispatch.delivered()) == 2, "the duplicate was sent twice"
    # A barrier instead of a fixed sleep: signals to one workflow are handled in order, so once this
    # later move is visible, anything the duplicate could have done is visible too.
    await site.move_card(key, "In Progress").delivered()
    detail = await eventually(read, lambda e: e["cards"][0]["status"] == "In Progress")
    assert [e["data"]["to"] for e in detail["timeline"] if e["type"] == "card_progress"] == [
        "in_progress",
        "in_review",
        "in_progress",
    ]


async def test_webhook_signature_and_body_are_checked(bed: Bed, site: JiraServer) -> None:
    from domain.webhook_signature import sign
    from tests.escalations.conftest import WEBHOOK_SECRET

    body = b'{"webhookEvent": "jira:issue_updated"}'
    r = await bed.http.post("/v1/webhooks/jira", content=body, headers={"X-Hub-Signature": "sha256=00"})
    assert r.status_code == 401
    r = await bed.http.post("/v1/webhooks/jira", content=body)
    assert r.status_code == 401
    bad = b"{not json"
    r = await bed.http.post(
        "/v1/webhooks/jira", content=bad, headers={"X-Hub-Signature": sign(WEBHOOK_SECRET, bad)}
    )
    assert r.status_code == 400
    unknown = b'{"webhookEvent":"jira:issue_updated","issue":{"key":"ZZZ-1","fields":{}},"changelog":{"items":[{"field":"status","toString":"Done"}]}}'
    r = await bed.http.post(
        "/v1/webhooks/jira", content=unknown, headers={"X-Hub-Signature": sign(WEBHOOK_SECRET, unknown)}
    )
    assert r.status_code == 200 and r.json()["status"] == "ignored"


async def test_bad_project_shows_card_sync_failed_and_escalation_keeps_working(
    bed: Bed, site: JiraServer, org: Org, staff: Org
) -> None:
    _, esc = await escalate(bed, org, staff)
    eng = staff["engineer"]
    r = await bed.http.post(
        f"/v1/escalations/{esc['id']}/cards", json={"create": True, "project": "NOPE"}, headers=eng.headers
    )
    assert r.status_code == 202
    read = escalation(bed, eng, esc["id"])
    detail = await eventually(read, lambda e: any(x["type"] == "card_sync_failed" for x in e["timeline"]))
    # The customer gets the public view: stage, dates, public notes; never JIRA's raw error (#15).
    seen = (await bed.http.get(f"/v1/escalations/{esc['id']}", headers=org["customer"].headers)).json()
    assert [e["type"] for e in seen["timeline"]] == ["escalation_created"]
    assert "NOPE" not in str(seen)
    assert detail["card_creations_pending"] == 0
    r = await bed.http.post(
        f"/v1/escalations/{esc['id']}/stage",
        json={"stage": "in_review", "note": "triage"},
        headers=eng.headers,
    )
    assert r.status_code == 200 and r.json()["stage"] == "in_review"


async def test_link_existing_card_by_key_and_refusals(
    bed: Bed, site: JiraServer, org: Org, staff: Org
) -> None:
    _, esc = await escalate(bed, org, staff)
    eng = staff["engineer"]
    r = await bed.http.post(
        f"/v1/escalations/{esc['id']}/cards", json={"key": "ESC-99999"}, headers=eng.headers
    )
    assert r.status_code == 422
    r = await bed.http.post(
        f"/v1/escalations/{esc['id']}/cards", json={"key": "x", "create": True}, headers=eng.headers
    )
    assert r.status_code == 422
    r = await bed.http.post(
        f"/v1/escalations/{esc['id']}/stage", json={"stage": "resolved"}, headers=eng.headers
    )
    assert r.status_code == 409 and "verifying" not in r.json()["allowed_actions"]
    r = await bed.http.post(
        f"/v1/escalations/{esc['id']}/stage", json={"stage": "declined"}, headers=eng.headers
    )
    assert r.status_code == 422  # declining needs a reason
    r = await bed.http.post(
        f"/v1/escalations/{esc['id']}/stage",
        json={"stage": "declined", "note": "works as designed"},
        headers=eng.headers,
    )
    assert r.json()["stage"] == "declined"
    ticket = await eventually(
        lambda: bed.http.get(f"/v1/tickets/{esc['ticket_id']}", headers=org["customer"].headers),
        lambda r: r.json()["status"] == "open",
    )
    assert ticket.json()["escalation"]["reason"] == "works as designed"
    r = await bed.http.get(f"/v1/escalations/{esc['id']}", headers=staff["agent"].headers)
    assert r.status_code == 200


async def cards_labelled(bed: Bed, escalation_id: str) -> list[str]:
    from integrations.jira.client import JiraClient

    settings = bed.jira_settings
    async with JiraClient.from_settings(settings) as jira:
        issues = await jira.search_jql(f'labels = "esc-{escalation_id.lower()}"')
    return [i.key for i in issues]


async def test_rate_limit_retry_after_is_honoured(bed: Bed, site: JiraServer, org: Org, staff: Org) -> None:
    _, esc = await escalate(bed, org, staff)
    site.inject("rate_limit", 1, method="POST", path=r"/rest/api/3/issue$", retry_after=2)
    started = asyncio.get_running_loop().time()
    r = await bed.http.post(
        f"/v1/escalations/{esc['id']}/cards", json={"create": True}, headers=staff["engineer"].headers
    )
    assert r.status_code == 202
    await eventually(escalation(bed, staff["engineer"], esc["id"]), lambda e: len(e["cards"]) == 1)
    assert asyncio.get_running_loop().time() - started >= 2.0, "the retry waited for Retry-After"
    assert (
        next(q.fault for q in site.requests if q.method == "POST" and q.path.endswith("/issue"))
        == "rate_limit"
    )
    assert len(await cards_labelled(bed, esc["id"])) == 1


async def test_card_creation_retried_after_lost_response_leaves_one_issue(
    bed: Bed, site: JiraServer, org: Org, staff: Org
) -> None:
    _, esc = await escalate(bed, org, staff)
    site.inject("lose_response", 1, method="POST", path=r"/rest/api/3/issue$")
    r = await bed.http.post(
        f"/v1/escalations/{esc['id']}/cards", json={"create": True}, headers=staff["engineer"].headers
    )
    assert r.status_code == 202
    state = await eventually(escalation(bed, staff["engineer"], esc["id"]), lambda e: len(e["cards"]) == 1)
    assert await cards_labelled(bed, esc["id"]) == [state["cards"][0]["key"]]
