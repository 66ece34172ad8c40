"""`make dev` prints a working sign-in link for each demo user."""

from __future__ import annotations

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.demo_seed import seed_demo
from entrypoints.demo_signin import demo_signin_links
from tests.web.conftest import Portal


async def test_the_printed_link_signs_the_demo_customer_in(
    browser_page: Page, portal: Portal, engine: AsyncEngine
) -> None:
    await seed_demo(engine, {})
    links = await demo_signin_links(engine, portal.base_url)
    assert set(links) == {"customer", "org_admin", "agent", "engineer", "admin"}

    await browser_page.goto(links["customer"])
    await browser_page.get_by_role("button", name="Sign in").click()

    await expect(
        browser_page.get_by_role("heading", name="Meus tickets")
    ).to_be_visible()  # Carla reads pt-BR
    await expect(browser_page.get_by_text("Carla Cliente")).to_be_visible()
