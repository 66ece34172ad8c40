"""Prometheus metrics: API request counters by route template, domain counters counted once per event,
JIRA calls by outcome, and the worker's two endpoints.

Counters are process-wide and other tests share the process, so every check is a delta between two
scrapes (or two reads of the registry) around the work the test does.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.escalation_projection import EscalationProjectionActivities
from activities.jira import JiraActivities
from activities.projection import ProjectionActivities
from domain.escalation.read_model_rows import escalation_rows
from domain.escalation.state import EscalationState, NewEscalation, Target
from domain.events import Event
from domain.ticket.read_model_rows import projection_rows
from domain.ticket.state import NewTicket, TicketState
from infra.settings import Settings
from infra.worker_telemetry import connect_with_telemetry, sdk_metrics_runtime, serve_domain_metrics
from integrations.jira.cards import CommentRequest, CreateCardRequest
from integrations.jira.settings import JiraSettings
from tests.jira_server import JiraServer
from tests.support.identities import Org
from tests.support.ports import free_port
from tests.support.tickets import next_ticket_id

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

TICKETS = "escalator_tickets_created_total"
STAGES = "escalator_escalations_stage_total"
REQUESTS = "escalator_http_requests_total"
DURATIONS = "escalator_http_request_duration_seconds_count"


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def registry_value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def until(read: Callable[[], Awaitable[float]], at_least: float) -> None:
    for _ in range(100):
        if await read() >= at_least:
            return
        await asyncio.sleep(0.1)


# --- the API: a ticket's life, scraped before and after -------------------------------------------


async def test_ticket_life_counts_requests_by_route_and_events_once(
    api_http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    customer, agent, engineer = org["customer"], staff["agent"], staff["engineer"]
    before = await scrape(api_http)
    body = {"subject": "Metrics export", "description": "Count me", "severity": 2}
    created = await api_http.post("/v1/tickets", json=body, headers=customer.headers)
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert (await api_http.get(f"/v1/tickets/{ticket['id']}", headers=customer.headers)).status_code == 200
    reply = {"body": "Which browser?", "await_customer": True}
    r = await api_http.post(f"/v1/tickets/{ticket['id']}/replies", json=reply, headers=agent.headers)
    assert r.status_code == 200 and r.json()["status"] == "pending", r.text
    r = await api_http.post(
        f"/v1/tickets/{ticket['id']}/replies", json={"body": "Firefox"}, headers=customer.headers
    )
    assert r.status_code == 200 and r.json()["status"] == "open", r.text
    assert (await api_http.get("/v1/tickets/999999999", headers=customer.headers)).status_code == 404
    escalate = {"target": "engineering", "summary": "Exporter is slow"}
    r = await api_http.post(f"/v1/tickets/{ticket['id']}/escalations", json=escalate, headers=agent.headers)
    assert r.status_code == 201, r.text
    r = await api_http.post(
        f"/v1/escalations/{r.json()['id']}/stage", json={"stage": "in_review"}, headers=engineer.headers
    )
    assert r.status_code == 200, r.text

    async def in_review() -> float:
        return delta(before, await scrape(api_http), STAGES, stage="in_review")

    await until(in_review, 1)
    after = await scrape(api_http)

    assert delta(before, after, TICKETS) == 1
    assert delta(before, after, STAGES, stage="submitted") == 1
    assert delta(before, after, STAGES, stage="in_review") == 1
    assert delta(before, after, REQUESTS, method="POST", route="/v1/tickets", status="201") == 1
    assert delta(before, after, REQUESTS, method="GET", route="/v1/tickets/{ticket_id}", status="200") == 1
    assert delta(before, after, REQUESTS, method="GET", route="/v1/tickets/{ticket_id}", status="404") == 1
    replies = "/v1/tickets/{ticket_id}/replies"
    assert delta(before, after, REQUESTS, method="POST", route=replies, status="200") == 2
    stage_route = "/v1/escalations/{escalation_id}/stage"
    assert delta(before, after, REQUESTS, method="POST", route=stage_route, status="200") == 1
    assert delta(before, after, DURATIONS, method="POST", route="/v1/tickets") == 1
    assert delta(before, after, REQUESTS, method="GET", route="/metrics", status="200") >= 1
    routes = {dict(labels).get("route", "") for name, labels in after if name == REQUESTS}
    assert not any(str(ticket["id"]) in route for route in routes), routes


async def test_unmatched_paths_share_one_series(api_http: httpx.AsyncClient) -> None:
    before = await scrape(api_http)
    for n in range(3):
        assert (await api_http.get(f"/no/such/path/{n}")).status_code == 404
    after = await scrape(api_http)
    assert delta(before, after, REQUESTS, method="GET", route="unmatched", status="404") == 3


# --- projections: a retry re-sends events already written, and they must not count again -----------


async def test_retried_ticket_projection_counts_once(engine: AsyncEngine, org: Org) -> None:
    now = datetime.now(UTC)
    new = NewTicket(await next_ticket_id(engine), org.id, org["customer"].id, "Retried", "twice")
    state = TicketState.opened(new, now)
    events = [
        Event(1, "ticket_created", now, new.requester_id, "customer"),
        Event(2, "sla_warning", now, None, "system", {"clock": "first_response"}),
        Event(3, "sla_breached", now, None, "system", {"clock": "resolution"}),
    ]
    projection = projection_rows(state, events)
    project = ProjectionActivities(engine).project_ticket
    counters = (
        (TICKETS, {}),
        ("escalator_sla_warnings_total", {"clock": "first_response"}),
        ("escalator_sla_breaches_total", {"clock": "resolution"}),
    )
    for attempt, expected in ((1, 1.0), (2, 0.0)):
        before = [registry_value(name, **labels) for name, labels in counters]
        await ActivityEnvironment().run(project, projection)
        after = [registry_value(name, **labels) for name, labels in counters]
        assert [a - b for a, b in zip(after, before, strict=True)] == [expected] * 3, attempt


async def test_retried_escalation_projection_counts_stage_entries_once(engine: AsyncEngine, org: Org) -> None:
    now = datetime.now(UTC)
    ticket = NewTicket(await next_ticket_id(engine), org.id, org["customer"].id, "Escalated", "x")
    await ActivityEnvironment().run(
        ProjectionActivities(engine).project_ticket, projection_rows(TicketState.opened(ticket, now), [])
    )
    escalation_id, target = f"CP-T{uuid.uuid4().hex[:8]}", Target.ENGINEERING
    new = NewEscalation(escalation_id, ticket.id, org.id, ticket.requester_id, target, "slow", "", "agent")
    events = [
        Event(1, "escalation_created", now, "a", "agent"),
        Event(2, "stage_changed", now, "e", "engineer", {"from": "submitted", "to": "engineering"}),
    ]
    projection = escalation_rows(EscalationState.opened(new, now), events, notify=False)
    project = EscalationProjectionActivities(engine).project_escalation
    stages = ("submitted", "engineering")
    for attempt, expected in ((1, 1.0), (2, 0.0)):
        before = [registry_value(STAGES, stage=s) for s in stages]
        await ActivityEnvironment().run(project, projection)
        after = [registry_value(STAGES, stage=s) for s in stages]
        assert [a - b for a, b in zip(after, before, strict=True)] == [expected] * 2, attempt


# --- JIRA: one count per call, by the outcome Temporal's retry policy sees -------------------------


@pytest.fixture(scope="module")
def jira_site() -> Iterator[JiraServer]:
    server = JiraServer().start()
    yield server
    server.stop()


async def test_jira_calls_are_counted_by_outcome(jira_site: JiraServer) -> None:
    jira_site.reset()
    settings = JiraSettings(
        base_url=jira_site.base_url, email=jira_site.email, api_token=SecretStr(jira_site.api_token),
        timeout_seconds=2,
    )  # fmt: skip
    cards = JiraActivities(settings)
    env = ActivityEnvironment()
    outcomes = [
        ("create_card", "ok"),
        ("read_cards", "ok"),
        ("read_cards", "retryable"),
        ("comment_cards", "rejected"),
    ]
    before = [registry_value("escalator_jira_calls_total", operation=op, outcome=o) for op, o in outcomes]

    request = CreateCardRequest("CP-M1", "Counted", "a card", "http://escalator.test/v1/escalations/CP-M1")
    card = await env.run(cards.create_card, request)
    assert [c.key for c in await env.run(cards.read_cards, [card.key])] == [card.key]
    jira_site.inject("unavailable", retry_after=1)
    with pytest.raises(ApplicationError) as retryable:
        await env.run(cards.read_cards, [card.key])
    assert not retryable.value.non_retryable
    with pytest.raises(ApplicationError) as rejected:
        await env.run(cards.comment_cards, CommentRequest(["ESC-99999"], "hello"))
    assert rejected.value.non_retryable

    after = [registry_value("escalator_jira_calls_total", operation=op, outcome=o) for op, o in outcomes]
    deltas = [a - b for a, b in zip(after, before, strict=True)]
    # Escalations left running by other tests in this process reconcile their cards in the background
    # (read_cards), so those two counters may move more; the calls made here are each counted.
    assert deltas[0] == 1 and deltas[3] == 1
    assert deltas[1] >= 1 and deltas[2] >= 1


# --- the worker: SDK metrics from the runtime's exporter, domain counters beside them ---------------


async def test_worker_serves_sdk_and_domain_metrics(
    temporal_env: WorkflowEnvironment, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk_port, domain_port = free_port(), free_port()
    monkeypatch.setenv("WORKER_METRICS_PORT", str(sdk_port))
    monkeypatch.setenv("WORKER_DOMAIN_METRICS_PORT", str(domain_port))
    address = temporal_env.client.service_client.config.target_host
    client = await connect_with_telemetry(settings.model_copy(update={"temporal_address": address}))
    await client.count_workflows()
    async with httpx.AsyncClient() as http:
        sdk = await http.get(f"http://127.0.0.1:{sdk_port}/metrics")
        domain = await http.get(f"http://127.0.0.1:{domain_port}/metrics")
    assert sdk.status_code == domain.status_code == 200
    assert "temporal_request" in sdk.text
    assert TICKETS in domain.text and 'escalator_jira_calls_total{operation="create_card"' in domain.text


def test_a_taken_metrics_port_does_not_stop_the_worker() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert sdk_metrics_runtime("127.0.0.1", port) is None
        assert serve_domain_metrics("127.0.0.1", port) is False
