"""Macros: an admin's canned reply with placeholders plus actions, applied to a ticket in one update.

This file holds what a macro *is* and the checks made when an admin defines one (so a macro that can
never work is refused then, with the field, not on the ticket later). What applying one does to a
ticket is `domain/ticket/macro_plan.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.errors import InvalidCommand
from domain.placeholders import placeholders
from domain.ticket.state import SEVERITIES
from domain.ticket.tags import checked_tags

MACRO_STATUSES = ("pending", "resolved")
ME = "me"  # as assignee: whoever applies the macro


@dataclass
class MacroActions:
    """What a macro changes besides its reply; None / empty leaves that part of the ticket alone."""

    status: str | None = None  # "pending" (needs a public reply) or "resolved"
    group_id: str | None = None
    assignee_id: str | None = None  # a staff user id, or "me"
    tags_add: list[str] = field(default_factory=list)
    tags_remove: list[str] = field(default_factory=list)
    severity: int | None = None

    def is_empty(self) -> bool:
        return not (
            self.status or self.group_id or self.assignee_id or self.tags_add or self.tags_remove
        ) and (self.severity is None)


def check_macro(reply: str | None, internal: bool, actions: MacroActions) -> MacroActions:
    """The actions in normal form (tags lowercased, each once); InvalidCommand naming the bad field.

    Unknown groups and users are the service's to check (they live in the database).
    """
    if reply is not None:
        placeholders(reply, "reply")
    if actions.status is not None and actions.status not in MACRO_STATUSES:
        raise InvalidCommand("actions.status", "pending or resolved")
    if actions.status == "pending" and (not reply or internal):
        raise InvalidCommand(
            "actions.status", "pending waits for the customer: the macro needs a public reply"
        )
    if actions.severity is not None and actions.severity not in SEVERITIES:
        raise InvalidCommand("actions.severity", "must be 1, 2, 3 or 4")
    add = checked_tags(actions.tags_add, "actions.tags_add")
    remove = checked_tags(actions.tags_remove, "actions.tags_remove")
    if set(add) & set(remove):
        raise InvalidCommand("actions.tags_remove", "a tag cannot be both added and removed")
    if not reply and actions.is_empty():
        raise InvalidCommand("actions", "a macro needs a reply or at least one action")
    return MacroActions(actions.status, actions.group_id, actions.assignee_id, add, remove, actions.severity)
