"""Two customer organisations and a staff team, each organisation with real resources, made over HTTP.

Why over HTTP rather than straight in the database: the tickets, escalations and attachments must be
the real thing (workflows started, rows projected, attachments bound) for authorisation to be judged
on them. Organisation `a` is "own" for its members and `b` is the "other" organisation.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
from fastapi import FastAPI, routing
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.app import create_app
from infra.settings import Settings
from integrations.jira.settings import JiraSettings
from store import identities
from tests.support.identities import Member, Org, make_org, make_staff

CUSTOMER_ROLES = ("customer", "org_admin")
STAFF_ROLES = ("agent", "engineer", "admin")
ROLES = CUSTOMER_ROLES + STAFF_ROLES
TEXT_FILE = b"plain text attached by the reliability suite\n"


@dataclass
class Side:
    """One customer organisation and the ids of what it owns."""

    org: Org
    marker: str
    ticket_id: int
    spare_ticket_id: int
    escalated_ticket_id: int
    escalation_id: str
    attachment_id: str
    spare_key_id: str
    article_id: str
    scratch: str

    @property
    def subject(self) -> str:
        return f"Reliability {self.marker} export stops"

    @property
    def customer(self) -> Member:
        return self.org["customer"]


@dataclass
class World:
    http: httpx.AsyncClient
    staff: Org
    a: Side
    b: Side

    def member(self, role: str, side: Side | None = None) -> Member:
        """A staff member, or the member of that role in `side` (default: organisation a)."""
        if role in STAFF_ROLES:
            return self.staff[role]
        return (side or self.a).org[role]


def app_with_webhook_secret(settings: Settings, engine: AsyncEngine, client: Client, secret: str) -> FastAPI:
    """The app with a JIRA that signs webhooks with `secret` and is never reached (port 9, discard)."""
    jira = JiraSettings(
        base_url="http://127.0.0.1:9", pat=SecretStr("unused"), webhook_secret=SecretStr(secret)
    )
    return create_app(settings, engine=engine, temporal=client, jira=jira)


PAGES = "/portal"


def api_operations(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path template) of every route the app serves, including the framework's own pages.

    Walks `app.routes` (recent FastAPI keeps included routers nested, so it is flattened first) so that
    a route added anywhere shows up here without anyone listing it. The people's pages (/portal) are
    not API operations: they authenticate with a session cookie, not a key, and tests/web checks them.
    """
    contexts = routing.iter_route_contexts(app.routes) if hasattr(routing, "iter_route_contexts") else None
    for route in contexts or app.routes:
        path = getattr(route, "path", None)
        for method in sorted(getattr(route, "methods", None) or ()):
            if path is not None and method != "HEAD" and not path.startswith(PAGES):
                yield method, path


async def _ok(response: httpx.Response, status: int = 201) -> dict:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url}: {response.text}"
    )
    body: dict = response.json()
    return body


async def open_ticket(http: httpx.AsyncClient, who: Member, subject: str, attachments: list[str]) -> int:
    body = {
        "subject": subject,
        "description": f"{subject}: since Monday",
        "severity": 3,
        "attachments": attachments,
        "allow_duplicate": True,
    }
    ticket = await _ok(await http.post("/v1/tickets", json=body, headers=who.headers))
    return int(ticket["id"])


async def upload_text(http: httpx.AsyncClient, who: Member, data: bytes = TEXT_FILE) -> str:
    files = {"file": ("notes.txt", data, "text/plain")}
    return str((await _ok(await http.post("/v1/attachments", files=files, headers=who.headers)))["id"])


async def escalate(http: httpx.AsyncClient, agent: Member, ticket_id: int, marker: str) -> str:
    body = {"target": "engineering", "summary": f"Importer {marker} duplicates invoices"}
    response = await http.post(f"/v1/tickets/{ticket_id}/escalations", json=body, headers=agent.headers)
    return str((await _ok(response))["id"])


async def _spare_key(engine: AsyncEngine, user_id: str) -> str:
    async with engine.begin() as conn:
        _, record = await identities.issue_key(conn, user_id, "spare")
    return str(record["id"])


async def build_side(http: httpx.AsyncClient, engine: AsyncEngine, staff: Org) -> Side:
    org = await make_org(engine, roles=CUSTOMER_ROLES)
    marker = uuid.uuid4().hex[:12]
    customer = org["customer"]
    attachment_id = await upload_text(http, customer)
    subject = f"Reliability {marker} export stops"
    ticket_id = await open_ticket(http, customer, subject, [attachment_id])
    spare_ticket_id = await open_ticket(http, customer, f"{subject} again", [])
    escalated_ticket_id = await open_ticket(http, customer, f"{subject} in engineering", [])
    escalation_id = await escalate(http, staff["agent"], escalated_ticket_id, marker)
    grant = await http.put("/v1/me/support-access", json={"hours": 1}, headers=customer.headers)
    await _ok(grant, 200)
    return Side(
        org=org,
        marker=marker,
        ticket_id=ticket_id,
        spare_ticket_id=spare_ticket_id,
        escalated_ticket_id=escalated_ticket_id,
        escalation_id=escalation_id,
        attachment_id=attachment_id,
        spare_key_id=await _spare_key(engine, customer.id),
        article_id=await _article(http, staff["admin"]),
        scratch=f"matrix-{uuid.uuid4().hex[:10]}",
    )


def article_body() -> dict:
    return {
        "title": "Exporting more than 500 rows",
        "body": "Use the paginated export.",
        "language": "en",
        "url": f"https://kb.example.test/{uuid.uuid4().hex}",
    }


async def _article(http: httpx.AsyncClient, admin: Member) -> str:
    created = await _ok(await http.post("/v1/admin/kb", json=article_body(), headers=admin.headers))
    return str(created["id"])


async def build_world(http: httpx.AsyncClient, engine: AsyncEngine) -> World:
    staff = await make_staff(engine)
    a = await build_side(http, engine, staff)
    b = await build_side(http, engine, staff)
    return World(http=http, staff=staff, a=a, b=b)
