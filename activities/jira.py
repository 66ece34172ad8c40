"""Temporal activities around the JIRA client: create, read and comment on dev cards.

Errors are classified for Temporal's retry policy: 429/503 come back with Jira's Retry-After as the
next retry delay, other 5xx and timeouts retry with backoff, and any other 4xx is non-retryable so
the escalation records `card_sync_failed` instead of retrying forever.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from integrations.jira.cards import CardInfo, CommentRequest, CreateCardRequest, card_info, counted
from integrations.jira.client import JiraClient, JiraRejectedError, JiraRetryableError
from integrations.jira.settings import JiraSettings

JIRA_REJECTED = "JiraRejected"
JIRA_NOT_CONFIGURED = "JiraNotConfigured"


def _temporal_error(exc: Exception) -> ApplicationError:
    if isinstance(exc, JiraRetryableError):
        delay = timedelta(seconds=exc.retry_after) if exc.retry_after else None
        return ApplicationError(str(exc), type="JiraRetryable", next_retry_delay=delay)
    assert isinstance(exc, JiraRejectedError)
    return ApplicationError(str(exc), {"status": exc.status}, type=JIRA_REJECTED, non_retryable=True)


class JiraActivities:
    """One configured JIRA site per worker (or none: then every card operation is refused clearly)."""

    def __init__(self, settings: JiraSettings | None) -> None:
        self._settings = settings

    @asynccontextmanager
    async def _client(self, operation: str) -> AsyncIterator[tuple[JiraClient, JiraSettings]]:
        if self._settings is None:
            raise ApplicationError(
                "no JIRA is configured (JIRA_BASE_URL)", type=JIRA_NOT_CONFIGURED, non_retryable=True
            )
        async with JiraClient.from_settings(self._settings) as client:
            try:
                async with counted(operation):
                    yield client, self._settings
            except (JiraRetryableError, JiraRejectedError) as exc:
                raise _temporal_error(exc) from exc

    @activity.defn(name="jira_create_card")
    async def create_card(self, request: CreateCardRequest) -> CardInfo:
        """Idempotent: a retry after a timeout finds the card the first attempt made."""
        async with self._client("create_card") as (client, settings):
            issue = await client.create_issue(
                request.project or settings.project,
                request.issue_type or settings.issue_type,
                request.summary,
                request.description,
                request.labels,
                request.escalation_id,
                request.escalation_url,
            )
            return card_info(issue, settings)

    @activity.defn(name="jira_read_cards")
    async def read_cards(self, keys: list[str]) -> list[CardInfo]:
        """Current status of the given cards (reconcile after lost webhooks)."""
        if not keys:
            return []
        async with self._client("read_cards") as (client, settings):
            jql = "key in (" + ", ".join(keys) + ")"
            issues = await client.search_jql(
                jql, ["status", "summary", "updated", "labels", "project", "issuetype"]
            )
            return [card_info(i, settings) for i in issues]

    @activity.defn(name="jira_comment_cards")
    async def comment_cards(self, request: CommentRequest) -> int:
        async with self._client("comment_cards") as (client, _):
            for key in request.keys:
                await client.add_comment(key, request.text)
            return len(request.keys)


__all__ = ["CardInfo", "CommentRequest", "CreateCardRequest", "JiraActivities"]
