"""Reading what a workflow's history holds, for tests that assert on the commands a run issued."""

from __future__ import annotations

from collections import Counter

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle


async def events_of(handle: WorkflowHandle) -> list[HistoryEvent]:
    """Every event of the handle's run (the latest run when the handle names none)."""
    return list((await handle.fetch_history()).events)


async def event_counts(handle: WorkflowHandle) -> Counter[str]:
    """How many events of each type, by short name ("TIMER_STARTED", "TIMER_CANCELED", ...)."""
    return Counter(short_name(e.event_type) for e in await events_of(handle))


def short_name(event_type: int) -> str:
    return EventType.Name(event_type).removeprefix("EVENT_TYPE_")  # type: ignore[arg-type]
