"""One trace from the HTTP request to the activity: API span → Temporal client span → workflow → activity.

The test has its own tracer provider with an in-memory exporter, a client that carries the tracing
interceptor (a copy of the session client, same connection), and a worker on its own task queue built
from that client, so nothing else in the session is traced or affected.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
import structlog
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_trace_id
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor

from api.app import create_app
from infra import tracing
from infra.log import get_logger
from infra.settings import Settings
from tests.support.identities import Org

TICKET = {"subject": "Traced export", "description": "Follow me", "severity": 2}


@dataclass
class Traced:
    http: httpx.AsyncClient
    exporter: InMemorySpanExporter


@pytest_asyncio.fixture(scope="module")
async def traced(settings: Settings, engine: AsyncEngine, client: Client) -> AsyncIterator[Traced]:
    from entrypoints.worker import build_worker

    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    config = client.config()
    config["interceptors"] = tracing.tracing_interceptors(provider)
    traced_client = Client(**config)
    traced_settings = settings.model_copy(update={"temporal_task_queue": f"traced-{uuid.uuid4().hex[:8]}"})
    app = create_app(traced_settings, engine=engine, temporal=traced_client, jira=None)
    app.state.tracer_provider = provider
    app.add_api_route("/_test/log", log_from_a_handler, methods=["GET"])
    async with build_worker(traced_client, traced_settings):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://escalator.test") as http:
            yield Traced(http, exporter)
    provider.shutdown()


async def log_from_a_handler() -> dict[str, str]:
    """A line logged inside an endpoint, which runs in a task of its own under the access middleware."""
    get_logger("tests.handler").info("inside the handler")
    return {}


@pytest.fixture
def log_events() -> Iterator[list[MutableMapping[str, Any]]]:
    """Every structlog event dict of the test, as the renderer would get it."""
    events: list[MutableMapping[str, Any]] = []

    def capture(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        events.append(dict(event))
        return event

    processors = structlog.get_config()["processors"]
    processors.insert(len(processors) - 1, capture)
    yield events
    processors.remove(capture)


def one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, (name, [s.name for s in spans])
    return found[0]


def ancestors(span: ReadableSpan, spans: list[ReadableSpan]) -> list[str]:
    """Names from `span` up to the root, following parent span ids within the finished spans."""
    by_id = {s.context.span_id: s for s in spans}
    names = [span.name]
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def finished_spans(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    """The spans so far, once `name` has finished (an activity span may end just after the reply)."""
    for _ in range(50):
        spans = list(exporter.get_finished_spans())
        if any(s.name == name for s in spans):
            return spans
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {name} span")


async def test_create_ticket_is_one_trace_from_request_to_activity(traced: Traced, org: Org) -> None:
    traced.exporter.clear()
    response = await traced.http.post("/v1/tickets", json=TICKET, headers=org["customer"].headers)
    assert response.status_code == 201, response.text

    spans = await finished_spans(traced.exporter, "RunActivity:project_ticket")
    server = one(spans, "POST /v1/tickets")
    start = one(spans, "StartUpdateWithStartWorkflow:TicketWorkflow")  # the start and `opened` in one call
    opened = one(spans, "HandleUpdate:opened")
    run = one(spans, "RunWorkflow:TicketWorkflow")
    activity = one(spans, "RunActivity:project_ticket")
    assert server.kind is SpanKind.SERVER and server.parent is None
    assert server.attributes is not None and server.attributes["http.route"] == "/v1/tickets"
    assert server.attributes["http.response.status_code"] == 201
    traced_ids = {s.context.trace_id for s in (server, start, opened, run, activity)}
    assert traced_ids == {server.context.trace_id}
    # The SDK parents in-workflow spans (run, update, activity scheduling) on the caller's span: they
    # are created and ended at once because a workflow replays, so they cannot nest in time.
    assert ancestors(activity, spans) == [
        "RunActivity:project_ticket",
        "StartActivity:project_ticket",
        "StartUpdateWithStartWorkflow:TicketWorkflow",
        "POST /v1/tickets",
    ]
    assert ancestors(opened, spans)[1:] == ["StartUpdateWithStartWorkflow:TicketWorkflow", "POST /v1/tickets"]
    assert run.parent is not None and run.parent.span_id == start.context.span_id


async def test_incoming_traceparent_is_continued(traced: Traced, org: Org) -> None:
    traced.exporter.clear()
    trace_id = uuid.uuid4().hex
    parent = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}
    response = await traced.http.get("/v1/tickets", headers={**org["customer"].headers, **parent})
    assert response.status_code == 200
    server = one(list(traced.exporter.get_finished_spans()), "GET /v1/tickets")
    assert format_trace_id(server.context.trace_id) == trace_id


async def test_every_api_log_line_has_request_and_trace_ids(
    traced: Traced, org: Org, log_events: list[MutableMapping[str, Any]]
) -> None:
    traced.exporter.clear()
    missing = await traced.http.get("/v1/tickets/999999999", headers=org["customer"].headers)
    logged = await traced.http.get("/_test/log")
    assert (missing.status_code, logged.status_code) == (404, 200)
    spans = list(traced.exporter.get_finished_spans())
    expected = {"request"}, {"inside the handler", "request"}
    pairs = zip((missing, logged), ("GET /v1/tickets/{ticket_id}", "GET /_test/log"), expected, strict=True)
    for response, route, events in pairs:
        trace_id = format_trace_id(one(spans, route).context.trace_id)
        lines = [e for e in log_events if e.get("request_id") == response.headers["X-Request-ID"]]
        assert {e["event"] for e in lines} == events
        assert {e.get("trace_id") for e in lines} == {trace_id}


async def test_log_lines_carry_a_trace_id_when_nothing_is_exported(
    api_http: httpx.AsyncClient, log_events: list[MutableMapping[str, Any]]
) -> None:
    response = await api_http.get("/healthz")
    lines = [e for e in log_events if e.get("request_id") == response.headers["X-Request-ID"]]
    assert [e["event"] for e in lines] == ["request"]
    assert len(lines[0]["trace_id"]) == 32 and int(lines[0]["trace_id"], 16) != 0


def test_otlp_export_only_when_an_endpoint_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "_configured", None)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    assert tracing.configure_tracing("escalator-test") is None
    assert tracing.tracing_interceptors() == []
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    provider = tracing.configure_tracing("escalator-test")
    try:
        assert provider is not None and tracing.configure_tracing("other") is provider
        assert provider.resource.attributes["service.name"] == "escalator-test"
        assert [type(i) for i in tracing.tracing_interceptors()] == [TracingInterceptor]
        assert tracing.tracer_provider() is provider
    finally:
        provider.shutdown()
