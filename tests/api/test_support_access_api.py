"""Support access over HTTP against the real app, Postgres, dev server and worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from api.app import create_app
from api.routers import support_access
from infra.settings import Settings
from store.support_access import hash_token, issue_token, new_token, principal_for_support_token
from store.support_access_tables import support_access_grants, support_access_tokens
from store.tables import ticket_events
from tests.support.identities import Member, Org

TICKET = {"subject": "Cannot find the invoice settings", "description": "Where is it?", "severity": 3}


@pytest_asyncio.fixture(scope="session")
async def api(
    settings: Settings, engine: AsyncEngine, client: Client, worker: Worker
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app, with the support-access router added unless app.py already includes it."""
    app = create_app(settings, engine=engine, temporal=client)
    if not any(getattr(route, "path", "").startswith("/v1/me/support-access") for route in app.routes):
        app.include_router(support_access.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict = response.json()
    assert body["status"] == status
    return body


async def granted(api: httpx.AsyncClient, who: Member, hours: int = 2) -> dict:
    response = await api.put("/v1/me/support-access", json={"hours": hours}, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def minted(api: httpx.AsyncClient, agent: Member, user_id: str) -> dict:
    response = await api.post(f"/v1/support-access/{user_id}/tokens", headers=agent.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_agent_acts_as_the_customer_until_the_grant_is_revoked(
    api: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    customer, agent = org["customer"], staff["agent"]
    ticket = (await api.post("/v1/tickets", json=TICKET, headers=customer.headers)).json()
    grant = await granted(api, customer, hours=2)
    assert grant["status"] == "active" and grant["user_id"] == customer.id
    mine = (await api.get("/v1/me/support-access", headers=customer.headers)).json()
    assert mine["status"] == "active" and mine["expires_at"] == grant["expires_at"]
    listed = (await api.get("/v1/support-access", headers=agent.headers)).json()["items"]
    assert customer.id in {g["user_id"] for g in listed}

    token = await minted(api, agent, customer.id)
    assert token["token"].startswith("esa_") and token["user_id"] == customer.id
    expires_at = datetime.fromisoformat(token["expires_at"])
    assert expires_at <= datetime.now(UTC) + timedelta(hours=1)
    me = (await api.get("/v1/me", headers=bearer(token["token"]))).json()
    assert me["id"] == customer.id and me["role"] == "customer"

    url = f"/v1/tickets/{ticket['id']}"
    reply = await api.post(
        f"{url}/replies", json={"body": "Settings > Billing"}, headers=bearer(token["token"])
    )
    assert reply.status_code == 200, reply.text
    timeline = (await api.get(url, headers=customer.headers)).json()["timeline"]
    event = next(e for e in timeline if e["type"] == "reply_added")
    assert event["actor_id"] == customer.id and event["actor_role"] == "customer"
    assert event["on_behalf_of"] == agent.id

    # The agent cannot lengthen the access it acts through.
    assert_problem(
        await api.put("/v1/me/support-access", json={"hours": 168}, headers=bearer(token["token"])), 403
    )

    revoked = await api.delete("/v1/me/support-access", headers=customer.headers)
    assert revoked.status_code == 204, revoked.text
    assert_problem(await api.get("/v1/me", headers=bearer(token["token"])), 401)
    assert (await api.get("/v1/me/support-access", headers=customer.headers)).json()["status"] == "revoked"
    assert_problem(await api.delete("/v1/me/support-access", headers=customer.headers), 404)
    assert_problem(await api.post(f"/v1/support-access/{customer.id}/tokens", headers=agent.headers), 404)


async def test_a_new_grant_does_not_revive_tokens_of_an_ended_one(
    api: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    customer, agent = org["org_admin"], staff["admin"]
    await granted(api, customer, hours=1)
    old = await minted(api, agent, customer.id)
    assert (await api.delete("/v1/me/support-access", headers=customer.headers)).status_code == 204
    again = await granted(api, customer, hours=3)
    assert again["status"] == "active"
    assert_problem(await api.get("/v1/me", headers=bearer(old["token"])), 401)
    fresh = await minted(api, agent, customer.id)
    assert (await api.get("/v1/me", headers=bearer(fresh["token"]))).json()["id"] == customer.id
    assert (await api.delete("/v1/me/support-access", headers=customer.headers)).status_code == 204


@pytest.mark.parametrize("hours", [0, 200])
async def test_hours_outside_one_to_168_are_refused(api: httpx.AsyncClient, org: Org, hours: int) -> None:
    body = assert_problem(
        await api.put("/v1/me/support-access", json={"hours": hours}, headers=org["customer"].headers), 422
    )
    assert body["errors"][0]["field"] == "hours"


async def test_only_agents_and_admins_mint_and_only_customers_grant(
    api: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    customer = org["customer"]
    await granted(api, customer, hours=1)
    assert_problem(await api.post(f"/v1/support-access/{customer.id}/tokens", headers=customer.headers), 403)
    assert_problem(
        await api.post(f"/v1/support-access/{customer.id}/tokens", headers=staff["engineer"].headers), 403
    )
    assert_problem(
        await api.put("/v1/me/support-access", json={"hours": 1}, headers=staff["agent"].headers), 403
    )
    assert_problem(await api.get("/v1/support-access", headers=customer.headers), 403)
    assert (await api.delete("/v1/me/support-access", headers=customer.headers)).status_code == 204


async def test_no_token_without_a_grant_and_no_hint_whether_the_user_exists(
    api: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    agent = staff["agent"]
    without_grant = assert_problem(
        await api.post(f"/v1/support-access/{org['customer2'].id}/tokens", headers=agent.headers), 404
    )
    unknown = assert_problem(
        await api.post(f"/v1/support-access/{uuid.uuid4()}/tokens", headers=agent.headers), 404
    )
    assert without_grant["detail"] == unknown["detail"]


async def test_an_expired_grant_refuses_at_once_before_its_projection_lands(
    api: httpx.AsyncClient, engine: AsyncEngine, org: Org, staff: Org
) -> None:
    """The row still says active (the workflow's `expired` has not landed): the clock decides."""
    customer, agent = org["customer2"], staff["agent"]
    now = datetime.now(UTC)
    token = new_token()
    async with engine.begin() as conn:
        await conn.execute(
            insert(support_access_grants).values(
                user_id=customer.id,
                org_id=org.id,
                status="active",
                granted_at=now - timedelta(hours=2),
                expires_at=now - timedelta(seconds=1),
                version=1,
                updated_at=now - timedelta(hours=2),
            )
        )
        await conn.execute(
            insert(support_access_tokens).values(
                token_hash=hash_token(token),
                user_id=customer.id,
                agent_id=agent.id,
                expires_at=now + timedelta(hours=1),
            )
        )
    async with engine.begin() as conn:
        assert await principal_for_support_token(conn, token) is None
        assert await issue_token(conn, customer.id, agent.id) is None
    assert_problem(await api.get("/v1/me", headers=bearer(token)), 401)
    assert (await api.get("/v1/me/support-access", headers=customer.headers)).json()["status"] == "expired"
    assert_problem(await api.delete("/v1/me/support-access", headers=customer.headers), 404)


async def test_support_access_never_attests_for_the_customer(
    api: httpx.AsyncClient, engine: AsyncEngine, org: Org, staff: Org
) -> None:
    """Issue #15, 4: a proxy token may work in the account but not answer the survey or close the
    ticket (403 problem+json, refused before history), and the satisfaction report leaves out any
    answer recorded on someone's behalf (older read-model rows may carry one)."""
    customer, agent = org["customer"], staff["agent"]
    ticket = (await api.post("/v1/tickets", json=TICKET, headers=customer.headers)).json()
    url = f"/v1/tickets/{ticket['id']}"
    assert (await api.post(f"{url}/resolve", headers=agent.headers)).status_code == 200
    await granted(api, customer, hours=1)
    proxy = bearer((await minted(api, agent, customer.id))["token"])
    version = (await api.get(url, headers=customer.headers)).json()["version"]

    survey = assert_problem(await api.post(f"{url}/feedback", json={"satisfied": True}, headers=proxy), 403)
    assert "support access" in survey["detail"]
    assert "support access" in assert_problem(await api.post(f"{url}/close", headers=proxy), 403)["detail"]
    after = (await api.get(url, headers=customer.headers)).json()
    assert after["version"] == version and after["status"] == "resolved", "nothing entered history"

    own = await api.post(f"{url}/feedback", json={"satisfied": False}, headers=customer.headers)
    assert own.status_code == 200, own.text
    seq = (await api.get(url, headers=customer.headers)).json()["version"] + 1
    async with engine.begin() as conn:  # an answer given through support access before the fix
        await conn.execute(
            insert(ticket_events).values(
                ticket_id=ticket["id"],
                seq=seq,
                type="feedback_given",
                at=datetime.now(UTC),
                actor_id=customer.id,
                actor_role="customer",
                on_behalf_of=agent.id,
                data={"satisfied": True, "comment": None, "assignee_id": None},
            )
        )
    report = await api.get("/v1/reports/satisfaction", params={"org_id": org.id}, headers=agent.headers)
    assert report.status_code == 200, report.text
    rows = report.json()["items"] if isinstance(report.json(), dict) else report.json()
    assert [(r["answers"], r["satisfied"]) for r in rows] == [(1, 0)]
    assert (await api.delete("/v1/me/support-access", headers=customer.headers)).status_code == 204
