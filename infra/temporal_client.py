"""One way to connect to Temporal for the API, the worker, the CLI and the benchmarks."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from infra.settings import Settings
from infra.tracing import tracing_interceptors


def tls_config(settings: Settings) -> TLSConfig | bool:
    """mTLS when a client certificate is configured, plain TLS when asked for (e.g. API keys on Cloud)."""
    if settings.temporal_tls_cert and settings.temporal_tls_key:
        return TLSConfig(
            client_cert=Path(settings.temporal_tls_cert).read_bytes(),
            client_private_key=Path(settings.temporal_tls_key).read_bytes(),
            server_root_ca_cert=(
                Path(settings.temporal_tls_server_ca).read_bytes()
                if settings.temporal_tls_server_ca
                else None
            ),
        )
    return settings.temporal_tls or bool(settings.temporal_api_key)


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """Connect with the project's settings (namespace, TLS, API key).

    Carries the tracing interceptor when tracing is configured (a worker built on this client inherits
    it); `runtime` lets the worker export the SDK's own metrics.
    """
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key,
        tls=tls_config(settings),
        interceptors=tracing_interceptors(),
        runtime=runtime,
    )
