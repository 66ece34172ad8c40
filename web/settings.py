"""How long sign-in links and sessions live, read from the environment like every other setting."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SESSION_COOKIE = "escalator_session"
CSRF_COOKIE = "escalator_csrf"  # the CSRF token of signed-out visitors' forms (sign-in, language)
LOCALE_COOKIE = "escalator_locale"  # the language switch of signed-out visitors


class WebSettings(BaseSettings):
    """Lifetimes of sign-in secrets; the defaults follow common practice for e-mail sign-in."""

    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore", case_sensitive=False)

    signin_link_minutes: int = Field(default=15, ge=1, le=60)
    # At most this many links per address within one link lifetime: nobody can flood an inbox.
    signin_links_per_window: int = Field(default=5, ge=1)
    session_idle_hours: float = Field(default=8, gt=0)
    session_absolute_days: float = Field(default=7, gt=0)

    @property
    def signin_link_ttl(self) -> timedelta:
        return timedelta(minutes=self.signin_link_minutes)

    @property
    def session_idle(self) -> timedelta:
        return timedelta(hours=self.session_idle_hours)

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(days=self.session_absolute_days)


def secure_cookies(public_base_url: str) -> bool:
    """Cookies carry `Secure` whenever people reach us over https (PUBLIC_BASE_URL says how)."""
    return public_base_url.lower().startswith("https://")
