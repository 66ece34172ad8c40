"""Sign-in by e-mailed link, sessions and sign-out, in a real browser against the real app."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlparse

from playwright.async_api import Browser, Page, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.web.conftest import MakePerson, Portal, SignIn, screenshot


def token_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def test_signing_in_with_the_emailed_link_opens_my_tickets(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn
) -> None:
    carla = await make_person("customer")
    await browser_page.goto(portal.url("/portal/sign-in"))
    await screenshot(browser_page, "portal-sign-in")

    await sign_in(browser_page, carla)

    await expect(browser_page.get_by_role("heading", name="My tickets")).to_be_visible()
    await expect(browser_page.get_by_text(carla.name)).to_be_visible()
    cookies = {c["name"]: c for c in await browser_page.context.cookies()}
    session = cookies["escalator_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and not session["secure"]


async def test_the_answer_is_the_same_whether_or_not_the_address_is_known(
    browser_page: Page, portal: Portal, make_person: MakePerson
) -> None:
    carla = await make_person("customer")
    answers = []
    for email in ("nobody-here@example.test", carla.email):
        await browser_page.goto(portal.url("/portal/sign-in"))
        await browser_page.get_by_label("Email").fill(email)
        await browser_page.get_by_role("button", name="Send sign-in link").click()
        answers.append((await browser_page.locator("main").inner_text()).replace(email, "<address>"))
    assert answers[0] == answers[1]
    await portal.link_for(carla.email)  # the known address did get its link...
    assert portal.mails_to("nobody-here@example.test") == []  # ...and the unknown one nothing


async def test_a_used_link_is_refused(
    browser: Browser, browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn
) -> None:
    carla = await make_person("customer")
    link = await sign_in(browser_page, carla)

    other = await browser.new_context()
    page = await other.new_page()
    await page.goto(link)
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await page.get_by_role("button", name="Sign in").click()
    assert (await answer.value).status == 400
    await expect(page.get_by_role("heading", name="This sign-in link cannot be used")).to_be_visible()
    await page.goto(portal.url("/portal"))
    await expect(page).to_have_url(portal.url("/portal/sign-in?next=/portal"))
    await other.close()


async def test_an_expired_link_is_refused(
    browser_page: Page, portal: Portal, make_person: MakePerson, engine: AsyncEngine
) -> None:
    carla = await make_person("customer")
    await browser_page.goto(portal.url("/portal/sign-in"))
    await browser_page.get_by_label("Email").fill(carla.email)
    await browser_page.get_by_role("button", name="Send sign-in link").click()
    link = await portal.link_for(carla.email)
    async with engine.begin() as conn:
        aged = await conn.execute(
            text("UPDATE signin_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = :h"),
            {"h": sha256(token_of(link))},
        )
        assert aged.rowcount == 1

    await browser_page.goto(link)
    await browser_page.get_by_role("button", name="Sign in").click()

    await expect(browser_page.get_by_role("heading", name="This sign-in link cannot be used")).to_be_visible()
    await screenshot(browser_page, "portal-sign-in-link-refused")


async def test_sign_out_ends_the_session_on_the_server(
    browser: Browser, browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn
) -> None:
    carla = await make_person("customer")
    await sign_in(browser_page, carla)
    session = [c for c in await browser_page.context.cookies() if c["name"] == "escalator_session"]

    await browser_page.get_by_role("button", name="Sign out").click()

    await expect(browser_page.get_by_role("status")).to_have_text("You have signed out.")
    replay = await browser.new_context()
    await replay.add_cookies(session)  # a copy of the cookie taken before signing out
    page = await replay.new_page()
    await page.goto(portal.url("/portal"))
    await expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    await replay.close()


async def test_an_idle_session_and_an_old_session_end(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn, engine: AsyncEngine
) -> None:
    carla = await make_person("customer")
    for aging in (
        "last_seen_at = now() - interval '9 hours'",  # idle longer than 8 h
        "expires_at = now() - interval '1 second'",  # past the 7-day absolute end, however active
    ):
        await sign_in(browser_page, carla)
        async with engine.begin() as conn:
            await conn.execute(
                text(f"UPDATE web_sessions SET {aging} WHERE user_id = :u"), {"u": carla.user_id}
            )
        await browser_page.goto(portal.url("/portal"))
        await expect(browser_page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()


async def test_staff_are_told_the_portal_is_for_customers(
    browser_page: Page, make_person: MakePerson, sign_in: SignIn
) -> None:
    ana = await make_person("agent")
    await sign_in(browser_page, ana)
    await expect(browser_page.get_by_role("heading", name="Not available here")).to_be_visible()
