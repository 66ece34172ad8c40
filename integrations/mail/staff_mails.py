"""Renderers of the mails support staff get.

Operational alerts (SLA warning and breach, an escalation's estimated date passed, JIRA refused a
sync) go to the assignee, or to every agent while nobody is assigned (`staff_for`). An agent's own
notices (a customer replied, assigned to you, a fix answered, reopened) go to the one agent they
concern, in their language, unless they caused the event or turned e-mail off; on an unassigned
ticket they go to `recipients_for_unassigned_ticket`: the members of the ticket's group.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from integrations.mail import staff_templates as st
from integrations.mail import templates as t
from integrations.mail.occasion import Composed, Occasion, nothing
from integrations.mail.readers import Reader, agent_to_notify, recipients_for_unassigned_ticket, staff_for

NO_STAFF = "no agent to tell"


async def sla_alert(o: Occasion) -> Composed:
    due = datetime.fromisoformat(str(o.note.data["due"]))
    render = t.sla_warning if o.note.kind == "sla_warning" else t.sla_breach
    clock = str(o.note.data["clock"])
    return o.mails(
        await staff_for(o.conn, o.ticket),
        lambda r: render(r.locale, o.ticket_id, o.subject, clock, due),
        "s",
        NO_STAFF,
    )


async def eta_passed(o: Occasion) -> Composed:
    eta = date.fromisoformat(str(o.note.data["eta"]))
    escalation = await o.escalation()
    stage = str(escalation["stage"]) if escalation else "?"
    return o.mails(
        await staff_for(o.conn, o.ticket),
        lambda r: st.eta_passed(r.locale, o.ticket_id, o.subject, o.note.source, eta, stage),
        "s",
        NO_STAFF,
    )


async def card_sync_failed(o: Occasion) -> Composed:
    """Staff only, never customers: the reason is JIRA's raw answer."""
    operation, reason = str(o.note.data.get("operation")), str(o.note.data.get("reason") or "-")
    return o.mails(
        await staff_for(o.conn, o.ticket),
        lambda r: st.card_sync_failed(r.locale, o.ticket_id, o.subject, o.note.source, operation, reason),
        "s",
        NO_STAFF,
    )


async def _assigned_agent(o: Occasion) -> tuple[list[Reader], str]:
    """The agent of the ticket, else the unassigned ticket's recipients; and why nobody, if so."""
    actor = o.note.data.get("actor_id")
    assignee = o.ticket.get("assignee_id")
    if not assignee:
        return await recipients_for_unassigned_ticket(o.conn, o.ticket), "the ticket is unassigned"
    why = "the assignee caused it" if assignee == actor else "the assignee turned e-mail off"
    return await agent_to_notify(o.conn, assignee, actor), why


async def customer_replied(o: Occasion) -> Composed:
    agents, nobody = await _assigned_agent(o)
    name, body = str(o.note.data.get("actor_name") or "-"), str(o.note.data["body"])
    return o.mails(
        agents, lambda r: st.customer_replied(r.locale, o.ticket_id, o.subject, name, body), "a", nobody
    )


async def ticket_assigned(o: Occasion) -> Composed:
    """To the agent the event names (not whoever holds the ticket when the mail goes out)."""
    data: dict[str, Any] = dict(o.note.data)
    if not data.get("to"):
        return nothing("the ticket was unassigned: nobody was given it")
    actor = data.get("actor_id")
    agents = await agent_to_notify(o.conn, data["to"], actor)
    why = "they assigned it to themselves" if data["to"] == actor else "the agent turned e-mail off"
    by = data.get("actor_name")
    return o.mails(agents, lambda r: st.ticket_assigned(r.locale, o.ticket_id, o.subject, by), "a", why)


async def verification_answered(o: Occasion) -> Composed:
    agents, nobody = await _assigned_agent(o)
    data = o.note.data
    fixed, automatic, comment = bool(data.get("fixed")), bool(data.get("automatic")), data.get("comment")
    return o.mails(
        agents,
        lambda r: st.verification_answered(
            r.locale, o.ticket_id, o.subject, o.note.source, fixed, automatic, comment
        ),
        "a",
        nobody,
    )


async def ticket_reopened(o: Occasion) -> Composed:
    agents, nobody = await _assigned_agent(o)
    reason = str(o.note.data.get("reason") or "-")
    return o.mails(
        agents, lambda r: st.ticket_reopened(r.locale, o.ticket_id, o.subject, reason), "a", nobody
    )
