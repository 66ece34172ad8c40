"""One API style: readable unique operationIds, `{items, next_cursor}` pages with `limit`/`cursor` on
every list, the staff directory (`/v1/users`, `/v1/orgs`), calendar and policy lists, and the audit log."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from infra.settings import Settings
from store import identities
from tests.support.identities import Member, Org, make_org

OPERATION_ID = re.compile(r"^[a-z]+(_[a-z]+)+$")
# Not collections but answers computed for a question: best few suggestions, a report's rows.
# The best few suggestions, aggregate rows, counts per queue: answers of a fixed, small size, not lists.
NOT_PAGED = {"knowledge_base_suggestions", "reports_satisfaction", "queues_list_queues"}


def _operations(settings: Settings) -> list[tuple[str, str, dict[str, Any]]]:
    document = create_app(settings, jira=None).openapi()
    return [
        (path, method, op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict) and "operationId" in op
    ]


def test_every_operation_id_is_readable_and_unique(settings: Settings) -> None:
    ids = [op["operationId"] for _, _, op in _operations(settings)]
    assert [i for i in ids if not OPERATION_ID.match(i)] == []
    assert len(ids) == len(set(ids))
    assert {"tickets_list", "tickets_get", "tickets_create", "tickets_reply", "escalations_list"} <= set(ids)


def _success_schema(op: dict[str, Any]) -> dict[str, Any]:
    content = op["responses"].get("200", {}).get("content", {}).get("application/json", {})
    return dict(content.get("schema", {}))


def test_every_list_is_a_cursor_page(settings: Settings) -> None:
    document = create_app(settings, jira=None).openapi()
    schemas = document["components"]["schemas"]
    pages, arrays = [], []
    for _, method, op in _operations(settings):
        schema = _success_schema(op)
        if method != "get" or not schema:
            continue
        if schema.get("type") == "array":
            arrays.append(op["operationId"])
        ref = schema.get("$ref", "").rsplit("/", 1)[-1]
        if ref and "items" in schemas[ref].get("properties", {}):
            pages.append(op["operationId"])
            assert set(schemas[ref]["required"]) >= {"items", "next_cursor"}, ref
            params = {p["name"] for p in op.get("parameters", [])}
            assert {"limit", "cursor"} <= params, op["operationId"]
    assert set(arrays) <= NOT_PAGED, "a list answers a bare array instead of {items, next_cursor}"
    assert len(pages) >= 9


async def _pages(http: httpx.AsyncClient, path: str, who: Member, **params: Any) -> list[list[dict]]:
    """Every page of a list, following next_cursor."""
    pages: list[list[dict]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await http.get(path, params=query, headers=who.headers)
        assert response.status_code == 200, response.text
        pages.append(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages


async def test_staff_find_people_ranked_and_paged(
    http: httpx.AsyncClient, engine: AsyncEngine, org: Org, staff: Org
) -> None:
    tag = await _user_suffix(http, org)
    pages = await _pages(http, "/v1/users", staff["agent"], q=tag, limit=2)
    found = [u for page in pages for u in page]
    assert len(pages) == 2 and len(found) == 3  # customer, customer2, org_admin of this org
    assert {u["id"] for u in found} == {m.id for m in org.members.values()}
    exact = f"customer2-{tag}@example.test"
    best = (await http.get("/v1/users", params={"q": exact}, headers=staff["engineer"].headers)).json()
    assert [u["email"] for u in best["items"]] == [exact]
    # "customer2 <tag>" starts with the word; other users of the org only contain "2" somewhere, if at all
    ranked = (await http.get("/v1/users", params={"q": f"2 {tag}"}, headers=staff["admin"].headers)).json()
    assert [u["email"] for u in ranked["items"]] == [exact]


async def _user_suffix(http: httpx.AsyncClient, org: Org) -> str:
    """The suffix make_org gave this organisation's users' names (`customer 1a2b3c4d`)."""
    me = (await http.get("/v1/me", headers=org["customer"].headers)).json()
    return str(me["name"]).split()[-1]


async def test_customers_never_search_the_directory(http: httpx.AsyncClient, org: Org) -> None:
    for who in (org["customer"], org["org_admin"]):
        for path in ("/v1/users", "/v1/orgs"):
            response = await http.get(path, params={"q": "a"}, headers=who.headers)
            assert response.status_code == 403, response.text
            assert response.headers["content-type"].startswith("application/problem+json")


async def test_organisations_by_name_exact_slug_first(
    http: httpx.AsyncClient, engine: AsyncEngine, staff: Org
) -> None:
    made = [await make_org(engine, roles=("customer",)) for _ in range(2)]
    me = (await http.get("/v1/me", headers=made[1]["customer"].headers)).json()["organisation"]
    by_name = await http.get("/v1/orgs", params={"q": me["name"]}, headers=staff["agent"].headers)
    assert [o["id"] for o in by_name.json()["items"]] == [made[1].id]
    by_slug = await http.get("/v1/orgs", params={"q": me["slug"]}, headers=staff["engineer"].headers)
    assert by_slug.json()["items"][0] == me


async def test_a_cursor_this_api_did_not_hand_out_is_a_400(http: httpx.AsyncClient, staff: Org) -> None:
    for path in ("/v1/users", "/v1/escalations", "/v1/admin/audit", "/v1/admin/calendars", "/v1/tickets"):
        response = await http.get(path, params={"cursor": "bm90LWEtY3Vyc29y"}, headers=staff["admin"].headers)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["errors"] == [{"field": "cursor"}]


async def test_calendars_and_policies_are_listed(http: httpx.AsyncClient, staff: Org) -> None:
    admin = staff["admin"]
    name = f"list-{uuid.uuid4().hex[:8]}"
    calendar = {"timezone": "UTC", "weekly": [{"weekday": 0, "start": "09:00", "end": "17:00"}]}
    assert (
        await http.put(f"/v1/admin/calendars/{name}", json=calendar, headers=admin.headers)
    ).status_code == 200
    calendars = [c for page in await _pages(http, "/v1/admin/calendars", admin, limit=1) for c in page]
    names = [c["name"] for c in calendars]
    assert name in names and "business-hours-br" in names and names == sorted(names)
    policies = [p["name"] for page in await _pages(http, "/v1/admin/sla-policies", admin) for p in page]
    assert "default" in policies


async def test_admin_acts_are_audited_with_who_did_them(http: httpx.AsyncClient, staff: Org) -> None:
    admin = staff["admin"]
    slug = f"audit-{uuid.uuid4().hex[:8]}"
    org = (
        await http.post("/v1/admin/orgs", json={"name": "Audited", "slug": slug}, headers=admin.headers)
    ).json()
    await http.patch(f"/v1/admin/orgs/{org['id']}", json={"name": "Audited Ltd"}, headers=admin.headers)
    user = (
        await http.post(
            f"/v1/admin/orgs/{org['id']}/users",
            json={"name": "Ann", "email": f"{slug}@example.test", "role": "customer"},
            headers=admin.headers,
        )
    ).json()
    key = (await http.post(f"/v1/admin/users/{user['id']}/keys", json={}, headers=admin.headers)).json()
    assert (await http.delete(f"/v1/admin/keys/{key['id']}", headers=admin.headers)).status_code == 204

    org_entries = (
        await http.get("/v1/admin/audit", params={"target": f"org:{org['id']}"}, headers=admin.headers)
    ).json()
    assert [e["action"] for e in org_entries["items"]] == ["org.updated", "org.created"]  # newest first
    assert org_entries["items"][0]["details"] == {"name": "Audited Ltd"}
    me = (await http.get("/v1/me", headers=admin.headers)).json()
    assert org_entries["items"][0]["actor"] == {"id": admin.id, "name": me["name"]}

    mine = [
        e for page in await _pages(http, "/v1/admin/audit", admin, actor_id=admin.id, limit=2) for e in page
    ]
    actions = [e["action"] for e in mine if e["target"] in {f"key:{key['id']}", f"user:{user['id']}"}]
    assert actions == ["key.revoked", "key.issued", "user.created"]
    assert key["key"] not in str(mine)  # the secret is never recorded
    refused = await http.get("/v1/admin/audit", headers=staff["agent"].headers)
    assert refused.status_code == 403


async def test_escalations_page_newest_first(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    agent = staff["agent"]
    made = []
    for n in range(3):
        body = {
            "subject": f"Paged escalation {n} {uuid.uuid4().hex}",
            "description": "x",
            "allow_duplicate": True,
        }
        ticket = (await http.post("/v1/tickets", json=body, headers=org["customer"].headers)).json()
        escalation = await http.post(
            f"/v1/tickets/{ticket['id']}/escalations", json={"summary": f"Paged {n}"}, headers=agent.headers
        )
        assert escalation.status_code == 201, escalation.text
        made.append(escalation.json()["id"])
    pages = await _pages(http, "/v1/escalations", org["org_admin"], org_id=org.id, limit=2)
    assert [e["id"] for page in pages for e in page] == list(reversed(made))
    assert [len(page) for page in pages] == [2, 1]


async def test_the_exact_address_then_prefixes_then_the_rest(
    http: httpx.AsyncClient, engine: AsyncEngine, staff: Org
) -> None:
    t = uuid.uuid4().hex[:10]
    q = f"{t}@example.test"
    async with engine.begin() as conn:
        org = await identities.create_org(conn, f"Rank {t}", f"rank-{t}")
        for name, email in [
            (f"x{q} contains", f"d-{t}@other.test"),
            ("Zed Exact", q),
            (f"{q} starts", f"b-{t}@other.test"),
            (f"x {q} word", f"c-{t}@other.test"),
        ]:
            await identities.create_user(conn, org["id"], name, email, "customer")
    found = (await http.get("/v1/users", params={"q": q}, headers=staff["agent"].headers)).json()["items"]
    assert [u["name"] for u in found] == ["Zed Exact", f"{q} starts", f"x {q} word", f"x{q} contains"]
