"""Where a linked JIRA dev card stands, in the seeds' words: Accepted → In Progress → In Review → Resolved.

Jira sites name their statuses freely, so the stage is derived from the status *name* through a
configurable map first, and otherwise from the status *category* Jira attaches to every status
(`new`, `indeterminate`, `done`), which survives renames. Standard library only: this runs inside
Temporal workflow code.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class CardProgress(StrEnum):
    """The four card stages of seed 000; a card may move back (In Review → In Progress)."""

    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    IN_REVIEW = "in_review"
    RESOLVED = "resolved"

    @property
    def rank(self) -> int:
        """Position in the pipeline, so callers can tell a move forward from a move back."""
        return _ORDER.index(self)


_ORDER = (CardProgress.ACCEPTED, CardProgress.IN_PROGRESS, CardProgress.IN_REVIEW, CardProgress.RESOLVED)


def progress_for(
    status_name: str,
    status_category_key: str | None,
    status_map: Mapping[str, CardProgress | str] | None = None,
) -> CardProgress:
    """Map a Jira status to a card stage: the explicit map wins, else the status category decides.

    Why both: names are what admins configure ("QA", "Ready for release"), categories are what Jira
    guarantees. Map keys match case-insensitively; map values may be enum members or their strings.
    """
    mapped = _lookup(status_name, status_map or {})
    if mapped is not None:
        return mapped
    return _from_category(status_name, (status_category_key or "").strip().lower())


def normalize_status_map(status_map: Mapping[str, CardProgress | str]) -> dict[str, CardProgress]:
    """Validate a configured map once (unknown stage names raise ValueError) and fold its keys."""
    return {_fold(name): CardProgress(value) for name, value in status_map.items()}


def _lookup(status_name: str, status_map: Mapping[str, CardProgress | str]) -> CardProgress | None:
    wanted = _fold(status_name)
    for name, value in status_map.items():
        if _fold(name) == wanted:
            return CardProgress(value)
    return None


def _from_category(status_name: str, category_key: str) -> CardProgress:
    name = _fold(status_name)
    if category_key == "done":
        return CardProgress.RESOLVED
    if category_key == "new":
        return CardProgress.ACCEPTED
    if category_key == "indeterminate":
        return CardProgress.IN_REVIEW if "review" in name else CardProgress.IN_PROGRESS
    return _from_name_only(name)


def _from_name_only(name: str) -> CardProgress:
    """Last resort for the `undefined` category or a missing one: guess from common names."""
    if "review" in name:
        return CardProgress.IN_REVIEW
    if any(word in name for word in ("done", "resolved", "closed", "complete")):
        return CardProgress.RESOLVED
    if "progress" in name:
        return CardProgress.IN_PROGRESS
    return CardProgress.ACCEPTED


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()
