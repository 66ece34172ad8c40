"""The JSON form of a ticket's state: what the read model stores and the API serves."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from typing import Any

from domain.sla import sla_json
from domain.ticket.state import TicketState


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


def snapshot_from_wire(state: dict[str, Any]) -> dict[str, Any]:
    """The snapshot of a state received as Temporal's JSON payload, without rebuilding dataclasses.

    Why: decoding an update's result into `TicketState` (recursive type hints for every field) was a
    quarter of the API's CPU per write, only to turn it back into this JSON. The payload already is
    `json_ready(state)` except for the SLA part, which the read model stores in `sla_json`'s form.
    """
    sla = state.get("sla")
    if sla is None:
        return state
    policy = sla["policy"]
    return {
        **state,
        "sla": {
            "policy": policy["name"],
            "policy_version": policy["version"],
            "calendar_name": policy["calendar_name"],
            "calendar": {
                "timezone": policy["calendar"]["timezone"],
                "weekly": policy["calendar"]["weekly"],
                "holidays": policy["calendar"]["holidays"],
            },
            "warning_ratio": policy["warning_ratio"],
            "clocks": sla["clocks"],
        },
    }
