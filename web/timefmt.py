"""Instants on pages: `<time datetime="…Z">` with a readable UTC text that static/localtime.js
rewrites into the browser's own timezone (seed 002: "the timezone is the one set in your browser").

Without JavaScript the UTC text stays, marked "UTC", so it is never mistaken for local time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache

from babel import Locale
from babel.dates import DateTimePattern, format_date, get_date_format, get_datetime_format, get_time_format
from markupsafe import Markup, escape

from web.i18n import babel_locale


def as_utc(value: datetime | str) -> datetime:
    """An aware UTC datetime from a datetime or an ISO 8601 string (as read-model snapshots hold)."""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: instants must carry their offset")
    return instant.astimezone(UTC)


@lru_cache(maxsize=4096)
def utc_text(instant: datetime, locale: str) -> str:
    """`6 de dez. de 2026 15:30 UTC` / `Dec 6, 2026, 3:30 PM UTC`: the no-JavaScript fallback.

    Babel's own `format_datetime` with the locale's medium patterns, looked up once per locale, and
    remembered per instant: lists print two instants a row, and the same tickets are listed again
    and again; formatting was most of a list page's rendering time.
    """
    date_pattern, time_pattern, joined, babel = _medium_patterns(locale)
    utc = instant.astimezone(UTC)
    text = joined.replace("{1}", date_pattern.apply(utc, babel)).replace(
        "{0}", time_pattern.apply(utc, babel)
    )
    return f"{text} UTC"


@lru_cache(maxsize=8)
def _medium_patterns(locale: str) -> tuple[DateTimePattern, DateTimePattern, str, Locale]:
    babel = babel_locale(locale)
    return (
        get_date_format("medium", locale=babel),
        get_time_format("medium", locale=babel),
        str(get_datetime_format("medium", locale=babel)),
        babel,
    )


def time_tag(value: datetime | str | None, locale: str) -> Markup:
    """The `<time>` element for an instant; an empty string for none."""
    if value is None or value == "":
        return Markup("")
    instant = as_utc(value)
    iso = instant.isoformat().replace("+00:00", "Z")
    # An f-string, not Markup.format: that was half of a list page's rendering time. `iso` is
    # digits and separators only; the text is escaped.
    return Markup(f'<time datetime="{iso}" data-local-time>{escape(utc_text(instant, locale))}</time>')


def date_text(value: str | None, locale: str) -> str:
    """A calendar date (an escalation's estimated resolution, ISO `YYYY-MM-DD`) in the reader's language."""
    if not value:
        return ""
    return format_date(date.fromisoformat(value[:10]), "long", locale=babel_locale(locale))
