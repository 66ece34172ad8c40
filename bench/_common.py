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
def escalator_stack() -> Iterator[tuple[str, dict[str, str], str]]:
    """Start the whole `make dev` stack (headless) in a temporary directory; yields API URL, keys, Temporal."""
    from infra.devstack import DevConfig, start_stack
    from tests.support.ports import free_port

    with tempfile.TemporaryDirectory(prefix="escalator-bench-") as tmp:
        os.environ.pop("TEMPORAL_ADDRESS", None)
        cfg = DevConfig(
            data_dir=Path(tmp) / "data",
            api_port=free_port(),
            temporal_port=free_port(),
            ui_port=free_port(),
            temporal_address=None,
            database_url=os.environ.get("BENCH_DATABASE_URL"),
            headless=True,
            jira_port=free_port(),
            smtp_port=free_port(),
            inbound_port=free_port(),
            external_jira=False,
            external_smtp=False,
        )
        running = start_stack(cfg)
        try:
            yield f"http://127.0.0.1:{cfg.api_port}", running.keys, running.temporal
        finally:
            running.stack.stop()


def emit(figures: dict[str, Any]) -> None:
    """The last line of every benchmark: one JSON object for scripts."""
    sys.stdout.flush()
    print(json.dumps(figures, sort_keys=True), flush=True)
