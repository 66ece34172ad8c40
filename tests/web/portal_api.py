"""What the portal tests do through the HTTP API as other people would (an agent replying, a customer
opening a ticket from another client): never through a page, so a page cannot vouch for itself."""

from __future__ import annotations

from typing import Any

import httpx

from tests.web.conftest import Person, Portal


async def api_post(portal: Portal, person: Person, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=portal.base_url, timeout=30) as api:
        answer = await api.post(path, headers={"Authorization": f"Bearer {person.api_key}"}, json=body)
    assert answer.status_code in (200, 201, 202), answer.text
    data: dict[str, Any] = answer.json()
    return data


async def open_ticket_by_api(portal: Portal, person: Person, subject: str, **fields: Any) -> int:
    body = {"subject": subject, "description": "Since Monday", "severity": 3, **fields}
    return int((await api_post(portal, person, "/v1/tickets", body))["id"])
