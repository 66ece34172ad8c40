"""Outgoing webhooks end to end: admin API, the projection's outbox, a real HTTPS receiver on 127.0.0.1.

Time is driven through the deliverer's clock: a day of failures is lived through in a loop, not slept.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.webhooks.signature import verify
from integrations.webhooks.deliverer import WebhookDeliverer
from integrations.webhooks.settings import WebhookSettings
from store import audit_log, webhooks
from tests.support.identities import Org
from tests.support.pages import all_items
from tests.support.webhook_receiver import Receiver, https_receiver

TICKET = {
    "subject": "Webhook test ticket",
    "description": "Deliveries",
    "severity": 3,
    "allow_duplicate": True,
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    with https_receiver(tmp_path) as r:
        yield r


@pytest.fixture(autouse=True)
def private_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")


@pytest_asyncio.fixture
async def registered(http: httpx.AsyncClient, staff: Org, receiver: Receiver) -> AsyncIterator[dict]:
    events = ["ticket.created", "ticket.assigned", "ticket.status_changed"]
    body = {"url": receiver.url, "events": events, "description": "test receiver"}
    r = await http.post("/v1/admin/webhooks", json=body, headers=staff["admin"].headers)
    assert r.status_code == 201, r.text
    yield r.json()
    await http.delete(f"/v1/admin/webhooks/{r.json()['id']}", headers=staff["admin"].headers)


def deliverer(engine: AsyncEngine, receiver: Receiver, clock: Clock) -> WebhookDeliverer:
    return WebhookDeliverer(engine, WebhookSettings(allow_private=True, ca_file=receiver.ca_file), clock)


def of_ticket(receiver: Receiver, ticket_id: int) -> list:
    return [r for r in receiver.requests if json.loads(r.body)["ticket"]["id"] == ticket_id]


async def endpoint(http: httpx.AsyncClient, admin, endpoint_id: str) -> dict:
    listed = await all_items(http, "/v1/admin/webhooks", admin.headers)
    return next(e for e in listed if e["id"] == endpoint_id)


async def test_signed_deliveries_survive_an_outage_and_keep_their_event_ids(
    http: httpx.AsyncClient, engine: AsyncEngine, org: Org, staff: Org, receiver: Receiver, registered: dict
) -> None:
    agent, admin = staff["agent"], staff["admin"]
    assert registered["secret"].startswith("whsec_") and registered["status"] == "active"
    ticket = (await http.post("/v1/tickets", json=TICKET, headers=org["customer"].headers)).json()
    url = f"/v1/tickets/{ticket['id']}"
    await http.post(f"{url}/assign", json={"assignee_id": agent.id}, headers=agent.headers)
    await http.post(f"{url}/replies", json={"body": "on it"}, headers=agent.headers)  # publishes nothing
    await http.post(f"{url}/resolve", headers=agent.headers)

    clock, receiver.status = Clock(), 503
    sender = deliverer(engine, receiver, clock)
    assert await sender.deliver_due() == 0
    down = of_ticket(receiver, ticket["id"])
    assert [json.loads(r.body)["type"] for r in down] == [
        "ticket.created",
        "ticket.assigned",
        "ticket.status_changed",
    ]
    seen = await endpoint(http, admin, registered["id"])
    assert (seen["status"], seen["last_error"]) == ("active", "HTTP 503") and seen["failing_since"]
    assert await sender.deliver_due() == 0 and len(of_ticket(receiver, ticket["id"])) == 3  # backing off

    receiver.status = 200
    clock.now += timedelta(seconds=11)
    assert await sender.deliver_due() >= 3
    requests = of_ticket(receiver, ticket["id"])
    ids = [r.headers["Escalator-Event-Id"] for r in requests]
    assert len(ids) == 6 and len(set(ids)) == 3  # each event twice (503, then 200), one id each
    for r in requests:
        assert verify(
            registered["secret"], r.body, r.headers["Escalator-Signature"], now=int(clock.now.timestamp())
        )
        assert r.headers["Escalator-Event-Id"] == json.loads(r.body)["id"]
    assert not verify(
        "wrong-secret",
        requests[0].body,
        requests[0].headers["Escalator-Signature"],
        now=int(clock.now.timestamp()),
    )
    healed = await endpoint(http, admin, registered["id"])
    assert healed["failing_since"] is None and healed["last_success_at"]
    async with engine.connect() as conn:
        rows = [
            r for r in await webhooks.outbox_rows(conn, registered["id"]) if r["ticket_id"] == ticket["id"]
        ]
    assert [r["attempts"] for r in rows] == [2, 2, 2] and all(r["delivered_at"] for r in rows)


async def test_a_day_of_failures_disables_the_endpoint_visibly(
    http: httpx.AsyncClient, engine: AsyncEngine, org: Org, staff: Org, receiver: Receiver, registered: dict
) -> None:
    admin = staff["admin"]
    ticket = (await http.post("/v1/tickets", json=TICKET, headers=org["customer"].headers)).json()
    clock, receiver.status = Clock(), 503
    sender = deliverer(engine, receiver, clock)
    start = clock.now
    while clock.now - start < timedelta(hours=23):
        await sender.deliver_due()
        clock.now += timedelta(minutes=30)
    assert (await endpoint(http, admin, registered["id"]))["status"] == "active"
    while clock.now - start < timedelta(days=1, hours=2):
        await sender.deliver_due()
        clock.now += timedelta(minutes=30)
    off = await endpoint(http, admin, registered["id"])
    assert (off["status"], off["last_error"]) == ("disabled", "HTTP 503") and off["disabled_at"]
    tries = len(of_ticket(receiver, ticket["id"]))
    assert tries > 10  # backed off, but kept trying all day
    clock.now += timedelta(hours=2)
    await sender.deliver_due()
    assert len(of_ticket(receiver, ticket["id"])) == tries  # a disabled endpoint gets nothing

    r = await http.patch(
        f"/v1/admin/webhooks/{registered['id']}", json={"status": "active"}, headers=admin.headers
    )
    assert (r.json()["status"], r.json()["failing_since"]) == ("active", None)
    receiver.status = 200
    await sender.deliver_due()
    assert of_ticket(receiver, ticket["id"])[-1].status == 200  # the pending row goes out after re-enabling
    async with engine.connect() as conn:
        actions = [e["action"] for e in await audit_log.entries_for(conn, "webhook", registered["id"])]
    assert actions == ["webhook.created", "webhook.enabled"]


async def test_registration_rules(
    http: httpx.AsyncClient, staff: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = staff["admin"]
    body = {"url": "http://example.com/hook", "events": ["ticket.created"]}
    r = await http.post("/v1/admin/webhooks", json=body, headers=admin.headers)
    assert r.status_code == 422 and "https" in r.json()["detail"]
    r = await http.post(
        "/v1/admin/webhooks", json={**body, "events": ["ticket.exploded"]}, headers=admin.headers
    )
    assert r.status_code == 422
    r = await http.post(
        "/v1/admin/webhooks", json={**body, "url": "https://x.example"}, headers=staff["agent"].headers
    )
    assert r.status_code == 403
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "false")
    for private in (
        "https://127.0.0.1:8443/h",
        "https://10.1.2.3/h",
        "https://169.254.169.254/latest",
        "https://[::1]/h",
    ):
        r = await http.post("/v1/admin/webhooks", json={**body, "url": private}, headers=admin.headers)
        assert r.status_code == 422, private
        assert "private" in r.json()["detail"]
    listed = await all_items(http, "/v1/admin/webhooks", admin.headers)
    assert all("secret" not in e for e in listed)


async def test_a_retried_registration_answers_the_same_endpoint(
    http: httpx.AsyncClient, staff: Org, receiver: Receiver
) -> None:
    headers = {**staff["admin"].headers, "Idempotency-Key": "wh-" + receiver.url[-20:]}
    body = {"url": receiver.url, "events": ["sla.breached"]}
    first = await http.post("/v1/admin/webhooks", json=body, headers=headers)
    again = await http.post("/v1/admin/webhooks", json=body, headers=headers)
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.json()["secret"] == first.json()["secret"]
    await http.delete(f"/v1/admin/webhooks/{first.json()['id']}", headers=staff["admin"].headers)
