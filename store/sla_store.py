"""Versioned calendars and SLA policies, and which policy a new ticket gets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.calendar import CalendarSpec, WeeklyInterval, default_calendar_spec
from domain.sla import BreachActions, PolicyRule, SlaPolicy, default_policy
from infra.holiday_dates import holiday_dates, merge_dates
from store.tables import calendars, organisations, sla_policies

DEFAULT_POLICY = "default"
DEFAULT_CALENDAR = "business-hours-br"
HOLIDAY_YEARS_BEHIND, HOLIDAY_YEARS_AHEAD = 1, 3


def builtin_calendar_doc() -> dict[str, Any]:
    """The seeds' hours with Brazil's national holidays, used until an admin stores another."""
    spec = default_calendar_spec()
    return {
        "timezone": spec.timezone,
        "weekly": [vars(w) for w in spec.weekly],
        "holidays": [],
        "holiday_country": "BR",
        "holiday_subdiv": None,
    }


def builtin_policy_doc() -> dict[str, Any]:
    policy = default_policy()
    return {
        "calendar": DEFAULT_CALENDAR,
        "rules": [vars(r) for r in policy.rules],
        "warning_ratio": policy.warning_ratio,
        "breach_actions": vars(policy.breach_actions),
        "products": [],
    }


def resolve_calendar(doc: dict[str, Any], today: datetime | None = None) -> CalendarSpec:
    """Turn a stored calendar document into the spec a workflow carries (holiday rules made dates)."""
    year = (today or datetime.now(UTC)).year
    return _resolve_cached(json.dumps(doc, sort_keys=True), year)


@lru_cache(maxsize=128)
def _resolve_cached(doc_json: str, year: int) -> CalendarSpec:
    doc = json.loads(doc_json)
    dates = merge_dates(doc.get("holidays", []))
    if doc.get("holiday_country"):
        years = range(year - HOLIDAY_YEARS_BEHIND, year + HOLIDAY_YEARS_AHEAD + 1)
        dates = holiday_dates(doc["holiday_country"], years, doc.get("holiday_subdiv"), dates)
    weekly = tuple(WeeklyInterval(**w) for w in doc["weekly"])
    return CalendarSpec(doc["timezone"], weekly, tuple(d.isoformat() for d in dates))


async def _latest(conn: AsyncConnection, table: Any, name: str) -> tuple[int, dict[str, Any]] | None:
    row = (
        await conn.execute(
            select(table.c.version, table.c.spec)
            .where(table.c.name == name)
            .order_by(table.c.version.desc())
            .limit(1)
        )
    ).first()
    return (int(row.version), dict(row.spec)) if row else None


async def get_calendar(conn: AsyncConnection, name: str) -> tuple[int, dict[str, Any]] | None:
    found = await _latest(conn, calendars, name)
    if found is None and name == DEFAULT_CALENDAR:
        return 0, builtin_calendar_doc()
    return found


async def get_policy_doc(conn: AsyncConnection, name: str) -> tuple[int, dict[str, Any]] | None:
    found = await _latest(conn, sla_policies, name)
    if found is None and name == DEFAULT_POLICY:
        return 0, builtin_policy_doc()
    return found


async def _put(conn: AsyncConnection, table: Any, name: str, doc: dict[str, Any]) -> int:
    current = (await conn.execute(select(func.max(table.c.version)).where(table.c.name == name))).scalar()
    version = int(current or 0) + 1
    await conn.execute(insert(table).values(name=name, version=version, spec=doc))
    return version


async def put_calendar(conn: AsyncConnection, name: str, doc: dict[str, Any]) -> int:
    return await _put(conn, calendars, name, doc)


async def put_policy(conn: AsyncConnection, name: str, doc: dict[str, Any]) -> int:
    return await _put(conn, sla_policies, name, doc)


async def build_policy(conn: AsyncConnection, name: str) -> SlaPolicy | None:
    """The policy as workflows use it: rules plus the resolved calendar."""
    found = await get_policy_doc(conn, name)
    if found is None:
        return None
    version, doc = found
    calendar = await get_calendar(conn, doc["calendar"])
    if calendar is None:
        raise LookupError(f"policy {name!r} names an unknown calendar {doc['calendar']!r}")
    return SlaPolicy(
        name=name,
        version=version,
        calendar_name=doc["calendar"],
        calendar=resolve_calendar(calendar[1]),
        rules=tuple(PolicyRule(**r) for r in doc["rules"]),
        warning_ratio=float(doc.get("warning_ratio", 0.8)),
        breach_actions=BreachActions(**doc.get("breach_actions", {})),
    )


async def policy_for_ticket(conn: AsyncConnection, org_id: str, product: str | None) -> SlaPolicy:
    """Decided once, at creation: the organisation's policy, else one for the product, else the default."""
    org_policy = (
        await conn.execute(select(organisations.c.sla_policy).where(organisations.c.id == org_id))
    ).scalar()
    if org_policy:
        policy = await build_policy(conn, org_policy)
        if policy is not None:
            return policy
    if product:
        names = (await conn.execute(select(sla_policies.c.name, sla_policies.c.spec))).all()
        for row in names:
            if product in row.spec.get("products", []):
                policy = await build_policy(conn, row.name)
                if policy is not None:
                    return policy
    policy = await build_policy(conn, DEFAULT_POLICY)
    assert policy is not None
    return policy


async def list_latest(
    conn: AsyncConnection, kind: str, limit: int, after: str | None
) -> list[tuple[str, int, dict[str, Any]]]:
    """The latest version of every calendar (`kind` "calendar") or policy ("policy"), by name, after
    `after`; the built-in default is listed (as version 0) until a stored version replaces it."""
    table, default, builtin = (
        (calendars, DEFAULT_CALENDAR, builtin_calendar_doc)
        if kind == "calendar"
        else (sla_policies, DEFAULT_POLICY, builtin_policy_doc)
    )
    latest = select(table.c.name, func.max(table.c.version).label("version")).group_by(table.c.name)
    if after is not None:
        latest = latest.where(table.c.name > after)
    newest = latest.order_by(table.c.name).limit(limit).subquery()
    query = (
        select(table.c.name, table.c.version, table.c.spec)
        .join(newest, (newest.c.name == table.c.name) & (newest.c.version == table.c.version))
        .order_by(table.c.name)
    )
    found = [(r.name, int(r.version), dict(r.spec)) for r in await conn.execute(query)]
    stored = (await conn.execute(select(table.c.name).where(table.c.name == default).limit(1))).first()
    if stored is None and (after is None or default > after):
        found = sorted([*found, (default, 0, builtin())])[:limit]
    return found
