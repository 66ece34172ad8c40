"""`escalator escalations ...`: follow an escalation and its JIRA dev cards, as engineers do."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from cli.context import CursorOption, JsonFlag, Limit, call, show
from cli.render import escalation_view, escalations_table, paged
from domain.escalation.state import Stage

app = typer.Typer(help="Read escalations, link or create dev cards, move stages.", no_args_is_help=True)

EscalationId = Annotated[str, typer.Argument(help="Escalation id, e.g. CP-1.")]


def _path(escalation_id: str, action: str = "") -> str:
    return f"/v1/escalations/{escalation_id.upper()}" + (f"/{action}" if action else "")


@app.command("list")
def list_escalations(
    ctx: typer.Context,
    stage: Annotated[Stage | None, typer.Option("--stage")] = None,
    org: Annotated[str | None, typer.Option("--org", help="An organisation's id.")] = None,
    card: Annotated[str | None, typer.Option("--card", help="A linked JIRA key, e.g. ESC-12.")] = None,
    limit: Limit = 25,
    cursor: CursorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Escalations newest first, with their stage, ETA and dev cards."""
    params = {
        "stage": stage.value if stage else None,
        "org_id": org,
        "card": card,
        "limit": limit,
        "cursor": cursor,
    }
    page = call(ctx, "GET", "/v1/escalations", params=params, as_json=as_json)
    show(page, as_json, lambda p: paged(p, escalations_table))


@app.command("show")
def show_escalation(ctx: typer.Context, escalation_id: EscalationId, as_json: JsonFlag = False) -> None:
    """Stage, dev cards and timeline of an escalation."""
    show(call(ctx, "GET", _path(escalation_id), as_json=as_json), as_json, escalation_view)


@app.command("link")
def link(
    ctx: typer.Context,
    escalation_id: EscalationId,
    key: Annotated[str, typer.Argument(help="An existing JIRA issue key, e.g. ESC-12.")],
    as_json: JsonFlag = False,
) -> None:
    """Link an existing JIRA issue (Escalator checks that it exists)."""
    data = call(ctx, "POST", _path(escalation_id, "cards"), body={"key": key}, as_json=as_json)
    show(data, as_json, escalation_view)


@app.command("create-card")
def create_card(
    ctx: typer.Context,
    escalation_id: EscalationId,
    project: Annotated[str | None, typer.Option("--project", help="Default: JIRA_PROJECT.")] = None,
    issue_type: Annotated[str | None, typer.Option("--issue-type", help="Default: JIRA_ISSUE_TYPE.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a dev card in JIRA; it appears on the escalation once JIRA answers."""
    body = {"create": True, "project": project, "issue_type": issue_type}
    body = {k: v for k, v in body.items() if v is not None}
    show(
        call(ctx, "POST", _path(escalation_id, "cards"), body=body, as_json=as_json), as_json, escalation_view
    )


@app.command("stage")
def stage(
    ctx: typer.Context,
    escalation_id: EscalationId,
    to: Annotated[Stage, typer.Argument(help="The stage to move to.")],
    note: Annotated[str | None, typer.Option("--note", help="Why (kept in the timeline).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Move the escalation to another stage."""
    body = {"stage": to.value, "note": note}
    show(
        call(ctx, "POST", _path(escalation_id, "stage"), body=body, as_json=as_json), as_json, escalation_view
    )


@app.command("eta")
def eta(
    ctx: typer.Context,
    escalation_id: EscalationId,
    when: Annotated[str, typer.Argument(help='The estimated date, YYYY-MM-DD, or "none" to clear it.')],
    as_json: JsonFlag = False,
) -> None:
    """Set the estimated resolution date (an estimate shown to the customer, not a promise)."""
    value = None if when.lower() == "none" else _iso_date(when)
    data = call(ctx, "PUT", _path(escalation_id, "eta"), body={"eta": value}, as_json=as_json)
    show(data, as_json, escalation_view)


def _iso_date(text: str) -> str:
    """Checked here so a typo is a usage error (exit 2), not a round trip to the API."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from None
