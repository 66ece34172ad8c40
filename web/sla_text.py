"""Severity choices that say what they promise (seed 003): "2 – High: first answer within 3 business
hours, solution within 12 business hours", from the SLA policy the new ticket would get."""

from __future__ import annotations

from services.sla_view import SeverityTarget
from web.i18n import N_, translate, translate_plural
from web.ticket_labels import SEVERITY_LABELS

SEVERITY_PROMISE = N_("%(severity)s: first answer within %(first)s, solution within %(solution)s")


def business_time(minutes: int, locale: str) -> str:
    """Whole hours as hours, anything else in minutes (a policy may say 90 minutes)."""
    if minutes % 60 == 0:
        hours = minutes // 60
        return translate_plural(locale, "%(n)s business hour", "%(n)s business hours", hours) % {"n": hours}
    return translate_plural(locale, "%(n)s business minute", "%(n)s business minutes", minutes) % {
        "n": minutes
    }


def severity_options(targets: list[SeverityTarget], locale: str) -> list[tuple[str, str]]:
    """(value, text) for the Severity select, already in the reader's language ("%" made safe)."""
    options = []
    for target in targets:
        text = translate(locale, SEVERITY_PROMISE) % {
            "severity": translate(locale, SEVERITY_LABELS[target.severity]),
            "first": business_time(target.first_response_minutes, locale),
            "solution": business_time(target.resolution_minutes, locale),
        }
        options.append((str(target.severity), text.replace("%", "%%")))
    return options
