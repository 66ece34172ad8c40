"""A minimal entity workflow over the shared skeleton, for tests of the skeleton's own behaviour.

Why a probe and not a ticket: a deadline whose decision records nothing (the case that made the
main loop spin) is a bug of some entity's rules that no production rule has today; the skeleton
must survive it all the same. The probe has one deadline, fixed at start, that records nothing and
only counts how often it was acted on, and one update that records an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from domain.actors import Actor
    from domain.events import Change, Event
    from domain.projection_rows import ProjectionRows

from workflows.entity import EntityWorkflow


@dataclass
class ProbeState:
    version: int = 0
    pokes: int = 0
    acted: int = 0  # how often the deadline was acted on (it records nothing)


@dataclass
class Poke:
    actor: Actor
    request_id: str | None = None


@dataclass
class ProbeInput:
    due: str  # the one deadline, ISO 8601 (a datetime field would not decode in the sandbox here)


@dataclass(frozen=True)
class ProbeDeadline:
    due: datetime
    summary: str = "a deadline that decides nothing"


@activity.defn(name="project_probe")
async def project_probe(rows: ProjectionRows) -> int:
    return rows.version


@workflow.defn
class SkeletonProbeWorkflow(EntityWorkflow[ProbeState, Poke, ProbeDeadline]):
    projection_activity = "project_probe"

    @workflow.init
    def __init__(self, input: ProbeInput) -> None:
        self._due = datetime.fromisoformat(input.due)
        self._begin(ProbeState())

    @workflow.run
    async def run(self, input: ProbeInput) -> ProbeState:
        return await self._live()

    @workflow.query
    def state(self) -> ProbeState:
        return self._state

    @workflow.update
    async def poke(self, command: Poke) -> ProbeState:
        return await self._handle(command)

    @poke.validator
    def _validate_poke(self, command: Poke) -> None:
        self._validate(command)

    def _decide(self, state: ProbeState, command: Poke) -> list[Change]:
        return [Change("poked")]

    def _evolve(self, event: Event) -> None:
        self._state.version = event.seq
        self._state.pokes += 1

    def _rows(self, batch: list[Event]) -> ProjectionRows:
        return ProjectionRows(row={"version": self._state.version})

    def _projection_summary(self, rows: ProjectionRows) -> str:
        return f"project probe v{rows.version}"

    def _ended(self) -> bool:
        return False

    def _next_deadline(self) -> ProbeDeadline:
        return ProbeDeadline(self._due)

    async def _on_deadline(self, deadline: ProbeDeadline) -> None:
        self._state.acted += 1  # and records nothing: the deadline stays the next one

    def _continued(self) -> object:
        raise NotImplementedError("the probe never continues as new")
