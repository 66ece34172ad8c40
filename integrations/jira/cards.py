"""Reading dev cards from JIRA: the card's progress as Escalator sees it, and the request shapes.

Shared by the JIRA activities (create, read, comment) and by the API, which checks that a card
exists before linking it. Every call is counted by outcome in `escalator_jira_calls_total`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from domain.escalation.card_progress import progress_for
from infra.metrics import count_jira_call
from integrations.jira.client import JiraClient, JiraIssue, JiraNotFoundError, JiraRejectedError
from integrations.jira.settings import JiraSettings


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


def outcome(exc: BaseException | None) -> str:
    """How a call ended, for `escalator_jira_calls_total`: anything but a refusal is retried."""
    if exc is None:
        return "ok"
    return "rejected" if isinstance(exc, JiraRejectedError) else "retryable"


@asynccontextmanager
async def counted(operation: str) -> AsyncIterator[None]:
    """Count one JIRA call per attempt, by the outcome the retry policy will see."""
    try:
        yield
    except Exception as exc:
        count_jira_call(operation, outcome(exc))
        raise
    count_jira_call(operation, outcome(None))


async def read_card(settings: JiraSettings, key: str) -> CardInfo | None:
    """For the API: does this card exist, and where does it stand? (None when Jira says 404.)"""
    async with JiraClient.from_settings(settings) as client, counted("read_card"):
        try:
            issue = await client.get_issue(key)
        except JiraNotFoundError:
            return None
        return card_info(issue, settings)
