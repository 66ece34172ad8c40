"""The words pages use for a ticket's codes (status, kind, channel, environment), as English msgids.

One table for every page, so "Escalated" reads the same in the list, on the ticket and in filters
(seed 002: escalated tickets are marked as such). Templates translate them with `_()`.
"""

from __future__ import annotations

from web.i18n import N_

STATUS_LABELS = {
    "open": N_("Open"),
    "pending": N_("Waiting for you"),
    "escalated": N_("Escalated"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
}
KIND_LABELS = {
    "question": N_("Question"),
    "technical": N_("Technical problem"),
    "incident": N_("Incident"),
    "improvement": N_("Improvement request"),
}
CHANNEL_LABELS = {
    "email": N_("E-mail"),
    "chat": N_("Chat"),
    "phone": N_("Phone"),
    "conference": N_("Conference call"),
    "web": N_("Web"),
}
ENVIRONMENT_LABELS = {"production": N_("Production"), "homologation": N_("Homologation (testing)")}
SEVERITY_LABELS = {1: N_("1 – Critical"), 2: N_("2 – High"), 3: N_("3 – Normal"), 4: N_("4 – Low")}
STAGE_LABELS = {
    "submitted": N_("Escalation submitted"),
    "in_review": N_("In review"),
    "engineering": N_("Engineering in progress"),
    "verifying": N_("Verifying resolution"),
    "resolved": N_("Resolved"),
    "declined": N_("Declined"),
    "withdrawn": N_("Withdrawn"),
}
CARD_LABELS = {
    "accepted": N_("Accepted"),
    "in_progress": N_("In progress"),
    "in_review": N_("In review"),
    "resolved": N_("Resolved"),
}
LABELS = {
    "status_labels": STATUS_LABELS,
    "kind_labels": KIND_LABELS,
    "channel_labels": CHANNEL_LABELS,
    "environment_labels": ENVIRONMENT_LABELS,
    "severity_labels": SEVERITY_LABELS,
    "stage_labels": STAGE_LABELS,
    "card_labels": CARD_LABELS,
}
