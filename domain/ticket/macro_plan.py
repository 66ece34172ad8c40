"""What applying a macro asks of a ticket: the ordinary commands it stands for, one after another.

Each step looks at the ticket as the steps before it left it (a reply that waits for the customer
makes it pending before "resolve" is considered), and a step that would change nothing is left out
(assigning the current assignee, adding a tag it has). `transitions._decide_macro` decides every
step with the ordinary rules, so a macro can do nothing an agent could not do by hand.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.ticket.commands import (
    ApplyMacro,
    Assign,
    Reclassify,
    Reply,
    Resolve,
    Tag,
    TicketCommand,
    Transfer,
)
from domain.ticket.macros import ME
from domain.ticket.state import TicketState, TicketStatus

Step = Callable[[TicketState, ApplyMacro], TicketCommand | None]


def _reply(state: TicketState, m: ApplyMacro) -> TicketCommand | None:
    if not m.reply:
        return None
    waits = m.actions.status == "pending" and not m.internal
    return Reply(actor=m.actor, body=m.reply, internal=m.internal, await_customer=waits)


def _tags(state: TicketState, m: ApplyMacro) -> TicketCommand | None:
    add = [t for t in m.actions.tags_add if t not in state.tags]
    remove = [t for t in m.actions.tags_remove if t in state.tags]
    return Tag(actor=m.actor, add=add, remove=remove) if add or remove else None


def _assign(state: TicketState, m: ApplyMacro) -> TicketCommand | None:
    wanted = m.actor.user_id if m.actions.assignee_id == ME else m.actions.assignee_id
    if wanted is None or wanted == state.assignee_id:
        return None
    return Assign(actor=m.actor, assignee_id=wanted)


def _group(state: TicketState, m: ApplyMacro) -> TicketCommand | None:
    group = m.actions.group_id
    if group is None or group == state.group_id:
        return None
    tier = m.group_tier or state.tier
    return Transfer(actor=m.actor, tier=tier, reason=f"macro {m.name}", group_id=group)


def _severity(state: TicketState, m: ApplyMacro) -> TicketCommand | None:
    severity = m.actions.severity
    if severity is None or severity == state.severity:
        return None
    return Reclassify(actor=m.actor, severity=severity)


def _status(state: TicketState, m: ApplyMacro) -> TicketCommand | None:
    if m.actions.status != "resolved" or state.status is TicketStatus.RESOLVED:
        return None
    return Resolve(actor=m.actor, comment=f"macro {m.name}")


STEPS: tuple[Step, ...] = (_reply, _tags, _assign, _group, _severity, _status)


def described(command: TicketCommand) -> dict[str, object]:
    """One line of the `macro_applied` entry's "did" list: what this step changed."""
    if isinstance(command, Reply):
        return {"reply": "internal note" if command.internal else "public reply"}
    if isinstance(command, Tag):
        return {"tags_added": command.add, "tags_removed": command.remove}
    if isinstance(command, Assign):
        return {"assignee_id": command.assignee_id}
    if isinstance(command, Transfer):
        return {"group_id": command.group_id, "tier": command.tier.value}
    if isinstance(command, Reclassify):
        return {"severity": command.severity}
    return {"status": "resolved"}
