"""A server span per API request, so one trace runs from the HTTP call through Temporal to activities.

A few lines of ASGI instead of an instrumentation package: the span continues an incoming W3C
`traceparent`, is named by route template (`POST /v1/tickets`), and is current while the request runs,
so the Temporal client's TracingInterceptor parents its spans on it and every log line of the request
(the access line included) carries its `trace_id`.
"""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics_endpoint import route_template
from infra.tracing import TRACER_NAME, configure_tracing, log_trace_ids, tracer_provider

SERVICE_NAME = "escalator-api"
_propagator = TraceContextTextMapPropagator()


def _incoming_headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}


class RequestSpans:
    """Pure ASGI; traces with `app.state.tracer_provider` if set (tests), else the process's provider."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = getattr(scope.get("app"), "state", None)
        provider = getattr(state, "tracer_provider", None) or tracer_provider()
        method = scope["method"]
        with provider.get_tracer(TRACER_NAME).start_as_current_span(
            method,
            context=_propagator.extract(_incoming_headers(scope)),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": scope["path"]},
        ) as span:
            status = 500

            async def send_status(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                await send(message)

            try:
                await self.app(scope, receive, send_status)
            finally:
                route = route_template(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))


def install_request_spans(app: FastAPI) -> None:
    """Trace every request (outermost middleware) and tag log lines with the trace id.

    Also configures the process's tracing once (OTLP export only if OTEL_EXPORTER_OTLP_ENDPOINT is
    set), before the API's lazy Temporal connection picks up the tracing interceptor.
    """
    configure_tracing(SERVICE_NAME)
    log_trace_ids()
    app.add_middleware(RequestSpans)
