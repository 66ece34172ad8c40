"""docker-compose.yml without Docker: valid per the Compose Specification, wired to the project's real
entry points, settings and search attributes, and started in an order that can actually finish."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import textwrap
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic_settings import BaseSettings

from infra.settings import Settings
from infra.worker_telemetry import WorkerTelemetrySettings
from integrations.jira.cards import load_jira_settings
from integrations.jira.settings import JiraSettings
from integrations.mail.smtp import MailSettings
from store.db import normalise_url
from tests.ops.compose_file import ROOT, container_environment, interpolate, job_script, our_services
from workflows.search_attributes import ALL_KEYS, cli_flags

SCHEMA_ENV = "COMPOSE_SPEC_SCHEMA"


def compose_schema_path() -> Path | None:
    """The Compose Specification's JSON schema beside the repository, else where $COMPOSE_SPEC_SCHEMA says."""
    for candidate in (
        Path(__file__).parents[2] / "contracts/compose-spec.json",
        Path(__file__).parents[3] / "shared/anchors/compose-spec.json",
    ):
        if candidate.is_file():
            return candidate
    configured = os.environ.get(SCHEMA_ENV)
    return Path(configured) if configured and Path(configured).is_file() else None


# --- (a) the Compose Specification -----------------------------------------------------------------


@pytest.fixture(scope="module")
def compose_schema() -> dict[str, Any]:
    import json

    path = compose_schema_path()
    if path is None:
        pytest.skip(
            f"compose-spec.json not found beside the repository (shared/anchors/) nor via ${SCHEMA_ENV}"
        )
    return json.loads(path.read_text())


def test_compose_file_follows_the_compose_specification(
    compose: dict[str, Any], compose_schema: dict[str, Any]
) -> None:
    jsonschema.validate(compose, compose_schema, cls=jsonschema.Draft7Validator)


def test_the_schema_check_is_not_vacuous(compose: dict[str, Any], compose_schema: dict[str, Any]) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["api"]["depends_on"]["migrate"]["condition"] = "service_finished"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, compose_schema, cls=jsonschema.Draft7Validator)


# --- (b) our image runs real entry points ----------------------------------------------------------


def entry_point(command: list[str]) -> tuple[str, str]:
    """What a command starts: ("asgi", "module:attr"), ("script", "file.py") or ("module", "pkg.mod")."""
    if command[0] == "uvicorn":
        return "asgi", command[1]
    if command[:2] == ["python", "-m"]:
        return "module", command[2]
    if command[0] == "python" and command[1].endswith(".py"):
        return "script", command[1]
    raise AssertionError(f"unknown entry point {command}")


def test_our_image_serves_api_worker_and_migrations(compose: dict[str, Any]) -> None:
    commands = {name: service["command"] for name, service in our_services(compose).items()}
    assert commands == {
        "migrate": ["python", "-m", "store.migrate"],
        "api": ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8000"],
        "worker": ["python", "worker.py"],
        "mailer": ["python", "-m", "entrypoints.mailer"],
    }
    dockerfile_cmd = re.search(r"^CMD (.+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert dockerfile_cmd is not None and dockerfile_cmd.group(1) == (
        '["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8000"]'
    )


ENTRY_CHECK = textwrap.dedent(
    """
    import importlib, importlib.util, inspect, sys
    from fastapi import FastAPI

    for kind, target in zip(sys.argv[1::2], sys.argv[2::2]):
        if kind == "asgi":
            module, attr = target.split(":")
            assert isinstance(getattr(importlib.import_module(module), attr), FastAPI), target
        elif kind == "script":
            spec = importlib.util.spec_from_file_location("entry_script", target)
            script = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(script)
            assert inspect.iscoroutinefunction(script.main), target
            assert 'if __name__ == "__main__":' in open(target).read(), target
        elif kind == "module":
            module = importlib.import_module(target)
            runs = getattr(module, "upgrade", None) or getattr(module, "main", None)
            assert callable(runs), target
            assert 'if __name__ == "__main__":' in inspect.getsource(module), target
    print("entry points ok")
    """
)


def test_entry_points_import_with_the_compose_environment(compose: dict[str, Any]) -> None:
    """Imported in a fresh interpreter with the api container's variables, as the container would."""
    args: list[str] = []
    for service in our_services(compose).values():
        args += entry_point(service["command"])
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "SMTP_", "TEMPORAL_", "DATABASE_"))
    }
    env.update(container_environment(compose["services"]["api"], shell={}))
    result = subprocess.run(
        [sys.executable, "-c", ENTRY_CHECK, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "entry points ok" in result.stdout


# --- (c) every variable is a setting the code reads ------------------------------------------------


def env_names(model: type[BaseSettings]) -> set[str]:
    prefix = str(model.model_config.get("env_prefix") or "")
    return {(prefix + name).upper() for name in model.model_fields}


KNOWN_SETTINGS = (
    env_names(Settings)
    | env_names(JiraSettings)
    | env_names(MailSettings)
    | env_names(WorkerTelemetrySettings)
)


def test_known_settings_are_read_from_the_code() -> None:
    assert {
        "TEMPORAL_ADDRESS",
        "DATABASE_URL",
        "JIRA_BASE_URL",
        "JIRA_PAT",
        "SMTP_HOST",
        "MAIL_FROM",
    } <= KNOWN_SETTINGS
    assert "TEMPORAL_ADRESS" not in KNOWN_SETTINGS and "JIRA_URL" not in KNOWN_SETTINGS


@pytest.mark.parametrize("service", ["api", "worker", "mailer", "migrate"])
def test_every_variable_is_a_project_setting(compose: dict[str, Any], service: str) -> None:
    unknown = set(compose["services"][service].get("environment") or {}) - KNOWN_SETTINGS
    assert not unknown, f"{service} sets variables no settings class reads: {sorted(unknown)}"


@pytest.mark.parametrize("service", ["api", "worker", "mailer"])
def test_api_and_worker_get_what_they_need(compose: dict[str, Any], service: str) -> None:
    env = container_environment(compose["services"][service], shell={})
    assert {
        "TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE",
        "DATABASE_URL",
        "SMTP_HOST",
        "SMTP_PORT",
        "MAIL_FROM",
    } <= set(env)
    assert env["DATABASE_URL"].startswith("postgresql://")


def _apply(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Make os.environ look like the container's for the names the settings classes read."""
    for name in KNOWN_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_the_settings_parse_from_the_compose_environment(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    services = compose["services"]
    _apply(monkeypatch, container_environment(services["worker"], shell={}))
    settings = Settings()
    assert settings.temporal_address == "temporal:7233" and settings.temporal_namespace == "default"
    url = normalise_url(settings.database_url)
    postgres = services["postgres"]["environment"]
    assert url.endswith(f"@postgres:5432/{postgres['POSTGRES_DB']}")
    assert services["temporal"]["environment"]["POSTGRES_PWD"] == postgres["POSTGRES_PASSWORD"]
    assert f":{postgres['POSTGRES_PASSWORD']}@" in services["worker"]["environment"]["DATABASE_URL"]
    mail = MailSettings()
    assert (mail.smtp_host, mail.smtp_port) == ("mailpit", 1025) and mail.smtp_username is None
    assert load_jira_settings() is None, "an empty JIRA_BASE_URL means no Jira"


def test_a_real_jira_configured_in_the_shell_reaches_the_containers(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Optional JIRA_* pass through only when set: an empty JIRA_PAT would win over email + token."""
    shell = {
        "JIRA_BASE_URL": "https://acme.atlassian.net",
        "JIRA_EMAIL": "bot@acme.test",
        "JIRA_API_TOKEN": "t",
    }
    _apply(monkeypatch, container_environment(compose["services"]["worker"], shell))
    jira = JiraSettings()  # type: ignore[call-arg]
    assert not jira.uses_pat and jira.status_map == {} and jira.project == "ESC"
    _apply(monkeypatch, container_environment(compose["services"]["api"], {**shell, "JIRA_PAT": "p"}))
    assert JiraSettings().uses_pat  # type: ignore[call-arg]


# --- (d) the search attributes job ---------------------------------------------------------------


def registered_attributes(compose: dict[str, Any]) -> dict[str, str]:
    script = job_script(compose["services"]["temporal-search-attributes"], shell={})
    return dict(re.findall(r"search-attribute create .*--name (\w+) --type (\w+)", script))


def test_the_job_registers_exactly_the_workflows_search_attributes(compose: dict[str, Any]) -> None:
    flags = cli_flags()
    expected = dict(flag.split("=") for flag in flags[1::2])
    assert registered_attributes(compose) == expected
    assert set(expected) == {key.name for key in ALL_KEYS}


def test_the_job_and_the_apps_use_the_same_namespace(compose: dict[str, Any]) -> None:
    services = compose["services"]
    job = container_environment(services["temporal-search-attributes"], shell={"TEMPORAL_NAMESPACE": "ops"})
    app = container_environment(services["worker"], shell={"TEMPORAL_NAMESPACE": "ops"})
    assert job["TEMPORAL_NAMESPACE"] == app["TEMPORAL_NAMESPACE"] == "ops"
    assert job["TEMPORAL_ADDRESS"] == app["TEMPORAL_ADDRESS"]


# --- (e) start order and health ------------------------------------------------------------------


def dependencies(compose: dict[str, Any]) -> dict[str, dict[str, str]]:
    """service -> {dependency: condition}."""
    graph: dict[str, dict[str, str]] = {}
    for name, service in compose["services"].items():
        deps = service.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {d: {"condition": "service_started"} for d in deps}
        graph[name] = {d: spec.get("condition", "service_started") for d, spec in deps.items()}
    return graph


def jobs(compose: dict[str, Any]) -> set[str]:
    """One-shot services: something waits for them to complete."""
    return {
        d
        for deps in dependencies(compose).values()
        for d, c in deps.items()
        if c == "service_completed_successfully"
    }


def ancestors(graph: dict[str, dict[str, str]], name: str) -> set[str]:
    found: set[str] = set()
    stack = list(graph[name])
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(graph[current])
    return found


def test_depends_on_is_a_dag_ending_at_api_and_worker(compose: dict[str, Any]) -> None:
    graph = dependencies(compose)
    assert all(d in graph for deps in graph.values() for d in deps), "depends_on names a missing service"
    try:
        order = list(TopologicalSorter({n: set(d) for n, d in graph.items()}).static_order())
    except CycleError as exc:
        pytest.fail(f"depends_on has a cycle: {exc.args[1]}")
    assert order.index("postgres") < order.index("temporal") < order.index("api")
    depended_on = {d for deps in graph.values() for d in deps}
    assert set(graph) - depended_on == {"api", "worker", "mailer", "temporal-ui"}
    needed = {"postgres", "temporal-schema", "temporal", "temporal-search-attributes", "migrate"}
    assert needed <= ancestors(graph, "api") and needed <= ancestors(graph, "worker")
    assert graph["api"]["migrate"] == "service_completed_successfully"
    assert graph["api"]["temporal"] == "service_healthy"
    assert graph["temporal"]["temporal-schema"] == "service_completed_successfully"


def test_long_running_services_have_healthchecks_and_jobs_do_not_restart(compose: dict[str, Any]) -> None:
    services = compose["services"]
    one_shot = jobs(compose)
    assert one_shot == {"temporal-schema", "temporal-search-attributes", "migrate"}
    for name, service in services.items():
        if name in one_shot:
            assert service.get("restart", "no") in ("no", "on-failure"), f"{name} would never complete"
            continue
        check = service.get("healthcheck") or {}
        assert check.get("test") and check["test"][0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"
        assert not check.get("disable"), name
    for name, deps in dependencies(compose).items():
        for dep, condition in deps.items():
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], (
                    f"{name} waits for {dep} to be healthy; it has no check"
                )


def test_api_health_is_readyz_on_the_port_uvicorn_binds(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    assert "http://127.0.0.1:8000/readyz" in " ".join(api["healthcheck"]["test"])
    assert api["command"][-1] == "8000" and api["ports"] == ["127.0.0.1:8000:8000"]


def test_postgres_healthcheck_is_pg_isready(compose: dict[str, Any]) -> None:
    assert "pg_isready" in " ".join(compose["services"]["postgres"]["healthcheck"]["test"])


# --- exposure, secrets and versions --------------------------------------------------------------


def test_ports_are_published_on_localhost_only(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert isinstance(port, str) and port.startswith("127.0.0.1:"), f"{name} publishes {port}"


SECRET_NAME = re.compile(r"PASSWORD|PWD|SECRET|TOKEN|_PAT$|API_KEY")


def test_no_real_secrets_in_the_file(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for var, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(var):
                assert value is None or re.fullmatch(r"\$\{[A-Z_]+:-dev-only-[a-z-]*\}", str(value)), (
                    f"{name}.{var} must come from the shell (or a dev-only default), not the file"
                )
    text = (ROOT / "docker-compose.yml").read_text()
    for var, default in re.findall(r"\$\{([A-Z_]*(?:PASSWORD|SECRET|TOKEN)[A-Z_]*):-([^}]*)\}", text):
        assert default.startswith("dev-only-"), f"{var} defaults to {default!r}"


def test_third_party_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = interpolate(service["image"], {})
        tag = image.rsplit(":", 1)[-1] if ":" in image.split("/")[-1] else ""
        assert tag and "latest" not in tag, f"{name} uses an unpinned image {image}"
