"""Reading a process's Prometheus endpoint: shared by the benchmarks and the fault scenarios."""

from __future__ import annotations


def scrape_metrics(url: str, names: tuple[str, ...]) -> dict[str, float]:
    """Sum of every Prometheus sample whose metric name contains one of `names` (labels summed away).

    Used to read a worker's SDK counters (sticky cache hits and misses, replays) before and after a
    phase; an endpoint that does not answer gives an empty dict, never a failed run."""
    import httpx

    try:
        text = httpx.get(url, timeout=5).text
    except httpx.HTTPError:
        return {}
    totals: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        metric, _, value = line.rpartition(" ")
        name = metric.split("{", 1)[0]
        if any(wanted in name for wanted in names):
            try:
                totals[name] = totals.get(name, 0.0) + float(value)
            except ValueError:
                continue
    return totals
