"""Statuses, status categories and per-workflow transitions, as a Jira site configures them.

Two workflows ship by default so that clients cannot get away with hard-coded transition ids:
the escalation project's classic workflow (named transitions between neighbouring statuses) and a
team-managed style one (global transitions named after their target, different ids).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusCategory:
    """Jira's fixed categories; `key` is what integrations should rely on (contract §7.4)."""

    id: int
    key: str
    name: str
    color: str


UNDEFINED = StatusCategory(1, "undefined", "No Category", "medium-gray")
NEW = StatusCategory(2, "new", "To Do", "blue-gray")
DONE = StatusCategory(3, "done", "Done", "green")
IN_FLIGHT = StatusCategory(4, "indeterminate", "In Progress", "yellow")
CATEGORIES = (UNDEFINED, NEW, DONE, IN_FLIGHT)


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: StatusCategory


@dataclass(frozen=True)
class Transition:
    """`sources` empty means global: available from every status except the target."""

    id: str
    name: str
    target: str
    sources: tuple[str, ...] = ()

    def available_from(self, status_name: str) -> bool:
        if self.sources:
            return status_name in self.sources
        return status_name != self.target


@dataclass(frozen=True)
class Workflow:
    name: str
    statuses: tuple[Status, ...]
    transitions: tuple[Transition, ...]

    @property
    def initial(self) -> Status:
        return self.statuses[0]

    def status(self, name: str) -> Status | None:
        """Status by name (case-insensitive) or id."""
        wanted = name.strip().casefold()
        return next((s for s in self.statuses if s.name.casefold() == wanted or s.id == name), None)

    def available(self, status_name: str) -> list[Transition]:
        return [t for t in self.transitions if t.available_from(status_name)]

    def transition_to(self, status_name: str, target: str) -> Transition | None:
        """The transition a user would click to go from `status_name` to `target`, if any."""
        wanted = target.strip().casefold()
        return next((t for t in self.available(status_name) if t.target.casefold() == wanted), None)


def escalation_workflow() -> Workflow:
    """Accepted → In Progress → In Review → Done, with the ways back the seeds describe."""
    return Workflow(
        name="Escalation dev workflow",
        statuses=(
            Status("10001", "Accepted", NEW),
            Status("3", "In Progress", IN_FLIGHT),
            Status("10002", "In Review", IN_FLIGHT),
            Status("10003", "Done", DONE),
        ),
        transitions=(
            Transition("11", "Start Progress", "In Progress", ("Accepted",)),
            Transition("21", "Submit for Review", "In Review", ("In Progress",)),
            Transition("31", "Approve", "Done", ("In Review",)),
            Transition("41", "Request Changes", "In Progress", ("In Review",)),
            Transition("51", "Reopen", "In Progress", ("Done",)),
            Transition("61", "Stop Progress", "Accepted", ("In Progress",)),
        ),
    )


def simplified_workflow() -> Workflow:
    """A team-managed project: To Do / In Progress / In Review / Done, any to any."""
    return Workflow(
        name="Software simplified workflow",
        statuses=(
            Status("10004", "To Do", NEW),
            Status("3", "In Progress", IN_FLIGHT),
            Status("10005", "In Review", IN_FLIGHT),
            Status("10006", "Done", DONE),
        ),
        transitions=(
            Transition("101", "To Do", "To Do"),
            Transition("111", "In Progress", "In Progress"),
            Transition("121", "In Review", "In Review"),
            Transition("131", "Done", "Done"),
        ),
    )
