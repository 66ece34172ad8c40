"""Rate limits: the 121st write of a principal in a minute is refused with 429 and Retry-After, nobody
else is; reads are limited too (generously); before authentication, requests are counted per client
address, so random bearers share one bucket instead of getting one each.

The limiters' clock is frozen so that "in a minute" is exact however slow the machine is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.app import create_app
from api.rate_limit import ADDRESS_ENV_VAR, ENV_VAR, READ_ENV_VAR, RateLimiter, writes_per_minute_from_env
from infra.settings import Settings
from store import identities
from tests.support.identities import Org, make_org


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest_asyncio.fixture
async def app(
    settings: Settings,
    engine: AsyncEngine,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    clock: FrozenClock,
) -> FastAPI:
    monkeypatch.setenv(ENV_VAR, "120")
    monkeypatch.delenv(ADDRESS_ENV_VAR, raising=False)  # the defaults, not the suite's lifted ones
    monkeypatch.delenv(READ_ENV_VAR, raising=False)
    app = create_app(settings, engine=engine, temporal=client, jira=None)
    app.state.rate_limits.set_clock(clock)
    return app


@pytest_asyncio.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


@pytest_asyncio.fixture
async def org(engine: AsyncEngine) -> Org:
    return await make_org(engine, roles=("customer", "customer2"))


async def _write(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    """A write that the API refuses cheaply (422) after authentication: it still counts."""
    return await http.post("/v1/tickets", json={}, headers=headers)


async def test_the_121st_write_in_a_minute_is_refused_and_others_are_not(
    http: httpx.AsyncClient, org: Org, clock: FrozenClock
) -> None:
    first, second = org["customer"].headers, org["customer2"].headers
    for n in range(120):
        response = await _write(http, first)
        assert response.status_code == 422, f"write {n + 1}: {response.text}"
    refused = await _write(http, first)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["status"] == 429
    assert (await _write(http, second)).status_code == 422, "another key is unaffected"
    assert (await http.get("/v1/me", headers=first)).status_code == 200, "reads are not limited"
    clock.now += int(refused.headers["Retry-After"])
    assert (await _write(http, first)).status_code == 422, "Retry-After is honest"


async def test_webhooks_and_unauthenticated_writes_count_for_the_address_only(
    http: httpx.AsyncClient, app: FastAPI
) -> None:
    for _ in range(3):
        assert (await http.post("/v1/webhooks/jira", content=b"{}")).status_code == 401
        assert (await http.post("/v1/tickets", json={})).status_code == 401
    limits = app.state.rate_limits
    assert limits.writes.buckets == {} and limits.reads.buckets == {}
    assert list(limits.address.buckets) == ["address:127.0.0.1"]


def _app_with(settings: Settings, engine: AsyncEngine, client: Client) -> httpx.AsyncClient:
    app = create_app(settings, engine=engine, temporal=client, jira=None)
    app.state.rate_limits.set_clock(FrozenClock())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


async def test_random_bearers_from_one_address_share_one_bucket(
    settings: Settings, engine: AsyncEngine, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each bearer used to get a fresh bucket (and a database look-up): now the address runs dry."""
    monkeypatch.setenv(ADDRESS_ENV_VAR, "5")
    async with _app_with(settings, engine, client) as http:
        statuses = [
            (
                await http.post("/v1/tickets", json={}, headers={"Authorization": f"Bearer junk-{n}"})
            ).status_code
            for n in range(6)
        ]
        webhook = await http.post("/v1/webhooks/jira", content=b"{}")
    assert statuses == [401] * 5 + [429]
    assert webhook.status_code == 429, "webhooks come from an address too"


async def test_reads_are_limited_per_principal(
    settings: Settings,
    engine: AsyncEngine,
    client: Client,
    org: Org,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(READ_ENV_VAR, "3")
    async with _app_with(settings, engine, client) as http:
        statuses = [(await http.get("/v1/me", headers=org["customer"].headers)).status_code for _ in range(4)]
        other = await http.get("/v1/me", headers=org["customer2"].headers)
    assert statuses == [200, 200, 200, 429]
    assert other.status_code == 200, "another principal is unaffected"


async def test_writes_are_counted_per_principal_not_per_bearer(
    settings: Settings,
    engine: AsyncEngine,
    client: Client,
    org: Org,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A second key of the same user does not buy a second bucket."""
    monkeypatch.setenv(ENV_VAR, "3")
    async with engine.begin() as conn:
        second_key, _ = await identities.issue_key(conn, org["customer"].id, "second")
    keys = [org["customer"].headers, {"Authorization": f"Bearer {second_key}"}]
    async with _app_with(settings, engine, client) as http:
        statuses = [(await _write(http, keys[n % 2])).status_code for n in range(4)]
    assert statuses == [422, 422, 422, 429]


async def test_a_low_limit_from_the_environment(
    settings: Settings, engine: AsyncEngine, client: Client, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "3")
    app = create_app(settings, engine=engine, temporal=client, jira=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        statuses = [(await _write(http, org["customer"].headers)).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_the_bucket_refills_continuously() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(60, clock=clock)
    assert [limiter.take("k") for _ in range(60)] == [0.0] * 60
    assert limiter.take("k") == pytest.approx(1.0)
    clock.now += 0.5
    assert limiter.take("k") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.take("k") == 0.0


def test_forgetting_old_keys_bounds_memory() -> None:
    limiter = RateLimiter(1, max_keys=2)
    for key in ("a", "b", "c"):
        limiter.take(key)
    assert list(limiter.buckets) == ["b", "c"]


def test_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert writes_per_minute_from_env() == 120
    monkeypatch.setenv(ENV_VAR, "0")
    with pytest.raises(ValueError):
        writes_per_minute_from_env()
