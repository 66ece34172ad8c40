"""Verification from the e-mail link, end to end: an escalation moved to `verifying` by an engineer
(through the services), the verification mail delivered by the outbox to the SMTP sink, its link
clicked and confirmed in the browser; "It works" resolves the ticket, "It still happens" sends the
escalation back to engineering with the comment."""

from __future__ import annotations

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from domain.escalation.commands import MoveStage
from domain.signed_links import LinkPurpose
from infra.settings import Settings
from services.commands import EscalationRef, act, actor_of
from services.context import Context, fixed_client
from store.identities import principal_for_user
from tests.web.conftest import MakePerson, Person, screenshot
from tests.web.links.conftest import Desk
from workflows.escalation import EscalationWorkflow

QUESTION = "Is the problem fixed for you?"


async def escalation_in_verifying(
    desk: Desk, make_person: MakePerson, engine: AsyncEngine, settings: Settings, client: Client, subject: str
) -> tuple[Person, int, str]:
    """A customer's ticket escalated by an agent; an engineer moves it to engineering, then verifying."""
    carla = await make_person("customer")
    ana, enzo = await make_person("agent"), await make_person("engineer")
    ticket_id = await desk.open_ticket(carla, subject)
    escalation = await desk.ok(
        ana, "POST", f"/v1/tickets/{ticket_id}/escalations", {"target": "engineering", "summary": subject}
    )
    async with engine.connect() as conn:
        engineer = await principal_for_user(conn, enzo.user_id)
    assert engineer is not None
    context = Context(engineer, engine, settings, fixed_client(client))
    for stage in ("engineering", "verifying"):
        command = MoveStage(actor_of(engineer), stage, "deployed the fix")
        await act(context, EscalationRef(escalation["id"]), EscalationWorkflow.move_stage, command)
    return carla, ticket_id, str(escalation["id"])


async def test_it_works_from_the_mail_resolves_the_ticket(
    browser_page: Page,
    desk: Desk,
    make_person: MakePerson,
    worker: Worker,
    engine: AsyncEngine,
    settings: Settings,
    client: Client,
) -> None:
    carla, ticket_id, escalation_id = await escalation_in_verifying(
        desk, make_person, engine, settings, client, "Importer duplicates invoices"
    )
    link = await desk.link(carla, ticket_id, LinkPurpose.VERIFY_FIXED)
    assert (await desk.ticket(carla, ticket_id))["status"] == "escalated"

    await browser_page.goto(link)
    await expect(browser_page.get_by_role("heading", name=QUESTION)).to_be_visible()
    await expect(browser_page.get_by_role("button", name="It still happens")).to_have_count(0)
    await screenshot(browser_page, "portal-link-verification-confirm")
    await browser_page.get_by_role("button", name="It works").click()

    await expect(browser_page.get_by_role("status")).to_have_text(
        "Thank you: we have recorded that the fix works."
    )
    await desk.eventually(carla, ticket_id, "status", "resolved")  # the escalation tells its ticket
    await browser_page.reload()
    await expect(browser_page.get_by_test_id("ticket-status")).to_have_text("Resolved")
    await screenshot(browser_page, "portal-link-verification-answered")
    escalation = await desk.ok(carla, "GET", f"/v1/escalations/{escalation_id}")
    assert escalation["stage"] == "resolved"


async def test_it_still_happens_sends_it_back_to_engineering(
    browser_page: Page,
    desk: Desk,
    make_person: MakePerson,
    worker: Worker,
    engine: AsyncEngine,
    settings: Settings,
    client: Client,
) -> None:
    carla, ticket_id, escalation_id = await escalation_in_verifying(
        desk, make_person, engine, settings, client, "Relatório some após importar"
    )
    link = await desk.link(carla, ticket_id, LinkPurpose.VERIFY_NOT_FIXED)

    await browser_page.goto(link)
    await browser_page.get_by_label("Comment").fill("Still duplicated on the 2nd import")
    await browser_page.get_by_role("button", name="It still happens").click()

    await expect(browser_page.get_by_role("status")).to_have_text(
        "Thank you: the problem went back to our engineers."
    )
    escalation = await desk.ok(carla, "GET", f"/v1/escalations/{escalation_id}")
    assert escalation["stage"] == "engineering"
    answered = [e for e in escalation["timeline"] if e["type"] == "verification_answered"]
    assert [(e["data"]["fixed"], e["data"]["comment"]) for e in answered] == [
        (False, "Still duplicated on the 2nd import")
    ]
    assert answered[0]["actor_id"] == carla.user_id
    assert (await desk.ticket(carla, ticket_id))["status"] == "escalated"
