"""A per-API-key limit on writes: 429 problem+json with `Retry-After` once a key's bucket is empty.

Why: every write becomes a Temporal update and a projection; one runaway script (or a stolen key) must
not be able to starve everyone else. Reads and JIRA's webhooks (signed, not keyed) are not limited.
The buckets live in this process's memory, keyed by a hash of the key so no clear key is held; with
several API processes each enforces its own share, which is enough to stop a runaway client.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import Problem, problem_response

ENV_VAR = "WRITE_RATE_LIMIT_PER_MINUTE"
DEFAULT_WRITES_PER_MINUTE = 120
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_TRACKED_KEYS = 100_000


def writes_per_minute_from_env() -> int:
    """`WRITE_RATE_LIMIT_PER_MINUTE`, default 120; a value that is not a positive integer fails loudly."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_WRITES_PER_MINUTE
    value = int(raw)
    if value < 1:
        raise ValueError(f"{ENV_VAR} must be a positive integer, not {raw!r}")
    return value


@dataclass
class Bucket:
    """A token bucket: full at `capacity`, refilled continuously; a write takes one token."""

    tokens: float
    stamp: float


@dataclass
class WriteLimiter:
    """Buckets of `writes_per_minute` tokens refilled at `writes_per_minute / 60` per second, per key hash."""

    writes_per_minute: int
    clock: Callable[[], float] = time.monotonic
    max_keys: int = MAX_TRACKED_KEYS
    buckets: OrderedDict[str, Bucket] = field(default_factory=OrderedDict)

    @property
    def per_second(self) -> float:
        return self.writes_per_minute / 60

    def take(self, key_hash: str) -> float:
        """0 when the write may go ahead, else the seconds until the bucket holds a token again."""
        now = self.clock()
        bucket = self._bucket(key_hash, now)
        bucket.tokens = min(self.writes_per_minute, bucket.tokens + (now - bucket.stamp) * self.per_second)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_second

    def _bucket(self, key_hash: str, now: float) -> Bucket:
        """Least recently used keys are forgotten past `max_keys`: forgetting only forgives, never blocks."""
        bucket = self.buckets.get(key_hash)
        if bucket is None:
            bucket = self.buckets[key_hash] = Bucket(float(self.writes_per_minute), now)
            while len(self.buckets) > self.max_keys:
                self.buckets.popitem(last=False)
        else:
            self.buckets.move_to_end(key_hash)
        return bucket


def limited_key(scope: Scope) -> str | None:
    """The hash of the bearer key of a write under /v1 (webhooks excepted); None when not limited."""
    path = scope.get("path", "")
    if scope.get("method") not in WRITE_METHODS or not path.startswith("/v1/"):
        return None
    if path.startswith("/v1/webhooks/"):
        return None
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return hashlib.sha256(credentials.strip().encode()).hexdigest()
    return None


def too_many_writes(retry_after: int, writes_per_minute: int) -> Problem:
    return Problem(
        429,
        f"at most {writes_per_minute} writes a minute per API key; retry after {retry_after} s",
        type_="/problems/rate-limited",
        headers={"Retry-After": str(retry_after)},
        retry_after=retry_after,
    )


class WriteRateLimit:
    """Pure ASGI: refuses before the body is read or the key is looked up, so refusing costs nothing."""

    def __init__(self, app: ASGIApp, limiter: WriteLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key_hash = limited_key(scope) if scope["type"] == "http" else None
        wait = self.limiter.take(key_hash) if key_hash else 0.0
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        problem = too_many_writes(max(1, math.ceil(wait)), self.limiter.writes_per_minute)
        await problem_response(problem, scope.get("path"))(scope, receive, send)


def install_rate_limit(app: FastAPI, writes_per_minute: int | None = None) -> WriteLimiter:
    """Reachable as `app.state.write_limiter`, so a test can read or steer its clock."""
    limiter = WriteLimiter(writes_per_minute or writes_per_minute_from_env())
    app.state.write_limiter = limiter
    app.add_middleware(WriteRateLimit, limiter=limiter)
    return limiter
