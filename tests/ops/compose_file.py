"""Reading docker-compose.yml the way Compose does, without Docker: YAML (anchors and `<<` merges
resolved by PyYAML) and `${VAR:-default}` interpolation, so tests see what a container would get."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
OUR_IMAGE = "${ESCALATOR_IMAGE:-escalator:dev}"

# $$ (a literal $), ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?err}, ${NAME?err}, $NAME
_TOKEN = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation of one string against the shell environment `env`."""

    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        current = env.get(name)
        if op == ":-":
            return current if current else arg
        if op == "-":
            return current if current is not None else arg
        if op in (":?", "?") and not current:
            raise KeyError(f"{name}: {arg}")
        return current or ""

    return _TOKEN.sub(replace, value)


def container_environment(service: dict[str, Any], shell: Mapping[str, str]) -> dict[str, str]:
    """The variables a container gets: a key without a value is passed only when the shell has it."""
    out: dict[str, str] = {}
    for name, value in (service.get("environment") or {}).items():
        if value is None:
            if name in shell:
                out[name] = shell[name]
        else:
            out[name] = interpolate(str(value), shell)
    return out


def our_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run Escalator's own image (api, worker, migrate)."""
    return {n: s for n, s in compose["services"].items() if s.get("image") == OUR_IMAGE}


def job_script(service: dict[str, Any], shell: Mapping[str, str]) -> str:
    """The shell script a `sh -c` job runs, as the container sees it (after interpolation)."""
    assert service["entrypoint"] == ["/bin/sh", "-c"], service["entrypoint"]
    (script,) = service["command"]
    return interpolate(script, shell)
