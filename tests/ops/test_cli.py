"""The `escalator` CLI against the real API: what staff see, what scripts parse, and how it fails."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

import cli.client
from cli.client import Connection, base_url, resolve_connection
from cli.durations import clock_text, human_duration, most_urgent
from tests.ops.conftest import RunCli, Unreachable
from tests.support.identities import Member, Org


async def open_ticket(http: httpx.AsyncClient, customer: Member, subject: str | None = None) -> dict:
    body = {"subject": subject or f"Export stops {uuid.uuid4().hex[:8]}", "description": "x", "severity": 2}
    response = await http.post("/v1/tickets", json=body, headers=customer.headers)
    assert response.status_code == 201, response.text
    return response.json()


# --- tickets -------------------------------------------------------------------------------------


async def test_list_shows_the_ticket_and_json_parses(
    run_cli: RunCli, api_http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    ticket = await open_ticket(api_http, org["customer"])
    word = ticket["subject"].split()[-1]
    shown = await run_cli("tickets", "list", "--q", word, key=staff["agent"].key)
    assert shown.exit_code == 0, shown.output
    assert f"#{ticket['id']}" in shown.stdout and "open" in shown.stdout
    raw = await run_cli("tickets", "list", "--q", word, "--status", "open", "--json", key=staff["agent"].key)
    assert raw.exit_code == 0, raw.output
    page = json.loads(raw.stdout)
    assert [t["id"] for t in page["items"]] == [ticket["id"]]
    none = await run_cli(
        "tickets", "list", "--q", word, "--status", "closed", "--json", key=staff["agent"].key
    )
    assert json.loads(none.stdout)["items"] == []


async def test_show_has_clocks_as_time_left_and_the_timeline(
    run_cli: RunCli, api_http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    ticket = await open_ticket(api_http, org["customer"])
    shown = await run_cli("tickets", "show", str(ticket["id"]), key=staff["agent"].key)
    assert shown.exit_code == 0, shown.output
    assert ticket["subject"] in shown.stdout
    assert "first_response" in shown.stdout and " left" in shown.stdout
    assert "ticket_created" in shown.stdout
    raw = await run_cli("tickets", "show", str(ticket["id"]), "--json", key=staff["agent"].key)
    detail = json.loads(raw.stdout)
    assert detail["id"] == ticket["id"] and [e["type"] for e in detail["timeline"]] == ["ticket_created"]


async def test_reply_assign_resolve_then_resolving_again_is_a_409(
    run_cli: RunCli, api_http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    agent = staff["agent"]
    tid = str((await open_ticket(api_http, org["customer"]))["id"])

    replied = await run_cli(
        "tickets", "reply", tid, "Which browser?", "--await-customer", "--json", key=agent.key
    )
    assert replied.exit_code == 0, replied.output
    assert json.loads(replied.stdout)["status"] == "pending"

    noted = await run_cli("tickets", "reply", tid, "db [slow] again", "--internal", key=agent.key)
    assert noted.exit_code == 0, noted.output

    assigned = await run_cli("tickets", "assign", tid, agent.id, "--json", key=agent.key)
    assert json.loads(assigned.stdout)["assignee_id"] == agent.id

    resolved = await run_cli("tickets", "resolve", tid, "--comment", "fixed in 2.3", key=agent.key)
    assert resolved.exit_code == 0, resolved.output
    assert "resolved" in resolved.stdout

    again = await run_cli("tickets", "resolve", tid, key=agent.key)
    assert again.exit_code == 1
    assert "Error 409" in again.stderr and "allowed actions" in again.stderr
    assert again.stdout == ""

    as_json = await run_cli("tickets", "resolve", tid, "--json", key=agent.key)
    assert as_json.exit_code == 1
    problem = json.loads(as_json.stdout)
    assert problem["status"] == 409 and problem["current_status"] == "resolved"

    timeline = json.loads((await run_cli("tickets", "show", tid, "--json", key=agent.key)).stdout)["timeline"]
    notes = [e for e in timeline if e["type"] == "note_added"]
    assert notes and notes[0]["data"]["body"] == "db [slow] again"


async def test_escalate_show_and_stage_and_linking_without_jira_is_a_problem(
    run_cli: RunCli, api_http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    agent = staff["agent"]
    tid = str((await open_ticket(api_http, org["customer"]))["id"])
    made = await run_cli(
        "tickets", "escalate", tid, "--summary", "Export cut at 500 rows", "--json", key=agent.key
    )
    assert made.exit_code == 0, made.output
    escalation = json.loads(made.stdout)
    assert escalation["stage"] == "submitted" and escalation["ticket_id"] == int(tid)
    cp = escalation["id"]

    shown = await run_cli("escalations", "show", cp, key=agent.key)
    assert shown.exit_code == 0, shown.output
    assert cp in shown.stdout and "No dev cards" in shown.stdout

    moved = await run_cli(
        "escalations", "stage", cp, "in_review", "--note", "looking", "--json", key=agent.key
    )
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout)["stage"] == "in_review"

    linked = await run_cli("escalations", "link", cp, "ESC-12", key=agent.key)
    assert linked.exit_code == 1
    assert "Error 503" in linked.stderr and "JIRA" in linked.stderr


async def test_reopen_close_transfer_reclassify_and_merge(
    run_cli: RunCli, api_http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    agent, customer = staff["agent"], org["customer"]
    tid = str((await open_ticket(api_http, customer))["id"])

    moved = await run_cli("tickets", "transfer", tid, "--reason", "needs L2", "--json", key=agent.key)
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout)["tier"] == "L2"
    graded = await run_cli(
        "tickets", "reclassify", tid, "--severity", "1", "--impact", "all invoices", key=agent.key
    )
    assert graded.exit_code == 0, graded.output
    assert "Sev1" in graded.stdout
    nothing = await run_cli("tickets", "reclassify", tid, key=agent.key)
    assert nothing.exit_code == 2 and "--severity" in nothing.output

    await run_cli("tickets", "resolve", tid, key=agent.key)
    reopened = await run_cli("tickets", "reopen", tid, "--reason", "still broken", "--json", key=agent.key)
    assert json.loads(reopened.stdout)["status"] == "open"
    by_agent = await run_cli("tickets", "close", tid, key=agent.key)
    assert by_agent.exit_code == 1 and "Error 409" in by_agent.stderr  # staff resolve, requesters close
    closed = await run_cli("tickets", "close", tid, "--reason", "works now", "--json", key=customer.key)
    assert closed.exit_code == 0, closed.output
    assert json.loads(closed.stdout)["status"] == "closed"

    duplicate = str((await open_ticket(api_http, customer))["id"])
    target = (await open_ticket(api_http, customer))["id"]
    merged = await run_cli("tickets", "merge", duplicate, "--into", str(target), "--json", key=agent.key)
    assert merged.exit_code == 0, merged.output
    assert json.loads(merged.stdout)["merged_into"] == target


async def test_show_names_people(run_cli: RunCli, api_http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    agent = staff["agent"]
    tid = str((await open_ticket(api_http, org["customer"]))["id"])
    await run_cli("tickets", "assign", tid, agent.id, key=agent.key)
    me = (await api_http.get("/v1/me", headers=agent.headers)).json()
    shown = await run_cli("tickets", "show", tid, key=agent.key)
    assert shown.stdout.count(me["name"]) >= 2  # the assignee, and the actor of the assignment


async def test_escalations_list_and_eta(
    run_cli: RunCli, api_http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    agent = staff["agent"]
    tid = str((await open_ticket(api_http, org["customer"]))["id"])
    made = await run_cli(
        "tickets", "escalate", tid, "--summary", "Listed escalation", "--json", key=agent.key
    )
    cp = json.loads(made.stdout)["id"]

    listed = await run_cli("escalations", "list", "--org", org.id, "--json", key=agent.key)
    assert listed.exit_code == 0, listed.output
    assert [e["id"] for e in json.loads(listed.stdout)["items"]] == [cp]
    table = await run_cli("escalations", "list", "--org", org.id, "--stage", "submitted", key=agent.key)
    assert cp in table.stdout and "Listed escalation" in table.stdout

    when = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    dated = await run_cli("escalations", "eta", cp, when, "--json", key=agent.key)
    assert dated.exit_code == 0, dated.output
    assert json.loads(dated.stdout)["eta"] == when
    cleared = await run_cli("escalations", "eta", cp, "none", "--json", key=agent.key)
    assert json.loads(cleared.stdout)["eta"] is None
    typo = await run_cli("escalations", "eta", cp, "next week", key=agent.key)
    assert typo.exit_code == 2 and "not a date" in typo.output


async def test_users_find(run_cli: RunCli, api_http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    me = (await api_http.get("/v1/me", headers=org["customer"].headers)).json()
    found = await run_cli("users", "find", me["email"], "--json", key=staff["agent"].key)
    assert found.exit_code == 0, found.output
    assert [u["id"] for u in json.loads(found.stdout)["items"]] == [org["customer"].id]
    table = await run_cli("users", "find", me["name"], "--role", "customer", key=staff["agent"].key)
    assert me["email"] in table.stdout
    refused = await run_cli("users", "find", "a", key=org["customer"].key)
    assert refused.exit_code == 1 and "Error 403" in refused.stderr


# --- admin ---------------------------------------------------------------------------------------


async def test_admin_orgs_create_and_list(run_cli: RunCli, staff: Org) -> None:
    admin = staff["admin"]
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    created = await run_cli("admin", "orgs", "create", "ACME [EU]", slug, "--json", key=admin.key)
    assert created.exit_code == 0, created.output
    org_id = json.loads(created.stdout)["id"]

    listed = await run_cli("admin", "orgs", "list", "--q", slug, "--json", key=admin.key)
    expected = {"id": org_id, "name": "ACME [EU]", "slug": slug, "sla_policy": None}
    assert json.loads(listed.stdout) == {"items": [expected], "next_cursor": None}
    table = await run_cli("admin", "orgs", "list", "--q", slug, key=admin.key)
    assert slug in table.stdout and "ACME [EU]" in table.stdout

    duplicate = await run_cli("admin", "orgs", "create", "Again", slug, key=admin.key)
    assert duplicate.exit_code == 1 and "Error 409" in duplicate.stderr and slug in duplicate.stderr

    refused = await run_cli("admin", "orgs", "list", key=staff["agent"].key)
    assert refused.exit_code == 1 and "Error 403" in refused.stderr


async def test_admin_users_and_keys(run_cli: RunCli, org: Org, staff: Org) -> None:
    admin = staff["admin"]
    email = f"new-{uuid.uuid4().hex[:8]}@example.test"
    made = await run_cli(
        "admin", "users", "create", org.id, "--name", "New Agent", "--email", email, "--role", "agent",
        "--json", key=admin.key,
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    user_id = json.loads(made.stdout)["id"]
    listed = json.loads(
        (
            await run_cli("admin", "users", "list", "--org", org.id, "--limit", "2", "--json", key=admin.key)
        ).stdout
    )
    assert len(listed["items"]) == 2 and listed["next_cursor"]  # the org's customer, org admin and New Agent
    rest = await run_cli(
        "admin", "users", "list", "--org", org.id, "--cursor", listed["next_cursor"], "--json", key=admin.key
    )
    assert user_id in {u["id"] for u in listed["items"] + json.loads(rest.stdout)["items"]}

    issued = await run_cli("admin", "keys", "create", user_id, "--name", "laptop", key=admin.key)
    assert issued.exit_code == 0, issued.output
    assert "shown only now" in issued.stdout
    key = json.loads((await run_cli("admin", "keys", "create", user_id, "--json", key=admin.key)).stdout)
    # A filter that matches nothing: the key is what is tested, not every row other tests left behind.
    me = await run_cli("tickets", "list", "--q", uuid.uuid4().hex, "--json", key=key["key"])
    assert me.exit_code == 0, me.output

    revoked = await run_cli("admin", "keys", "revoke", key["id"], key=admin.key)
    assert revoked.exit_code == 0, revoked.output
    after = await run_cli("tickets", "list", key=key["key"])
    assert after.exit_code == 1 and "Error 401" in after.stderr


async def test_admin_calendar_and_policy_round_trip_through_files(
    run_cli: RunCli, staff: Org, tmp_path: Path
) -> None:
    admin = staff["admin"]
    policy = json.loads(
        (await run_cli("admin", "policies", "get", "default", "--json", key=admin.key)).stdout
    )
    calendar = json.loads(
        (await run_cli("admin", "calendars", "get", policy["calendar"], "--json", key=admin.key)).stdout
    )
    name = f"ops-{uuid.uuid4().hex[:8]}"
    (tmp_path / "calendar.json").write_text(json.dumps(calendar))
    put = await run_cli(
        "admin", "calendars", "put", name, str(tmp_path / "calendar.json"), "--json", key=admin.key
    )
    assert put.exit_code == 0, put.output
    assert (
        json.loads(put.stdout)["version"] == 1 and json.loads(put.stdout)["timezone"] == calendar["timezone"]
    )

    (tmp_path / "policy.json").write_text(json.dumps({**policy, "calendar": name}))
    stored = await run_cli("admin", "policies", "put", name, str(tmp_path / "policy.json"), key=admin.key)
    assert stored.exit_code == 0, stored.output
    assert name in stored.stdout

    (tmp_path / "broken.json").write_text("{not json")
    broken = await run_cli("admin", "policies", "put", name, str(tmp_path / "broken.json"), key=admin.key)
    assert broken.exit_code == 2 and "not valid JSON" in broken.output

    invalid = await run_cli("admin", "calendars", "put", name, str(tmp_path / "policy.json"), key=admin.key)
    assert invalid.exit_code == 1 and "Error 422" in invalid.stderr


# --- connection and failures ---------------------------------------------------------------------


async def test_unreachable_api_exits_2(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli.client, "client_factory", lambda conn: cli.client.build_http(conn, Unreachable()))
    result = await run_cli("tickets", "list", key="whatever")
    assert result.exit_code == 2
    assert "cannot reach the Escalator API at http://escalator.test" in result.stderr


async def test_without_a_key_the_api_answers_401(run_cli: RunCli) -> None:
    result = await run_cli("tickets", "list")
    assert result.exit_code == 1 and "Error 401" in result.stderr


async def test_demo_keys_file_is_the_last_resort(
    run_cli: RunCli, api_http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    ticket = await open_ticket(api_http, org["customer"])
    Path(".data").mkdir()
    Path(".data/demo-keys.json").write_text(json.dumps({"customer": "nope", "agent": staff["agent"].key}))
    result = await run_cli("tickets", "show", str(ticket["id"]), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == ticket["id"]


def test_connection_precedence(monkeypatch: pytest.MonkeyPatch, no_cli_environment: None) -> None:
    assert resolve_connection() == Connection("http://localhost:8000", None)
    Path(".data").mkdir()
    Path(".data/demo-keys.json").write_text(json.dumps({"agent": "demo"}))
    assert resolve_connection().key == "demo"
    monkeypatch.setenv("ESCALATOR_URL", "https://support.example.com/v1/")
    monkeypatch.setenv("ESCALATOR_API_KEY", "from-env")
    assert resolve_connection() == Connection("https://support.example.com", "from-env")
    assert resolve_connection("http://other:8000", "from-option") == Connection(
        "http://other:8000", "from-option"
    )
    assert base_url("http://h:8000/") == "http://h:8000"


def test_completion_is_offered() -> None:
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "--install-completion" in result.stdout


# --- how clocks read -----------------------------------------------------------------------------


def test_durations_read_like_people_write_them() -> None:
    assert [human_duration(s) for s in (45, 60, 13 * 60, 2 * 3600 + 13 * 60, 3 * 3600, 86_400 + 4 * 3600)] == [
        "45s", "1m", "13m", "2h 13m", "3h", "1d 4h",
    ]  # fmt: skip


def test_clock_texts() -> None:
    now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    running = {"name": "resolution", "status": "running", "remaining_seconds": 2 * 3600 + 13 * 60}
    paused = {**running, "status": "paused"}
    breached = {
        "name": "first_response",
        "status": "breached",
        "breached": True,
        "remaining_seconds": -600,
        "breached_at": (now - timedelta(minutes=35)).isoformat(),
    }
    met = {"name": "first_response", "status": "met", "remaining_seconds": 100}
    assert clock_text(running, now) == "2h 13m left"
    assert clock_text(paused, now) == "paused, 2h 13m left"
    assert clock_text(breached, now) == "breached 35m ago"
    assert clock_text({**breached, "breached_at": None}, now) == "breached 10m ago"
    assert clock_text(met, now) == "met"
    assert most_urgent([met, running, breached]) is breached
    urgent = most_urgent([met, paused, {**running, "remaining_seconds": 60}])
    assert urgent is not None and urgent["remaining_seconds"] == 60
    assert most_urgent([]) is None
