"""EntityWorkflow: the one skeleton of every entity workflow (ticket, escalation, support access).

Each entity is a durable workflow that owns its state and clocks, and they all live the same way:
a handler decides (or refuses) a command, records the numbered events, and returns once the main
loop has projected them to Postgres, so that a GET right after a write sees it. The main loop is
the only writer to the read model and the only place a timer lives: it projects what is new,
sleeps until the next deadline (or until a change re-plans it), lets the deadline act, settles
before it ends or continues as new, and carries the remembered request ids into the next run.

A workflow class says only what is its own: how a command is decided, how an event changes the
state, its projection rows, its deadlines and what each does, and what it does after a projection.

Why a base class: three hand-written copies of this loop drifted (retry policies, request-id
memory, what was carried across continue-as-new). The order of commands each step issues is the
order the recorded histories hold (tests/test_replay.py); change it only behind `workflow.patched`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.notifications import NotificationActivities, NotificationRequest
    from domain.actors import Actor
    from domain.errors import InvalidCommand, TransitionRejected
    from domain.events import Change, Event, Versioned, number
    from domain.projection_rows import ProjectionRows
    from workflows.refusals import refusal

from workflows.deadline_timer import Deadline, DeadlineTimer
from workflows.patches import Patches
from workflows.request_memory import RequestMemory

PROJECTION_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
)
PROJECTION_TIMEOUT = timedelta(seconds=10)
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)
Decision = Callable[[], list[Change]]
# A run continues as new once its history holds this many events (about a dozen writes), long before
# the server would suggest it (thousands). A cached run grows with every write it has made (~7 KiB
# each, in the SDK core), so a short run keeps a long-lived ticket's memory flat (BENCHMARKS.md).
MAX_RUN_EVENTS = 100
BOUNDED_RUNS = "bounded-runs"


class Command(Protocol):
    """What the shared handler needs of a command: who asks, and the id that makes a retry safe."""

    @property
    def actor(self) -> Actor: ...

    @property
    def request_id(self) -> str | None: ...


StateT = TypeVar("StateT", bound=Versioned)
CommandT = TypeVar("CommandT", bound=Command)
DeadlineT = TypeVar("DeadlineT", bound=Deadline)


class EntityWorkflow(Generic[StateT, CommandT, DeadlineT]):
    """Subclasses call `_begin` from their `@workflow.init` and `_live` from their `@workflow.run`."""

    projection_activity: ClassVar[str]  # the local activity's registered name
    anonymous_system: ClassVar[bool] = False  # record the system's own acts without an actor id

    _state: StateT

    def _begin(
        self,
        state: StateT,
        seen_requests: dict[str, int] | None = None,
        projected_version: int = 0,
        unprojected: list[Event] | None = None,
    ) -> None:
        self._state = state
        self._requests = RequestMemory(seen_requests)
        self._projected_version = projected_version
        self._unprojected: list[Event] = list(unprojected or [])
        self._side_tasks: list[asyncio.Task[Any]] = []
        self._patches = Patches()
        self._timer = DeadlineTimer(self._patches)

    # ---- what each entity says ---------------------------------------------------------------------

    def _decide(self, state: StateT, command: CommandT) -> list[Change]:
        """The changes a command makes on `state`, or a TransitionRejected / InvalidCommand refusal."""
        raise NotImplementedError

    def _evolve(self, event: Event) -> None:
        raise NotImplementedError

    def _rows(self, batch: list[Event]) -> ProjectionRows:
        """What the projection writes for the state after `batch`, as plain JSON."""
        raise NotImplementedError

    def _projection_summary(self, rows: ProjectionRows) -> str:
        raise NotImplementedError

    async def _projected(self, batch: list[Event]) -> None:
        """After a projection: search attributes, news for other workflows, legacy notifications."""

    def _ended(self) -> bool:
        """The entity's life is over: the run settles and completes."""
        raise NotImplementedError

    def _next_deadline(self) -> DeadlineT | None:
        raise NotImplementedError

    async def _on_deadline(self, deadline: DeadlineT) -> None:
        """What a due deadline does (usually: record what the domain decides for it)."""
        raise NotImplementedError

    def _continued(self) -> object:
        """The next run's input: the state, the remembered requests, the projected version."""
        raise NotImplementedError

    def _may_continue_as_new(self) -> bool:
        """An entity that never continued as new before says so behind a patch."""
        return True

    async def _before_decide(self) -> None:
        """Runs before a new command is decided (record what is already overdue, wait until ready)."""

    def _foreseen(self) -> StateT:
        """The state a command arriving now will be decided on: what `_before_decide` would make of
        the current one, without changing it (validators must not). Override with `_before_decide`."""
        return self._state

    async def _after_record(self, command: CommandT) -> None:
        """Runs once after a new command is recorded, before its handler waits for the projection."""

    # ---- the main loop ------------------------------------------------------------------------------

    async def _live(self) -> StateT:
        """Project what is new, end or continue as new when due, else sleep until the next deadline."""
        while True:
            if self._unprojected:
                await self._project()
                continue
            if self._ended():
                await self._settle(unless_revived=True)
                if self._ended():
                    self._timer.stop()
                    return self._state
                continue
            if self._run_is_long() and self._may_continue_as_new():
                await self._settle()
                self._timer.stop()
                workflow.continue_as_new(self._continued())
            if await self._timer.sleep_until(deadline := self._next_deadline()):
                assert deadline is not None
                await self._on_deadline(deadline)

    def _run_is_long(self) -> bool:
        """The server suggests a new run, or this one reached MAX_RUN_EVENTS (runs from before the
        bound replay as they were: the patch is asked only once the bound is reached)."""
        info = workflow.info()
        if info.is_continue_as_new_suggested():
            return True
        return info.get_current_history_length() >= MAX_RUN_EVENTS and self._patches.has(BOUNDED_RUNS)

    # ---- commands -----------------------------------------------------------------------------------

    async def _handle(self, command: CommandT) -> StateT:
        """An update handler's whole body: decide, record, wait until projected, return the state."""
        return await self._apply(
            lambda: self._decide(self._state, command),
            command.actor,
            command.request_id,
            lambda: self._after_record(command),
        )

    def _validate(self, command: CommandT) -> None:
        """An update validator's whole body: refuse before history what the handler would refuse.

        Decided on the state the handler will see once `_before_decide` has run (an overdue SLA
        breach recorded first may change the answer), so that an accepted update does not fail in
        its handler, nor a refused one be one the handler would have taken.
        """
        self._check(lambda: self._decide(self._foreseen(), command), command.request_id)

    async def _apply(
        self,
        decide: Decision,
        actor: Actor,
        request_id: str | None = None,
        after_record: Callable[[], Awaitable[None]] | None = None,
        before_record: Callable[[], Awaitable[None]] | None = None,
    ) -> StateT:
        """A known request id answers with what its first run reached; a new one is decided and recorded.

        `before_record`: what must have happened before the changes are recorded (a child workflow
        started); if it raises, nothing is recorded. The state may move while it runs, so the
        command is decided again on the state it is recorded on.
        """
        target = self._requests.version_of(request_id)
        if target is None:
            await self._before_decide()
            target = self._requests.version_of(request_id)  # a retry that waited behind its first run
        if target is None:
            changes = self._decided(decide)
            if before_record is not None:
                await before_record()
                changes = self._decided(decide)
            target = self._record(changes, actor)
            self._requests.remember(request_id, target)
            if after_record is not None:
                await after_record()
        await workflow.wait_condition(lambda: self._projected_version >= target)
        return self._state

    def _check(self, decide: Decision, request_id: str | None = None) -> None:
        if self._requests.version_of(request_id) is None:
            self._decided(decide)

    @staticmethod
    def _decided(decide: Decision) -> list[Change]:
        """The domain's refusals become update failures the API maps to 409 / 422."""
        try:
            return decide()
        except (TransitionRejected, InvalidCommand) as exc:
            raise refusal(exc) from None

    def _record(self, changes: list[Change], actor: Actor) -> int:
        """Number and apply the changes, queue them for projection and wake the main loop."""
        events = number(changes, self._state, workflow.now(), actor, anonymous_system=self.anonymous_system)
        for event in events:
            self._evolve(event)
        self._unprojected.extend(events)
        self._timer.wake()
        return self._state.version

    # ---- projection, side tasks, the end of a run ---------------------------------------------------

    async def _project(self) -> None:
        """Write the queued events (a local activity); on failure they stay queued, in order."""
        batch, self._unprojected = self._unprojected, []
        rows = self._rows(batch)
        try:
            await self._write_projection(rows)
        except BaseException:
            self._unprojected = batch + self._unprojected
            raise
        self._projected_version = rows.version
        await self._projected(batch)

    async def _write_projection(self, rows: ProjectionRows) -> None:
        """The projection's one local activity (bench/offpath_workflow.py measures a regular one)."""
        await workflow.execute_local_activity(
            self.projection_activity,
            rows,
            result_type=int,
            start_to_close_timeout=PROJECTION_TIMEOUT,
            retry_policy=PROJECTION_RETRY,
            summary=self._projection_summary(rows),
        )

    def _beside(self, task: asyncio.Task[Any]) -> None:
        """Run `task` beside the main loop (tracker calls, notifications); settling waits for it."""
        self._side_tasks = [t for t in self._side_tasks if not t.done()]
        self._side_tasks.append(task)

    def _notify_by_activity(self, request: NotificationRequest) -> None:
        """How runs started before notifications moved into the projection record one."""
        self._beside(
            workflow.start_activity_method(
                NotificationActivities.record_notification,
                request,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=NOTIFY_RETRY,
                summary=f"notify {request.kind.replace('_', ' ')}",
            )
        )

    async def _settle(self, unless_revived: bool = False) -> None:
        """Project everything, finish side tasks, let every handler finish; no await left afterwards.

        `unless_revived`: settling at the end of a life that a handler may start again (a new
        grant): once that is projected, the main loop takes over again at once, timer included.
        """
        while True:
            if self._unprojected:
                await self._project()
                if unless_revived and not self._ended():
                    return
                continue
            if self._side_tasks:
                tasks, self._side_tasks = self._side_tasks, []
                for task in tasks:
                    await task
                continue
            if workflow.all_handlers_finished():
                return
            await workflow.wait_condition(
                lambda: workflow.all_handlers_finished() or bool(self._unprojected) or bool(self._side_tasks)
            )
