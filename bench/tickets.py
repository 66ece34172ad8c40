"""Tickets through Escalator's API: create, agent reply, customer reply — throughput and latency.

    python bench/tickets.py --size 200 [--concurrency 1,50]

Starts the `make dev` stack (Temporal dev server with a SQLite file, embedded Postgres, worker and
API as separate processes) in a temporary directory, drives it over loopback HTTP, prints a table
and, as its last line, one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

# Run as a script: import from the repository root, never let bench/ shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx  # noqa: E402

from bench._common import emit, escalator_stack, run_concurrently, summary_ms  # noqa: E402


async def measure(api: str, keys: dict[str, str], size: int, concurrency: int) -> dict[str, float]:
    customer = {"Authorization": f"Bearer {keys['customer']}"}
    agent = {"Authorization": f"Bearer {keys['agent']}"}
    limits = httpx.Limits(max_connections=concurrency + 5)
    async with httpx.AsyncClient(base_url=f"{api}/v1", timeout=30, limits=limits) as http:
        ids: list[int] = []

        async def create(i: int) -> None:
            body = {"subject": f"Bench ticket {i}", "description": "load", "severity": 1 + i % 4}
            r = await http.post("/tickets", json=body, headers=customer)
            r.raise_for_status()
            ids.append(r.json()["id"])

        async def agent_reply(ticket_id: int) -> None:
            body = {"body": "Could you send the logs?", "await_customer": True}
            (await http.post(f"/tickets/{ticket_id}/replies", json=body, headers=agent)).raise_for_status()

        async def customer_reply(ticket_id: int) -> None:
            r = await http.post(f"/tickets/{ticket_id}/replies", json={"body": "attached"}, headers=customer)
            r.raise_for_status()

        create_s, create_lat = await run_concurrently(list(range(size)), concurrency, create)
        agent_s, agent_lat = await run_concurrently(list(ids), concurrency, agent_reply)
        cust_s, cust_lat = await run_concurrently(list(ids), concurrency, customer_reply)
    figures: dict[str, float] = {
        "create_per_s": round(size / create_s, 1),
        "agent_reply_per_s": round(size / agent_s, 1),
        "customer_reply_per_s": round(size / cust_s, 1),
    }
    for name, lat in (("create", create_lat), ("agent_reply", agent_lat), ("customer_reply", cust_lat)):
        for k, v in summary_ms(lat).items():
            figures[f"{name}_{k}"] = v
    return figures


async def run_levels(api: str, keys: dict[str, str], size: int, levels: list[int]) -> dict[str, object]:
    results: dict[str, object] = {"size": size, "cpus": os.cpu_count()}
    await measure(api, keys, min(20, size), 5)  # warm-up: imports, caches, connection pools
    for c in levels:
        figures = await measure(api, keys, size, c)
        print(f"\nconcurrency {c}, {size} tickets")
        for k, v in figures.items():
            print(f"  {k:<28} {v}")
        results.update({f"c{c}_{k}": v for k, v in figures.items()})
    return results


def main(args: argparse.Namespace) -> dict[str, object]:
    levels = [int(c) for c in args.concurrency.split(",")]
    with escalator_stack() as (api, keys, _temporal):
        return asyncio.run(run_levels(api, keys, args.size, levels))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=200, help="tickets per concurrency level")
    parser.add_argument("--concurrency", default="1,50", help="comma-separated client counts")
    figures = main(parser.parse_args())
    emit(figures)
    os._exit(0)
