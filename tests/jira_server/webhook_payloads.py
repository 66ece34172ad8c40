"""Bodies of the webhooks Jira Cloud POSTs to admin-registered URLs (contract §7.3).

Captured Cloud payloads use the REST v2 representation: `/rest/api/2/` self links and plain-string
descriptions and comment bodies, so that is the default here; `adf_bodies=True` sends ADF instead.
`dc_style=True` drops `fieldId` from changelog items, as Data Center does.
"""

from __future__ import annotations

import time
from typing import Any

from tests.jira_server.model import Account, ChangeGroup, Comment, Issue
from tests.jira_server.representation import FieldSelection, Renderer

_WEBHOOK_FIELDS = FieldSelection(
    ("summary", "description", "labels", "status", "issuetype", "project", "created", "updated", "resolution",
     "resolutiondate", "reporter", "assignee", "priority")
)  # fmt: skip
_COMMENT_ISSUE_FIELDS = FieldSelection(("summary", "issuetype", "project", "assignee", "priority", "status"))


def _renderer(base_url: str, adf_bodies: bool) -> Renderer:
    return Renderer(base_url, api="2", text_bodies=not adf_bodies)


def issue_updated(
    base_url: str, issue: Issue, change: ChangeGroup, user: Account, *, adf_bodies: bool = False,
    dc_style: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """`jira:issue_updated` with the changelog of one change (status, and resolution when it flips)."""
    renderer = _renderer(base_url, adf_bodies)
    items = [dict(item) for item in change.items]
    if dc_style:
        for item in items:
            item.pop("fieldId", None)
    resolved = any(item["field"] == "resolution" and item["to"] for item in items)
    event_type = "issue_resolved" if dc_style and resolved else "issue_generic"
    return {
        "timestamp": _millis(),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": event_type,
        "user": renderer.user(user),
        "issue": renderer.issue(issue, _WEBHOOK_FIELDS),
        "changelog": {"id": change.id, "items": items},
    }


def comment_created(
    base_url: str, issue: Issue, comment: Comment, *, adf_bodies: bool = False
) -> dict[str, Any]:
    """`comment_created`: the comment plus a reduced issue (contract §7.3)."""
    renderer = _renderer(base_url, adf_bodies)
    return {
        "timestamp": _millis(),
        "webhookEvent": "comment_created",
        "comment": renderer.comment(issue, comment),
        "issue": renderer.issue(issue, _COMMENT_ISSUE_FIELDS),
    }


def _millis() -> int:
    return int(time.time() * 1000)
