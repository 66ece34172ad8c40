"""What a projection writes, built inside the workflow as plain JSON: one shape for every entity.

Why in the workflow: handing the local activity the state made the SDK encode it and rebuild every
nested dataclass from type hints on the other side (about 15 % of the worker's CPU per ticket
write), only for the activity to flatten it into these rows again. Plain dicts cross for the price
of a JSON encode; instants travel as ISO 8601 strings and the activity turns them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EVENT_INSTANTS = ("at",)  # the timeline rows' instants, ISO 8601 on the way


@dataclass
class ProjectionRows:
    """One projection: the entity's row, its new timeline rows and the notifications they owe."""

    row: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)

    @property
    def version(self) -> int:
        return int(self.row["version"])
