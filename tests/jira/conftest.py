"""Fixtures for tests against the local Jira imitation: one server per session, reset per test.

Every test ends with the server's contract check: no request our code sent may violate
jira-openapi-subset.json, and no 2xx response of the imitation may either (its self-check).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from integrations.jira.client import BearerAuth, JiraClient
from tests.jira_server import JiraServer

WEBHOOK_SECRET = "it's-a-secret"


@pytest.fixture(scope="session")
def jira_server() -> Iterator[JiraServer]:
    server = JiraServer().start()
    yield server
    server.stop()


@pytest.fixture
def jira(jira_server: JiraServer) -> Iterator[JiraServer]:
    """A freshly seeded site whose webhooks go to its own `/_test/webhook-sink`, signed."""
    jira_server.reset()
    jira_server.search_lag = 0.0
    jira_server.configure_webhooks(
        url=f"{jira_server.base_url}/_test/webhook-sink",
        secret=WEBHOOK_SECRET,
        max_retries=2,
        retry_delay=0.05,
        emit_for_api_changes=True,
        events={"jira:issue_updated", "comment_created"},
    )
    yield jira_server
    assert [str(v) for v in jira_server.contract_violations] == []
    assert [str(v) for v in jira_server.response_violations] == []


def basic_client(jira: JiraServer, **options: object) -> JiraClient:
    options = {"timeout": 2.0, "confirm_attempts": 3, "confirm_delay": 0.05, **options}
    return JiraClient(jira.base_url, httpx.BasicAuth(jira.email, jira.api_token), **options)  # type: ignore[arg-type]


def bearer_client(jira: JiraServer, token: str | None = None) -> JiraClient:
    return JiraClient(jira.base_url, BearerAuth(token or jira.pat), timeout=2.0)


@pytest.fixture
async def client(jira: JiraServer) -> AsyncIterator[JiraClient]:
    async with basic_client(jira) as jira_client:
        yield jira_client


@pytest.fixture
async def http(jira: JiraServer) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client authenticated as the bot, for testing the imitation itself."""
    auth = httpx.BasicAuth(jira.email, jira.api_token)
    async with httpx.AsyncClient(base_url=jira.base_url, auth=auth, timeout=5.0) as raw:
        yield raw


class MovedClock:
    """The store's clock for search lag, moved by the test: no sleeping, no racing a loaded machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
