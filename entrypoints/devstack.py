"""`make dev`: the whole stack on one machine, from the project's own packages.

Starts the Temporal dev server (UI on :8233, SQLite under .data/), embedded PostgreSQL (data under
.data/), runs migrations, seeds the demo organisation, then the worker and the API. Ctrl-C stops
everything it started; a second run reuses .data/. TEMPORAL_ADDRESS / DATABASE_URL point it at
servers you run yourself instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from entrypoints.demo_groups import seed_demo_groups
from entrypoints.demo_kb import load_demo_kb
from entrypoints.demo_seed import seed_demo
from entrypoints.demo_signin import demo_signin_links
from infra.binaries import temporal_cli
from infra.embedded_postgres import EmbeddedPostgres, start_embedded_postgres
from store.db import create_engine
from store.migrate import upgrade
from workflows.search_attributes import cli_flags

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class DevConfig:
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("DEV_DATA_DIR", ROOT / ".data")))
    api_port: int = int(os.environ.get("API_PORT", "8000"))
    temporal_port: int = int(os.environ.get("TEMPORAL_PORT", "7233"))
    ui_port: int = int(os.environ.get("TEMPORAL_UI_PORT", "8233"))
    temporal_address: str | None = os.environ.get("TEMPORAL_ADDRESS")
    database_url: str | None = os.environ.get("DATABASE_URL")
    headless: bool = os.environ.get("TEMPORAL_HEADLESS", "") == "1"
    jira_port: int = int(os.environ.get("DEMO_JIRA_PORT", "8089"))
    smtp_port: int = int(os.environ.get("SMTP_SINK_PORT", "1025"))
    inbound_port: int = int(os.environ.get("SMTP_INBOUND_PORT", "2525"))
    external_jira: bool = bool(os.environ.get("JIRA_BASE_URL"))
    external_smtp: bool = bool(os.environ.get("SMTP_HOST"))


@dataclass
class Stack:
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    postgres: EmbeddedPostgres | None = None

    def start(self, name: str, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        out = log.open("ab")
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append((name, proc))
        return proc

    def stop(self) -> None:
        for _, proc in reversed(self.processes):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, proc in reversed(self.processes):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.postgres is not None:
            self.postgres.stop()


def wait_for_port(host: str, port: int, seconds: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {host}:{port} answered")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{host}:{port} did not answer within {seconds:.0f}s")


def dev_server_args(port: int, db_file: Path, ui_port: int | None = None) -> list[str]:
    """`temporal server start-dev` on loopback with a SQLite file and our search attributes; the
    benchmarks start their baseline server with the very same flags."""
    args = [
        temporal_cli(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--db-filename",
        str(db_file),
        "--log-level",
        "warn",
        *cli_flags(),
    ]
    return args + (["--headless"] if ui_port is None else ["--ui-port", str(ui_port)])


def start_temporal(stack: Stack, cfg: DevConfig, logs: Path) -> str:
    if cfg.temporal_address:
        register_search_attributes(cfg.temporal_address)
        return cfg.temporal_address
    ui_port = None if cfg.headless else cfg.ui_port
    args = dev_server_args(cfg.temporal_port, cfg.data_dir / "temporal.db", ui_port)
    proc = stack.start("temporal", args, dict(os.environ), logs / "temporal.log")
    wait_for_port("127.0.0.1", cfg.temporal_port, 60, proc)
    return f"127.0.0.1:{cfg.temporal_port}"


def register_search_attributes(address: str) -> None:
    """On an external server, create the attributes the workflows publish (existing ones are kept)."""
    flags = cli_flags()
    for i in range(0, len(flags), 2):
        name, kind = flags[i + 1].split("=")
        subprocess.run(
            [
                temporal_cli(),
                "operator",
                "search-attribute",
                "create",
                "--address",
                address,
                "--name",
                name,
                "--type",
                kind,
            ],
            capture_output=True,
            check=False,
        )


def start_demo_jira(stack: Stack, cfg: DevConfig, logs: Path) -> dict[str, str]:
    """The JIRA-compatible test server as a demo tracker, unless JIRA_BASE_URL names a real one."""
    if cfg.external_jira:
        return {}
    secret_file = cfg.data_dir / "jira-webhook-secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(24))
        secret_file.chmod(0o600)
    secret = secret_file.read_text().strip()
    webhook = f"http://127.0.0.1:{cfg.api_port}/v1/webhooks/jira"
    args = [sys.executable, "-m", "tests.jira_server", "--port", str(cfg.jira_port), "--webhook-url", webhook]
    # One argv word: a random secret may begin with "-", which argparse would read as an option.
    proc = stack.start("jira", [*args, f"--webhook-secret={secret}"], dict(os.environ), logs / "jira.log")
    wait_for_port("127.0.0.1", cfg.jira_port, 30, proc)
    return {
        "JIRA_BASE_URL": f"http://127.0.0.1:{cfg.jira_port}",
        "JIRA_EMAIL": "escalator-bot@example.com",
        "JIRA_API_TOKEN": "jira-api-token",
        "JIRA_WEBHOOK_SECRET": secret,
        "JIRA_PROJECT": "ESC",
    }


def start_mail_sink(stack: Stack, cfg: DevConfig, logs: Path) -> dict[str, str]:
    """A local SMTP sink writing every outgoing message to .data/mail/, unless SMTP_HOST is set."""
    if cfg.external_smtp:
        return {}
    mail_dir = cfg.data_dir / "mail"
    args = [
        sys.executable,
        "-m",
        "entrypoints.mail_sink",
        "--port",
        str(cfg.smtp_port),
        "--dir",
        str(mail_dir),
    ]
    proc = stack.start("mail", args, dict(os.environ), logs / "mail.log")
    wait_for_port("127.0.0.1", cfg.smtp_port, 30, proc)
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(cfg.smtp_port)}


def link_signing_key(data_dir: Path) -> str:
    """The key of the e-mails' signed links: made once under .data/ and kept, so links sent before a
    restart still open; every process that sends mail or serves the portal gets the same one."""
    key_file = data_dir / "link-signing-key"
    if not key_file.exists():
        key_file.touch(mode=0o600)  # private before the key is in it
        key_file.write_text(secrets.token_urlsafe(32))
    return key_file.read_text().strip()


def start_postgres(stack: Stack, cfg: DevConfig) -> str:
    if cfg.database_url:
        return cfg.database_url
    stack.postgres = start_embedded_postgres(cfg.data_dir / "postgres")
    return stack.postgres.url


def wait_ready(url: str, seconds: float, stack: Stack) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, proc in stack.processes:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see its log under .data/logs/")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready within {seconds:.0f}s")


def jira_lines(cfg: DevConfig) -> list[str]:
    if cfg.external_jira:
        return [f"  JIRA           {os.environ.get('JIRA_BASE_URL')}"]
    demo = f"http://127.0.0.1:{cfg.jira_port}"
    return [
        f"  JIRA (demo)    {demo}  (project ESC; webhooks go to the API, signed)",
        f"    move a card: curl -X POST {demo}/_test/issues/ESC-1/move -H 'Content-Type: application/json' "
        """-d '{"to": "In Progress"}'""",
    ]


def banner(cfg: DevConfig, keys: dict[str, str], temporal: str, database: str) -> str:
    api = f"http://localhost:{cfg.api_port}"
    lines = [
        "",
        "Escalator is running. Ctrl-C stops everything.",
        f"  API            {api}/v1   (docs {api}/docs, OpenAPI {api}/openapi.json)",
        f"  Temporal       {temporal}"
        + ("" if cfg.temporal_address or cfg.headless else f"   (UI http://localhost:{cfg.ui_port})"),
        f"  Postgres       {database.split('?')[0]}",
        f"  Logs           {cfg.data_dir / 'logs'}",
        f"  Inbound mail   SMTP 127.0.0.1:{cfg.inbound_port} (a known sender opens a ticket; [#id] replies)",
        *jira_lines(cfg),
        "  Outgoing mail  "
        + (
            "SMTP_HOST"
            if cfg.external_smtp
            else f"127.0.0.1:{cfg.smtp_port}, saved as .eml under {cfg.data_dir / 'mail'}"
        ),
        f"  Demo keys      {cfg.data_dir / 'demo-keys.json'}",
    ]
    lines += [f"    {role:<10} {key}" for role, key in keys.items()]
    return "\n".join(lines) + "\n"


@dataclass
class RunningStack:
    stack: Stack
    keys: dict[str, str]
    temporal: str
    database: str
    logs: Path


def start_stack(cfg: DevConfig) -> RunningStack:
    """Start every component and wait until the API is ready; the caller stops `stack`."""
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    logs = cfg.data_dir / "logs"
    logs.mkdir(exist_ok=True)
    stack = Stack()
    try:
        temporal = start_temporal(stack, cfg, logs)
        database = start_postgres(stack, cfg)
        upgrade(database)
        keys = seed(database, cfg.data_dir / "demo-keys.json")
        env = {**os.environ, "TEMPORAL_ADDRESS": temporal, "DATABASE_URL": database, "PYTHONUNBUFFERED": "1"}
        env["PUBLIC_BASE_URL"] = public_base_url(cfg)
        env.setdefault("LINK_SIGNING_KEY", link_signing_key(cfg.data_dir))
        env.setdefault("WEBHOOKS_ALLOW_PRIVATE", "true")  # webhook receivers on this machine, for trying
        env.update(start_demo_jira(stack, cfg, logs))
        env.update(start_mail_sink(stack, cfg, logs))
        stack.start(
            "worker",
            [sys.executable, "worker.py"],
            {**env, "WORKER_SENDS_MAIL": "false"},
            logs / "worker.log",
        )
        stack.start("mailer", [sys.executable, "-m", "entrypoints.mailer"], env, logs / "mailer.log")
        api_args = [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(cfg.api_port),
        ]
        stack.start("api", api_args, env, logs / "api.log")
        inbound_env = {**env, "SMTP_INBOUND_PORT": str(cfg.inbound_port)}
        inbound = stack.start(
            "inbound-mail",
            [sys.executable, "-m", "entrypoints.inbound_mail"],
            inbound_env,
            logs / "inbound-mail.log",
        )
        wait_ready(f"http://127.0.0.1:{cfg.api_port}/readyz", 60, stack)
        wait_for_port("127.0.0.1", cfg.inbound_port, 30, inbound)
    except BaseException:
        stack.stop()
        raise
    return RunningStack(stack, keys, temporal, database, logs)


def run(cfg: DevConfig) -> None:
    stop = {"now": False}

    def _stop(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    running = start_stack(cfg)
    try:
        print(banner(cfg, running.keys, running.temporal, running.database), flush=True)
        print(portal_lines(cfg, running.database), flush=True)
        while not stop["now"]:
            for name, proc in running.stack.processes:
                if proc.poll() is not None:
                    print(
                        f"{name} exited with {proc.returncode}; stopping (see {running.logs}/{name}.log)",
                        flush=True,
                    )
                    stop["now"] = True
            time.sleep(0.5)
    finally:
        print("stopping…", flush=True)
        running.stack.stop()


def public_base_url(cfg: DevConfig) -> str:
    """Where people reach the API and the pages (the API process gets the same PUBLIC_BASE_URL)."""
    return os.environ.get("PUBLIC_BASE_URL", f"http://localhost:{cfg.api_port}")


def portal_lines(cfg: DevConfig, database: str) -> str:
    """The portal's address and a one-time sign-in link per demo user (valid 15 minutes, used once)."""
    base = public_base_url(cfg)
    links = asyncio.run(_signin_links(database, base))
    lines = [
        f"  Portal         {base}/portal   (sign-in links below work once, for 15 minutes;",
        f"                 later ones: the sign-in page mails them to {cfg.data_dir / 'mail'})",
    ]
    lines += [f"    {role:<10} {link}" for role, link in links.items()]
    return "\n".join(lines) + "\n"


async def _signin_links(database: str, base: str) -> dict[str, str]:
    engine = create_engine(database, pool_size=1)
    try:
        return await demo_signin_links(engine, base)
    finally:
        await engine.dispose()


def seed(database: str, keys_file: Path) -> dict[str, str]:
    """Create or reuse the demo users; the keys also go to `keys_file` for scripts and tests."""
    previous = json.loads(keys_file.read_text()) if keys_file.exists() else {}
    keys = asyncio.run(_seed(database, previous))
    keys_file.write_text(json.dumps(keys, indent=2) + "\n")
    keys_file.chmod(0o600)
    return keys


async def _seed(database: str, previous: dict[str, str]) -> dict[str, str]:
    engine = create_engine(database, pool_size=2)
    try:
        await load_demo_kb(engine)
        keys = await seed_demo(engine, previous)
        await seed_demo_groups(engine)
        return keys
    finally:
        await engine.dispose()


if __name__ == "__main__":
    run(DevConfig())
    sys.stdout.flush()
    os._exit(0)
