"""The rows a caller may read, as data the store's queries turn into SQL.

Who gets which scope is decided in one place, `services.access.scope_for`; the store only
enforces it. Every query that lists or reads tickets, escalations, reports, attachments or users
takes a `Scope`, so an invisible row reads as absent (the API's 404) and a forgotten check cannot
leak a row: there is no unscoped variant to forget it with.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, literal, or_, select, true

from store.tables import tickets


@dataclass(frozen=True)
class Scope:
    """What one caller may see.

    `org_id` None means every organisation; `participant_id` set limits tickets to those the user
    requested or is cc'd on (and users to themselves); `internal` admits internal notes and their
    files; `viewer_id` always reads the files they uploaded.
    """

    viewer_id: str
    org_id: str | None
    participant_id: str | None
    internal: bool

    @classmethod
    def everything(cls, viewer_id: str = "system") -> Scope:
        """For the system's own readers (workers, benchmarks, tests of the store): no limit."""
        return cls(viewer_id=viewer_id, org_id=None, participant_id=None, internal=True)


def ticket_visible(scope: Scope) -> ColumnElement[bool]:
    """The SQL condition on `tickets` rows this scope admits."""
    conditions: list[ColumnElement[bool]] = []
    if scope.org_id is not None:
        conditions.append(tickets.c.org_id == scope.org_id)
    if scope.participant_id is not None:
        cc = tickets.c.snapshot["cc"].contains(literal([scope.participant_id], type_=tickets.c.snapshot.type))
        conditions.append(or_(tickets.c.requester_id == scope.participant_id, cc))
    return and_(true(), *conditions)


def ticket_of_row_visible(scope: Scope, ticket_id: ColumnElement[int]) -> ColumnElement[bool]:
    """For rows that belong to a ticket (escalations, events, files): that ticket is in the scope."""
    return exists(select(tickets.c.id).where(tickets.c.id == ticket_id, ticket_visible(scope)))
