"""TicketWorkflow: one durable entity per ticket that owns its state, timeline and clocks.

Its life is the shared skeleton's (workflows/entity.py): updates decide and record, the main loop
projects to Postgres and sleeps until the next deadline. What is the ticket's own: its updates
(one line each over the shared handler), its deadlines (SLA warnings and breaches, auto-resolve,
auto-close, pending and conference reminders) and what each records, the escalation it starts, the
search attributes it publishes.
"""

from __future__ import annotations

import asyncio
import copy
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.notifications import NotificationRequest
    from domain.actors import Actor, Role
    from domain.errors import InvalidCommand
    from domain.escalation.state import NewEscalation, Target
    from domain.escalation.withdrawal import TicketClosed
    from domain.events import Change, Event, number
    from domain.notifications import Entity, is_notified_by_activity, notification_data, notified_before_mail
    from domain.projection_rows import ProjectionRows
    from domain.sla import (
        SlaDeadline,
        SlaPolicy,
        next_breach_due,
        next_sla_deadline,
        overdue_sla_deadlines,
        retarget,
    )
    from domain.ticket import commands as cmd
    from domain.ticket.closing import escalation_to_end
    from domain.ticket.lifecycle import (
        LifecycleDeadline,
        feedback_window_end,
        next_conference_reminder,
        next_feedback_deadline,
        next_lifecycle_deadline,
        next_pending_reminder,
    )
    from domain.ticket.macro_preview import MacroPreview, preview
    from domain.ticket.read_model_rows import projection_rows
    from domain.ticket.state import EscalationView, TicketState, TicketStatus
    from domain.ticket.transitions import (
        decide,
        decide_conference_reminder,
        decide_escalation_update,
        decide_lifecycle,
        decide_pending_reminder,
        decide_sla,
        evolve,
    )
    from workflows import search_attributes as sa
    from workflows.escalation_input import EscalationInput, EscalationSettings, escalation_workflow_id
    from workflows.refusals import refusal
    from workflows.ticket_input import TicketWorkflowInput

from workflows.entity import EntityWorkflow

Deadline = LifecycleDeadline | SlaDeadline
# A closed ticket's run stays for the feedback window instead of completing at the close. Runs that
# recorded a close before this patch completed right there, and replay the same way.
FEEDBACK_AFTER_CLOSE = "feedback-after-close"
SLA_OVERDUE_BEFORE_COMMANDS = "sla-overdue-before-commands"
PENDING_REMINDER = "pending-reminder"
NOTIFY_IN_PROJECTION = "notify-in-projection"
NOTIFY_BY_MAIL = "notify-by-mail"
GROUP_SEARCH_ATTRIBUTES = "ticket-group-search-attributes"
ENDS_ESCALATION = "ticket-close-ends-escalation"
POLICY_CHANGE_RECORDS_OVERDUE = "policy-change-records-overdue"
ESCALATE_STARTS_CHILD_FIRST = "escalate-starts-child-first"
SEED_PUBLISHED = "ticket-search-attributes-seeded-from-start"


@workflow.defn
class TicketWorkflow(EntityWorkflow[TicketState, cmd.TicketCommand, Deadline]):
    projection_activity = "project_ticket"

    @workflow.init
    def __init__(self, input: TicketWorkflowInput) -> None:
        self._lifecycle = input.lifecycle
        self._publish = input.publish_search_attributes
        self._escalation_defaults = input.escalation
        self._published: dict[str, object] = {}
        self._seeded = False  # _published seeded with what the start (or the run before) set
        self._late_feedback = False  # this run keeps a closed ticket's feedback window (patched)
        self._overdue_first: bool | None = None  # what SLA_OVERDUE_BEFORE_COMMANDS said, once asked
        self._escalating: str | None = None  # an escalation whose child workflow is being started
        self._early_news: EscalationView | None = None  # its news that arrived before its record
        if input.state is not None:
            self._begin(input.state, input.seen_requests, input.projected_version, input.unprojected)
            return
        assert input.new is not None, "a first run needs the new ticket"
        self._begin(
            TicketState.opened(input.new, workflow.now()), input.seen_requests, input.projected_version
        )
        requester = Actor(user_id=input.new.requester_id, role=Role.CUSTOMER)
        created: dict[str, object] = {"subject": input.new.subject, "description": input.new.description}
        if input.new.attachments:
            created["attachments"] = list(input.new.attachments)
        if input.new.transcript:
            created["transcript"] = [dict(m) for m in input.new.transcript]
        if input.new.group_id:
            created["group_id"] = input.new.group_id
        self._record([Change("ticket_created", created)], requester)

    @workflow.run
    async def run(self, input: TicketWorkflowInput) -> TicketState:
        return await self._live()

    @workflow.query
    def state(self) -> TicketState:
        return self._state

    # ---- signals -------------------------------------------------------------------------------------

    @workflow.signal
    def escalation_changed(self, view: EscalationView) -> None:
        """From the escalation workflow: show its progress; resolve or reopen the ticket at its end."""
        if self._escalating is not None and view.id == self._escalating:
            self._early_news = view  # its start is still being confirmed: shown once recorded
            return
        self._record_overdue_sla()
        closed = self._state.status is TicketStatus.CLOSED
        changes = decide_escalation_update(self._state, view, closed and self._patches.has(ENDS_ESCALATION))
        if changes:
            self._record(changes, Actor.system())

    @workflow.signal
    def policy_changed(self, policy: SlaPolicy) -> None:
        """A new version of the ticket's SLA policy: keep business time used, re-target the rest.

        A warning or breach already due is recorded first (as before a command): re-targeting must
        not erase a breach whose timer is in the same workflow task.
        """
        if self._patches.has(POLICY_CHANGE_RECORDS_OVERDUE):
            self._record_overdue_sla()
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

    # ---- updates: one line each over the shared handler ----------------------------------------------

    @workflow.update
    async def opened(self) -> TicketState:
        """Returns once the ticket's first projection is written (used by create)."""
        await workflow.wait_condition(lambda: self._projected_version >= 1)
        return self._state

    @workflow.update
    async def reply(self, command: cmd.Reply) -> TicketState:
        return await self._handle(command)

    @reply.validator
    def _validate_reply(self, command: cmd.Reply) -> None:
        self._validate(command)

    @workflow.update
    async def resolve(self, command: cmd.Resolve) -> TicketState:
        return await self._handle(command)

    @resolve.validator
    def _validate_resolve(self, command: cmd.Resolve) -> None:
        self._validate(command)

    @workflow.update
    async def reopen(self, command: cmd.Reopen) -> TicketState:
        return await self._handle(command)

    @reopen.validator
    def _validate_reopen(self, command: cmd.Reopen) -> None:
        self._validate(command)

    @workflow.update
    async def close(self, command: cmd.Close) -> TicketState:
        return await self._handle(command)

    @close.validator
    def _validate_close(self, command: cmd.Close) -> None:
        self._validate(command)

    @workflow.update
    async def assign(self, command: cmd.Assign) -> TicketState:
        return await self._handle(command)

    @assign.validator
    def _validate_assign(self, command: cmd.Assign) -> None:
        self._validate(command)

    @workflow.update
    async def reclassify(self, command: cmd.Reclassify) -> TicketState:
        return await self._handle(command)

    @reclassify.validator
    def _validate_reclassify(self, command: cmd.Reclassify) -> None:
        self._validate(command)

    @workflow.update
    async def transfer(self, command: cmd.Transfer) -> TicketState:
        return await self._handle(command)

    @transfer.validator
    def _validate_transfer(self, command: cmd.Transfer) -> None:
        self._validate(command)

    @workflow.update
    async def feedback(self, command: cmd.Feedback) -> TicketState:
        return await self._handle(command)

    @feedback.validator
    def _validate_feedback(self, command: cmd.Feedback) -> None:
        self._validate(command)

    @workflow.update
    async def merge_into(self, command: cmd.MergeInto) -> TicketState:
        return await self._handle(command)

    @merge_into.validator
    def _validate_merge_into(self, command: cmd.MergeInto) -> None:
        self._validate(command)

    @workflow.update
    async def absorb_merge(self, command: cmd.AbsorbMerge) -> TicketState:
        return await self._handle(command)

    @absorb_merge.validator
    def _validate_absorb_merge(self, command: cmd.AbsorbMerge) -> None:
        self._validate(command)

    @workflow.update
    async def convert_chat(self, command: cmd.ConvertChat) -> TicketState:
        return await self._handle(command)

    @convert_chat.validator
    def _validate_convert_chat(self, command: cmd.ConvertChat) -> None:
        self._validate(command)

    @workflow.update
    async def accept_conference(self, command: cmd.AcceptConference) -> TicketState:
        return await self._handle(command)

    @accept_conference.validator
    def _validate_accept_conference(self, command: cmd.AcceptConference) -> None:
        self._validate(command)

    @workflow.update
    async def tag(self, command: cmd.Tag) -> TicketState:
        return await self._handle(command)

    @tag.validator
    def _validate_tag(self, command: cmd.Tag) -> None:
        self._validate(command)

    @workflow.update
    async def apply_macro(self, command: cmd.ApplyMacro) -> TicketState:
        """Every step of the macro and its `macro_applied` entry, in this one update (or nothing)."""
        return await self._handle(command)

    @apply_macro.validator
    def _validate_apply_macro(self, command: cmd.ApplyMacro) -> None:
        self._validate(command)

    @workflow.query
    def preview_macro(self, command: cmd.ApplyMacro) -> MacroPreview:
        """What the macro would record now, or why it is refused; changes nothing (a query cannot)."""
        return preview(self._state, command)

    @workflow.update
    async def escalate(self, command: cmd.Escalate) -> TicketState:
        """Start the escalation's own workflow, then move the ticket to `escalated`.

        Runs before ESCALATE_STARTS_CHILD_FIRST recorded first and started after (`_after_record`):
        a failed start left the ticket escalated with no escalation.
        """
        if not self._patches.has(ESCALATE_STARTS_CHILD_FIRST):
            return await self._handle(command)
        return await self._apply(
            lambda: self._decide(self._state, command),
            command.actor,
            command.request_id,
            before_record=lambda: self._start_escalation_first(command),
        )

    @escalate.validator
    def _validate_escalate(self, command: cmd.Escalate) -> None:
        self._validate(command)

    # ---- the ticket's rules --------------------------------------------------------------------------

    def _decide(self, state: TicketState, command: cmd.TicketCommand) -> list[Change]:
        return decide(state, command, late_feedback=self._feedback_window_open())

    def _evolve(self, event: Event) -> None:
        evolve(self._state, event)

    def _ended(self) -> bool:
        """A closed ticket ends at once, or once its feedback window closes or the answer is in."""
        return self._state.status is TicketStatus.CLOSED and not self._keeps_feedback_window()

    def _keeps_feedback_window(self) -> bool:
        """Whether this run waits for a late answer; asks the patch only where behaviour diverges."""
        end = feedback_window_end(self._state, self._lifecycle)
        if end is None or workflow.now() >= end:
            return False
        self._late_feedback = self._patches.has(FEEDBACK_AFTER_CLOSE)
        return self._late_feedback

    def _feedback_window_open(self) -> bool:
        """For validators too (which may not ask a patch): what the main loop decided, still in time."""
        end = feedback_window_end(self._state, self._lifecycle)
        return self._late_feedback and end is not None and workflow.now() < end

    async def _before_decide(self) -> None:
        if self._escalating is not None:  # never true in runs before ESCALATE_STARTS_CHILD_FIRST
            await workflow.wait_condition(lambda: self._escalating is None)
        self._record_overdue_sla()

    def _record_overdue_sla(self) -> None:
        """Record warnings and breaches already due before a command can stop or pause their clock.

        The timer of a deadline and a command can arrive in one workflow task; the command runs
        first, so without this a reply landing just after the breach would erase the breach.
        """
        sla = self._state.sla
        if sla is None:
            return
        self._overdue_first = self._patches.has(SLA_OVERDUE_BEFORE_COMMANDS)
        if not self._overdue_first:
            return
        for deadline in overdue_sla_deadlines(sla, workflow.now()):
            changes = decide_sla(self._state, deadline)
            if changes:
                self._record(changes, Actor.system())

    def _foreseen(self) -> TicketState:
        """The state after `_record_overdue_sla`, on a copy (only when something is overdue).

        A validator may not ask a patch: a run that has not asked it yet will be told yes (the
        validator runs only on new work, never on replay), one that was told no keeps that answer.
        """
        sla = self._state.sla
        if sla is None or self._overdue_first is False:
            return self._state
        overdue = overdue_sla_deadlines(sla, workflow.now())
        if not overdue:
            return self._state
        state = copy.deepcopy(self._state)
        for deadline in overdue:
            changes = decide_sla(state, deadline)
            for event in number(changes, state, workflow.now(), Actor.system()):
                evolve(state, event)
        return state

    async def _after_record(self, command: cmd.TicketCommand) -> None:
        if isinstance(command, cmd.Escalate):
            await self._start_escalation(command)

    async def _start_escalation_first(self, command: cmd.Escalate) -> None:
        """Start the child (other commands wait meanwhile); a failed start refuses the escalate.

        If the ticket moved meanwhile (a deadline, a signal) so that it no longer takes this
        escalation, the started one is told to withdraw and the escalate is refused.
        """
        self._escalating = command.escalation_id
        try:
            await self._start_escalation(command)
        except Exception as exc:
            workflow.logger.warning("escalation %s did not start: %s", command.escalation_id, exc)
            reason = f"escalation {command.escalation_id} could not start: {exc}"
            raise refusal(InvalidCommand("escalation_id", reason)) from None
        finally:
            self._escalating = None
        try:
            self._decided(lambda: self._decide(self._state, command))
        except ApplicationError as exc:
            self._beside(asyncio.create_task(self._withdraw_escalation(command.escalation_id, exc.message)))
            raise
        self._early_news, early = None, self._early_news
        if early is not None:
            self._beside(asyncio.create_task(self._after_escalated(early)))

    async def _after_escalated(self, view: EscalationView) -> None:
        """News the new escalation sent before the ticket recorded it: shown right after (a task
        first runs once the handler that created it has recorded the escalate)."""
        self.escalation_changed(view)

    async def _withdraw_escalation(self, escalation_id: str, reason: str) -> None:
        handle = workflow.get_external_workflow_handle(escalation_workflow_id(escalation_id))
        await handle.signal("ticket_closed", TicketClosed(self._state.id, f"escalate refused: {reason}"))

    async def _start_escalation(self, command: cmd.Escalate) -> None:
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
        defaults = self._escalation_defaults
        settings = EscalationSettings(
            calendar=state.sla.policy.calendar if state.sla else None,
            public_base_url=defaults.public_base_url,
            verification_reminder_business_days=defaults.verification_reminder_business_days,
            verification_timeout_days=defaults.verification_timeout_days,
            reconcile_seconds=defaults.reconcile_seconds,
            publish_search_attributes=self._publish,
        )
        await workflow.start_child_workflow(
            "EscalationWorkflow",
            EscalationInput(new=new, settings=settings),
            id=escalation_workflow_id(command.escalation_id),
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            static_summary=f"{command.escalation_id} for #{state.id}: {command.summary}"[:200],
        )

    # ---- clocks --------------------------------------------------------------------------------------

    def _next_deadline(self) -> Deadline | None:
        candidates: list[Deadline] = []
        reminders = self._patches.has(PENDING_REMINDER)
        for lifecycle in (
            next_lifecycle_deadline(self._state, self._lifecycle),
            next_conference_reminder(self._state, self._lifecycle),
            next_pending_reminder(self._state, self._lifecycle) if reminders else None,
            next_feedback_deadline(self._state, self._lifecycle) if self._late_feedback else None,
        ):
            if lifecycle is not None:
                candidates.append(lifecycle)
        if self._state.sla is not None:
            sla = next_sla_deadline(self._state.sla)
            if sla is not None:
                candidates.append(sla)
        return min(candidates, key=lambda d: d.due) if candidates else None

    async def _on_deadline(self, deadline: Deadline) -> None:
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

    # ---- projection and what follows it --------------------------------------------------------------

    def _rows(self, batch: list[Event]) -> ProjectionRows:
        return projection_rows(self._state, batch, notify=self._patches.has(NOTIFY_IN_PROJECTION))

    def _projection_summary(self, rows: ProjectionRows) -> str:
        return f"project ticket #{self._state.id} to v{rows.version}"

    async def _projected(self, batch: list[Event]) -> None:
        self._publish_state()
        if not self._patches.has(NOTIFY_IN_PROJECTION):
            self._notify_legacy(batch)
        reason = escalation_to_end(self._state, batch)
        if reason is not None and self._patches.has(ENDS_ESCALATION):
            self._beside(asyncio.create_task(self._end_escalation(reason)))

    async def _end_escalation(self, reason: str) -> None:
        """Tell the escalation its ticket closed, then wait (settling) until it says how it ended.

        A failed signal means the escalation's workflow has completed: its last news (sent before
        it completed) is already in this history. A delivered one means it is running: it withdraws,
        or it has just ended and its last news is on the way; either way its terminal view arrives.
        No timer bounds the wait (the time-skipping test server also stalls on a cancelled one).
        """
        assert self._state.escalation is not None
        handle = workflow.get_external_workflow_handle(escalation_workflow_id(self._state.escalation.id))
        try:
            await handle.signal("ticket_closed", TicketClosed(self._state.id, reason))
        except Exception as exc:
            workflow.logger.info("escalation of ticket %s not told: %s", self._state.id, exc)
            return
        await workflow.wait_condition(lambda: not self._state.escalation_active)

    def _notify_legacy(self, events: list[Event]) -> None:
        """Runs started before "notify-in-projection" record notifications by a regular activity each."""
        by_mail = self._patches.has(NOTIFY_BY_MAIL)
        for event in events:
            wanted = is_notified_by_activity(Entity.TICKET, event) if by_mail else notified_before_mail(event)
            if wanted:
                data = notification_data(event) if by_mail else dict(event.data)
                self._notify_by_activity(NotificationRequest(self._state.id, event.seq, event.type, data))

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
        if self._patches.has(GROUP_SEARCH_ATTRIBUTES):
            wanted[sa.TICKET_GROUP.name] = state.group_id or ""
            wanted[sa.TICKET_TIER.name] = state.tier.value
        if not self._seeded:
            self._seeded = True
            if self._patches.has(SEED_PUBLISHED):
                self._published = published_at_start()
        changed = {k: v for k, v in wanted.items() if self._published.get(k) != v}
        if not changed:
            return
        workflow.upsert_search_attributes(self._search_attribute_updates(changed))
        self._published.update(changed)

    def _search_attribute_updates(self, changed: dict[str, object]) -> list[SearchAttributeUpdate[Any]]:
        state = self._state
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
        if sa.TICKET_GROUP.name in changed:
            updates.append(
                sa.TICKET_GROUP.value_set(state.group_id) if state.group_id else sa.TICKET_GROUP.value_unset()
            )
        if sa.TICKET_TIER.name in changed:
            updates.append(sa.TICKET_TIER.value_set(state.tier.value))
        return updates

    def _continued(self) -> TicketWorkflowInput:
        return TicketWorkflowInput(
            lifecycle=self._lifecycle,
            state=self._state,
            seen_requests=self._requests.carried(),
            projected_version=self._projected_version,
            publish_search_attributes=self._publish,
            escalation=self._escalation_defaults,
        )


def published_at_start() -> dict[str, object]:
    """The ticket's search attributes as this run found them (set at its start, or carried over by
    continue-as-new), in `_published`'s terms, where an unset keyword is "": so that the first
    projection upserts only what differs, not what the start has just set."""
    found = workflow.info().typed_search_attributes
    published: dict[str, object] = {}
    for key in (sa.TICKET_STATUS, sa.TICKET_SEVERITY, sa.SLA_BREACHED, sa.SLA_NEXT_DEADLINE, sa.TICKET_TIER):
        value = found.get(key)
        if value is not None:
            published[key.name] = value
    for key in (sa.TICKET_ASSIGNEE, sa.TICKET_GROUP):
        published[key.name] = found.get(key) or ""
    return published
