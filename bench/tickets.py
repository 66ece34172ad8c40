"""Tickets through Escalator's API beside the bare Temporal ceiling, on the same dev server, in one run.

    python bench/tickets.py --size 300 [--concurrency 1,50] [--offpath] [--profile] [--profile-dir DIR]

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

`--offpath` adds, in the same run and stack, the prototype of docs/design/projection-off-update-path.md:
a second worker (bench/offpath_worker.py: the ticket workflow of bench/offpath_workflow.py, whose
updates answer before the projection, written by a regular activity) and a second API process on
their own task queue, measured with the same phases; both designs also run a read-back phase (an
internal note, then `GET /v1/tickets/{id}` until it shows the note's version: how long a reader waits
for its own write, and how often it would have to ask the workflow).

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
    wait_idle,
)

PHASES = ("create", "agent_reply", "customer_reply")
ERRORS: list[str] = []  # 5xx answers and dropped connections seen (and retried) during the run
FAILED: list[str] = []  # requests that still failed after 3 retries (not in the figures' ids)


READ_POLL_S = 0.02  # read-back: pause between GETs that did not yet show the write
READ_WAIT_S = 1.0  # read-back: after this long, ask the workflow instead (what the API would do)


async def measure(
    api: str,
    keys: dict[str, str],
    size: int,
    concurrency: int,
    meter: CpuMeter | None = None,
    client: Any = None,
) -> tuple[dict[str, float], list[int]]:
    """Create `size` tickets, reply to each as the agent, then as the customer; returns figures and ids.

    With a Temporal `client`, a read-back phase follows: an internal note on each ticket, then GETs of
    the ticket until it shows the note's version (every `READ_POLL_S`), for at most `READ_WAIT_S`, then
    the workflow's `state` query (a GET with a minimum version, as a client would see it)."""
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

        waits: list[float] = []
        read_back = {"stale_first_get": 0, "gets": 0, "asked_workflow": 0, "workflow_had_it": 0}

        async def note_read(ticket_id: int) -> None:
            r = await post(f"/tickets/{ticket_id}/replies", {"body": "checked", "internal": True}, agent)
            if r is None:
                return
            version = r.json()["version"]
            answered = time.perf_counter()
            first = True
            while True:
                got = await http.get(f"/tickets/{ticket_id}", headers=agent)
                read_back["gets"] += 1
                if got.status_code == 200 and got.json()["version"] >= version:
                    break
                read_back["stale_first_get"] += first
                first = False
                if time.perf_counter() - answered > READ_WAIT_S:
                    read_back["asked_workflow"] += 1
                    from workflows.ticket_input import ticket_workflow_id

                    state = await client.get_workflow_handle(ticket_workflow_id(ticket_id)).query("state")
                    read_back["workflow_had_it"] += state["version"] >= version
                    break
                await asyncio.sleep(READ_POLL_S)
            waits.append(time.perf_counter() - answered)

        phases: list[tuple[str, Any, list[Any]]] = [
            ("create", create, list(range(size))),
            ("agent_reply", agent_reply, ids),
            ("customer_reply", customer_reply, ids),
        ]
        if client is not None:
            phases.append(("note_read", note_read, ids))
        for name, call, items in phases:
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
        if client is not None:
            figures.update({f"note_read_{k}": v for k, v in read_back.items()})
            figures.update({f"note_read_wait_{k}": v for k, v in summary_ms(waits).items()})
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
    print(
        "  CPU ms per operation (temporal / worker / api / worker_offpath / api_offpath / postgres / bench"
        " / other = total):",
        flush=True,
    )
    for phase, source in (
        ("create", esc),
        ("agent_reply", esc),
        ("customer_reply", esc),
        ("note_read", esc),
        ("direct_update", esc),
        ("start", base),
        ("update_with_start", base),
        ("start_then_update", base),
        ("update", base),
        ("signal", base),
    ):
        parts = " / ".join(str(source.get(f"{phase}_cpu_ms_{g}", "-")) for g in (*GROUPS, "other"))
        print(f"    {phase:<20} {parts} = {source.get(f'{phase}_cpu_ms_total', '-')}", flush=True)


OFFPATH_QUEUE = "escalator-offpath"
GROUPS = ("temporal", "worker", "api", "worker_offpath", "api_offpath", "postgres", "bench")


def start_offpath(running: Any) -> str:
    """The off-path prototype beside the stack: its worker and an API on their own task queue, with
    the environment the stack gave its worker (read back from /proc); returns the API's URL."""
    from entrypoints.devstack import wait_ready
    from tests.support.ports import free_port

    worker = dict(running.stack.processes)["worker"]
    raw = Path(f"/proc/{worker.pid}/environ").read_bytes().decode()
    env = dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)
    env["TEMPORAL_TASK_QUEUE"] = OFFPATH_QUEUE
    env["WORKER_METRICS_PORT"] = str(free_port())
    env["WORKER_DOMAIN_METRICS_PORT"] = str(free_port())
    logs = Path(running.logs)
    running.stack.start(
        "worker_offpath", [sys.executable, "bench/offpath_worker.py"], env, logs / "worker-offpath.log"
    )
    port = free_port()
    api_args = [sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port", str(port)]
    running.stack.start("api_offpath", api_args, env, logs / "api-offpath.log")
    url = f"http://127.0.0.1:{port}"
    wait_ready(f"{url}/readyz", 60, running.stack)
    return url


async def run_all(
    api: str, running: Any, size: int, levels: list[int], profile_dir: Path | None, offpath: bool = False
) -> dict[str, object]:
    keys, temporal = running.keys, running.temporal
    api_off = start_offpath(running) if offpath else None
    pids = stack_pids(running)
    groups = {g: pids[g] for g in GROUPS if g in pids}
    groups["other"] = [p for g, ps in pids.items() if g not in groups for p in ps]
    meter = CpuMeter(groups)
    results: dict[str, object] = {"size": size, "cpus": os.cpu_count(), "levels": levels}
    client = await bare.connect(temporal)
    task_queue = f"bare-bench-{uuid.uuid4().hex[:8]}"
    goals: dict[str, bool] = {}
    async with bare.bare_worker(client, task_queue):
        # Warm-up of both: imports, caches, connection pools, the sandbox's first import.
        await bare.warm_up(client, task_queue)
        read_client = client if offpath else None
        _, warm_ids = await measure(api, keys, min(20, size), 5, client=read_client)
        await measure_direct(client, warm_ids, 5)
        if api_off is not None:
            _, warm_ids = await measure(api_off, keys, min(20, size), 5, client=read_client)
            await measure_direct(client, warm_ids, 5)

        async def settle() -> None:
            """With two designs in one stack: let each worker finish what the last phase left (timed-out
            creates still running, projections queued) before the next phase is measured."""
            if offpath:
                for name in ("worker", "worker_offpath"):
                    await wait_idle(pids[name][0], settle=2.0, cpu_below=10.0, give_up_after=60.0)

        for index, c in enumerate(levels):
            # Alternate which goes first so that drift on a shared machine does not favour one side.
            off: dict[str, float] | None = None
            if index % 2 == 0:
                base = await bare.measure(client, task_queue, size, c, meter)
                await settle()
                esc, ids = await measure(api, keys, size, c, meter, read_client)
                if api_off is not None:
                    await settle()
                    off, off_ids = await measure(api_off, keys, size, c, meter, read_client)
            else:
                if api_off is not None:
                    off, off_ids = await measure(api_off, keys, size, c, meter, read_client)
                    await settle()
                esc, ids = await measure(api, keys, size, c, meter, read_client)
                await settle()
                base = await bare.measure(client, task_queue, size, c, meter)
            esc.update(await measure_direct(client, ids, c, meter))
            cmp = compare(c, esc, base)
            print_side_by_side(c, size, esc, base, cmp)
            results.update({f"c{c}_{k}": v for k, v in esc.items()})
            results.update({f"c{c}_bare_{k}": v for k, v in base.items()})
            results.update({f"c{c}_{k}": v for k, v in cmp.items()})
            if off is not None:
                off.update(await measure_direct(client, off_ids, c, meter))
                off_cmp = compare(c, off, base)
                print("\nOFF-PATH PROTOTYPE (bench/offpath_workflow.py), same level:", flush=True)
                print_side_by_side(c, size, off, base, off_cmp)
                print_read_back(esc, off)
                results.update({f"c{c}_off_{k}": v for k, v in off.items()})
                results.update({f"c{c}_off_{k}": v for k, v in off_cmp.items()})
                if index == len(levels) - 1:
                    shapes = {
                        "today": await history_shape(client, ids[-1]),
                        "off": await history_shape(client, off_ids[-1]),
                    }
                    print(f"  history of one ticket (create, 2 replies, 2 notes, {c} clients):", flush=True)
                    for side, shape in shapes.items():
                        print(f"    {side}: {shape}", flush=True)
                    results["history_events"] = shapes
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


async def history_shape(client: Any, ticket_id: int) -> dict[str, int]:
    """Event types in one ticket's history (a create, two replies, two notes): what each design asks of
    the Temporal server per write."""
    from workflows.ticket_input import ticket_workflow_id

    counts: dict[str, int] = {}
    async for event in client.get_workflow_handle(ticket_workflow_id(ticket_id)).fetch_history_events():
        name = event.WhichOneof("attributes").removesuffix("_event_attributes")
        counts[name] = counts.get(name, 0) + 1
    counts["total"] = sum(counts.values())
    return counts


def print_read_back(esc: dict[str, float], off: dict[str, float]) -> None:
    """A note, then GETs until the ticket shows its version: today's design against the prototype."""
    print("  read back (note, then GET until it shows the note's version):   today   off-path", flush=True)
    for key in (
        "note_read_per_s",
        "note_read_p50_ms",
        "note_read_gets",
        "note_read_stale_first_get",
        "note_read_asked_workflow",
        "note_read_workflow_had_it",
        "note_read_wait_p50_ms",
        "note_read_wait_p99_ms",
    ):
        print(f"    {key:<40} {esc.get(key, '-'):>9} {off.get(key, '-'):>10}", flush=True)


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
        results = asyncio.run(run_all(api, running, args.size, levels, profile_dir, args.offpath))
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
    parser.add_argument(
        "--offpath",
        action="store_true",
        help="also measure the projection-off-the-update-path prototype (bench/offpath_workflow.py)",
    )
    parser.add_argument("--profile", action="store_true", help="add a py-spy pass on the API and worker")
    parser.add_argument("--profile-dir", help="where py-spy writes (implies --profile)")
    arguments = parser.parse_args()
    exit_after(lambda: emit(main(arguments)))
