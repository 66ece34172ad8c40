"""The knowledge base over HTTP: administration, bulk import and suggestions, against real Postgres.

The knowledge base is global, so each test starts from an empty one: in a database of this module's
own, since other tests (the authorization matrix, the portal's suggestions, the demo seeds) keep
articles in the session's database, and emptying that under them would make their answers depend on
the order the tests ran in.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
import pytest_asyncio
from alembic import command
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.app import create_app
from api.routers import kb
from entrypoints.demo_kb import demo_articles, load_demo_kb
from infra.settings import Settings
from store.db import create_engine
from store.kb_tables import kb_articles
from store.migrate import alembic_config, upgrade
from tests.support.identities import Member, Org, make_org, make_staff

ADMIN_KB = "/v1/admin/kb"
SUGGEST = "/v1/kb/suggestions"


@pytest_asyncio.fixture(scope="module")
async def engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    """A fresh, migrated database on the session's server, for this module only."""
    name = f"kb_tests_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(urlsplit(pg_url)._replace(path=f"/{name}"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    await asyncio.to_thread(upgrade, url)
    own = create_engine(url, pool_size=4)
    yield own
    await own.dispose()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture(scope="module")
async def staff(engine: AsyncEngine) -> Org:
    return await make_staff(engine)


@pytest_asyncio.fixture
async def org(engine: AsyncEngine) -> Org:
    return await make_org(engine, roles=("customer", "customer2", "org_admin"))


@pytest_asyncio.fixture(scope="module")
async def api(settings: Settings, engine: AsyncEngine, client: Client) -> AsyncIterator[httpx.AsyncClient]:
    """The real app, with the knowledge base routers added unless app.py already includes them."""
    app = create_app(settings, engine=engine, temporal=client)
    paths = [getattr(route, "path", "") for route in app.routes]
    if not any(path.startswith(ADMIN_KB) for path in paths):
        app.include_router(kb.admin_router)
    if not any(path.startswith("/v1/kb") for path in paths):
        app.include_router(kb.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


@pytest_asyncio.fixture(autouse=True)
async def empty_kb(engine: AsyncEngine) -> None:
    """This module's database only (see `engine`)."""
    async with engine.begin() as conn:
        await conn.execute(delete(kb_articles))


def article(title: str, body: str = "Details follow.", language: str = "en", **extra: Any) -> dict[str, Any]:
    url = f"https://help.escalator.localhost/{language}/{uuid.uuid4().hex[:12]}"
    return {"title": title, "body": body, "language": language, "url": url, **extra}


async def create(api: httpx.AsyncClient, admin: Member, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(ADMIN_KB, json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def suggest(api: httpx.AsyncClient, who: Member, q: str, **params: Any) -> list[dict[str, Any]]:
    response = await api.get(SUGGEST, params={"q": q, **params}, headers=who.headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def titles(found: list[dict[str, Any]]) -> list[str]:
    return [s["title"] for s in found]


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def test_admin_crud(api: httpx.AsyncClient, staff: Org) -> None:
    admin = staff["admin"]
    body = article("Exporting invoices to CSV", "Go to Billing.", product="billing", tags=["csv"])
    created = await create(api, admin, body)
    assert set(created) == {"id", *body, "created_at", "updated_at"}
    assert {k: created[k] for k in body} == body
    url = f"{ADMIN_KB}/{created['id']}"
    assert (await api.get(url, headers=admin.headers)).json() == created
    other = await create(api, admin, article("Reset your password", language="pt"))
    listed = (await api.get(ADMIN_KB, params={"language": "en"}, headers=admin.headers)).json()["items"]
    assert [a["id"] for a in listed] == [created["id"]]
    everything = (await api.get(ADMIN_KB, headers=admin.headers)).json()["items"]
    assert [a["title"] for a in everything] == ["Exporting invoices to CSV", "Reset your password"]

    replaced = await api.put(
        url, json={**body, "title": "Export invoices", "product": None}, headers=admin.headers
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["title"], replaced.json()["product"], replaced.json()["tags"]) == (
        "Export invoices",
        None,
        ["csv"],
    )
    assert replaced.json()["updated_at"] > created["updated_at"]
    taken = await api.put(url, json={**body, "url": other["url"]}, headers=admin.headers)
    assert assert_problem(taken, 409)["type"] == "/problems/conflict"
    assert_problem(await api.post(ADMIN_KB, json={**body, "url": other["url"]}, headers=admin.headers), 409)
    unknown_field = await api.post(ADMIN_KB, json={**article("X"), "author": "me"}, headers=admin.headers)
    assert assert_problem(unknown_field, 422)["errors"][0]["field"] == "author"

    assert (await api.delete(url, headers=admin.headers)).status_code == 204
    assert assert_problem(await api.get(url, headers=admin.headers), 404)["detail"] == "article not found"
    assert_problem(await api.delete(url, headers=admin.headers), 404)
    assert_problem(await api.put(url, json=body, headers=admin.headers), 404)


async def test_only_admins_administer_but_everyone_gets_suggestions(
    api: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    await create(api, staff["admin"], article("Configuring SSO"))
    for who in (org["customer"], org["org_admin"], staff["agent"], staff["engineer"]):
        assert_problem(await api.get(ADMIN_KB, headers=who.headers), 403)
        assert_problem(await api.post(ADMIN_KB, json=article("Nope"), headers=who.headers), 403)
        assert_problem(await api.post(f"{ADMIN_KB}/import", json=[], headers=who.headers), 403)
        assert titles(await suggest(api, who, "sso")) == ["Configuring SSO"]
    assert_problem(await api.get(SUGGEST, params={"q": "sso"}), 401)
    assert_problem(await api.get(ADMIN_KB), 401)


async def test_import_upserts_by_url(api: httpx.AsyncClient, staff: Org) -> None:
    admin = staff["admin"]
    items = [article(f"Article {n}", language=lang) for n, lang in enumerate(("pt", "en", "es"))]
    first = await api.post(f"{ADMIN_KB}/import", json=items, headers=admin.headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 3, "updated": 0, "unchanged": 0}
    again = await api.post(f"{ADMIN_KB}/import", json=items, headers=admin.headers)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 3}
    items[1]["body"] = "Rewritten."
    more = [*items, article("Article 3")]
    third = await api.post(f"{ADMIN_KB}/import", json=more, headers=admin.headers)
    assert third.json() == {"created": 1, "updated": 1, "unchanged": 2}
    first = (await api.get(ADMIN_KB, params={"limit": 3}, headers=admin.headers)).json()
    rest = await api.get(ADMIN_KB, params={"limit": 3, "cursor": first["next_cursor"]}, headers=admin.headers)
    assert rest.json()["next_cursor"] is None
    listed = first["items"] + rest.json()["items"]
    assert [a["title"] for a in listed] == ["Article 0", "Article 1", "Article 2", "Article 3"]
    assert listed[1]["body"] == "Rewritten."
    assert (await api.post(f"{ADMIN_KB}/import", json=[], headers=admin.headers)).json()["created"] == 0


async def test_a_bad_import_names_each_bad_item_and_imports_nothing(
    api: httpx.AsyncClient, staff: Org
) -> None:
    admin, good = staff["admin"], article("Fine")
    items = [
        good,
        {**article("No title"), "title": ""},
        article("French", language="fr"),
        "not an article",
        {**article("Same url"), "url": good["url"]},
        article("Fine too"),
        {**article("Bad url"), "url": "ftp://example.test/x"},
    ]
    body = assert_problem(await api.post(f"{ADMIN_KB}/import", json=items, headers=admin.headers), 422)
    assert body["invalid_items"] == [1, 2, 3, 4, 6]
    assert "5 of 7 articles are invalid (items 1, 2, 3, 4, 6)" in body["detail"]
    fields = {(e["index"], e["field"]) for e in body["errors"]}
    assert {(1, "1.title"), (2, "2.language"), (3, "3"), (4, "4.url"), (6, "6.url")} <= fields
    assert next(e for e in body["errors"] if e["index"] == 4)["message"] == "repeats the url of item 0"
    assert (await api.get(ADMIN_KB, headers=admin.headers)).json() == {"items": [], "next_cursor": None}


async def test_an_import_is_an_array_of_at_most_1000(api: httpx.AsyncClient, staff: Org) -> None:
    admin = staff["admin"]
    too_many = [article(f"A{n}") for n in range(1001)]
    body = assert_problem(await api.post(f"{ADMIN_KB}/import", json=too_many, headers=admin.headers), 422)
    assert body["detail"] == "at most 1000 articles per import, got 1001"
    assert_problem(await api.post(f"{ADMIN_KB}/import", json=article("One"), headers=admin.headers), 422)


async def test_portuguese_ignores_accents_both_ways(api: httpx.AsyncClient, org: Org, staff: Org) -> None:
    accented = await create(api, staff["admin"], article("Configuração de alertas", language="pt"))
    plain = await create(
        api, staff["admin"], article("Impressoras", "A configuracao da impressora fica no menu.", "pt")
    )
    customer = org["customer"]
    for q in ("configuracao", "Configuração", "CONFIGURAÇÃO"):
        found = await suggest(api, customer, q, lang="pt")
        assert {s["url"] for s in found} == {accented["url"], plain["url"]}, q
    snippet = next(s for s in await suggest(api, customer, "Configuração") if s["url"] == plain["url"])[
        "snippet"
    ]
    assert "<mark>configuracao</mark> da impressora" in snippet
    assert titles(await suggest(api, customer, "alertas configuracao"))[0] == "Configuração de alertas"


async def test_english_stemming(api: httpx.AsyncClient, org: Org, staff: Org) -> None:
    await create(api, staff["admin"], article("Export invoices", "Billing lets you export a CSV file."))
    for q in ("exporting", "exported invoice", "Exports"):
        found = await suggest(api, org["customer"], q, lang="en")
        assert titles(found) == ["Export invoices"], q
    assert "<mark>export</mark>" in found[0]["snippet"]


async def test_spanish(api: httpx.AsyncClient, org: Org, staff: Org) -> None:
    await create(
        api,
        staff["admin"],
        article(
            "Cómo restablecer la contraseña", "Haga clic en ¿Olvidó su contraseña? y revise su correo.", "es"
        ),
    )
    await create(
        api, staff["admin"], article("Exportar facturas", "Facturación > Facturas > Exportar.", "es")
    )
    for q in ("contrasena olvidada", "Contraseña", "restablecer"):
        assert titles(await suggest(api, org["customer"], q, lang="es")) == [
            "Cómo restablecer la contraseña"
        ], q
    assert titles(await suggest(api, org["customer"], "facturacion", lang="es")) == ["Exportar facturas"]


async def test_product_filter_keeps_general_articles(api: httpx.AsyncClient, org: Org, staff: Org) -> None:
    admin = staff["admin"]
    await create(api, admin, article("Webhook failures in billing", product="billing"))
    await create(api, admin, article("Webhook failures in integrations", product="integracoes"))
    await create(api, admin, article("Webhook failures in general"))
    customer = org["customer"]
    billing = titles(await suggest(api, customer, "webhook failures", product="billing", limit=10))
    assert sorted(billing) == ["Webhook failures in billing", "Webhook failures in general"]
    assert len(await suggest(api, customer, "webhook failures", limit=10)) == 3
    other = titles(await suggest(api, customer, "webhook failures", product="crm", limit=10))
    assert other == ["Webhook failures in general"]


async def test_lang_filter_and_each_language_its_own_config(
    api: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    admin = staff["admin"]
    await create(api, admin, article("Configurar o SSO", "Passos do login único.", "pt"))
    await create(api, admin, article("Configure SSO", "Single sign-on steps.", "en"))
    await create(api, admin, article("Configurar el SSO", "Pasos del inicio de sesión único.", "es"))
    customer = org["customer"]
    everywhere = await suggest(api, customer, "sso", limit=10)
    assert sorted(s["language"] for s in everywhere) == ["en", "es", "pt"]
    only_es = await suggest(api, customer, "sso", lang="es", limit=10)
    assert [(s["title"], s["language"]) for s in only_es] == [("Configurar el SSO", "es")]
    # "único" is a Portuguese and a Spanish word: found in each article with its own stemmer.
    assert sorted(s["language"] for s in await suggest(api, customer, "unico", limit=10)) == ["es", "pt"]


async def test_a_title_match_ranks_above_a_body_only_match(
    api: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    admin = staff["admin"]
    body_only = await create(
        api, admin, article("Delivery logs", "Webhook retries: " + "webhook retries happen. " * 8)
    )
    in_title = await create(api, admin, article("Webhook retries", "How attempts are repeated."))
    found = await suggest(api, org["customer"], "webhook retries")
    assert [s["url"] for s in found] == [in_title["url"], body_only["url"]]
    assert found[0]["score"] > found[1]["score"] > 0
    # Satisfying the whole query outranks matching one word in the title.
    whole = await suggest(api, org["customer"], "delivery webhook retries")
    assert whole[0]["url"] == body_only["url"]


async def test_limit(api: httpx.AsyncClient, org: Org, staff: Org) -> None:
    for n in range(6):
        await create(api, staff["admin"], article(f"Password reset {n}"))
    customer = org["customer"]
    assert len(await suggest(api, customer, "password")) == 3
    assert len(await suggest(api, customer, "password", limit=1)) == 1
    assert len(await suggest(api, customer, "password", limit=10)) == 6
    assert await suggest(api, customer, "kubernetes") == []


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "a"},
        {"q": "x" * 201},
        {"q": "password", "lang": "fr"},
        {"q": "password", "limit": 0},
        {"q": "password", "limit": 11},
        {"q": "password", "limit": "three"},
        {"q": "password", "product": ""},
    ],
)
async def test_bad_params_are_422(api: httpx.AsyncClient, org: Org, params: dict[str, Any]) -> None:
    body = assert_problem(await api.get(SUGGEST, params=params, headers=org["customer"].headers), 422)
    assert body["type"] == "/problems/invalid-request" and body["errors"]


async def test_partial_words_and_typos(api: httpx.AsyncClient, org: Org, staff: Org) -> None:
    await create(api, staff["admin"], article("Configuração do SSO", language="pt"))
    await create(api, staff["admin"], article("Troubleshooting webhook delivery"))
    customer = org["customer"]
    assert titles(await suggest(api, customer, "configura")) == ["Configuração do SSO"]
    assert titles(await suggest(api, customer, "troubleshooting webh")) == [
        "Troubleshooting webhook delivery"
    ]
    assert titles(await suggest(api, customer, "webhok")) == ["Troubleshooting webhook delivery"]
    assert await suggest(api, customer, "a ") == []


async def test_snippets_are_escaped_html(api: httpx.AsyncClient, org: Org, staff: Org) -> None:
    body = "The export works if 2 < 3 & 4 > 1, <b>bold</b> or <script>x()</script> tags."
    await create(api, staff["admin"], article("Export quirks", body))
    snippet = (await suggest(api, org["customer"], "export"))[0]["snippet"]
    assert "&lt;" in snippet and "&amp;" in snippet and "<mark>export</mark>" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    control = await api.post(ADMIN_KB, json=article("Bad", "a\x02b"), headers=staff["admin"].headers)
    assert "control characters are not allowed" in assert_problem(control, 422)["detail"]


async def test_the_demo_knowledge_base(
    api: httpx.AsyncClient, engine: AsyncEngine, org: Org, staff: Org
) -> None:
    demo = demo_articles()
    assert 10 <= len(demo) <= 20 and {a["language"] for a in demo} == {"pt", "en", "es"}
    imported = await api.post(f"{ADMIN_KB}/import", json=demo, headers=staff["admin"].headers)
    assert imported.json() == {"created": len(demo), "updated": 0, "unchanged": 0}, imported.text
    assert await load_demo_kb(engine) == 0  # the file is what the API stores, urls included
    async with engine.begin() as conn:
        await conn.execute(delete(kb_articles))
    assert await load_demo_kb(engine) == len(demo)
    customer = org["customer"]
    top = await suggest(api, customer, "exportar notas fiscais", product="faturamento", lang="pt")
    assert top[0]["url"].endswith("/pt/faturamento/exportar-notas-fiscais-csv")
    assert titles(await suggest(api, customer, "reset password", lang="en", limit=1)) == [
        "Resetting your password"
    ]


async def test_migration_downgrades_and_upgrades_cleanly(pg_url: str) -> None:
    """On a database of its own, so the shared one is never without the table; only this revision."""
    name = f"kb_migration_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(pg_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        config = alembic_config(url)
        await asyncio.to_thread(command.upgrade, config, "0005")
        await asyncio.to_thread(command.downgrade, config, "0004")
        with psycopg.connect(url) as conn:
            left = conn.execute(
                "SELECT (SELECT count(*) FROM pg_class WHERE relname LIKE 'kb_articles%')"
                " + (SELECT count(*) FROM pg_ts_config WHERE cfgname LIKE '%_unaccent')"
                " + (SELECT count(*) FROM pg_proc WHERE proname = 'f_unaccent')"
                " + (SELECT count(*) FROM pg_extension WHERE extname = 'unaccent')"
            ).fetchone()
        assert left == (0,)
        await asyncio.to_thread(command.upgrade, config, "0005")
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
