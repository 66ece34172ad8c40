"""Hostile and broken input: every answer is a 4xx problem+json, never a 5xx, and nothing changes.

Why explicit cases beside the schemathesis run: fuzzing stays within what the schema can describe,
while these are the classic attacks on a JSON API that a schema cannot (bodies too big to buffer,
nesting deep enough to exhaust the parser's stack, bytes that are not UTF-8, replayed webhooks).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from api.body_limits import DEFAULT_MAX_BYTES
from domain.actors import Actor, Role
from domain.escalation.commands import LinkCard
from domain.webhook_signature import sign
from infra.settings import Settings
from store.escalation_queries import delivery_key
from store.tables import escalation_events, webhook_deliveries
from tests.reliability.world import app_with_webhook_secret, escalate, open_ticket
from tests.support.identities import Member, Org, make_org, make_staff
from workflows.escalation import EscalationWorkflow
from workflows.escalation_input import escalation_workflow_id

WEBHOOK_SECRET = "bad-input-webhook-secret"
LINKED = "BAD-1"  # the card linked to the bed's escalation
MB = 1024 * 1024


@dataclass
class Bed:
    http: httpx.AsyncClient
    engine: AsyncEngine
    customer: Member
    agent: Member
    ticket_id: int
    escalation_id: str


@pytest_asyncio.fixture(scope="module")
async def app(settings: Settings, engine: AsyncEngine, client: Client) -> FastAPI:
    return app_with_webhook_secret(settings, engine, client, WEBHOOK_SECRET)


@pytest_asyncio.fixture(scope="module")
async def bed(app: FastAPI, engine: AsyncEngine, client: Client, worker: Worker) -> AsyncIterator[Bed]:
    org: Org = await make_org(engine)
    staff: Org = await make_staff(engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=30) as http:
        ticket_id = await open_ticket(http, org["customer"], f"Bad input {uuid.uuid4().hex[:8]}", [])
        escalation_id = await escalate(http, staff["agent"], ticket_id, "bad-input")
        await _link_card(client, escalation_id, staff["engineer"], LINKED)
        yield Bed(http, engine, org["customer"], staff["agent"], ticket_id, escalation_id)


async def _link_card(client: Client, escalation_id: str, engineer: Member, key: str) -> None:
    """A card linked in the workflow itself (as the API does after reading it in JIRA; this bed has
    no JIRA), so that a webhook that got through would move it: "nothing changed" can then fail."""
    command = LinkCard(
        Actor(engineer.id, Role.ENGINEER), key, f"https://jira.example.test/browse/{key}", "To Do", "accepted"
    )
    handle = client.get_workflow_handle(escalation_workflow_id(escalation_id))
    await handle.execute_update(EscalationWorkflow.link_card, command)


def assert_problem(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in statuses, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict = response.json()
    assert body["status"] == response.status_code
    return body


# Bodies too large to buffer


async def test_an_oversized_json_body_is_refused_before_it_is_read(bed: Bed) -> None:
    body = json.dumps({"subject": "x" * (2 * MB), "description": "big"}).encode()
    response = await bed.http.post(
        "/v1/tickets", content=body, headers={**bed.customer.headers, "Content-Type": "application/json"}
    )
    problem = assert_problem(response, 413)
    assert problem["max_bytes"] == DEFAULT_MAX_BYTES


async def test_an_oversized_chunked_body_is_cut_off_at_the_limit(bed: Bed) -> None:
    """No Content-Length to go by: the API must stop reading at the first chunk past the limit."""
    chunk = b"[" + b"1," * 32_767 + b"1]"  # 64 KiB of valid JSON text, sent 32 times (2 MiB)
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(32):
            sent += len(chunk)
            yield chunk

    headers = {**bed.customer.headers, "Content-Type": "application/json"}
    response = await bed.http.post("/v1/tickets", content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    assert sent <= DEFAULT_MAX_BYTES + len(chunk), f"read {sent} bytes of a body over the limit"


async def test_attachments_keep_their_own_lower_limit(bed: Bed) -> None:
    files = {"file": ("big.txt", b"a" * (700 * 1024), "text/plain")}
    response = await bed.http.post("/v1/attachments", files=files, headers=bed.customer.headers)
    problem = assert_problem(response, 413)
    assert problem["errors"][0]["field"] == "file"


# Bodies that are not what they claim to be


async def test_deeply_nested_json_is_a_client_error(bed: Bed) -> None:
    body = b'{"subject":' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    response = await bed.http.post(
        "/v1/tickets", content=body, headers={**bed.customer.headers, "Content-Type": "application/json"}
    )
    assert_problem(response, 400, 422)


async def test_invalid_utf8_is_a_bad_request(bed: Bed) -> None:
    body = b'{"subject": "caf\xe9 \xff\xfe", "description": "x"}'
    response = await bed.http.post(
        "/v1/tickets", content=body, headers={**bed.customer.headers, "Content-Type": "application/json"}
    )
    assert_problem(response, 400)


@pytest.mark.parametrize("body", [b"{", b'{"subject": }', b"\x00\x01", b"null", b"[1, 2]", b'"text"'])
async def test_malformed_or_misshapen_json_is_a_client_error(bed: Bed, body: bytes) -> None:
    response = await bed.http.post(
        "/v1/tickets", content=body, headers={**bed.customer.headers, "Content-Type": "application/json"}
    )
    assert_problem(response, 400, 422)


async def test_unknown_fields_are_refused(bed: Bed) -> None:
    body = {"subject": "Export stops", "description": "x", "is_admin": True}
    problem = assert_problem(await bed.http.post("/v1/tickets", json=body, headers=bed.customer.headers), 422)
    assert any(error["field"] == "is_admin" for error in problem["errors"])


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
async def test_a_wrong_content_type_is_refused(bed: Bed, content_type: str) -> None:
    body = json.dumps({"subject": "Export stops", "description": "x"})
    headers = {**bed.customer.headers, "Content-Type": content_type}
    assert_problem(await bed.http.post("/v1/tickets", content=body, headers=headers), 415, 422)


# Query strings


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 10_000},
        {"limit": "-1"},
        {"limit": "0"},
        {"limit": str(10**30)},
        {"limit": "ten"},
        {"severity": "9"},
        {"created_from": "yesterday"},
    ],
)
async def test_out_of_range_queries_are_unprocessable(bed: Bed, params: dict[str, str]) -> None:
    assert_problem(await bed.http.get("/v1/tickets", params=params, headers=bed.customer.headers), 422)


@pytest.mark.parametrize("cursor", ["junk!", "x" * 41, "LTE", "%00", "🙂"])
async def test_a_cursor_the_api_did_not_issue_is_refused(bed: Bed, cursor: str) -> None:
    response = await bed.http.get("/v1/tickets", params={"cursor": cursor}, headers=bed.customer.headers)
    assert_problem(response, 400, 422)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/tickets", {"q": "a\x00b"}),
        ("/v1/tickets", {"product": "\x00"}),
        ("/v1/kb/suggestions", {"q": "ab\x00c"}),
        ("/v1/escalations", {"card": "ESC-\x00"}),
        ("/v1/attachments/a%00b", {}),
        ("/v1/escalations/CP-%00", {}),
    ],
)
async def test_nul_characters_are_refused_not_blamed_on_the_database(
    bed: Bed, path: str, params: dict[str, str]
) -> None:
    """Postgres cannot store U+0000; that is the request's fault (422), not an outage (503)."""
    assert_problem(await bed.http.get(path, params=params, headers=bed.customer.headers), 422)


async def test_nul_characters_in_bodies_are_refused_and_the_ticket_keeps_working(bed: Bed) -> None:
    """Found by schemathesis: a NUL in a reply reached the workflow, whose projection then failed forever."""
    opened = {"subject": "Export\x00stops", "description": "x"}
    problem = assert_problem(
        await bed.http.post("/v1/tickets", json=opened, headers=bed.customer.headers), 422
    )
    assert any("NUL" in error["message"] for error in problem["errors"]), problem
    path = f"/v1/tickets/{bed.ticket_id}/replies"
    before = (await bed.http.get(f"/v1/tickets/{bed.ticket_id}", headers=bed.agent.headers)).json()["version"]
    nested = {"body": "see attached", "resources": [{"title": "log", "url": "https://x.test/\x00"}]}
    for body in ({"body": "a\x00b"}, nested):
        assert_problem(await bed.http.post(path, json=body, headers=bed.agent.headers), 422)
    answered = await bed.http.post(path, json={"body": "clean reply"}, headers=bed.agent.headers)
    assert answered.status_code in (200, 201), answered.text
    assert answered.json()["version"] == before + 1


async def test_a_boolean_is_not_a_number(bed: Bed) -> None:
    body = {"subject": "Export stops", "description": "x", "severity": True}
    problem = assert_problem(await bed.http.post("/v1/tickets", json=body, headers=bed.customer.headers), 422)
    assert any("boolean" in error["message"] for error in problem["errors"]), problem


async def test_a_null_where_the_database_needs_a_value_is_not_an_outage(
    bed: Bed, engine: AsyncEngine
) -> None:
    """Found by schemathesis: `{"name": null}` reached a NOT NULL column and answered 503 "retry"."""
    admin = (await make_staff(engine))["admin"]
    org = (await bed.http.get("/v1/me", headers=bed.customer.headers)).json()["organisation"]
    response = await bed.http.patch(f"/v1/admin/orgs/{org['id']}", json={"name": None}, headers=admin.headers)
    assert_problem(response, 422)


@pytest.mark.parametrize("ticket_id", ["0", "-1", str(2**63), "1e3", "abc"])
async def test_impossible_ids_are_client_errors(bed: Bed, ticket_id: str) -> None:
    response = await bed.http.get(f"/v1/tickets/{ticket_id}", headers=bed.customer.headers)
    assert_problem(response, 404, 422)


# Webhooks that must change nothing


async def _deliveries(engine: AsyncEngine, bodies: list[bytes]) -> int:
    """How many of these bodies are recorded as delivered (deliveries are keyed by the signed body)."""
    async with engine.connect() as conn:
        query = select(webhook_deliveries.c.identifier).where(
            webhook_deliveries.c.identifier.in_([delivery_key(body) for body in bodies])
        )
        return len((await conn.execute(query)).all())


async def _escalation_state(bed: Bed) -> tuple[int, dict]:
    async with bed.engine.connect() as conn:
        query = select(escalation_events.c.seq).where(escalation_events.c.escalation_id == bed.escalation_id)
        events = len((await conn.execute(query)).all())
    read = await bed.http.get(f"/v1/escalations/{bed.escalation_id}", headers=bed.agent.headers)
    return events, read.json()


def _status_change(key: str, status: str = "Done", category: str = "done") -> bytes:
    payload = {
        "webhookEvent": "jira:issue_updated",
        "timestamp": int(time.time() * 1000),
        "issue": {"key": key, "fields": {"status": {"name": status, "statusCategory": {"key": category}}}},
        "changelog": {"items": [{"field": "status", "toString": status}]},
    }
    return json.dumps(payload).encode()


async def _webhook(bed: Bed, body: bytes, signature: str | None, identifier: str) -> httpx.Response:
    headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": identifier}
    if signature is not None:
        headers["X-Hub-Signature"] = signature
    return await bed.http.post("/v1/webhooks/jira", content=body, headers=headers)


async def test_webhooks_with_bad_signatures_or_bodies_change_nothing(bed: Bed) -> None:
    before = await _escalation_state(bed)
    good = _status_change(LINKED)  # would move the linked card to Done, were it let through
    refused = {
        "unsigned": (good, None, 401),
        "wrong secret": (good, sign("not-the-secret", good), 401),
        "other algorithm": (good, "sha1=" + "0" * 40, 401),
        "garbage signature": (good, "sha256=" + "zz" * 32, 401),
        "signature of another body": (good, sign(WEBHOOK_SECRET, b"{}"), 401),
        "not json": (b"not json", sign(WEBHOOK_SECRET, b"not json"), 400),
        "json array": (b"[1]", sign(WEBHOOK_SECRET, b"[1]"), 400),
        "invalid utf-8": (b'{"a": "\xff"}', sign(WEBHOOK_SECRET, b'{"a": "\xff"}'), 400),
    }
    identifiers = {name: f"bad-input-{uuid.uuid4().hex}" for name in refused}
    for name, (body, signature, status) in refused.items():
        response = await _webhook(bed, body, signature, identifiers[name])
        assert_problem(response, status)
    too_big = b'{"pad": "' + b"x" * (2 * MB) + b'"}'
    assert_problem(await _webhook(bed, too_big, sign(WEBHOOK_SECRET, too_big), "bad-input-big"), 413)
    assert await _deliveries(bed.engine, [body for body, _, _ in refused.values()] + [too_big]) == 0
    assert await _escalation_state(bed) == before


async def test_a_replayed_webhook_is_acknowledged_and_ignored(bed: Bed) -> None:
    """The signed body decides what a duplicate is, not the unsigned identifier header: the same body
    under a fresh identifier is a duplicate, another body under a reused identifier is new news."""
    first = _status_change(LINKED, "In Progress", "indeterminate")
    response = await _webhook(bed, first, sign(WEBHOOK_SECRET, first), f"bad-input-{uuid.uuid4().hex}")
    assert response.status_code == 200 and response.json()["status"] == "accepted", response.text
    moved = await _settled(bed, lambda read: read["cards"][0]["progress"] == "in_progress")
    for identifier in (f"bad-input-{uuid.uuid4().hex}", ""):
        replay = await _webhook(bed, first, sign(WEBHOOK_SECRET, first), identifier)
        assert replay.status_code == 200 and replay.json() == {"status": "duplicate"}
    assert await _deliveries(bed.engine, [first]) == 1
    assert await _escalation_state(bed) == moved
    other = _status_change(LINKED, "In Review", "indeterminate")
    reused = await _webhook(bed, other, sign(WEBHOOK_SECRET, other), "bad-input-reused-identifier")
    again = await _webhook(bed, first, sign(WEBHOOK_SECRET, first), "bad-input-reused-identifier")
    assert reused.json()["status"] == "accepted" and again.json() == {"status": "duplicate"}


async def test_two_copies_arriving_together_are_routed_once(bed: Bed) -> None:
    """Jira's duplicate delivery: the same body and identifier, at the same time. A seen-check before
    the insert let both through; insert-first lets exactly one."""
    body = _status_change(LINKED, "In Review", "indeterminate")
    identifier = f"bad-input-together-{uuid.uuid4().hex}"
    copies = [_webhook(bed, body, sign(WEBHOOK_SECRET, body), identifier) for _ in range(2)]
    answers = sorted(r.json()["status"] for r in await asyncio.gather(*copies))
    assert answers == ["accepted", "duplicate"]


async def _settled(bed: Bed, done: Callable[[dict], bool], seconds: float = 20.0) -> tuple[int, dict]:
    """The escalation once a signalled change has been projected (a wait with a deadline, no timing)."""
    async with asyncio.timeout(seconds):
        while True:
            state = await _escalation_state(bed)
            if done(state[1]) and state[0] == state[1]["version"]:  # events and snapshot agree
                return state
            await asyncio.sleep(0.05)
