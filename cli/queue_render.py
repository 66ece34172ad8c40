"""Rich views of queues and macro previews; `--json` bypasses them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from cli.durations import human_duration, parse_instant


def _deadline(value: str | None, now: datetime) -> Text:
    due = parse_instant(value)
    if due is None:
        return Text("-")
    seconds = (due - now).total_seconds()
    if seconds < 0:
        return Text(f"{human_duration(-seconds)} ago", style="bold red")
    return Text(f"in {human_duration(seconds)}", style="yellow" if seconds < 3600 else "")


def queues_table(queues: list[dict[str, Any]], now: datetime) -> RenderableType:
    """`GET /v1/queues`, the most urgent queue first (next SLA deadline; none last)."""
    table = Table(title="Queues")
    for column in (
        "Group",
        "Tier",
        "Open",
        "Pending",
        "Escalated",
        "Unassigned",
        "Breached",
        "Next deadline",
        "ID",
    ):
        table.add_column(column, no_wrap=True)
    ordered = sorted(queues, key=lambda q: (q.get("next_deadline") is None, q.get("next_deadline") or ""))
    for q in ordered:
        breached = Text(str(q["breached"]), style="bold red" if q["breached"] else "")
        counts = [str(q[k]) for k in ("open", "pending", "escalated", "unassigned")]
        cells = [Text(q["name"]), Text(q.get("tier") or "-"), *map(Text, counts), breached]
        table.add_row(*cells, _deadline(q.get("next_deadline"), now), Text(q.get("id") or "-", style="dim"))
    return table


def macro_preview_view(preview: dict[str, Any]) -> RenderableType:
    """What a macro would do: its rendered reply and the timeline entries it would record."""
    parts: list[RenderableType] = [Text(f"Macro {preview['name']}", style="bold")]
    if preview.get("reply"):
        parts.append(Text(preview["reply"]))
    table = Table(title="Would record")
    table.add_column("Event")
    table.add_column("Data")
    for change in preview.get("changes", []):
        table.add_row(Text(change["type"]), Text(_brief(change.get("data") or {})))
    return Group(*parts, table)


def _brief(data: dict[str, Any]) -> str:
    shown = {k: v for k, v in data.items() if k != "body"}
    return ", ".join(f"{k}={v}" for k, v in shown.items())[:120]
