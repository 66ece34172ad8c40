"""Idempotency-Key records: a retried create answers with the resource the first call made."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from store.tables import idempotency_keys


class IdempotencyConflict(Exception):
    """The key was used before with a different request body or endpoint."""


@dataclass(frozen=True)
class Claim:
    resource_id: str
    replayed: bool


def request_hash(endpoint: str, body: Any) -> str:
    return hashlib.sha256(json.dumps([endpoint, body], sort_keys=True, default=str).encode()).hexdigest()


async def claim(
    conn: AsyncConnection, user_id: str, key: str, endpoint: str, body_hash: str, new_resource_id: str
) -> Claim:
    """Record the key for a new resource, or return the resource an earlier call with it created."""
    await conn.execute(
        insert(idempotency_keys)
        .values(
            user_id=user_id, key=key, endpoint=endpoint, request_hash=body_hash, resource_id=new_resource_id
        )
        .on_conflict_do_nothing()
    )
    row = (
        (
            await conn.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key
                )
            )
        )
        .mappings()
        .one()
    )
    if row["endpoint"] != endpoint or row["request_hash"] != body_hash:
        raise IdempotencyConflict(key)
    return Claim(resource_id=row["resource_id"], replayed=row["resource_id"] != new_resource_id)
