"""The new-ticket form: suggestions while typing, a file attached, the severity's promise, field
errors that keep what was typed, a readable refusal of a file over 500 KB, and the duplicate warning."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.worker import Worker

from store import kb
from tests.web.conftest import MakePerson, Portal, SignIn, screenshot
from tests.web.portal_api import open_ticket_by_api

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


async def add_article(engine: AsyncEngine, title: str, body: str) -> None:
    article = {
        "title": title,
        "body": body,
        "url": f"https://help.example.test/{uuid.uuid4().hex}",
        "language": "en",
        "product": None,
        "tags": [],
    }
    async with engine.begin() as conn:
        await kb.create_article(conn, article)


async def test_a_customer_opens_a_ticket_with_a_file_after_seeing_suggestions(
    browser_page: Page,
    portal: Portal,
    make_person: MakePerson,
    sign_in: SignIn,
    worker: Worker,
    engine: AsyncEngine,
) -> None:
    carla = await make_person("customer")
    await add_article(engine, "Reconciling bank statements", "How to reconcile a bank statement import.")
    await sign_in(browser_page, carla)
    await browser_page.get_by_role("link", name="New ticket").click()

    await browser_page.get_by_label("Product").fill("Ledger")
    await browser_page.get_by_label("Kind").select_option("technical")
    await browser_page.wait_for_load_state("networkidle")  # the severity texts for this product and kind
    severity = browser_page.get_by_label("Severity")
    await expect(severity.locator("option[value='1']")).to_contain_text(
        "first answer within 2 business hours"
    )
    await severity.select_option("2")
    await browser_page.get_by_label("Subject").press_sequentially("bank statement reconcile fails", delay=20)
    suggestion = browser_page.get_by_role("link", name="Reconciling bank statements")
    await expect(suggestion).to_be_visible()
    await browser_page.get_by_label("Description").fill("The import stops at line 40.")
    await browser_page.get_by_label("Attachments").set_input_files(
        [{"name": "screen.png", "mimeType": "image/png", "buffer": PNG}]
    )
    await screenshot(browser_page, "portal-new-ticket")
    await browser_page.get_by_role("button", name="Open ticket").click()

    await expect(browser_page).to_have_url(re.compile(r".*/portal/tickets/\d+$"))
    await expect(browser_page.get_by_role("heading", level=1)).to_contain_text(
        "bank statement reconcile fails"
    )
    facts = browser_page.locator(".ticket-facts")
    await expect(facts).to_contain_text("2 – High")
    await expect(facts).to_contain_text("Technical problem")
    await expect(facts).to_contain_text("Ledger")
    download = browser_page.get_by_role("link", name="screen.png")
    async with browser_page.expect_download() as arriving:
        await download.click()
    saved = await (await arriving.value).path()
    assert saved is not None and saved.read_bytes() == PNG


async def test_bad_input_keeps_what_was_typed_and_says_what_is_wrong_by_each_field(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn, worker: Worker
) -> None:
    carla = await make_person("customer")
    await sign_in(browser_page, carla)
    await browser_page.goto(portal.url("/portal/tickets/new"))

    await browser_page.get_by_label("Product").fill("Payroll")
    await browser_page.get_by_label("Subject").fill("Payslips come out blank")
    await browser_page.get_by_role("button", name="Open ticket").click()

    description = browser_page.get_by_label("Description")
    await expect(description).to_have_attribute("aria-invalid", "true")
    error_id = (await description.get_attribute("aria-describedby") or "").split()[-1]
    await expect(browser_page.locator(f"#{error_id}")).to_contain_text("Describe the problem")
    await expect(browser_page.get_by_label("Subject")).to_have_value("Payslips come out blank")
    await expect(browser_page.get_by_label("Product")).to_have_value("Payroll")
    await screenshot(browser_page, "portal-new-ticket-errors")

    await description.fill("Every payslip of March is empty.")
    await browser_page.get_by_label("Attachments").set_input_files(
        [{"name": "payslips.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n" + b"0" * 600_000}]
    )
    await browser_page.get_by_role("button", name="Open ticket").click()

    files = browser_page.get_by_label("Attachments")
    await expect(files).to_have_attribute("aria-invalid", "true")
    await expect(browser_page.locator("#attachments-error")).to_have_text(
        "payslips.pdf is larger than 500 KB. Attach a smaller file, or split or compress it."
    )
    await expect(browser_page.get_by_label("Description")).to_have_value("Every payslip of March is empty.")

    await browser_page.get_by_label("Attachments").set_input_files(
        [{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00 not a pdf at all"}]
    )
    await browser_page.get_by_role("button", name="Open ticket").click()
    await expect(browser_page.locator("#attachments-error")).to_contain_text(
        "notes.pdf is not a file type we accept"
    )


async def test_a_similar_open_ticket_is_shown_and_the_customer_may_open_anyway(
    browser_page: Page, portal: Portal, make_person: MakePerson, sign_in: SignIn, worker: Worker
) -> None:
    carla = await make_person("customer")
    first = await open_ticket_by_api(portal, carla, "Nota fiscal rejeitada pela SEFAZ")
    await sign_in(browser_page, carla)
    await browser_page.goto(portal.url("/portal/tickets/new"))
    await browser_page.get_by_label("Subject").fill("Nota fiscal rejeitada pela SEFAZ hoje")
    await browser_page.get_by_label("Description").fill("Rejeição 539 em todas as notas.")
    await browser_page.get_by_label("Attachments").set_input_files(
        [{"name": "sefaz.png", "mimeType": "image/png", "buffer": PNG}]
    )
    await browser_page.get_by_role("button", name="Open ticket").click()

    warning = browser_page.get_by_role("alert").filter(has_text="You may already have a ticket about this")
    await expect(
        warning.get_by_role("link", name=f"#{first} Nota fiscal rejeitada pela SEFAZ")
    ).to_be_visible()
    await expect(browser_page.get_by_label("Subject")).to_have_value("Nota fiscal rejeitada pela SEFAZ hoje")
    await screenshot(browser_page, "portal-new-ticket-duplicate")
    await browser_page.get_by_label("Open anyway: my problem is a different one").check()
    await browser_page.get_by_role("button", name="Open ticket").click()

    await expect(browser_page.get_by_role("heading", level=1)).to_contain_text(
        "Nota fiscal rejeitada pela SEFAZ hoje"
    )
    heading = await browser_page.get_by_role("heading", level=1).inner_text()
    assert f"#{first}" not in heading
    await expect(browser_page.get_by_role("link", name="sefaz.png")).to_be_visible()  # the file was kept
