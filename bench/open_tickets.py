"""Many open tickets with running SLA clocks on one worker: memory, and how late breaches fire.

    python bench/open_tickets.py --size 10000 [--concurrency 20] [--no-baseline]
    python bench/open_tickets.py --size 1000            # a short run

Starts the `make dev` stack in a temporary directory (or uses a running one: `--api`, `--keys-file`,
`--database-url`, `--worker-pid`), stores a 24/7 calendar and two SLA policies on it, then opens
`--size` tickets through the API, all with running clocks:

  * the first `size − breaching` on a "quiet" policy (8 h first response, 24 h resolution): open
    tickets whose clocks run but do not come due during the run, as most of a real desk's are;
  * the last `--breaching` (default 1,000) on a policy with short targets (first response: severity
    minutes, 1–4; resolution: severity + 2 minutes, 3–6; warnings at 80 %). Nobody answers, so each
    breaches both clocks, while all `size` tickets are open on the one worker.

Why not short targets for all 10,000: four SLA events per ticket due within minutes is 40,000
workflow tasks with their projections, more than two cores run in that time whatever the engine; the
figure would measure the backlog, not how late a clock fires. Figures:

  * memory per cached ticket, read once the worker is idle (under 5 % of a core, RSS steady for 3 s:
    every run has had its first workflow task and nothing is queued) after the quiet tickets are open
    and before the breaching ones: KiB per ticket with 0 writes, then after 5, 20 and 40 customer
    replies to `--write-tickets` (200) of them (growth 5 → 20 writes, goal under 10 %; a run
    continues as new at 100 history events, so 40 shows that the growth stays bounded). The old figure, read
    as the creates returned, is kept as `*_rss_per_1000_at_return_mib`. `--breaching 0` measures
    memory only.
  * lateness of every recorded breach against its due instant, from the read model:
    `ticket_events.at − (data->>'due')` for type `sla_breached` (p50, p99, max), also for warnings,
    split by whether the breach came due while tickets were still being opened

Baselines, in the same run on the same dev server, on a worker with worker.py's settings in this
process: for memory, `BareEntity` (bench/bare_temporal.py) started and sent one update each (the two
calls of a create), read idle the same way: `memory_per_ticket_ratio` = bare KiB / Escalator KiB per
ticket with 0 writes (goal >= 0.77); `memory_per_ticket_ratio_both_shared` against BareEntity with its
module passed through the sandbox, as Escalator's production worker shares workflows/. For lateness, `BareClocks`, a workflow that only sleeps until the
same four deadlines per ticket (quiet and breaching alike; the quiet ones end by their execution
timeout) and notes how late each fired. Ratios are bare / Escalator (higher is better). The last line
is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx  # noqa: E402

from bench import bare_temporal as bare  # noqa: E402
from bench._common import (  # noqa: E402
    MiB,
    emit,
    escalator_running,
    exit_after,
    lane_pool,
    lateness_summary,
    rss,
    wait_idle,
)

CALENDAR = "bench-24x7"
POLICY = "bench-fast"
PRODUCT = "bench-sla"
QUIET_POLICY = "bench-quiet"
QUIET_PRODUCT = "bench-quiet"
QUIET_MINUTES = (8 * 60, 24 * 60)  # first response, resolution: far beyond the run
WARNING_RATIO = 0.8
WRITES = (5, 20, 40)  # writes per cached ticket at which memory is read again


def first_response_minutes(severity: int) -> int:
    return severity


def resolution_minutes(severity: int) -> int:
    return severity + 2


def deadline_offsets(severity: int, breaching: bool = True) -> list[float]:
    """The four SLA deadlines of a ticket, in seconds after it opens (24/7 calendar)."""
    if breaching:
        fr, res = first_response_minutes(severity) * 60, resolution_minutes(severity) * 60
    else:
        fr, res = QUIET_MINUTES[0] * 60, QUIET_MINUTES[1] * 60
    return [fr * WARNING_RATIO, fr, res * WARNING_RATIO, res]


def breaching_flags(size: int, breaching: int) -> list[bool]:
    """The quiet tickets are opened first, the breaching ones last (so all are open as they come due)."""
    return [i >= size - breaching for i in range(size)]


async def setup_policy(http: httpx.AsyncClient, admin: dict[str, str]) -> None:
    calendar = {
        "timezone": "UTC",
        "weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
    }
    r = await http.put(f"/admin/calendars/{CALENDAR}", json=calendar, headers=admin)
    r.raise_for_status()
    policy = {
        "calendar": CALENDAR,
        "rules": [
            {
                "severity": sev,
                "first_response_minutes": first_response_minutes(sev),
                "resolution_minutes": resolution_minutes(sev),
            }
            for sev in (1, 2, 3, 4)
        ],
        "warning_ratio": WARNING_RATIO,
        "products": [PRODUCT],
    }
    r = await http.put(f"/admin/sla-policies/{POLICY}", json=policy, headers=admin)
    r.raise_for_status()
    quiet_rule = {"first_response_minutes": QUIET_MINUTES[0], "resolution_minutes": QUIET_MINUTES[1]}
    quiet = {
        **policy,
        "rules": [{"severity": sev, **quiet_rule} for sev in (1, 2, 3, 4)],
        "products": [QUIET_PRODUCT],
    }
    r = await http.put(f"/admin/sla-policies/{QUIET_POLICY}", json=quiet, headers=admin)
    r.raise_for_status()


class Progress:
    """Prints a line every `every` seconds while a phase runs; tracks peak RSS of the watched pids."""

    def __init__(self, label: str, pids: dict[str, int | None], every: float = 15.0) -> None:
        self.label = label
        self.pids = pids
        self.every = every
        self.peak: dict[str, int] = dict.fromkeys(pids, 0)
        self.extra: Any = None

    def sample(self) -> dict[str, int]:
        now = {name: rss(pid) for name, pid in self.pids.items()}
        for name, value in now.items():
            self.peak[name] = max(self.peak[name], value)
        return now

    async def run(self, done: asyncio.Event, count: Any) -> None:
        started = time.monotonic()
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), self.every)
            now = self.sample()
            elapsed = time.monotonic() - started
            extra = (await self.extra()) if self.extra else ""
            memory = ", ".join(f"{k} RSS {v / MiB:.0f} MiB" for k, v in now.items())
            print(f"  [{self.label} {elapsed:6.0f}s] {count()} {memory}{extra}", flush=True)


async def run_bare(
    client: Any, size: int, concurrency: int, severities: list[int], fast: list[bool]
) -> dict[str, float]:
    """BareClocks for `size` workflows, the same deadlines as the tickets; RSS of this process."""
    from datetime import timedelta

    task_queue = f"bare-clocks-{uuid.uuid4().hex[:8]}"
    figures: dict[str, float] = {}
    async with bare.bare_worker(client, task_queue):
        ids = [f"bare-clocks-{uuid.uuid4().hex[:8]}-{i}" for i in range(size)]
        handles: list[Any] = []
        breaching: list[Any] = []
        # Warm-up: the sandbox's first import and the connection.
        warm = await client.start_workflow(
            bare.BareClocks.run, [0.1], id=f"{ids[0]}-warm", task_queue=task_queue
        )
        await warm.result()
        progress = Progress("bare", {"bench": os.getpid()})
        done = asyncio.Event()
        watcher = asyncio.create_task(progress.run(done, lambda: f"{len(handles)}/{size} started,"))
        started = time.perf_counter()

        async def start(i: int) -> None:
            offsets = deadline_offsets(severities[i], fast[i])
            handle = await client.start_workflow(
                bare.BareClocks.run,
                offsets,
                id=ids[i],
                task_queue=task_queue,
                execution_timeout=timedelta(hours=2),  # the quiet ones end on their own
            )
            handles.append(handle)
            if fast[i]:
                breaching.append(handle)

        await lane_pool(list(range(size)), concurrency, start)
        open_seconds = time.perf_counter() - started
        progress.label = "bare timers"
        late: list[float] = []
        breach_late: list[float] = []
        for handle in breaching:
            result = await handle.result()
            late.extend(result)
            breach_late.extend(result[1::2])  # sorted offsets: warning, breach, warning, breach
        done.set()
        await watcher
    figures["bare_open_seconds"] = round(open_seconds, 1)
    figures["bare_start_per_s"] = round(size / open_seconds, 1)
    figures.update(lateness_summary(breach_late, "bare_timer_breach_lateness"))
    figures.update(lateness_summary(late, "bare_timer_all_lateness"))
    return figures


async def run_bare_memory(client: Any, size: int, concurrency: int, shared: bool = False) -> dict[str, float]:
    """Memory per cached bare workflow: `size` BareEntity runs, each started and sent one update (the
    two calls of a create), read once the worker is idle.

    The old figure read RSS as soon as the starts returned, before the worker had built the runs:
    about 12 KiB per workflow then against about 105 KiB once idle. Both are reported. `shared`: the
    bare module passed through the sandbox, as Escalator's production worker shares workflows/
    (figures named `bare_shared_*`)."""
    task_queue = f"bare-memory-{uuid.uuid4().hex[:8]}"
    prefix = f"{task_queue}-"
    name = "bare_shared" if shared else "bare"
    async with bare.bare_worker(client, task_queue, shared=shared):
        warm = await client.start_workflow(bare.BareEntity.run, 0, id=f"{prefix}warm", task_queue=task_queue)
        await warm.execute_update(bare.BareEntity.bump, 1)
        before = await wait_idle(os.getpid())

        async def create(i: int) -> None:
            handle = await client.start_workflow(
                bare.BareEntity.run, 0, id=f"{prefix}{i}", task_queue=task_queue
            )
            await handle.execute_update(bare.BareEntity.bump, 1)

        await lane_pool(list(range(size)), concurrency, create)
        at_return = rss(os.getpid())
        idle = await wait_idle(os.getpid())
        for i in range(size):  # end them, so that later phases of this process do not carry them
            await client.get_workflow_handle(f"{prefix}{i}").terminate("memory measured")
    return {
        f"{name}_memory_workflows": size,
        f"{name}_rss_before_mib": round(before["rss"] / MiB, 1),
        f"{name}_rss_idle_mib": round(idle["rss"] / MiB, 1),
        f"{name}_idle_wait_s": idle["waited_s"],
        f"{name}_kib_per_workflow_at_return": round((at_return - before["rss"]) / 1024 / size, 1),
        f"{name}_kib_per_workflow": round((idle["rss"] - before["rss"]) / 1024 / size, 1),
        f"{name}_rss_per_1000_mib": round((idle["rss"] - before["rss"]) / MiB / size * 1000, 2),
    }


async def bare_memory_elsewhere(temporal: str, size: int, concurrency: int, shared: bool) -> dict[str, Any]:
    """`run_bare_memory` in a process of its own: memory freed by an earlier measurement in this one
    would be reused and hide what the new runs take (RSS does not shrink)."""
    mode = "shared" if shared else "default"
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--bare-memory-only",
        mode,
        "--temporal",
        temporal,
        "--size",
        str(size),
        "--concurrency",
        str(concurrency),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    figures: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return figures


async def bare_memory_only(args: argparse.Namespace) -> dict[str, Any]:
    client = await bare.connect(args.temporal)
    return await run_bare_memory(
        client, args.size, args.concurrency, shared=args.bare_memory_only == "shared"
    )


async def write_to(
    http: httpx.AsyncClient, customer: dict[str, str], ids: list[int], writes: int, concurrency: int
) -> int:
    """`writes` customer replies to each ticket (a write that changes no status and stops no clock);
    returns how many were refused or failed."""
    failed = {"n": 0}

    async def one(ticket_id: int) -> None:
        for n in range(writes):
            body = {"body": f"More details, part {n} {uuid.uuid4().hex}"}
            r = await http.post(f"/tickets/{ticket_id}/replies", json=body, headers=customer)
            if r.status_code >= 300:
                failed["n"] += 1

    await lane_pool(ids, concurrency, one)
    return failed["n"]


async def measure_memory(
    http: httpx.AsyncClient,
    customer: dict[str, str],
    worker: int,
    before: float,
    ids: list[int],
    write_tickets: int,
    concurrency: int,
) -> dict[str, float]:
    """The worker's memory per cached ticket once idle after opening, then after 5 and 20 writes to
    `write_tickets` of them: per-ticket memory at k writes = idle per-ticket + growth / sampled."""
    idle = await wait_idle(worker)
    per_ticket = (idle["rss"] - before) / len(ids)
    figures: dict[str, float] = {
        "memory_tickets": len(ids),
        "worker_rss_idle_mib": round(idle["rss"] / MiB, 1),
        "worker_idle_wait_s": idle["waited_s"],
        "kib_per_ticket_0_writes": round(per_ticket / 1024, 1),
        "worker_rss_per_1000_mib": round(per_ticket * 1000 / MiB, 2),
    }
    sample = ids[: min(write_tickets, len(ids))]
    if not sample:
        return figures
    figures["write_tickets"] = len(sample)
    done, failed = 0, 0
    for writes in WRITES:
        failed += await write_to(http, customer, sample, writes - done, concurrency)
        done = writes
        now = await wait_idle(worker)
        grown = (now["rss"] - idle["rss"]) / len(sample)
        figures[f"kib_per_ticket_{writes}_writes"] = round((per_ticket + grown) / 1024, 1)
        figures[f"kib_per_write_to_{writes}"] = round(grown / writes / 1024, 2)
    figures["writes_failed"] = failed
    five, twenty, forty = (figures[f"kib_per_ticket_{w}_writes"] for w in WRITES)
    figures["memory_growth_5_to_20_pct"] = round((twenty / five - 1) * 100, 1) if five > 0 else float("nan")
    figures["memory_growth_5_to_40_pct"] = round((forty / five - 1) * 100, 1) if five > 0 else float("nan")
    return figures


async def breach_rows(engine: Any, first_id: int, last_id: int) -> list[tuple[str, float, datetime]]:
    from sqlalchemy import text

    query = text(
        "SELECT type, EXTRACT(EPOCH FROM (at - (data->>'due')::timestamptz))::float8 AS late, "
        "(data->>'due')::timestamptz AS due FROM ticket_events "
        "WHERE type IN ('sla_breached', 'sla_warning') AND ticket_id BETWEEN :a AND :b"
    )
    async with engine.connect() as conn:
        return [(r.type, r.late, r.due) for r in await conn.execute(query, {"a": first_id, "b": last_id})]


async def count_breaches(engine: Any, first_id: int, last_id: int) -> int:
    from sqlalchemy import text

    query = text(
        "SELECT count(*) FROM ticket_events WHERE type = 'sla_breached' AND ticket_id BETWEEN :a AND :b"
    )
    async with engine.connect() as conn:
        return int((await conn.execute(query, {"a": first_id, "b": last_id})).scalar_one())


async def run_escalator(
    api: str,
    keys: dict[str, str],
    database_url: str,
    pids: dict[str, int | None],
    size: int,
    concurrency: int,
    severities: list[int],
    fast: list[bool],
    wait_grace: float,
    write_tickets: int = 0,
) -> dict[str, Any]:
    """Open the quiet tickets, measure memory (idle, then after writes), open the breaching ones and
    wait for their breaches."""
    from store.db import create_engine

    figures: dict[str, Any] = {}
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    customer = {"Authorization": f"Bearer {keys['customer']}"}
    engine = create_engine(database_url, pool_size=2)
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5)
    try:
        async with httpx.AsyncClient(base_url=f"{api}/v1", timeout=120, limits=limits) as http:
            await setup_policy(http, admin)
            # Warm-up on the default (business-hours) policy: imports, pools, the sandbox.
            warm_ids: list[int] = []
            for _i in range(5):
                body = {"subject": f"Warm-up {uuid.uuid4().hex}", "description": "warm-up", "severity": 3}
                r = await http.post("/tickets", json=body, headers=customer)
                r.raise_for_status()
                warm_ids.append(r.json()["id"])
            if write_tickets:  # the write path's one-time costs (imports, caches) before any RSS is read
                await write_to(http, customer, warm_ids, WRITES[-1], len(warm_ids))
            worker = pids.get("worker")
            idle_before = (await wait_idle(worker))["rss"] if worker else 0.0
            progress = Progress("escalator", pids)
            before = progress.sample()
            ids: list[int] = []
            fast_ids: list[int] = []
            opened_at: dict[int, float] = {}
            errors = {"n": 0, "failed": 0}

            async def create(i: int) -> None:
                body = {
                    "subject": f"SLA bench {uuid.uuid4().hex}",
                    "description": "nobody will answer this one",
                    "severity": severities[i],
                    "product": PRODUCT if fast[i] else QUIET_PRODUCT,
                }
                last_error = ""
                for attempt in range(5):
                    if attempt:  # a timed-out create may have opened its ticket: new subject, not a duplicate
                        body["subject"] = f"SLA bench {uuid.uuid4().hex}"
                    try:
                        r = await http.post("/tickets", json=body, headers=customer)
                    except httpx.TransportError as exc:  # e.g. a keep-alive connection the server just closed
                        errors["n"] += 1
                        last_error = type(exc).__name__
                        continue
                    if r.status_code == 201:
                        ids.append(r.json()["id"])
                        if fast[i]:
                            fast_ids.append(r.json()["id"])
                            opened_at[r.json()["id"]] = time.time()
                        return
                    errors["n"] += 1
                    last_error = f"{r.status_code} {r.text[:200]}"
                    await asyncio.sleep(1 + attempt)
                errors["failed"] += 1  # counted and reported; one overloaded moment does not end the run
                print(f"  ! could not open a ticket after 5 attempts: {last_error}", flush=True)

            async def breached_so_far() -> str:
                if not fast_ids:
                    return ""
                n = await count_breaches(engine, min(fast_ids), max(fast_ids))
                return f", {n}/{2 * len(fast_ids)} breaches recorded"

            progress.extra = breached_so_far
            done = asyncio.Event()
            watcher = asyncio.create_task(progress.run(done, lambda: f"{len(ids)}/{size} open,"))
            started = time.perf_counter()
            quiet = [i for i in range(size) if not fast[i]]
            await lane_pool(quiet, concurrency, create)
            open_seconds = time.perf_counter() - started
            if worker and quiet:
                quiet_ids = list(ids)
                figures.update(
                    await measure_memory(
                        http, customer, worker, idle_before, quiet_ids, write_tickets, concurrency
                    )
                )
            started = time.perf_counter()
            await lane_pool([i for i in range(size) if fast[i]], concurrency, create)
            open_seconds += time.perf_counter() - started
            creation_end = datetime.now(UTC)
            after = progress.sample()
            figures["open_seconds"] = round(open_seconds, 1)
            figures["create_per_s"] = round(size / open_seconds, 1)
            figures["create_retries"] = errors["n"]
            figures["create_failed"] = errors["failed"]
            for name in pids:
                figures[f"{name}_rss_before_mib"] = round(before[name] / MiB, 1)
                figures[f"{name}_rss_open_mib"] = round(after[name] / MiB, 1)
                # Read as the calls return (the old figure; the worker has not built every run yet).
                figures[f"{name}_rss_per_1000_at_return_mib"] = round(
                    (after[name] - before[name]) / MiB / size * 1000, 2
                )
            if not fast_ids:
                done.set()
                await watcher
                return figures
            # Wait for every breach: the last is due resolution_minutes(4) after the last ticket opened.
            last_due = max(opened_at.values()) + resolution_minutes(4) * 60
            first_id, last_id = min(fast_ids), max(fast_ids)
            expected = 2 * len(fast_ids)
            previous, stable_since = -1, time.monotonic()
            while True:
                n = await count_breaches(engine, first_id, last_id)
                if n >= expected:
                    break
                if n != previous:
                    previous, stable_since = n, time.monotonic()
                if time.time() > last_due + wait_grace and time.monotonic() - stable_since > wait_grace:
                    print(f"  gave up waiting: {n}/{expected} breaches recorded", flush=True)
                    break
                await asyncio.sleep(5)
            done.set()
            await watcher
            for name in pids:
                figures[f"{name}_rss_peak_mib"] = round(progress.peak[name] / MiB, 1)
            rows = await breach_rows(engine, first_id, last_id)
    finally:
        await engine.dispose()
    breaches = [late for kind, late, _ in rows if kind == "sla_breached"]
    warnings = [late for kind, late, _ in rows if kind == "sla_warning"]
    during = [late for kind, late, due in rows if kind == "sla_breached" and due <= creation_end]
    afterwards = [late for kind, late, due in rows if kind == "sla_breached" and due > creation_end]
    figures["breaching_tickets"] = len(fast_ids)
    figures["breaches_expected"] = 2 * len(fast_ids)
    figures["breaches_recorded"] = len(breaches)
    figures.update(lateness_summary(breaches, "breach_lateness"))
    figures.update(lateness_summary(warnings, "warning_lateness"))
    figures.update(lateness_summary(during, "breach_lateness_while_opening"))
    figures.update(lateness_summary(afterwards, "breach_lateness_after_opening"))
    return figures


async def run_all(
    args: argparse.Namespace,
    api: str,
    keys: dict[str, str],
    database: str,
    temporal: str,
    pids: dict[str, int | None],
) -> dict[str, Any]:
    import random

    rng = random.Random(2026)
    severities = [rng.choice((1, 2, 3, 4)) for _ in range(args.size)]
    breaching = min(args.size, args.breaching)
    fast = breaching_flags(args.size, breaching)
    results: dict[str, Any] = {
        "size": args.size,
        "breaching": breaching,
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
        "policy": {s: [first_response_minutes(s), resolution_minutes(s)] for s in (1, 2, 3, 4)},
        "quiet_policy": list(QUIET_MINUTES),
    }
    if not args.no_baseline:
        client = await bare.connect(temporal)
        quiet = args.size - breaching
        if quiet:
            print(f"\nbare Temporal: memory of {quiet} BareEntity workflows with one update each", flush=True)
            results.update(await run_bare_memory(client, quiet, args.concurrency))
            print("\nbare Temporal: the same, its module shared with the sandbox as Escalator's", flush=True)
            results.update(await bare_memory_elsewhere(temporal, quiet, args.concurrency, shared=True))
        if breaching:
            print(
                f"\nbare Temporal: {args.size} BareClocks workflows (4 timers each) on {temporal}", flush=True
            )
            results.update(await run_bare(client, args.size, args.concurrency, severities, fast))
    print(f"\nEscalator: {args.size} tickets with running SLA clocks through {api}", flush=True)
    results.update(
        await run_escalator(
            api,
            keys,
            database,
            pids,
            args.size,
            args.concurrency,
            severities,
            fast,
            args.wait_grace,
            args.write_tickets,
        )
    )
    if not args.no_baseline:

        def ratio(base: str, esc: str) -> float:
            b, e = results.get(base), results.get(esc)
            return round(b / e, 3) if b and e else float("nan")

        results["worker_rss_per_1000_ratio"] = ratio("bare_rss_per_1000_mib", "worker_rss_per_1000_mib")
        results["memory_per_ticket_ratio"] = ratio("bare_kib_per_workflow", "kib_per_ticket_0_writes")
        results["memory_per_ticket_ratio_both_shared"] = ratio(
            "bare_shared_kib_per_workflow", "kib_per_ticket_0_writes"
        )
        for q in ("p50", "p99", "max"):
            results[f"breach_lateness_{q}_ratio"] = ratio(
                f"bare_timer_breach_lateness_{q}_ms", f"breach_lateness_{q}_ms"
            )
        results["create_ratio"] = ratio("create_per_s", "bare_start_per_s")  # Escalator / bare
    results["goals"] = {
        "breach_lateness_p99_under_1s": results.get("breach_lateness_p99_ms", 1e9) < 1000,
        "memory_per_ticket_ratio_at_least_0.77": results.get("memory_per_ticket_ratio", 0) >= 0.77,
        "memory_growth_5_to_20_under_10pct": results.get("memory_growth_5_to_20_pct", 1e9) < 10,
        "memory_growth_5_to_40_under_10pct": results.get("memory_growth_5_to_40_pct", 1e9) < 10,
    }
    print("\nfigures", flush=True)
    for k, v in results.items():
        if k not in ("policy", "quiet_policy"):
            print(f"  {k:<44} {v}", flush=True)
    return results


def main(args: argparse.Namespace) -> dict[str, Any]:
    if args.bare_memory_only:
        return asyncio.run(bare_memory_only(args))
    started = time.perf_counter()
    if args.api:
        keys = json.loads(Path(args.keys_file).read_text())
        pids = {"worker": args.worker_pid}
        temporal = args.temporal or "127.0.0.1:7233"
        results = asyncio.run(
            run_all(args, args.api.rstrip("/").removesuffix("/v1"), keys, args.database_url, temporal, pids)
        )
    else:
        with escalator_running() as (api, running):
            procs = dict(running.stack.processes)
            pids = {"worker": procs["worker"].pid, "temporal": procs["temporal"].pid}
            results = asyncio.run(run_all(args, api, running.keys, running.database, running.temporal, pids))
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=10_000, help="open tickets (and bare workflows)")
    parser.add_argument("--concurrency", type=int, default=20, help="client lanes opening tickets")
    parser.add_argument(
        "--breaching", type=int, default=1000, help="tickets (opened last) whose clocks come due in the run"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare baselines")
    parser.add_argument(
        "--write-tickets",
        type=int,
        default=200,
        help="quiet tickets that get 5, then 20 customer replies for the memory-per-write figures",
    )
    parser.add_argument(
        "--wait-grace", type=float, default=120, help="seconds without progress before giving up"
    )
    parser.add_argument(
        "--api", help="a running API (e.g. http://localhost:8000) instead of starting the stack"
    )
    parser.add_argument("--keys-file", default=".data/demo-keys.json", help="with --api: the demo keys")
    parser.add_argument("--database-url", help="with --api: the read model's database")
    parser.add_argument("--temporal", help="with --api: the Temporal frontend (for the baseline)")
    parser.add_argument("--worker-pid", type=int, help="with --api: the worker process to measure")
    parser.add_argument(
        "--bare-memory-only",
        choices=("default", "shared"),
        help="(internal) only the bare memory baseline, in this process, against --temporal",
    )
    arguments = parser.parse_args()
    exit_after(lambda: emit(main(arguments)))
