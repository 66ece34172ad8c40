"""SLA policies and clocks, counted in business time of a calendar.

A policy maps severity 1–4 (optionally narrowed by product, module, kind) to a first-response and a
resolution target. A ticket carries two clocks; each accumulates business time while it runs and
knows, through the calendar, the instants at which it will warn and breach. Everything here is pure:
the workflow asks "what is due next" and sleeps until then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from domain.calendar import BusinessCalendar, CalendarSpec, WeeklyInterval, default_calendar_spec

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
CLOCK_LABELS = {FIRST_RESPONSE: "first response", RESOLUTION: "resolution"}


@dataclass(frozen=True)
class PolicyRule:
    """Targets in business minutes; `None` in product/module/kind matches anything."""

    severity: int
    first_response_minutes: int
    resolution_minutes: int
    product: str | None = None
    module: str | None = None
    kind: str | None = None

    def matches(self, severity: int, product: str | None, module: str | None, kind: str | None) -> bool:
        return (
            self.severity == severity
            and self.product in (None, product)
            and self.module in (None, module)
            and self.kind in (None, kind)
        )

    @property
    def specificity(self) -> int:
        return sum(x is not None for x in (self.product, self.module, self.kind))


@dataclass(frozen=True)
class BreachActions:
    """What happens when a clock breaches, besides recording it."""

    notify: bool = True
    transfer_to_l2: bool = False
    raise_severity: bool = False


@dataclass(frozen=True)
class SlaPolicy:
    name: str
    version: int
    calendar_name: str
    calendar: CalendarSpec
    rules: tuple[PolicyRule, ...]
    warning_ratio: float = 0.8
    breach_actions: BreachActions = field(default_factory=BreachActions)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(_as_rule(r) for r in self.rules))

    def targets_for(
        self, severity: int, product: str | None = None, module: str | None = None, kind: str | None = None
    ) -> tuple[int, int]:
        """(first response, resolution) in business seconds; the most specific matching rule wins."""
        matching = [r for r in self.rules if r.matches(severity, product, module, kind)]
        if not matching:
            raise ValueError(f"policy {self.name!r} has no rule for severity {severity}")
        rule = max(matching, key=lambda r: r.specificity)
        return rule.first_response_minutes * 60, rule.resolution_minutes * 60


def _as_rule(item: Any) -> PolicyRule:
    return item if isinstance(item, PolicyRule) else PolicyRule(**item)


SEED_MATRIX = {1: (2, 4), 2: (3, 12), 3: (8, 40), 4: (16, 56)}  # hours: first response, resolution


def default_policy(holidays: tuple[str, ...] = ()) -> SlaPolicy:
    """The seeds' matrix on Mon–Fri 09:00–12:00 / 13:00–17:00 São Paulo hours."""
    rules = tuple(PolicyRule(sev, fr * 60, res * 60) for sev, (fr, res) in SEED_MATRIX.items())
    return SlaPolicy("default", 1, "business-hours-br", default_calendar_spec(holidays), rules)


@dataclass
class SlaClock:
    """One clock. Business time is accumulated in `used_seconds` up to `running_since`."""

    name: str
    target_seconds: int
    used_seconds: float = 0.0
    running_since: datetime | None = None
    stopped: bool = False
    warned: bool = False
    breached: bool = False
    breached_at: datetime | None = None

    def used(self, calendar: BusinessCalendar, now: datetime) -> float:
        if self.running_since is None:
            return self.used_seconds
        return (
            self.used_seconds
            + calendar.elapsed(self.running_since, max(now, self.running_since)).total_seconds()
        )

    def at_used(self, calendar: BusinessCalendar, seconds: float) -> datetime | None:
        """The instant the clock reaches `seconds` of business time, if it is running."""
        if self.running_since is None:
            return None
        return calendar.add(self.running_since, timedelta(seconds=max(0.0, seconds - self.used_seconds)))

    def status(self) -> str:
        if self.stopped:
            return "breached" if self.breached else "met"
        if self.breached:
            return "breached"
        return "running" if self.running_since is not None else "paused"


@dataclass
class SlaState:
    """The SLA part of a ticket: which policy (and version) applies, and its clocks."""

    policy: SlaPolicy
    clocks: list[SlaClock]

    def clock(self, name: str) -> SlaClock:
        return next(c for c in self.clocks if c.name == name)

    @property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar.from_spec(self.policy.calendar)


def start_sla(
    policy: SlaPolicy,
    at: datetime,
    severity: int,
    product: str | None,
    module: str | None,
    kind: str | None,
    held: bool = False,
) -> SlaState:
    """Clocks start at creation, or stay held (a live chat) until the ticket is made a regular one."""
    first, resolution = policy.targets_for(severity, product, module, kind)
    since = None if held else at
    return SlaState(
        policy=policy,
        clocks=[
            SlaClock(FIRST_RESPONSE, first, running_since=since),
            SlaClock(RESOLUTION, resolution, running_since=since),
        ],
    )


def set_running(clock: SlaClock, calendar: BusinessCalendar, running: bool, now: datetime) -> None:
    """Pause or resume; pausing banks the business time used so far."""
    if running and clock.running_since is None:
        clock.running_since = now
        clock.stopped = False
    elif not running and clock.running_since is not None:
        clock.used_seconds = clock.used(calendar, now)
        clock.running_since = None


def stop(clock: SlaClock, calendar: BusinessCalendar, now: datetime) -> None:
    set_running(clock, calendar, False, now)
    clock.stopped = True


def retarget(
    sla: SlaState,
    policy: SlaPolicy,
    now: datetime,
    severity: int,
    product: str | None = None,
    module: str | None = None,
    kind: str | None = None,
) -> SlaState:
    """Keep the business time used, apply the new targets (and policy version) to what remains."""
    calendar = sla.calendar
    first, resolution = policy.targets_for(severity, product, module, kind)
    clocks = []
    for clock in sla.clocks:
        was_running = clock.running_since is not None
        set_running(clock, calendar, False, now)
        target = first if clock.name == FIRST_RESPONSE else resolution
        updated = replace(clock, target_seconds=target)
        updated.warned = updated.warned and updated.used_seconds >= target * policy.warning_ratio
        if was_running:
            updated.running_since = now
        clocks.append(updated)
    return SlaState(policy=policy, clocks=clocks)


@dataclass(frozen=True)
class SlaDeadline:
    """The next thing an SLA clock will do, and when."""

    clock: str
    kind: str  # "warning" | "breach"
    due: datetime

    @property
    def summary(self) -> str:
        return f"SLA {CLOCK_LABELS[self.clock]} {self.kind}"


def pending_sla_deadlines(sla: SlaState) -> list[SlaDeadline]:
    """Every warning and breach still to come for the running clocks, in no particular order."""
    calendar = sla.calendar
    pending: list[SlaDeadline] = []
    for clock in sla.clocks:
        if clock.running_since is None or clock.stopped:
            continue
        if not clock.warned and not clock.breached:
            due = clock.at_used(calendar, clock.target_seconds * sla.policy.warning_ratio)
            if due is not None:
                pending.append(SlaDeadline(clock.name, "warning", due))
        if not clock.breached:
            due = clock.at_used(calendar, clock.target_seconds)
            if due is not None:
                pending.append(SlaDeadline(clock.name, "breach", due))
    return pending


def next_sla_deadline(sla: SlaState) -> SlaDeadline | None:
    """The nearest pending warning or breach among running clocks (a breach first at a tie)."""
    candidates = pending_sla_deadlines(sla)
    return min(candidates, key=lambda d: (d.due, d.kind != "breach")) if candidates else None


def overdue_sla_deadlines(sla: SlaState, now: datetime) -> list[SlaDeadline]:
    """Warnings and breaches whose instant is already past at `now`, earliest first.

    A command can reach the workflow in the same task as the timer of a deadline it is late for;
    recording these first keeps the breach even when the command then stops or pauses the clock.
    """
    overdue = [d for d in pending_sla_deadlines(sla) if d.due <= now]
    return sorted(overdue, key=lambda d: (d.due, d.kind != "warning"))


def next_breach_due(sla: SlaState | None) -> datetime | None:
    """The nearest breach instant among running clocks (for lists, filters and the Temporal UI)."""
    if sla is None:
        return None
    calendar = sla.calendar
    dues = [
        clock.at_used(calendar, clock.target_seconds)
        for clock in sla.clocks
        if clock.running_since is not None and not clock.breached and not clock.stopped
    ]
    found = [d for d in dues if d is not None]
    return min(found) if found else None


def clock_view(clock: SlaClock, sla: SlaState, now: datetime) -> dict[str, Any]:
    """What a person wants to see of a clock at `now`: status, target, used, remaining, due."""
    return _clock_view(clock, lambda: sla.calendar, now)


def _clock_view(clock: SlaClock, calendar: Callable[[], BusinessCalendar], now: datetime) -> dict[str, Any]:
    """`clock_view` asking for the calendar only for a running clock (the only kind that needs one)."""
    if clock.running_since is None:
        used = clock.used_seconds
        due = None
    else:
        cal = calendar()
        used = clock.used(cal, now)
        due = clock.at_used(cal, clock.target_seconds) if not clock.stopped else None
    return {
        "name": clock.name,
        "status": clock.status(),
        "target_seconds": clock.target_seconds,
        "used_seconds": round(used),
        "remaining_seconds": round(clock.target_seconds - used),
        "due": due.isoformat() if due else None,
        "warned": clock.warned,
        "breached": clock.breached,
        "breached_at": clock.breached_at.isoformat() if clock.breached_at else None,
    }


def sync_clocks(
    sla: SlaState, status: str, first_response_at: datetime | None, now: datetime, verifying: bool = False
) -> None:
    """Set each clock running, paused or stopped from the ticket's status.

    First response stops at the first public agent reply (or when the ticket is resolved/closed
    without one). Resolution runs while support owes work (`open`, `escalated`), pauses while the
    ticket waits on the customer (`pending`, `verifying`), stops at `resolved`/`closed` and resumes
    on reopen.
    """
    calendar = sla.calendar
    first = sla.clock(FIRST_RESPONSE)
    if not first.stopped and (first_response_at is not None or status in ("resolved", "closed")):
        stop(first, calendar, first_response_at or now)
    resolution = sla.clock(RESOLUTION)
    if status in ("resolved", "closed"):
        if not resolution.stopped:
            stop(resolution, calendar, now)
    else:
        set_running(resolution, calendar, status in ("open", "escalated") and not verifying, now)


def sla_json(sla: SlaState) -> dict[str, Any]:
    """The stored form of a ticket's SLA (policy reference, calendar and raw clocks)."""
    return {
        "policy": sla.policy.name,
        "policy_version": sla.policy.version,
        "calendar_name": sla.policy.calendar_name,
        "calendar": {
            "timezone": sla.policy.calendar.timezone,
            "weekly": [vars(w) for w in sla.policy.calendar.weekly],
            "holidays": list(sla.policy.calendar.holidays),
        },
        "warning_ratio": sla.policy.warning_ratio,
        "clocks": [
            {
                **vars(c),
                "running_since": c.running_since.isoformat() if c.running_since else None,
                "breached_at": c.breached_at.isoformat() if c.breached_at else None,
            }
            for c in sla.clocks
        ],
    }


def clocks_from_json(data: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """Live clock views from a stored SLA, at `now` (the API computes remaining time at read time).

    Lists call this for every row, so the calendar is built once per distinct stored calendar (see
    `_stored_calendar`) and only when a clock is running: a paused or stopped clock shows its banked
    time and does no calendar work.
    """
    clocks = [
        SlaClock(
            **{
                **raw,
                "running_since": datetime.fromisoformat(raw["running_since"])
                if raw["running_since"]
                else None,
                "breached_at": datetime.fromisoformat(raw["breached_at"]) if raw["breached_at"] else None,
            }
        )
        for raw in data["clocks"]
    ]
    built: list[BusinessCalendar] = []

    def calendar() -> BusinessCalendar:
        if not built:
            built.append(_stored_calendar(data["calendar"]))
        return built[0]

    return [_clock_view(c, calendar, now) for c in clocks]


def _stored_calendar(data: dict[str, Any]) -> BusinessCalendar:
    """The calendar of a stored SLA (`sla_json`'s "calendar"), built once per distinct content."""
    try:
        weekly = tuple((w["weekday"], w["start"], w["end"]) for w in data["weekly"])
        return _calendar_for(data["timezone"], weekly, tuple(data["holidays"]))
    except (KeyError, TypeError):  # not the stored shape: let CalendarSpec say what is wrong
        spec = CalendarSpec(data["timezone"], data["weekly"], data["holidays"])
        return BusinessCalendar.from_spec(spec)


@lru_cache(maxsize=256)
def _calendar_for(
    timezone: str, weekly: tuple[tuple[int, str, str], ...], holidays: tuple[str, ...]
) -> BusinessCalendar:
    spec = CalendarSpec(timezone, tuple(WeeklyInterval(*w) for w in weekly), holidays)
    return BusinessCalendar.from_spec(spec)
