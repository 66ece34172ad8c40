"""Support-access rules without Temporal: hours, replacement, revocation, expiry, token lifetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.actors import Actor, Role
from domain.errors import InvalidCommand, TransitionRejected
from domain.events import Change
from domain.support_access.grant import (
    GrantRequest,
    GrantStatus,
    SupportAccessState,
    decide_expiry,
    decide_grant,
    decide_revoke,
    evolve,
    number,
    token_expiry,
)

T0 = datetime(2026, 11, 23, 12, tzinfo=UTC)
USER = Actor("u-1", Role.CUSTOMER, "Carla")
AGENT_AS_USER = Actor("u-1", Role.CUSTOMER, "Ana on behalf of Carla", on_behalf_of="a-1")


def fresh() -> SupportAccessState:
    return SupportAccessState(user_id="u-1", org_id="o-1")


def apply(state: SupportAccessState, changes: list[Change], at: datetime, actor: Actor = USER):
    events = number(changes, state, at, actor)
    for event in events:
        evolve(state, event)
    return events


def granted(hours: int = 2, at: datetime = T0) -> SupportAccessState:
    state = fresh()
    apply(state, decide_grant(state, GrantRequest(hours, USER), at), at)
    return state


@pytest.mark.parametrize("hours", [0, -1, 169, 200])
def test_hours_outside_one_to_168_are_refused(hours: int) -> None:
    with pytest.raises(InvalidCommand) as refused:
        decide_grant(fresh(), GrantRequest(hours, USER), T0)
    assert refused.value.field == "hours"


@pytest.mark.parametrize("hours", [1, 168])
def test_bounds_are_allowed(hours: int) -> None:
    assert granted(hours).expires_at == T0 + timedelta(hours=hours)


def test_grant_makes_the_state_active_until_its_expiry() -> None:
    state = granted(2)
    assert state.status is GrantStatus.ACTIVE
    assert state.granted_at == T0 and state.version == 1
    assert state.valid_at(T0 + timedelta(hours=1, minutes=59))
    assert not state.valid_at(T0 + timedelta(hours=2))


def test_a_grant_while_active_replaces_it_from_now_keeping_the_start() -> None:
    state = granted(2)
    later = T0 + timedelta(hours=1)
    changes = decide_grant(state, GrantRequest(1, USER), later)
    assert [c.type for c in changes] == ["replaced"]
    assert changes[0].data["previous_expires_at"] == (T0 + timedelta(hours=2)).isoformat()
    apply(state, changes, later)
    assert state.expires_at == later + timedelta(hours=1)  # shorter is allowed too: the user decides
    assert state.granted_at == T0 and state.version == 2


def test_revoke_ends_an_active_grant_and_is_refused_without_one() -> None:
    with pytest.raises(TransitionRejected):
        decide_revoke(fresh(), USER, T0)
    state = granted(2)
    apply(state, decide_revoke(state, AGENT_AS_USER, T0), T0 + timedelta(minutes=5), AGENT_AS_USER)
    assert state.status is GrantStatus.REVOKED
    assert state.revoked_at == T0 + timedelta(minutes=5)
    with pytest.raises(TransitionRejected):
        decide_revoke(state, USER, T0 + timedelta(minutes=6))


def test_revoke_after_the_expiry_instant_is_refused_even_before_the_timer_records_it() -> None:
    state = granted(2)
    with pytest.raises(TransitionRejected):
        decide_revoke(state, USER, T0 + timedelta(hours=2))


def test_expiry_only_when_due_and_still_active() -> None:
    state = granted(2)
    assert decide_expiry(state, T0 + timedelta(hours=1, minutes=59)) == []
    changes = decide_expiry(state, T0 + timedelta(hours=2))
    assert [c.type for c in changes] == ["expired"]
    apply(state, changes, T0 + timedelta(hours=2), Actor.system())
    assert state.status is GrantStatus.EXPIRED
    assert decide_expiry(state, T0 + timedelta(hours=3)) == []


def test_a_grant_after_an_unrecorded_expiry_records_the_expiry_first() -> None:
    state = granted(1)
    later = T0 + timedelta(hours=1, seconds=1)
    changes = decide_grant(state, GrantRequest(3, USER), later)
    assert [c.type for c in changes] == ["expired", "granted"]
    apply(state, changes, later)
    assert state.status is GrantStatus.ACTIVE and state.granted_at == later and state.version == 3


def test_events_are_numbered_after_the_state_version_and_carry_the_agent() -> None:
    state = granted(2)
    events = apply(state, decide_revoke(state, AGENT_AS_USER, T0), T0, AGENT_AS_USER)
    assert [(e.seq, e.type, e.actor_id) for e in events] == [(2, "revoked", "u-1")]
    assert events[0].data == {"on_behalf_of": "a-1"}
    expired = number([Change("expired")], state, T0, Actor.system())
    assert expired[0].actor_id is None


def test_token_lives_an_hour_at_most_and_never_beyond_the_grant() -> None:
    assert token_expiry(T0 + timedelta(hours=5), T0) == T0 + timedelta(hours=1)
    assert token_expiry(T0 + timedelta(minutes=20), T0) == T0 + timedelta(minutes=20)
