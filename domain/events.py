"""What every entity (ticket, escalation, support-access grant) records: a decided `Change`, and the
numbered `Event` it becomes once the workflow gives it a sequence number, a time and an actor.

Why one definition: the three entities record, project and replay events the same way; three
copies of these classes drifted (one had no role, one numbered the system actor differently).
The JSON shape is the one recorded in workflow histories and continue-as-new inputs: field names
stay, and a new field only ever comes with a default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from domain.actors import Actor


@dataclass
class Change:
    """A decided change, before the workflow gives it a sequence number and a time."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Event:
    """One numbered entry of an entity's timeline; (entity id, seq) is its identity in the read model."""

    seq: int
    type: str
    at: datetime
    actor_id: str | None
    actor_role: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    on_behalf_of: str | None = None


class Versioned(Protocol):
    """Any entity state: its version is the seq of the last event applied."""

    version: int


def number(
    changes: Iterable[Change], state: Versioned, at: datetime, actor: Actor, anonymous_system: bool = False
) -> list[Event]:
    """Give drafts their sequence numbers, time and actor, continuing the entity's timeline.

    `anonymous_system`: an audit trail that records the system's own acts without an actor id
    (support-access grants: "expired" is nobody's doing).
    """
    actor_id = None if anonymous_system and actor.is_system else actor.user_id
    return [
        Event(
            seq=state.version + i + 1,
            type=change.type,
            at=at,
            actor_id=actor_id,
            actor_role=actor.role.value,
            data=change.data,
            on_behalf_of=actor.on_behalf_of,
        )
        for i, change in enumerate(changes)
    ]


def event_row(event: Event, owner: dict[str, Any], columns: Iterable[str]) -> dict[str, Any]:
    """The timeline row of `event` for a read-model table keyed by `owner`, as plain JSON.

    `columns` names the event fields the table stores besides seq, type, at and data; the instant
    travels as ISO 8601 (the projection activity turns it back into a timestamp).
    """
    row: dict[str, Any] = {**owner, "seq": event.seq, "type": event.type, "at": event.at.isoformat()}
    row.update({column: getattr(event, column) for column in columns})
    row["data"] = event.data
    return row
