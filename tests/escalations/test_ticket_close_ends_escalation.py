"""Issue #14 end to end: the requester closes an escalated ticket over HTTP; the escalation is
withdrawn in the read model with the ticket's reason, its JIRA card is told, and the closed ticket
shows the escalation's end. Real Temporal, PostgreSQL and the JIRA-compatible test server."""

from __future__ import annotations

import asyncio

from tests.escalations.conftest import Bed
from tests.escalations.test_escalation_flow import escalate, escalation, eventually
from tests.jira_server import JiraServer
from tests.support.identities import Org


async def test_closing_an_escalated_ticket_withdraws_the_escalation_and_tells_jira(
    bed: Bed, site: JiraServer, org: Org, staff: Org
) -> None:
    ticket, esc = await escalate(bed, org, staff)
    eng, customer = staff["engineer"], org["customer"]
    r = await bed.http.post(f"/v1/escalations/{esc['id']}/cards", json={"create": True}, headers=eng.headers)
    assert r.status_code == 202, r.text
    linked = await eventually(escalation(bed, eng, esc["id"]), lambda e: len(e["cards"]) == 1)
    key = linked["cards"][0]["key"]

    r = await bed.http.post(f"/v1/tickets/{ticket['id']}/close", json={}, headers=customer.headers)
    assert r.status_code == 200, r.text

    ended = await eventually(escalation(bed, eng, esc["id"]), lambda e: e["stage"] == "withdrawn")
    stages = [e["data"] for e in ended["timeline"] if e["type"] == "stage_changed"]
    assert stages[-1]["reason"] == f"ticket #{ticket['id']} closed by the requester"
    await eventually(lambda: asyncio.sleep(0, site.issue_json(key)), lambda i: "was withdrawn" in str(i))
    shown = await eventually(
        lambda: bed.http.get(f"/v1/tickets/{ticket['id']}", headers=customer.headers),
        lambda resp: (resp.json().get("escalation") or {}).get("stage") == "withdrawn",
    )
    assert shown.json()["status"] == "closed"
    r = await bed.http.put(
        f"/v1/escalations/{esc['id']}/eta", json={"eta": "2099-12-31"}, headers=eng.headers
    )
    assert r.status_code in (404, 409), "an ended escalation takes no more changes"
