"""Domain refusals. The workflow turns them into update failures; the API into 409 / 403 / 422."""

from __future__ import annotations


class TransitionRejected(Exception):
    """The ticket's current state (or the caller's role) does not allow this action now."""

    def __init__(self, action: str, status: str, allowed: list[str], reason: str) -> None:
        super().__init__(reason)
        self.action = action
        self.status = status
        self.allowed = allowed
        self.reason = reason


class ActionForbidden(TransitionRejected):
    """The caller may never take this action, whatever the state: the API answers 403, not 409.

    A subclass of TransitionRejected so that every place that turns refusals into update failures
    (the workflows' validators, a macro's steps) handles it without change.
    """

    def __init__(self, action: str, status: str, reason: str) -> None:
        super().__init__(action, status, [], reason)


class InvalidCommand(Exception):
    """The request is well-formed JSON but makes no sense for this ticket (e.g. severity 7)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
