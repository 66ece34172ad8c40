"""Bench-only prototype: the ticket workflow with the projection off the update path.

Registered under the name `TicketWorkflow` by `bench/offpath_worker.py` on its own task queue, so that
the unchanged API (pointed at that queue) drives it exactly as it drives the real one. Production code
is not touched; docs/design/projection-off-update-path.md says what was measured and what adopting
would change.

Two changes against `workflows/entity.py` / `workflows/ticket.py`:

1. An update answers as soon as its events are recorded (state and version), without waiting for the
   projection; `opened` likewise answers at once.
2. The projection is a regular activity, not a local one. Returning at once is not enough on its own:
   the SDK holds a workflow task's completion (which carries the update's answer) until every local
   activity started in it has finished, so an update answered "at once" beside a local-activity
   projection still waits for Postgres (measured: 325 ms for both against a 300 ms local activity, 14 ms
   with a regular one). A regular activity is scheduled by the completion that records the events, so
   it also never writes an event that Temporal did not record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.actors import Actor
    from domain.projection_rows import ProjectionRows
    from domain.ticket.state import TicketState
    from workflows.ticket_input import TicketWorkflowInput

from workflows.entity import PROJECTION_RETRY, PROJECTION_TIMEOUT, Decision
from workflows.ticket import TicketWorkflow


@workflow.defn(name="TicketWorkflow")
class OffPathTicketWorkflow(TicketWorkflow):
    @workflow.init
    def __init__(self, input: TicketWorkflowInput) -> None:
        super().__init__(input)

    @workflow.run
    async def run(self, input: TicketWorkflowInput) -> TicketState:
        return await self._live()

    @workflow.update
    async def opened(self) -> TicketState:  # type: ignore[override]
        """Answers at once: the ticket's first events are recorded by the start itself."""
        return self._state

    async def _apply(
        self,
        decide: Decision,
        actor: Actor,
        request_id: str | None = None,
        after_record: Callable[[], Awaitable[None]] | None = None,
        before_record: Callable[[], Awaitable[None]] | None = None,
    ) -> TicketState:
        """As the skeleton's, without `wait_condition(projected >= target)`: the answer carries the
        state and its version; a reader that needs the write asks for that version (GET ≥ version)."""
        target = self._requests.version_of(request_id)
        if target is None:
            await self._before_decide()
            changes = self._decided(decide)
            if before_record is not None:
                await before_record()
                changes = self._decided(decide)
            target = self._record(changes, actor)
            self._requests.remember(request_id, target)
            if after_record is not None:
                await after_record()
        return self._state

    async def _write_projection(self, rows: ProjectionRows) -> None:
        """The skeleton's projection as a regular activity (same rows, timeout and retry policy)."""
        await workflow.execute_activity(
            self.projection_activity,
            rows,
            result_type=int,
            start_to_close_timeout=PROJECTION_TIMEOUT,
            retry_policy=PROJECTION_RETRY,
            summary=self._projection_summary(rows),
        )
