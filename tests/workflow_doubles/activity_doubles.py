"""Test doubles for every activity the workflows call, registered under the production names.

Why: a workflow rule (auto-resolve after 10 days, the verification reminder, a grant's expiry) is
the workflow's own behaviour; testing it should not need PostgreSQL or JIRA. These doubles keep in
memory what the workflows project (rows, timelines, outbox) so that a test can assert on it, the
way temporalio/samples-python's tests and Temporal's order-management app replace activities.
The real activities keep their own tests against real Postgres (tests/workflow, tests/integration).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.notifications import NotificationRequest
from domain.projection_rows import ProjectionRows
from domain.sla_rollout import RolloutPage, RolloutPageRequest
from integrations.jira.cards import CardInfo, CommentRequest, CreateCardRequest


class ActivityDoubles:
    """In-memory read model and tracker: latest row per entity, timeline per entity, the outbox."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, object], dict[str, Any]] = {}
        self.timelines: dict[tuple[str, object], dict[int, dict[str, Any]]] = defaultdict(dict)
        self.outbox: dict[tuple[int, str, int, str], dict[str, Any]] = {}
        self.trail_start: dict[str, int] = {}  # support_access_version's answer per user
        self.comments: list[CommentRequest] = []
        self.reject_card_creation = False
        self.policy_tickets: dict[str, list[int]] = {}  # policy name → open ticket ids on it
        self.held: dict[str, asyncio.Event] = {}  # escalation id → released when set
        self.holding: dict[str, asyncio.Event] = {}  # escalation id → set once a projection waits
        self._cards = 0

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.project_ticket,
            self.project_escalation,
            self.project_support_access,
            self.support_access_version,
            self.record_notification,
            self.create_card,
            self.read_cards,
            self.comment_cards,
            self.policy_rollout_page,
        ]

    def timeline(self, kind: str, owner: object) -> list[tuple[int, str]]:
        """(seq, type) of an entity's projected events, in order."""
        events = self.timelines[(kind, owner)]
        return [(seq, events[seq]["type"]) for seq in sorted(events)]

    def owed(self, ticket_id: int, source: str = "ticket") -> list[str]:
        """The kinds of notification owed for a ticket (or one of its escalations), in event order."""
        keys = sorted(k for k in self.outbox if k[0] == ticket_id and k[1] == source)
        return [kind for *_, kind in keys]

    def _project(self, kind: str, key: str, owner: str, projection: ProjectionRows) -> int:
        owner_id = projection.row[key]
        self.rows[(kind, owner_id)] = projection.row
        for event in projection.events:
            assert event[owner] == owner_id
            self.timelines[(kind, owner_id)][event["seq"]] = event
        for row in projection.notifications:
            self.outbox.setdefault((row["ticket_id"], row["source"], row["seq"], row["kind"]), row)
        return projection.version

    @activity.defn(name="project_ticket")
    async def project_ticket(self, projection: ProjectionRows) -> int:
        return self._project("ticket", "id", "ticket_id", projection)

    @activity.defn(name="project_escalation")
    async def project_escalation(self, projection: ProjectionRows) -> int:
        """Held while a test keeps an escalation mid-update (its handler waits for this projection)."""
        escalation_id = str(projection.row["id"])
        if escalation_id in self.held:
            self.holding.setdefault(escalation_id, asyncio.Event()).set()
            await self.held[escalation_id].wait()
        return self._project("escalation", "id", "escalation_id", projection)

    def hold(self, escalation_id: str) -> asyncio.Event:
        """Hold the escalation's projections until the returned event is set; `holding` says when one waits."""
        self.holding[escalation_id] = asyncio.Event()
        self.held[escalation_id] = asyncio.Event()
        return self.held[escalation_id]

    @activity.defn(name="project_support_access")
    async def project_support_access(self, projection: ProjectionRows) -> int:
        return self._project("support_access", "user_id", "user_id", projection)

    @activity.defn(name="support_access_version")
    async def support_access_version(self, user_id: str) -> int:
        return self.trail_start.get(user_id, 0)

    @activity.defn(name="record_notification")
    async def record_notification(self, request: NotificationRequest) -> bool:
        key = (request.ticket_id, request.source, request.seq, request.kind)
        fresh = key not in self.outbox
        self.outbox.setdefault(key, {"data": request.data})
        return fresh

    @activity.defn(name="jira_create_card")
    async def create_card(self, request: CreateCardRequest) -> CardInfo:
        if self.reject_card_creation:
            raise ApplicationError("project ESC does not exist", type="JiraRejected", non_retryable=True)
        self._cards += 1
        key = f"ESC-{self._cards}"
        return CardInfo(key, f"http://127.0.0.1/browse/{key}", "To Do", "accepted")

    @activity.defn(name="jira_read_cards")
    async def read_cards(self, keys: list[str]) -> list[CardInfo]:
        return []

    @activity.defn(name="jira_comment_cards")
    async def comment_cards(self, request: CommentRequest) -> int:
        self.comments.append(request)
        return len(request.keys)

    @activity.defn(name="policy_rollout_page")
    async def policy_rollout_page(self, request: RolloutPageRequest) -> RolloutPage:
        ids = sorted(self.policy_tickets.get(request.policy, []))
        page = [i for i in ids if i > request.after_id][: request.limit]
        return RolloutPage(page, len(ids) if request.count_total else None)
