"""Grouping ticket outcomes into the compliance report: met %, median and p90 business times, breaches.

Percentages count finished clocks only (met or breached): a clock still running has no verdict yet.
Times are business seconds over the clocks that have one (a ticket closed without any reply has no
time to first response). Percentiles interpolate linearly between the closest ranks (numpy's default):
the median of 4 values is the mean of the middle two.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from domain.sla_report.outcome import BREACHED, MET, Breach, ClockOutcome, TicketOutcome
from domain.sla_report.ticket_facts import ReportTicket

GROUP_KEYS: dict[str, Callable[[ReportTicket], object]] = {
    "policy": lambda t: t.policy,
    "severity": lambda t: t.severity,
    "org": lambda t: t.org_id,
    "group": lambda t: t.group_id,
    "agent": lambda t: t.assignee_id,
}


@dataclass(frozen=True)
class ClockStats:
    met: int
    breached: int
    met_pct: float | None
    median_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True)
class GroupStats:
    key: str | None
    tickets: int
    first_response: ClockStats
    resolution: ClockStats
    breaches: tuple[Breach, ...]


def percentile(values: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = p / 100 * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def clock_stats(clocks: Iterable[ClockOutcome]) -> ClockStats:
    listed = list(clocks)
    met = sum(c.status == MET for c in listed)
    breached = sum(c.status == BREACHED for c in listed)
    seconds = [c.seconds for c in listed if c.seconds is not None and c.status in (MET, BREACHED)]
    return ClockStats(
        met=met,
        breached=breached,
        met_pct=round(100 * met / (met + breached), 1) if met + breached else None,
        median_seconds=_rounded(percentile(seconds, 50)),
        p90_seconds=_rounded(percentile(seconds, 90)),
    )


def group_outcomes(outcomes: Iterable[TicketOutcome], group_by: str) -> list[GroupStats]:
    """One row per distinct key (None last), each with its clocks' statistics and breaches."""
    key_of = GROUP_KEYS[group_by]
    groups: dict[str | None, list[TicketOutcome]] = {}
    for outcome in outcomes:
        raw = key_of(outcome.ticket)
        groups.setdefault(None if raw is None else str(raw), []).append(outcome)
    ordered = sorted(groups, key=lambda k: (k is None, k or ""))
    return [_group(key, groups[key]) for key in ordered]


def _group(key: str | None, members: list[TicketOutcome]) -> GroupStats:
    return GroupStats(
        key=key,
        tickets=len(members),
        first_response=clock_stats(o.first_response for o in members),
        resolution=clock_stats(o.resolution for o in members),
        breaches=tuple(b for o in members for b in o.breaches),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
