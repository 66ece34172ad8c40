"""SLA clocks as people read them: "2h 13m left", "breached 35m ago", not raw seconds.

Running and paused clocks show the business time left (what the SLA counts, from the API's
`remaining_seconds`); a breached clock shows how long ago it breached in wall-clock time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def human_duration(seconds: float) -> str:
    """Two units at most, largest first: "3d 4h", "2h 13m", "13m", "45s"."""
    total = int(abs(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def parse_instant(value: str | None) -> datetime | None:
    """An ISO instant from the API, or None when absent or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def clock_text(clock: dict[str, Any], now: datetime) -> str:
    """One SLA clock (an item of the API's `sla.clocks`) as a short phrase."""
    status = clock.get("status")
    remaining = int(clock.get("remaining_seconds") or 0)
    if status == "met":
        return "met"
    if status == "breached" or clock.get("breached"):
        breached_at = parse_instant(clock.get("breached_at"))
        ago = (now - breached_at).total_seconds() if breached_at else -remaining
        return f"breached {human_duration(ago)} ago"
    left = f"{human_duration(remaining)} left"
    return f"paused, {left}" if status == "paused" else left


def most_urgent(clocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The clock a list should show: a breached one first, then the running one with least time left."""
    breached = [c for c in clocks if c.get("status") == "breached"]
    if breached:
        return breached[0]
    live = [c for c in clocks if c.get("status") in ("running", "paused")]
    if not live:
        return clocks[0] if clocks else None
    return min(live, key=lambda c: (c.get("status") != "running", c.get("remaining_seconds") or 0))
