"""Benchmark BusinessCalendar.add / elapsed for 1-hour and 56-hour SLA targets.

Usage (from the repository root): ``python bench/calendar.py --size 20000``

Uses the default calendar (São Paulo, Mon-Fri 09-12 + 13-17) with Brazilian national and São Paulo
state holidays, and starting instants spread over 2026. Prints a human summary and, as the last
line, one JSON object with throughput (calls per second) and per-call latency percentiles (µs).
"""

from __future__ import annotations

import os
import sys

# Running ``python bench/calendar.py`` puts bench/ first on sys.path, where this file would shadow
# the standard library's ``calendar`` module for everything imported below. Swap it for the root.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from datetime import time as clock  # noqa: E402

from domain.calendar import DEFAULT_TIMEZONE, BusinessCalendar, default_calendar_spec  # noqa: E402
from infra.holiday_dates import holiday_dates  # noqa: E402

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
TARGETS = {"1h": timedelta(hours=1), "56h": timedelta(hours=56)}
DEFAULT_HOURS = [(clock(9), clock(12)), (clock(13), clock(17))]


def starting_instants(size: int, seed: int) -> list[datetime]:
    """Evenly spread over 2026 with jitter, so that weekends, holidays and DST-free weeks all occur."""
    rng = random.Random(seed)
    step = timedelta(days=365) / size
    return [YEAR_START + step * index + timedelta(seconds=rng.randrange(86_400)) for index in range(size)]


def time_calls(call: Callable[[int], object], size: int) -> tuple[float, list[float]]:
    """Throughput from an uninstrumented pass, then per-call latencies (µs) from a timed pass."""
    begun = time.perf_counter()
    for index in range(size):
        call(index)
    total = time.perf_counter() - begun
    latencies = []
    for index in range(size):
        started = time.perf_counter_ns()
        call(index)
        latencies.append((time.perf_counter_ns() - started) / 1000)
    return total, latencies


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def cold_add_us(holidays: list[date], repeats: int) -> float:
    """Median latency of a first 56h add over the holiday season on a freshly built calendar.

    Built directly (same hours as the default spec) because ``from_spec`` would return the cached,
    already warmed-up instance.
    """
    samples = []
    for _ in range(repeats):
        fresh = BusinessCalendar(DEFAULT_TIMEZONE, {day: DEFAULT_HOURS for day in range(5)}, holidays)
        started = time.perf_counter_ns()
        fresh.add(datetime(2026, 12, 18, 18, tzinfo=UTC), TARGETS["56h"])
        samples.append((time.perf_counter_ns() - started) / 1000)
    return statistics.median(samples)


def run(size: int, seed: int) -> dict[str, float]:
    holidays = holiday_dates("BR", range(2026, 2028), subdiv="SP")
    calendar = BusinessCalendar.from_spec(default_calendar_spec(holidays))
    starts = starting_instants(size, seed)
    results: dict[str, float] = {"size": size}
    for label, target in TARGETS.items():
        ends = [calendar.add(start, target) for start in starts]
        assert all(calendar.elapsed(start, end) == target for start, end in zip(starts, ends, strict=True))

        def add(index: int, target: timedelta = target) -> datetime:
            return calendar.add(starts[index], target)

        def elapsed(index: int, ends: list[datetime] = ends) -> timedelta:
            return calendar.elapsed(starts[index], ends[index])

        results |= _summarise(f"add_{label}", *time_calls(add, size), size)
        results |= _summarise(f"elapsed_{label}", *time_calls(elapsed, size), size)
    results["add_56h_cold_us_p50"] = round(cold_add_us(holidays, repeats=20), 2)
    return results


def _summarise(name: str, total: float, latencies: list[float], size: int) -> dict[str, float]:
    return {
        f"{name}_per_s": round(size / total, 1),
        f"{name}_us_p50": round(percentile(latencies, 0.50), 2),
        f"{name}_us_p99": round(percentile(latencies, 0.99), 2),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=10_000, help="calls per measurement")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    results = run(args.size, args.seed)
    print(f"BusinessCalendar, default São Paulo calendar with BR-SP holidays, {args.size} calls each")
    for name in ("add_1h", "add_56h", "elapsed_1h", "elapsed_56h"):
        print(
            f"  {name:12s} {results[f'{name}_per_s']:>12,.0f} calls/s"
            f"   p50 {results[f'{name}_us_p50']:8.2f} µs   p99 {results[f'{name}_us_p99']:8.2f} µs"
        )
    print(
        f"  first 56h add on a fresh calendar (holiday season): p50 {results['add_56h_cold_us_p50']:.1f} µs"
    )
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
