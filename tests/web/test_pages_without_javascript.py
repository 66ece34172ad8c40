"""Opening, replying and closing work with JavaScript off: plain forms that POST and redirect (303)."""

from __future__ import annotations

from playwright.async_api import Browser, expect
from temporalio.worker import Worker

from tests.web.conftest import MakePerson, Portal


async def test_open_reply_and_close_without_javascript(
    browser: Browser, portal: Portal, make_person: MakePerson, worker: Worker
) -> None:
    carla = await make_person("customer")
    context = await browser.new_context(java_script_enabled=False, locale="en-US")
    page = await context.new_page()
    await page.goto(portal.url("/portal/sign-in"))
    await page.get_by_label("Email").fill(carla.email)
    await page.get_by_role("button", name="Send sign-in link").click()
    await page.goto(await portal.link_for(carla.email))
    await page.get_by_role("button", name="Sign in").click()

    await page.get_by_role("link", name="New ticket").click()
    await page.get_by_label("Subject").fill("Relatório de vendas sem dados de março")
    await page.get_by_label("Description").fill("O relatório abre vazio.")
    await page.get_by_label("Severity").select_option("4")
    await page.get_by_label("Attachments").set_input_files(
        [{"name": "steps.txt", "mimeType": "text/plain", "buffer": b"1. open the report\n"}]
    )
    await page.get_by_role("button", name="Open ticket").click()

    await expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Relatório de vendas sem dados de março"
    )
    await expect(page.get_by_role("link", name="steps.txt")).to_be_visible()
    await page.get_by_label("Your reply").fill("Also empty for February.")
    await page.get_by_role("button", name="Send reply").click()
    await expect(page.locator(".conversation")).to_contain_text("Also empty for February.")
    await page.get_by_role("button", name="Close ticket").click()
    await page.get_by_role("button", name="Close ticket").click()
    await expect(page.get_by_role("status")).to_contain_text("This ticket has been closed.")
    await context.close()
