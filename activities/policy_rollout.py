"""The rollout's one activity: a page of open tickets on a policy, read from the read model.

Why the read model and not a search attribute: tickets publish no policy search attribute, and the
read model's `sla_policy` column is what the old in-request rollout selected on.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from domain.sla_rollout import RolloutPage, RolloutPageRequest
from store.policy_rollout import rollout_page


class PolicyRolloutActivities:
    """Holds the engine so that activities share one connection pool per worker."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="policy_rollout_page")
    async def page(self, request: RolloutPageRequest) -> RolloutPage:
        async with self._engine.connect() as conn:
            return await rollout_page(conn, request)
