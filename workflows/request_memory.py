"""The request ids an entity workflow has already applied, so that a retried command answers with
the first outcome instead of applying twice.

Capped, and the same cap for every entity: the memory travels in every continue-as-new input and
would otherwise grow with the entity's whole life. The oldest ids go first; a client retries
within minutes, not after 500 further commands.
"""

from __future__ import annotations

MAX_REMEMBERED_REQUESTS = 500


class RequestMemory:
    """Request id → the version its command reached (the version a retry waits to see projected)."""

    def __init__(self, seen: dict[str, int] | None = None) -> None:
        self._seen = dict(seen or {})
        self._trim()

    def version_of(self, request_id: str | None) -> int | None:
        """The version a known request reached; None for a new request (or none given)."""
        return None if request_id is None else self._seen.get(request_id)

    def remember(self, request_id: str | None, version: int) -> None:
        if request_id is None:
            return
        self._seen[request_id] = version
        self._trim()

    def carried(self) -> dict[str, int]:
        """What continue-as-new hands to the next run (insertion order kept: oldest first)."""
        return dict(self._seen)

    def _trim(self) -> None:
        while len(self._seen) > MAX_REMEMBERED_REQUESTS:
            del self._seen[next(iter(self._seen))]
