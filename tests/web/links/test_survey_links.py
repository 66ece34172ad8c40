"""The satisfaction survey from the resolved mail's one-click links, before and after the close,
and the refusals: a link used once, an expired link, a link for a ticket out of sight, a plain GET."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import httpx
from playwright.async_api import Browser, Page, expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.worker import Worker

from domain.signed_links import LinkClaims, LinkPurpose, sign_link
from infra.settings import Settings, link_key
from store.used_link_tables import used_links
from store.used_links import link_hash
from tests.web.conftest import MakePerson, Person, Portal, screenshot
from tests.web.links.conftest import Desk

QUESTION = "Are you satisfied with how we handled your ticket?"


async def resolved_ticket(desk: Desk, make_person: MakePerson, subject: str) -> tuple[Person, Person, int]:
    carla = await make_person("customer")
    ana = await make_person("agent")
    ticket_id = await desk.open_ticket(carla, subject)
    await desk.ok(ana, "POST", f"/v1/tickets/{ticket_id}/resolve", {"comment": "fixed the export"})
    return carla, ana, ticket_id


def token_of(link: str) -> str:
    return urlparse(link).path.rsplit("/", 1)[1]


async def test_survey_yes_from_the_resolved_mail(
    browser_page: Page, desk: Desk, make_person: MakePerson, worker: Worker
) -> None:
    carla, _, ticket_id = await resolved_ticket(desk, make_person, "Export stops at 500 rows")
    link = await desk.link(carla, ticket_id, LinkPurpose.SURVEY_YES)

    await browser_page.goto(link)
    await expect(browser_page.get_by_role("heading", name=QUESTION)).to_be_visible()
    await expect(browser_page.get_by_role("button", name="No")).to_have_count(0)
    await browser_page.get_by_label("Comment").fill("Quick and clear")
    await screenshot(browser_page, "portal-link-survey-confirm")
    await browser_page.get_by_role("button", name="Yes").click()

    await expect(browser_page.get_by_role("status")).to_have_text("Thank you: your answer was recorded.")
    await expect(browser_page.get_by_test_id("ticket-status")).to_have_text("Resolved")
    await screenshot(browser_page, "portal-link-answered")
    ticket = await desk.ticket(carla, ticket_id)
    assert ticket["satisfaction"]["satisfied"] is True
    assert ticket["satisfaction"]["comment"] == "Quick and clear"


async def test_survey_no_after_the_ticket_closed_counts_once(
    browser_page: Page, desk: Desk, make_person: MakePerson, worker: Worker
) -> None:
    carla, _, ticket_id = await resolved_ticket(desk, make_person, "Boleto sem código de barras")
    link = await desk.link(carla, ticket_id, LinkPurpose.SURVEY_NO)
    await desk.ok(carla, "POST", f"/v1/tickets/{ticket_id}/close", {"reason": "all good"})
    assert (await desk.ticket(carla, ticket_id))["status"] == "closed"

    await browser_page.goto(link)
    await browser_page.get_by_label("Comment").fill("Took a week")
    await browser_page.get_by_role("button", name="No").click()

    await expect(browser_page.get_by_test_id("ticket-status")).to_have_text("Closed")
    ticket = await desk.ticket(carla, ticket_id)
    assert ticket["status"] == "closed" and ticket["satisfaction"]["satisfied"] is False
    admin = await make_person("admin")
    report = await desk.ok(admin, "GET", f"/v1/reports/satisfaction?org_id={carla.org_id}")
    assert [(r["answers"], r["satisfied"]) for r in report] == [(1, 0)]
    again = await desk.call(carla, "POST", f"/v1/tickets/{ticket_id}/feedback", {"satisfied": True})
    assert again.status_code == 409, again.text  # one answer per resolution, also after the close
    report = await desk.ok(admin, "GET", f"/v1/reports/satisfaction?org_id={carla.org_id}")
    assert [(r["answers"], r["satisfied"]) for r in report] == [(1, 0)]


async def test_a_used_link_is_refused_with_a_sign_in_offer(
    browser: Browser, browser_page: Page, portal: Portal, desk: Desk, make_person: MakePerson, worker: Worker
) -> None:
    carla, _, ticket_id = await resolved_ticket(desk, make_person, "Relatório em branco")
    link = await desk.link(carla, ticket_id, LinkPurpose.SURVEY_YES)
    await browser_page.goto(link)
    await browser_page.get_by_role("button", name="Yes").click()
    await expect(browser_page.get_by_role("status")).to_be_visible()

    other = await browser.new_context(locale="en-US")
    page = await other.new_page()
    answer = await page.goto(link)
    assert answer is not None and answer.status == 410
    await expect(page.get_by_role("heading", name="This link has already been used")).to_be_visible()
    await expect(page.get_by_label("Email")).to_have_value(carla.email)
    await screenshot(page, "portal-link-used")
    mails_before = len(portal.mails_to(carla.email))
    await page.get_by_role("button", name="Send sign-in link").click()
    await expect(page.get_by_role("status")).to_contain_text(carla.email)
    await portal.link_for(carla.email, 0)
    assert len(portal.mails_to(carla.email)) > mails_before
    await other.close()


async def test_two_racing_clicks_record_one_answer(
    portal: Portal, desk: Desk, make_person: MakePerson, worker: Worker, engine: AsyncEngine
) -> None:
    carla, _, ticket_id = await resolved_ticket(desk, make_person, "Nota duplicada")
    link = await desk.link(carla, ticket_id, LinkPurpose.SURVEY_YES)
    async with httpx.AsyncClient(base_url=portal.base_url, timeout=30) as visitor:
        page = await visitor.get(urlparse(link).path)
        assert page.status_code == 200
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        form = {"csrf_token": csrf, "token": token_of(link), "comment": "twice?"}
        answers = await asyncio.gather(*(visitor.post("/portal/links", data=form) for _ in range(2)))

    assert sorted(a.status_code for a in answers) == [303, 410]
    async with engine.connect() as conn:
        spent = select(func.count()).where(used_links.c.link_hash == link_hash(token_of(link)))
        assert (await conn.execute(spent)).scalar_one() == 1
    ticket = await desk.ticket(carla, ticket_id)
    assert ticket["satisfaction"]["comment"] == "twice?"


async def test_opening_a_link_changes_nothing(
    browser_page: Page, desk: Desk, make_person: MakePerson, worker: Worker, engine: AsyncEngine
) -> None:
    carla, _, ticket_id = await resolved_ticket(desk, make_person, "Integração parada")
    link = await desk.link(carla, ticket_id, LinkPurpose.SURVEY_NO)
    before = await desk.ticket(carla, ticket_id)

    await browser_page.goto(link)  # what a mail scanner (or a curious click) does
    await expect(browser_page.get_by_role("button", name="No")).to_be_visible()
    async with httpx.AsyncClient(timeout=30) as scanner:
        assert (await scanner.get(link)).status_code == 200

    after = await desk.ticket(carla, ticket_id)
    assert (after["status"], after["version"], after["satisfaction"]) == ("resolved", before["version"], None)
    async with engine.connect() as conn:
        spent = select(func.count()).where(used_links.c.link_hash == link_hash(token_of(link)))
        assert (await conn.execute(spent)).scalar_one() == 0


async def test_an_expired_link_is_refused(
    browser_page: Page,
    portal: Portal,
    desk: Desk,
    make_person: MakePerson,
    worker: Worker,
    settings: Settings,
) -> None:
    carla, _, ticket_id = await resolved_ticket(desk, make_person, "Fatura vencida")
    past = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
    token = sign_link(link_key(settings), LinkClaims(carla.user_id, ticket_id, LinkPurpose.SURVEY_YES, past))

    answer = await browser_page.goto(portal.url(f"/portal/links/{token}"))

    assert answer is not None and answer.status == 410
    await expect(browser_page.get_by_role("heading", name="This link has expired")).to_be_visible()
    await expect(browser_page.get_by_label("Email")).to_have_value(carla.email)
    await expect(browser_page.get_by_role("button", name="Yes")).to_have_count(0)
    await screenshot(browser_page, "portal-link-expired")
    assert (await desk.ticket(carla, ticket_id))["satisfaction"] is None


async def test_a_link_for_a_ticket_out_of_sight_is_not_found(
    browser_page: Page,
    portal: Portal,
    desk: Desk,
    make_person: MakePerson,
    worker: Worker,
    settings: Settings,
) -> None:
    _, _, ticket_id = await resolved_ticket(desk, make_person, "Someone else's invoice")
    stranger = await make_person("customer")  # another organisation: never sees the ticket
    future = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    claims = LinkClaims(stranger.user_id, ticket_id, LinkPurpose.SURVEY_YES, future)

    answer = await browser_page.goto(portal.url(f"/portal/links/{sign_link(link_key(settings), claims)}"))

    assert answer is not None and answer.status == 404
    await expect(browser_page.get_by_role("heading", name="This link cannot be opened")).to_be_visible()
    forged = await browser_page.goto(portal.url("/portal/links/eyJyIjoiIn0.AAAA"))
    assert forged is not None and forged.status == 404


async def test_a_view_link_leads_through_sign_in_to_the_ticket(
    browser_page: Page, portal: Portal, desk: Desk, make_person: MakePerson, worker: Worker
) -> None:
    carla, _, ticket_id = await resolved_ticket(desk, make_person, "Onde está meu ticket")
    link = await desk.link(carla, ticket_id, LinkPurpose.VIEW)

    await browser_page.goto(link)

    await expect(browser_page).to_have_url(portal.url(f"/portal/sign-in?next=/portal/tickets/{ticket_id}"))
    await expect(browser_page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
