"""SLA clocks as people read them, shared by the API's ticket views and the portal's pages.

Why here: the API's `sla` block and the portal's "we will answer by …" must agree to the second,
so both compute the live clocks from the stored snapshot with the same function at read time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.sla import FIRST_RESPONSE, RESOLUTION, SEED_MATRIX, clocks_from_json
from services.context import Context
from store.sla_store import policy_for_ticket

SEVERITIES = tuple(SEED_MATRIX)


@dataclass(frozen=True)
class AnswerDue:
    """The next promise the running clocks make: which clock, and the instant it is due."""

    clock: str
    due: datetime


@dataclass(frozen=True)
class SeverityTarget:
    """What a severity means under the policy a new ticket would get, in business minutes."""

    severity: int
    first_response_minutes: int
    resolution_minutes: int


def live_clocks(snapshot: dict[str, Any], now: datetime | None = None) -> list[dict[str, Any]] | None:
    """Each clock's status, used/remaining business time and due instant, as of `now`."""
    sla = snapshot.get("sla")
    if not sla:
        return None
    return clocks_from_json(sla, now or datetime.now(UTC))


def answer_due(snapshot: dict[str, Any], now: datetime | None = None) -> AnswerDue | None:
    """First response while it is owed, then the resolution; None while both wait on the customer."""
    clocks = {clock["name"]: clock for clock in live_clocks(snapshot, now) or []}
    for name in (FIRST_RESPONSE, RESOLUTION):
        clock = clocks.get(name)
        if clock and clock["status"] in ("running", "breached") and clock["due"]:
            return AnswerDue(name, datetime.fromisoformat(clock["due"]))
    return None


async def severity_targets(
    context: Context, product: str | None = None, kind: str | None = None
) -> list[SeverityTarget]:
    """The targets of each severity for a ticket the caller would open now (their org's policy)."""
    async with context.engine.connect() as conn:
        policy = await policy_for_ticket(conn, context.principal.org_id, product or None)
    targets = []
    for severity in SEVERITIES:
        first, resolution = policy.targets_for(severity, product or None, None, kind or None)
        targets.append(SeverityTarget(severity, first // 60, resolution // 60))
    return targets
