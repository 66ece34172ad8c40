"""The imitation's state and the rules Jira applies when it changes (thread-safe).

Handlers run on the server's event-loop thread while tests call the Python API from theirs, so
every read and write goes through one lock. Methods raise JiraHTTPError with Jira's messages.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.jira_server import jql
from tests.jira_server.adf_check import ADF_ERROR, adf_problem
from tests.jira_server.errors import JiraHTTPError, bad_request, not_found_issue
from tests.jira_server.model import (
    Account,
    ChangeGroup,
    Comment,
    Issue,
    IssueType,
    Project,
    RemoteLink,
    now,
)
from tests.jira_server.workflow import Status, Workflow, escalation_workflow, simplified_workflow

DEFAULT_ISSUE_TYPES = (
    IssueType("10001", "Task", "A small, distinct piece of work."),
    IssueType("10002", "Bug", "A problem or error."),
    IssueType("10003", "Story", "A user story."),
)
MAX_PROPERTY_CHARS = 32_768


class JiraStore:
    """Projects, issues, comments, remote links, properties and changelogs of one fake site."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.search_lag = 0.0
        self.clock: Callable[[], float] = time.monotonic
        self.reset()

    def reset(self) -> None:
        # What `search_lag` is measured with; tests swap in a clock they move, so that "not visible
        # yet" and "visible now" never depend on how fast a loaded machine runs. Reset to the real one.
        self.clock = time.monotonic
        with self._lock:
            self.projects: dict[str, Project] = {}
            self.issues: dict[str, Issue] = {}
            self._ids = itertools.count(10000)
            self._project_ids = itertools.count(10000)
            self.add_project("ESC", "Escalations", escalation_workflow())
            self.add_project("OPS", "Operations", simplified_workflow())

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            yield

    def add_project(self, key: str, name: str, workflow: Workflow) -> Project:
        with self._lock:
            project = Project(str(next(self._project_ids)), key.upper(), name, workflow, DEFAULT_ISSUE_TYPES)
            self.projects[project.key] = project
            return project

    # --- lookups ------------------------------------------------------------------------------

    def project(self, key_or_id: str) -> Project | None:
        with self._lock:
            wanted = key_or_id.strip().upper()
            return next((p for p in self.projects.values() if p.key == wanted or p.id == key_or_id), None)

    def issue(self, key_or_id: str) -> Issue:
        """Case-insensitive key or id lookup, as Jira does; 404 otherwise."""
        with self._lock:
            wanted = key_or_id.strip().upper()
            found = self.issues.get(wanted) or next(
                (i for i in self.issues.values() if i.id == key_or_id), None
            )
            if found is None:
                raise not_found_issue()
            return found

    def has_project(self, value: str) -> bool:
        return self.project(value) is not None or any(
            p.name.casefold() == value.casefold() for p in self.projects.values()
        )

    def has_status(self, value: str) -> bool:
        return any(p.workflow.status(value) is not None for p in self.projects.values())

    def has_issue(self, key_or_id: str) -> bool:
        try:
            self.issue(key_or_id)
        except JiraHTTPError:
            return False
        return True

    # --- issues -------------------------------------------------------------------------------

    def create_issue(self, request: dict[str, Any], author: Account) -> Issue:
        """POST /issue semantics: validate like Jira (400 with per-field errors), then create."""
        with self._lock:
            fields = request.get("fields") or {}
            project, issue_type = self._create_target(fields)
            summary = _summary(fields)
            description = _description(fields.get("description"))
            labels = _labels(fields.get("labels"))
            properties = _creation_properties(request.get("properties"))
            moment = now()
            issue = Issue(
                id=str(next(self._ids)),
                key=f"{project.key}-{project.next_number}",
                project=project,
                issue_type=issue_type,
                summary=summary,
                description=description,
                labels=labels,
                status=project.workflow.initial,
                reporter=author,
                created=moment,
                updated=moment,
                status_changed=moment,
                visible_after=self.clock() + self.search_lag,
                properties=properties,
            )
            project.next_number += 1
            self.issues[issue.key] = issue
            return issue

    def _create_target(self, fields: dict[str, Any]) -> tuple[Project, IssueType]:
        project_ref = fields.get("project")
        if not isinstance(project_ref, dict) or not (project_ref.get("key") or project_ref.get("id")):
            raise bad_request("project", "Specify a valid project ID or key")
        project = self.project(str(project_ref.get("key") or project_ref.get("id")))
        if project is None:
            raise bad_request("project", "valid project is required")
        type_ref = fields.get("issuetype")
        if not isinstance(type_ref, dict) or not (type_ref.get("name") or type_ref.get("id")):
            raise bad_request("issuetype", "Specify an issue type")
        issue_type = project.issue_type(str(type_ref.get("name") or type_ref.get("id")))
        if issue_type is None:
            raise bad_request("issuetype", "Specify a valid issue type")
        return project, issue_type

    def edit_issue(self, key: str, request: dict[str, Any], author: Account) -> None:
        """PUT /issue/{key}: summary, description and labels (set via fields, add/remove via update)."""
        with self._lock:
            issue = self.issue(key)
            fields = request.get("fields") or {}
            update = request.get("update") or {}
            both = set(fields) & set(update)
            if both:
                name = sorted(both)[0]
                raise bad_request(name, f"Field '{name}' cannot be set in both fields and update.")
            if "summary" in fields:
                issue.summary = _summary(fields)
            if "description" in fields:
                issue.description = _description(fields["description"])
            if "labels" in fields:
                issue.labels = _labels(fields["labels"])
            for operation in update.get("labels") or []:
                _apply_label_operation(issue, operation)
            issue.updated = now()

    def set_property(self, key: str, name: str, value: Any) -> bool:
        """PUT /issue/{key}/properties/{name}; True if created, False if updated."""
        with self._lock:
            issue = self.issue(key)
            _check_property(name, value)
            created = name not in issue.properties
            issue.properties[name] = value
            return created

    # --- workflow -----------------------------------------------------------------------------

    def transition(self, key: str, transition_id: str, author: Account) -> tuple[Issue, ChangeGroup]:
        """Apply a transition available from the current status; Jira's 400 otherwise."""
        with self._lock:
            issue = self.issue(key)
            available = issue.project.workflow.available(issue.status.name)
            chosen = next((t for t in available if t.id == str(transition_id)), None)
            if chosen is None:
                raise JiraHTTPError(400, [f"Transition id '{transition_id}' is not valid for this issue."])
            target = issue.project.workflow.status(chosen.target)
            assert target is not None
            return issue, self._move(issue, target, author)

    def move_as_user(self, key: str, status_name: str, author: Account) -> tuple[Issue, ChangeGroup]:
        """What a person dragging the card does: pick the transition leading to `status_name`."""
        with self._lock:
            issue = self.issue(key)
            chosen = issue.project.workflow.transition_to(issue.status.name, status_name)
            if chosen is None:
                raise JiraHTTPError(400, [f"No transition from '{issue.status.name}' to '{status_name}'."])
            return self.transition(key, chosen.id, author)

    def _move(self, issue: Issue, target: Status, author: Account) -> ChangeGroup:
        items: list[dict[str, Any]] = []
        was_done = issue.status.category.key == "done"
        is_done = target.category.key == "done"
        if was_done != is_done:
            items.append(_resolution_item(resolved=is_done))
            issue.resolved = now() if is_done else None
        items.append(_status_item(issue.status, target))
        moment = now()
        issue.status = target
        issue.updated = moment
        issue.status_changed = moment
        group = ChangeGroup(str(next(self._ids)), author, moment, items)
        issue.changelog.append(group)
        return group

    # --- comments and links -------------------------------------------------------------------

    def add_comment(self, key: str, body: Any, author: Account, properties: Any = None) -> Comment:
        with self._lock:
            issue = self.issue(key)
            problem = adf_problem(body)
            if problem is not None:
                raise bad_request("comment", f"{ADF_ERROR} ({problem})")
            moment = now()
            comment = Comment(str(next(self._ids)), author, body, moment, moment)
            comment.properties = _creation_properties(properties)
            issue.comments.append(comment)
            issue.updated = moment
            return comment

    def upsert_remote_link(self, key: str, request: dict[str, Any]) -> tuple[RemoteLink, bool]:
        """Upsert by globalId (contract §2.6): (link, created)."""
        with self._lock:
            issue = self.issue(key)
            _check_remote_link(request)
            global_id = request.get("globalId")
            existing = next((r for r in issue.remote_links if global_id and r.global_id == global_id), None)
            if existing is not None:
                existing.request = request
                return existing, False
            link = RemoteLink(next(self._ids), global_id, request)
            issue.remote_links.append(link)
            issue.updated = now()
            return link, True

    # --- search -------------------------------------------------------------------------------

    def search(self, query: str, reconcile_ids: set[str]) -> list[Issue]:
        """Matching issues in JQL order; issues younger than `search_lag` stay invisible unless reconciled."""
        with self._lock:
            predicate, order = jql.compile_query(query, self)
            moment = self.clock()
            visible = [
                issue
                for issue in self.issues.values()
                if issue.visible_after <= moment or issue.id in reconcile_ids
            ]
            return order([issue for issue in visible if predicate(issue)])

    def select(self, predicate: Callable[[Issue], bool]) -> list[Issue]:
        with self._lock:
            return [issue for issue in self.issues.values() if predicate(issue)]


def _summary(fields: dict[str, Any]) -> str:
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise bad_request("summary", "You must specify a summary of the issue.")
    if "\n" in summary or "\r" in summary:
        raise bad_request("summary", "The summary is invalid because it contains newline characters.")
    if len(summary) > 255:
        raise bad_request("summary", "Summary must be less than 255 characters.")
    return summary


def _description(value: Any) -> Any:
    if value is None:
        return None
    problem = adf_problem(value)
    if problem is not None:
        raise bad_request("description", f"{ADF_ERROR} ({problem})")
    return value


def _labels(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
        raise bad_request("labels", "Labels must be a list of strings.")
    for label in value:
        if " " in label or not label:
            raise bad_request("labels", f"The label '{label}' contains spaces which is invalid.")
        if len(label) > 255:
            raise bad_request("labels", "The label must not exceed 255 characters.")
    return list(dict.fromkeys(value))


def _apply_label_operation(issue: Issue, operation: dict[str, Any]) -> None:
    if "add" in operation:
        issue.labels = list(dict.fromkeys([*issue.labels, *_labels([operation["add"]])]))
    if "remove" in operation:
        issue.labels = [label for label in issue.labels if label != operation["remove"]]
    if "set" in operation:
        issue.labels = _labels(operation["set"])


def _creation_properties(value: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for item in value or []:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise bad_request("properties", "Each property needs a key.")
        _check_property(item["key"], item.get("value"))
        properties[item["key"]] = item.get("value")
    return properties


def _check_property(name: str, value: Any) -> None:
    if not name or len(name) > 255:
        raise JiraHTTPError(400, ["The property key must be between 1 and 255 characters."])
    if value is None or len(json.dumps(value)) > MAX_PROPERTY_CHARS:
        raise JiraHTTPError(400, ["The property value must be non-empty JSON of at most 32768 characters."])


def _check_remote_link(request: dict[str, Any]) -> None:
    target = request.get("object")
    if not isinstance(target, dict):
        raise bad_request("object", "'object' is required.")
    for name in ("url", "title"):
        if not target.get(name):
            raise bad_request(name, f"'{name}' is required.")
    if len(str(request.get("globalId") or "")) > 255:
        raise bad_request("globalId", "'globalId' must be at most 255 characters.")


def _status_item(before: Status, after: Status) -> dict[str, Any]:
    return {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": before.id,
        "fromString": before.name,
        "to": after.id,
        "toString": after.name,
    }


def _resolution_item(resolved: bool) -> dict[str, Any]:
    return {
        "field": "resolution",
        "fieldtype": "jira",
        "fieldId": "resolution",
        "from": None if resolved else "10000",
        "fromString": None if resolved else "Done",
        "to": "10000" if resolved else None,
        "toString": "Done" if resolved else None,
    }
