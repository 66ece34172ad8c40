"""`escalator tickets ...`: find tickets and move them along, as an agent does in the API."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.context import JsonFlag, call, now, show
from cli.queue_render import macro_preview_view
from cli.render import escalation_view, ticket_view, tickets_table
from domain.escalation.state import Target
from domain.ticket.state import TicketStatus, Tier

app = typer.Typer(help="List, read and act on tickets.", no_args_is_help=True)

TicketId = Annotated[int, typer.Argument(min=1, help="Ticket number, e.g. 42.")]


def _ticket_path(ticket_id: int, action: str = "") -> str:
    return f"/v1/tickets/{ticket_id}" + (f"/{action}" if action else "")


def _show_ticket(data: Any, as_json: bool) -> None:
    show(data, as_json, lambda t: ticket_view(t, now()))


@app.command("list")
def list_tickets(
    ctx: typer.Context,
    status: Annotated[list[TicketStatus] | None, typer.Option("--status", help="Repeat for several.")] = None,
    severity: Annotated[
        list[int] | None, typer.Option("--severity", min=1, max=4, help="1-4; repeat for several.")
    ] = None,
    breached: Annotated[
        bool | None,
        typer.Option("--breached/--not-breached", help="Only tickets with (or without) a breached SLA."),
    ] = None,
    q: Annotated[str | None, typer.Option("--q", help="Free text in the subject.")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee", help="A staff user id.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 25,
    cursor: Annotated[str | None, typer.Option("--cursor", help="From a previous page.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Tickets newest first, with the most urgent SLA clock of each."""
    params = {
        "status": [s.value for s in status] if status else None,
        "severity": severity or None,
        "breached": None if breached is None else str(breached).lower(),
        "q": q,
        "assignee_id": assignee,
        "limit": limit,
        "cursor": cursor,
    }
    page = call(ctx, "GET", "/v1/tickets", params=params, as_json=as_json)
    show(page, as_json, lambda p: tickets_table(p, now()))


@app.command("show")
def show_ticket(ctx: typer.Context, ticket_id: TicketId, as_json: JsonFlag = False) -> None:
    """A ticket with its SLA clocks (time left, or how long ago they breached) and its timeline."""
    _show_ticket(call(ctx, "GET", _ticket_path(ticket_id), as_json=as_json), as_json)


@app.command("reply")
def reply(
    ctx: typer.Context,
    ticket_id: TicketId,
    text: Annotated[str, typer.Argument(help="The reply (quote it).")],
    internal: Annotated[bool, typer.Option("--internal", help="An internal note, staff only.")] = False,
    await_customer: Annotated[
        bool, typer.Option("--await-customer", help="Set the ticket to pending.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Reply to the customer, or add an internal note."""
    body = {"body": text, "internal": internal, "await_customer": await_customer}
    _show_ticket(call(ctx, "POST", _ticket_path(ticket_id, "replies"), body=body, as_json=as_json), as_json)


@app.command("resolve")
def resolve(
    ctx: typer.Context,
    ticket_id: TicketId,
    comment: Annotated[str | None, typer.Option("--comment", help="Why it is solved.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Mark the ticket resolved (it closes by itself 4 days later)."""
    body = {"comment": comment} if comment else None
    _show_ticket(call(ctx, "POST", _ticket_path(ticket_id, "resolve"), body=body, as_json=as_json), as_json)


@app.command("assign")
def assign(
    ctx: typer.Context,
    ticket_id: TicketId,
    user_id: Annotated[str, typer.Argument(help='A staff user id, or "none" to unassign.')],
    as_json: JsonFlag = False,
) -> None:
    """Assign the ticket to a staff member."""
    body = {"assignee_id": None if user_id.lower() == "none" else user_id}
    _show_ticket(call(ctx, "POST", _ticket_path(ticket_id, "assign"), body=body, as_json=as_json), as_json)


@app.command("escalate")
def escalate(
    ctx: typer.Context,
    ticket_id: TicketId,
    summary: Annotated[str, typer.Option("--summary", help="One line for engineering or product.")],
    target: Annotated[Target, typer.Option("--target")] = Target.ENGINEERING,
    description: Annotated[str | None, typer.Option("--description")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Escalate to engineering or product; prints the new escalation (CP-n)."""
    body = {"summary": summary, "target": target.value, "description": description}
    escalation = call(ctx, "POST", _ticket_path(ticket_id, "escalations"), body=body, as_json=as_json)
    show(escalation, as_json, escalation_view)


@app.command("tag")
def tag(
    ctx: typer.Context,
    ticket_id: TicketId,
    add: Annotated[list[str] | None, typer.Option("--add", help="A tag to add; repeat for several.")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="A tag to remove; repeat.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add and remove tags (free-form words: letters, digits, - _ . :)."""
    body = {"add": add or [], "remove": remove or []}
    _show_ticket(call(ctx, "POST", _ticket_path(ticket_id, "tags"), body=body, as_json=as_json), as_json)


@app.command("macro")
def macro(
    ctx: typer.Context,
    ticket_id: TicketId,
    macro_id: Annotated[str, typer.Argument(help="The macro's id (GET /v1/macros).")],
    preview: Annotated[
        bool, typer.Option("--preview", help="Show what it would do; change nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Apply a macro: its reply and actions in one step, or nothing if any part is refused."""
    path = _ticket_path(ticket_id, f"macros/{macro_id}") + ("/preview" if preview else "")
    answer = call(ctx, "POST", path, as_json=as_json)
    if preview:
        show(answer, as_json, macro_preview_view)
    else:
        _show_ticket(answer, as_json)


Reason = Annotated[str | None, typer.Option("--reason", help="Why (kept in the timeline).")]


@app.command("reopen")
def reopen(ctx: typer.Context, ticket_id: TicketId, reason: Reason = None, as_json: JsonFlag = False) -> None:
    """Reopen a resolved ticket (support owes an answer again)."""
    body = {"reason": reason} if reason else None
    _show_ticket(call(ctx, "POST", _ticket_path(ticket_id, "reopen"), body=body, as_json=as_json), as_json)


@app.command("close")
def close(ctx: typer.Context, ticket_id: TicketId, reason: Reason = None, as_json: JsonFlag = False) -> None:
    """Close the ticket for good (the requester's or their org admin's key; staff resolve instead)."""
    body = {"reason": reason} if reason else None
    _show_ticket(call(ctx, "POST", _ticket_path(ticket_id, "close"), body=body, as_json=as_json), as_json)


@app.command("transfer")
def transfer(
    ctx: typer.Context,
    ticket_id: TicketId,
    tier: Annotated[Tier, typer.Option("--tier", help="L1 or L2.")] = Tier.L2,
    reason: Reason = None,
    as_json: JsonFlag = False,
) -> None:
    """Move the ticket to another support tier (L2 by default)."""
    body = {"tier": tier.value, "reason": reason}
    _show_ticket(call(ctx, "POST", _ticket_path(ticket_id, "transfer"), body=body, as_json=as_json), as_json)


@app.command("reclassify")
def reclassify(
    ctx: typer.Context,
    ticket_id: TicketId,
    severity: Annotated[int | None, typer.Option("--severity", min=1, max=4, help="1 (worst) to 4.")] = None,
    impact: Annotated[str | None, typer.Option("--impact", help="Who or what is affected.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change severity and/or impact; the SLA keeps the business time used and re-targets the rest."""
    if severity is None and impact is None:
        raise typer.BadParameter("give --severity and/or --impact")
    body = {k: v for k, v in {"severity": severity, "impact": impact}.items() if v is not None}
    path = _ticket_path(ticket_id, "reclassify")
    _show_ticket(call(ctx, "POST", path, body=body, as_json=as_json), as_json)


@app.command("merge")
def merge(
    ctx: typer.Context,
    ticket_id: TicketId,
    into: Annotated[int, typer.Option("--into", min=1, help="The ticket that stays open.")],
    as_json: JsonFlag = False,
) -> None:
    """Merge this duplicate into another ticket: its messages and people move there, it closes."""
    path = _ticket_path(ticket_id, "merge")
    _show_ticket(call(ctx, "POST", path, body={"into": into}, as_json=as_json), as_json)
