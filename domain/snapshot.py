"""The JSON form of a ticket's state: what the read model stores and the API serves."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from domain.sla import sla_json
from domain.ticket import TicketState


def snapshot_json(state: TicketState) -> dict[str, Any]:
    """Plain JSON types only (enums as their values, instants as ISO 8601)."""
    data = asdict(state)
    for key, value in data.items():
        if hasattr(value, "isoformat"):
            data[key] = value.isoformat()
        elif hasattr(value, "value"):
            data[key] = value.value
    data["sla"] = sla_json(state.sla) if state.sla is not None else None
    return data
