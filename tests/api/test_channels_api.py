"""Chat transcripts, conference-call tickets and resources shared in replies (seeds 002, 004)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.tables import notifications
from tests.support.identities import Org


async def test_chat_transcript_and_conversion_start_the_sla(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    body = {
        "subject": f"Chat {uuid.uuid4().hex[:6]}",
        "description": "Chat with Carla",
        "channel": "chat",
        "transcript": [
            {"author": "customer", "body": "Hi, the export fails"},
            {"author": "agent", "body": "Which format?"},
            {"author": "customer", "body": "CSV"},
        ],
    }
    r = await http.post("/v1/tickets", json=body, headers=org["customer"].headers)
    assert r.status_code == 201, r.text
    chat = r.json()
    assert chat["chat_pending"] is True
    assert {c["status"] for c in chat["sla"]["clocks"]} == {"paused"}
    detail = (await http.get(f"/v1/tickets/{chat['id']}", headers=staff["agent"].headers)).json()
    assert [m["body"] for m in detail["timeline"][0]["data"]["transcript"]] == [
        "Hi, the export fails",
        "Which format?",
        "CSV",
    ]
    r = await http.post(f"/v1/tickets/{chat['id']}/convert", headers=staff["agent"].headers)
    assert r.status_code == 200 and r.json()["chat_pending"] is False
    assert {c["status"] for c in r.json()["sla"]["clocks"]} == {"running"}
    again = await http.post(f"/v1/tickets/{chat['id']}/convert", headers=staff["agent"].headers)
    assert again.status_code == 422
    web = await http.post(
        "/v1/tickets",
        json={**body, "channel": "web", "subject": f"Web {uuid.uuid4().hex}"},
        headers=org["customer"].headers,
    )
    assert web.status_code == 422


async def test_conference_call_ticket_is_confirmed(
    http: httpx.AsyncClient, org: Org, staff: Org, engine: AsyncEngine
) -> None:
    starts = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    body = {
        "subject": f"Call {uuid.uuid4().hex[:6]}",
        "description": "Walk through the SSO setup",
        "channel": "conference",
        "conference": {"scheduled_at": starts.isoformat(), "minutes": 45, "link": "https://meet.example/abc"},
    }
    r = await http.post("/v1/tickets", json=body, headers=org["customer"].headers)
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert ticket["conference"]["status"] == "pending"
    r = await http.post(
        f"/v1/tickets/{ticket['id']}/conference/accept",
        json={"code": "123-456"},
        headers=staff["agent"].headers,
    )
    assert r.json()["conference"]["status"] == "accepted" and r.json()["conference"]["code"] == "123-456"
    for _ in range(50):
        async with engine.connect() as conn:
            kinds = (
                (
                    await conn.execute(
                        select(notifications.c.kind).where(notifications.c.ticket_id == ticket["id"])
                    )
                )
                .scalars()
                .all()
            )
        if "conference_accepted" in kinds:
            break
        await asyncio.sleep(0.1)
    assert "conference_accepted" in kinds
    missing = await http.post(
        "/v1/tickets", json={**body, "conference": None}, headers=org["customer"].headers
    )
    assert missing.status_code == 422


async def test_agents_share_resources_with_a_reply(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    ticket = (
        await http.post(
            "/v1/tickets",
            json={"subject": f"SSO {uuid.uuid4().hex}", "description": "x"},
            headers=org["customer"].headers,
        )
    ).json()
    article = {"title": "Configuring SSO", "url": "https://help.escalator.localhost/en/sso"}
    r = await http.post(
        f"/v1/tickets/{ticket['id']}/replies",
        json={"body": "This article explains it", "resources": [article]},
        headers=staff["agent"].headers,
    )
    assert r.status_code == 200 and r.json()["resources"] == [article]
    r = await http.post(
        f"/v1/tickets/{ticket['id']}/replies",
        json={"body": "see this", "resources": [article]},
        headers=org["customer"].headers,
    )
    assert r.status_code == 422
