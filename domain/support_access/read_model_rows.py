"""The rows a support-access projection writes, built inside the workflow as plain JSON
(domain/projection_rows.py says why): the grant's row and the new lines of its audit trail."""

from __future__ import annotations

from typing import Any

from domain.events import Event, event_row
from domain.projection_rows import ProjectionRows
from domain.support_access.grant import SupportAccessState

GRANT_INSTANTS = ("granted_at", "expires_at", "revoked_at", "updated_at")
EVENT_COLUMNS = ("actor_id",)


def grant_rows(state: SupportAccessState, events: list[Event]) -> ProjectionRows:
    return ProjectionRows(
        row=grant_row(state),
        events=[event_row(event, {"user_id": state.user_id}, EVENT_COLUMNS) for event in events],
    )


def grant_row(state: SupportAccessState) -> dict[str, Any]:
    return {
        "user_id": state.user_id,
        "org_id": state.org_id,
        "status": state.status.value,
        "granted_at": _iso(state.granted_at),
        "expires_at": _iso(state.expires_at),
        "revoked_at": _iso(state.revoked_at),
        "version": state.version,
        "updated_at": _iso(state.updated_at),
    }


def _iso(instant: Any) -> str | None:
    return instant.isoformat() if instant is not None else None
