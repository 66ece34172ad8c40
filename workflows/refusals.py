"""Domain refusals become update failures that the API maps to 409 / 403 / 422 (or 404 for grants)."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from domain.errors import ActionForbidden, InvalidCommand, TransitionRejected


def refusal(exc: Exception) -> ApplicationError:
    """Non-retryable, with the details a client needs: current status and allowed actions, or the field."""
    if isinstance(exc, ActionForbidden):
        details = {"action": exc.action, "status": exc.status, "allowed": []}
        return ApplicationError(exc.reason, details, type="ActionForbidden", non_retryable=True)
    if isinstance(exc, TransitionRejected):
        details = {"action": exc.action, "status": exc.status, "allowed": exc.allowed}
        return ApplicationError(exc.reason, details, type="TransitionRejected", non_retryable=True)
    if isinstance(exc, InvalidCommand):
        details = {"field": exc.field, "reason": exc.reason}
        return ApplicationError(str(exc), details, type="InvalidCommand", non_retryable=True)
    raise exc
