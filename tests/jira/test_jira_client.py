"""JiraClient against the local Jira imitation: happy paths, error classification, idempotent create."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.escalation.card_progress import CardProgress
from integrations.jira.adf import adf_to_text
from integrations.jira.client import (
    JiraClient,
    JiraIssue,
    JiraNotFoundError,
    JiraRejectedError,
    JiraRetryableError,
    JiraStatus,
    JiraTransitionUnavailableError,
    escalation_label,
    parse_retry_after,
)
from integrations.jira.settings import JiraSettings
from tests.jira.conftest import MovedClock, basic_client, bearer_client
from tests.jira_server import JiraServer

ESCALATION_URL = "http://127.0.0.1:8000/v1/escalations/CP-123"
CREATE = r"/rest/api/3/issue"


async def _create(client: JiraClient, escalation_id: str = "CP-123", project: str = "ESC") -> JiraIssue:
    return await client.create_issue(
        project,
        "Task",
        "Exports time out for org 42",
        "Customer reports exports time out.\nSince Monday.\n\nTicket #981",
        ["support", "sev-2"],
        escalation_id,
        f"http://127.0.0.1:8000/v1/escalations/{escalation_id}",
    )


def _status(issue: JiraIssue) -> JiraStatus:
    assert issue.status is not None
    return issue.status


def _settings() -> JiraSettings:
    return JiraSettings()  # type: ignore[call-arg]  # base_url comes from the environment


def _requests(jira: JiraServer, method: str, path: str) -> int:
    return sum(1 for r in jira.requests if r.method == method and r.path == path)


async def test_create_issue_sends_adf_labels_property_and_remote_link(client, jira):
    issue = await _create(client)

    assert issue.key == "ESC-1"
    assert _status(issue).name == "Accepted" and _status(issue).category_key == "new"
    assert issue.url == f"{jira.base_url}/browse/ESC-1"
    stored = jira.issue_json("ESC-1")
    fields = stored["fields"]
    assert fields["labels"] == ["support", "sev-2", escalation_label("CP-123")]
    assert fields["description"]["type"] == "doc"
    assert adf_to_text(fields["description"]).splitlines() == [
        "Customer reports exports time out.", "Since Monday.", "", "Ticket #981", "", f"Escalation: {ESCALATION_URL}",
    ]  # fmt: skip
    assert stored["properties"]["escalator"] == {"escalationId": "CP-123", "escalationUrl": ESCALATION_URL}
    links = jira.store.issue("ESC-1").remote_links
    assert [(link.global_id, link.request["object"]["url"]) for link in links] == [
        (ESCALATION_URL, ESCALATION_URL)
    ]


async def test_get_issue_reads_status_and_follows_case_insensitive_key(client):
    created = await _create(client)
    read = await client.get_issue("esc-1")
    assert (read.key, read.id, read.summary, read.escalation_id) == (
        "ESC-1",
        created.id,
        created.summary,
        "CP-123",
    )
    with pytest.raises(JiraNotFoundError) as raised:
        await client.get_issue("ESC-999")
    assert raised.value.status == 404


async def test_transitions_are_looked_up_per_issue_and_performed_by_name(client, jira):
    esc = await _create(client, "CP-1", "ESC")
    ops = await _create(client, "CP-2", "OPS")

    esc_ids = {t.to.name: t.id for t in await client.list_transitions(esc.key)}
    ops_ids = {t.to.name: t.id for t in await client.list_transitions(ops.key)}
    assert esc_ids == {"In Progress": "11"}
    assert ops_ids["In Progress"] != esc_ids["In Progress"]

    for issue in (esc, ops):
        for status in ("In Progress", "In Review", "Done"):
            assert await client.transition(issue.key, status) is True
        card = _status(await client.get_issue(issue.key))
        assert (card.name, card.category_key) == ("Done", "done")
    assert jira.issue_json(esc.key)["fields"]["resolution"]["name"] == "Done"


async def test_moving_backwards_and_repeating_a_move(client, jira):
    issue = await _create(client)
    await client.transition(issue.key, "in progress")
    await client.transition(issue.key, "In Review")
    assert await client.transition(issue.key, "In Progress") is True  # back: review found a problem
    assert await client.transition(issue.key, "In Progress") is False  # already there: no request
    assert _status(await client.get_issue(issue.key)).name == "In Progress"
    posts = [r.json() for r in jira.requests if r.method == "POST" and r.path.endswith("/transitions")]
    assert posts == [{"transition": {"id": "11"}}, {"transition": {"id": "21"}}, {"transition": {"id": "41"}}]


async def test_unavailable_transition_is_rejected_with_the_options(client):
    issue = await _create(client)
    with pytest.raises(JiraTransitionUnavailableError) as raised:
        await client.transition(issue.key, "Done")  # ESC's workflow has no Accepted → Done
    assert "Start Progress → In Progress" in str(raised.value)


async def test_comment_is_posted_as_adf(client, jira):
    issue = await _create(client)
    comment = await client.add_comment(issue.key, "Customer confirmed.\n\nThanks!")
    assert comment.text == "Customer confirmed.\n\nThanks!"
    body = jira.store.issue(issue.key).comments[0].body
    assert body["type"] == "doc" and len(body["content"]) == 2


async def test_search_follows_next_page_tokens(client, jira):
    for number in range(5):
        await _create(client, f"CP-{number}")
    jira.log.clear()

    found = await client.search_jql("project = ESC ORDER BY key ASC", page_size=2)

    assert [issue.key for issue in found] == [f"ESC-{n}" for n in range(1, 6)]
    assert found[0].status is not None and found[0].labels
    bodies = [r.json() for r in jira.requests if r.path == "/rest/api/3/search/jql"]
    assert len(bodies) == 3 and "nextPageToken" not in bodies[0] and bodies[1]["nextPageToken"]
    assert [issue.key for issue in await client.search_jql('labels = "esc-CP-3"')] == ["ESC-4"]
    assert len(await client.search_jql("project = ESC", page_size=2, limit=3)) == 3


async def test_rate_limit_is_retryable_with_retry_after_seconds(client, jira):
    jira.inject("rate_limit", retry_after=7, path=r"/rest/api/3/issue/.*")
    with pytest.raises(JiraRetryableError) as raised:
        await client.get_issue("ESC-1")
    assert (raised.value.status, raised.value.retry_after) == (429, 7.0)


async def test_rate_limit_retry_after_as_http_date(client, jira):
    jira.inject("rate_limit", retry_after=30, retry_after_http_date=True)
    with pytest.raises(JiraRetryableError) as raised:
        await client.search_jql("project = ESC")
    assert raised.value.retry_after is not None and 25 <= raised.value.retry_after <= 31


async def test_service_unavailable_is_retryable(client, jira):
    jira.inject("unavailable", retry_after=2)
    with pytest.raises(JiraRetryableError) as raised:
        await client.list_transitions("ESC-1")
    assert (raised.value.status, raised.value.retry_after) == (503, 2.0)
    jira.inject("error", status=502)
    with pytest.raises(JiraRetryableError) as raised:
        await client.search_jql("project = ESC")
    assert (raised.value.status, raised.value.retry_after) == (502, None)


async def test_timeout_is_retryable(jira):
    jira.inject("delay", delay=0.5, path=r"/rest/api/3/search/jql")
    async with basic_client(jira, timeout=0.1) as slow_client:
        with pytest.raises(JiraRetryableError) as raised:
            await slow_client.search_jql("project = ESC")
    assert raised.value.status is None and "timed out" in str(raised.value)
    await asyncio.sleep(0.5)  # let the delayed request finish before the next test resets the site


async def test_connection_refused_is_retryable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with JiraClient(f"http://127.0.0.1:{port}", httpx.BasicAuth("a", "b"), timeout=1.0) as offline:
        with pytest.raises(JiraRetryableError):
            await offline.get_issue("ESC-1")


async def test_bad_project_is_rejected_not_retried(client):
    with pytest.raises(JiraRejectedError) as raised:
        await _create(client, project="NOPE")
    assert raised.value.status == 400
    assert raised.value.messages == ["project: valid project is required"]
    assert not isinstance(raised.value, JiraRetryableError)


async def test_create_after_lost_response_leaves_exactly_one_issue(client, jira):
    jira.inject("lose_response", method="POST", path=CREATE)

    issue = await _create(client)  # the POST succeeded but its response was cut; a search confirms it
    again = await _create(client)  # and a later retry of the activity finds it as well

    assert issue.key == again.key == "ESC-1"
    assert len(jira.issues()) == 1
    assert _requests(jira, "POST", CREATE) == 1
    assert len(jira.store.issue("ESC-1").remote_links) == 1


async def test_create_after_gateway_timeout_that_did_create(client, jira):
    jira.inject("lose_response", status=504, method="POST", path=CREATE)
    issue = await _create(client)
    assert issue.key == "ESC-1" and len(jira.issues()) == 1
    assert [r.status for r in jira.requests if r.path == CREATE] == [504]


async def test_create_after_lost_response_while_search_lags(client, jira):
    clock = jira.store.clock = MovedClock()  # search lags until the test moves this clock
    jira.search_lag = 3.0
    jira.inject("lose_response", method="POST", path=CREATE)

    with pytest.raises(JiraRetryableError):  # search cannot see the new issue yet: do not re-POST
        await _create(client)
    clock.now += 3.0  # the lag is over (however long the client's confirmation attempts took)
    issue = await _create(client)  # the activity's next attempt

    assert issue.key == "ESC-1" and len(jira.issues()) == 1
    assert _requests(jira, "POST", CREATE) == 1


async def test_create_after_timeout_when_jira_finishes_late(jira):
    jira.inject("delay", delay=1.5, method="POST", path=CREATE)
    async with basic_client(jira, timeout=0.3) as impatient:
        with pytest.raises(JiraRetryableError):
            await _create(impatient)
    for _ in range(100):  # wait (generously, CI machines are shared) until Jira has finished the late create
        if jira.issues():
            break
        await asyncio.sleep(0.05)
    async with basic_client(jira) as patient:
        issue = await _create(patient)
    assert issue.key == "ESC-1" and len(jira.issues()) == 1


async def test_rate_limited_create_is_not_executed_and_retry_creates_once(client, jira):
    jira.inject("rate_limit", retry_after=1, method="POST", path=CREATE)
    with pytest.raises(JiraRetryableError) as raised:
        await _create(client)
    assert raised.value.status == 429 and jira.issues() == []
    await _create(client)
    assert len(jira.issues()) == 1


async def test_basic_and_bearer_auth(jira):
    async with basic_client(jira) as basic, bearer_client(jira) as bearer:
        created = await _create(basic)
        assert (await bearer.get_issue(created.key)).key == created.key
    authorizations = {r.headers["authorization"].split()[0] for r in jira.requests}
    assert authorizations == {"Basic", "Bearer"}
    async with bearer_client(jira, token="wrong") as intruder:
        with pytest.raises(JiraRejectedError) as raised:
            await intruder.get_issue(created.key)
    assert raised.value.status == 401


async def test_client_from_settings(jira, monkeypatch):
    monkeypatch.setenv("JIRA_BASE_URL", jira.base_url + "/")
    monkeypatch.setenv("JIRA_PAT", jira.pat)
    monkeypatch.setenv("JIRA_STATUS_MAP", '{"In Review": "in_review", "QA": "in_review"}')
    settings = _settings()
    assert settings.uses_pat and settings.project == "ESC" and settings.issue_type == "Task"
    assert settings.status_map == {"in review": CardProgress.IN_REVIEW, "qa": CardProgress.IN_REVIEW}
    async with JiraClient.from_settings(settings) as from_env:
        issue = await from_env.create_issue(
            settings.project, settings.issue_type, "From settings", "body", [], "CP-9", ESCALATION_URL
        )
    assert jira.requests[-1].headers["authorization"] == f"Bearer {jira.pat}"
    assert issue.key == "ESC-1"


def test_settings_need_one_auth_mode(monkeypatch):
    monkeypatch.setenv("JIRA_BASE_URL", "http://127.0.0.1:1")
    for name in ("JIRA_PAT", "JIRA_EMAIL", "JIRA_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="JIRA_PAT"):
        _settings()
    monkeypatch.setenv("JIRA_EMAIL", "bot@example.com")
    with pytest.raises(ValueError, match="together"):
        _settings()
    monkeypatch.setenv("JIRA_API_TOKEN", "t")
    assert not _settings().uses_pat


def test_parse_retry_after():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    later = (now + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after("5", now) == 5.0
    assert parse_retry_after(later, now) == 90.0
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None) is None
