"""Settings of outgoing webhooks, from the environment (`WEBHOOKS_…`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSettings(BaseSettings):
    """`allow_private` lets endpoints resolve to loopback/private addresses (tests, `make dev`)."""

    model_config = SettingsConfigDict(env_prefix="WEBHOOKS_", extra="ignore", case_sensitive=False)

    allow_private: bool = False
    # An extra CA bundle (PEM) to trust, e.g. a company's internal CA or a test receiver's own CA.
    ca_file: str | None = None
    timeout_seconds: float = Field(default=10.0, gt=0)
    batch_size: int = Field(default=50, ge=1)
