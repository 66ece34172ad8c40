"""A macro's outcome without applying it: the events it would record, or the refusal it would get.

The workflow answers the preview as a query over its live state with the very decider its update
runs, so what the preview shows is what applying does (and a refusal reads the same: 409 with the
allowed actions, or 422 with the field).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.errors import InvalidCommand, TransitionRejected
from domain.ticket.commands import ApplyMacro
from domain.ticket.state import TicketState
from domain.ticket.transitions import decide


@dataclass
class MacroPreview:
    """`changes`: [{type, data}] in the order they would be recorded; or `refusal` with its details."""

    changes: list[dict[str, Any]] = field(default_factory=list)
    refusal: dict[str, Any] | None = None


def preview(state: TicketState, command: ApplyMacro) -> MacroPreview:
    try:
        changes = decide(state, command)
    except TransitionRejected as exc:
        refused = {"type": "TransitionRejected", "reason": exc.reason, "status": exc.status}
        return MacroPreview(refusal={**refused, "allowed": exc.allowed})
    except InvalidCommand as exc:
        return MacroPreview(refusal={"type": "InvalidCommand", "field": exc.field, "reason": exc.reason})
    return MacroPreview(changes=[{"type": c.type, "data": c.data} for c in changes])
