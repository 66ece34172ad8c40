"""SupportAccessWorkflow: one per user (`support-access-<user_id>`) while they grant staff access.

Its life is the shared skeleton's (workflows/entity.py). What is its own: the grant and revoke
updates, the grant's durable expiry (the one deadline: a replacement re-plans it, the timer records
`expired` when it wins), and its audit trail, which continues across runs: once the grant has ended
the run completes, and the next grant starts a new run (update-with-start) that first reads where
the trail stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.support_access_projection import SupportAccessActivities
    from domain.actors import Actor
    from domain.events import Change, Event
    from domain.projection_rows import ProjectionRows
    from domain.support_access.grant import (
        GrantDeadline,
        GrantRequest,
        SupportAccessState,
        decide_expiry,
        decide_grant,
        decide_revoke,
        evolve,
        grant_deadline,
    )
    from domain.support_access.read_model_rows import grant_rows

from workflows.entity import PROJECTION_RETRY, PROJECTION_TIMEOUT, EntityWorkflow

CONTINUE_AS_NEW = "support-access-continue-as-new"


@dataclass
class SupportAccessInput:
    """Whose grant this is; the first grant itself arrives as the update that starts the run.

    A continued run (continue-as-new of a long-lived grant) also carries its state.
    """

    user_id: str
    org_id: str
    state: SupportAccessState | None = None
    seen_requests: dict[str, int] = field(default_factory=dict)
    projected_version: int = 0


def support_access_workflow_id(user_id: str) -> str:
    return f"support-access-{user_id}"


@workflow.defn
class SupportAccessWorkflow(EntityWorkflow[SupportAccessState, GrantRequest, GrantDeadline]):
    projection_activity = "project_support_access"
    anonymous_system = True

    @workflow.init
    def __init__(self, input: SupportAccessInput) -> None:
        state = input.state or SupportAccessState(user_id=input.user_id, org_id=input.org_id)
        self._begin(state, input.seen_requests, input.projected_version)
        self._ready = input.state is not None

    @workflow.run
    async def run(self, input: SupportAccessInput) -> SupportAccessState:
        if not self._ready:
            await self._continue_trail()
        return await self._live()

    @workflow.query
    def state(self) -> SupportAccessState:
        return self._state

    # ---- updates -------------------------------------------------------------------------------------

    @workflow.update
    async def grant(self, request: GrantRequest) -> SupportAccessState:
        """Grant (or replace the active grant) for `hours` from now; returns once projected."""
        return await self._apply(
            lambda: decide_grant(self._state, request, workflow.now()), request.actor, request.request_id
        )

    @grant.validator
    def _validate_grant(self, request: GrantRequest) -> None:
        self._check(lambda: decide_grant(self._state, request, workflow.now()), request.request_id)

    @workflow.update
    async def revoke(self, actor: Actor) -> SupportAccessState:
        """End the active grant now; returns once projected, so tokens are refused from then on."""
        return await self._apply(lambda: decide_revoke(self._state, actor, workflow.now()), actor)

    @revoke.validator
    def _validate_revoke(self, actor: Actor) -> None:
        self._check(lambda: decide_revoke(self._state, actor, workflow.now()))

    # ---- the grant's rules ---------------------------------------------------------------------------

    def _evolve(self, event: Event) -> None:
        evolve(self._state, event)

    def _ended(self) -> bool:
        """Ended (or never granted, if the starting update was refused): the run may complete."""
        return not self._state.active

    async def _before_decide(self) -> None:
        await workflow.wait_condition(lambda: self._ready)

    async def _continue_trail(self) -> None:
        """Start numbering after the last event of earlier runs, before any handler records."""
        last = await workflow.execute_local_activity_method(
            SupportAccessActivities.support_access_version,
            self._state.user_id,
            start_to_close_timeout=PROJECTION_TIMEOUT,
            retry_policy=PROJECTION_RETRY,
            summary="read the audit trail's last seq",
        )
        self._state.version = self._projected_version = last
        self._ready = True

    def _next_deadline(self) -> GrantDeadline | None:
        return grant_deadline(self._state)

    async def _on_deadline(self, deadline: GrantDeadline) -> None:
        changes: list[Change] = decide_expiry(self._state, workflow.now())
        if changes:
            self._record(changes, Actor.system())

    # ---- projection and continue-as-new --------------------------------------------------------------

    def _rows(self, batch: list[Event]) -> ProjectionRows:
        return grant_rows(self._state, batch)

    def _projection_summary(self, rows: ProjectionRows) -> str:
        return f"project support access v{rows.version} ({rows.row['status']})"

    async def _projected(self, batch: list[Event]) -> None:
        workflow.set_current_details(
            f"support access **{self._state.status}** until {self._state.expires_at}"
        )

    def _may_continue_as_new(self) -> bool:
        """Runs before this patch never continued as new (a grant's run is short unless replaced often)."""
        return self._patches.has(CONTINUE_AS_NEW)

    def _continued(self) -> SupportAccessInput:
        return SupportAccessInput(
            user_id=self._state.user_id,
            org_id=self._state.org_id,
            state=self._state,
            seen_requests=self._requests.carried(),
            projected_version=self._projected_version,
        )
