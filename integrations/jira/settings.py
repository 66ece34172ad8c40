"""How Escalator reaches Jira, from `JIRA_*` environment variables.

Two auth modes, as Atlassian documents them: Jira Cloud takes Basic `email:api_token`; Jira Data
Center / Server takes a Personal Access Token as `Authorization: Bearer <PAT>`.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.escalation.card_progress import CardProgress, normalize_status_map


class JiraSettings(BaseSettings):
    """Connection, target project and status mapping for dev cards."""

    model_config = SettingsConfigDict(env_prefix="JIRA_", extra="ignore", case_sensitive=False)

    base_url: str = Field(description="site root, e.g. https://acme.atlassian.net (no /rest suffix)")
    email: str | None = Field(default=None, description="Atlassian account e-mail for Basic auth (Cloud)")
    api_token: SecretStr | None = Field(default=None, description="API token for Basic auth (Cloud)")
    pat: SecretStr | None = Field(default=None, description="Personal Access Token, sent as Bearer (DC)")
    project: str = "ESC"
    issue_type: str = "Task"
    webhook_secret: SecretStr | None = Field(default=None, description="secret of the admin webhook")
    status_map: dict[str, CardProgress] = Field(
        default_factory=dict, description='JSON: Jira status name → card progress, e.g. {"QA": "in_review"}'
    )
    timeout_seconds: float = 10.0

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("status_map", mode="before")
    @classmethod
    def _fold_status_map(cls, value: object) -> object:
        if isinstance(value, dict):
            return normalize_status_map(value)
        return value

    @model_validator(mode="after")
    def _one_auth_mode(self) -> Self:
        if (self.email is None) != (self.api_token is None):
            raise ValueError("JIRA_EMAIL and JIRA_API_TOKEN must be set together")
        if self.pat is None and self.api_token is None:
            raise ValueError("set JIRA_EMAIL + JIRA_API_TOKEN (Cloud) or JIRA_PAT (Data Center)")
        return self

    @property
    def uses_pat(self) -> bool:
        """True when the Bearer PAT is used; it wins if both modes are configured."""
        return self.pat is not None
