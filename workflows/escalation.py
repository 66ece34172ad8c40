"""EscalationWorkflow: one per escalation (`escalation-CP-<n>`), a child of its ticket's workflow.

Its life is the shared skeleton's (workflows/entity.py). What is its own: the stage, the linked
dev cards, the estimated date and the customer's verification, with their clocks (verification
reminder and auto-confirmation, ETA passed, card reconcile; rules in domain/escalation/). Every
change is projected to Postgres and told to the ticket, which shows it and resolves or reopens at
the end. Calls to JIRA run beside the main loop, so a slow or failing tracker never stalls it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.jira import JiraActivities
    from activities.notifications import NotificationRequest
    from domain.actors import Actor
    from domain.calendar import BusinessCalendar, default_calendar_spec
    from domain.errors import InvalidCommand
    from domain.escalation.clocks import (
        EscalationClock,
        EscalationDeadline,
        VerificationPeriods,
        decide_deadline,
        next_escalation_deadline,
    )
    from domain.escalation.commands import (
        CardChanged,
        CreateCard,
        EscalationCommand,
        LinkCard,
        MoveStage,
        SetEta,
        UnlinkCard,
        Verify,
    )
    from domain.escalation.decisions import card_created, card_news, card_sync_failed, decide, opening
    from domain.escalation.read_model_rows import escalation_rows
    from domain.escalation.state import EscalationState, evolve_escalation, view_of
    from domain.escalation.withdrawal import (
        TicketClosed,
        decide_withdrawal,
        ticket_gone_reason,
        withdrawal_comment,
    )
    from domain.events import Change, Event
    from domain.notifications import Entity, is_notified_by_activity
    from domain.projection_rows import ProjectionRows
    from integrations.jira.cards import CardInfo, CommentRequest, CreateCardRequest
    from workflows import search_attributes as sa
    from workflows.escalation_input import EscalationInput
    from workflows.ticket_input import ticket_workflow_id

from workflows.entity import EntityWorkflow

JIRA_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["JiraRejected", "JiraNotConfigured"],
)
WITHDRAWAL_COMMENT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=12,  # about half an hour of a JIRA outage
    non_retryable_error_types=["JiraRejected", "JiraNotConfigured"],
)
RECONCILE_RETRY = RetryPolicy(maximum_attempts=3, non_retryable_error_types=["JiraNotConfigured"])
JIRA_TIMEOUT = timedelta(seconds=30)
NOTIFY_IN_PROJECTION = "escalation-notify-in-projection"
ENDS_WITH_TICKET = "escalation-ends-with-ticket"
RECONCILE_BESIDE_LOOP = "reconcile-beside-loop"
UPSERT_CHANGED_ONLY = "escalation-upserts-changes-only"


@workflow.defn
class EscalationWorkflow(EntityWorkflow[EscalationState, EscalationCommand, EscalationDeadline]):
    projection_activity = "project_escalation"

    @workflow.init
    def __init__(self, input: EscalationInput) -> None:
        self._settings = input.settings
        self._calendar = BusinessCalendar.from_spec(input.settings.calendar or default_calendar_spec())
        self._periods = VerificationPeriods(
            input.settings.verification_reminder_business_days, input.settings.verification_timeout_days
        )
        self._told_ticket: object = None
        self._next_reconcile: datetime | None = None
        self._reconciling: asyncio.Task[None] | None = None  # at most one reconcile beside the loop
        self._published: dict[str, object] | None = None  # search attributes as last upserted
        if input.state is not None:
            self._begin(input.state, input.seen_requests, input.projected_version, input.unprojected)
            return
        assert input.new is not None
        state = EscalationState.opened(input.new, workflow.now())
        self._begin(state, input.seen_requests, input.projected_version, input.unprojected)
        self._record(*opening(input.new))

    @workflow.run
    async def run(self, input: EscalationInput) -> EscalationState:
        return await self._live()

    @workflow.query
    def state(self) -> EscalationState:
        return self._state

    # ---- messages ------------------------------------------------------------------------------------

    @workflow.signal
    def card_changed(self, news: CardChanged) -> None:
        """From the JIRA webhook: duplicates and late deliveries are recognised and change nothing."""
        self._apply_card_news(news)

    @workflow.signal
    def ticket_closed(self, news: TicketClosed) -> None:
        """From the ticket's workflow: its ticket closed or merged, so an active escalation is withdrawn."""
        self._withdraw(news.reason)

    @workflow.update
    async def opened(self) -> EscalationState:
        await workflow.wait_condition(lambda: self._projected_version >= 1)
        return self._state

    @workflow.update
    async def move_stage(self, command: MoveStage) -> EscalationState:
        return await self._handle(command)

    @move_stage.validator
    def _v_move(self, command: MoveStage) -> None:
        self._validate(command)

    @workflow.update
    async def set_eta(self, command: SetEta) -> EscalationState:
        return await self._handle(command)

    @set_eta.validator
    def _v_eta(self, command: SetEta) -> None:
        self._validate(command)

    @workflow.update
    async def link_card(self, command: LinkCard) -> EscalationState:
        return await self._handle(command)

    @link_card.validator
    def _v_link(self, command: LinkCard) -> None:
        self._validate(command)

    @workflow.update
    async def create_card(self, command: CreateCard) -> EscalationState:
        return await self._handle(command)

    @create_card.validator
    def _v_create(self, command: CreateCard) -> None:
        self._validate(command)

    @workflow.update
    async def unlink_card(self, command: UnlinkCard) -> EscalationState:
        return await self._handle(command)

    @unlink_card.validator
    def _v_unlink(self, command: UnlinkCard) -> None:
        self._validate(command)

    @workflow.update
    async def verify(self, command: Verify) -> EscalationState:
        return await self._handle(command)

    @verify.validator
    def _v_verify(self, command: Verify) -> None:
        self._validate(command)

    # ---- the escalation's rules ----------------------------------------------------------------------

    def _decide(self, state: EscalationState, command: EscalationCommand) -> list[Change]:
        return decide(state, command, workflow.now(), self._calendar)

    def _evolve(self, event: Event) -> None:
        evolve_escalation(self._state, event)

    def _ended(self) -> bool:
        return not self._state.active

    async def _after_record(self, command: EscalationCommand) -> None:
        """Tracker calls a command asks for run beside the loop: the handler returns once projected."""
        if isinstance(command, CreateCard):
            self._beside(asyncio.create_task(self._create_card(command)))
        if isinstance(command, Verify) and not command.fixed and self._state.cards:
            text = "The customer reports the fix does not work" + (
                f": {command.comment}" if command.comment else "."
            )
            self._beside(asyncio.create_task(self._comment_cards(text)))

    def _withdraw(self, reason: str) -> None:
        """Record the withdrawal and tell the dev cards (beside the loop); an ended one keeps its end."""
        changes = decide_withdrawal(self._state, reason)
        if not changes:
            return
        self._record(changes, Actor.system())
        if self._state.cards:
            self._beside(asyncio.create_task(self._comment_withdrawal()))

    def _apply_card_news(self, news: CardChanged) -> None:
        try:
            changes, actor = card_news(self._state, news)
        except InvalidCommand as exc:
            workflow.logger.warning("%s", exc.reason)
            return
        if changes:
            self._record(changes, actor)

    # ---- clocks --------------------------------------------------------------------------------------

    def _next_deadline(self) -> EscalationDeadline | None:
        if self._state.cards and self._next_reconcile is None:
            self._next_reconcile = workflow.now() + timedelta(seconds=self._settings.reconcile_seconds)
        return next_escalation_deadline(self._state, self._calendar, self._periods, self._next_reconcile)

    async def _on_deadline(self, deadline: EscalationDeadline) -> None:
        if deadline.action is EscalationClock.RECONCILE:
            self._next_reconcile = workflow.now() + timedelta(seconds=self._settings.reconcile_seconds)
            if not self._patches.has(RECONCILE_BESIDE_LOOP):
                await self._reconcile()  # runs started before the patch: the loop waits for it
            elif self._reconciling is None or self._reconciling.done():
                self._reconciling = asyncio.create_task(self._reconcile())
                self._beside(self._reconciling)
            return
        self._record(decide_deadline(self._state, deadline.action), Actor.system())

    # ---- side effects beside the loop ----------------------------------------------------------------

    async def _create_card(self, command: CreateCard) -> None:
        state = self._state
        request = CreateCardRequest(
            escalation_id=state.id,
            summary=f"[{state.id}] {state.summary}"[:250],
            description=f"{state.description}\n\nTicket #{state.ticket_id}, escalated to {state.target}.",
            escalation_url=f"{self._settings.public_base_url}/v1/escalations/{state.id}",
            project=command.project,
            issue_type=command.issue_type,
            labels=["escalator"],
        )
        try:
            card: CardInfo = await workflow.execute_activity_method(
                JiraActivities.create_card,
                request,
                start_to_close_timeout=JIRA_TIMEOUT,
                schedule_to_close_timeout=timedelta(days=1),
                retry_policy=JIRA_RETRY,
                summary=f"create dev card for {state.id}",
            )
        except ActivityError as exc:
            self._record(card_sync_failed("create", str(exc.cause or exc)), Actor.system())
            return
        changes = card_created(self._state, card.key, card.url, card.status, card.progress, workflow.now())
        self._record(changes, Actor.system())

    async def _comment_cards(self, text: str) -> None:
        keys = [c.key for c in self._state.cards]
        try:
            await workflow.execute_activity_method(
                JiraActivities.comment_cards,
                CommentRequest(keys, text),
                start_to_close_timeout=JIRA_TIMEOUT,
                schedule_to_close_timeout=timedelta(days=1),
                retry_policy=JIRA_RETRY,
                summary="comment on dev cards",
            )
        except ActivityError as exc:
            self._record(card_sync_failed("comment", str(exc.cause or exc)), Actor.system())

    async def _comment_withdrawal(self) -> None:
        """The last word to the dev cards, bounded by attempts rather than a day: the ended
        escalation's workflow completes only after it (settling waits for side tasks)."""
        keys = [c.key for c in self._state.cards]
        try:
            await workflow.execute_activity_method(
                JiraActivities.comment_cards,
                CommentRequest(keys, withdrawal_comment(self._state)),
                start_to_close_timeout=JIRA_TIMEOUT,
                retry_policy=WITHDRAWAL_COMMENT_RETRY,
                summary="tell dev cards the escalation was withdrawn",
            )
        except ActivityError as exc:
            self._record(card_sync_failed("comment", str(exc.cause or exc)), Actor.system())

    async def _reconcile(self) -> None:
        keys = [c.key for c in self._state.cards]
        try:
            cards: list[CardInfo] = await workflow.execute_activity_method(
                JiraActivities.read_cards,
                keys,
                start_to_close_timeout=JIRA_TIMEOUT,
                retry_policy=RECONCILE_RETRY,
                summary="reconcile dev cards",
            )
        except ActivityError:
            return  # the next round tries again; webhooks may arrive meanwhile
        for card in cards:
            self._apply_card_news(
                CardChanged(card.key, card.status, card.progress, workflow.now(), "reconcile")
            )

    # ---- projection and what follows it --------------------------------------------------------------

    def _rows(self, batch: list[Event]) -> ProjectionRows:
        return escalation_rows(self._state, batch, notify=self._patches.has(NOTIFY_IN_PROJECTION))

    def _projection_summary(self, rows: ProjectionRows) -> str:
        return f"project {self._state.id} to v{rows.version}"

    async def _projected(self, batch: list[Event]) -> None:
        self._publish()
        await self._tell_ticket()
        if not self._patches.has(NOTIFY_IN_PROJECTION):
            self._notify_legacy(batch)

    def _notify_legacy(self, events: list[Event]) -> None:
        """Runs started before "escalation-notify-in-projection" record notifications by activity."""
        state = self._state
        for event in events:
            if is_notified_by_activity(Entity.ESCALATION, event):
                data = dict(event.data)
                self._notify_by_activity(
                    NotificationRequest(state.ticket_id, event.seq, event.type, data, source=state.id)
                )

    def _publish(self) -> None:
        state = self._state
        if self._settings.publish_search_attributes:
            self._upsert_search_attributes()
        cards = ", ".join(f"{c.key} ({c.progress})" for c in state.cards) or "no dev cards"
        eta = state.eta or "—"
        workflow.set_current_details(
            f"**{state.id}** for ticket #{state.ticket_id} · **{state.stage}** · ETA {eta} · {cards}"
        )

    def _upsert_search_attributes(self) -> None:
        """Stage and dev cards; runs with UPSERT_CHANGED_ONLY upsert only what changed since the
        last upsert (or since the run began: a continued run finds its predecessor's)."""
        stage, cards = self._state.stage.value, [c.key for c in self._state.cards]
        if not self._patches.has(UPSERT_CHANGED_ONLY):
            workflow.upsert_search_attributes(
                [sa.ESCALATION_STAGE.value_set(stage), sa.DEV_CARDS.value_set(cards)]
            )
            return
        if self._published is None:
            found = workflow.info().typed_search_attributes
            self._published = {sa.ESCALATION_STAGE.name: found.get(sa.ESCALATION_STAGE)}
            self._published[sa.DEV_CARDS.name] = found.get(sa.DEV_CARDS)
        updates: list[SearchAttributeUpdate[Any]] = []
        if self._published[sa.ESCALATION_STAGE.name] != stage:
            updates.append(sa.ESCALATION_STAGE.value_set(stage))
        if self._published[sa.DEV_CARDS.name] != cards:
            updates.append(sa.DEV_CARDS.value_set(cards))
        if updates:
            workflow.upsert_search_attributes(updates)
            self._published = {sa.ESCALATION_STAGE.name: stage, sa.DEV_CARDS.name: cards}

    async def _tell_ticket(self) -> None:
        view = view_of(self._state)
        if view == self._told_ticket:
            return
        handle = workflow.get_external_workflow_handle(ticket_workflow_id(self._state.ticket_id))
        try:
            await handle.signal("escalation_changed", view)
        except Exception as exc:  # the ticket's workflow has completed: nothing left to tell
            workflow.logger.info(
                "ticket %s not told about %s: %s", self._state.ticket_id, self._state.id, exc
            )
            self._told_ticket = view
            if self._state.active and self._patches.has(ENDS_WITH_TICKET):
                self._withdraw(ticket_gone_reason(self._state.ticket_id))
            return
        self._told_ticket = view

    def _continued(self) -> EscalationInput:
        return EscalationInput(
            settings=self._settings,
            state=self._state,
            projected_version=self._projected_version,
            seen_requests=self._requests.carried(),
        )
