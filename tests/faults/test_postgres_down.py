"""Scenario 3: PostgreSQL is stopped for 30 s while tickets are being created and advanced.

Why: Postgres is only the read model; Temporal holds the truth. While it is away, reads must say
503 with Retry-After (not hang, not 500), writes must either complete or answer 503 without losing
the change (an update already in history waits for its projection, whose local activity retries
until the database is back), and a client retrying with the same Idempotency-Key must get the same
result, not a second change. Afterwards the read model must equal every workflow's state.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
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

LANES = 10
WARM_S = 10
OUTAGE_S = 30
AFTER_S = 10


async def test_postgres_down_under_load(capsys: pytest.CaptureFixture[str]) -> None:
    async with fault_stack() as stack, Api(stack.api, stack.keys, LANES + 2) as api:
        figures = await run(stack, api)
        emit(capsys, "scenario-3-postgres-down", figures)
        assert figures["events_lost"] == 0
        assert not figures["problems"], figures["problems"]
        assert not figures["unexpected_answers"], figures["unexpected_examples"]


class Flows:
    """Lanes that each open a ticket and take it to `resolved` in four keyed writes, over and over."""

    STEPS = (
        ("agent", "replies", {"body": "Which version?", "await_customer": True}, "pending"),
        ("customer", "replies", {"body": "2.3.1"}, "open"),
        ("agent", "resolve", {"comment": "fixed in 2.3.2"}, "resolved"),
    )

    def __init__(self, api: Api) -> None:
        self.api = api
        self.run_id = uuid.uuid4().hex[:8]
        self.stop = asyncio.Event()
        self.sent: list[tuple[str, str, str, Any, str, Any]] = []  # method, path, role, body, key, answer
        self.tickets: list[int] = []
        self.slow_503 = 0  # 503 after waiting: the update is in history, its projection is not
        self.fast_503 = 0
        self.outage: tuple[float, float] = (float("inf"), float("inf"))

    async def write(
        self, path: str, role: str, body: Any, key: str, expect: tuple[int, ...]
    ) -> httpx.Response:
        """One logical write, retried with its key; notes how 503s looked while Postgres was down."""
        deadline = time.monotonic() + 240
        while True:
            started = time.monotonic()
            try:
                r = await self.api.once("POST", path, role, body, key)
            except httpx.TransportError:
                r = None
            took = time.monotonic() - started
            if r is not None and r.status_code not in (429, 502, 503, 504):
                if r.status_code not in expect:
                    self.api.outcomes.unexpected.append(
                        f"POST {path} key={key}: {r.status_code} {r.text[:200]}"
                    )
                    if r.status_code < 500:
                        raise AssertionError(f"POST {path}: {r.status_code} {r.text[:300]}")
                else:
                    self.sent.append(("POST", path, role, body, key, r.json()))
                    return r
            elif r is not None and r.status_code == 503 and self.outage[0] <= started <= self.outage[1]:
                if took > 5:
                    self.slow_503 += 1
                else:
                    self.fast_503 += 1
            assert time.monotonic() < deadline, f"POST {path} key={key} never succeeded"
            wait = float(r.headers.get("Retry-After", "1")) if r is not None else 1.0
            await asyncio.sleep(min(wait, 5.0))

    async def lane(self, lane: int) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            key = f"{self.run_id}-{lane}-{n}"
            body = {"subject": f"Postgres outage {key}", "description": "x", "allow_duplicate": True}
            r = await self.write("/tickets", "customer", body, f"{key}-create", (201,))
            ticket_id = r.json()["id"]
            self.tickets.append(ticket_id)
            for step, (role, action, payload, status) in enumerate(self.STEPS):
                r = await self.write(f"/tickets/{ticket_id}/{action}", role, payload, f"{key}-{step}", (200,))
                assert r.json()["status"] == status, r.text


async def probe_reads(api: Api, flows: Flows, until: asyncio.Event) -> list[tuple[float, int, bool]]:
    """GET a ticket twice a second: (time, status, has Retry-After) for every answer."""
    seen: list[tuple[float, int, bool]] = []
    while not until.is_set():
        if flows.tickets:
            at = time.monotonic()
            try:
                r = await api.once("GET", f"/tickets/{flows.tickets[0]}", "agent")
                seen.append((at, r.status_code, "Retry-After" in r.headers))
            except httpx.TransportError:
                seen.append((at, -1, False))
        await asyncio.sleep(0.5)
    return seen


async def run(stack: FaultStack, api: Api) -> dict[str, Any]:
    flows = Flows(api)
    done = asyncio.Event()
    lanes = [asyncio.create_task(flows.lane(i)) for i in range(LANES)]
    reads = asyncio.create_task(probe_reads(api, flows, done))
    await asyncio.sleep(WARM_S)
    opened_before = len(flows.tickets)
    stopped = time.monotonic()
    flows.outage = (stopped, stopped + OUTAGE_S + 5)
    await asyncio.to_thread(stack.stop_postgres)
    await asyncio.sleep(OUTAGE_S - (time.monotonic() - stopped))
    await asyncio.to_thread(stack.start_postgres)
    started = time.monotonic()
    await asyncio.sleep(AFTER_S)
    flows.stop.set()
    await asyncio.gather(*lanes)
    caught_up = time.monotonic() - started
    done.set()
    seen = await reads

    outage_reads = [(s, ra) for at, s, ra in seen if stopped + 1 <= at <= started - 0.5]
    problems: list[str] = []
    bad_reads = [s for s, ra in outage_reads if s != 503 or not ra]
    if bad_reads:
        problems.append(
            f"reads during the outage answered {sorted(set(bad_reads))} (want 503 with Retry-After)"
        )

    # The same requests again with the same keys: same ticket, nothing new recorded.
    before = await read_tickets(api, flows.tickets)
    limit = asyncio.Semaphore(LANES)
    different: list[str] = []

    async def again(sent: tuple[str, str, str, Any, str, Any]) -> None:
        method, path, role, body, key, answer = sent
        async with limit:
            r = await api.call(method, path, role, body, key=key, expect=(200, 201))
        if r.json()["id"] != answer["id"]:
            different.append(f"{path} key={key}: ticket {answer['id']} then {r.json()['id']}")

    await asyncio.gather(*(again(s) for s in flows.sent))
    tickets = await read_tickets(api, flows.tickets)
    for ticket_id, ticket in tickets.items():
        if ticket["version"] != before[ticket_id]["version"]:
            different.append(
                f"#{ticket_id}: v{before[ticket_id]['version']} became v{ticket['version']} on retries"
            )
    problems += different
    states = await workflow_states(stack.temporal, flows.tickets)
    replaced, mismatches = timeline_mismatches(tickets, states)
    mismatches = read_model_mismatches(tickets, states) + mismatches
    problems += mismatches
    for ticket in tickets.values():
        problems += timeline_problems(ticket)
        if ticket["status"] != "resolved":
            problems.append(f"#{ticket['id']} is {ticket['status']}, expected resolved")
        replies = [e["data"]["author"] for e in ticket["timeline"] if e["type"] == "reply_added"]
        if sorted(replies) != ["agent", "customer"]:
            problems.append(f"#{ticket['id']}: replies {replies}, expected one agent and one customer")

    return {
        "lanes": LANES,
        "tickets": len(flows.tickets),
        "tickets_opened_before_stop": opened_before,
        "lanes_in_flight_at_stop": LANES,
        "faults": stack.faults,
        "postgres_down_s": seconds(started - stopped),
        "lanes_done_after_restart_s": seconds(caught_up),
        "writes": len(flows.sent),
        "reads_during_outage": len(outage_reads),
        "reads_during_outage_503_with_retry_after": sum(1 for s, ra in outage_reads if s == 503 and ra),
        "writes_503_at_once_during_outage": flows.fast_503,
        "writes_503_after_waiting_for_projection": flows.slow_503,
        "retries_with_same_key_identical": len(flows.sent) - len(different),
        "events_in_read_model": sum(len(t["timeline"]) for t in tickets.values()),
        "events_lost": lost_events(tickets, states) + replaced,
        "read_model_mismatches": len(mismatches),
        "problems": problems[:20],
        "problem_count": len(problems),
        **api.outcomes.figures(),
    }
