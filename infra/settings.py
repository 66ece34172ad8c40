"""Configuration from environment variables, with defaults that work on one laptop."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the API, the worker and `make dev` read from the environment."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "escalator"
    temporal_api_key: str | None = None
    temporal_tls: bool = False
    temporal_tls_cert: str | None = Field(default=None, description="client certificate (PEM) for mTLS")
    temporal_tls_key: str | None = Field(default=None, description="client key (PEM) for mTLS")
    temporal_tls_server_ca: str | None = None

    database_url: str = "postgresql+psycopg://postgres@/escalator?host=.data/postgres"
    database_pool_size: int = 10
    # Sized for 2 cores: after a worker restart every open ticket's task arrives at once, and each
    # must replay its history within the 10 s workflow task timeout. The SDK's default of 100
    # concurrent workflow tasks made them time out in turn; a few at a time finish well inside it.
    worker_max_workflow_tasks: int = Field(default=16, ge=1)
    worker_max_activities: int = Field(default=32, ge=1)
    worker_max_local_activities: int = Field(default=32, ge=1)
    # The worker delivers the mail outbox itself unless entrypoints.mailer does (make dev, compose).
    worker_sends_mail: bool = True
    # Beyond this many open tickets, a timer or update of an evicted ticket replays its history first.
    worker_max_cached_workflows: int = Field(default=10_000, ge=0)
    # Import workflows/ afresh for every run under the sandbox's restrictions (the test suite does):
    # a determinism check that costs ~150 KiB per cached run, so production shares them instead.
    worker_checked_sandbox: bool = False

    auto_resolve_after_seconds: int = 10 * 86_400
    auto_close_after_seconds: int = 4 * 86_400
    # A closed ticket still takes the requester's satisfaction answer this long (seed 002); 0: never.
    feedback_after_close_seconds: int = Field(default=14 * 86_400, ge=0)

    escalation_reconcile_seconds: int = 900
    verification_reminder_business_days: int = 3
    verification_timeout_days: int = 10

    api_update_timeout_seconds: float = 10.0
    public_base_url: str = "http://localhost:8000"
    # Key of the signed one-click links in e-mails (domain/signed_links.py), shared by every process
    # that sends mail or serves pages. No default: `make dev` and the tests make one of their own.
    link_signing_key: SecretStr | None = None
    # Inbound mail: the authserv-id of the relay in front of us whose `Authentication-Results`
    # we believe (a `dmarc=pass` from it authenticates the From). None: no relay is trusted, and
    # only reply-token addresses authenticate mail (domain/mail_admission.py).
    mail_trusted_authserv_id: str | None = None
    # The suspended-mail queue keeps at most this much of each held message's raw bytes.
    suspended_mail_max_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)

    log_format: str = Field(default="auto", description="auto | json | console")
    log_level: str = "INFO"


def link_key(settings: Settings) -> bytes:
    """The signing key as bytes; a clear error where a process was started without one."""
    if settings.link_signing_key is None:
        raise RuntimeError("LINK_SIGNING_KEY is not set: signed e-mail links cannot be made or read")
    return settings.link_signing_key.get_secret_value().encode()


@lru_cache
def get_settings() -> Settings:
    """One parsed copy per process; tests build their own `Settings` instead."""
    return Settings()
