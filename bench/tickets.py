"""Tickets through Escalator's API beside the bare Temporal ceiling, on the same dev server, in one run.

    python bench/tickets.py --size 300 [--concurrency 1,50] [--profile] [--profile-dir DIR]

Starts the `make dev` stack (Temporal dev server with a SQLite file, embedded Postgres, worker and
API as separate processes) in a temporary directory. For each concurrency level (client lanes) it
measures, back to back on that one dev server:

  * bare Temporal (bench/bare_temporal.py): starts, update-with-start, updates, signals of a minimal
    entity workflow, with its own worker and task queue in this process (worker.py's settings);
  * Escalator over loopback HTTP: create (POST /v1/tickets: Postgres sequence, duplicate check,
    update-with-start, first projection), agent reply (await_customer: pending) and customer reply
    (back to open), each answered after the Postgres projection is written;
  * the ticket workflow without the API: TicketWorkflow.reply (an internal note) sent straight to
    Temporal from this process, to split API cost from workflow + projection cost.

Every phase also records the CPU milliseconds per operation used by each process (Temporal dev
server, worker, API, Postgres with its backends, this bench process). `--profile` adds a pass at the
highest concurrency under `py-spy record` on the API and worker processes and prints where their CPU
goes (py-spy: `.venv/bin/pip install py-spy`).

Ratios (`*_ratio`) are oriented so that higher is better: Escalator throughput / bare throughput and
bare latency / Escalator latency. The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

# Run as a script: import from the repository root, never let bench/ shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx  # noqa: E402

from bench import bare_temporal as bare  # noqa: E402
from bench._common import (  # noqa: E402
    CpuMeter,
    PySpy,
    emit,
    escalator_running,
    exit_after,
    run_concurrently,
    stack_pids,
    summarise_profile,
    summary_ms,
)

PHASES = ("create", "agent_reply", "customer_reply")
ERRORS: list[str] = []  # 5xx answers and dropped connections seen (and retried) during the run
FAILED: list[str] = []  # requests that still failed after 3 retries (not in the figures' ids)


async def measure(
    api: str, keys: dict[str, str], size: int, concurrency: int, meter: CpuMeter | None = None
) -> tuple[dict[str, float], list[int]]:
    """Create `size` tickets, reply to each as the agent, then as the customer; returns figures and ids."""
    customer = {"Authorization": f"Bearer {keys['customer']}"}
    agent = {"Authorization": f"Bearer {keys['agent']}"}
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5)
    figures: dict[str, float] = {}
    ids: list[int] = []
    async with httpx.AsyncClient(base_url=f"{api}/v1", timeout=60, limits=limits) as http:

        async def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response | None:
            """POST; a 5xx or a dropped connection is counted, reported and retried (up to 3 times); a
            request that still fails is counted in FAILED and skipped, so one overloaded phase does not
            end the run. A timed-out create may still have opened its ticket, so a retried create gets
            a new subject (the same one would be refused as a possible duplicate)."""
            for attempt in range(4):
                if attempt and "subject" in body:
                    body = {**body, "subject": f"Bench {uuid.uuid4().hex}"}
                try:
                    r = await http.post(path, json=body, headers=headers)
                except httpx.TransportError as exc:
                    ERRORS.append(f"{type(exc).__name__} POST {path}")
                    await asyncio.sleep(0.5 * (attempt + 1))
                    continue
                if r.status_code < 500:
                    r.raise_for_status()
                    return r
                ERRORS.append(f"{r.status_code} POST {path}: {r.text[:300]}")
                print(f"  ! {ERRORS[-1][:160]}", flush=True)
                await asyncio.sleep(0.5 * (attempt + 1))
            FAILED.append(path)
            return None

        async def create(i: int) -> None:
            # Distinct subjects: the create path refuses a subject similar to an open ticket's.
            body = {
                "subject": f"Bench {uuid.uuid4().hex}",
                "description": "load",
                "severity": 1 + i % 4,
            }
            r = await post("/tickets", body, customer)
            if r is not None:
                ids.append(r.json()["id"])

        async def agent_reply(ticket_id: int) -> None:
            body = {"body": "Could you send the logs?", "await_customer": True}
            await post(f"/tickets/{ticket_id}/replies", body, agent)

        async def customer_reply(ticket_id: int) -> None:
            await post(f"/tickets/{ticket_id}/replies", {"body": "attached"}, customer)

        for name, call, items in (
            ("create", create, list(range(size))),
            ("agent_reply", agent_reply, ids),
            ("customer_reply", customer_reply, ids),
        ):
            items = list(items)
            if meter is not None:
                meter.start()
            failed_before, errors_before = len(FAILED), len(ERRORS)
            wall, latencies = await run_concurrently(items, concurrency, call)
            done = len(items) - (len(FAILED) - failed_before)
            figures[f"{name}_per_s"] = round(done / wall, 1)  # successful requests only
            figures[f"{name}_retried"] = len(ERRORS) - errors_before
            figures[f"{name}_failed"] = len(FAILED) - failed_before
            for k, v in summary_ms(latencies).items():
                figures[f"{name}_{k}"] = v
            if meter is not None:
                for group, ms in meter.per_op_ms(len(items)).items():
                    figures[f"{name}_cpu_ms_{group}"] = ms
    return figures, ids


async def measure_direct(
    client: Any, ids: list[int], concurrency: int, meter: CpuMeter | None = None
) -> dict[str, float]:
    """TicketWorkflow.reply (an internal note) straight to Temporal: the workflow and projection alone."""
    from domain.actors import Actor, Role
    from domain.ticket.commands import Reply
    from workflows.ticket import TicketWorkflow
    from workflows.ticket_input import ticket_workflow_id

    actor = Actor(user_id="bench-agent", role=Role.AGENT, name="bench")

    async def note(ticket_id: int) -> None:
        handle = client.get_workflow_handle(ticket_workflow_id(ticket_id))
        await handle.execute_update(TicketWorkflow.reply, Reply(actor=actor, body="note", internal=True))

    if meter is not None:
        meter.start()
    wall, latencies = await run_concurrently(list(ids), concurrency, note)
    figures = {"direct_update_per_s": round(len(ids) / wall, 1)}
    figures.update({f"direct_update_{k}": v for k, v in summary_ms(latencies).items()})
    if meter is not None:
        figures.update({f"direct_update_cpu_ms_{g}": ms for g, ms in meter.per_op_ms(len(ids)).items()})
    return figures


def compare(c: int, esc: dict[str, float], base: dict[str, float]) -> dict[str, float]:
    """Ratios, higher is better, and the latency gaps the goals are stated in."""
    out: dict[str, float] = {}

    def ratio(num: float, den: float) -> float:
        return round(num / den, 3) if den else float("nan")

    out["create_ratio"] = ratio(esc["create_per_s"], base["start_per_s"])
    out["create_vs_update_with_start_ratio"] = ratio(esc["create_per_s"], base["update_with_start_per_s"])
    out["create_vs_start_then_update_ratio"] = ratio(esc["create_per_s"], base["start_then_update_per_s"])
    for phase in ("agent_reply", "customer_reply"):
        out[f"{phase}_ratio"] = ratio(esc[f"{phase}_per_s"], base["update_per_s"])
        out[f"{phase}_p50_ratio"] = ratio(base["update_p50_ms"], esc[f"{phase}_p50_ms"])
        out[f"{phase}_p99_ratio"] = ratio(base["update_p99_ms"], esc[f"{phase}_p99_ms"])
        out[f"{phase}_p50_gap_ms"] = round(esc[f"{phase}_p50_ms"] - base["update_p50_ms"], 2)
    out["create_p50_ratio"] = ratio(base["start_p50_ms"], esc["create_p50_ms"])
    out["direct_update_ratio"] = ratio(esc["direct_update_per_s"], base["update_per_s"])
    out["direct_update_p50_ratio"] = ratio(base["update_p50_ms"], esc["direct_update_p50_ms"])
    return out


def print_side_by_side(
    c: int, size: int, esc: dict[str, float], base: dict[str, float], cmp: dict[str, float]
) -> None:
    rows = [
        ("create /s", "create_per_s", "start_per_s", "create_ratio"),
        (
            "create /s vs update-with-start",
            "create_per_s",
            "update_with_start_per_s",
            "create_vs_update_with_start_ratio",
        ),
        (
            "create /s vs start-then-update",
            "create_per_s",
            "start_then_update_per_s",
            "create_vs_start_then_update_ratio",
        ),
        ("create p50 ms", "create_p50_ms", "start_p50_ms", "create_p50_ratio"),
        ("agent reply /s", "agent_reply_per_s", "update_per_s", "agent_reply_ratio"),
        ("agent reply p50 ms", "agent_reply_p50_ms", "update_p50_ms", "agent_reply_p50_ratio"),
        ("agent reply p99 ms", "agent_reply_p99_ms", "update_p99_ms", "agent_reply_p99_ratio"),
        ("customer reply /s", "customer_reply_per_s", "update_per_s", "customer_reply_ratio"),
        ("customer reply p50 ms", "customer_reply_p50_ms", "update_p50_ms", "customer_reply_p50_ratio"),
        ("customer reply p99 ms", "customer_reply_p99_ms", "update_p99_ms", "customer_reply_p99_ratio"),
        ("workflow update (no API) /s", "direct_update_per_s", "update_per_s", "direct_update_ratio"),
        (
            "workflow update (no API) p50 ms",
            "direct_update_p50_ms",
            "update_p50_ms",
            "direct_update_p50_ratio",
        ),
    ]
    print(
        f"\nconcurrency {c}, {size} tickets / workflows            Escalator       bare   ratio", flush=True
    )
    for label, e, b, r in rows:
        print(f"  {label:<44} {esc[e]:>9} {base[b]:>10} {cmp[r]:>7}", flush=True)
    print(f"  bare signals /s {base['signal_per_s']}, signal p50 {base['signal_p50_ms']} ms", flush=True)
    print("  CPU ms per operation (temporal / worker / api / postgres / bench = total):", flush=True)
    for phase, source in (
        ("create", esc),
        ("agent_reply", esc),
        ("customer_reply", esc),
        ("direct_update", esc),
        ("start", base),
        ("update_with_start", base),
        ("start_then_update", base),
        ("update", base),
        ("signal", base),
    ):
        parts = " / ".join(
            str(source.get(f"{phase}_cpu_ms_{g}", "-"))
            for g in ("temporal", "worker", "api", "postgres", "bench")
        )
        print(f"    {phase:<20} {parts} = {source.get(f'{phase}_cpu_ms_total', '-')}", flush=True)


async def run_all(
    api: str, running: Any, size: int, levels: list[int], profile_dir: Path | None
) -> dict[str, object]:
    keys, temporal = running.keys, running.temporal
    pids = stack_pids(running)
    groups = {g: pids[g] for g in ("temporal", "worker", "api", "postgres", "bench") if g in pids}
    groups["other"] = [p for g, ps in pids.items() if g not in groups for p in ps]
    meter = CpuMeter(groups)
    results: dict[str, object] = {"size": size, "cpus": os.cpu_count(), "levels": levels}
    client = await bare.connect(temporal)
    task_queue = f"bare-bench-{uuid.uuid4().hex[:8]}"
    goals: dict[str, bool] = {}
    async with bare.bare_worker(client, task_queue):
        # Warm-up of both: imports, caches, connection pools, the sandbox's first import.
        await bare.warm_up(client, task_queue)
        _, warm_ids = await measure(api, keys, min(20, size), 5)
        await measure_direct(client, warm_ids, 5)
        for index, c in enumerate(levels):
            # Alternate which goes first so that drift on a shared machine does not favour one side.
            if index % 2 == 0:
                base = await bare.measure(client, task_queue, size, c, meter)
                esc, ids = await measure(api, keys, size, c, meter)
            else:
                esc, ids = await measure(api, keys, size, c, meter)
                base = await bare.measure(client, task_queue, size, c, meter)
            esc.update(await measure_direct(client, ids, c, meter))
            cmp = compare(c, esc, base)
            print_side_by_side(c, size, esc, base, cmp)
            results.update({f"c{c}_{k}": v for k, v in esc.items()})
            results.update({f"c{c}_bare_{k}": v for k, v in base.items()})
            results.update({f"c{c}_{k}": v for k, v in cmp.items()})
            goals[f"c{c}_create_at_least_0.8_of_bare"] = cmp["create_ratio"] >= 0.8
            goals[f"c{c}_agent_reply_at_least_0.8_of_bare"] = cmp["agent_reply_ratio"] >= 0.8
            goals[f"c{c}_customer_reply_at_least_0.8_of_bare"] = cmp["customer_reply_ratio"] >= 0.8
            if c == 1:
                goals["c1_reply_p50_within_10ms_of_bare_update"] = (
                    max(cmp["agent_reply_p50_gap_ms"], cmp["customer_reply_p50_gap_ms"]) <= 10
                )
        if profile_dir is not None:
            c = max(levels)
            n = min(size, 100)
            procs = {name: pids[name][0] for name in ("api", "worker")}
            print(
                f"\nprofiling API and worker with py-spy: {n} tickets at concurrency {c} → {profile_dir}",
                flush=True,
            )
            with PySpy(profile_dir, procs):
                prof, _ = await measure(api, keys, n, c)
            results["profile_dir"] = str(profile_dir)
            results["profile_pass"] = {k: v for k, v in prof.items() if k.endswith("_per_s")}
            for name in procs:
                summary = summarise_profile(profile_dir / f"{name}.txt")
                results[f"profile_{name}"] = summary
                print_profile(name, summary)
    results["goals"] = goals
    results["server_errors"] = len(ERRORS)
    results["failed_requests"] = len(FAILED)
    results["server_error_samples"] = ERRORS[:5]
    return results


def print_profile(name: str, summary: dict[str, Any]) -> None:
    print(f"\n{name}: {summary.get('samples', 0)} CPU samples (py-spy, 100 Hz)", flush=True)
    print(
        "  self time by area (GIL-holding samples): "
        + ", ".join(f"{k} {v}%" for k, v in list(summary.get("self_by_area_pct", {}).items())[:12]),
        flush=True,
    )
    print("  top self:", flush=True)
    for frame, pct in summary.get("top_self_pct", [])[:12]:
        print(f"    {pct:5.1f}%  {frame}", flush=True)
    print("  libraries, inclusive:", flush=True)
    for frame, pct in summary.get("top_library_inclusive_pct", [])[:15]:
        print(f"    {pct:5.1f}%  {frame}", flush=True)
    print("  project code, inclusive:", flush=True)
    for frame, pct in summary.get("top_project_inclusive_pct", [])[:15]:
        print(f"    {pct:5.1f}%  {frame}", flush=True)


def main(args: argparse.Namespace) -> dict[str, object]:
    levels = [int(c) for c in args.concurrency.split(",")]
    profile_dir = None
    if args.profile or args.profile_dir:
        profile_dir = Path(
            args.profile_dir or f"/tmp/escalator-bench-profiles/{time.strftime('%Y%m%d-%H%M%S')}"
        )
    started = time.perf_counter()
    with escalator_running() as (api, running):
        results = asyncio.run(run_all(api, running, args.size, levels, profile_dir))
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size", type=int, default=200, help="tickets (and bare workflows) per concurrency level"
    )
    parser.add_argument("--concurrency", default="1,50", help="comma-separated client counts")
    parser.add_argument("--profile", action="store_true", help="add a py-spy pass on the API and worker")
    parser.add_argument("--profile-dir", help="where py-spy writes (implies --profile)")
    arguments = parser.parse_args()
    exit_after(lambda: emit(main(arguments)))
