"""Which behaviour changes a run has: every one of them for runs started now, each asked for older runs.

Each change to the commands a workflow issues went behind its own `workflow.patched(name)`, so that
runs started before it replay as they ran. The price is paid by every new run: each patch the run
asks records a marker and an upsert of `TemporalChangeVersion` (two history events, two commands the
SDK core keeps for the run's life, a visibility write on the server), about ten per new ticket.

A run that starts with the `CONSOLIDATED` patch records one marker and then has every patch named in
`CONSOLIDATED_PATCHES` without asking it. A run started before it was asked `CONSOLIDATED` in its first
activation during replay, got no, and asks each patch as it always did: its history replays unchanged.
A change made after this one gets its own `workflow.patched` name, outside the set, as before.
"""

from __future__ import annotations

from temporalio import workflow

CONSOLIDATED = "patches-consolidated-2026-12"
# Every patch that existed when CONSOLIDATED was introduced; never add to this set.
CONSOLIDATED_PATCHES = frozenset(
    {
        # TicketWorkflow
        "feedback-after-close",
        "sla-overdue-before-commands",
        "pending-reminder",
        "notify-in-projection",
        "notify-by-mail",
        "ticket-group-search-attributes",
        "ticket-close-ends-escalation",
        "policy-change-records-overdue",
        "escalate-starts-child-first",
        "ticket-search-attributes-seeded-from-start",
        # EscalationWorkflow
        "escalation-notify-in-projection",
        "escalation-ends-with-ticket",
        "reconcile-beside-loop",
        "escalation-upserts-changes-only",
        # SupportAccessWorkflow
        "support-access-continue-as-new",
        # every entity (entity.py, deadline_timer.py)
        "bounded-runs",
        "deadline-timer-kept",
        "deadline-not-refired",
    }
)


class Patches:
    """Ask `has(name)` where `workflow.patched(name)` was asked; create it in the run's first activation."""

    def __init__(self) -> None:
        self._consolidated = workflow.patched(CONSOLIDATED)

    def has(self, name: str) -> bool:
        if self._consolidated and name in CONSOLIDATED_PATCHES:
            return True
        return workflow.patched(name)

    @property
    def consolidated(self) -> bool:
        """Every consolidated patch is on (a validator, which may not ask a patch, may rely on it)."""
        return self._consolidated
