"""Attachments over HTTP against the real app, Postgres, dev server and worker."""

from __future__ import annotations

import hashlib
import struct
import uuid
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from api.app import create_app
from api.routers import attachments
from infra.settings import Settings
from services.attachment_refs import resolve_attachment_refs
from services.problems import Problem
from store.attachments import AttachmentRefError, bind_to_ticket
from store.identities import Principal, principal_for_key
from tests.support.identities import Member, Org

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
TICKET = {"subject": "Upload fails on large CSVs", "description": "See the attached file.", "severity": 3}


def png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest_asyncio.fixture(scope="session")
async def api(
    settings: Settings, engine: AsyncEngine, client: Client, worker: Worker
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app, with the attachments router added unless app.py already includes it."""
    app = create_app(settings, engine=engine, temporal=client)
    if not any(getattr(route, "path", "").startswith("/v1/attachments") for route in app.routes):
        app.include_router(attachments.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


async def upload(api: httpx.AsyncClient, who: Member, filename: str, data: bytes) -> httpx.Response:
    return await api.post("/v1/attachments", files={"file": (filename, data)}, headers=who.headers)


async def uploaded(
    api: httpx.AsyncClient, who: Member, filename: str = "screen.png", data: bytes = b""
) -> str:
    response = await upload(api, who, filename, data or png())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def principal(engine: AsyncEngine, who: Member) -> Principal:
    async with engine.connect() as conn:
        found = await principal_for_key(conn, who.key)
    assert found is not None
    return found


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict = response.json()
    assert body["status"] == status
    return body


async def test_upload_then_the_uploader_downloads(api: httpx.AsyncClient, org: Org) -> None:
    customer, data = org["customer"], png()
    r = await upload(api, customer, "C:\\Users\\ana\\screen.png", data)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "filename", "content_type", "size", "sha256"}
    assert body["filename"] == "screen.png"
    assert (body["content_type"], body["size"]) == ("image/png", len(data))
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert r.headers["location"] == f"/v1/attachments/{body['id']}"
    meta = (await api.get(f"/v1/attachments/{body['id']}", headers=customer.headers)).json()
    assert meta["ticket_id"] is None and meta["uploader_id"] == customer.id
    content = await api.get(f"/v1/attachments/{body['id']}/content", headers=customer.headers)
    assert content.status_code == 200
    assert content.content == data
    assert content.headers["content-type"] == "image/png"
    assert content.headers["x-content-type-options"] == "nosniff"
    assert (
        content.headers["content-disposition"]
        == "attachment; filename=\"screen.png\"; filename*=UTF-8''screen.png"
    )


async def test_non_ascii_names_are_rfc6266_encoded(api: httpx.AsyncClient, org: Org) -> None:
    ref = await uploaded(api, org["customer"], 'relatório "final".pdf', PDF)
    content = await api.get(f"/v1/attachments/{ref}/content", headers=org["customer"].headers)
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["content-disposition"] == (
        "attachment; filename=\"relat_rio _final_.pdf\"; filename*=UTF-8''relat%C3%B3rio%20%22final%22.pdf"
    )


async def test_nobody_else_sees_an_unbound_upload(
    api: httpx.AsyncClient, org: Org, other_org: Org, staff: Org
) -> None:
    ref = await uploaded(api, org["customer"])
    for who in (other_org["customer"], other_org["org_admin"], org["customer2"], staff["agent"]):
        for path in (f"/v1/attachments/{ref}", f"/v1/attachments/{ref}/content"):
            body = assert_problem(await api.get(path, headers=who.headers), 404)
            assert body["detail"] == "attachment not found"
    assert_problem(await api.get(f"/v1/attachments/{uuid.uuid4()}", headers=org["customer"].headers), 404)
    assert (await api.get(f"/v1/attachments/{ref}")).status_code == 401


async def test_bound_files_follow_the_ticket_and_internal_ones_stay_with_staff(
    api: httpx.AsyncClient, engine: AsyncEngine, org: Org, other_org: Org, staff: Org
) -> None:
    customer, agent = org["customer"], staff["agent"]
    ticket = await api.post("/v1/tickets", json=TICKET, headers=customer.headers)
    assert ticket.status_code == 201, ticket.text
    ticket_id = ticket.json()["id"]
    public_ref, note_ref = await uploaded(api, customer), await uploaded(api, agent, "trace.pdf", PDF)
    async with engine.begin() as conn:
        bound = await bind_to_ticket(conn, [public_ref], ticket_id, customer.id)
        await bind_to_ticket(conn, [note_ref], ticket_id, agent.id, internal=True)
    assert [b["id"] for b in bound] == [public_ref]
    url = f"/v1/attachments/{public_ref}/content"
    for who in (customer, org["org_admin"], agent):
        assert (await api.get(url, headers=who.headers)).status_code == 200, who.role
    for who in (org["customer2"], other_org["org_admin"]):
        assert_problem(await api.get(url, headers=who.headers), 404)
    note_url = f"/v1/attachments/{note_ref}/content"
    assert (await api.get(note_url, headers=staff["engineer"].headers)).status_code == 200
    assert_problem(await api.get(note_url, headers=customer.headers), 404)
    meta = (await api.get(f"/v1/attachments/{public_ref}", headers=org["org_admin"].headers)).json()
    assert meta["ticket_id"] == ticket_id
    # A file cited once cannot be moved to another ticket; citing it again on the same one is a retry.
    with pytest.raises(AttachmentRefError, match="already attached to another ticket"):
        async with engine.begin() as conn:
            await bind_to_ticket(conn, [public_ref], ticket_id + 1_000_000, customer.id)
    again = await resolve_attachment_refs(
        engine, await principal(engine, customer), [public_ref], ticket_id=ticket_id
    )
    assert again == bound


async def test_too_large_is_413(api: httpx.AsyncClient, org: Org) -> None:
    who = org["customer"]
    body = assert_problem(await upload(api, who, "big.txt", b"a" * (510 * 1024)), 413)
    assert body["type"] == "/problems/too-large" and body["max_bytes"] == 500 * 1024
    assert_problem(await upload(api, who, "huge.txt", b"a" * (700 * 1024)), 413)


async def test_an_oversized_chunked_body_is_cut_off(api: httpx.AsyncClient, org: Org) -> None:
    """No Content-Length: the body is counted as it arrives and refused past the limit."""
    sent = 0
    boundary = "b0undary"

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'
        ).encode()
        for _ in range(100):
            sent += 1
            yield b"a" * 64 * 1024
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {**org["customer"].headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    response = await api.post("/v1/attachments", content=body(), headers=headers)
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    assert sent < 15


async def test_spoofed_or_forbidden_types_are_415(api: httpx.AsyncClient, org: Org) -> None:
    who = org["customer"]
    body = assert_problem(await upload(api, who, "invoice.pdf", png()), 415)
    assert body["type"] == "/problems/unsupported-media-type"
    assert "PNG" in body["detail"] and "pdf" in body["allowed_types"]
    assert_problem(await upload(api, who, "setup.exe", b"MZ\x90\x00\x03\x00"), 415)
    not_multipart = await api.post("/v1/attachments", json={"file": "x"}, headers=who.headers)
    assert_problem(not_multipart, 415)


async def test_empty_or_missing_file_is_422(api: httpx.AsyncClient, org: Org) -> None:
    who = org["customer"]
    assert_problem(await upload(api, who, "empty.csv", b""), 422)
    missing = await api.post("/v1/attachments", files={"other": ("a.txt", b"hi")}, headers=who.headers)
    assert assert_problem(missing, 422)["errors"][0]["field"] == "file"


async def test_message_refs_are_checked(api: httpx.AsyncClient, engine: AsyncEngine, org: Org) -> None:
    customer = await principal(engine, org["customer"])
    refs = [await uploaded(api, org["customer"], f"shot{i}.png") for i in range(6)]
    resolved = await resolve_attachment_refs(engine, customer, refs[:5])
    assert [r["id"] for r in resolved] == refs[:5]
    assert set(resolved[0]) == {"id", "filename", "content_type", "size", "sha256"}
    with pytest.raises(Problem) as too_many:
        await resolve_attachment_refs(engine, customer, refs)
    assert too_many.value.status == 422
    assert too_many.value.detail == "attachments: at most 5 per message"
    assert too_many.value.extensions["errors"] == [
        {"field": "attachments", "message": "at most 5 per message"}
    ]
    with pytest.raises(Problem) as unknown:
        await resolve_attachment_refs(engine, customer, [refs[0], str(uuid.uuid4())])
    assert unknown.value.status == 422
    assert unknown.value.extensions["errors"] == [{"field": "attachments.1", "message": "unknown attachment"}]


async def test_refs_of_another_org_are_unknown(
    api: httpx.AsyncClient, engine: AsyncEngine, org: Org, other_org: Org
) -> None:
    theirs = await uploaded(api, other_org["customer"])
    colleague = await uploaded(api, org["customer2"])
    admin = await principal(engine, org["org_admin"])
    assert [r["id"] for r in await resolve_attachment_refs(engine, admin, [colleague])] == [colleague]
    with pytest.raises(Problem) as caught:
        await resolve_attachment_refs(engine, admin, [theirs])
    assert caught.value.status == 422
