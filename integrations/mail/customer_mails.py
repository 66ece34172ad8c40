"""Renderers of the mails customers get: one function per occasion, each picking its readers.

Every customer mail carries a signed "view the ticket" link for its reader; the mails that ask
something carry one signed link per answer (survey yes / no to the requester of a resolved ticket,
fix works / not fixed on the verification request and its reminder).
"""

from __future__ import annotations

from datetime import date, datetime

from domain.signed_links import LinkPurpose
from integrations.mail import templates as t
from integrations.mail.occasion import Composed, Occasion, as_thread_root, nothing
from integrations.mail.readers import Reader, customers_of, requester_of

NO_CUSTOMER = "the ticket's customers have no user we can mail"


async def ticket_received(o: Occasion) -> Composed:
    """The acknowledgement; it is the thread's root (a later `ticket_created` comes from a merge)."""
    if o.note.seq != 1:
        return nothing(f"ticket_created at seq {o.note.seq}: only the ticket's first event is acknowledged")
    composed = o.mails(
        await customers_of(o.conn, o.ticket),
        lambda r: t.ticket_received(r.locale, o.ticket_id, o.subject, o.suggestions, o.view_url(r)),
        "c",
        NO_CUSTOMER,
    )
    composed.mails[:1] = [as_thread_root(m, o.settings, o.ticket_id) for m in composed.mails[:1]]
    return composed


async def agent_reply(o: Occasion) -> Composed:
    """A public agent reply, to the requester and cc (internal notes are never queued)."""
    if o.note.data.get("internal"):
        return nothing("an internal note is not mailed to customers")
    agent = str(o.note.data.get("actor_name") or "Support")
    body = str(o.note.data["body"])
    return o.mails(
        await customers_of(o.conn, o.ticket),
        lambda r: t.agent_reply(r.locale, o.ticket_id, o.subject, agent, body, o.view_url(r)),
        "c",
        NO_CUSTOMER,
    )


async def resolved(o: Occasion) -> Composed:
    """The resolution, to every customer; only the requester's mail asks the survey question."""
    requester = o.ticket["requester_id"]

    def render(r: Reader) -> tuple[str, str]:
        survey = None
        if r.id == requester:
            survey = t.Survey(o.link(r, LinkPurpose.SURVEY_YES), o.link(r, LinkPurpose.SURVEY_NO))
        return t.resolved(r.locale, o.ticket_id, o.subject, survey, o.view_url(r))

    return o.mails(await customers_of(o.conn, o.ticket), render, "c", NO_CUSTOMER)


async def pending_reminder(o: Occasion) -> Composed:
    due = datetime.fromisoformat(str(o.note.data["auto_resolve_at"]))
    return o.mails(
        await customers_of(o.conn, o.ticket),
        lambda r: t.pending_reminder(r.locale, o.ticket_id, o.subject, due, o.view_url(r)),
        "c",
        NO_CUSTOMER,
    )


async def conference_call(o: Occasion) -> Composed:
    """The call's confirmation (`conference_accepted`) or its reminder (`conference_reminder`)."""
    call = o.ticket.get("conference")
    if not call:
        return nothing("the ticket has no conference call (anymore)")
    starts = datetime.fromisoformat(call["scheduled_at"])
    minutes, join = int(call["minutes"]), call["link"] or "-"
    render = (
        t.conference_call_reminder if o.note.kind == "conference_reminder" else t.conference_call_confirmation
    )
    return o.mails(
        await customers_of(o.conn, o.ticket),
        lambda r: render(r.locale, o.ticket_id, o.subject, starts, minutes, join, o.view_url(r)),
        "m",
        NO_CUSTOMER,
    )


async def escalation_stage(o: Occasion) -> Composed:
    """A stage change: verifying asks the requester to check the fix; others inform every customer."""
    if o.note.data.get("to") == "verifying":
        return await verification_request(o)
    stage = str(o.note.data.get("to"))
    escalation = await o.escalation()
    ended = ("resolved", "declined", "withdrawn")
    eta: date | None = escalation["eta"] if escalation and stage not in ended else None
    return o.mails(
        await customers_of(o.conn, o.ticket),
        lambda r: t.escalation_stage_changed(
            r.locale, o.ticket_id, o.subject, o.note.source, stage, eta, o.view_url(r)
        ),
        "e",
        NO_CUSTOMER,
    )


async def verification_request(o: Occasion) -> Composed:
    return o.mails(
        await requester_of(o.conn, o.ticket),
        lambda r: t.verification_request(
            r.locale,
            o.ticket_id,
            o.subject,
            o.link(r, LinkPurpose.VERIFY_FIXED),
            o.link(r, LinkPurpose.VERIFY_NOT_FIXED),
            o.view_url(r),
        ),
        "v",
        NO_CUSTOMER,
    )


async def verification_reminder(o: Occasion) -> Composed:
    asked = datetime.fromisoformat(str(o.note.data["asked_at"]))
    return o.mails(
        await requester_of(o.conn, o.ticket),
        lambda r: t.verification_reminder(
            r.locale,
            o.ticket_id,
            o.subject,
            asked,
            o.link(r, LinkPurpose.VERIFY_FIXED),
            o.link(r, LinkPurpose.VERIFY_NOT_FIXED),
            o.view_url(r),
        ),
        "v",
        NO_CUSTOMER,
    )
