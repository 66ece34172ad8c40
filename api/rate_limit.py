"""Rate limits: by client address before authentication, by principal after it; 429 problem+json.

Why: every write becomes a Temporal update and a projection, every read a query, every bearer a
database look-up; one runaway script (or a stolen key) must not starve everyone else. Two layers:

- before authentication, a generous bucket per client address covers every request under `/v1`
  (webhooks included), so a stream of random bearers costs one bucket, not a look-up each;
- after authentication (`api/auth.py` calls `charge_principal`), a bucket per principal (the user,
  and the agent acting through their support-access grant, if any) for writes and another, more
  generous one, for reads. Keyed on who the caller *is*, not on the bearer string they sent.

The buckets live in this process's memory; with several API processes each enforces its own share,
which is enough to stop a runaway client. Behind a proxy the address is the one uvicorn's
`--proxy-headers` puts in the ASGI scope.
"""

from __future__ import annotations

import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import Problem, problem_response
from store.identities import Principal

ENV_VAR = "WRITE_RATE_LIMIT_PER_MINUTE"
READ_ENV_VAR = "READ_RATE_LIMIT_PER_MINUTE"
ADDRESS_ENV_VAR = "ADDRESS_RATE_LIMIT_PER_MINUTE"
DEFAULT_WRITES_PER_MINUTE = 120
DEFAULT_READS_PER_MINUTE = 1200
DEFAULT_ADDRESS_PER_MINUTE = 3000
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_TRACKED_KEYS = 100_000


def per_minute_from_env(name: str, default: int) -> int:
    """A positive integer from the environment, or the default; anything else fails loudly."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, not {raw!r}")
    return value


def writes_per_minute_from_env() -> int:
    """`WRITE_RATE_LIMIT_PER_MINUTE`, default 120."""
    return per_minute_from_env(ENV_VAR, DEFAULT_WRITES_PER_MINUTE)


@dataclass
class Bucket:
    """A token bucket: full at `capacity`, refilled continuously; a request takes one token."""

    tokens: float
    stamp: float


@dataclass
class RateLimiter:
    """Buckets of `per_minute` tokens refilled at `per_minute / 60` per second, one per key."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    max_keys: int = MAX_TRACKED_KEYS
    buckets: OrderedDict[str, Bucket] = field(default_factory=OrderedDict)

    @property
    def per_second(self) -> float:
        return self.per_minute / 60

    def take(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds until the bucket holds a token again."""
        now = self.clock()
        bucket = self._bucket(key, now)
        bucket.tokens = min(self.per_minute, bucket.tokens + (now - bucket.stamp) * self.per_second)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_second

    def _bucket(self, key: str, now: float) -> Bucket:
        """Least recently used keys are forgotten past `max_keys`: forgetting only forgives, never blocks."""
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(float(self.per_minute), now)
            while len(self.buckets) > self.max_keys:
                self.buckets.popitem(last=False)
        else:
            self.buckets.move_to_end(key)
        return bucket


@dataclass
class RateLimits:
    """The three limiters of one app: per address (before authentication), per principal for writes
    and for reads (after it)."""

    address: RateLimiter
    writes: RateLimiter
    reads: RateLimiter

    @classmethod
    def from_env(cls, writes_per_minute: int | None = None) -> RateLimits:
        return cls(
            address=RateLimiter(per_minute_from_env(ADDRESS_ENV_VAR, DEFAULT_ADDRESS_PER_MINUTE)),
            writes=RateLimiter(writes_per_minute or writes_per_minute_from_env()),
            reads=RateLimiter(per_minute_from_env(READ_ENV_VAR, DEFAULT_READS_PER_MINUTE)),
        )

    def set_clock(self, clock: Callable[[], float]) -> None:
        """For tests: one clock for every limiter, so a minute is exact however slow the machine is."""
        for limiter in (self.address, self.writes, self.reads):
            limiter.clock = clock


def too_many(retry_after: int, per_minute: int, what: str) -> Problem:
    return Problem(
        429,
        f"at most {per_minute} {what} a minute; retry after {retry_after} s",
        type_="/problems/rate-limited",
        headers={"Retry-After": str(retry_after)},
        retry_after=retry_after,
    )


def client_address(scope: Scope) -> str | None:
    """The client's address of a request under /v1 (every one is limited), None otherwise."""
    if scope["type"] != "http" or not scope.get("path", "").startswith("/v1/"):
        return None
    client = scope.get("client")
    return client[0] if client else "unknown"


class AddressRateLimit:
    """Pure ASGI: refuses before the body is read or any bearer is looked up, so refusing costs nothing."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        address = client_address(scope)
        wait = self.limiter.take(f"address:{address}") if address else 0.0
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        problem = too_many(max(1, math.ceil(wait)), self.limiter.per_minute, "requests from one address")
        await problem_response(problem, scope.get("path"))(scope, receive, send)


def principal_key(principal: Principal) -> str:
    """Who the caller is: the user, and the agent acting for them through support access, if any
    (so an agent's proxy work neither spends nor escapes the customer's own bucket)."""
    return f"{principal.user_id}|{principal.acting_agent_id or ''}"


def charge_principal(request: Request, principal: Principal) -> None:
    """Take one token from the principal's write or read bucket; 429 when it is empty."""
    limits: RateLimits | None = getattr(request.app.state, "rate_limits", None)
    if limits is None or not request.url.path.startswith("/v1/"):
        return
    is_write = request.method in WRITE_METHODS
    limiter = limits.writes if is_write else limits.reads
    wait = limiter.take(principal_key(principal))
    if wait > 0:
        raise too_many(max(1, math.ceil(wait)), limiter.per_minute, "writes" if is_write else "reads")


def install_rate_limit(app: FastAPI, writes_per_minute: int | None = None) -> RateLimits:
    """Reachable as `app.state.rate_limits`, so a test can read or steer the clocks."""
    limits = RateLimits.from_env(writes_per_minute)
    app.state.rate_limits = limits
    app.add_middleware(AddressRateLimit, limiter=limits.address)
    return limits
