"""Shared helpers for the benchmark scripts: percentiles, timing and starting the stack."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Shared with the fault scenarios (they read the restarted worker's counters); re-exported here.
from tests.support.metrics import scrape_metrics as scrape_metrics  # noqa: E402


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else float("nan"),
    }


async def run_concurrently(
    items: list[Any], concurrency: int, call: Callable[[Any], Awaitable[None]]
) -> tuple[float, list[float]]:
    """Run `call` over items with `concurrency` workers; returns wall seconds and per-call latencies."""
    import asyncio

    latencies: list[float] = []
    queue = list(reversed(items))

    async def lane() -> None:
        while queue:
            item = queue.pop()
            started = time.perf_counter()
            await call(item)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


@contextmanager
def escalator_running(temporal_address: str | None = None) -> Iterator[tuple[str, Any]]:
    """Start the whole `make dev` stack (headless) in a temporary directory; yields the API URL and the
    `entrypoints.devstack.RunningStack` (keys, Temporal address, database URL, the processes).

    With `temporal_address` the stack uses that Temporal (e.g. an in-memory dev server the benchmark
    started) instead of starting its own SQLite one. The worker's two metrics endpoints get free ports
    (`WORKER_METRICS_PORT`, `WORKER_DOMAIN_METRICS_PORT` in this process's environment, for scraping):
    the defaults would collide with any other stack on the machine.
    """
    from entrypoints.devstack import DevConfig, start_stack
    from tests.support.ports import free_port

    with tempfile.TemporaryDirectory(prefix="escalator-bench-") as tmp:
        os.environ.pop("TEMPORAL_ADDRESS", None)
        os.environ.setdefault("WRITE_RATE_LIMIT_PER_MINUTE", "1000000")  # one key stands for many clients
        os.environ["WORKER_METRICS_PORT"] = str(free_port())
        os.environ["WORKER_DOMAIN_METRICS_PORT"] = str(free_port())
        os.environ.setdefault("READ_RATE_LIMIT_PER_MINUTE", "1000000")
        os.environ.setdefault("ADDRESS_RATE_LIMIT_PER_MINUTE", "1000000")  # every client is on loopback
        cfg = DevConfig(
            data_dir=Path(tmp) / "data",
            api_port=free_port(),
            temporal_port=free_port(),
            ui_port=free_port(),
            temporal_address=temporal_address,
            database_url=os.environ.get("BENCH_DATABASE_URL"),
            headless=True,
            jira_port=free_port(),
            smtp_port=free_port(),
            external_jira=False,
            external_smtp=False,
        )
        for name in list(vars(cfg)):  # every other port (e.g. inbound SMTP): a free one
            if name.endswith("_port") and name not in (
                "api_port",
                "temporal_port",
                "ui_port",
                "jira_port",
                "smtp_port",
            ):
                setattr(cfg, name, free_port())
        running = start_stack(cfg)
        running.data_dir = cfg.data_dir  # type: ignore[attr-defined]
        try:
            yield f"http://127.0.0.1:{cfg.api_port}", running
        finally:
            running.stack.stop()
            keep_logs(cfg.data_dir / "logs")


def keep_logs(logs: Path) -> None:
    """Copy the stack's logs out of the temporary directory (BENCH_LOGS_DIR, else /tmp/escalator-bench-logs)."""
    import shutil

    target = Path(os.environ.get("BENCH_LOGS_DIR", "/tmp/escalator-bench-logs")) / time.strftime(
        "%Y%m%d-%H%M%S"
    )
    try:
        shutil.copytree(logs, target)
        print(f"stack logs kept in {target}", file=sys.stderr, flush=True)
    except OSError:
        pass


@contextmanager
def escalator_stack() -> Iterator[tuple[str, dict[str, str], str]]:
    """Start the whole `make dev` stack (headless) in a temporary directory; yields API URL, keys, Temporal."""
    with escalator_running() as (api, running):
        yield api, running.keys, running.temporal


def stack_pids(running: Any) -> dict[str, list[int]]:
    """The processes of a started stack by role; Postgres is its postmaster and every backend."""
    pids: dict[str, list[int]] = {name: [proc.pid] for name, proc in running.stack.processes}
    pids["bench"] = [os.getpid()]
    data_dir = getattr(running, "data_dir", None)
    if running.stack.postgres is not None and data_dir is not None:
        pid_file = Path(data_dir) / "postgres" / "postmaster.pid"
        if pid_file.exists():
            pids["postgres"] = [int(pid_file.read_text().split()[0])]
    return pids


class CpuMeter:
    """CPU seconds (user + system) used by groups of processes, children included, between two marks."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self._start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        import psutil

        used: dict[str, float] = {}
        for name, pids in self.groups.items():
            total = 0.0
            for pid in pids:
                try:
                    proc = psutil.Process(pid)
                    family = [proc] + (proc.children(recursive=True) if name != "bench" else [])
                except psutil.NoSuchProcess:
                    continue
                for p in family:
                    try:
                        t = p.cpu_times()
                        total += t.user + t.system
                    except psutil.NoSuchProcess:
                        pass
            used[name] = total
        return used

    def start(self) -> None:
        self._start = self._now()

    def per_op_ms(self, ops: int) -> dict[str, float]:
        """CPU milliseconds per operation for each group since `start`, and their total."""
        end = self._now()
        figures = {
            name: round(max(0.0, end[name] - self._start.get(name, 0.0)) * 1000 / max(ops, 1), 2)
            for name in end
        }
        figures["total"] = round(sum(figures.values()), 2)
        return figures


class PySpy:
    """`py-spy record` on a few processes (raw collapsed stacks), stopped with SIGINT."""

    def __init__(self, out_dir: Path, pids: dict[str, int], rate: int = 100) -> None:
        self.out_dir = out_dir
        self.pids = pids
        self.rate = rate
        self.procs: dict[str, Any] = {}

    def __enter__(self) -> PySpy:
        import shutil
        import subprocess

        exe = Path(sys.executable).with_name("py-spy")
        binary = str(exe) if exe.exists() else shutil.which("py-spy")
        if binary is None:
            raise FileNotFoundError("py-spy not found: .venv/bin/pip install py-spy")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name, pid in self.pids.items():
            self.procs[name] = subprocess.Popen(
                [
                    binary,
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    str(self.rate),
                    "--format",
                    "raw",
                    "--output",
                    str(self.out_dir / f"{name}.txt"),
                    "--duration",
                    "3600",
                ],
                stdout=subprocess.DEVNULL,
                stderr=(self.out_dir / f"{name}.py-spy.log").open("wb"),
            )
        time.sleep(1.0)  # let each attach before the load starts
        return self

    def __exit__(self, *_: object) -> None:
        import signal

        for proc in self.procs.values():
            proc.send_signal(signal.SIGINT)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=60)
            except Exception:
                proc.kill()


AREAS = (
    ("temporalio/worker", "temporalio worker (Python side)"),
    ("temporalio/bridge", "temporalio bridge/core calls"),
    ("temporalio/converter", "temporalio payload conversion"),
    ("temporalio/client", "temporalio client"),
    ("temporalio/", "temporalio other"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("psycopg", "psycopg"),
    ("pydantic", "pydantic"),
    ("fastapi/", "FastAPI"),
    ("starlette/", "Starlette"),
    ("uvicorn/", "uvicorn"),
    ("h11", "uvicorn/h11"),
    ("structlog/", "structlog"),
    ("logging/", "logging"),
    ("json/", "json"),
    ("copy.py", "copy (deepcopy)"),
    ("dataclasses.py", "dataclasses (asdict)"),
    ("zoneinfo", "zoneinfo"),
    ("asyncio/", "asyncio"),
    ("domain/", "domain/"),
    ("workflows/", "workflows/"),
    ("activities/", "activities/"),
    ("store/", "store/"),
    ("api/", "api/"),
    ("infra/", "infra/"),
)


def _area(frame: str) -> str:
    for marker, name in AREAS:
        if marker in frame:
            return name
    return "other"


PROJECT_FRAME = (
    "(api/",
    "(domain/",
    "(workflows/",
    "(activities/",
    "(store/",
    "(infra/",
    "(integrations/",
    "(entrypoints/",
    "(worker.py",
)
GENERIC_FRAME = (
    "(asyncio/",
    "(threading.py",
    "(concurrent/futures/",
    "(contextvars",
    "(<frozen",
    "(selectors.py",
    "(contextlib.py",
    "greenlet_spawn",
    "(uvicorn/",
    "(starlette/",
    "(anyio/",
)


# Leaf frames of threads that wait (py-spy's idle detection misses them under --gil on this kernel).
IDLE_LEAVES = (
    "Condition.wait (threading.py",
    "EpollSelector.select (selectors.py",
    "_worker (concurrent/futures/thread.py",
    "Queue.get (queue.py",
)


def summarise_profile(path: Path, top: int = 20) -> dict[str, Any]:
    """From py-spy's raw (collapsed) output, idle waits dropped: samples, self time by area, top self and
    inclusive frames (percentages of the busy samples)."""
    from collections import Counter

    self_frames: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    project: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    total = idle = 0
    if not path.exists():
        return {"samples": 0}
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        leaf = frames[-1]
        if leaf.startswith(IDLE_LEAVES):
            idle += count
            continue
        total += count
        self_frames[leaf] += count
        areas[_area(leaf)] += count
        for f in set(frames):
            if any(marker in f for marker in PROJECT_FRAME):
                project[f] += count
            elif not any(marker in f for marker in GENERIC_FRAME):
                inclusive[f] += count

    def pct(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    return {
        "samples": total,
        "idle_samples_dropped": idle,
        "self_by_area_pct": {k: pct(v) for k, v in areas.most_common()},
        "top_self_pct": [(f, pct(n)) for f, n in self_frames.most_common(top)],
        "top_library_inclusive_pct": [(f, pct(n)) for f, n in inclusive.most_common(top)],
        "top_project_inclusive_pct": [(f, pct(n)) for f, n in project.most_common(top)],
    }


MiB = 1024 * 1024


def rss(pid: int | None) -> int:
    """Resident memory of a process in bytes (0 once it is gone)."""
    import psutil

    if pid is None:
        return 0
    try:
        return int(psutil.Process(pid).memory_info().rss)
    except psutil.NoSuchProcess:
        return 0


def lateness_summary(values: list[float], prefix: str) -> dict[str, float]:
    """`<prefix>_count`, `_p50_ms`, `_p99_ms`, `_max_ms` of lateness values given in seconds."""
    if not values:
        return {f"{prefix}_count": 0}
    return {
        f"{prefix}_count": len(values),
        f"{prefix}_p50_ms": round(percentile(values, 50) * 1000, 1),
        f"{prefix}_p99_ms": round(percentile(values, 99) * 1000, 1),
        f"{prefix}_max_ms": round(max(values) * 1000, 1),
    }


async def lane_pool(items: list[Any], concurrency: int, call: Callable[[Any], Awaitable[None]]) -> None:
    """Run `call` over items with `concurrency` lanes (no timing: see `run_concurrently`)."""
    import asyncio

    queue = list(reversed(items))

    async def lane() -> None:
        while queue:
            await call(queue.pop())

    await asyncio.gather(*(lane() for _ in range(concurrency)))


async def wait_idle(
    pid: int,
    settle: float = 3.0,
    cpu_below: float = 5.0,
    rss_within: float = 0.01,
    give_up_after: float = 300.0,
) -> dict[str, float]:
    """Wait until a worker process is idle: under `cpu_below` % of one core and its RSS within
    `rss_within` (relative) over a whole `settle`-second window; returns its RSS and how long it took.

    Why: a worker answers a start before it has built the run (the sandbox, the workflow object, its
    first activation), so memory read right after the calls return misses most of what a cached run
    costs. A busy worker is also one with a backlog: idle means every task it was sent has been done.
    """
    import asyncio

    import psutil

    proc = psutil.Process(pid)
    started = time.monotonic()
    proc.cpu_percent(None)
    previous = proc.memory_info().rss
    while True:
        await asyncio.sleep(settle)
        cpu = proc.cpu_percent(None)
        now = proc.memory_info().rss
        stable = abs(now - previous) <= rss_within * max(previous, 1)
        waited = time.monotonic() - started
        if (cpu < cpu_below and stable) or waited > give_up_after:
            return {
                "rss": float(now),
                "cpu_pct": cpu,
                "waited_s": round(waited, 1),
                "idle": float(waited <= give_up_after),
            }
        previous = now


def emit(figures: dict[str, Any]) -> None:
    """The last line of every benchmark: one JSON object for scripts."""
    sys.stdout.flush()
    print(json.dumps(figures, sort_keys=True), flush=True)


def exit_after(run: Callable[[], None]) -> None:
    """Run a benchmark's main, print any failure, and leave with `os._exit` (status 0 or 1).

    Every process that used a Temporal client ends this way: the SDK can abort during interpreter
    finalisation (sdk-python#300), which would turn a finished run into a crash.
    """
    code = 0
    try:
        run()
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
