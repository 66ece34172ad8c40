"""Temporal activities around the JIRA client: create, read and comment on dev cards.

Errors are classified for Temporal's retry policy: 429/503 come back with Jira's Retry-After as the
next retry delay, other 5xx and timeouts retry with backoff, and any other 4xx is non-retryable so
the escalation records `card_sync_failed` instead of retrying forever.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.jira_client import JiraClient, JiraIssue, JiraRejectedError, JiraRetryableError
from activities.jira_settings import JiraSettings
from domain.card_progress import progress_for
from infra.metrics import count_jira_call

JIRA_REJECTED = "JiraRejected"
JIRA_NOT_CONFIGURED = "JiraNotConfigured"


@dataclass
class CardInfo:
    key: str
    url: str
    status: str
    progress: str
    updated: str | None = None


@dataclass
class CreateCardRequest:
    escalation_id: str
    summary: str
    description: str
    escalation_url: str
    project: str | None = None
    issue_type: str | None = None
    labels: list[str] = field(default_factory=list)


@dataclass
class CommentRequest:
    keys: list[str]
    text: str


def load_jira_settings() -> JiraSettings | None:
    """None when no JIRA is configured (JIRA_BASE_URL unset); invalid settings fail loudly."""
    if not os.environ.get("JIRA_BASE_URL"):
        return None
    return JiraSettings()  # type: ignore[call-arg]


def card_info(issue: JiraIssue, settings: JiraSettings) -> CardInfo:
    status = issue.status.name if issue.status else "Unknown"
    category = issue.status.category_key if issue.status else None
    progress = progress_for(status, category, settings.status_map)
    return CardInfo(issue.key, issue.url, status, progress.value, issue.updated)


def _outcome(exc: BaseException | None) -> str:
    """How a call ended, for `escalator_jira_calls_total`: anything but a refusal is retried."""
    if exc is None:
        return "ok"
    return "rejected" if isinstance(exc, JiraRejectedError) else "retryable"


@asynccontextmanager
async def _counted(operation: str) -> AsyncIterator[None]:
    """Count one JIRA call per attempt, by the outcome the retry policy will see."""
    try:
        yield
    except Exception as exc:
        count_jira_call(operation, _outcome(exc))
        raise
    count_jira_call(operation, _outcome(None))


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
                async with _counted(operation):
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


async def read_card(settings: JiraSettings, key: str) -> CardInfo | None:
    """For the API: does this card exist, and where does it stand? (None when Jira says 404.)"""
    from activities.jira_client import JiraNotFoundError

    async with JiraClient.from_settings(settings) as client, _counted("read_card"):
        try:
            issue = await client.get_issue(key)
        except JiraNotFoundError:
            return None
        return card_info(issue, settings)
