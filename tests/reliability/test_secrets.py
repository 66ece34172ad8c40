"""Secrets: keys kept as hashes, shown once, revocable and expiring; none committed; none in the logs.

Why each: a database dump must not hand out working keys; a GET must never re-show a key; a leaked
key must be stoppable; a committed secret is public forever; and logs travel further than anything
(aggregators, tickets, screenshots), so nothing secret may reach a log line.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from domain.webhook_signature import sign
from infra.settings import Settings
from store.identities import hash_key
from store.tables import api_keys
from tests.reliability.log_capture import captured_logs
from tests.reliability.world import app_with_webhook_secret, open_ticket, upload_text
from tests.support.identities import Org, make_org, make_staff

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = f"secrets-suite-{uuid.uuid4().hex}"

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "Escalator API key": re.compile(r"\besc_[A-Za-z0-9_-]{20,}"),
    "support-access token": re.compile(r"\besa_[A-Za-z0-9_-]{20,}"),
    "sk_ key": re.compile(r"\bsk_(?:live|test)_[A-Za-z0-9]{10,}|\bsk-[A-Za-z0-9]{20,}"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret": re.compile(r"aws_secret_access_key\s*[=:]\s*\S{20,}", re.IGNORECASE),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^/\s@'\"]+)@"),
    "secret literal": re.compile(
        r"\b(?:\w+_)?(?:secret|password|passwd|api_token|api_key|pat)(?:_\w+)?\s*[:=]\s*[\"']([^\"'\s$]{6,})[\"']",
        re.IGNORECASE,
    ),
}
# Values that look like secrets but are fakes or documented dev-only defaults, each named here.
ALLOWED_VALUES = {
    "escalation-webhook-secret",  # tests/escalations/conftest.py
    "it's-a-secret",  # tests/jira/conftest.py
    "jira-api-token",  # tests/jira_server/auth.py: the imitation Jira's credentials
    "jira-personal-access-token",  # tests/jira_server/auth.py
    "bad-input-webhook-secret",  # tests/reliability/test_bad_input.py
}
DEV_ONLY = "dev-only-"  # docker-compose.yml: `${POSTGRES_PASSWORD:-dev-only-password}`, documented there


@pytest_asyncio.fixture(scope="module")
async def app(settings: Settings, engine: AsyncEngine, client: Client) -> FastAPI:
    return app_with_webhook_secret(settings, engine, client, WEBHOOK_SECRET)


@pytest_asyncio.fixture(scope="module")
async def http(app: FastAPI, worker: Worker) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=30) as c:
        yield c


@pytest_asyncio.fixture(scope="module")
async def org(engine: AsyncEngine) -> Org:
    return await make_org(engine)


@pytest_asyncio.fixture(scope="module")
async def staff(engine: AsyncEngine) -> Org:
    return await make_staff(engine)


async def _issue(http: httpx.AsyncClient, staff: Org, user_id: str, **body: str) -> dict:
    response = await http.post(f"/v1/admin/users/{user_id}/keys", json=body, headers=staff["admin"].headers)
    assert response.status_code == 201, response.text
    issued: dict = response.json()
    return issued


# API keys


async def test_keys_are_stored_as_hashes_only(engine: AsyncEngine, org: Org) -> None:
    key = org["customer"].key
    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(api_keys).where(api_keys.c.user_id == org["customer"].id))
        ).mappings()
        stored = [dict(row) for row in rows]
    assert stored and all(row["key_hash"] == hash_key(key) for row in stored)
    assert not any(key in str(value) for row in stored for value in row.values())


async def test_a_key_is_shown_once_and_never_again(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    issued = await _issue(http, staff, org["customer"].id, name="shown once")
    key = issued["key"]
    assert key.startswith("esc_")
    who = {"Authorization": f"Bearer {key}"}
    admin = staff["admin"].headers
    reads = [
        await http.get("/v1/me", headers=who),
        await http.get("/v1/admin/users", headers=admin, params={"org_id": org.id}),
        await http.get("/v1/admin/orgs", headers=admin),
    ]
    assert all(r.status_code == 200 for r in reads)
    assert not any(key in r.text for r in reads)


def test_no_read_operation_documents_a_key_or_token(app: FastAPI) -> None:
    """Keys and tokens are shown by the POST that creates them; no GET may declare them."""
    for path, operations in app.openapi()["paths"].items():
        answer = str(operations.get("get", {}).get("responses", {}).get("200", {}))
        assert "KeyOut" not in answer and "TokenOut" not in answer, path


async def test_a_revoked_key_is_refused(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    issued = await _issue(http, staff, org["customer"].id, name="to revoke")
    who = {"Authorization": f"Bearer {issued['key']}"}
    assert (await http.get("/v1/me", headers=who)).status_code == 200
    revoked = await http.delete(f"/v1/admin/keys/{issued['id']}", headers=staff["admin"].headers)
    assert revoked.status_code == 204
    assert (await http.get("/v1/me", headers=who)).status_code == 401


async def test_an_expired_key_is_refused(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    issued = await _issue(http, staff, org["customer"].id, name="expired", expires_at=past)
    response = await http.get("/v1/me", headers={"Authorization": f"Bearer {issued['key']}"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


# Nothing committed


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


def _findings(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
        return []  # binary files, or deleted in the work tree
    found = []
    for name, pattern in SECRET_PATTERNS.items():
        for match in pattern.finditer(text):
            value = match.group(match.lastindex or 0)
            if value in ALLOWED_VALUES or DEV_ONLY in value:
                continue
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    return found


def test_no_secret_is_committed() -> None:
    files = _tracked_text_files()
    assert len(files) > 50, "git ls-files found too little to be the repository"
    findings = [finding for path in files for finding in _findings(path)]
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize(
    "planted",
    [
        # Each planted value is split so that this file does not itself hold one.
        "-----BEGIN RSA " + "PRIVATE KEY-----",
        "esc_" + "Ab1" * 10,
        "AKIA" + "ABCDEFGHIJKLMNOP",
        "postgresql://app:" + "hunter22@db/escalator",
        "JIRA_WEBHOOK_SECRET = " + '"s3cr3t-value"',
    ],
)
def test_the_scanner_would_notice(tmp_path: Path, planted: str) -> None:
    target = ROOT / "tests" / "reliability" / f"planted-{uuid.uuid4().hex}.txt"
    target.write_text(f"x = 1\n{planted}\n")
    try:
        assert _findings(target)
    finally:
        target.unlink()


# Nothing in the logs


async def _exercise(http: httpx.AsyncClient, org: Org, staff: Org, marker: bytes) -> list[str]:
    """Create, reply, attach, act through support access, receive a webhook; returns the secrets used."""
    customer, agent = org["customer"], staff["agent"]
    attachment = await upload_text(http, customer, marker + b" private attachment body\n")
    ticket_id = await open_ticket(http, customer, f"Logs {uuid.uuid4().hex[:8]}", [attachment])
    reply = {"body": "Which browser?", "await_customer": True}
    assert (await http.post(f"/v1/tickets/{ticket_id}/replies", json=reply, headers=agent.headers)).is_success
    content = await http.get(f"/v1/attachments/{attachment}/content", headers=agent.headers)
    assert marker in content.content
    grant = await http.put("/v1/me/support-access", json={"hours": 1}, headers=customer.headers)
    assert grant.status_code == 200, grant.text
    minted = await http.post(f"/v1/support-access/{customer.id}/tokens", headers=agent.headers)
    assert minted.status_code == 201, minted.text
    token = minted.json()["token"]
    assert (await http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    body = b'{"webhookEvent": "jira:issue_updated", "issue": {"key": "LOG-1"}}'
    signed = {
        "X-Hub-Signature": sign(WEBHOOK_SECRET, body),
        "X-Atlassian-Webhook-Identifier": uuid.uuid4().hex,
    }
    assert (await http.post("/v1/webhooks/jira", content=body, headers=signed)).status_code == 200
    wrong_key = "esc_" + uuid.uuid4().hex + uuid.uuid4().hex
    assert (await http.get("/v1/me", headers={"Authorization": f"Bearer {wrong_key}"})).status_code == 401
    return [customer.key, agent.key, token, wrong_key, WEBHOOK_SECRET]


async def test_logs_never_carry_keys_tokens_attachment_bodies_or_secrets(
    http: httpx.AsyncClient, org: Org, staff: Org, settings: Settings
) -> None:
    marker = f"MARKER-{uuid.uuid4().hex}".encode()
    with captured_logs(settings) as logs:
        secrets = await _exercise(http, org, staff, marker)
    text = logs.getvalue()
    assert '"event": "request"' in text, "the capture saw no access log: it would miss leaks too"
    leaked = [s[:12] + "…" for s in secrets if s in text]
    assert not leaked, f"secrets in the logs: {leaked}"
    assert marker.decode() not in text, "an attachment's content reached the logs"
