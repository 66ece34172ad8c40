"""The signed-in landing page: the person's tickets from the read model, local times, htmx filter, no-JS."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import Browser, Page, expect
from temporalio.worker import Worker

from tests.web.conftest import MakePerson, Person, Portal, SignIn, screenshot


async def open_ticket(portal: Portal, person: Person, subject: str) -> int:
    async with httpx.AsyncClient(base_url=portal.base_url, timeout=30) as api:
        answer = await api.post(
            "/v1/tickets",
            headers={"Authorization": f"Bearer {person.api_key}"},
            json={"subject": subject, "description": "Since Monday", "severity": 3},
        )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def test_my_tickets_lists_the_customers_tickets_in_the_browsers_timezone(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn, worker: Worker
) -> None:
    carla = await make_person("customer")
    neighbour = await make_person("customer", org_id=carla.org_id)
    ticket_id = await open_ticket(portal, carla, "Export stops at 500 rows")
    await open_ticket(portal, neighbour, "Someone else's invoice problem")

    await sign_in(browser_page, carla)

    row = browser_page.get_by_role("row").filter(has_text="Export stops at 500 rows")
    await expect(row).to_contain_text(f"#{ticket_id}")
    await expect(row).to_contain_text("Open")
    await expect(browser_page.get_by_text("Someone else's invoice problem")).to_have_count(0)
    created = row.locator("time").first
    await expect(created).not_to_contain_text("UTC")  # rewritten into São Paulo time by localtime.js
    assert (await created.get_attribute("title") or "").endswith("UTC")  # the UTC text stays as a tooltip
    instant = datetime.fromisoformat(await created.get_attribute("datetime") or "")
    local = instant.astimezone(ZoneInfo("America/Sao_Paulo"))
    shown = (await created.inner_text()).replace("\u202f", " ").replace("\xa0", " ")
    assert local.strftime("%-I:%M %p") in shown, (shown, local)
    await screenshot(browser_page, "portal-my-tickets")
    await browser_page.get_by_role("button", name="Português (Brasil)").click()
    await expect(row).to_contain_text("Aberto")
    await screenshot(browser_page, "portal-my-tickets-pt-br")


async def test_the_status_filter_swaps_the_table_with_htmx(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn, worker: Worker
) -> None:
    carla = await make_person("customer")
    await open_ticket(portal, carla, "Nota fiscal não exporta")
    await sign_in(browser_page, carla)
    await browser_page.evaluate("window.__same_document = true")

    await browser_page.get_by_label("Show").select_option("closed")

    await expect(browser_page.get_by_text("No tickets here yet.")).to_be_visible()
    await expect(browser_page).to_have_url(portal.url("/portal?status=closed"))
    assert await browser_page.evaluate("window.__same_document === true")  # swapped, not reloaded


async def test_an_org_admin_sees_the_organisations_tickets_with_their_requesters(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn, worker: Worker
) -> None:
    otavio = await make_person("org_admin")
    carla = await make_person("customer", org_id=otavio.org_id)
    await open_ticket(portal, carla, "Boleto sem código de barras")
    await sign_in(browser_page, otavio)
    await expect(browser_page.get_by_text("Boleto sem código de barras")).to_have_count(0)

    await browser_page.get_by_label("Whose").select_option("org")

    row = browser_page.get_by_role("row").filter(has_text="Boleto sem código de barras")
    await expect(row).to_contain_text(carla.name)


async def test_signing_in_and_reading_tickets_work_without_javascript(
    browser: Browser, portal: Portal, make_person: MakePerson, worker: Worker
) -> None:
    carla = await make_person("customer")
    await open_ticket(portal, carla, "Relatório vazio")
    context = await browser.new_context(java_script_enabled=False, locale="en-US")
    page = await context.new_page()

    await page.goto(portal.url("/portal/sign-in"))
    await page.get_by_label("Email").fill(carla.email)
    await page.get_by_role("button", name="Send sign-in link").click()
    await page.goto(await portal.link_for(carla.email))
    await page.get_by_role("button", name="Sign in").click()

    row = page.get_by_role("row").filter(has_text="Relatório vazio")
    await expect(row.locator("time").first).to_contain_text("UTC")  # the readable fallback
    await page.get_by_label("Show").select_option("closed")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.get_by_text("No tickets here yet.")).to_be_visible()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("status")).to_have_text("You have signed out.")
    await context.close()
