"""PolicyRolloutWorkflow: one per SLA policy version, re-targets every open ticket on the policy.

It pages through the open tickets (read model, ascending id), signals each ticket's workflow
`policy_changed` (20 in flight at once) and keeps `applied / total / failed` in its state, which the
API reads with the `progress` query. It continues as new every few pages, so 100,000 tickets never
make one long history, and an API restart loses nothing: the rollout is not in the API at all.
A signal that fails (the ticket closed meanwhile, its workflow has completed) counts as failed.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.sla_rollout import (
        PARALLEL_SIGNALS,
        PolicyRolloutInput,
        RolloutPage,
        RolloutPageRequest,
        RolloutProgress,
    )
    from workflows.ticket_input import ticket_workflow_id

PAGE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@workflow.defn
class PolicyRolloutWorkflow:
    @workflow.init
    def __init__(self, input: PolicyRolloutInput) -> None:
        policy = input.policy
        self._progress = input.progress or RolloutProgress(policy.name, policy.version)

    @workflow.run
    async def run(self, input: PolicyRolloutInput) -> RolloutProgress:
        for _ in range(input.pages_per_run):
            page = await self._next_page(input)
            if not page.ticket_ids:
                self._progress.done = True
                return self._progress
            await self._signal_page(input, page.ticket_ids)
        workflow.continue_as_new(
            PolicyRolloutInput(input.policy, self._progress, input.page_size, input.pages_per_run)
        )

    @workflow.query
    def progress(self) -> RolloutProgress:
        return self._progress

    async def _next_page(self, input: PolicyRolloutInput) -> RolloutPage:
        first = self._progress.after_id == 0 and self._progress.total == 0
        request = RolloutPageRequest(input.policy.name, self._progress.after_id, input.page_size, first)
        page: RolloutPage = await workflow.execute_activity(
            "policy_rollout_page",
            request,
            result_type=RolloutPage,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=PAGE_RETRY,
            summary=f"tickets on {input.policy.name} after #{self._progress.after_id}",
        )
        if page.total is not None:
            self._progress.total = page.total
        return page

    async def _signal_page(self, input: PolicyRolloutInput, ticket_ids: list[int]) -> None:
        for start in range(0, len(ticket_ids), PARALLEL_SIGNALS):
            chunk = ticket_ids[start : start + PARALLEL_SIGNALS]
            results = await asyncio.gather(*(self._signal(input, t) for t in chunk))
            self._progress.applied += sum(results)
            self._progress.failed += len(results) - sum(results)
            self._progress.after_id = chunk[-1]
        # tickets opened on the policy after the first count still get the change: count them too
        self._progress.total = max(self._progress.total, self._progress.applied + self._progress.failed)

    async def _signal(self, input: PolicyRolloutInput, ticket_id: int) -> bool:
        handle = workflow.get_external_workflow_handle(ticket_workflow_id(ticket_id))
        try:
            await handle.signal("policy_changed", input.policy)
        except Exception as exc:  # the ticket's workflow has completed (closed meanwhile)
            workflow.logger.info("policy change not delivered to ticket %s: %s", ticket_id, exc)
            return False
        return True
