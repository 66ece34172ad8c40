"""pt-BR and English: by the user's locale, by the switch on every page, and in the sign-in mail."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.web.conftest import MakePerson, Portal, SignIn


async def test_the_switch_shows_pt_br_to_a_signed_out_visitor_and_remembers_it(
    browser_page: Page, portal: Portal
) -> None:
    await browser_page.goto(portal.url("/portal/sign-in"))
    await browser_page.get_by_role("button", name="Português (Brasil)").click()

    await expect(browser_page.get_by_role("heading", name="Entrar")).to_be_visible()
    await expect(browser_page.locator("html")).to_have_attribute("lang", "pt-BR")
    await expect(browser_page.get_by_role("button", name="Enviar link de acesso")).to_be_visible()
    await browser_page.goto(portal.url("/portal/sign-in"))  # a cookie keeps the choice
    await expect(browser_page.get_by_label("E-mail")).to_be_visible()


async def test_a_signed_in_person_switches_to_pt_br_and_back(
    browser_page: Page, make_person: MakePerson, sign_in: SignIn
) -> None:
    carla = await make_person("customer", locale="en")
    await sign_in(browser_page, carla)

    await browser_page.get_by_role("button", name="Português (Brasil)").click()
    await expect(browser_page.get_by_role("heading", name="Meus tickets")).to_be_visible()
    await expect(browser_page.get_by_role("button", name="Sair")).to_be_visible()
    await browser_page.get_by_role("button", name="English").click()
    await expect(browser_page.get_by_role("heading", name="My tickets")).to_be_visible()


async def test_a_pt_br_user_reads_pages_and_the_sign_in_mail_in_portuguese(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn
) -> None:
    otavio = await make_person("org_admin", locale="pt-BR")
    await sign_in(browser_page, otavio)

    await expect(browser_page.get_by_role("heading", name="Meus tickets")).to_be_visible()
    assert "Abra este link para entrar no Escalator" in portal.mails_to(otavio.email)[-1]
