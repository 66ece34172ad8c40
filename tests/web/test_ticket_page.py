"""The ticket page as a customer meets it: an agent's reply (sent through the API) appears, internal
notes never do, the customer replies and closes; another organisation's ticket is a 404 page."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect
from temporalio.worker import Worker

from tests.web.conftest import MakePerson, Portal, SignIn, screenshot
from tests.web.portal_api import api_post, open_ticket_by_api


async def test_an_agents_reply_appears_the_customer_replies_and_closes(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn, worker: Worker
) -> None:
    carla = await make_person("customer")
    agent = await make_person("agent")
    ticket_id = await open_ticket_by_api(portal, carla, "Invoices show the wrong tax rate")
    await api_post(
        portal, agent, f"/v1/tickets/{ticket_id}/replies", {"body": "Which invoice number shows it?"}
    )
    await api_post(
        portal,
        agent,
        f"/v1/tickets/{ticket_id}/replies",
        {"body": "SECRET: customer is on the old plan", "internal": True},
    )
    await sign_in(browser_page, carla)

    await browser_page.get_by_role("link", name="Invoices show the wrong tax rate").click()

    await expect(browser_page.get_by_role("heading", level=1)).to_contain_text(f"#{ticket_id}")
    conversation = browser_page.locator(".conversation")
    await expect(conversation).to_contain_text("Which invoice number shows it?")
    await expect(conversation).to_contain_text(agent.name)
    await expect(browser_page.get_by_text("SECRET: customer is on the old plan")).to_have_count(0)
    await expect(browser_page.locator(".ticket-facts")).to_contain_text(carla.name)
    await expect(browser_page.locator(".answer-due time")).not_to_contain_text("UTC")  # the reader's zone
    await screenshot(browser_page, "portal-ticket")

    await browser_page.get_by_label("Your reply").fill("Invoice 2024-118, issued on Friday.")
    await browser_page.get_by_role("button", name="Send reply").click()

    await expect(conversation).to_contain_text("Invoice 2024-118, issued on Friday.")
    await browser_page.get_by_role("button", name="Close ticket").click()
    await expect(browser_page.get_by_role("heading", level=1)).to_contain_text(f"Close ticket #{ticket_id}?")
    await browser_page.get_by_role("button", name="Close ticket").click()

    await expect(browser_page.get_by_role("status")).to_contain_text("This ticket has been closed.")
    await expect(browser_page.get_by_label("Your reply")).to_have_count(0)
    await expect(browser_page.get_by_role("button", name="Close ticket")).to_have_count(0)
    await screenshot(browser_page, "portal-ticket-closed")


async def test_another_organisations_ticket_is_a_not_found_page(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn, worker: Worker
) -> None:
    carla = await make_person("customer")
    stranger = await make_person("customer")
    theirs = await open_ticket_by_api(portal, stranger, "Their private trouble")
    await sign_in(browser_page, carla)

    answer = await browser_page.goto(portal.url(f"/portal/tickets/{theirs}"))

    assert answer is not None and answer.status == 404
    assert (answer.headers.get("content-type") or "").startswith("text/html")
    await expect(browser_page.get_by_role("heading", level=1)).to_have_text("Page not found")
    await expect(browser_page.get_by_text("Their private trouble")).to_have_count(0)
    for path in (f"/portal/tickets/{theirs}/close", "/portal/tickets/99999999999", "/portal/no-such-page"):
        answer = await browser_page.goto(portal.url(path))
        assert answer is not None and answer.status == 404, path
        await expect(browser_page.get_by_role("heading", level=1)).to_have_text("Page not found")
    async with httpx.AsyncClient(base_url=portal.base_url) as api:  # the API still answers problem+json
        missing = await api.get(f"/v1/tickets/{theirs}", headers={"Authorization": f"Bearer {carla.api_key}"})
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


async def test_an_org_admin_sees_a_colleagues_ticket_with_the_requesters_name(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn, worker: Worker
) -> None:
    otavio = await make_person("org_admin")
    carla = await make_person("customer", org_id=otavio.org_id)
    ticket_id = await open_ticket_by_api(portal, carla, "Boleto vence no feriado", kind="technical")
    await sign_in(browser_page, otavio)

    await browser_page.get_by_label("Whose").select_option("org")

    row = browser_page.get_by_role("row").filter(has_text="Boleto vence no feriado")
    await expect(row).to_contain_text(carla.name)
    await expect(browser_page.get_by_role("columnheader", name="Requester")).to_be_visible()
    await browser_page.get_by_label("Kind").select_option("question")
    await expect(row).to_have_count(0)
    await browser_page.get_by_label("Kind").select_option("technical")
    await browser_page.get_by_label("Search").fill(str(ticket_id))
    await expect(browser_page.get_by_role("row")).to_have_count(2)  # the header and the ticket
    await screenshot(browser_page, "portal-org-tickets")
    await row.get_by_role("link", name=f"#{ticket_id}").click()
    await expect(browser_page.locator(".ticket-facts")).to_contain_text(carla.name)
    await expect(browser_page.get_by_label("Your reply")).to_be_visible()  # org admins reply too
