"""TicketWorkflow: one durable entity per ticket that owns its state, timeline and clocks.

Writes arrive as Updates whose validators refuse impossible transitions before they enter
history. Handlers apply the change at once and then wait until the main loop has projected it to
Postgres, so the API can answer with a state that a GET will also see. The main loop is the only
writer to the read model and the only place timers live: it sleeps until the next lifecycle
deadline or until a handler wakes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from activities.notifications import NOTIFIED_EVENTS, NotificationActivities, NotificationRequest
    from activities.projection import ProjectionActivities
    from domain.actors import Actor, Role
    from domain.errors import InvalidCommand, TransitionRejected
    from domain.escalation.state import NewEscalation, Target
    from domain.sla import (
        SlaDeadline,
        SlaPolicy,
        next_breach_due,
        next_sla_deadline,
        overdue_sla_deadlines,
        retarget,
    )
    from domain.ticket.commands import (
        AbsorbMerge,
        AcceptConference,
        Assign,
        Close,
        ConvertChat,
        Escalate,
        Feedback,
        MergeInto,
        Reclassify,
        Reopen,
        Reply,
        Resolve,
        TicketCommand,
        Transfer,
    )
    from domain.ticket.lifecycle import (
        LifecycleDeadline,
        next_conference_reminder,
        next_lifecycle_deadline,
        next_pending_reminder,
    )
    from domain.ticket.notifications import deserves_notification
    from domain.ticket.read_model_rows import projection_rows
    from domain.ticket.state import EscalationView, TicketState, TicketStatus
    from domain.ticket.transitions import (
        Change,
        decide,
        decide_conference_reminder,
        decide_escalation_update,
        decide_lifecycle,
        decide_pending_reminder,
        decide_sla,
        evolve,
        number,
    )
    from workflows import search_attributes as sa
    from workflows.escalation_input import EscalationInput, EscalationSettings, escalation_workflow_id
    from workflows.refusals import refusal
    from workflows.ticket_input import TicketWorkflowInput

PROJECTION_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
)
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)
MAX_REMEMBERED_REQUESTS = 500
Deadline = LifecycleDeadline | SlaDeadline


@workflow.defn
class TicketWorkflow:
    @workflow.init
    def __init__(self, input: TicketWorkflowInput) -> None:
        self._lifecycle = input.lifecycle
        self._seen = dict(input.seen_requests)
        self._projected_version = input.projected_version
        self._publish = input.publish_search_attributes
        self._escalation_defaults = input.escalation
        self._published: dict[str, object] = {}
        self._wake = False
        self._notifying: list[workflow.ActivityHandle[Any]] = []
        if input.state is not None:
            self._state = input.state
            self._unprojected = list(input.unprojected)
        else:
            assert input.new is not None, "a first run needs the new ticket"
            self._state = TicketState.opened(input.new, workflow.now())
            self._unprojected = []
            requester = Actor(user_id=input.new.requester_id, role=Role.CUSTOMER)
            created: dict[str, object] = {"subject": input.new.subject, "description": input.new.description}
            if input.new.attachments:
                created["attachments"] = list(input.new.attachments)
            if input.new.transcript:
                created["transcript"] = [dict(m) for m in input.new.transcript]
            self._record([Change("ticket_created", created)], requester)

    @workflow.run
    async def run(self, input: TicketWorkflowInput) -> TicketState:
        while True:
            if self._unprojected:
                await self._project()
                continue
            if self._state.status is TicketStatus.CLOSED:
                return await self._finish()
            if workflow.info().is_continue_as_new_suggested():
                await self._continue_as_new()
            await self._sleep_until_next_deadline()

    # ---- queries -------------------------------------------------------------------------------------

    @workflow.query
    def state(self) -> TicketState:
        return self._state

    # ---- signals -------------------------------------------------------------------------------------

    @workflow.signal
    def escalation_changed(self, view: EscalationView) -> None:
        """From the escalation workflow: show its progress; resolve or reopen the ticket at its end."""
        self._record_overdue_sla()
        changes = decide_escalation_update(self._state, view)
        if changes:
            self._record(changes, Actor.system())

    @workflow.signal
    def policy_changed(self, policy: SlaPolicy) -> None:
        """A new version of the ticket's SLA policy: keep business time used, re-target the rest."""
        sla = self._state.sla
        if sla is None or policy.name != sla.policy.name or policy.version <= sla.policy.version:
            return
        state = self._state
        try:
            self._state.sla = retarget(
                sla, policy, workflow.now(), state.severity, state.product, state.module, state.kind.value
            )
        except ValueError as exc:
            workflow.logger.warning("policy change ignored: %s", exc)
            return
        change = Change("sla_policy_changed", {"policy": policy.name, "version": policy.version})
        self._record([change], Actor.system())

    # ---- updates -------------------------------------------------------------------------------------

    @workflow.update
    async def opened(self) -> TicketState:
        """Returns once the ticket's first projection is written (used by create)."""
        await workflow.wait_condition(lambda: self._projected_version >= 1)
        return self._state

    @workflow.update
    async def reply(self, command: Reply) -> TicketState:
        return await self._handle(command)

    @reply.validator
    def _validate_reply(self, command: Reply) -> None:
        self._validate(command)

    @workflow.update
    async def resolve(self, command: Resolve) -> TicketState:
        return await self._handle(command)

    @resolve.validator
    def _validate_resolve(self, command: Resolve) -> None:
        self._validate(command)

    @workflow.update
    async def reopen(self, command: Reopen) -> TicketState:
        return await self._handle(command)

    @reopen.validator
    def _validate_reopen(self, command: Reopen) -> None:
        self._validate(command)

    @workflow.update
    async def close(self, command: Close) -> TicketState:
        return await self._handle(command)

    @close.validator
    def _validate_close(self, command: Close) -> None:
        self._validate(command)

    @workflow.update
    async def assign(self, command: Assign) -> TicketState:
        return await self._handle(command)

    @assign.validator
    def _validate_assign(self, command: Assign) -> None:
        self._validate(command)

    @workflow.update
    async def reclassify(self, command: Reclassify) -> TicketState:
        return await self._handle(command)

    @reclassify.validator
    def _validate_reclassify(self, command: Reclassify) -> None:
        self._validate(command)

    @workflow.update
    async def transfer(self, command: Transfer) -> TicketState:
        return await self._handle(command)

    @transfer.validator
    def _validate_transfer(self, command: Transfer) -> None:
        self._validate(command)

    @workflow.update
    async def feedback(self, command: Feedback) -> TicketState:
        return await self._handle(command)

    @feedback.validator
    def _validate_feedback(self, command: Feedback) -> None:
        self._validate(command)

    @workflow.update
    async def merge_into(self, command: MergeInto) -> TicketState:
        return await self._handle(command)

    @merge_into.validator
    def _validate_merge_into(self, command: MergeInto) -> None:
        self._validate(command)

    @workflow.update
    async def absorb_merge(self, command: AbsorbMerge) -> TicketState:
        return await self._handle(command)

    @absorb_merge.validator
    def _validate_absorb_merge(self, command: AbsorbMerge) -> None:
        self._validate(command)

    @workflow.update
    async def convert_chat(self, command: ConvertChat) -> TicketState:
        return await self._handle(command)

    @convert_chat.validator
    def _validate_convert_chat(self, command: ConvertChat) -> None:
        self._validate(command)

    @workflow.update
    async def accept_conference(self, command: AcceptConference) -> TicketState:
        return await self._handle(command)

    @accept_conference.validator
    def _validate_accept_conference(self, command: AcceptConference) -> None:
        self._validate(command)

    @workflow.update
    async def escalate(self, command: Escalate) -> TicketState:
        """Move the ticket to `escalated` and start the escalation's own workflow, in one step."""
        fresh = command.request_id is None or command.request_id not in self._seen
        state = await self._handle(command, before_wait=self._start_escalation if fresh else None)
        return state

    @escalate.validator
    def _validate_escalate(self, command: Escalate) -> None:
        self._validate(command)

    async def _start_escalation(self, command: TicketCommand) -> None:
        assert isinstance(command, Escalate)
        state = self._state
        new = NewEscalation(
            id=command.escalation_id,
            ticket_id=state.id,
            org_id=state.org_id,
            requester_id=state.requester_id,
            target=Target(command.target),
            summary=command.summary,
            description=command.description or state.description,
            requested_by=command.actor.user_id,
        )
        settings = EscalationSettings(
            calendar=state.sla.policy.calendar if state.sla else None,
            public_base_url=self._escalation_defaults.public_base_url,
            verification_reminder_business_days=self._escalation_defaults.verification_reminder_business_days,
            verification_timeout_days=self._escalation_defaults.verification_timeout_days,
            reconcile_seconds=self._escalation_defaults.reconcile_seconds,
            publish_search_attributes=self._publish,
        )
        await workflow.start_child_workflow(
            "EscalationWorkflow",
            EscalationInput(new=new, settings=settings),
            id=escalation_workflow_id(command.escalation_id),
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            static_summary=f"{command.escalation_id} for #{state.id}: {command.summary}"[:200],
        )

    # ---- internals -----------------------------------------------------------------------------------

    def _validate(self, command: TicketCommand) -> None:
        if command.request_id is not None and command.request_id in self._seen:
            return
        try:
            decide(self._state, command)
        except (TransitionRejected, InvalidCommand) as exc:
            raise refusal(exc) from None

    async def _handle(
        self, command: TicketCommand, before_wait: Callable[[TicketCommand], Awaitable[None]] | None = None
    ) -> TicketState:
        if command.request_id is not None and command.request_id in self._seen:
            target = self._seen[command.request_id]
        else:
            self._record_overdue_sla()
            try:
                changes = decide(self._state, command)
            except (TransitionRejected, InvalidCommand) as exc:
                raise refusal(exc) from None
            target = self._record(changes, command.actor)
            self._remember(command.request_id, target)
            if before_wait is not None:
                await before_wait(command)
        await workflow.wait_condition(lambda: self._projected_version >= target)
        return self._state

    def _record(self, changes: list[Change], actor: Actor) -> int:
        """Number and apply the changes; the main loop projects them."""
        events = number(changes, self._state, workflow.now(), actor)
        for event in events:
            evolve(self._state, event)
        self._unprojected.extend(events)
        self._wake = True
        return self._state.version

    def _record_overdue_sla(self) -> None:
        """Record warnings and breaches already due before a command can stop or pause their clock.

        The timer of a deadline and a command can arrive in one workflow task; the command runs
        first, so without this a reply landing just after the breach would erase the breach.
        """
        sla = self._state.sla
        if sla is None or not workflow.patched("sla-overdue-before-commands"):
            return
        for deadline in overdue_sla_deadlines(sla, workflow.now()):
            changes = decide_sla(self._state, deadline)
            if changes:
                self._record(changes, Actor.system())

    def _remember(self, request_id: str | None, version: int) -> None:
        if request_id is None:
            return
        self._seen[request_id] = version
        while len(self._seen) > MAX_REMEMBERED_REQUESTS:
            del self._seen[next(iter(self._seen))]

    async def _project(self) -> None:
        batch, self._unprojected = self._unprojected, []
        notify_in_projection = workflow.patched("notify-in-projection")
        rows = projection_rows(self._state, batch, notify=notify_in_projection)  # a copy, as JSON
        try:
            await workflow.execute_local_activity_method(
                ProjectionActivities.project_ticket,
                rows,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=PROJECTION_RETRY,
                summary=f"project ticket #{self._state.id} to v{rows.version}",
            )
        except BaseException:
            self._unprojected = batch + self._unprojected
            raise
        self._projected_version = rows.version
        self._publish_state()
        if not notify_in_projection:
            self._notify(batch)

    def _notify(self, events: list[Any]) -> None:
        """Runs started before "notify-in-projection" record notifications by a regular activity each."""
        self._notifying = [task for task in self._notifying if not task.done()]
        by_mail = workflow.patched("notify-by-mail")
        for event in events:
            wanted = deserves_notification(event) if by_mail else event.type in NOTIFIED_EVENTS
            if not wanted:
                continue
            data = {**event.data, "actor_id": event.actor_id} if by_mail else dict(event.data)
            request = NotificationRequest(self._state.id, event.seq, event.type, data)
            self._notifying.append(
                workflow.start_activity_method(
                    NotificationActivities.record_notification,
                    request,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=NOTIFY_RETRY,
                    summary=f"notify {event.type.replace('_', ' ')}",
                )
            )

    def _publish_state(self) -> None:
        """Keep the UI's search attributes and current details in step with the state."""
        state = self._state
        workflow.set_current_details(
            f"**#{state.id}** Sev{state.severity} · **{state.status}** · tier {state.tier} · "
            f"assignee {state.assignee_id or '—'}"
        )
        if not self._publish:
            return
        wanted: dict[str, object] = {
            sa.TICKET_STATUS.name: state.status.value,
            sa.TICKET_SEVERITY.name: state.severity,
            sa.TICKET_ASSIGNEE.name: state.assignee_id or "",
        }
        sla = state.sla
        if sla is not None:
            wanted[sa.SLA_BREACHED.name] = any(c.breached for c in sla.clocks)
            wanted[sa.SLA_NEXT_DEADLINE.name] = next_breach_due(sla)
        changed = {k: v for k, v in wanted.items() if self._published.get(k) != v}
        if not changed:
            return
        updates: list[SearchAttributeUpdate[Any]] = []
        if sa.SLA_BREACHED.name in changed:
            updates.append(sa.SLA_BREACHED.value_set(bool(changed[sa.SLA_BREACHED.name])))
        if sa.SLA_NEXT_DEADLINE.name in changed:
            due = changed[sa.SLA_NEXT_DEADLINE.name]
            updates.append(
                sa.SLA_NEXT_DEADLINE.value_set(due)
                if isinstance(due, datetime)
                else sa.SLA_NEXT_DEADLINE.value_unset()
            )
        if sa.TICKET_STATUS.name in changed:
            updates.append(sa.TICKET_STATUS.value_set(state.status.value))
        if sa.TICKET_SEVERITY.name in changed:
            updates.append(sa.TICKET_SEVERITY.value_set(state.severity))
        if sa.TICKET_ASSIGNEE.name in changed:
            updates.append(
                sa.TICKET_ASSIGNEE.value_set(state.assignee_id)
                if state.assignee_id
                else sa.TICKET_ASSIGNEE.value_unset()
            )
        workflow.upsert_search_attributes(updates)
        self._published.update(changed)

    def _next_deadline(self) -> Deadline | None:
        candidates: list[Deadline] = []
        reminders = workflow.patched("pending-reminder")
        for lifecycle in (
            next_lifecycle_deadline(self._state, self._lifecycle),
            next_conference_reminder(self._state, self._lifecycle),
            next_pending_reminder(self._state, self._lifecycle) if reminders else None,
        ):
            if lifecycle is not None:
                candidates.append(lifecycle)
        if self._state.sla is not None:
            sla = next_sla_deadline(self._state.sla)
            if sla is not None:
                candidates.append(sla)
        return min(candidates, key=lambda d: d.due) if candidates else None

    async def _sleep_until_next_deadline(self) -> None:
        deadline = self._next_deadline()
        self._wake = False
        if deadline is None:
            await workflow.wait_condition(lambda: self._wake)
            return
        remaining = (deadline.due - workflow.now()).total_seconds()
        if remaining > 0:
            try:
                await workflow.wait_condition(
                    lambda: self._wake, timeout=remaining, timeout_summary=deadline.summary
                )
                return
            except TimeoutError:
                pass
        self._fire(deadline)

    def _fire(self, deadline: Deadline) -> None:
        if isinstance(deadline, SlaDeadline):
            changes = decide_sla(self._state, deadline)
        elif deadline.action == "conference_reminder":
            changes = decide_conference_reminder(self._state)
        elif deadline.action == "pending_reminder":
            auto_resolve = next_lifecycle_deadline(self._state, self._lifecycle)
            changes = decide_pending_reminder(self._state, auto_resolve.due) if auto_resolve else []
        else:
            changes = decide_lifecycle(self._state, deadline.action)
        if changes:
            self._record(changes, Actor.system())

    async def _finish(self) -> TicketState:
        await self._settle()
        return self._state

    async def _settle(self) -> None:
        """Project everything and let every handler finish; returns with no await left before the end."""
        while True:
            if self._unprojected:
                await self._project()
                continue
            await self._drain_notifications()
            if self._unprojected:
                continue
            if workflow.all_handlers_finished():
                return
            await workflow.wait_condition(lambda: workflow.all_handlers_finished() or bool(self._unprojected))

    async def _drain_notifications(self) -> None:
        for task in self._notifying:
            await task
        self._notifying = []

    async def _continue_as_new(self) -> None:
        await self._settle()
        workflow.continue_as_new(
            TicketWorkflowInput(
                lifecycle=self._lifecycle,
                state=self._state,
                seen_requests=self._seen,
                projected_version=self._projected_version,
                publish_search_attributes=self._publish,
                escalation=self._escalation_defaults,
            )
        )
