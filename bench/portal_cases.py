"""The portal's pages beside the API in bench/read_model.py: the same person, the same tickets.

An org admin of the largest organisation, with an API key and a web session (store.web_sessions,
as the e-mailed link would give), reads the organisation's ticket list and a ticket's page as
rendered HTML, and the same list and ticket through `GET /v1/tickets` and `GET /v1/tickets/{id}`,
so the ratio says what rendering a page costs over serialising JSON for one caller and one scope.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from store import identities
from store.tables import tickets
from store.web_sessions import create_session
from web.settings import SESSION_COOKIE

GOAL_RATIO = 1.5  # portal p50 within 1.5x of the API's


async def org_admin(engine: AsyncEngine, org_id: str) -> tuple[str, str]:
    """An org admin of `org_id`: their API key and a signed-in session id."""
    async with engine.begin() as conn:
        user = await identities.create_user(
            conn, org_id, "Bench Org Admin", f"orgadmin-{uuid.uuid4().hex[:6]}@bench.example", "org_admin"
        )
        key, _ = await identities.issue_key(conn, user["id"], "portal bench")
        session = await create_session(conn, user["id"], datetime.now(UTC), timedelta(days=1))
    return key, session


async def ticket_ids(engine: AsyncEngine, org_id: str) -> list[int]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(tickets.c.id).where(tickets.c.org_id == org_id))
        return [int(row.id) for row in rows]


def ok(response: httpx.Response) -> httpx.Response:
    response.raise_for_status()
    return response


async def portal_calls(
    app: Any, engine: AsyncEngine, org_id: str, rng: random.Random
) -> tuple[dict[str, Callable[[], Awaitable[Any]]], Callable[[], Awaitable[None]]]:
    """The four timed calls (portal list and page, API list and detail) and a closer."""
    key, session = await org_admin(engine, org_id)
    ids = await ticket_ids(engine, org_id)
    transport = httpx.ASGITransport(app=app)
    api = httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers={"Authorization": f"Bearer {key}"}
    )
    pages = httpx.AsyncClient(transport=transport, base_url="http://bench", cookies={SESSION_COOKIE: session})

    async def portal_list() -> Any:
        return ok(await pages.get("/portal", params={"scope": "org"}))

    async def portal_ticket() -> Any:
        return ok(await pages.get(f"/portal/tickets/{rng.choice(ids)}"))

    async def api_list() -> Any:
        return ok(await api.get("/v1/tickets"))

    async def api_ticket() -> Any:
        return ok(await api.get(f"/v1/tickets/{rng.choice(ids)}"))

    async def close() -> None:
        await api.aclose()
        await pages.aclose()

    calls = {
        "portal_list": portal_list,
        "portal_api_list": api_list,
        "portal_ticket": portal_ticket,
        "portal_api_ticket": api_ticket,
    }
    return calls, close


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """Page p50 over API p50 for the list and the ticket, and whether each meets the goal."""
    found: dict[str, Any] = {}
    for page, api in (("portal_list", "portal_api_list"), ("portal_ticket", "portal_api_ticket")):
        ratio = round(results[f"{page}_p50_ms"] / results[f"{api}_p50_ms"], 2)
        found[f"{page}_vs_api_p50_ratio"] = ratio
        found[f"{page}_p50_within_{GOAL_RATIO}x_of_api"] = ratio <= GOAL_RATIO
    return found
