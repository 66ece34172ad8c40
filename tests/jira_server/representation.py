"""JSON shapes of Jira Cloud REST v3 (IssueBean, StatusDetails, Comment, ...), built from the store.

`Renderer(api="2", text_bodies=True)` gives the representation seen in captured webhook bodies:
`/rest/api/2/` self links and plain-string descriptions and comment bodies (contract §7.3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from integrations.jira.adf import adf_to_text
from tests.jira_server.model import (
    Account,
    ChangeGroup,
    Comment,
    Issue,
    IssueType,
    Project,
    RemoteLink,
    jira_time,
)
from tests.jira_server.workflow import Status, StatusCategory, Transition

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
ALL_FIELDS = (
    "summary", "description", "labels", "status", "issuetype", "project", "created", "updated", "resolution",
    "resolutiondate", "statuscategorychangedate", "reporter", "creator", "assignee", "priority", "issuelinks",
    "comment",
)  # fmt: skip
FIELD_NAMES = {
    "summary": "Summary", "description": "Description", "labels": "Labels", "status": "Status",
    "issuetype": "Issue Type", "project": "Project", "created": "Created", "updated": "Updated",
    "resolution": "Resolution", "resolutiondate": "Resolved",
    "statuscategorychangedate": "Status Category Changed",
    "reporter": "Reporter", "creator": "Creator", "assignee": "Assignee", "priority": "Priority",
    "issuelinks": "Linked Issues", "comment": "Comment",
}  # fmt: skip


@dataclass(frozen=True)
class FieldSelection:
    """The `fields` parameter: `*all`, `*navigable`, names, and `-name` exclusions; `id` alone = none."""

    names: tuple[str, ...]

    @classmethod
    def parse(cls, values: Iterable[str], default: str) -> FieldSelection:
        tokens = [token.strip() for value in values for token in value.split(",") if token.strip()]
        tokens = tokens or [default]
        included: list[str] = []
        for token in tokens:
            if token in ("*all", "*navigable"):
                included.extend(name for name in ALL_FIELDS if token == "*all" or name != "comment")
            elif not token.startswith("-") and token in ALL_FIELDS:
                included.append(token)
        excluded = {token[1:] for token in tokens if token.startswith("-")}
        return cls(tuple(name for name in dict.fromkeys(included) if name not in excluded))


class Renderer:
    """Turns store records into response bodies for one base URL and API version."""

    def __init__(self, base_url: str, api: str = "3", text_bodies: bool = False) -> None:
        self.base_url = base_url.rstrip("/")
        self.api = f"{self.base_url}/rest/api/{api}"
        self.text_bodies = text_bodies

    def user(self, account: Account) -> dict[str, Any]:
        return {
            "self": f"{self.api}/user?accountId={account.account_id}",
            "accountId": account.account_id,
            "emailAddress": account.email,
            "avatarUrls": {size: f"{self.base_url}/avatar/{account.account_id}/{size}" for size in _AVATARS},
            "displayName": account.display_name,
            "active": True,
            "timeZone": "Etc/UTC",
            "accountType": "atlassian",
        }

    def category(self, category: StatusCategory) -> dict[str, Any]:
        return {
            "self": f"{self.api}/statuscategory/{category.id}",
            "id": category.id,
            "key": category.key,
            "colorName": category.color,
            "name": category.name,
        }

    def status(self, status: Status) -> dict[str, Any]:
        return {
            "self": f"{self.api}/status/{status.id}",
            "description": "",
            "iconUrl": f"{self.base_url}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": self.category(status.category),
        }

    def project(self, project: Project) -> dict[str, Any]:
        return {
            "self": f"{self.api}/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": project.workflow.name.startswith("Software simplified"),
            "avatarUrls": {size: f"{self.base_url}/project-avatar/{project.id}/{size}" for size in _AVATARS},
        }

    def issue_type(self, issue_type: IssueType) -> dict[str, Any]:
        return {
            "self": f"{self.api}/issuetype/{issue_type.id}",
            "id": issue_type.id,
            "description": issue_type.description,
            "iconUrl": f"{self.base_url}/images/icons/issuetypes/{issue_type.name.lower()}.svg",
            "name": issue_type.name,
            "subtask": False,
            "hierarchyLevel": 0,
        }

    def body(self, adf: Any) -> Any:
        if adf is None:
            return None
        return adf_to_text(adf) if self.text_bodies else adf

    def issue(
        self,
        issue: Issue,
        selection: FieldSelection,
        properties: Iterable[str] = (),
        expand: Iterable[str] = (),
    ) -> dict[str, Any]:
        """An IssueBean; `fields` holds only the selected fields, like Jira's `fields` parameter."""
        bean: dict[str, Any] = {
            "expand": ISSUE_EXPAND,
            "id": issue.id,
            "self": f"{self.api}/issue/{issue.id}",
            "key": issue.key,
        }
        values = self.field_values(issue)
        bean["fields"] = {name: values[name] for name in selection.names}
        wanted = _property_names(issue, properties)
        if wanted:
            bean["properties"] = {name: issue.properties[name] for name in wanted}
        expand_set = {item.strip() for value in expand for item in value.split(",")}
        if "transitions" in expand_set:
            available = issue.project.workflow.available(issue.status.name)
            bean["transitions"] = [self.transition(t, issue) for t in available]
        if "changelog" in expand_set:
            bean["changelog"] = self.changelog_page(issue, 0, 100, key="histories")
        if "names" in expand_set:
            bean["names"] = {name: FIELD_NAMES[name] for name in selection.names}
        return bean

    def field_values(self, issue: Issue) -> dict[str, Any]:
        resolution = None
        if issue.resolved is not None:
            resolution = {"self": f"{self.api}/resolution/10000", "id": "10000", "name": "Done",
                          "description": "Work has been completed on this issue."}  # fmt: skip
        return {
            "summary": issue.summary,
            "description": self.body(issue.description),
            "labels": list(issue.labels),
            "status": self.status(issue.status),
            "issuetype": self.issue_type(issue.issue_type),
            "project": self.project(issue.project),
            "created": jira_time(issue.created),
            "updated": jira_time(issue.updated),
            "resolution": resolution,
            "resolutiondate": jira_time(issue.resolved) if issue.resolved else None,
            "statuscategorychangedate": jira_time(issue.status_changed),
            "reporter": self.user(issue.reporter),
            "creator": self.user(issue.reporter),
            "assignee": None,
            "priority": {"self": f"{self.api}/priority/3", "id": "3", "name": "Medium"},
            "issuelinks": [],
            "comment": self.comments_page(issue, 0, 5000, newest_first=False),
        }

    def comment(self, issue: Issue, comment: Comment) -> dict[str, Any]:
        return {
            "self": f"{self.api}/issue/{issue.id}/comment/{comment.id}",
            "id": comment.id,
            "author": self.user(comment.author),
            "body": self.body(comment.body),
            "updateAuthor": self.user(comment.author),
            "created": jira_time(comment.created),
            "updated": jira_time(comment.updated),
            "jsdPublic": True,
        }

    def comments_page(self, issue: Issue, start: int, limit: int, newest_first: bool) -> dict[str, Any]:
        ordered = list(reversed(issue.comments)) if newest_first else list(issue.comments)
        page = ordered[start : start + limit]
        return {
            "comments": [self.comment(issue, comment) for comment in page],
            "self": f"{self.api}/issue/{issue.id}/comment",
            "maxResults": limit,
            "total": len(ordered),
            "startAt": start,
        }

    def transition(self, transition: Transition, issue: Issue) -> dict[str, Any]:
        target = issue.project.workflow.status(transition.target)
        assert target is not None
        return {
            "id": transition.id,
            "name": transition.name,
            "to": self.status(target),
            "hasScreen": False,
            "isGlobal": not transition.sources,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }

    def remote_link(self, issue: Issue, link: RemoteLink) -> dict[str, Any]:
        shown = {key: link.request.get(key) for key in ("application", "relationship", "object")}
        body = {"id": link.id, "self": f"{self.api}/issue/{issue.key}/remotelink/{link.id}"}
        if link.global_id:
            body["globalId"] = link.global_id
        body.update({key: value for key, value in shown.items() if value is not None})
        return body

    def change_group(self, group: ChangeGroup) -> dict[str, Any]:
        return {"id": group.id, "author": self.user(group.author), "created": jira_time(group.created),
                "items": [dict(item) for item in group.items]}  # fmt: skip

    def changelog_page(self, issue: Issue, start: int, limit: int, key: str = "values") -> dict[str, Any]:
        page = issue.changelog[start : start + limit]
        return {
            "startAt": start,
            "maxResults": limit,
            "total": len(issue.changelog),
            "isLast": start + len(page) >= len(issue.changelog),
            key: [self.change_group(group) for group in page],
        }


_AVATARS = ("48x48", "24x24", "16x16", "32x32")


def _property_names(issue: Issue, requested: Iterable[str]) -> list[str]:
    tokens = [token.strip() for value in requested for token in value.split(",") if token.strip()]
    if "*all" in tokens:
        return list(issue.properties)
    excluded = {token[1:] for token in tokens if token.startswith("-")}
    return [name for name in tokens if name in issue.properties and name not in excluded]
