"""A durable SLA policy rollout: which version goes to which open tickets, and how far it got.

Why durable: a policy change re-targets every open ticket on the policy (up to 100,000 signals).
Done inside one HTTP request, an API restart lost the rest; a rollout workflow pages through the
tickets and records its progress, so it carries on across restarts and ops can watch it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.sla import SlaPolicy

PAGE_SIZE = 200  # ticket ids per read-model page (one activity)
PARALLEL_SIGNALS = 20  # signals in flight at once, as the old in-request loop did


@dataclass
class RolloutProgress:
    """What the rollout has done so far: `applied + failed == total` once `done`."""

    policy: str
    version: int
    total: int = 0
    applied: int = 0
    failed: int = 0
    after_id: int = 0  # the last ticket id signalled: the next page starts after it
    done: bool = False


@dataclass
class PolicyRolloutInput:
    policy: SlaPolicy
    progress: RolloutProgress | None = None
    page_size: int = PAGE_SIZE
    pages_per_run: int = 5  # then continue as new, so one run's history stays small


@dataclass
class RolloutPageRequest:
    policy: str
    after_id: int
    limit: int
    count_total: bool = False


@dataclass
class RolloutPage:
    """Open tickets on the policy with ids after `after_id`, ascending; `total` when asked for."""

    ticket_ids: list[int] = field(default_factory=list)
    total: int | None = None


def rollout_workflow_id(policy: str, version: int) -> str:
    """One rollout per policy version: starting it twice finds the one already running."""
    return f"sla-policy-rollout-{policy}-v{version}"
