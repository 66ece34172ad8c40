"""Every state-changing form carries the visitor's CSRF token; forms keep what was typed and say what is wrong."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.web.conftest import MakePerson, Portal, SignIn, screenshot


async def test_a_post_without_the_csrf_token_is_refused_with_a_page(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn
) -> None:
    carla = await make_person("customer")
    await sign_in(browser_page, carla)
    # A forged form: the same POST with its hidden token removed.
    await browser_page.locator("form.language-switch input[name=csrf_token]").evaluate("e => e.remove()")

    async with browser_page.expect_response(lambda r: r.request.method == "POST") as answer:
        await browser_page.get_by_role("button", name="Português (Brasil)").click()

    assert (await answer.value).status == 403
    await expect(browser_page.get_by_role("heading", name="This form could not be accepted")).to_be_visible()
    await screenshot(browser_page, "portal-csrf-refused")
    await browser_page.goto(portal.url("/portal"))  # nothing changed: still English
    await expect(browser_page.get_by_role("heading", name="My tickets")).to_be_visible()


async def test_another_sessions_token_is_refused(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn
) -> None:
    carla = await make_person("customer")
    await sign_in(browser_page, carla)
    answer = await browser_page.request.post(
        portal.url("/portal/sign-out"), form={"csrf_token": "a-token-of-some-other-session"}, max_redirects=0
    )
    assert answer.status == 403
    await browser_page.goto(portal.url("/portal"))
    await expect(browser_page.get_by_role("heading", name="My tickets")).to_be_visible()


async def test_a_signed_out_form_needs_its_token_too(browser_page: Page, portal: Portal) -> None:
    await browser_page.goto(portal.url("/portal/sign-in"))
    answer = await browser_page.request.post(portal.url("/portal/sign-in"), form={"email": "x@example.test"})
    assert answer.status == 403
    assert "This form could not be accepted" in await answer.text()


async def test_an_invalid_address_is_explained_next_to_the_field_and_kept(
    browser_page: Page, portal: Portal
) -> None:
    await browser_page.goto(portal.url("/portal/sign-in"))
    await browser_page.get_by_label("Email").fill("carla@")
    await browser_page.get_by_role("button", name="Send sign-in link").click()

    field = browser_page.get_by_label("Email")
    await expect(field).to_have_value("carla@")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(field).to_have_accessible_description("Enter an e-mail address like name@example.com.")
    await screenshot(browser_page, "portal-form-error")
