"""The Jira imitation itself: contract validation, Jira's answers, fault injection, signed webhooks, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.webhook_signature import verify
from tests.jira.conftest import WEBHOOK_SECRET, MovedClock
from tests.jira_server import DEVELOPER, JiraServer
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "x"}]}],
}


def _issue_body(project: str = "ESC", **fields: object) -> dict[str, object]:
    base = {"project": {"key": project}, "issuetype": {"name": "Task"}, "summary": "Card", "description": ADF}
    return {"fields": {**base, **fields}}


async def _new_issue(http: httpx.AsyncClient, project: str = "ESC", **fields: object) -> str:
    response = await http.post("/rest/api/3/issue", json=_issue_body(project, **fields))
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def _sink(jira: JiraServer) -> list[tuple[dict[str, str], bytes]]:
    return list(jira.sink.received)


# --- the contract check can fail --------------------------------------------------------------


async def test_malformed_requests_are_answered_400_and_recorded(http, jira):
    bad_bean = await http.post("/rest/api/3/search/jql", json={"jql": "project = ESC", "startAt": 0})
    bad_param = await http.get("/rest/api/3/search/jql", params={"jql": "project = ESC", "maxResults": "ten"})
    missing_title = await http.post(
        "/rest/api/3/issue/ESC-1/remotelink", json={"object": {"url": "http://x"}}
    )
    not_json = await http.post(
        "/rest/api/3/issue",
        content=b"summary=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    removed = await http.get("/rest/api/3/search", params={"jql": "project = ESC"})

    assert [r.status_code for r in (bad_bean, bad_param, missing_title, not_json)] == [400] * 4
    assert "Request does not match" in bad_bean.json()["errorMessages"][0]
    assert removed.status_code == 410 and "CHANGE-2046" in removed.json()["errorMessages"][0]
    flagged = [(v.method, v.path) for v in jira.contract_violations]
    assert flagged == [
        ("POST", "/rest/api/3/search/jql"),
        ("GET", "/rest/api/3/search/jql"),
        ("POST", "/rest/api/3/issue/ESC-1/remotelink"),
        ("POST", "/rest/api/3/issue"),
        ("GET", "/rest/api/3/search"),
    ]
    assert any("startAt" in error for error in jira.contract_violations[0].errors)
    assert jira.issues() == []  # nothing invalid was executed
    jira.reset()  # the violations were the point of this test


async def test_every_request_is_recorded(http, jira):
    key = await _new_issue(http)
    await http.get(f"/rest/api/3/issue/{key}", params={"fields": "status"})
    recorded = jira.requests
    assert [(r.method, r.path, r.status) for r in recorded] == [
        ("POST", "/rest/api/3/issue", 201),
        ("GET", f"/rest/api/3/issue/{key}", 200),
    ]
    assert recorded[0].json()["fields"]["summary"] == "Card"
    assert recorded[1].query == [("fields", "status")] and recorded[1].account_id is not None


# --- authentication ---------------------------------------------------------------------------


async def test_basic_and_bearer_auth_else_401(jira):
    async def myself(auth: httpx.Auth | None, headers: dict[str, str] | None = None) -> httpx.Response:
        async with httpx.AsyncClient(base_url=jira.base_url, auth=auth, headers=headers) as raw:
            return await raw.get("/rest/api/3/myself")

    basic = await myself(httpx.BasicAuth(jira.email, jira.api_token))
    bearer = await myself(None, {"Authorization": f"Bearer {jira.pat}"})
    assert basic.status_code == bearer.status_code == 200
    assert basic.json()["emailAddress"] == jira.email
    for auth, headers in [
        (None, None),
        (httpx.BasicAuth(jira.email, "wrong"), None),
        (httpx.BasicAuth(jira.pat, ""), None),  # a PAT is not a Basic password
        (None, {"Authorization": "Bearer nope"}),
    ]:
        response = await myself(auth, headers)
        assert response.status_code == 401 and response.json()["errorMessages"]
    # /myself declares no anonymous access, so the request without credentials also breaks the contract
    [anonymous] = jira.contract_violations
    assert "Security not found" in anonymous.errors[0]
    jira.reset()


# --- Jira's answers ---------------------------------------------------------------------------


async def test_create_is_validated_like_jira(http, jira):
    cases = [
        (_issue_body("NOPE"), {"project": "valid project is required"}),
        (_issue_body(description="plain text"), "description"),
        (
            _issue_body(labels=["has space"]),
            {"labels": "The label 'has space' contains spaces which is invalid."},
        ),
        (_issue_body(summary=""), {"summary": "You must specify a summary of the issue."}),
        (_issue_body(issuetype={"name": "Epic"}), {"issuetype": "Specify a valid issue type"}),
    ]
    for body, expected in cases:
        response = await http.post("/rest/api/3/issue", json=body)
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert errors == expected if isinstance(expected, dict) else expected in errors
    assert jira.issues() == []


async def test_issue_shape_fields_filter_and_case_insensitive_key(http):
    key = await _new_issue(http, labels=["a"])
    full = (await http.get(f"/rest/api/3/issue/{key.lower()}")).json()
    assert full["key"] == key
    fields = full["fields"]
    assert fields["status"]["statusCategory"]["key"] == "new"
    assert fields["status"]["name"] == "Accepted"
    assert fields["project"]["key"] == "ESC" and fields["issuetype"]["name"] == "Task"
    assert fields["comment"] == {"comments": [], "self": fields["comment"]["self"], "maxResults": 5000,
                                 "total": 0, "startAt": 0}  # fmt: skip
    assert len(fields["created"]) == len("2021-01-17T12:34:00.000+0000") and fields["created"].endswith(
        "+0000"
    )
    narrow = (await http.get(f"/rest/api/3/issue/{key}", params={"fields": "summary,status"})).json()
    assert set(narrow["fields"]) == {"summary", "status"}
    missing = await http.get("/rest/api/3/issue/ESC-404")
    assert missing.status_code == 404 and missing.json()["errorMessages"]


async def test_transitions_depend_on_workflow_and_status(http):
    esc, ops = await _new_issue(http, "ESC"), await _new_issue(http, "OPS")
    esc_list = (await http.get(f"/rest/api/3/issue/{esc}/transitions")).json()["transitions"]
    ops_list = (await http.get(f"/rest/api/3/issue/{ops}/transitions")).json()["transitions"]
    assert [(t["id"], t["to"]["name"]) for t in esc_list] == [("11", "In Progress")]
    assert {t["to"]["name"] for t in ops_list} == {"In Progress", "In Review", "Done"}
    assert {t["id"] for t in ops_list}.isdisjoint({t["id"] for t in esc_list})

    wrong = await http.post(f"/rest/api/3/issue/{esc}/transitions", json={"transition": {"id": "31"}})
    assert wrong.status_code == 400 and "not valid" in wrong.json()["errorMessages"][0]
    screen = await http.post(
        f"/rest/api/3/issue/{esc}/transitions",
        json={"transition": {"id": "11"}, "fields": {"resolution": None}},
    )
    assert screen.status_code == 400 and "resolution" in screen.json()["errors"]
    moved = await http.post(f"/rest/api/3/issue/{esc}/transitions", json={"transition": {"id": "11"}})
    assert moved.status_code == 204 and moved.content == b""
    after = (await http.get(f"/rest/api/3/issue/{esc}/transitions")).json()["transitions"]
    assert {t["to"]["name"] for t in after} == {"In Review", "Accepted"}


async def test_comments_need_adf_and_are_paginated(http):
    key = await _new_issue(http)
    plain = await http.post(f"/rest/api/3/issue/{key}/comment", json={"body": "plain string"})
    assert plain.status_code == 400 and "Atlassian Document" in plain.json()["errors"]["comment"]
    for _ in range(3):
        created = await http.post(f"/rest/api/3/issue/{key}/comment", json={"body": ADF})
        assert created.status_code == 201 and created.json()["body"] == ADF
    page = (await http.get(f"/rest/api/3/issue/{key}/comment", params={"startAt": 1, "maxResults": 1})).json()
    assert (page["total"], page["startAt"], len(page["comments"])) == (3, 1, 1)


async def test_remote_link_upserts_by_global_id(http):
    key = await _new_issue(http)
    link: dict[str, Any] = {
        "globalId": "escalation:CP-1",
        "object": {"url": "http://127.0.0.1/e/CP-1", "title": "CP-1"},
    }
    first = await http.post(f"/rest/api/3/issue/{key}/remotelink", json=link)
    link["object"]["title"] = "CP-1 (renamed)"
    second = await http.post(f"/rest/api/3/issue/{key}/remotelink", json=link)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    one = await http.get(f"/rest/api/3/issue/{key}/remotelink", params={"globalId": "escalation:CP-1"})
    assert one.json()["object"]["title"] == "CP-1 (renamed)"
    assert len((await http.get(f"/rest/api/3/issue/{key}/remotelink")).json()) == 1


async def test_entity_properties(http):
    key = await _new_issue(http)
    url = f"/rest/api/3/issue/{key}/properties/escalator"
    assert (await http.get(url)).status_code == 404
    assert (await http.put(url, json={"escalationId": "CP-1"})).status_code == 201
    assert (await http.put(url, json={"escalationId": "CP-2"})).status_code == 200
    assert (await http.get(url)).json() == {"key": "escalator", "value": {"escalationId": "CP-2"}}
    bean = (await http.get(f"/rest/api/3/issue/{key}", params={"properties": "escalator"})).json()
    assert bean["properties"] == {"escalator": {"escalationId": "CP-2"}}


async def test_search_pagination_and_default_fields(http):
    keys = [await _new_issue(http, labels=["batch"]) for _ in range(3)]
    query = {"jql": 'labels = "batch" ORDER BY key ASC', "maxResults": 2}
    first = (await http.post("/rest/api/3/search/jql", json=query)).json()
    assert first["issues"] == [{"id": first["issues"][0]["id"]}, {"id": first["issues"][1]["id"]}]
    assert first["isLast"] is False and "total" not in first
    second = (
        await http.post("/rest/api/3/search/jql", json={**query, "nextPageToken": first["nextPageToken"]})
    ).json()
    assert second["isLast"] is True and "nextPageToken" not in second and len(second["issues"]) == 1
    got = await http.get(
        "/rest/api/3/search/jql", params={"jql": f"key in ({keys[0]}, {keys[2]})", "fields": "summary,status"}
    )
    assert sorted(issue["key"] for issue in got.json()["issues"]) == [keys[0], keys[2]]


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("order by created DESC", "Unbounded JQL"),
        ("", "Unbounded JQL"),
        ('issue.property[escalator].escalationId = "CP-1"', "does not exist"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("key = ESC-999", "An issue with key 'ESC-999' does not exist for field 'key'."),
        ('summary ~ "export"', "does not exist"),
        ("issue in issuesWithRemoteLinksByGlobalId(x)", "Unable to find JQL function"),
        ("project = ", "Error in the JQL Query"),
        ("labels ~ x", "not supported"),
    ],
)
async def test_unsupported_or_invalid_jql_is_400(http, jql, message):
    response = await http.post("/rest/api/3/search/jql", json={"jql": jql})
    assert response.status_code == 400
    assert message in response.json()["errorMessages"][0]


async def test_search_is_eventually_consistent_unless_reconciled(http, jira):
    clock = jira.store.clock = MovedClock()
    jira.search_lag = 0.3
    key = await _new_issue(http, labels=["fresh"])
    issue_id = jira.store.issue(key).id
    query = {"jql": 'labels = "fresh"', "fields": ["summary"]}
    assert (await http.post("/rest/api/3/search/jql", json=query)).json()["issues"] == []
    reconciled = await http.post("/rest/api/3/search/jql", json={**query, "reconcileIssues": [int(issue_id)]})
    assert [i["key"] for i in reconciled.json()["issues"]] == [key]
    clock.now += 0.3
    assert [i["key"] for i in (await http.post("/rest/api/3/search/jql", json=query)).json()["issues"]] == [
        key
    ]


async def test_changelog_and_status_categories(http, jira):
    key = await _new_issue(http)
    jira.move_card(key, "In Progress")
    log = (await http.get(f"/rest/api/3/issue/{key}/changelog")).json()
    assert log["total"] == 1 and log["values"][0]["items"][0]["toString"] == "In Progress"
    categories = (await http.get("/rest/api/3/statuscategory")).json()
    assert {c["key"] for c in categories} == {"undefined", "new", "indeterminate", "done"}


# --- fault injection --------------------------------------------------------------------------


async def test_rate_limit_headers_then_normal_service(http, jira):
    jira.inject("rate_limit", 2, retry_after=3)
    for _ in range(2):
        limited = await http.get("/rest/api/3/myself")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "3" and limited.headers["RateLimit-Reason"]
        assert limited.headers["X-RateLimit-Reset"].endswith("Z")
    assert (await http.get("/rest/api/3/myself")).status_code == 200
    assert [r.fault for r in jira.requests] == ["rate_limit", "rate_limit", None]


async def test_lost_response_still_performs_the_action(http, jira):
    jira.inject("lose_response", method="POST", path="/rest/api/3/issue")
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post("/rest/api/3/issue", json=_issue_body())
    assert [issue.key for issue in jira.issues()] == ["ESC-1"]


async def test_faults_over_http_admin_endpoint(http, jira):
    spec = {"kind": "unavailable", "count": 1, "retry_after": 5, "path": "/rest/api/3/myself"}
    assert (await http.post("/_test/faults", json=spec)).status_code == 201
    assert (await http.get("/rest/api/3/issue/ESC-1")).status_code == 404  # path does not match
    unavailable = await http.get("/rest/api/3/myself")
    assert unavailable.status_code == 503 and unavailable.headers["Retry-After"] == "5"
    await http.post("/_test/faults", json={"kind": "error", "status": 500, "count": 3})
    assert len((await http.get("/_test/faults")).json()) == 1
    assert (await http.delete("/_test/faults")).status_code == 204
    assert (await http.get("/rest/api/3/myself")).status_code == 200
    assert (await http.get("/_test/requests")).json()[0]["path"] == "/rest/api/3/issue/ESC-1"


# --- webhooks ---------------------------------------------------------------------------------


async def test_moving_a_card_sends_a_signed_issue_updated_webhook(http, jira):
    key = await _new_issue(http)
    jira.sink.clear()

    dispatch = jira.move_card(key, "In Progress")
    assert await dispatch.delivered() == ["200"]

    [(headers, body)] = _sink(jira)
    assert verify(WEBHOOK_SECRET, body, headers["x-hub-signature"])
    assert headers["x-hub-signature"].startswith("sha256=")
    assert headers["x-atlassian-webhook-identifier"] == dispatch.identifier
    assert not verify(WEBHOOK_SECRET, body.replace(b"In Progress", b"Done"), headers["x-hub-signature"])
    assert not verify("another-secret", body, headers["x-hub-signature"])

    payload = json.loads(body)
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["user"]["accountId"] == DEVELOPER.account_id
    assert payload["changelog"]["items"] == [
        {"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "10001", "fromString": "Accepted",
         "to": "3", "toString": "In Progress"}
    ]  # fmt: skip
    status = payload["issue"]["fields"]["status"]
    assert (status["name"], status["statusCategory"]["key"]) == ("In Progress", "indeterminate")
    assert payload["issue"]["self"].endswith(f"/rest/api/2/issue/{payload['issue']['id']}")
    assert isinstance(payload["issue"]["fields"]["description"], str)


async def test_resolving_and_reopening_carry_resolution_items(http, jira):
    key = await _new_issue(http, "OPS")
    jira.move_card(key, "Done").wait()
    reopened = jira.move_card(key, "To Do", dc_style=True)
    reopened.wait()
    resolve_items, reopen_items = (json.loads(body)["changelog"]["items"] for _, body in _sink(jira))
    assert [item["field"] for item in resolve_items] == ["resolution", "status"]
    assert reopen_items[0] == {"field": "resolution", "fieldtype": "jira", "from": "10000", "fromString": "Done",
                               "to": None, "toString": None}  # fmt: skip
    assert "fieldId" not in reopen_items[1]


async def test_lost_duplicate_and_late_webhooks(http, jira):
    key = await _new_issue(http)
    jira.sink.clear()

    lost = jira.move_card(key, "In Progress", delivery="lost")
    late = jira.move_card(key, "In Review", delivery="late", delay=0.3)
    duplicate = jira.move_card(key, "In Progress", delivery="duplicate")
    await duplicate.delivered()
    await late.delivered()

    assert lost.attempts == [] and await lost.delivered() == []
    identifiers = [headers["x-atlassian-webhook-identifier"] for headers, _ in _sink(jira)]
    assert identifiers == [duplicate.identifier, duplicate.identifier, late.identifier]  # late arrives last
    assert _sink(jira)[1][0]["x-atlassian-webhook-retry"] == "1"


async def test_webhooks_are_redelivered_after_a_5xx(http, jira):
    key = await _new_issue(http)
    jira.sink.clear()
    jira.sink.answer_with([500, 503])
    dispatch = jira.move_card(key, "In Progress")
    assert await dispatch.delivered() == ["500", "503", "200"]
    retries = [headers.get("x-atlassian-webhook-retry") for headers, _ in _sink(jira)]
    assert retries == [None, "1", "2"]
    assert len({headers["x-atlassian-webhook-identifier"] for headers, _ in _sink(jira)}) == 1


async def test_user_comment_and_api_changes_send_webhooks(http, jira):
    key = await _new_issue(http)
    jira.sink.clear()
    comment = jira.add_user_comment(key, "Fixed in build 42")
    await comment.delivered()
    moved = await http.post(f"/rest/api/3/issue/{key}/transitions", json={"transition": {"id": "11"}})
    assert moved.status_code == 204
    await jira.webhook_deliveries[-1].delivered()  # queued before the 204 was sent
    events = [json.loads(body) for _, body in _sink(jira)]
    assert events[0]["webhookEvent"] == "comment_created"
    assert events[0]["comment"]["body"] == "Fixed in build 42"
    assert events[1]["webhookEvent"] == "jira:issue_updated"
    assert events[1]["user"]["emailAddress"] == jira.email  # the echo of our own API call


async def test_move_card_over_http_admin_endpoint(http, jira):
    key = await _new_issue(http)
    jira.sink.clear()
    response = await http.post(f"/_test/issues/{key}/move", json={"to": "In Progress", "delivery": "normal"})
    assert response.status_code == 201
    sent = response.json()
    assert verify(WEBHOOK_SECRET, sent["body"].encode(), sent["headers"]["X-Hub-Signature"])
    await jira.webhook_deliveries[-1].delivered()
    assert (await http.get(f"/_test/issues/{key}")).json()["fields"]["status"]["name"] == "In Progress"
    assert len((await http.get("/_test/webhook-sink")).json()) == 1
    bad = await http.post(f"/_test/issues/{key}/move", json={"to": "Done"})
    assert bad.status_code == 400


# --- the standalone process -------------------------------------------------------------------


def test_cli_serves_and_sends_webhooks_to_the_configured_url():
    port, receiver_port = free_port(), free_port()
    with JiraServer(port=receiver_port) as receiver:  # only used as a webhook sink here
        url = f"{receiver.base_url}/_test/webhook-sink"
        command = [sys.executable, "-m", "tests.jira_server", "--port", str(port), "--webhook-url", url,
                   "--webhook-secret", "S"]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_healthy(base)
            auth = ("escalator-bot@example.com", "jira-api-token")
            created = httpx.post(f"{base}/rest/api/3/issue", json=_issue_body(), auth=auth)
            assert created.status_code == 201
            moved = httpx.post(f"{base}/_test/issues/ESC-1/move", json={"to": "In Progress"})
            assert moved.status_code == 201
            _wait_for(lambda: len(receiver.sink.received) == 1)
            headers, body = receiver.sink.received[0]
            assert verify("S", body, headers["x-hub-signature"])
            assert httpx.get(f"{base}/_test/violations").json() == {"request": [], "response": []}
        finally:
            process.terminate()
            process.wait(10)


def _wait_healthy(base: str) -> None:
    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/_test/health").status_code == 200
        except httpx.TransportError:
            return False

    _wait_for(healthy)


def _wait_for(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
