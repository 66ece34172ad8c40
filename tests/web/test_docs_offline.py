"""/docs and /redoc render from our own assets: every request off loopback is cut, and they still work."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.async_api import Page, Route, expect

from tests.web.conftest import Portal, screenshot


async def cut_off_the_internet(page: Page) -> list[str]:
    """Abort every request that leaves 127.0.0.1; returns the list of what was attempted."""
    attempted: list[str] = []

    async def only_loopback(route: Route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            attempted.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_loopback)
    return attempted


async def test_swagger_ui_renders_offline(browser_page: Page, portal: Portal) -> None:
    outside = await cut_off_the_internet(browser_page)
    await browser_page.goto(portal.url("/docs"))

    await expect(browser_page.locator(".swagger-ui .info .title")).to_contain_text("Escalator")
    await expect(browser_page.get_by_text("List tickets").first).to_be_visible()
    await screenshot(browser_page, "api-docs-offline", full_page=False)
    assert outside == []


async def test_redoc_renders_offline(browser_page: Page, portal: Portal) -> None:
    outside = await cut_off_the_internet(browser_page)
    await browser_page.goto(portal.url("/redoc"))

    await expect(browser_page.locator(".api-info h1")).to_contain_text("Escalator")
    await expect(browser_page.get_by_role("heading", name="List tickets").first).to_be_visible()
    assert outside == []
