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

  * worker RSS per 1,000 open tickets: (worker RSS once all are open − RSS before) / size × 1,000
    (also the dev server's, and the peak); the worker caches `WORKER_MAX_CACHED_WORKFLOWS` (10,000)
  * lateness of every recorded breach against its due instant, from the read model:
    `ticket_events.at − (data->>'due')` for type `sla_breached` (p50, p99, max), also for warnings,
    split by whether the breach came due while tickets were still being opened

Baseline, in the same run on the same dev server: `BareClocks` (bench/bare_temporal.py), a workflow
that only sleeps until the same four deadlines per ticket (quiet and breaching alike; the quiet ones
end by their execution timeout) and notes how late each fired, on a worker
with worker.py's settings in this process: its RSS per 1,000 and its timer lateness. Ratios are
bare / Escalator (higher is better). The last line is one JSON object with every figure.
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
import psutil  # noqa: E402

from bench import bare_temporal as bare  # noqa: E402
from bench._common import emit, escalator_running, exit_after, percentile  # noqa: E402

CALENDAR = "bench-24x7"
POLICY = "bench-fast"
PRODUCT = "bench-sla"
QUIET_POLICY = "bench-quiet"
QUIET_PRODUCT = "bench-quiet"
QUIET_MINUTES = (8 * 60, 24 * 60)  # first response, resolution: far beyond the run
WARNING_RATIO = 0.8
MiB = 1024 * 1024


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


def lateness_summary(values: list[float], prefix: str) -> dict[str, float]:
    if not values:
        return {f"{prefix}_count": 0}
    return {
        f"{prefix}_count": len(values),
        f"{prefix}_p50_ms": round(percentile(values, 50) * 1000, 1),
        f"{prefix}_p99_ms": round(percentile(values, 99) * 1000, 1),
        f"{prefix}_max_ms": round(max(values) * 1000, 1),
    }


def rss(pid: int | None) -> int:
    if pid is None:
        return 0
    try:
        return int(psutil.Process(pid).memory_info().rss)
    except psutil.NoSuchProcess:
        return 0


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


async def lane_pool(items: list[Any], concurrency: int, call: Any) -> None:
    queue = list(reversed(items))

    async def lane() -> None:
        while queue:
            await call(queue.pop())

    await asyncio.gather(*(lane() for _ in range(concurrency)))


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
        # Warm-up: the sandbox's first import and the connection, before the RSS baseline.
        warm = await client.start_workflow(
            bare.BareClocks.run, [0.1], id=f"{ids[0]}-warm", task_queue=task_queue
        )
        await warm.result()
        await asyncio.sleep(1)
        before = rss(os.getpid())
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
        after = rss(os.getpid())
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
    figures["bare_rss_before_mib"] = round(before / MiB, 1)
    figures["bare_rss_open_mib"] = round(after / MiB, 1)
    figures["bare_rss_per_1000_mib"] = round((after - before) / MiB / size * 1000, 2)
    figures.update(lateness_summary(breach_late, "bare_timer_breach_lateness"))
    figures.update(lateness_summary(late, "bare_timer_all_lateness"))
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
) -> dict[str, Any]:
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
            for _i in range(5):
                body = {"subject": f"Warm-up {uuid.uuid4().hex}", "description": "warm-up", "severity": 3}
                (await http.post("/tickets", json=body, headers=customer)).raise_for_status()
            await asyncio.sleep(2)
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
            await lane_pool(list(range(size)), concurrency, create)
            open_seconds = time.perf_counter() - started
            creation_end = datetime.now(UTC)
            after = progress.sample()
            figures["open_seconds"] = round(open_seconds, 1)
            figures["create_per_s"] = round(size / open_seconds, 1)
            figures["create_retries"] = errors["n"]
            figures["create_failed"] = errors["failed"]
            for name in pids:
                figures[f"{name}_rss_before_mib"] = round(before[name] / MiB, 1)
                figures[f"{name}_rss_open_mib"] = round(after[name] / MiB, 1)
                figures[f"{name}_rss_per_1000_mib"] = round(
                    (after[name] - before[name]) / MiB / size * 1000, 2
                )
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
        print(f"\nbare Temporal: {args.size} BareClocks workflows (4 timers each) on {temporal}", flush=True)
        client = await bare.connect(temporal)
        results.update(await run_bare(client, args.size, args.concurrency, severities, fast))
    print(f"\nEscalator: {args.size} tickets with running SLA clocks through {api}", flush=True)
    results.update(
        await run_escalator(
            api, keys, database, pids, args.size, args.concurrency, severities, fast, args.wait_grace
        )
    )
    if not args.no_baseline:

        def ratio(base: str, esc: str) -> float:
            b, e = results.get(base), results.get(esc)
            return round(b / e, 3) if b and e else float("nan")

        results["worker_rss_per_1000_ratio"] = ratio("bare_rss_per_1000_mib", "worker_rss_per_1000_mib")
        for q in ("p50", "p99", "max"):
            results[f"breach_lateness_{q}_ratio"] = ratio(
                f"bare_timer_breach_lateness_{q}_ms", f"breach_lateness_{q}_ms"
            )
        results["create_ratio"] = ratio("create_per_s", "bare_start_per_s")  # Escalator / bare
    results["goals"] = {"breach_lateness_p99_under_1s": results.get("breach_lateness_p99_ms", 1e9) < 1000}
    print("\nfigures", flush=True)
    for k, v in results.items():
        if k not in ("policy", "quiet_policy"):
            print(f"  {k:<44} {v}", flush=True)
    return results


def main(args: argparse.Namespace) -> dict[str, Any]:
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
    parser.add_argument("--no-baseline", action="store_true", help="skip the BareClocks baseline")
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
    arguments = parser.parse_args()
    exit_after(lambda: emit(main(arguments)))
