"""A ticket's subject as the portal shows it (seed 002's default subjects for calls).

Conference-call tickets read only "Conference call – <name>"; phone tickets without a subject of
their own read "Phone call – <name>". The stored subject is left as it is: this is presentation.
"""

from __future__ import annotations

from typing import Any

from web.i18n import N_, translate

CONFERENCE_SUBJECT = N_("Conference call – %(name)s")
PHONE_SUBJECT = N_("Phone call – %(name)s")


def shown_subject(ticket: dict[str, Any], requester_name: str, locale: str) -> str:
    """The subject line for lists and the ticket page, in the reader's language."""
    channel, subject = ticket.get("channel"), (ticket.get("subject") or "").strip()
    if channel == "conference":
        return translate(locale, CONFERENCE_SUBJECT) % {"name": requester_name}
    if channel == "phone" and not subject:
        return translate(locale, PHONE_SUBJECT) % {"name": requester_name}
    return subject
