"""Instants on pages: `<time datetime="…Z">` with a readable UTC text that static/localtime.js
rewrites into the browser's own timezone (seed 002: "the timezone is the one set in your browser").

Without JavaScript the UTC text stays, marked "UTC", so it is never mistaken for local time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from babel.dates import format_date, format_datetime
from markupsafe import Markup, escape

from web.i18n import babel_locale


def as_utc(value: datetime | str) -> datetime:
    """An aware UTC datetime from a datetime or an ISO 8601 string (as read-model snapshots hold)."""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: instants must carry their offset")
    return instant.astimezone(UTC)


def utc_text(instant: datetime, locale: str) -> str:
    """`6 de dez. de 2026 15:30 UTC` / `Dec 6, 2026, 3:30 PM UTC`: the no-JavaScript fallback."""
    return f"{format_datetime(instant, 'medium', tzinfo=UTC, locale=babel_locale(locale))} UTC"


def time_tag(value: datetime | str | None, locale: str) -> Markup:
    """The `<time>` element for an instant; an empty string for none."""
    if value is None or value == "":
        return Markup("")
    instant = as_utc(value)
    iso = instant.isoformat().replace("+00:00", "Z")
    return Markup('<time datetime="{}" data-local-time>{}</time>').format(
        iso, escape(utc_text(instant, locale))
    )


def date_text(value: str | None, locale: str) -> str:
    """A calendar date (an escalation's estimated resolution, ISO `YYYY-MM-DD`) in the reader's language."""
    if not value:
        return ""
    return format_date(date.fromisoformat(value[:10]), "long", locale=babel_locale(locale))
