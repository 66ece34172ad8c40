"""SupportAccessWorkflow: one per user (`support-access-<user_id>`) while they grant staff access.

The user's grant lives here with its durable expiry timer: the main loop sleeps until the grant
expires or a handler changes it (a replacement re-plans the timer), records `expired` when the
timer wins, and is the only writer to the read model. Handlers apply their change at once and
return after it is projected, so that the API answers with what a GET (and token checks) will see.
Once the grant has ended the run completes; the next grant starts a new run (update-with-start),
whose audit trail continues where the last one stopped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.support_access_projection import SupportAccessActivities, SupportAccessProjection
    from domain.actors import Actor
    from domain.errors import InvalidCommand, TransitionRejected
    from domain.support_access.grant import (
        Change,
        GrantEvent,
        GrantRequest,
        SupportAccessState,
        decide_expiry,
        decide_grant,
        decide_revoke,
        evolve,
        number,
    )
    from workflows.refusals import refusal

PROJECTION_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
)
LOCAL_TIMEOUT = timedelta(seconds=10)
Decision = Callable[[], list[Change]]


@dataclass
class SupportAccessInput:
    """Whose grant this is; the first grant itself arrives as the update that starts the run."""

    user_id: str
    org_id: str


def support_access_workflow_id(user_id: str) -> str:
    return f"support-access-{user_id}"


@workflow.defn
class SupportAccessWorkflow:
    @workflow.init
    def __init__(self, input: SupportAccessInput) -> None:
        self._state = SupportAccessState(user_id=input.user_id, org_id=input.org_id)
        self._unprojected: list[GrantEvent] = []
        self._projected_version = 0
        self._ready = False
        self._wake = False

    @workflow.run
    async def run(self, input: SupportAccessInput) -> SupportAccessState:
        await self._continue_trail()
        while True:
            if self._unprojected:
                await self._project()
                continue
            if self._state.active:
                await self._sleep_until_expiry()
                continue
            # Ended (or never granted, if the starting update was refused): finish once no handler
            # is in flight, unless one of them grants again meanwhile.
            await workflow.wait_condition(lambda: bool(self._unprojected) or workflow.all_handlers_finished())
            if not self._unprojected and not self._state.active:
                return self._state

    # ---- queries -------------------------------------------------------------------------------------

    @workflow.query
    def state(self) -> SupportAccessState:
        return self._state

    # ---- updates -------------------------------------------------------------------------------------

    @workflow.update
    async def grant(self, request: GrantRequest) -> SupportAccessState:
        """Grant (or replace the active grant) for `hours` from now; returns once projected."""
        return await self._handle(lambda: decide_grant(self._state, request, workflow.now()), request.actor)

    @grant.validator
    def _validate_grant(self, request: GrantRequest) -> None:
        self._validate(lambda: decide_grant(self._state, request, workflow.now()))

    @workflow.update
    async def revoke(self, actor: Actor) -> SupportAccessState:
        """End the active grant now; returns once projected, so tokens are refused from then on."""
        return await self._handle(lambda: decide_revoke(self._state, actor, workflow.now()), actor)

    @revoke.validator
    def _validate_revoke(self, actor: Actor) -> None:
        self._validate(lambda: decide_revoke(self._state, actor, workflow.now()))

    # ---- internals -----------------------------------------------------------------------------------

    def _validate(self, decide: Decision) -> None:
        try:
            decide()
        except (TransitionRejected, InvalidCommand) as exc:
            raise refusal(exc) from None

    async def _handle(self, decide: Decision, actor: Actor) -> SupportAccessState:
        await workflow.wait_condition(lambda: self._ready)
        try:
            changes = decide()
        except (TransitionRejected, InvalidCommand) as exc:
            raise refusal(exc) from None
        target = self._record(changes, actor)
        await workflow.wait_condition(lambda: self._projected_version >= target)
        return self._state

    async def _continue_trail(self) -> None:
        """Start numbering after the last event of earlier runs, before any handler records."""
        last = await workflow.execute_local_activity_method(
            SupportAccessActivities.support_access_version,
            self._state.user_id,
            start_to_close_timeout=LOCAL_TIMEOUT,
            retry_policy=PROJECTION_RETRY,
            summary="read the audit trail's last seq",
        )
        self._state.version = self._projected_version = last
        self._ready = True

    def _record(self, changes: list[Change], actor: Actor) -> int:
        """Number and apply the changes; the main loop projects them."""
        for event in number(changes, self._state, workflow.now(), actor):
            evolve(self._state, event)
            self._unprojected.append(event)
        self._wake = True
        return self._state.version

    async def _project(self) -> None:
        batch, self._unprojected = self._unprojected, []
        snapshot = copy.deepcopy(self._state)
        try:
            await workflow.execute_local_activity_method(
                SupportAccessActivities.project_support_access,
                SupportAccessProjection(state=snapshot, events=batch),
                start_to_close_timeout=LOCAL_TIMEOUT,
                retry_policy=PROJECTION_RETRY,
                summary=f"project support access v{snapshot.version} ({snapshot.status})",
            )
        except BaseException:
            self._unprojected = batch + self._unprojected
            raise
        self._projected_version = snapshot.version
        workflow.set_current_details(f"support access **{snapshot.status}** until {snapshot.expires_at}")

    async def _sleep_until_expiry(self) -> None:
        """The durable timer: wait for the expiry or for a handler's change, whichever comes first."""
        expires_at = self._state.expires_at
        assert expires_at is not None
        self._wake = False
        remaining = (expires_at - workflow.now()).total_seconds()
        if remaining > 0:
            try:
                await workflow.wait_condition(
                    lambda: self._wake, timeout=remaining, timeout_summary=f"grant expires {expires_at}"
                )
                return
            except TimeoutError:
                pass
        changes = decide_expiry(self._state, workflow.now())
        if changes:
            self._record(changes, Actor.system())
