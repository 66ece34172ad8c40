"""EscalationWorkflow: one per escalation (`escalation-CP-<n>`), a child of its ticket's workflow.

It owns the stage, the linked dev cards, the estimated date and the customer's verification, with
their clocks (verification reminder and auto-confirmation, ETA passed, card reconcile). Every change
is projected to Postgres and told to the ticket, which shows it and resolves or reopens at the end.
Side effects on JIRA run beside the main loop, so a slow or failing tracker never stalls it.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.escalation_projection import (
        EscalationEvent,
        EscalationProjection,
        EscalationProjectionActivities,
    )
    from activities.jira import JiraActivities
    from activities.notifications import NotificationActivities, NotificationRequest
    from domain.actors import Actor
    from domain.business_days import business_days_later, end_of_local_day, local_today
    from domain.calendar import BusinessCalendar, default_calendar_spec
    from domain.errors import InvalidCommand, TransitionRejected
    from domain.escalation.card_progress import CardProgress
    from domain.escalation.commands import (
        CardChanged,
        CreateCard,
        LinkCard,
        MoveStage,
        SetEta,
        UnlinkCard,
        Verify,
    )
    from domain.escalation.state import (
        Card,
        Change,
        EscalationState,
        Stage,
        card_linked_changes,
        decide_auto_confirm,
        decide_card_progress,
        decide_eta,
        decide_link,
        decide_move,
        decide_unlink,
        decide_verification,
        evolve_escalation,
        view_of,
    )
    from integrations.jira.cards import CardInfo, CommentRequest, CreateCardRequest
    from workflows import search_attributes as sa
    from workflows.escalation_input import EscalationInput
    from workflows.refusals import refusal
    from workflows.ticket_input import ticket_workflow_id

PROJECTION_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10)
)
JIRA_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["JiraRejected", "JiraNotConfigured"],
)
NOTIFIED = frozenset({"stage_changed", "verification_reminder", "eta_passed", "card_sync_failed"})
EscalationCommand = MoveStage | SetEta | LinkCard | CreateCard | UnlinkCard | Verify


@dataclass(frozen=True)
class Due:
    action: str
    due: datetime
    summary: str


@workflow.defn
class EscalationWorkflow:
    @workflow.init
    def __init__(self, input: EscalationInput) -> None:
        self._settings = input.settings
        self._calendar = BusinessCalendar.from_spec(input.settings.calendar or default_calendar_spec())
        self._seen = dict(input.seen_requests)
        self._projected_version = input.projected_version
        self._unprojected: list[EscalationEvent] = list(input.unprojected)
        self._side_tasks: list[asyncio.Task[Any]] = []
        self._told_ticket: Any = None
        self._wake = False
        self._next_reconcile: datetime | None = None
        if input.state is not None:
            self._state = input.state
        else:
            assert input.new is not None
            self._state = EscalationState.opened(input.new, workflow.now())
            actor = Actor(user_id=input.new.requested_by, role="agent")  # type: ignore[arg-type]
            created = {
                "target": input.new.target.value,
                "summary": input.new.summary,
                "ticket_id": input.new.ticket_id,
            }
            self._record([Change("escalation_created", created)], actor)

    @workflow.run
    async def run(self, input: EscalationInput) -> EscalationState:
        while True:
            if self._unprojected:
                await self._project()
                continue
            if not self._state.active:
                return await self._finish()
            if workflow.info().is_continue_as_new_suggested():
                await self._continue_as_new()
            await self._sleep_until_next()

    @workflow.query
    def state(self) -> EscalationState:
        return self._state

    # ---- messages ------------------------------------------------------------------------------------

    @workflow.signal
    def card_changed(self, news: CardChanged) -> None:
        """From the JIRA webhook: duplicates and late deliveries are recognised and change nothing."""
        self._apply_card_news(news)

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

    # ---- decisions -----------------------------------------------------------------------------------

    def _decide(self, command: EscalationCommand) -> list[Change]:
        state = self._state
        if isinstance(command, MoveStage):
            try:
                to = Stage(command.to)
            except ValueError:
                raise InvalidCommand("stage", f"unknown stage {command.to!r}") from None
            return decide_move(state, command.actor, to, command.note)
        if isinstance(command, SetEta):
            today = local_today(self._calendar, workflow.now())
            return decide_eta(state, command.actor, command.eta, today)
        if isinstance(command, LinkCard):
            decide_link(state, command.actor, command.key)
            card = Card(
                command.key.upper(),
                command.url,
                command.status,
                CardProgress(command.progress),
                workflow.now(),
            )
            return card_linked_changes(state, card, created=False)
        if isinstance(command, CreateCard):
            decide_link(state, command.actor, "")
            return [
                Change(
                    "card_creation_requested", {"project": command.project, "issue_type": command.issue_type}
                )
            ]
        if isinstance(command, UnlinkCard):
            return decide_unlink(state, command.actor, command.key)
        return decide_verification(state, command.actor, command.fixed, command.comment)

    def _validate(self, command: EscalationCommand) -> None:
        if command.request_id is not None and command.request_id in self._seen:
            return
        try:
            self._decide(command)
        except (TransitionRejected, InvalidCommand) as exc:
            raise refusal(exc) from None

    async def _handle(self, command: EscalationCommand) -> EscalationState:
        if command.request_id is not None and command.request_id in self._seen:
            target = self._seen[command.request_id]
        else:
            try:
                changes = self._decide(command)
            except (TransitionRejected, InvalidCommand) as exc:
                raise refusal(exc) from None
            target = self._record(changes, command.actor)
            if command.request_id is not None:
                self._seen[command.request_id] = target
            self._after_command(command)
        await workflow.wait_condition(lambda: self._projected_version >= target)
        return self._state

    def _after_command(self, command: EscalationCommand) -> None:
        if isinstance(command, CreateCard):
            self._side_tasks.append(asyncio.create_task(self._create_card(command)))
        if isinstance(command, Verify) and not command.fixed and self._state.cards:
            text = "The customer reports the fix does not work" + (
                f": {command.comment}" if command.comment else "."
            )
            self._side_tasks.append(asyncio.create_task(self._comment_cards(text)))

    def _record(self, changes: list[Change], actor: Actor) -> int:
        now = workflow.now()
        for change in changes:
            seq = self._state.version + 1
            evolve_escalation(self._state, seq, now, change)
            self._unprojected.append(
                EscalationEvent(seq, change.type, now, actor.user_id, str(actor.role), change.data)
            )
        self._wake = True
        return self._state.version

    def _apply_card_news(self, news: CardChanged) -> None:
        try:
            progress = CardProgress(news.progress)
        except ValueError:
            workflow.logger.warning("unknown card progress %r for %s", news.progress, news.key)
            return
        changes = decide_card_progress(self._state, news.key, news.status, progress, news.at, news.source)
        if changes:
            self._record(changes, Actor(user_id=f"jira:{news.source}", role="engineer"))  # type: ignore[arg-type]

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
                start_to_close_timeout=timedelta(seconds=30),
                schedule_to_close_timeout=timedelta(days=1),
                retry_policy=JIRA_RETRY,
                summary=f"create dev card for {state.id}",
            )
        except ActivityError as exc:
            cause = exc.cause
            reason = str(cause) if cause else str(exc)
            self._record(
                [Change("card_sync_failed", {"operation": "create", "reason": reason})], Actor.system()
            )
            return
        changes = [Change("card_creation_done", {"key": card.key})]
        if self._state.card(card.key) is None:
            linked = Card(card.key, card.url, card.status, CardProgress(card.progress), workflow.now())
            changes += card_linked_changes(self._state, linked, created=True)
        self._record(changes, Actor.system())

    async def _comment_cards(self, text: str) -> None:
        keys = [c.key for c in self._state.cards]
        try:
            await workflow.execute_activity_method(
                JiraActivities.comment_cards,
                CommentRequest(keys, text),
                start_to_close_timeout=timedelta(seconds=30),
                schedule_to_close_timeout=timedelta(days=1),
                retry_policy=JIRA_RETRY,
                summary="comment on dev cards",
            )
        except ActivityError as exc:
            reason = str(exc.cause or exc)
            self._record(
                [Change("card_sync_failed", {"operation": "comment", "reason": reason})], Actor.system()
            )

    async def _reconcile(self) -> None:
        keys = [c.key for c in self._state.cards]
        try:
            cards: list[CardInfo] = await workflow.execute_activity_method(
                JiraActivities.read_cards,
                keys,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3, non_retryable_error_types=["JiraNotConfigured"]),
                summary="reconcile dev cards",
            )
        except ActivityError:
            return  # the next round tries again; webhooks may arrive meanwhile
        for card in cards:
            self._apply_card_news(
                CardChanged(card.key, card.status, card.progress, workflow.now(), "reconcile")
            )

    # ---- projection, ticket, notifications -----------------------------------------------------------

    async def _project(self) -> None:
        batch, self._unprojected = self._unprojected, []
        snapshot = copy.deepcopy(self._state)
        try:
            await workflow.execute_local_activity_method(
                EscalationProjectionActivities.project_escalation,
                EscalationProjection(snapshot, batch),
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=PROJECTION_RETRY,
                summary=f"project {snapshot.id} to v{snapshot.version}",
            )
        except BaseException:
            self._unprojected = batch + self._unprojected
            raise
        self._projected_version = snapshot.version
        self._publish()
        await self._tell_ticket()
        self._notify(batch)

    def _publish(self) -> None:
        state = self._state
        if self._settings.publish_search_attributes:
            workflow.upsert_search_attributes(
                [
                    sa.ESCALATION_STAGE.value_set(state.stage.value),
                    sa.DEV_CARDS.value_set([c.key for c in state.cards]),
                ]
            )
        cards = ", ".join(f"{c.key} ({c.progress})" for c in state.cards) or "no dev cards"
        eta = state.eta or "—"
        workflow.set_current_details(
            f"**{state.id}** for ticket #{state.ticket_id} · **{state.stage}** · ETA {eta} · {cards}"
        )

    async def _tell_ticket(self) -> None:
        view = view_of(self._state)
        if view == self._told_ticket:
            return
        handle = workflow.get_external_workflow_handle(ticket_workflow_id(self._state.ticket_id))
        try:
            await handle.signal("escalation_changed", view)
            self._told_ticket = view
        except Exception as exc:  # the ticket was closed meanwhile: nothing left to tell
            workflow.logger.info(
                "ticket %s not told about %s: %s", self._state.ticket_id, self._state.id, exc
            )
            self._told_ticket = view

    def _notify(self, events: list[EscalationEvent]) -> None:
        for event in events:
            if event.type not in NOTIFIED:
                continue
            request = NotificationRequest(
                self._state.ticket_id, event.seq, event.type, dict(event.data), source=self._state.id
            )
            self._side_tasks.append(
                workflow.start_activity_method(
                    NotificationActivities.record_notification,
                    request,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
                    summary=f"notify {event.type.replace('_', ' ')}",
                )
            )

    # ---- clocks --------------------------------------------------------------------------------------

    def _deadlines(self) -> list[Due]:
        state, settings, found = self._state, self._settings, []
        if state.stage is Stage.VERIFYING and state.verification_requested_at is not None:
            asked = state.verification_requested_at
            if not state.verification_reminded:
                days = settings.verification_reminder_business_days
                found.append(
                    Due("remind", business_days_later(self._calendar, asked, days), "verification reminder")
                )
            timeout = asked + timedelta(days=settings.verification_timeout_days)
            found.append(
                Due("auto_confirm", timeout, f"auto-confirm after {settings.verification_timeout_days} days")
            )
        if state.eta is not None and not state.eta_passed:
            end_of_eta = end_of_local_day(self._calendar, date.fromisoformat(state.eta))
            found.append(Due("eta_passed", end_of_eta, "estimated resolution date passed"))
        if state.cards:
            if self._next_reconcile is None:
                self._next_reconcile = workflow.now() + timedelta(seconds=settings.reconcile_seconds)
            found.append(Due("reconcile", self._next_reconcile, "reconcile dev cards"))
        return found

    async def _sleep_until_next(self) -> None:
        deadlines = self._deadlines()
        self._wake = False
        if not deadlines:
            await workflow.wait_condition(lambda: self._wake)
            return
        nearest = min(deadlines, key=lambda d: d.due)
        remaining = (nearest.due - workflow.now()).total_seconds()
        if remaining > 0:
            try:
                await workflow.wait_condition(
                    lambda: self._wake, timeout=remaining, timeout_summary=nearest.summary
                )
                return
            except TimeoutError:
                pass
        await self._fire(nearest)

    async def _fire(self, due: Due) -> None:
        system = Actor.system()
        if due.action == "remind":
            self._record(
                [Change("verification_reminder", {"asked_at": str(self._state.verification_requested_at)})],
                system,
            )
        elif due.action == "auto_confirm":
            self._record(decide_auto_confirm(self._state), system)
        elif due.action == "eta_passed":
            self._record([Change("eta_passed", {"eta": self._state.eta})], system)
        elif due.action == "reconcile":
            self._next_reconcile = workflow.now() + timedelta(seconds=self._settings.reconcile_seconds)
            await self._reconcile()

    async def _settle(self) -> None:
        """Finish side tasks, project everything, let handlers finish; no await left afterwards."""
        while True:
            if self._side_tasks:
                tasks, self._side_tasks = self._side_tasks, []
                for task in tasks:
                    await task
                continue
            if self._unprojected:
                await self._project()
                continue
            if workflow.all_handlers_finished():
                return
            await workflow.wait_condition(
                lambda: workflow.all_handlers_finished() or bool(self._unprojected) or bool(self._side_tasks)
            )

    async def _finish(self) -> EscalationState:
        await self._settle()
        return self._state

    async def _continue_as_new(self) -> None:
        await self._settle()
        workflow.continue_as_new(
            EscalationInput(
                settings=self._settings,
                state=self._state,
                projected_version=self._projected_version,
                seen_requests=self._seen,
            )
        )
