"""`escalator queue`: the queues by urgency, or one queue's tickets by next SLA deadline."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import JsonFlag, call, now, show
from cli.queue_render import queues_table
from cli.render import tickets_table


def queue(
    ctx: typer.Context,
    group: Annotated[str | None, typer.Option("--group", help="A group id: list its tickets.")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only tickets assigned to me.")] = False,
    unassigned: Annotated[bool, typer.Option("--unassigned", help="Only tickets nobody holds.")] = False,
    tag: Annotated[str | None, typer.Option("--tag")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 25,
    cursor: Annotated[str | None, typer.Option("--cursor", help="From a previous page.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Without --group: counts per queue, the next deadline first. With --group (or --mine,
    --unassigned, --tag): the open work, the ticket whose SLA is due first at the top."""
    if group is None and not (mine or unassigned or tag):
        counts = call(ctx, "GET", "/v1/queues", as_json=as_json)
        show(counts, as_json, lambda q: queues_table(q, now()))
        return
    params = {
        "group": group,
        "assignee": "me" if mine else None,
        "unassigned": "true" if unassigned else None,
        "tag": tag,
        "status": ["open", "pending", "escalated"],
        "sort": "sla",
        "limit": limit,
        "cursor": cursor,
    }
    page = call(ctx, "GET", "/v1/tickets", params=params, as_json=as_json)
    show(page, as_json, lambda p: tickets_table(p, now()))
