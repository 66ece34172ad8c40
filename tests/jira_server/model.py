"""The records the imitation keeps: accounts, projects, issue types, issues and what hangs off them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.jira_server.workflow import Status, Workflow


def now() -> datetime:
    return datetime.now(UTC)


def jira_time(moment: datetime) -> str:
    """Jira's own timestamp format, e.g. 2021-01-17T12:34:00.000+0000."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


@dataclass(frozen=True)
class Account:
    account_id: str
    display_name: str
    email: str


@dataclass(frozen=True)
class IssueType:
    id: str
    name: str
    description: str = ""


@dataclass
class Project:
    id: str
    key: str
    name: str
    workflow: Workflow
    issue_types: tuple[IssueType, ...]
    next_number: int = 1

    def issue_type(self, name_or_id: str) -> IssueType | None:
        wanted = name_or_id.strip().casefold()
        return next((t for t in self.issue_types if t.name.casefold() == wanted or t.id == name_or_id), None)


@dataclass
class Comment:
    id: str
    author: Account
    body: Any
    created: datetime
    updated: datetime
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class RemoteLink:
    id: int
    global_id: str | None
    request: dict[str, Any]


@dataclass
class ChangeGroup:
    """One changelog entry; items follow the webhook/changelog shape (field, from, fromString, ...)."""

    id: str
    author: Account
    created: datetime
    items: list[dict[str, Any]]


@dataclass
class Issue:
    id: str
    key: str
    project: Project
    issue_type: IssueType
    summary: str
    description: Any
    labels: list[str]
    status: Status
    reporter: Account
    created: datetime
    updated: datetime
    status_changed: datetime
    visible_after: float
    resolved: datetime | None = None
    comments: list[Comment] = field(default_factory=list)
    remote_links: list[RemoteLink] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    changelog: list[ChangeGroup] = field(default_factory=list)
