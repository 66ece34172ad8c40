"""The fake Jira site without its HTTP server: state, credentials, faults, records, webhooks, test API.

`JiraServer` (server.py) serves a site over HTTP; tests drive it through the methods here, and
other processes through the `/_test/...` endpoints (admin_api.py), which call the same methods.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from tests.jira_server import webhook_payloads
from tests.jira_server.auth import DEVELOPER, Credentials
from tests.jira_server.contract import ContractViolation
from tests.jira_server.faults import Fault, FaultKind, FaultPlan
from tests.jira_server.model import Account, ChangeGroup, Comment, Issue
from tests.jira_server.recorder import RecordedRequest, RequestLog
from tests.jira_server.representation import FieldSelection, Renderer
from tests.jira_server.store import JiraStore
from tests.jira_server.webhooks import Delivery, WebhookConfig, WebhookDispatch, WebhookSender


class JiraSite:
    """Everything a test can see or steer; safe to call from any thread."""

    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self.base_url = "http://127.0.0.1"
        self.store = JiraStore()
        self.credentials = credentials or Credentials()
        self.faults = FaultPlan()
        self.log = RequestLog()
        self.webhooks = WebhookSender(WebhookConfig(url=webhook_url, secret=webhook_secret), self._event_loop)
        self.sink = WebhookSink()
        self._violations_lock = threading.Lock()
        self._violations: list[ContractViolation] = []
        self._response_violations: list[ContractViolation] = []

    def _event_loop(self) -> asyncio.AbstractEventLoop | None:
        return None

    # --- what tests inspect -------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every Jira API request received (not the `/_test` ones), oldest first."""
        return self.log.snapshot()

    @property
    def contract_violations(self) -> list[ContractViolation]:
        """Requests that did not match jira-openapi-subset.json (they were answered 400/404/405)."""
        with self._violations_lock:
            return list(self._violations)

    @property
    def response_violations(self) -> list[ContractViolation]:
        """Self-check: 2xx responses of the imitation that do not match the spec."""
        with self._violations_lock:
            return list(self._response_violations)

    @property
    def webhook_deliveries(self) -> list[WebhookDispatch]:
        return self.webhooks.dispatches

    def record_violation(self, violation: ContractViolation) -> None:
        with self._violations_lock:
            target = self._violations if violation.kind == "request" else self._response_violations
            target.append(violation)

    def issue_json(self, key: str) -> dict[str, Any]:
        """The issue as GET /rest/api/3/issue/{key} would return it (all fields, all properties)."""
        with self.store.locked():
            issue = self.store.issue(key)
            return self.renderer().issue(issue, FieldSelection.parse([], "*all"), ["*all"])

    def issues(self) -> list[Issue]:
        return self.store.select(lambda issue: True)

    def renderer(self) -> Renderer:
        return Renderer(self.base_url)

    # --- steering -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Fresh seed data; no faults, records, violations or deliveries. Webhook config is kept."""
        self.store.reset()
        self.faults.clear()
        self.log.clear()
        self.webhooks.clear()
        self.sink.clear()
        with self._violations_lock:
            self._violations.clear()
            self._response_violations.clear()

    def inject(
        self,
        kind: FaultKind | str,
        count: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
        retry_after_http_date: bool = False,
        status: int | None = None,
        delay: float = 0.0,
    ) -> Fault:
        """Make the next `count` requests matching `method` and `path` (regex) fail as `kind` says."""
        return self.faults.add(
            Fault(FaultKind(kind), count, method, path, retry_after, retry_after_http_date, status, delay)
        )

    def configure_webhooks(self, **changes: Any) -> WebhookConfig:
        """Change url, secret, max_retries, retry_delay, timeout, events or emit_for_api_changes."""
        config = self.webhooks.config
        for name, value in changes.items():
            if not hasattr(config, name):
                raise ValueError(f"unknown webhook setting {name!r}")
            setattr(config, name, set(value) if name == "events" else value)
        return config

    @property
    def search_lag(self) -> float:
        """Seconds before a new issue shows up in search (Jira's search is eventually consistent)."""
        return self.store.search_lag

    @search_lag.setter
    def search_lag(self, seconds: float) -> None:
        self.store.search_lag = seconds

    # --- what users do in Jira's UI -----------------------------------------------------------

    def move_card(
        self,
        key: str,
        to_status: str,
        *,
        delivery: Delivery | str = Delivery.NORMAL,
        delay: float = 0.0,
        user: Account = DEVELOPER,
        adf_bodies: bool = False,
        dc_style: bool = False,
    ) -> WebhookDispatch:
        """A person moves the card (one transition) and Jira sends a signed `jira:issue_updated`."""
        with self.store.locked():
            issue, change = self.store.move_as_user(key, to_status, user)
            payload = webhook_payloads.issue_updated(
                self.base_url, issue, change, user, adf_bodies=adf_bodies, dc_style=dc_style
            )
        return self.webhooks.send(payload, Delivery(delivery), delay)

    def add_user_comment(
        self,
        key: str,
        text: str,
        *,
        delivery: Delivery | str = Delivery.NORMAL,
        delay: float = 0.0,
        user: Account = DEVELOPER,
        adf_bodies: bool = False,
    ) -> WebhookDispatch:
        """A person comments on the card and Jira sends `comment_created`."""
        body = {"type": "doc", "version": 1, "content": [_paragraph(block) for block in text.split("\n\n")]}
        with self.store.locked():
            comment = self.store.add_comment(key, body, user)
            issue = self.store.issue(key)
            payload = webhook_payloads.comment_created(self.base_url, issue, comment, adf_bodies=adf_bodies)
        return self.webhooks.send(payload, Delivery(delivery), delay)

    # --- side effects of API calls, as on a real site -----------------------------------------

    def after_api_transition(self, issue: Issue, change: ChangeGroup, user: Account) -> None:
        if self.webhooks.config.emit_for_api_changes and self.webhooks.wants("jira:issue_updated"):
            self.webhooks.send(webhook_payloads.issue_updated(self.base_url, issue, change, user))

    def after_api_comment(self, issue: Issue, comment: Comment) -> None:
        if self.webhooks.config.emit_for_api_changes and self.webhooks.wants("comment_created"):
            self.webhooks.send(webhook_payloads.comment_created(self.base_url, issue, comment))


class WebhookSink:
    """A receiver at `/_test/webhook-sink` so tests and the CLI can watch what Jira would deliver."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []  # answers for the next deliveries, then 200

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            self.received.append((headers, body))
            return self.statuses.pop(0) if self.statuses else 200

    def answer_with(self, statuses: list[int]) -> None:
        """Answer the next deliveries with these statuses (e.g. 500 to make Jira redeliver)."""
        with self._lock:
            self.statuses = list(statuses)

    def clear(self) -> None:
        with self._lock:
            self.received.clear()
            self.statuses.clear()


def _paragraph(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}] if text else []}
