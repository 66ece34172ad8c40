"""The one timer of an entity workflow: sleep until the next deadline, or until a change re-plans it.

In the spirit of temporalio/samples-python's `updatable_timer`: a single durable wait whose wake-up
time may move. Here the wake-up is recomputed from the state by the caller; whoever records a
change calls `wake()` so that the main loop plans again instead of sleeping to a stale deadline.

Runs that record "deadline-timer-kept" keep the running timer across wake-ups while the next
deadline's instant stays the same (most writes do not move it): re-planning then costs no history
events, where cancelling and restarting it cost a TimerCanceled and a TimerStarted per write.
Runs that record "deadline-not-refired" never act twice in a row on a due deadline that recorded
nothing: they wait for a change instead, where the main loop used to spin without awaiting until
the SDK's deadlock detector failed the workflow task.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Protocol

from temporalio import workflow

from workflows.patches import Patches

KEEP_TIMER = "deadline-timer-kept"
NO_REFIRE = "deadline-not-refired"


class Deadline(Protocol):
    """Anything due: an SLA warning or breach, a lifecycle step, a verification reminder, an expiry."""

    @property
    def due(self) -> datetime: ...

    @property
    def summary(self) -> str: ...


class DeadlineTimer:
    def __init__(self, patches: Patches) -> None:
        self._patches = patches
        self._woken = False
        self._timer: asyncio.Task[None] | None = None  # the kept timer (patched runs only)
        self._timer_due: datetime | None = None
        self._fired: tuple[datetime, str] | None = None  # the last deadline reported due, until a wake

    def wake(self) -> None:
        """A change was recorded: the deadline being slept towards may no longer be the next one."""
        self._woken = True
        self._fired = None

    async def sleep_until(self, deadline: Deadline | None) -> bool:
        """True when `deadline` is due (now or after the sleep); False when woken first.

        With no deadline, waits for a wake-up only. The timer's summary names the deadline in the
        Temporal UI, so that an operator sees what a workflow waits for.
        """
        self._woken = False
        if deadline is None:
            return await self._wait_for_wake()
        remaining = (deadline.due - workflow.now()).total_seconds()
        if remaining <= 0:
            return await self._due_now(deadline)
        if self._patches.has(KEEP_TIMER):
            return await self._sleep_on_kept_timer(deadline, remaining)
        try:
            await workflow.wait_condition(
                lambda: self._woken, timeout=remaining, timeout_summary=deadline.summary
            )
        except TimeoutError:
            return self._reported(deadline)
        return False

    async def _wait_for_wake(self) -> bool:
        self._drop_timer()
        await workflow.wait_condition(lambda: self._woken)
        return False

    async def _due_now(self, deadline: Deadline) -> bool:
        """Due already: report it, unless it was just reported and nothing has changed since."""
        if (deadline.due, deadline.summary) == self._fired and self._patches.has(NO_REFIRE):
            workflow.logger.warning("deadline %r decided nothing: waiting for a change", deadline.summary)
            return await self._wait_for_wake()
        self._drop_timer()
        return self._reported(deadline)

    async def _sleep_on_kept_timer(self, deadline: Deadline, remaining: float) -> bool:
        """Wait on the timer for this instant, started now or kept from an earlier sleep."""
        timer = self._timer
        if timer is None or timer.done() or self._timer_due != deadline.due:
            self._drop_timer()
            timer = asyncio.create_task(workflow.sleep(remaining, summary=deadline.summary))
            self._timer, self._timer_due = timer, deadline.due
        await workflow.wait_condition(lambda: self._woken or timer.done())
        if self._woken:
            return False  # re-plan first; a fired timer for the same instant is seen as due then
        return self._reported(deadline)

    def stop(self) -> None:
        """The run ends (completes or continues as new): no timer of it outlives it."""
        self._drop_timer()

    def _drop_timer(self) -> None:
        """Cancel a kept timer that is no longer wanted (a fired one costs nothing to drop)."""
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
        self._timer, self._timer_due = None, None

    def _reported(self, deadline: Deadline) -> bool:
        self._fired = (deadline.due, deadline.summary)
        return True
