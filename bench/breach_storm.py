"""A breach storm: thousands of SLA breaches due at the same instant, as a business calendar makes them.

    python bench/breach_storm.py --size 10000 --storm 2000 [--server memory|sqlite]
    python bench/breach_storm.py --size 300 --storm 100          # a short run

Every Sev2 ticket opened between Friday 17:00 and Monday 09:00 breaches at the same instant: its clock
starts at Monday's opening and its target lands exactly on the 12:00 close, so it moves to the 13:00
opening (`domain/calendar.py`). This script builds that shape in real time, because the dev server
has no time skipping: a UTC calendar `bench-storm` that is closed now, opens at T0 (the next whole
minute after the storm tickets can all be opened), closes `TARGET_MINUTES` later and opens again
`--gap-minutes` after that. The storm policy's first-response target is `TARGET_MINUTES`, so every
ticket opened before T0 breaches at the re-opening, one shared instant; its warning (ratio 0.25)
comes due 15 s after T0, a smaller storm of its own first, as Monday's 11:24 warnings precede the
13:00 breaches. The plan is checked against `BusinessCalendar.add` before any ticket is opened.
The shape and its check are in `tests/support/breach_storm.py`, shared with the fault scenario that
kills the worker in the middle of a storm (`tests/faults/test_breach_storm_worker_killed.py`).

Steps: start a Temporal dev server (`--server memory`: in memory; `sqlite`: a `--db-filename` file,
what `make dev` runs) and the `make dev` stack on it (worker, API, Postgres, mailer delivering to the
local SMTP sink `entrypoints/mail_sink.py`); measure the bare baseline; open `size − storm` quiet
tickets (Sev4 on the seeds' business-hours calendar: clocks run, nothing comes due during the run),
then the `storm` tickets on the storm policy; wait for the storm and until it has drained.

Figures (lateness is against the due instant; p50 / p99 / max):
  * breach recorded: the projection's transaction that wrote the `sla_breached` event (its outbox
    row's `created_at`, same transaction) — the headline; also `fired` (the event's `at`,
    `workflow.now()` of the task that recorded it, the measure the bare baseline has)
  * e-mail sent: the outbox row's `sent_at` (the mailer process, SMTP to the sink)
  * drain: until the last breach was recorded and the last e-mail sent
  * the warning storm before it, and the outbox backlog when the breach instant came
  * workflow history replays during the storm: the worker's SDK counters scraped before and after
    (a sticky cache miss is a task that replayed the run's history; also hits, forced evictions)
  * CPU seconds of every process over the storm, and the worker's RSS (before, peak)
  * "every e-mail sent once": asserted by counting rows and the sink's messages (the only failure)

Baseline in the same run, on the same server, before the tickets: `storm` `BareStorm` workflows
(`bench/bare_temporal.py`, a timer at one shared instant and nothing else) on a worker with worker.py's
settings in this process. `breach_p99_ratio` is bare p99 / Escalator recorded p99 (higher is better;
goal ≥ 0.5: recording p99 at most 2× bare's). The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx  # noqa: E402

from bench import bare_temporal as bare  # noqa: E402
from bench._common import (  # noqa: E402
    CpuMeter,
    MiB,
    emit,
    escalator_running,
    exit_after,
    lane_pool,
    lateness_summary,
    rss,
    scrape_metrics,
    stack_pids,
)
from tests.support.breach_storm import (  # noqa: E402
    STORM_SEVERITY,
    StormPlan,
    check_plan,
    count_sink_mail,
    plan_storm,
    storm_calendar,
    storm_policy,
)

STORM_NAME = "bench-storm"  # calendar, policy and product
QUIET_SEVERITY = 4  # the default policy: 16 h / 56 h business time, nothing comes due during a run
# The SDK's counters: a sticky cache miss is a workflow task that had to replay the run's history.
METRICS = ("sticky_cache", "workflow_task_execution_failed")
COUNTERS = (
    "temporal_sticky_cache_hit",
    "temporal_sticky_cache_miss",
    "temporal_workflow_task_execution_failed",
)
DEFAULT_CREATE_RATE = 5.0  # tickets/s assumed before any was timed


async def put_storm_policy(http: httpx.AsyncClient, admin: dict[str, str], plan: StormPlan) -> None:
    """Store the calendar, check it, then the policy (which resolves the calendar's latest version)."""
    calendar = storm_calendar(plan)
    check_plan(calendar, plan, datetime.now(UTC))
    (await http.put(f"/admin/calendars/{STORM_NAME}", json=calendar, headers=admin)).raise_for_status()
    policy = storm_policy(STORM_NAME)
    (await http.put(f"/admin/sla-policies/{STORM_NAME}", json=policy, headers=admin)).raise_for_status()


class Opener:
    """Opens tickets through the API with a few retries; records ids and when each was opened."""

    def __init__(self, http: httpx.AsyncClient, customer: dict[str, str]) -> None:
        self.http = http
        self.customer = customer
        self.ids: list[int] = []
        self.opened_at: list[datetime] = []
        self.retries = 0
        self.failed = 0

    async def open(self, severity: int, product: str | None) -> None:
        body: dict[str, Any] = {"description": "nobody will answer this one", "severity": severity}
        if product:
            body["product"] = product
        for attempt in range(5):
            body["subject"] = f"Storm bench {uuid.uuid4().hex}"  # never a duplicate of a timed-out try
            try:
                r = await self.http.post("/tickets", json=body, headers=self.customer)
            except httpx.TransportError:
                self.retries += 1
                continue
            if r.status_code == 201:
                self.ids.append(int(r.json()["id"]))
                self.opened_at.append(datetime.now(UTC))
                return
            self.retries += 1
            await asyncio.sleep(1 + attempt)
        self.failed += 1

    async def open_many(self, count: int, concurrency: int, severity: int, product: str | None) -> float:
        """Open `count` tickets; returns tickets per second."""
        started = time.perf_counter()

        async def one(_: int) -> None:
            await self.open(severity, product)

        await lane_pool(list(range(count)), concurrency, one)
        return count / max(time.perf_counter() - started, 1e-6)


# ---- the bare baseline ----------------------------------------------------------------------------


async def run_bare(address: str, storm: int, concurrency: int, server_pid: int) -> dict[str, Any]:
    """`storm` BareStorm workflows whose one timer fires at one instant, on worker.py's settings."""
    from tests.support.ports import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    client = await bare.connect(address, metrics_port=port)
    task_queue = f"bare-storm-{uuid.uuid4().hex[:8]}"
    prefix = f"{task_queue}-"
    async with bare.bare_worker(client, task_queue):
        warm = datetime.now(UTC) + timedelta(seconds=0.5)
        await client.execute_workflow(
            bare.BareStorm.run, [warm.isoformat()], id=f"{prefix}warm", task_queue=task_queue
        )
        due = datetime.now(UTC) + timedelta(seconds=storm / 40 + 20)
        started: list[datetime] = []

        async def start(i: int) -> None:
            await client.start_workflow(
                bare.BareStorm.run, [due.isoformat()], id=f"{prefix}{i}", task_queue=task_queue
            )
            started.append(datetime.now(UTC))

        await lane_pool(list(range(storm)), concurrency, start)
        await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() - 2))
        window = StormWindow({"bench": [os.getpid()], "temporal": [server_pid]}, url, os.getpid())
        done = scrape_metrics(url, ("workflow_completed",)).get("temporal_workflow_completed", 0.0)
        while (
            scrape_metrics(url, ("workflow_completed",)).get("temporal_workflow_completed", 0.0)
            < done + storm
        ):
            window.sample()
            if (datetime.now(UTC) - due).total_seconds() > 600:
                break
            await asyncio.sleep(0.5)
        figures = window.close("bare", storm)
        late: list[float] = []

        async def result(i: int) -> None:
            late.extend(await client.get_workflow_handle(f"{prefix}{i}").result())

        await lane_pool(list(range(storm)), concurrency, result)
    figures["bare_started_after_due"] = sum(s > due for s in started)
    figures.update(lateness_summary(late, "bare_breach_lateness"))
    figures["bare_drain_s"] = round(max(late), 2) if late else float("nan")
    return figures


class StormWindow:
    """CPU of process groups, one process's peak RSS and the SDK counters over a storm."""

    def __init__(self, groups: dict[str, list[int]], metrics_url: str, worker_pid: int) -> None:
        self.meter = CpuMeter(groups)
        self.metrics_url = metrics_url
        self.worker_pid = worker_pid
        self.metrics = scrape_metrics(metrics_url, METRICS)
        self.rss_before = rss(worker_pid)
        self.rss_peak = self.rss_before
        self.started = time.monotonic()
        self.meter.start()

    def sample(self) -> None:
        self.rss_peak = max(self.rss_peak, rss(self.worker_pid))

    def close(self, prefix: str, storm: int) -> dict[str, Any]:
        """Figures named `<prefix>_…`: CPU seconds by process and per breach, RSS, counter deltas."""
        seconds = time.monotonic() - self.started
        cpu_ms = self.meter.per_op_ms(1)
        after = scrape_metrics(self.metrics_url, METRICS)
        figures: dict[str, Any] = {f"{prefix}_window_s": round(seconds, 1)}
        for group, ms in cpu_ms.items():
            figures[f"{prefix}_cpu_s_{group}"] = round(ms / 1000, 2)
            figures[f"{prefix}_cpu_ms_per_breach_{group}"] = round(ms / max(storm, 1), 2)
        figures[f"{prefix}_worker_rss_before_mib"] = round(self.rss_before / MiB, 1)
        figures[f"{prefix}_worker_rss_peak_mib"] = round(max(self.rss_peak, rss(self.worker_pid)) / MiB, 1)
        for name in sorted(set(after) | set(COUNTERS)):  # a counter never incremented is not exported
            delta = after.get(name, 0.0) - self.metrics.get(name, 0.0)
            figures[f"{prefix}_{name.removeprefix('temporal_')}_delta"] = round(delta)
        return figures


# ---- Escalator ------------------------------------------------------------------------------------


STORM_ROWS = """
SELECT e.type, e.ticket_id, e.seq, e.at, (e.data->>'due')::timestamptz AS due,
       n.created_at AS recorded, n.sent_at, n.attempts
FROM ticket_events e
LEFT JOIN notifications n
  ON n.ticket_id = e.ticket_id AND n.seq = e.seq AND n.kind = e.type AND n.source = 'ticket'
WHERE e.type IN ('sla_breached', 'sla_warning') AND e.ticket_id = ANY(:ids)
"""

PROGRESS = """
SELECT count(*) FILTER (WHERE e.type = 'sla_breached') AS recorded,
       count(n.sent_at) FILTER (WHERE e.type = 'sla_breached') AS sent,
       count(*) FILTER (WHERE e.type = 'sla_warning') AS warnings
FROM ticket_events e
LEFT JOIN notifications n
  ON n.ticket_id = e.ticket_id AND n.seq = e.seq AND n.kind = e.type AND n.source = 'ticket'
WHERE e.type IN ('sla_breached', 'sla_warning') AND e.ticket_id = ANY(:ids)
"""


async def query(engine: Any, sql: str, ids: list[int]) -> list[Any]:
    from sqlalchemy import text

    async with engine.connect() as conn:
        return list(await conn.execute(text(sql), {"ids": ids}))


async def outbox_backlog(engine: Any) -> int:
    from sqlalchemy import text

    async with engine.connect() as conn:
        sql = "SELECT count(*) FROM notifications WHERE sent_at IS NULL AND failed_at IS NULL"
        return int((await conn.execute(text(sql))).scalar_one())


async def sleep_until(instant: datetime) -> None:
    await asyncio.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds()))


async def wait_for_drain(engine: Any, ids: list[int], window: StormWindow, grace: float) -> dict[str, Any]:
    """Poll until every storm ticket's breach is recorded and e-mailed, or nothing moved for `grace` s."""
    last, moved = (-1, -1), time.monotonic()
    started = time.monotonic()
    while True:
        window.sample()
        row = (await query(engine, PROGRESS, ids))[0]
        now = (int(row.recorded), int(row.sent))
        if now != last:
            last, moved = now, time.monotonic()
        if now[0] >= len(ids) and now[1] >= len(ids):
            return {"drained": True}
        if time.monotonic() - moved > grace:
            print(f"  gave up: {now[0]}/{len(ids)} breaches recorded, {now[1]} e-mailed", flush=True)
            return {"drained": False}
        if int(time.monotonic() - started) % 15 == 0:
            print(f"  [storm] {now[0]}/{len(ids)} recorded, {now[1]} e-mailed", flush=True)
        await asyncio.sleep(1.0)


def storm_figures(rows: list[Any], plan: StormPlan) -> dict[str, Any]:
    """Lateness of the breaches (and warnings) due at the storm's instants."""

    def late(kind: str, due: datetime, column: str) -> list[float]:
        return [
            (getattr(r, column) - r.due).total_seconds()
            for r in rows
            if r.type == kind and r.due == due and getattr(r, column) is not None
        ]

    breaches = [r for r in rows if r.type == "sla_breached"]
    figures: dict[str, Any] = {
        "breaches_recorded": len(breaches),
        "breaches_at_storm_instant": sum(r.due == plan.breach for r in breaches),
    }
    recorded = late("sla_breached", plan.breach, "recorded")
    mailed = late("sla_breached", plan.breach, "sent_at")
    figures.update(lateness_summary(recorded, "breach_recorded_lateness"))
    figures.update(lateness_summary(late("sla_breached", plan.breach, "at"), "breach_fired_lateness"))
    figures.update(lateness_summary(mailed, "breach_mail_lateness"))
    figures.update(
        lateness_summary(late("sla_warning", plan.warning, "recorded"), "warning_recorded_lateness")
    )
    figures["storm_drain_recorded_s"] = round(max(recorded), 2) if recorded else float("nan")
    figures["storm_drain_mailed_s"] = round(max(mailed), 2) if mailed else float("nan")
    return figures


async def run_escalator(api: str, running: Any, args: argparse.Namespace, server_pid: int) -> dict[str, Any]:
    from store.db import create_engine

    keys = running.keys
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    customer = {"Authorization": f"Bearer {keys['customer']}"}
    engine = create_engine(running.database, pool_size=2)
    limits = httpx.Limits(
        max_connections=args.concurrency + 5, max_keepalive_connections=args.concurrency + 5
    )
    figures: dict[str, Any] = {}
    try:
        async with httpx.AsyncClient(base_url=f"{api}/v1", timeout=120, limits=limits) as http:
            opener = Opener(http, customer)
            for _ in range(5):  # warm-up: imports, pools, the sandbox
                await opener.open(QUIET_SEVERITY, None)
            quiet = args.size - args.storm
            rate = DEFAULT_CREATE_RATE
            if quiet > 0:
                rate = await opener.open_many(quiet, args.concurrency, QUIET_SEVERITY, None)
                print(f"  {quiet} quiet tickets open ({rate:.1f}/s)", flush=True)
            figures["quiet_create_per_s"] = round(rate, 1)
            plan = plan_storm(datetime.now(UTC), args.storm / max(rate, 1.0) * 1.15 + 10, args.gap_minutes)
            await put_storm_policy(http, admin, plan)
            print(
                f"  storm plan: opens {plan.opening:%H:%M:%S}, warnings {plan.warning:%H:%M:%S}, "
                f"breaches {plan.breach:%H:%M:%S} UTC",
                flush=True,
            )
            first = len(opener.ids)
            storm_rate = await opener.open_many(args.storm, args.concurrency, STORM_SEVERITY, STORM_NAME)
            ids = opener.ids[first:]
            figures["storm_create_per_s"] = round(storm_rate, 1)
            figures["storm_opened_after_opening"] = sum(t >= plan.opening for t in opener.opened_at[first:])
            figures["create_retries"], figures["create_failed"] = opener.retries, opener.failed
            figures["seconds_from_last_open_to_breach"] = round(
                (plan.breach - max(opener.opened_at)).total_seconds(), 1
            )
        await sleep_until(plan.breach - timedelta(seconds=2))
        figures["outbox_backlog_at_breach"] = await outbox_backlog(engine)
        warned = (await query(engine, PROGRESS, ids))[0].warnings
        figures["warnings_pending_at_breach"] = len(ids) - int(warned)
        worker = dict(running.stack.processes)["worker"].pid
        groups = stack_pids(running) | {"temporal": [server_pid]}
        url = f"http://127.0.0.1:{os.environ['WORKER_METRICS_PORT']}/metrics"
        window = StormWindow(groups, url, worker)
        figures.update(await wait_for_drain(engine, ids, window, args.wait_grace))
        figures.update(window.close("storm", len(ids)))
        rows = await query(engine, STORM_ROWS, ids)
    finally:
        await engine.dispose()
    figures.update(storm_figures(rows, plan))
    breaches = [r for r in rows if r.type == "sla_breached"]
    figures["breach_mails_marked_sent"] = sum(r.sent_at is not None for r in breaches)
    since = plan.breach.timestamp() - 5
    figures.update(count_sink_mail(Path(running.data_dir) / "mail", breaches, since).figures())
    figures["storm_tickets"] = len(ids)
    figures["plan"] = {k: v.isoformat() for k, v in vars(plan).items()}
    return figures


def add_ratios(results: dict[str, Any]) -> None:
    """bare / Escalator (higher is better), and the goals; only "sent once" is asserted."""

    def ratio(base: str, esc: str) -> float:
        b, e = results.get(base), results.get(esc)
        return round(b / e, 3) if b and e else float("nan")

    results["breach_p99_ratio"] = ratio("bare_breach_lateness_p99_ms", "breach_recorded_lateness_p99_ms")
    results["breach_p50_ratio"] = ratio("bare_breach_lateness_p50_ms", "breach_recorded_lateness_p50_ms")
    results["breach_fired_p99_ratio"] = ratio("bare_breach_lateness_p99_ms", "breach_fired_lateness_p99_ms")
    results["drain_ratio"] = ratio("bare_drain_s", "storm_drain_recorded_s")
    storm = results["storm_tickets"]
    sent_once = (
        results["breach_mails_marked_sent"] == storm
        and results["sink_breach_events_mailed"] == storm
        and results["sink_duplicate_mails"] == 0
    )
    results["goals"] = {
        "breach_recording_p99_at_most_2x_bare": results["breach_p99_ratio"] >= 0.5,
        "every_breach_mail_sent_once": sent_once,
    }


def print_figures(results: dict[str, Any]) -> None:
    print("\nfigures", flush=True)
    for k, v in results.items():
        print(f"  {k:<48} {v}", flush=True)


async def measure(api: str, running: Any, args: argparse.Namespace, address: str, pid: int) -> dict[str, Any]:
    results: dict[str, Any] = {
        "size": args.size,
        "storm": args.storm,
        "server": args.server,
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
    }
    print(f"\nbare Temporal: {args.storm} BareStorm timers at one instant on {address}", flush=True)
    results.update(await run_bare(address, args.storm, args.concurrency, pid))
    print(f"\nEscalator: {args.size} open tickets, {args.storm} breaching at one instant", flush=True)
    results.update(await run_escalator(api, running, args, pid))
    add_ratios(results)
    print_figures(results)
    return results


def main(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    with (
        bare.dev_server(in_memory=args.server == "memory") as (address, pid),
        escalator_running(temporal_address=address) as (api, running),
    ):
        results = asyncio.run(measure(api, running, args, address, pid))
    results["seconds"] = round(time.perf_counter() - started, 1)
    if not results["goals"]["every_breach_mail_sent_once"]:
        emit(results)
        raise AssertionError("a breach e-mail was not sent exactly once (see the sink and outbox figures)")
    return results


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=10_000, help="open tickets, storm ones included")
    parser.add_argument("--storm", type=int, default=2_000, help="tickets breaching at the same instant")
    parser.add_argument(
        "--server", choices=("memory", "sqlite"), default="memory", help="dev server persistence"
    )
    parser.add_argument("--concurrency", type=int, default=20, help="client lanes opening tickets")
    parser.add_argument(
        "--gap-minutes",
        type=int,
        default=None,
        help="closed minutes before the breach (default: 1 per 1,000 storm tickets, at least 1)",
    )
    parser.add_argument(
        "--wait-grace", type=float, default=120, help="seconds without progress before giving up"
    )
    args = parser.parse_args()
    args.storm = min(args.storm, args.size)
    if args.gap_minutes is None:
        args.gap_minutes = max(1, math.ceil(args.storm / 1000))
    return args


if __name__ == "__main__":
    arguments_ = arguments()
    exit_after(lambda: emit(main(arguments_)))
