"""An escalated ticket's page follows its demo JIRA card: the stage bar and the card's own bar move
when the card moves on the JIRA test server (webhooks into the API, as in tests/escalations).

The test bed is tests/escalations' (its app serves the portal too); the customer's web session is
made in the store, since that app sends no sign-in mail (signing in by link has its own tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from store.web_sessions import create_session
from tests.escalations.conftest import (  # noqa: F401 - fixtures of the escalation test bed
    Bed,
    api_port,
    bed,
    jira_settings,
    jira_site,
    site,
    staff,
)
from tests.jira_server import JiraServer
from tests.support.identities import Org
from tests.web.conftest import MakePerson, Person, screenshot
from web.settings import SESSION_COOKIE


async def eventually(probe: Callable[[], Awaitable[Any]], check: Callable[[Any], bool]) -> Any:
    """Webhooks are asynchronous: poll the API until it shows the expected state."""
    for _ in range(150):
        value = await probe()
        if check(value):
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"never reached; last seen: {value}")


async def signed_in_page(browser: Browser, bed: Bed, engine: AsyncEngine, person: Person) -> Page:  # noqa: F811
    async with engine.begin() as conn:
        session = await create_session(conn, person.user_id, datetime.now(UTC), timedelta(hours=1))
    context = await browser.new_context(locale="en-US", timezone_id="America/Sao_Paulo")
    await context.add_cookies([{"name": SESSION_COOKIE, "value": session, "url": bed.api}])
    return await context.new_page()


def current_step(page: Page, bar: str) -> Any:
    return page.get_by_role("list", name=bar).locator("[aria-current='step']")


async def test_the_progress_bar_moves_when_the_jira_card_moves(
    browser: Browser,
    bed: Bed,  # noqa: F811
    site: JiraServer,  # noqa: F811
    staff: Org,  # noqa: F811
    make_person: MakePerson,
    engine: AsyncEngine,
) -> None:
    carla = await make_person("customer")
    customer = {"Authorization": f"Bearer {carla.api_key}"}
    body = {"subject": "Importer duplicates invoices", "description": "Each invoice twice", "severity": 2}
    ticket = (await bed.http.post("/v1/tickets", json=body, headers=customer)).json()
    escalated = await bed.http.post(
        f"/v1/tickets/{ticket['id']}/escalations",
        json={"target": "engineering", "summary": "Importer duplicates invoices"},
        headers=staff["agent"].headers,
    )
    esc = escalated.json()
    engineer = staff["engineer"].headers
    await bed.http.post(f"/v1/escalations/{esc['id']}/cards", json={"create": True}, headers=engineer)
    eta = (date.today() + timedelta(days=20)).isoformat()
    await bed.http.put(f"/v1/escalations/{esc['id']}/eta", json={"eta": eta}, headers=engineer)

    async def read() -> dict[str, Any]:
        return (await bed.http.get(f"/v1/escalations/{esc['id']}", headers=engineer)).json()

    state = await eventually(read, lambda e: len(e["cards"]) == 1 and e["eta"] == eta)
    key = state["cards"][0]["key"]
    page = await signed_in_page(browser, bed, engine, carla)
    await page.goto(f"{bed.api}/portal/tickets/{ticket['id']}")

    await expect(page.get_by_role("heading", name=f"Escalation {esc['id']}")).to_be_visible()
    await expect(page.locator(".ticket-facts .status")).to_have_text("Escalated")
    await expect(current_step(page, "Escalation progress")).to_contain_text("Escalation submitted")
    await expect(current_step(page, f"Progress of {key}")).to_contain_text("Accepted")
    await expect(page.locator(".eta")).to_contain_text("(estimated, not guaranteed)")

    site.move_card(key, "In Progress")
    await eventually(read, lambda e: e["stage"] == "engineering")
    await page.reload()

    await expect(current_step(page, "Escalation progress")).to_contain_text("Engineering in progress")
    await expect(current_step(page, f"Progress of {key}")).to_contain_text("In progress")
    await expect(page.locator(".timeline")).to_contain_text("Engineering in progress")

    site.move_card(key, "In Review")
    await eventually(read, lambda e: e["cards"][0]["status"] == "In Review")
    await page.reload()
    await expect(current_step(page, f"Progress of {key}")).to_contain_text("In review")
    await expect(current_step(page, "Escalation progress")).to_contain_text("Engineering in progress")
    await screenshot(page, "portal-ticket-escalated")
    await page.context.close()
