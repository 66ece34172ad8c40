"""The JSON form of a ticket's state: what the read model stores and the API serves."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from typing import Any

from domain.sla import sla_json
from domain.ticket import TicketState


def snapshot_json(state: TicketState) -> dict[str, Any]:
    """Plain JSON types only (enums as their values, instants as ISO 8601)."""
    sla = state.sla
    data: dict[str, Any] = json_ready(state)
    data["sla"] = sla_json(sla) if sla is not None else None
    return data


def json_ready(value: Any) -> Any:
    """A dataclass (or anything nested in one) as plain JSON types, for the read model."""
    plain = asdict(value) if is_dataclass(value) and not isinstance(value, type) else value
    return json.loads(json.dumps(plain, default=_plain))


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"not JSON: {type(value).__name__}")
