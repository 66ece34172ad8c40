"""Support access ("proxy login", seed 002): a user lets support staff act as them for a while.

Pure and deterministic like the ticket rules: `decide_*` functions return changes or refuse,
`evolve` applies numbered events. The workflow owns the expiry timer; the store checks validity
against the clock on every request, so an ended grant refuses at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain import events
from domain.actors import Actor
from domain.errors import InvalidCommand, TransitionRejected
from domain.events import Change, Event

MIN_HOURS = 1
MAX_HOURS = 168  # seven days: access to a customer's account must not outlive the case
TOKEN_TTL = timedelta(hours=1)


class GrantStatus(StrEnum):
    NONE = "none"  # a run that has not granted anything yet
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


ENDED = frozenset({GrantStatus.REVOKED, GrantStatus.EXPIRED})


@dataclass
class GrantRequest:
    """The user asks that staff may act as them for `hours` from now (replacing any active grant)."""

    hours: int
    actor: Actor
    request_id: str | None = None


@dataclass
class SupportAccessState:
    """The user's current grant. `granted_at` is when the current stretch of access began."""

    user_id: str
    org_id: str
    status: GrantStatus = GrantStatus.NONE
    granted_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    version: int = 0
    updated_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status is GrantStatus.ACTIVE

    def valid_at(self, now: datetime) -> bool:
        """Active and not past its expiry: the only state in which staff may act as the user."""
        return self.active and self.expires_at is not None and now < self.expires_at


def check_hours(hours: int) -> None:
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise InvalidCommand("hours", f"must be between {MIN_HOURS} and {MAX_HOURS}")


def decide_grant(state: SupportAccessState, request: GrantRequest, now: datetime) -> list[Change]:
    """A grant while one is active replaces it: the new expiry counts from now (longer or shorter)."""
    check_hours(request.hours)
    expires_at = now + timedelta(hours=request.hours)
    data: dict[str, Any] = {"hours": request.hours, "expires_at": expires_at.isoformat()}
    if request.actor.on_behalf_of:
        data["on_behalf_of"] = request.actor.on_behalf_of
    if state.valid_at(now):
        assert state.expires_at is not None
        data["previous_expires_at"] = state.expires_at.isoformat()
        return [Change("replaced", data)]
    # An active grant whose timer has not fired yet ends in the trail before the new one begins.
    return [*decide_expiry(state, now), Change("granted", data)]


def decide_revoke(state: SupportAccessState, actor: Actor, now: datetime) -> list[Change]:
    if not state.valid_at(now):
        raise TransitionRejected("revoke", state.status.value, [], "no active support access to revoke")
    data: dict[str, Any] = {"on_behalf_of": actor.on_behalf_of} if actor.on_behalf_of else {}
    return [Change("revoked", data)]


def decide_expiry(state: SupportAccessState, now: datetime) -> list[Change]:
    """Called when the timer fires; nothing if the grant was replaced or ended meanwhile."""
    if state.active and state.expires_at is not None and now >= state.expires_at:
        return [Change("expired", {"expires_at": state.expires_at.isoformat()})]
    return []


def number(changes: list[Change], state: SupportAccessState, now: datetime, actor: Actor) -> list[Event]:
    """The audit trail's lines; `seq` continues across workflow runs of the same user, and the
    system's own acts (expiry) carry no actor id."""
    return events.number(changes, state, now, actor, anonymous_system=True)


def evolve(state: SupportAccessState, event: Event) -> None:
    """Apply one event. A replacement keeps `granted_at`: access has been continuous since then."""
    if event.type in ("granted", "replaced"):
        if event.type == "granted" or state.granted_at is None:
            state.granted_at = event.at
        state.status = GrantStatus.ACTIVE
        state.expires_at = datetime.fromisoformat(event.data["expires_at"])
        state.revoked_at = None
    elif event.type == "revoked":
        state.status = GrantStatus.REVOKED
        state.revoked_at = event.at
    elif event.type == "expired":
        state.status = GrantStatus.EXPIRED
    else:
        raise ValueError(f"unknown support-access event {event.type!r}")
    state.version = event.seq
    state.updated_at = event.at


@dataclass(frozen=True)
class GrantDeadline:
    """The durable expiry of an active grant."""

    due: datetime
    summary: str


def grant_deadline(state: SupportAccessState) -> GrantDeadline | None:
    """An active grant's one clock; a replacement moves it, a revocation removes it."""
    if not state.active or state.expires_at is None:
        return None
    return GrantDeadline(state.expires_at, f"grant expires {state.expires_at}")


def token_expiry(grant_expires_at: datetime, now: datetime) -> datetime:
    """A token lives at most an hour and never beyond the grant it was issued under."""
    return min(grant_expires_at, now + TOKEN_TTL)
