"""The portal as a person meets it: the real app under uvicorn on loopback, real Postgres and
Temporal (the session fixtures of tests/conftest.py), the SMTP sink catching sign-in mail, and
Debian's Chromium driven by Playwright from PyPI (never `playwright install`).

Page authors: `portal` is the running server, `browser_page` a fresh browser tab (own cookies),
`people` makes an organisation with a customer and an org admin, `sign_in(page, person)` signs a
person in through the e-mailed link, `screenshot(page, name)` saves docs/screenshots/<name>.png.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.app import create_app
from entrypoints.mail_sink import MailSink
from infra.settings import Settings
from integrations.mail.smtp import MailSettings
from store import identities
from tests.support.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LINK = re.compile(r"https?://\S+/portal/sign-in/confirm\?token=[A-Za-z0-9_-]+")
MAIL_WAIT_SECONDS = 30


@dataclass
class Person:
    user_id: str
    org_id: str
    name: str
    email: str
    role: str
    locale: str
    api_key: str


@dataclass
class Portal:
    base_url: str
    sink: MailSink

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    async def link_for(self, email: str, already: int = 0) -> str:
        """The sign-in link of the (already+1)-th mail to `email`, waiting for it to arrive."""
        for _ in range(MAIL_WAIT_SECONDS * 10):
            links = [
                LINK.search(message.get_content())
                for message in list(self.sink.messages)
                if message["To"] == email
            ]
            found = [m.group(0) for m in links if m]
            if len(found) > already:
                return found[already]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no sign-in mail reached {email}")

    def mails_to(self, email: str) -> list[str]:
        return [m.get_content() for m in list(self.sink.messages) if m["To"] == email]


@pytest.fixture(scope="session")
def mail_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    with MailSink(directory=tmp_path_factory.mktemp("portal-mail")) as sink:
        yield sink


@pytest_asyncio.fixture(scope="session")
async def portal(
    settings: Settings, engine: AsyncEngine, client: Client, mail_sink: MailSink
) -> AsyncIterator[Portal]:
    """The whole app (API and pages) served by uvicorn on 127.0.0.1 in this event loop."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(
        settings.model_copy(update={"public_base_url": base_url}), engine=engine, temporal=client, jira=None
    )
    app.state.mail_settings = MailSettings(smtp_host="127.0.0.1", smtp_port=mail_sink.port)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "uvicorn stopped before it started"
        await asyncio.sleep(0.05)
    yield Portal(base_url, mail_sink)
    server.should_exit = True
    await serving


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (make test installs it: apt-get install chromium)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
        )
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture
async def browser_page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh tab with its own cookies, in English, in São Paulo's timezone (UTC-3, no DST)."""
    context = await browser.new_context(
        locale="en-US", timezone_id="America/Sao_Paulo", viewport={"width": 1280, "height": 800}
    )
    page = await context.new_page()
    yield page
    await context.close()


MakePerson = Callable[..., Awaitable[Person]]


@pytest_asyncio.fixture
async def make_person(engine: AsyncEngine) -> MakePerson:
    """`await make_person("customer", locale="pt-BR")`: a user (with an API key) in a new organisation."""

    async def make(role: str = "customer", locale: str = "en", org_id: str | None = None) -> Person:
        suffix = uuid.uuid4().hex[:8]
        async with engine.begin() as conn:
            if org_id is None:
                org_id = (await identities.create_org(conn, f"Org {suffix}", f"org-{suffix}"))["id"]
            name = f"{role.replace('_', ' ').title()} {suffix}"
            email = f"{role}-{suffix}@example.test"
            user = await identities.create_user(conn, org_id, name, email, role, locale)
            key, _ = await identities.issue_key(conn, user["id"], "portal test")
        return Person(user["id"], org_id, name, email, role, locale, key)

    return make


SignIn = Callable[[Page, Person], Awaitable[str]]


@pytest.fixture
def sign_in(portal: Portal) -> SignIn:
    """Sign `person` in on `page` the way a person does; returns the link that was used."""

    async def run(page: Page, person: Person) -> str:
        already = len(portal.mails_to(person.email))
        await page.goto(portal.url("/portal/sign-in"))
        await page.get_by_label("Email").fill(person.email)
        await page.get_by_role("button", name="Send sign-in link").click()
        await expect(page.get_by_role("status")).to_contain_text(person.email)
        link = await portal.link_for(person.email, already)
        await page.goto(link)
        await page.locator("form button.primary").click()
        await expect(page).to_have_url(portal.url("/portal"))
        return link

    return run


async def screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    """Save the page to docs/screenshots/<name>.png (the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path
