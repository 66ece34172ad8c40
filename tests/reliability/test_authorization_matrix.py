"""Every endpoint × every role × {own organisation, other organisation, no key}, from `app.routes`.

Why: access rules are spread over dependencies, handlers and workflow validators; this walks all of
them from the outside, with real ids, so that a route that forgets its check (or leaks another
organisation's ticket through a 403 or a body) fails here, and so does a route nobody classified.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from api.app import create_app
from infra.settings import Settings
from tests.reliability.authorization_table import (
    TABLE,
    Access,
    Call,
    Rule,
    expected,
    multipart_file,
    path_values,
)
from tests.reliability.world import CUSTOMER_ROLES, ROLES, STAFF_ROLES, World, api_operations, build_world


@dataclass
class Outcome:
    call: Call
    method: str
    path: str
    status: int
    text: str
    allowed: frozenset[int]


@pytest_asyncio.fixture(scope="module")
async def app(settings: Settings, engine: AsyncEngine, client: Client) -> FastAPI:
    return create_app(settings, engine=engine, temporal=client, jira=None)


@pytest_asyncio.fixture(scope="module")
async def world(app: FastAPI, engine: AsyncEngine, worker: Worker) -> AsyncIterator[World]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=30) as http:
        yield await build_world(http, engine)


@pytest_asyncio.fixture(scope="module")
async def outcomes(world: World) -> list[Outcome]:
    """Runs the whole matrix once, in table order; the tests below judge it from different angles."""
    found = []
    for (method, template), rule in TABLE.items():
        for role, case in _cells(template, rule):
            found.append(await _run(world, method, template, _call(world, role, case)))
    return found


def _cells(template: str, rule: Rule) -> Iterator[tuple[str, str]]:
    """Every role × case, less the cells that would send the very same request as one already sent."""
    yield ROLES[0], "none"  # without a key the role does not matter
    if rule.access is not Access.KEY:
        yield ROLES[0], "own"  # nor with one, where keys are not what is checked
        return
    for role in ROLES:
        yield role, "own"
        refused = role not in rule.roles  # 403 before anything is looked up, whoever's ids
        same_request = role in STAFF_ROLES and "{" not in template and not (rule.json or rule.query)
        if not refused and not same_request:
            yield role, "other"


def _call(world: World, role: str, case: str) -> Call:
    if case != "other":
        return Call(world, role, case, world.a)
    return Call(world, role, case, world.a if role in CUSTOMER_ROLES else world.b)


async def _run(world: World, method: str, template: str, call: Call) -> Outcome:
    rule = TABLE[(method, template)]
    values = path_values(call)
    path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
    caller = None
    if call.case != "none":
        caller = world.member(call.role, world.b if call.case == "other" else world.a)
    response = await world.http.request(
        method,
        path,
        headers=caller.headers if caller else {},
        json=rule.json(call) if rule.json else None,
        files=multipart_file() if rule.multipart else None,
        params=rule.query(call) if rule.query else None,
    )
    return Outcome(call, method, template, response.status_code, response.text, expected(rule, call))


def _label(o: Outcome) -> str:
    return f"{o.method} {o.path} as {o.call.role}/{o.call.case}: {o.status} not in {sorted(o.allowed)}"


def test_the_table_covers_exactly_the_routes_the_app_serves(app: FastAPI) -> None:
    served = set(api_operations(app))
    unclassified = sorted(served - TABLE.keys())
    stale = sorted(TABLE.keys() - served)
    assert not unclassified, f"routes missing from tests/reliability/authorization_table.py: {unclassified}"
    assert not stale, f"the table names routes the app does not serve: {stale}"


def test_every_cell_answers_as_the_table_says(outcomes: list[Outcome]) -> None:
    wrong = [_label(o) + f" — {o.text[:160]}" for o in outcomes if o.status not in o.allowed]
    routes = {(o.method, o.path) for o in outcomes}
    print(f"{len(outcomes)} requests: {len(routes)} routes × {len(ROLES)} roles × own/other/no key")
    assert not wrong, "\n".join(wrong)


def test_without_a_key_only_public_routes_answer(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        if o.call.case == "none" and TABLE[(o.method, o.path)].access is not Access.PUBLIC:
            assert o.status == 401, _label(o)


def test_other_organisations_ids_are_not_found_never_forbidden(outcomes: list[Outcome]) -> None:
    """A 403 would confirm that the id exists; only 404 keeps ids from leaking."""
    for o in outcomes:
        rule = TABLE[(o.method, o.path)]
        if o.call.case == "other" and o.call.role in CUSTOMER_ROLES and rule.scoped:
            assert o.status == 404, _label(o)


def test_no_answer_to_another_organisation_shows_its_tickets(world: World, outcomes: list[Outcome]) -> None:
    foreign = [o for o in outcomes if o.call.case == "other" and o.call.role in CUSTOMER_ROLES]
    leaks = [_label(o) for o in foreign if world.a.marker in o.text]
    assert not leaks, "\n".join(leaks)
    own_reads = [o for o in outcomes if o.call.case == "own" and o.path == "/v1/tickets/{ticket_id}"]
    assert any(world.a.subject in o.text for o in own_reads), "the leak detector would see nothing"


@pytest.mark.parametrize("role", CUSTOMER_ROLES)
async def test_lists_never_include_another_organisations_tickets(world: World, role: str) -> None:
    caller = world.member(role, world.b)
    for path in ("/v1/tickets", "/v1/escalations"):
        response = await world.http.get(path, headers=caller.headers, params={"limit": 100})
        assert response.status_code == 200, response.text
        assert world.a.marker not in response.text
