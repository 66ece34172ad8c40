"""An escalation as the customer follows it (seeds 000 and 002): the stage bar, each dev card's own bar,
and the dated timeline of stage changes.

Why steps rather than a percentage: the seeds name the stages, and a stage may move back (a card
leaves "In Review" for "In Progress"; a fix that did not work goes back to engineering), which a
list of named steps shows honestly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STAGES = ("submitted", "in_review", "engineering", "verifying", "resolved")
CARD_STEPS = ("accepted", "in_progress", "in_review", "resolved")


@dataclass(frozen=True)
class Step:
    """One step of a bar; `state` is "done", "current" or "todo"."""

    name: str
    state: str


def steps(order: tuple[str, ...], current: str) -> list[Step]:
    """The bar for `current` (an unknown value shows nothing reached)."""
    position = order.index(current) if current in order else -1
    return [
        Step(name, "done" if i < position else "current" if i == position else "todo")
        for i, name in enumerate(order)
    ]


def stage_steps(stage: str) -> list[Step]:
    """Declined or withdrawn escalations show no step reached, and say so separately."""
    if stage in ("declined", "withdrawn"):
        return [Step(name, "todo") for name in STAGES]
    if stage == "resolved":
        return [Step(name, "done") for name in STAGES]
    return steps(STAGES, stage)


def card_steps(card: dict[str, Any]) -> list[Step]:
    progress = str(card.get("progress", ""))
    if progress == "resolved":
        return [Step(name, "done") for name in CARD_STEPS]
    return steps(CARD_STEPS, progress)


def stage_timeline(snapshot: dict[str, Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """(stage, at) from submission on, one line per stage change, oldest first."""
    lines = [{"stage": "submitted", "at": snapshot.get("created_at")}]
    for event in events:
        if event["type"] == "stage_changed":
            lines.append({"stage": str(event["data"].get("to")), "at": event["at"]})
    return lines


def escalation_panel(snapshot: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """What templates/partials/escalation_panel.html needs."""
    stage = str(snapshot.get("stage", "submitted"))
    return {
        "id": snapshot["id"],
        "stage": stage,
        "declined": stage == "declined",
        "withdrawn": stage == "withdrawn",
        "summary": snapshot.get("summary", ""),
        "description": snapshot.get("description", ""),
        "eta": snapshot.get("eta") if stage not in ("resolved", "declined", "withdrawn") else None,
        "steps": stage_steps(stage),
        "cards": [{**card, "steps": card_steps(card)} for card in snapshot.get("cards", [])],
        "timeline": stage_timeline(snapshot, events),
        "decline_reason": snapshot.get("decline_reason"),
    }
