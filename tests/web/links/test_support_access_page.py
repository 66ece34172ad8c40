"""The support-access page (seed 002's proxy login): grant for some hours, see the expiry in the
browser's timezone, see what support did with the access, revoke it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import Page, expect
from temporalio.worker import Worker

from tests.web.conftest import MakePerson, Portal, SignIn, screenshot
from tests.web.links.conftest import Desk


async def test_grant_use_and_revoke_support_access(
    browser_page: Page, portal: Portal, desk: Desk, make_person: MakePerson, sign_in: SignIn, worker: Worker
) -> None:
    carla = await make_person("customer")
    ana = await make_person("agent")
    await sign_in(browser_page, carla)  # first: the ticket's acknowledgement mail must not come between
    ticket_id = await desk.open_ticket(carla, "Não consigo exportar")

    await browser_page.get_by_role("link", name="Support access").click()
    await expect(browser_page.get_by_role("heading", name="Support access")).to_be_visible()
    await expect(browser_page.get_by_test_id("grant-state")).to_have_text(
        "Support cannot act on your behalf."
    )
    await browser_page.get_by_label("Hours").fill("200")
    await browser_page.get_by_role("button", name="Grant access").click()
    await expect(
        browser_page.get_by_text("Enter a whole number of hours from 1 to 168 (7 days).")
    ).to_be_visible()
    await expect(browser_page.get_by_label("Hours")).to_have_value("200")

    granted_at = datetime.now(UTC)
    await browser_page.get_by_label("Hours").fill("48")
    await browser_page.get_by_role("button", name="Grant access").click()

    await expect(browser_page.get_by_role("status")).to_have_text("Support access granted.")
    expiry = browser_page.get_by_test_id("grant-state").locator("time")
    await expect(expiry).not_to_contain_text("UTC")  # rewritten into São Paulo time by localtime.js
    until = datetime.fromisoformat(await expiry.get_attribute("datetime") or "")
    assert abs(until - (granted_at + timedelta(hours=48))) < timedelta(minutes=1)

    # Ana obtains a token under the grant and replies on Carla's behalf.
    token = (await desk.ok(ana, "POST", f"/v1/support-access/{carla.user_id}/tokens"))["token"]
    async with httpx.AsyncClient(base_url=portal.base_url, timeout=30) as api:
        reply = await api.post(
            f"/v1/tickets/{ticket_id}/replies",
            json={"body": "Attached the export log for Carla"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert reply.status_code in (200, 201), reply.text
    await browser_page.reload()
    trail = browser_page.get_by_role("table")
    await expect(trail.get_by_role("row").filter(has_text="Replied on the ticket")).to_contain_text(ana.name)
    await expect(trail.get_by_role("row").filter(has_text="Support signed in as you")).to_contain_text(
        ana.name
    )
    await expect(trail.get_by_role("row").filter(has_text="You granted access")).to_be_visible()
    await screenshot(browser_page, "portal-support-access-granted")

    await browser_page.get_by_role("button", name="Revoke access").click()

    await expect(browser_page.get_by_role("status")).to_have_text("Support access revoked.")
    await expect(browser_page.get_by_test_id("grant-state")).to_have_text(
        "Support cannot act on your behalf."
    )
    await expect(browser_page.get_by_role("button", name="Revoke access")).to_have_count(0)
    await expect(trail.get_by_role("row").filter(has_text="You revoked access")).to_be_visible()
    async with httpx.AsyncClient(base_url=portal.base_url, timeout=30) as api:
        refused = await api.get(f"/v1/tickets/{ticket_id}", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401  # the token died with the grant
    await screenshot(browser_page, "portal-support-access-revoked")
