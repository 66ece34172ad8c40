"""Scenario 8: the worker is SIGKILLed in the middle of a 2,000-ticket breach storm.

Why: a business calendar makes breaches come in storms (every Sev2 ticket opened over the weekend
breaches at Monday 13:00:00), so a worker crash is most likely exactly while thousands of breaches are
being recorded and e-mailed. Each breach is a timer in Temporal, an event projected to Postgres with
its outbox row in the same transaction, then an e-mail the mailer sends; after a crash mid-storm the
restarted worker must replay every run, record each breach that was not yet recorded exactly once, and
never record one again that was (in Temporal, or in Postgres while the worker died before the
workflow task completed), so that every breach has one event and one e-mail.

The storm has the shape of `bench/breach_storm.py` (`tests/support/breach_storm.py`): a UTC calendar
that is closed while the tickets are opened, opens at a whole minute, closes exactly when the 1-minute
first-response target runs out and opens again `GAP_MINUTES` later, so every storm ticket's breach is
due at that one second (checked against `BusinessCalendar.add` before any ticket is opened), with the
warnings 15 s after the opening as a smaller storm first. `WARM_UP` quiet tickets (the default policy,
nothing comes due) time the API's create rate first, so that the opening can be planned just after the
storm is open; then all `STORM` tickets are opened concurrently through the API.

Once `KILL_AT` of the breaches are in the read model the worker gets SIGKILL, and is started again 2 s
later with the same command line and environment. When the storm has drained (every breach recorded
and its e-mail marked sent), Postgres, the outbox, the SMTP sink and `TicketWorkflow.state` are checked.
`FAULTS_STORM=<n>` runs a smaller storm (for a quick try; `make faults` runs 2,000).
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import namedtuple_row

from tests.faults.harness import (
    Api,
    FaultStack,
    emit,
    fault_stack,
    lost_events,
    parse_time,
    read_model_mismatches,
    read_model_tickets,
    seconds,
    timeline_mismatches,
    timeline_problems,
    wait_for_worker,
    workflow_states,
)
from tests.support.breach_storm import (
    STORM_SEVERITY,
    StormPlan,
    check_plan,
    count_sink_mail,
    plan_storm,
    storm_calendar,
    storm_policy,
)
from tests.support.metrics import scrape_metrics

pytestmark = [pytest.mark.faults, pytest.mark.timeout(1800)]

STORM = int(os.environ.get("FAULTS_STORM", "2000"))
WARM_UP = 200  # quiet tickets (default policy) opened first: they time the create rate for the plan
COLD = 50  # the first of them are not timed (imports, pools and caches warm up: too slow a rate)
CONCURRENCY = 20  # client lanes opening tickets, as bench/breach_storm.py
MARGIN = 1.4  # the plan allows MARGIN × the warm-up's create time (+ 15 s): creates slow down
GAP_MINUTES = 1  # closed between the close and the breach (the bench: 1 per 1,000; shorter here, for time)
KILL_AT = 0.2  # share of the breaches in the read model when the worker is killed
RESTART_DELAY_S = 2  # a supervisor's restart delay
DRAIN_GRACE_S = 240  # no breach recorded nor e-mail sent for this long: the storm is stuck
NAME = "faults-storm"  # calendar, policy and product


async def test_worker_killed_in_a_breach_storm(capsys: pytest.CaptureFixture[str]) -> None:
    async with fault_stack() as stack, Api(stack.api, stack.keys, CONCURRENCY, patience=600) as api:
        figures = await run(stack, api)
        emit(capsys, "scenario-8-breach-storm-worker-killed", figures)
        assert figures["events_lost"] == 0
        assert figures["duplicate_breaches"] == 0 and figures["sink_duplicate_mails"] == 0
        assert not figures["problems"], figures["problems"]
        assert not figures["unexpected_answers"], figures["unexpected_examples"]


async def open_tickets(
    api: Api, run_id: str, count: int, storm: bool, label: str | None = None
) -> list[tuple[int, datetime]]:
    """Open `count` tickets through `CONCURRENCY` lanes, each create keyed (by `label` and number);
    (id, created_at) as they were answered."""
    opened: list[tuple[int, datetime]] = []
    queue = list(reversed(range(count)))
    kind = label or ("storm" if storm else "quiet")

    async def lane() -> None:
        while queue:
            i = queue.pop()
            body: dict[str, Any] = {
                "subject": f"Breach storm {run_id} {kind} {i}",
                "description": "nobody will answer this one",
                "severity": STORM_SEVERITY if storm else 4,
                "allow_duplicate": True,
            }
            if storm:
                body["product"] = NAME
            r = await api.call(
                "POST", "/tickets", "customer", body, key=f"{run_id}-{kind}-{i}", expect=(201,)
            )
            opened.append((int(r.json()["id"]), parse_time(r.json()["created_at"])))

    await asyncio.gather(*(lane() for _ in range(CONCURRENCY)))
    return opened


async def put_storm(api: Api, rate: float) -> StormPlan:
    """Plan the storm from the measured create rate, check it against the calendar code, store it."""
    now = datetime.now(UTC)
    plan = plan_storm(now, STORM / rate * MARGIN + 15, GAP_MINUTES)
    calendar = storm_calendar(plan)
    check_plan(calendar, plan, now)
    await api.call("PUT", f"/admin/calendars/{NAME}", "admin", calendar)
    await api.call("PUT", f"/admin/sla-policies/{NAME}", "admin", storm_policy(NAME))
    return plan


PROGRESS = """
SELECT count(*) AS recorded, count(n.sent_at) AS sent
FROM ticket_events e
LEFT JOIN notifications n
  ON n.ticket_id = e.ticket_id AND n.seq = e.seq AND n.kind = e.type AND n.source = 'ticket'
WHERE e.type = 'sla_breached' AND e.ticket_id = ANY(%s)
"""

BREACH_ROWS = """
SELECT e.ticket_id, e.seq, e.at, e.data->>'clock' AS clock, (e.data->>'due')::timestamptz AS due,
       n.created_at AS recorded, n.sent_at, n.attempts, n.failed_at, n.skipped_at
FROM ticket_events e
LEFT JOIN notifications n
  ON n.ticket_id = e.ticket_id AND n.seq = e.seq AND n.kind = e.type AND n.source = 'ticket'
WHERE e.type = 'sla_breached' AND e.ticket_id = ANY(%s)
"""

# Every outbox row a breach owes, whether or not its event is still there (a row without its event, or
# two rows for one ticket, would be an e-mail too many).
OUTBOX = "SELECT ticket_id, seq, kind, sent_at, skipped_at, attempts FROM notifications WHERE source = 'ticket' AND ticket_id = ANY(%s)"


async def progress(conn: psycopg.AsyncConnection[Any], ids: list[int]) -> tuple[int, int]:
    row = await (await conn.execute(PROGRESS, (ids,))).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def percentiles(values: list[float], prefix: str) -> dict[str, Any]:
    if not values:
        return {f"{prefix}_count": 0}
    ordered = sorted(values)

    def at(pct: float) -> float:
        return seconds(ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))])

    return {
        f"{prefix}_count": len(values),
        f"{prefix}_p50_s": at(50),
        f"{prefix}_p99_s": at(99),
        f"{prefix}_max_s": at(100),
    }


async def run(stack: FaultStack, api: Api) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    figures: dict[str, Any] = {"storm_tickets": STORM, "quiet_tickets": WARM_UP}
    problems: list[str] = []

    # 1. Time the create rate on quiet tickets, plan the storm from it, open the storm while it is closed.
    await open_tickets(api, run_id, COLD, storm=False, label="cold")
    started = time.monotonic()
    await open_tickets(api, run_id, WARM_UP - COLD, storm=False)
    rate = (WARM_UP - COLD) / (time.monotonic() - started)
    plan = await put_storm(api, rate)
    started = time.monotonic()
    opened = await open_tickets(api, run_id, STORM, storm=True)
    figures["create_per_s"] = {
        "warm_up": round(rate, 1),
        "storm": round(STORM / (time.monotonic() - started), 1),
    }
    ids = sorted(i for i, _ in opened)
    late_opened = sum(at >= plan.opening for _, at in opened)
    figures["plan"] = {k: f"{v:%H:%M:%S}" for k, v in vars(plan).items()}
    figures["storm_opened_after_opening"] = late_opened
    figures["seconds_from_last_open_to_breach"] = seconds(
        (plan.breach - max(at for _, at in opened)).total_seconds()
    )
    if late_opened > STORM // 10:
        pytest.fail(f"{late_opened} storm tickets were opened after the calendar opened: raise MARGIN")

    # 2. The storm: kill the worker once KILL_AT of the breaches are in the read model.
    kill_at = max(1, int(STORM * KILL_AT))
    connect = psycopg.AsyncConnection.connect(stack.database, autocommit=True, row_factory=namedtuple_row)
    async with await connect as conn:
        await asyncio.sleep(max(0.0, (plan.breach - datetime.now(UTC)).total_seconds() - 1))
        backlog = await (
            await conn.execute(
                "SELECT count(*) FROM notifications WHERE sent_at IS NULL AND skipped_at IS NULL AND failed_at IS NULL"
            )
        ).fetchone()
        figures["outbox_backlog_at_breach"] = backlog[0] if backlog else None
        warned = await (
            await conn.execute(
                "SELECT count(*) FROM ticket_events WHERE type = 'sla_warning' AND ticket_id = ANY(%s)",
                (ids,),
            )
        ).fetchone()
        figures["warnings_recorded_at_breach"] = warned[0] if warned else None
        recorded = 0
        while recorded < kill_at:
            if datetime.now(UTC) > plan.breach + timedelta(seconds=600):
                pytest.fail(f"only {recorded} breaches recorded 10 minutes after they were due")
            recorded, _ = await progress(conn, ids)
            await asyncio.sleep(0.2)
        if recorded >= STORM:
            pytest.fail("the storm drained before the worker could be killed: lower KILL_AT")
        offset = stack.log("worker").stat().st_size
        killed = await asyncio.to_thread(stack.signal, "worker", signal.SIGKILL)
        killed_wall = datetime.now(UTC)
        figures["breaches_recorded_at_kill_trigger"] = recorded
        figures["kill_s_after_breach_due"] = seconds((killed_wall - plan.breach).total_seconds())
        await asyncio.sleep(RESTART_DELAY_S)
        figures["breaches_recorded_before_kill"], figures["breach_mails_sent_before_kill"] = await progress(
            conn, ids
        )
        await asyncio.to_thread(stack.restart, "worker")
        await wait_for_worker(stack, offset)
        restarted_wall = datetime.now(UTC)
        figures["worker_downtime_s"] = seconds(time.monotonic() - killed)

        # 3. Until every breach is recorded and e-mailed (or nothing moves for DRAIN_GRACE_S).
        last, moved = (-1, -1), time.monotonic()
        while True:
            now = await progress(conn, ids)
            if now != last:
                last, moved = now, time.monotonic()
            if now[0] >= STORM and now[1] >= STORM:
                break
            if time.monotonic() - moved > DRAIN_GRACE_S:
                problems.append(f"stuck: {now[0]}/{STORM} breaches recorded, {now[1]} e-mailed")
                break
            await asyncio.sleep(1.0)
        await asyncio.sleep(3)  # anything recorded twice would show by now
        breaches = list(await (await conn.execute(BREACH_ROWS, (ids,))).fetchall())
        every_mail = list(await (await conn.execute(OUTBOX, (ids,))).fetchall())
        outbox = [r for r in every_mail if r.kind == "sla_breached"]

    # 4. Checks. Postgres: each storm ticket has one first-response breach, at the storm's instant,
    # its seqs 1..version; the outbox: one row per ticket, sent; the sink: one e-mail per recipient.
    per_ticket = Counter(r.ticket_id for r in breaches)
    duplicates = sum(n - 1 for n in per_ticket.values() if n > 1)
    figures["duplicate_breaches"] = duplicates
    problems += [f"#{t}: {n} sla_breached events" for t, n in per_ticket.items() if n > 1]
    problems += [f"#{t}: no sla_breached event" for t in ids if t not in per_ticket]
    problems += [
        f"#{r.ticket_id}: breach of clock {r.clock}" for r in breaches if r.clock != "first_response"
    ]
    figures["breaches_due_at_storm_instant"] = sum(r.due == plan.breach for r in breaches)
    outbox_rows = Counter(r.ticket_id for r in outbox)
    problems += [f"#{t}: {n} breach e-mails in the outbox" for t, n in outbox_rows.items() if n != 1]
    problems += [f"#{t}: no breach e-mail in the outbox" for t in ids if t not in outbox_rows]
    problems += [f"#{r.ticket_id}: breach e-mail never sent" for r in outbox if r.sent_at is None]
    figures["outbox_attempts"] = dict(Counter(r.attempts for r in outbox))

    since = plan.breach.timestamp() - 5
    sink = count_sink_mail(stack.mail_dir, breaches, since)
    figures.update(sink.figures())
    figures["sink_breach_mails_per_ticket"] = dict(Counter(sink.by_event.values()))
    recipients = set(sink.by_event.values())
    mailed_tickets = {t for t, _ in sink.by_event}
    problems += [f"#{t}: the sink got no breach e-mail" for t in ids if t not in mailed_tickets]
    if len(recipients) > 1:
        problems.append(f"tickets got different numbers of breach e-mails: {sorted(recipients)}")
    problems += [f"{mid} to {to}: received {n} times" for (mid, to), n in sink.received.items() if n > 1][:20]
    # Every other e-mail the storm tickets owed (opened, warned) went out once too.
    everything = count_sink_mail(stack.mail_dir, every_mail, 0)
    figures["sink_storm_ticket_mails"] = everything.mails
    figures["sink_storm_ticket_duplicate_mails"] = everything.duplicates
    figures["outbox_rows_by_kind"] = dict(Counter(r.kind for r in every_mail))
    figures["outbox_rows_skipped"] = sum(r.skipped_at is not None for r in every_mail)  # owed nobody a mail
    owed = [r for r in every_mail if r.skipped_at is None]
    problems += [f"#{r.ticket_id}: {r.kind} e-mail never sent" for r in owed if r.sent_at is None][:10]
    unmailed = [r for r in owed if (r.ticket_id, r.seq) not in everything.by_event]
    problems += [f"#{r.ticket_id} seq {r.seq}: {r.kind} e-mail not in the sink" for r in unmailed][:10]
    if everything.duplicates:
        problems.append(f"{everything.duplicates} e-mails of the storm tickets reached the sink twice")

    # Read model vs the workflows: status, version, seqs, each clock's events, and the breach instant.
    tickets = await read_model_tickets(stack.database, ids)
    started = time.monotonic()
    states = await workflow_states(stack.temporal, ids)
    figures["workflow_state_queries_s"] = seconds(time.monotonic() - started)
    for ticket in tickets.values():
        problems += timeline_problems(ticket)
    replaced, mismatches = timeline_mismatches(tickets, states)
    mismatches = read_model_mismatches(tickets, states) + mismatches
    for r in breaches:  # the workflow's one breach is the one in Postgres: breached_at is its due instant
        clock = next((c for c in states[r.ticket_id].sla.clocks if c.name == "first_response"), None)
        if clock is None or not clock.breached or clock.breached_at != r.due:
            mismatches.append(
                f"#{r.ticket_id}: due {r.due}, workflow breached_at {clock and clock.breached_at}"
            )
    problems += mismatches
    figures["read_model_mismatches"] = len(mismatches)
    figures["events_in_read_model"] = sum(len(t["timeline"]) for t in tickets.values())
    figures["events_lost"] = lost_events(tickets, states) + replaced
    figures["workflows_not_running"] = await workflows_not_running(stack.temporal)
    if figures["workflows_not_running"]:
        problems.append(f"ticket workflows not running: {figures['workflows_not_running']}")
    worker_log = stack.log("worker").read_text(errors="replace").lower()
    figures["worker_log_nondeterminism"] = worker_log.count("nondetermin")
    figures["worker_log_failed_activations"] = worker_log.count("failed activation")
    if figures["worker_log_nondeterminism"]:
        problems.append("the worker logged a nondeterminism error (see worker.log)")
    url = f"http://127.0.0.1:{stack.launches['worker'].env['WORKER_METRICS_PORT']}/metrics"
    # Each workflow task that had to replay a run's history (every run, once, after the restart).
    counters = scrape_metrics(url, ("workflow_task_replay_latency",))
    figures["restarted_worker_history_replays"] = round(
        sum(v for k, v in counters.items() if k.endswith("_count"))
    )

    # Figures: lateness against the due instant, before the kill and after the restart; the drain.
    recorded_late = [(r.recorded - r.due).total_seconds() for r in breaches if r.recorded is not None]
    after = [
        (r.recorded - r.due).total_seconds() for r in breaches if r.recorded and r.recorded >= restarted_wall
    ]
    before = [
        (r.recorded - r.due).total_seconds() for r in breaches if r.recorded and r.recorded < killed_wall
    ]
    mailed = [(r.sent_at - r.due).total_seconds() for r in breaches if r.sent_at is not None]
    figures.update(percentiles(before, "breach_recorded_lateness_before_kill"))
    figures.update(percentiles(after, "breach_recorded_lateness_after_restart"))
    figures.update(percentiles(recorded_late, "breach_recorded_lateness"))
    figures.update(percentiles(mailed, "breach_mail_lateness"))
    last_recorded = max((r.recorded for r in breaches if r.recorded is not None), default=None)
    last_sent = max((r.sent_at for r in breaches if r.sent_at is not None), default=None)
    figures["drain_recorded_s_after_due"] = (
        seconds((last_recorded - plan.breach).total_seconds()) if last_recorded else None
    )
    figures["drain_mailed_s_after_due"] = (
        seconds((last_sent - plan.breach).total_seconds()) if last_sent else None
    )
    figures["drain_mailed_s_after_restart"] = (
        seconds((last_sent - restarted_wall).total_seconds()) if last_sent else None
    )
    figures["breach_fired_to_recorded_median_s"] = seconds(
        statistics.median(
            [(r.recorded - r.at).total_seconds() for r in breaches if r.recorded is not None] or [0]
        )
    )
    figures.update(
        faults=stack.faults,
        problems=problems[:20],
        problem_count=len(problems),
        **api.outcomes.figures(),
    )
    return figures


async def workflows_not_running(temporal: str) -> dict[str, int]:
    """Ticket workflows that failed, were terminated or timed out (none may: every ticket is open)."""
    from temporalio.client import Client

    client = await Client.connect(temporal)
    found: dict[str, int] = {}
    for status in ("Failed", "Terminated", "TimedOut", "Canceled"):
        query = f"WorkflowType = 'TicketWorkflow' AND ExecutionStatus = '{status}'"
        count = (await client.count_workflows(query)).count
        if count:
            found[status] = count
    return found
