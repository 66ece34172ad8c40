"""Prometheus metrics of the API and the worker: the domain counters and the HTTP request metrics.

Everything lives in prometheus_client's default registry, so one scrape of a process shows its domain
counters next to the client's process and GC collectors. Domain events are counted where they become
durable (the projection insert that actually wrote them), so a retried activity or a replayed workflow
never counts an event twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)

from domain.escalation.state import Stage
from domain.sla import FIRST_RESPONSE, RESOLUTION

CLOCKS = (FIRST_RESPONSE, RESOLUTION)
JIRA_OPERATIONS = ("create_card", "read_cards", "comment_cards", "read_card")
JIRA_OUTCOMES = ("ok", "retryable", "rejected")

TICKETS_CREATED = Counter(
    "escalator_tickets_created", "Tickets created (their first timeline event projected)."
)
SLA_WARNINGS = Counter("escalator_sla_warnings", "SLA warnings recorded, by clock.", ["clock"])
SLA_BREACHES = Counter("escalator_sla_breaches", "SLA breaches recorded, by clock.", ["clock"])
ESCALATION_STAGES = Counter(
    "escalator_escalations_stage", "Entries of escalations into each stage.", ["stage"]
)
JIRA_CALLS = Counter(
    "escalator_jira_calls",
    "Calls to JIRA by operation and outcome (ok|retryable|rejected).",
    ["operation", "outcome"],
)
HTTP_REQUESTS = Counter(
    "escalator_http_requests",
    "API requests by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "escalator_http_request_duration_seconds",
    "API request duration by method and route template.",
    ["method", "route"],
)


def _zero_series() -> None:
    """Publish every known label set at 0 so that rate() and deltas work from the first event."""
    for clock in CLOCKS:
        SLA_WARNINGS.labels(clock=clock)
        SLA_BREACHES.labels(clock=clock)
    for stage in Stage:
        ESCALATION_STAGES.labels(stage=stage.value)
    for operation in JIRA_OPERATIONS:
        for outcome in JIRA_OUTCOMES:
            JIRA_CALLS.labels(operation=operation, outcome=outcome)


_zero_series()


def count_ticket_events(events: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
    """Count newly projected ticket events (type, data): creations, SLA warnings and breaches."""
    for event_type, data in events:
        if event_type == "ticket_created":
            TICKETS_CREATED.inc()
        elif event_type == "sla_warning":
            SLA_WARNINGS.labels(clock=str(data.get("clock"))).inc()
        elif event_type == "sla_breached":
            SLA_BREACHES.labels(clock=str(data.get("clock"))).inc()


def count_escalation_events(events: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
    """Count newly projected escalation events as stage entries (creation enters `submitted`)."""
    for event_type, data in events:
        if event_type == "escalation_created":
            ESCALATION_STAGES.labels(stage=Stage.SUBMITTED.value).inc()
        elif event_type == "stage_changed":
            ESCALATION_STAGES.labels(stage=str(data.get("to"))).inc()


def count_jira_call(operation: str, outcome: str) -> None:
    JIRA_CALLS.labels(operation=operation, outcome=outcome).inc()


def observe_http_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_DURATION.labels(method=method, route=route).observe(seconds)


def exposition(registry: CollectorRegistry = REGISTRY) -> tuple[bytes, str]:
    """The registry in Prometheus text format, with its content type, for an HTTP handler."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


def serve(port: int, host: str = "127.0.0.1", registry: CollectorRegistry = REGISTRY) -> None:
    """Serve /metrics from a daemon thread: for processes without an HTTP server (the worker)."""
    start_http_server(port, addr=host, registry=registry)
