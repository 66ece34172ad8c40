"""Liveness and readiness for load balancers and `make dev`."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import EngineDep, TemporalProviderDep
from services.problems import Problem

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up", name="live")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Temporal and Postgres answer", name="ready")
async def readyz(engine: EngineDep, temporal: TemporalProviderDep) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(2):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        checks["postgres"] = "ok"
    except Exception:
        checks["postgres"] = "down"
    try:
        async with asyncio.timeout(2):
            client = await temporal()
            await client.service_client.check_health()
        checks["temporal"] = "ok"
    except Exception:
        checks["temporal"] = "down"
    if any(v != "ok" for v in checks.values()):
        raise Problem(
            503, "not ready", headers={"Retry-After": "5"}, type_="/problems/unavailable", checks=checks
        )
    return checks
