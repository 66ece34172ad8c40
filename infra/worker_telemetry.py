"""The worker's telemetry: SDK metrics, domain counters and tracing, wired before it connects.

Two Prometheus endpoints, because the SDK's metrics live in its Rust core (exported by the runtime's
own server) while the domain counters live in prometheus_client's registry in Python:

- `WORKER_METRICS_PORT` (9464): the Temporal SDK's metrics (task slots, poll latency, schedule-to-start…);
- `WORKER_DOMAIN_METRICS_PORT` (9465): `escalator_*` counters (tickets, SLA, escalation stages, JIRA).

Both bind `WORKER_METRICS_HOST` (127.0.0.1; 0.0.0.0 in a container that Prometheus scrapes from outside).
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from infra.log import get_logger
from infra.metrics import serve
from infra.settings import Settings
from infra.temporal_client import connect
from infra.tracing import configure_tracing, log_trace_ids

SERVICE_NAME = "escalator-worker"
log = get_logger(__name__)


class WorkerTelemetrySettings(BaseSettings):
    """Where the worker's metrics are served (environment variables of the same names)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = 9464
    worker_domain_metrics_port: int = 9465


def sdk_metrics_runtime(host: str, port: int) -> Runtime | None:
    """A runtime whose core serves the SDK metrics at http://host:port/metrics (one per process).

    None (the default runtime, no SDK metrics) when the port is taken: losing metrics is logged, but it
    must not stop the worker from running tickets.
    """
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"{host}:{port}")))
    except ValueError as exc:
        log.error("SDK metrics endpoint not started", address=f"{host}:{port}", error=str(exc))
        return None


def serve_domain_metrics(host: str, port: int) -> bool:
    """Serve the `escalator_*` counters; False (logged) when the port is taken, for the same reason."""
    try:
        serve(port, host)
    except OSError as exc:
        log.error("domain metrics endpoint not started", address=f"{host}:{port}", error=str(exc))
        return False
    return True


async def connect_with_telemetry(settings: Settings) -> Client:
    """Configure tracing, start both metrics endpoints, then connect with the metrics runtime."""
    telemetry = WorkerTelemetrySettings()
    host = telemetry.worker_metrics_host
    tracing = configure_tracing(SERVICE_NAME)
    log_trace_ids()
    runtime = sdk_metrics_runtime(host, telemetry.worker_metrics_port)
    if serve_domain_metrics(host, telemetry.worker_domain_metrics_port):
        log.info("domain metrics", url=f"http://{host}:{telemetry.worker_domain_metrics_port}/metrics")
    if runtime is not None:
        log.info("SDK metrics", url=f"http://{host}:{telemetry.worker_metrics_port}/metrics")
    log.info("tracing", export="otlp" if tracing else "off")
    return await connect(settings, runtime=runtime)
