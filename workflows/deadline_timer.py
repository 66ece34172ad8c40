"""The one timer of an entity workflow: sleep until the next deadline, or until a change re-plans it.

In the spirit of temporalio/samples-python's `updatable_timer`: a single durable wait whose wake-up
time may move. Here the wake-up is recomputed from the state by the caller; whoever records a
change calls `wake()` so that the main loop plans again instead of sleeping to a stale deadline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from temporalio import workflow


class Deadline(Protocol):
    """Anything due: an SLA warning or breach, a lifecycle step, a verification reminder, an expiry."""

    @property
    def due(self) -> datetime: ...

    @property
    def summary(self) -> str: ...


class DeadlineTimer:
    def __init__(self) -> None:
        self._woken = False

    def wake(self) -> None:
        """A change was recorded: the deadline being slept towards may no longer be the next one."""
        self._woken = True

    async def sleep_until(self, deadline: Deadline | None) -> bool:
        """True when `deadline` is due (now or after the sleep); False when woken first.

        With no deadline, waits for a wake-up only. The timer's summary names the deadline in the
        Temporal UI, so that an operator sees what a workflow waits for.
        """
        self._woken = False
        if deadline is None:
            await workflow.wait_condition(lambda: self._woken)
            return False
        remaining = (deadline.due - workflow.now()).total_seconds()
        if remaining <= 0:
            return True
        try:
            await workflow.wait_condition(
                lambda: self._woken, timeout=remaining, timeout_summary=deadline.summary
            )
        except TimeoutError:
            return True
        return False
