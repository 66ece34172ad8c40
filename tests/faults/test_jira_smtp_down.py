"""Scenario 4: the JIRA tracker and the SMTP server are down while tickets are escalated and notified.

Why: dev cards and e-mails are side effects beside a ticket's flow. With both servers away, replies,
escalations and resolutions must still answer at once; the card creation (an activity retried with
backoff) and the outbox (retried with backoff) must catch up once the servers return, and neither
may repeat itself: one card per escalation (found again by its `esc-<id>` label) and one e-mail per
owed Message-ID.
"""

from __future__ import annotations

import asyncio
import email.parser
import signal
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import psycopg
import pytest

from tests.faults.harness import (
    Api,
    FaultStack,
    emit,
    fault_stack,
    lost_events,
    read_model_mismatches,
    read_tickets,
    seconds,
    timeline_mismatches,
    timeline_problems,
    workflow_states,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

TICKETS = 10
OUTAGE_S = 25
FAST_S = 5.0  # a write that waited for JIRA or SMTP would take far longer than this


def escalated(i: int) -> bool:
    return i % 2 == 0


async def test_jira_and_smtp_down(capsys: pytest.CaptureFixture[str]) -> None:
    async with fault_stack() as stack, Api(stack.api, stack.keys, 10) as api:
        figures = await run(stack, api)
        emit(capsys, "scenario-4-jira-smtp-down", figures)
        assert figures["events_lost"] == 0
        assert not figures["problems"], figures["problems"]
        assert not figures["unexpected_answers"], figures["unexpected_examples"]


async def run(stack: FaultStack, api: Api) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    stopped = time.monotonic()
    await asyncio.to_thread(stack.signal, "jira", signal.SIGTERM)
    await asyncio.to_thread(stack.signal, "mail", signal.SIGTERM)
    took: list[float] = []
    problems: list[str] = []

    async def write(path: str, role: str, body: Any, key: str, expect: int = 200) -> dict[str, Any]:
        """The ticket's own flow: must answer at once and first time, servers down or not."""
        started = time.monotonic()
        r = await api.once("POST", path, role, body, key)
        took.append(time.monotonic() - started)
        if r.status_code != expect:
            problems.append(f"POST {path}: {r.status_code} {r.text[:200]} while JIRA and SMTP were down")
            r = await api.call("POST", path, role, body, key=key, expect=(expect,))
        answer: dict[str, Any] = r.json()
        return answer

    ids: dict[int, int] = {}
    escalations: dict[int, str] = {}

    async def flow(i: int) -> None:
        key = f"{run_id}-{i}"
        body = {"subject": f"Side effects down {key}", "description": "x", "allow_duplicate": True}
        ticket_id = ids[i] = (await write("/tickets", "customer", body, f"{key}-c", 201))["id"]
        await write(f"/tickets/{ticket_id}/replies", "agent", {"body": "Looking into it."}, f"{key}-a1")
        if escalated(i):
            esc = await write(
                f"/tickets/{ticket_id}/escalations", "agent", {"summary": f"Bug {key}"}, f"{key}-e", 201
            )
            escalations[ticket_id] = esc["id"]
            await write(f"/escalations/{esc['id']}/cards", "engineer", {"create": True}, f"{key}-card", 202)
            await write(f"/escalations/{esc['id']}/stage", "engineer", {"stage": "in_review"}, f"{key}-st")
            reply = await write(f"/tickets/{ticket_id}/replies", "customer", {"body": "Thanks"}, f"{key}-r")
            if reply["status"] != "escalated":
                problems.append(f"#{ticket_id} is {reply['status']} after a reply, expected escalated")
            await write(
                f"/tickets/{ticket_id}/replies", "agent", {"body": "Engineering has it."}, f"{key}-a2"
            )
        else:
            await write(f"/tickets/{ticket_id}/replies", "customer", {"body": "Thanks"}, f"{key}-r")
            resolved = await write(
                f"/tickets/{ticket_id}/resolve", "agent", {"comment": "done"}, f"{key}-res"
            )
            if resolved["status"] != "resolved":
                problems.append(f"#{ticket_id} is {resolved['status']} after resolve")

    await asyncio.gather(*(flow(i) for i in range(TICKETS)))
    flow_done = time.monotonic()
    if max(took) > FAST_S:
        problems.append(f"a write took {max(took):.1f}s while JIRA and SMTP were down")

    # While they are down: nothing delivered, no card, and the outbox is retrying.
    await asyncio.sleep(max(5.0, OUTAGE_S - (time.monotonic() - stopped)))
    owed_during, sent_during, attempts_during = outbox(stack.database, list(ids.values()))
    cards_during = 0
    for esc_id in escalations.values():
        r = await api.call("GET", f"/escalations/{esc_id}", "engineer")
        cards_during += len(r.json()["cards"])
    mails_during = len(list(stack.mail_dir.glob("*.eml"))) if stack.mail_dir.exists() else 0

    await asyncio.to_thread(stack.restart, "jira")
    await asyncio.to_thread(stack.restart, "mail")
    back = time.monotonic()
    downtime = back - stopped

    # Until every escalation has its card and every owed notification went out (and nothing new comes).
    deadline = time.monotonic() + 240
    settled = None
    cards: dict[str, list[dict[str, Any]]] = {}
    while time.monotonic() < deadline:
        cards = {
            e: (await api.call("GET", f"/escalations/{e}", "engineer")).json()["cards"]
            for e in escalations.values()
        }
        owed, sent, _ = outbox(stack.database, list(ids.values()))
        if all(len(c) >= 1 for c in cards.values()) and owed == sent:
            settled = settled or (time.monotonic(), owed)
            if settled[1] == owed and time.monotonic() - settled[0] > 5:
                break
            if settled[1] != owed:
                settled = (time.monotonic(), owed)
        await asyncio.sleep(1)
    caught_up = (settled[0] if settled else time.monotonic()) - back

    jira_found = await jira_cards(stack, list(escalations.values()))
    for esc_id, found in jira_found.items():
        if len(found) != 1:
            problems.append(f"{esc_id}: {len(found)} cards in JIRA with its label, expected 1")
        if len(cards.get(esc_id, [])) != 1:
            problems.append(f"{esc_id}: {len(cards.get(esc_id, []))} cards linked, expected 1")

    delivered = delivered_message_ids(stack)
    expected = await owed_message_ids(stack, list(ids.values()))
    repeated = {m: n for m, n in delivered.items() if n > 1}
    missing = expected - set(delivered)
    if repeated:
        problems.append(f"{len(repeated)} Message-IDs delivered more than once, e.g. {sorted(repeated)[:3]}")
    if missing:
        problems.append(f"{len(missing)} owed e-mails never delivered, e.g. {sorted(missing)[:3]}")
    owed, sent, _ = outbox(stack.database, list(ids.values()))
    if owed != sent:
        problems.append(f"outbox: {owed - sent} of {owed} notifications still unsent")

    tickets = await read_tickets(api, list(ids.values()))
    for ticket in tickets.values():
        problems += timeline_problems(ticket)
    states = await workflow_states(stack.temporal, list(ids.values()))
    replaced, mismatches = timeline_mismatches(tickets, states)
    problems += read_model_mismatches(tickets, states) + mismatches

    return {
        "tickets": TICKETS,
        "escalations": len(escalations),
        "faults": stack.faults,
        "jira_and_smtp_down_s": seconds(downtime),
        "flow_writes": len(took),
        "flow_write_max_s": seconds(max(took)),
        "flow_done_while_down_after_s": seconds(flow_done - stopped),
        "cards_linked_while_down": cards_during,
        "mails_delivered_while_down": mails_during,
        "notifications_owed_while_down": owed_during - sent_during,
        "outbox_attempts_while_down": attempts_during,
        "caught_up_after_restart_s": seconds(caught_up),
        "jira_cards_by_label": {e: len(f) for e, f in jira_found.items()},
        "notifications_owed": owed,
        "emails_expected": len(expected),
        "emails_delivered": sum(delivered.values()),
        "emails_duplicated": len(repeated),
        "emails_missing": len(missing),
        "events_lost": lost_events(tickets, states) + replaced,
        "problems": problems[:20],
        "problem_count": len(problems),
        **api.outcomes.figures(),
    }


def outbox(database: str, ids: list[int]) -> tuple[int, int, int]:
    """Notifications owed for these tickets, how many were sent, and the delivery attempts so far."""
    with psycopg.connect(database) as conn:
        row = conn.execute(
            "SELECT count(*), count(sent_at), coalesce(sum(attempts), 0) FROM notifications "
            "WHERE ticket_id = ANY(%s)",
            (ids,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


async def jira_cards(stack: FaultStack, escalation_ids: list[str]) -> dict[str, list[str]]:
    """Search the demo JIRA by each escalation's marker label, as the escalation itself does."""
    from integrations.jira.client import escalation_label

    env = stack.launches["worker"].env
    auth = (env["JIRA_EMAIL"], env["JIRA_API_TOKEN"])
    found: dict[str, list[str]] = {}
    async with httpx.AsyncClient(base_url=env["JIRA_BASE_URL"], auth=auth, timeout=10) as jira:
        for esc_id in escalation_ids:
            jql = f'labels = "{escalation_label(esc_id)}"'
            r = await jira.get(
                "/rest/api/3/search/jql", params={"jql": jql, "fields": "labels", "maxResults": 50}
            )
            r.raise_for_status()
            found[esc_id] = [issue["key"] for issue in r.json()["issues"]]
    return found


def delivered_message_ids(stack: FaultStack) -> Counter[str]:
    """Message-IDs of every .eml the mail sink wrote, with how many times each arrived."""
    parser = email.parser.BytesHeaderParser()
    seen: Counter[str] = Counter()
    for path in stack.mail_dir.glob("*.eml"):
        with path.open("rb") as f:
            seen[str(parser.parse(f)["Message-ID"]).strip()] += 1
    return seen


async def owed_message_ids(stack: FaultStack, ids: list[int]) -> set[str]:
    """What the outbox owes, composed again from its rows: the Message-IDs each row must produce."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from integrations.mail.composer import compose
    from integrations.mail.links import LinkMaker
    from integrations.mail.occasion import Notification
    from integrations.mail.smtp import MailSettings
    from store.db import create_engine
    from store.tables import notifications

    env = stack.launches["worker"].env
    settings = MailSettings(mail_domain=env.get("MAIL_DOMAIN", MailSettings().mail_domain))
    engine = create_engine(stack.database, pool_size=2)
    expected: set[str] = set()
    try:
        async with engine.connect() as conn:
            rows = (
                (await conn.execute(select(notifications).where(notifications.c.ticket_id.in_(ids))))
                .mappings()
                .all()
            )
            for row in rows:
                note = Notification(row["ticket_id"], row["source"], row["seq"], row["kind"], row["data"])
                links = LinkMaker("http://x", b"links do not change Message-IDs", datetime.now(UTC))
                composed = await compose(conn, settings, links, note)
                expected.update(m.message_id for m in composed.mails if m.message_id)
    finally:
        await engine.dispose()
    return expected
