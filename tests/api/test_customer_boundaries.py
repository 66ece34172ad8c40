"""What a customer may put into a ticket and learn from it (issue #15, 5), over HTTP against the real
app, Postgres, dev server and worker: cc only of the ticket's organisation's customers, https links
only, a customer's transcript is the customer's, a cc may reply but not close, and linking a card
checks the role before JIRA is asked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.identities import Member, Org


async def opened(http: httpx.AsyncClient, who: Member, **extra: Any) -> httpx.Response:
    body = {"subject": f"Boundaries {uuid.uuid4().hex}", "description": "details", "allow_duplicate": True}
    return await http.post("/v1/tickets", json={**body, **extra}, headers=who.headers)


def field_of(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json()["errors"][0]["field"])


async def test_cc_takes_only_customers_of_the_tickets_organisation(
    http: httpx.AsyncClient, org: Org, other_org: Org, staff: Org
) -> None:
    customer = org["customer"]
    for stranger in (other_org["customer"].id, staff["agent"].id, str(uuid.uuid4())):
        assert "cc" in field_of(await opened(http, customer, cc=[stranger]))
    colleagues = [org["customer2"].id, org["org_admin"].id]
    ticket = await opened(http, customer, cc=colleagues)
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["cc"] == colleagues


@pytest.mark.parametrize("link", ["javascript:alert(1)", "http://meet.example/abc", "data:text/html,x"])
async def test_a_conference_link_is_https_only(
    http: httpx.AsyncClient, org: Org, staff: Org, link: str
) -> None:
    starts = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    conference = {"scheduled_at": starts, "minutes": 30}
    refused = await opened(
        http, org["customer"], channel="conference", conference={**conference, "link": link}
    )
    assert "link" in field_of(refused)
    ticket = (await opened(http, org["customer"], channel="conference", conference=conference)).json()
    accept = await http.post(
        f"/v1/tickets/{ticket['id']}/conference/accept", json={"link": link}, headers=staff["agent"].headers
    )
    assert "link" in field_of(accept)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http://help.example/sso", "file:///etc/passwd"])
async def test_shared_resources_are_https_only(
    http: httpx.AsyncClient, org: Org, staff: Org, url: str
) -> None:
    ticket = (await opened(http, org["customer"])).json()
    reply = await http.post(
        f"/v1/tickets/{ticket['id']}/replies",
        json={"body": "see this", "resources": [{"title": "Doc", "url": url}]},
        headers=staff["agent"].headers,
    )
    assert "url" in field_of(reply)


async def test_a_customers_transcript_lines_are_the_customers(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    transcript = [{"author": "customer", "body": "Hi"}, {"author": "agent", "body": "We will refund you"}]
    own = await opened(http, org["customer"], channel="chat", transcript=transcript)
    assert own.status_code == 201, own.text
    detail = (await http.get(f"/v1/tickets/{own.json()['id']}", headers=staff["agent"].headers)).json()
    assert [line["author"] for line in detail["timeline"][0]["data"]["transcript"]] == [
        "customer",
        "customer",
    ]
    by_agent = await opened(
        http, staff["agent"], channel="chat", transcript=transcript, requester_id=org["customer"].id
    )
    assert by_agent.status_code == 201, by_agent.text
    detail = (await http.get(f"/v1/tickets/{by_agent.json()['id']}", headers=staff["agent"].headers)).json()
    assert [line["author"] for line in detail["timeline"][0]["data"]["transcript"]] == ["customer", "agent"]


async def test_a_cc_may_reply_but_not_close(http: httpx.AsyncClient, org: Org) -> None:
    ticket = (await opened(http, org["customer"], cc=[org["customer2"].id])).json()
    url = f"/v1/tickets/{ticket['id']}"
    cc = org["customer2"].headers
    assert (await http.post(f"{url}/replies", json={"body": "me too"}, headers=cc)).status_code == 200
    refused = await http.post(f"{url}/close", headers=cc)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await http.get(url, headers=cc)).json()["status"] != "closed"
    assert (await http.post(f"{url}/close", headers=org["customer"].headers)).status_code == 200


async def test_linking_a_card_checks_the_role_before_asking_jira(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    """A customer used to get JIRA's answer (422 no such issue, or 503 without JIRA) before the
    role check, learning which keys exist; now 403 whatever the key."""
    ticket = (await opened(http, org["customer"])).json()
    escalation = await http.post(
        f"/v1/tickets/{ticket['id']}/escalations",
        json={"target": "engineering", "summary": "Boundaries"},
        headers=staff["agent"].headers,
    )
    assert escalation.status_code in (200, 201), escalation.text
    cards = f"/v1/escalations/{escalation.json()['id']}/cards"
    for who in (org["customer"], org["org_admin"]):
        for key in ("ESC-1", "NOPE-999999"):
            refused = await http.post(cards, json={"key": key}, headers=who.headers)
            assert refused.status_code == 403, refused.text
