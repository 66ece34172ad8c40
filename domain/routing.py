"""Routing rules: which group a ticket belongs to, decided from what the ticket says about itself.

Admins order the rules; the first rule whose every condition holds wins, and a ticket no L1 rule
matches goes to the default group. L2 rules answer "whose is this product" when a ticket is
transferred to L2 (seed 004: the product owner's group). Pure, so the rules are tested without a
database and the service that loads them stays a thin reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CONDITIONS = ("product", "module", "kind", "org_id", "channel")


@dataclass(frozen=True)
class TicketFacts:
    """What routing may look at: the fields the requester (or the channel) gave the ticket."""

    product: str | None = None
    module: str | None = None
    kind: str | None = None
    org_id: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class RoutingRule:
    """A condition per field (None: any value) and the group it sends matching tickets to."""

    id: str
    group_id: str
    position: int
    tier: str = "L1"
    product: str | None = None
    module: str | None = None
    kind: str | None = None
    org_id: str | None = None
    channel: str | None = None

    def matches(self, facts: TicketFacts) -> bool:
        """Every condition set on the rule holds; product and module compare without case."""
        for name in CONDITIONS:
            wanted = getattr(self, name)
            if wanted is not None and not _same(name, wanted, getattr(facts, name)):
                return False
        return True


def _same(name: str, wanted: str, actual: str | None) -> bool:
    if actual is None:
        return False
    if name in ("product", "module"):
        return wanted.casefold() == actual.casefold()
    return wanted == actual


def route(
    rules: Iterable[RoutingRule], facts: TicketFacts, default_group_id: str | None, tier: str = "L1"
) -> str | None:
    """The group of the first matching rule of `tier` (by position), else the default group (L1 only:
    an L2 transfer without an owner keeps the ticket's group rather than sending it to L1's default)."""
    for rule in sorted((r for r in rules if r.tier == tier), key=lambda r: (r.position, r.id)):
        if rule.matches(facts):
            return rule.group_id
    return default_group_id if tier == "L1" else None
