"""OpenTelemetry tracing: one provider per process, exported over OTLP only when asked for.

Set `OTEL_EXPORTER_OTLP_ENDPOINT` (e.g. http://localhost:4318, OTLP over HTTP/protobuf; the standard
`OTEL_EXPORTER_OTLP_*` and `OTEL_SERVICE_NAME` variables apply) to export spans; without it nothing is
exported and Temporal calls carry no tracing headers.

The provider is deliberately not installed as OpenTelemetry's global one: FastAPI ≥ 0.164 starts its own
request spans as soon as a global provider exists, which would double the API's server spans. Everything
that traces here (the request-span middleware, Temporal's TracingInterceptor) is handed it explicitly.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.contrib.opentelemetry import TracingInterceptor

TRACER_NAME = "escalator"

_configured: TracerProvider | None = None
# Spans with real ids and nowhere to go: log lines carry a trace id even when nothing is exported.
_ids_only = TracerProvider()


def configure_tracing(service_name: str) -> TracerProvider | None:
    """The process's exporting provider, made on the first call; None when OTLP export is off."""
    global _configured
    if _configured is not None or not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return _configured
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    name = os.environ.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _configured = provider
    return provider


def tracer_provider() -> TracerProvider:
    """The exporting provider when tracing is on, else one that only mints ids for the logs."""
    return _configured or _ids_only


def tracing_interceptors(provider: TracerProvider | None = None) -> list[TracingInterceptor]:
    """Temporal client/worker interceptors: spans from API call to activity, one trace throughout.

    Tests pass their own provider (in-memory exporter); otherwise the configured one, if any.
    """
    chosen = provider or _configured
    if chosen is None:
        return []
    return [TracingInterceptor(chosen.get_tracer(TRACER_NAME))]


def add_trace_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the current span's trace id, so a log line leads to its trace."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", trace.format_trace_id(context.trace_id))
    return event


def log_trace_ids() -> None:
    """Put `add_trace_id` in front of the configured structlog processors (idempotent).

    The list is changed in place because loggers cached on first use keep a reference to it; and the
    id is read from the span rather than bound as a context variable because the access-log
    middleware clears structlog's context at the start of every request.
    """
    processors = structlog.get_config()["processors"]
    if isinstance(processors, list) and add_trace_id not in processors:
        processors.insert(0, add_trace_id)
