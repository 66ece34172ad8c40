"""Requests to change an escalation, and news about its cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.actors import Actor


@dataclass
class MoveStage:
    actor: Actor
    to: str
    note: str | None = None
    request_id: str | None = None


@dataclass
class SetEta:
    actor: Actor
    eta: str | None  # ISO date
    request_id: str | None = None


@dataclass
class LinkCard:
    """Link an existing card; the API has checked that it exists and read its status."""

    actor: Actor
    key: str
    url: str
    status: str
    progress: str
    request_id: str | None = None


@dataclass
class CreateCard:
    actor: Actor
    project: str | None = None
    issue_type: str | None = None
    request_id: str | None = None


@dataclass
class UnlinkCard:
    actor: Actor
    key: str
    request_id: str | None = None


@dataclass
class Verify:
    actor: Actor
    fixed: bool
    comment: str | None = None
    request_id: str | None = None


@dataclass
class CardChanged:
    """A card's status as a webhook or a reconcile saw it; `at` orders late and duplicate news."""

    key: str
    status: str
    progress: str
    at: datetime
    source: str = "webhook"


EscalationCommand = MoveStage | SetEta | LinkCard | CreateCard | UnlinkCard | Verify
