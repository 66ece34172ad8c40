"""Rich tables and panels for what the API returns; `--json` bypasses all of this.

Each function takes the API's JSON as is and returns a renderable, so the views stay in step with
the API without a second set of models.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cli.durations import clock_text, most_urgent, parse_instant

STATUS_STYLE = {
    "open": "bold yellow",
    "pending": "cyan",
    "escalated": "bold magenta",
    "resolved": "green",
    "closed": "dim",
}


def _when(value: str | None) -> str:
    """An instant as `YYYY-MM-DD HH:MM` in the reader's local zone."""
    instant = parse_instant(value)
    return instant.astimezone().strftime("%Y-%m-%d %H:%M") if instant else "-"


def _row(table: Table, *cells: str | Text) -> None:
    """Add a row with every string taken literally: "[urgent]" in a subject is text, not markup."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells))


def _status(value: str) -> Text:
    return Text(value, style=STATUS_STYLE.get(value, ""))


def _sla_summary(ticket: dict[str, Any], now: datetime) -> str:
    clocks = (ticket.get("sla") or {}).get("clocks") or []
    clock = most_urgent(clocks)
    return f"{clock['name']}: {clock_text(clock, now)}" if clock else "-"


def _snippet(text: str, width: int = 70) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def tickets_table(page: dict[str, Any], now: datetime) -> RenderableType:
    """`GET /v1/tickets`: one row per ticket, with its most urgent SLA clock."""
    table = Table(title="Tickets", show_lines=False)
    for column in ("ID", "Status", "Sev", "Subject", "Assignee", "SLA", "Updated"):
        table.add_column(column, no_wrap=column in ("ID", "Sev"))
    for t in page.get("items", []):
        _row(
            table,
            f"#{t['id']}",
            _status(t["status"]),
            str(t["severity"]),
            _snippet(t["subject"], 50),
            person(t.get("assignee"), t.get("assignee_id")),
            _sla_summary(t, now),
            _when(t.get("updated_at")),
        )
    return Group(table, *_more(page))


def _more(page: dict[str, Any]) -> list[RenderableType]:
    """The hint that continues a page, when there is more."""
    cursor = page.get("next_cursor")
    return [Text(f"more: --cursor {cursor}", style="dim")] if cursor else []


def paged(page: dict[str, Any], table: Any) -> RenderableType:
    """Any `{items, next_cursor}` answer: the items' table, then how to get the next page."""
    return Group(table(page.get("items", [])), *_more(page))


def person(ref: dict[str, Any] | None, fallback: str | None = None) -> str:
    """`{id, name}` as people read it: the name, else the id."""
    if not ref:
        return fallback or "-"
    return str(ref.get("name") or ref.get("id") or "-")


def _ticket_facts(t: dict[str, Any]) -> Table:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    escalation = t.get("escalation") or {}
    rows: list[tuple[str, str | Text]] = [
        ("Status", _status(t["status"])),
        ("Severity", f"Sev{t['severity']}  tier {t.get('tier', '-')}"),
        ("Requester", person(t.get("requester"), t.get("requester_id"))),
        ("Assignee", person(t.get("assignee"), t.get("assignee_id"))),
        ("Product", " / ".join(p for p in (t.get("product"), t.get("module")) if p) or "-"),
        ("Created", _when(t.get("created_at"))),
        ("Escalation", f"{escalation['id']} ({escalation['stage']})" if escalation else "-"),
        ("Can do", ", ".join(t.get("allowed_actions") or []) or "-"),
    ]
    for label, value in rows:
        _row(facts, label, value)
    return facts


def sla_table(ticket: dict[str, Any], now: datetime) -> RenderableType:
    """The ticket's SLA clocks: time left (business time) or how long ago they breached."""
    sla = ticket.get("sla")
    if not sla:
        return Text("No SLA policy.", style="dim")
    table = Table(title=f"SLA: {sla['policy']} v{sla['policy_version']} ({sla['calendar']})")
    for column in ("Clock", "State", "Due"):
        table.add_column(column)
    for clock in sla.get("clocks", []):
        _row(table, clock["name"], clock_text(clock, now), _when(clock.get("due")))
    return table


def _event_summary(data: dict[str, Any]) -> str:
    """The gist of a timeline event's data: a reply's text, a change from → to, else its scalars."""
    if isinstance(data.get("body"), str):
        return _snippet(data["body"])
    if "from" in data or "to" in data:
        reason = f" ({data['reason']})" if data.get("reason") else ""
        return f"{data.get('from')} → {data.get('to')}{reason}"
    scalars = [f"{k}={v}" for k, v in data.items() if isinstance(v, str | int | float | bool)]
    return _snippet(", ".join(scalars))


def timeline_table(events: list[dict[str, Any]]) -> RenderableType:
    table = Table(title="Timeline")
    for column in ("#", "At", "Event", "By", "Details"):
        table.add_column(column)
    for e in events:
        role = e.get("actor_role") or ("system" if not e.get("actor_id") else "-")
        by = f"{person(e['actor'])} ({role})" if e.get("actor") else role
        _row(table, str(e["seq"]), _when(e.get("at")), e["type"], by, _event_summary(e.get("data") or {}))
    return table


def ticket_view(ticket: dict[str, Any], now: datetime) -> RenderableType:
    """`GET /v1/tickets/{id}` (or any action's answer): facts, SLA clocks and, when present, the timeline."""
    header = Panel(_ticket_facts(ticket), title=Text(f"#{ticket['id']} {ticket['subject']}"), expand=False)
    parts: list[RenderableType] = [header, sla_table(ticket, now)]
    if "timeline" in ticket:
        parts.append(timeline_table(ticket["timeline"]))
    return Group(*parts)


def escalation_view(esc: dict[str, Any]) -> RenderableType:
    """An escalation: stage, dev cards with their progress, and its timeline when present."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    _row(facts, "Ticket", f"#{esc['ticket_id']}")
    _row(facts, "Target", esc["target"])
    _row(facts, "Stage", Text(esc["stage"], style="bold"))
    _row(facts, "ETA", str(esc.get("eta") or "-") + ("  (passed)" if esc.get("eta_passed") else ""))
    if esc.get("card_creations_pending"):
        _row(facts, "Creating", f"{esc['card_creations_pending']} card(s) in JIRA")
    parts: list[RenderableType] = [Panel(facts, title=Text(f"{esc['id']} {esc['summary']}"), expand=False)]
    cards = Table(title="Dev cards")
    for column in ("Key", "Status", "Progress", "URL"):
        cards.add_column(column)
    for card in esc.get("cards", []):
        _row(cards, card["key"], card["status"], card["progress"], card["url"])
    parts.append(cards if esc.get("cards") else Text("No dev cards linked.", style="dim"))
    if "timeline" in esc:
        parts.append(timeline_table(esc["timeline"]))
    return Group(*parts)


def escalations_table(escalations: list[dict[str, Any]]) -> RenderableType:
    """`GET /v1/escalations`: one row per escalation, newest first."""
    table = Table(title="Escalations")
    for column in ("ID", "Ticket", "Target", "Stage", "ETA", "Cards", "Summary"):
        table.add_column(column)
    for e in escalations:
        eta = str(e.get("eta") or "-") + (" (passed)" if e.get("eta_passed") else "")
        cards = ", ".join(c["key"] for c in e.get("cards", [])) or "-"
        _row(
            table,
            e["id"],
            f"#{e['ticket_id']}",
            e["target"],
            e["stage"],
            eta,
            cards,
            _snippet(e["summary"], 50),
        )
    return table


def orgs_table(orgs: list[dict[str, Any]]) -> RenderableType:
    table = Table(title="Organisations")
    for column in ("ID", "Name", "Slug", "SLA policy"):
        table.add_column(column)
    for o in orgs:
        _row(table, o["id"], o["name"], o["slug"], o.get("sla_policy") or "-")
    return table


def users_table(users: list[dict[str, Any]]) -> RenderableType:
    table = Table(title="Users")
    for column in ("ID", "Name", "E-mail", "Role", "Org", "Locale"):
        table.add_column(column)
    for u in users:
        _row(table, u["id"], u["name"], u["email"], u["role"], u["org_id"], u.get("locale", "-"))
    return table


def key_view(key: dict[str, Any]) -> RenderableType:
    """A new API key: the secret is shown once, so say so."""
    lines = [
        f"id       {key['id']}",
        f"user     {key['user_id']}",
        f"prefix   {key['prefix']}",
        f"expires  {_when(key.get('expires_at')) if key.get('expires_at') else 'never'}",
    ]
    if key.get("key"):
        lines += ["", f"key      {key['key']}", "(shown only now: store it safely)"]
    return Panel(Text("\n".join(lines)), title="API key", expand=False)


def document_view(kind: str, doc: dict[str, Any]) -> RenderableType:
    """A calendar or SLA policy: name and version as a title, the document itself as JSON."""
    body = {k: v for k, v in doc.items() if k not in ("name", "version")}
    title = f"{kind} {doc.get('name', '')} v{doc.get('version', '?')}"
    return Panel(Text(json.dumps(body, indent=2, ensure_ascii=False)), title=Text(title), expand=False)


def problem_view(status: int, problem: dict[str, Any]) -> RenderableType:
    """An RFC 9457 problem: what went wrong and, where the API says, what is allowed instead."""
    text = Text()
    text.append(f"Error {status} {problem.get('title', '')}".rstrip(), style="bold red")
    if problem.get("detail"):
        text.append(f": {problem['detail']}")
    if "current_status" in problem:
        text.append(f"\n  current status: {problem['current_status']}")
    if "allowed_actions" in problem:
        text.append(f"\n  allowed actions: {', '.join(problem['allowed_actions']) or '(none)'}")
    for error in problem.get("errors") or []:
        if isinstance(error, dict):
            text.append(f"\n  {error.get('field') or 'body'}: {error.get('message', 'invalid')}")
    return text
